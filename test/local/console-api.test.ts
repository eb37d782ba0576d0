// The operator console's server side (local/console/server/) on a real LocalRuntime and its
// Step Functions endpoint, driven with plain fetch as the browser app drives it: the shell, the
// bundle, the graph, the JSON API of local/console/contract.ts, and its checks (token, origin,
// Host, sizes, methods) — after which the runtime still serves.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { DescribeStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR, STATE } from '../../lambdas/contracts';
import { LocalScheduler } from '../../local/aws/scheduler';
import { type SfnEndpoint, startSfnEndpoint } from '../../local/aws/sfn-endpoint';
import {
  CONSOLE_API_PATH,
  CONSOLE_APP_PATH,
  CONSOLE_GRAPH_PATH,
  CONSOLE_PATH,
  CONSOLE_STYLE_PATH,
  CONSOLE_TOKEN_HEADER,
  type BacklogAnswer,
  type ErrorAnswer,
  type ExecutionDetail,
  type ExecutionsAnswer,
  type RedriveAnswer,
  type RequeueAnswer,
  type ScheduleAnswer,
  type SessionAnswer,
  type StartAnswer,
  type StopAnswer,
  type TransactionAnswer,
} from '../../local/console/contract';
import { LocalRuntime } from '../../local/runtime/local-runtime';
import type { CfnTemplate } from '../../local/stack/synthesized-definition';
import { until } from '../support/poll';

jest.setTimeout(120_000);

const XSS = '<script>alert(1)</script>';
const JSON_TYPE = 'application/json; charset=utf-8';

let runtime: LocalRuntime;
let scheduler: LocalScheduler;
let endpoint: SfnEndpoint;
let sfn: SFNClient;
let base: string;
let token: string;

beforeAll(async () => {
  runtime = await LocalRuntime.start({
    retryIntervalScale: 0,
    isolateModules: (load) => jest.isolateModules(load),
    provider: { latencyMs: 0, rejectionRate: 0 },
  });
  await runtime.seedTransactions(20);
  scheduler = new LocalScheduler(runtime, { state: 'DISABLED' });
  endpoint = await startSfnEndpoint({ runtime, scheduler, console: true });
  base = endpoint.url;
  token = ((await (await fetch(`${base}${CONSOLE_API_PATH}/session`)).json()) as SessionAnswer)
    .token;
  sfn = new SFNClient({
    endpoint: base,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  scheduler?.stop();
  sfn?.destroy();
  await endpoint?.stop();
  await runtime?.close();
});

interface Answer<T> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  /** The raw body (instead of JSON). */
  raw?: string;
  /** false: no token header; a string: that one. Default: the session's token on POSTs. */
  token?: string | false;
  headers?: Record<string, string>;
}

async function call<T = unknown>(path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const method =
    options.method ?? (options.body === undefined && options.raw === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...options.headers };
  const sendToken = options.token ?? (method === 'POST' ? token : false);
  if (sendToken !== false) headers[CONSOLE_TOKEN_HEADER] = sendToken;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as T };
}

const api = <T = unknown>(path: string, options?: RequestOptions) =>
  call<T>(`${CONSOLE_API_PATH}/${path}`, options);

const detailOf = (name: string) => api<ExecutionDetail>(`executions/${encodeURIComponent(name)}`);
const finished = (name: string) =>
  until(
    () => detailOf(name),
    (d) => d.status === 200 && d.json.report.execution.status !== 'RUNNING',
  );

/** A raw HTTP request (fetch cannot send another Host header). */
function rawRequest(
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path, method, headers },
      (response) => {
        let text = '';
        response.on('data', (d: Buffer) => (text += d.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('the console: session, shell, files', () => {
  it('session: the token, the state machine; JSON, never sniffed or cached', async () => {
    const session = await api<SessionAnswer>('session');
    expect(session.status).toBe(200);
    expect(session.headers.get('content-type')).toBe(JSON_TYPE);
    expect(session.headers.get('x-content-type-options')).toBe('nosniff');
    expect(session.headers.get('cache-control')).toBe('no-store');
    expect(session.json).toMatchObject({
      stateMachineArn: runtime.stack.definition.stateMachineArn,
      stateMachineName: runtime.stack.definition.stateMachineName,
      region: runtime.stack.definition.stateMachineArn.split(':')[3],
    });
    expect(session.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(session.json.startedAt)).not.toBeNaN();
    expect(endpoint.consoleUrl).toBe(`${base}${CONSOLE_PATH}`);
  });

  it('GET /console (and /console/): the shell with the token, no inline script, a strict CSP', async () => {
    for (const path of [CONSOLE_PATH, `${CONSOLE_PATH}/`]) {
      const shell = await call(path);
      expect(shell.status).toBe(200);
      expect(shell.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(shell.headers.get('x-content-type-options')).toBe('nosniff');
      expect(shell.headers.get('cache-control')).toBe('no-store');
      const csp = shell.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(shell.text).toMatch(/^<!doctype html>/);
      expect(shell.text).toContain(`<meta name="txconfirm-console-token" content="${token}">`);
      expect(shell.text).toContain(`<link rel="stylesheet" href="${CONSOLE_STYLE_PATH}">`);
      expect(shell.text).toContain(`<script type="module" src="${CONSOLE_APP_PATH}"></script>`);
      expect(shell.text).toContain('<div id="app">');
      // Every script is loaded from this server: none has content of its own.
      expect(shell.text.match(/<script\b[^>]*>/g)).toEqual([
        `<script type="module" src="${CONSOLE_APP_PATH}">`,
      ]);
      expect(shell.text).toMatch(/<script[^>]*><\/script>/);
    }
  });

  it('GET app.js: the app bundled by esbuild (JavaScript); console.css from disk', async () => {
    const app = await call(CONSOLE_APP_PATH);
    expect({ status: app.status, message: app.status === 200 ? '' : app.text }).toEqual({
      status: 200,
      message: '',
    });
    expect(app.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // One bundle: no module is left for the browser to fetch, and it is the app (it calls the API).
    expect(app.text).not.toMatch(/^\s*import\b|\bimport\s*\(/m);
    expect(app.text).toContain(CONSOLE_API_PATH);
    const css = await call(CONSOLE_STYLE_PATH);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.text).toBe(
      fs.readFileSync(path.join(__dirname, '../../local/console/app/console.css'), 'utf8'),
    );
  });

  it('GET graph.svg: the diagram generator SVG, every top-level state marked data-state', async () => {
    const graph = await call(CONSOLE_GRAPH_PATH);
    expect(graph.status).toBe(200);
    expect(graph.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(graph.text).toContain('<svg');
    const states = Object.keys(runtime.stack.definition.definition.States);
    expect(states).toContain(STATE.RunSkipped);
    for (const state of states) {
      const attribute = state.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      expect(graph.text).toMatch(
        new RegExp(
          `<g id="node\\d+" class="node" data-state="${attribute.replace(/[?]/g, '\\?')}">`,
        ),
      );
    }
    expect(graph.text).toContain(
      `data-item-state="${STATE.ConfirmBatch}" data-map-state="${STATE.ConfirmPage}"`,
    );
  });
});

describe('the console API: executions', () => {
  it('a dry run started through the API is in the list (with its run) and in detail (visited StartRun)', async () => {
    const started = await api<StartAnswer>('executions', {
      body: { dryRun: true, name: 'console-dry-1', ids: '', maxItems: '10' },
    });
    expect(started.status).toBe(200);
    expect(started.json.name).toBe('console-dry-1');
    expect(started.json.executionArn).toMatch(/:execution:.*:console-dry-1$/);

    const detail = await finished('console-dry-1');
    expect(detail.json.report.execution.status).toBe('SUCCEEDED');
    expect(detail.json.report.execution.input).toEqual({ dryRun: true, maxItems: 10 });
    expect(detail.json.visited[0]).toBe(STATE.StartRun);
    expect(detail.json.visited).toContain(STATE.FinishRun);
    expect(detail.json.current).toBeUndefined();
    expect(detail.json.history[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(detail.json.history.find((e) => e.type === 'TaskStateEntered')).toMatchObject({
      stateName: STATE.StartRun,
    });
    expect(detail.json.mapRuns.length).toBeGreaterThan(0);
    expect(detail.json.mapRuns[0].itemCounts.total).toBeGreaterThan(0);
    expect(detail.json.report.run).toMatchObject({ status: 'SUCCEEDED', dryRun: true });

    const list = await api<ExecutionsAnswer>('executions?limit=10');
    expect(list.status).toBe(200);
    const row = list.json.executions.find((e) => e.name === 'console-dry-1');
    expect(row).toMatchObject({ status: 'SUCCEEDED', run: { status: 'SUCCEEDED' } });
    expect(row?.run?.totals).toBeDefined();
  });

  it('a bad start field is a 400 naming the form field; nothing starts', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ maxItems: '0' }, ERROR.InvalidExecutionInput, 'maxItems'],
      [{ createdBefore: 'yesterday' }, ERROR.InvalidExecutionInput, 'createdBefore'],
      [{ ids: 'a,,b' }, ERROR.InvalidExecutionInput, 'ids'],
      [{ dryrun: true }, 'BadRequest', 'dryrun'],
      [{ dryRun: 'yes' }, 'BadRequest', 'dryRun'],
      [{ name: 'has space' }, 'InvalidName', 'name'],
    ];
    for (const [body, error, field] of cases) {
      const answer = await api<ErrorAnswer>('executions', { body });
      expect({
        body,
        status: answer.status,
        error: answer.json.error,
        field: answer.json.field,
      }).toEqual({
        body,
        status: 400,
        error,
        field,
      });
    }
    const list = await api<ExecutionsAnswer>('executions');
    expect(list.json.executions).toHaveLength(1);
    expect((await api<ErrorAnswer>('executions?status=BOGUS')).json.field).toBe('status');
    expect((await api<ErrorAnswer>('executions?limit=0')).json.field).toBe('limit');
    expect((await api<ErrorAnswer>('executions/nope')).status).toBe(404);
  });

  it('a <script> in a name, a cause or a transaction id comes back JSON-escaped, as JSON', async () => {
    const named = await api<ErrorAnswer>('executions', { body: { name: XSS, dryRun: true } });
    expect(named.status).toBe(400);
    expect(named.headers.get('content-type')).toBe(JSON_TYPE);
    expect(named.text).not.toMatch(/[<>]/);
    expect(named.json.message).toContain(XSS);

    // StartRun refuses the input: the execution fails with a cause naming the field.
    const { stateMachineArn } = runtime.engine;
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'console-xss-cause',
        input: JSON.stringify({ [XSS]: 1 }),
      }),
    );
    const failed = await finished('console-xss-cause');
    expect(failed.json.report.execution).toMatchObject({
      status: 'FAILED',
      error: ERROR.InvalidExecutionInput,
    });
    expect(failed.json.report.execution.cause).toContain(XSS);
    expect(failed.json.current).toBe(STATE.StartRun);
    expect(failed.json.history.some((e) => e.cause?.includes(XSS))).toBe(true);
    expect(failed.headers.get('content-type')).toBe(JSON_TYPE);
    expect(failed.text).not.toMatch(/[<>]/);

    // The list's filter and limit, now that one execution SUCCEEDED and a newer one FAILED.
    const names = async (query: string) =>
      (await api<ExecutionsAnswer>(`executions?${query}`)).json.executions.map((e) => e.name);
    expect(await names('status=SUCCEEDED')).toEqual(['console-dry-1']);
    expect(await names('status=FAILED')).toEqual(['console-xss-cause']);
    expect(await names('limit=1')).toEqual(['console-xss-cause']);

    await runtime.ddb.send(
      new PutCommand({
        TableName: runtime.stack.tableNames.transactions,
        Item: { id: XSS, status: 'FAILED', lastError: XSS, createdAt: new Date().toISOString() },
      }),
    );
    const item = await api<TransactionAnswer>(`transactions/${encodeURIComponent(XSS)}`);
    expect(item.status).toBe(200);
    expect(item.headers.get('content-type')).toBe(JSON_TYPE);
    expect(item.text).not.toMatch(/[<>]/);
    expect(item.json.item).toMatchObject({ id: XSS, lastError: XSS });
    expect((await api<ErrorAnswer>('transactions/no-such-id')).status).toBe(404);
  });

  it("redrive: an execution that stopped in StartRun is redriven (txc redrive's rule)", async () => {
    const answer = await api<RedriveAnswer>('executions/console-xss-cause/redrive', { body: {} });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      status: 'FAILED',
      stoppedIn: STATE.StartRun,
      advice: 'redrive',
      redriven: true,
    });
    const again = await finished('console-xss-cause');
    expect(again.json.report.execution.status).toBe('FAILED');
    const bad = await api<ErrorAnswer>('executions/console-xss-cause/redrive', {
      body: { force: 'yes' },
    });
    expect(bad.json).toMatchObject({ error: 'BadRequest', field: 'force' });
  });

  it('stop: a running execution becomes ABORTED', async () => {
    await runtime.provider.setModes({ slow: [{ latencyMs: 5000, startInMs: 0 }] });
    try {
      const started = await api<StartAnswer>('executions', {
        body: { name: 'console-stop-1', maxItems: '5' },
      });
      expect(started.status).toBe(200);
      await until(
        () => detailOf('console-stop-1'),
        (d) => d.json.visited.includes(STATE.ConfirmPage),
      );
      const running = await detailOf('console-stop-1');
      expect(running.json.report.execution.status).toBe('RUNNING');
      expect(running.json.current).toBe(STATE.ConfirmPage);
      const stopped = await api<StopAnswer>('executions/console-stop-1/stop', { body: {} });
      expect(stopped.status).toBe(200);
      expect(stopped.json.status).toBe('ABORTED');
    } finally {
      await runtime.provider.setModes({ slow: 'off' });
    }
  });
});

describe('the console API: backlog, FAILED, requeue, schedule', () => {
  it('backlog: txc pending report per shard, with the SLO; failed: txc failed report', async () => {
    const backlog = await api<BacklogAnswer>('backlog');
    expect(backlog.status).toBe(200);
    expect(backlog.json.shards).toHaveLength(runtime.shardCount);
    expect(backlog.json.total).toBeGreaterThan(0);
    // The stack's own SLO output, as `txc doctor` reads it.
    const { Outputs: outputs } = runtime.stack.template as CfnTemplate & {
      Outputs: Record<string, { Value: unknown }>;
    };
    expect(backlog.json.oldestPendingAgeSloSeconds).toBe(
      Number(outputs.OldestPendingAgeSloSeconds.Value),
    );
    const failed = await api<{ items: { id: string }[] }>('failed?limit=10');
    expect(failed.status).toBe(200);
    expect(failed.json.items.map((i) => i.id)).toContain(XSS);
    expect((await api<ErrorAnswer>('failed?limit=5000')).json.field).toBe('limit');
  });

  it('requeue: a reason and ids are required; then the same conditional requeue as txc', async () => {
    const id = 'console-failed-1';
    await runtime.ddb.send(
      new PutCommand({
        TableName: runtime.stack.tableNames.transactions,
        Item: {
          id,
          status: 'FAILED',
          lastError: 'PROVIDER_HTTP_400: refused',
          attempts: 3,
          createdAt: new Date().toISOString(),
        },
      }),
    );
    for (const [body, field] of [
      [{ ids: [id] }, 'reason'],
      [{ ids: [id], reason: '   ' }, 'reason'],
      [{ ids: [], reason: 'fixed' }, 'ids'],
      [{ reason: 'fixed' }, 'ids'],
      [{ ids: ['bad id'], reason: 'fixed' }, 'ids'],
    ] as const) {
      const answer = await api<ErrorAnswer>('requeue', { body });
      expect({ body, status: answer.status, field: answer.json.field }).toEqual({
        body,
        status: 400,
        field,
      });
    }
    const requeued = await api<RequeueAnswer>('requeue', {
      body: { ids: [id, 'console-no-such'], reason: 'provider fixed the account' },
    });
    expect(requeued.status).toBe(200);
    expect(requeued.json.requeued.map((r) => r.id)).toEqual([id]);
    expect(requeued.json.skipped).toEqual([
      { id: 'console-no-such', status: null, reason: 'no such transaction' },
    ]);
    const item = await api<TransactionAnswer>(`transactions/${id}`);
    expect(item.json.item).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      requeueCount: 1,
      requeueReason: 'provider fixed the account',
      lastErrorBeforeRequeue: 'PROVIDER_HTTP_400: refused',
    });
    // Not FAILED any more: the conditional update leaves it alone.
    const again = await api<RequeueAnswer>('requeue', { body: { ids: [id], reason: 'again' } });
    expect(again.json.skipped[0]).toMatchObject({ id, status: 'PENDING' });
  });

  it('schedule: shown, resumed with its next fire time, paused again', async () => {
    const shown = await api<ScheduleAnswer>('schedule');
    expect(shown.json.schedule).toMatchObject({ name: 'local', state: 'DISABLED' });
    const resumed = await api<ScheduleAnswer>('schedule', { body: { state: 'ENABLED' } });
    expect(resumed.status).toBe(200);
    expect(resumed.json.schedule?.state).toBe('ENABLED');
    expect(Date.parse(resumed.json.schedule?.nextFireTime ?? '')).toBeGreaterThan(Date.now());
    const paused = await api<ScheduleAnswer>('schedule', { body: { state: 'DISABLED' } });
    expect(paused.json.schedule?.state).toBe('DISABLED');
    expect(paused.json.schedule?.nextFireTime).toBeUndefined();
    expect(scheduler.state()).toBe('DISABLED');
    const bad = await api<ErrorAnswer>('schedule', { body: { state: 'PAUSED' } });
    expect(bad.json).toMatchObject({ error: 'BadRequest', field: 'state' });
  });
});

describe('the console checks every request, and the runtime goes on', () => {
  it('a POST without the token, with a wrong one, or from another origin is refused (403); with the token it is not', async () => {
    const body = { state: 'DISABLED' };
    const none = await api<ErrorAnswer>('schedule', { body, token: false });
    expect(none.status).toBe(403);
    expect(none.json.error).toBe('ConsoleTokenRequired');
    expect(none.json.message).toMatch(/^token check failed/);
    const wrong = await api<ErrorAnswer>('schedule', { body, token: `${token.slice(1)}x` });
    expect(wrong.status).toBe(403);
    const evil = await api<ErrorAnswer>('schedule', {
      body,
      headers: { origin: 'http://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(evil.json.message).toMatch(/^origin check failed/);
    const own = await api<ScheduleAnswer>('schedule', { body, headers: { origin: base } });
    expect(own.status).toBe(200);
    const plain = await api<ScheduleAnswer>('schedule', { body });
    expect(plain.status).toBe(200);
  });

  it('a request naming another host (DNS rebinding) is refused, GETs too', async () => {
    const rebound = await rawRequest(`${CONSOLE_API_PATH}/session`, {
      host: `evil.example:${new URL(base).port}`,
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text)).toMatchObject({ error: 'ConsoleTokenRequired' });
    expect(rebound.text).not.toContain(token);
    const localhost = await rawRequest(`${CONSOLE_API_PATH}/session`, {
      host: `localhost:${new URL(base).port}`,
    });
    expect(localhost.status).toBe(200);
  });

  it('too big (413), not JSON (400), unknown (404), wrong method (405): named JSON errors', async () => {
    const big = await api<ErrorAnswer>('requeue', {
      raw: JSON.stringify({ ids: ['x'], reason: 'r'.repeat(70 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(big.json.error).toBe('RequestBodyTooLarge');
    const notJson = await api<ErrorAnswer>('requeue', { raw: '{"ids": [' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toBe('BadRequest');
    const array = await api<ErrorAnswer>('requeue', { raw: '[]' });
    expect(array.status).toBe(400);
    for (const path of [
      `${CONSOLE_API_PATH}/nope`,
      `${CONSOLE_PATH}/nope.js`,
      `${CONSOLE_API_PATH}/executions/a/b/c`,
    ]) {
      const unknown = await call<ErrorAnswer>(path);
      expect({ path, status: unknown.status, error: unknown.json?.error }).toEqual({
        path,
        status: 404,
        error: 'NotFound',
      });
      expect(unknown.headers.get('content-type')).toBe(JSON_TYPE);
    }
    const wrongMethods: [string, string, string][] = [
      ['DELETE', `${CONSOLE_API_PATH}/executions`, 'GET, POST'],
      ['POST', `${CONSOLE_API_PATH}/session`, 'GET'],
      ['GET', `${CONSOLE_API_PATH}/requeue`, 'POST'],
      ['PUT', CONSOLE_PATH, 'GET'],
    ];
    for (const [method, path, allow] of wrongMethods) {
      const answer = await call<ErrorAnswer>(path, {
        method,
        raw: method === 'GET' ? undefined : '{}',
      });
      expect({
        method,
        path,
        status: answer.status,
        error: answer.json.error,
        allow: answer.headers.get('allow'),
      }).toEqual({
        method,
        path,
        status: 405,
        error: 'MethodNotAllowed',
        allow,
      });
    }
  });

  it('the runtime still serves: the console and the Step Functions API answer', async () => {
    expect((await api('session')).status).toBe(200);
    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: runtime.engine.stateMachineArn }),
    );
    expect(described.name).toBe(runtime.stack.definition.stateMachineName);
  });

  it('an endpoint started without the console answers 404 under /console', async () => {
    const plain = await startSfnEndpoint({ runtime });
    try {
      expect(plain.consoleUrl).toBeUndefined();
      const answer = await fetch(`${plain.url}${CONSOLE_PATH}`);
      expect(answer.status).toBe(404);
      expect(((await answer.json()) as ErrorAnswer).message).toMatch(/console is off/);
    } finally {
      await plain.stop();
    }
  });
});
