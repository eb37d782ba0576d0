// The provider's fault modes at run time on the local endpoint: `GET`/`POST /txconfirm/provider`
// over HTTP, `txc local provider …` (in-process, through runTxc like bin/txc.ts), and what runs
// do meanwhile — the provider broken and "fixed" without a restart.
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startSfnEndpoint, type SfnEndpoint } from '../../local/aws/sfn-endpoint';
import type { LocalProviderState } from '../../local/aws/local-endpoint-contract';
import { localCommand } from '../../local/cli/local-command';
import { LocalRuntime } from '../../local/runtime/local-runtime';
import { buildTxcProgram, runTxc } from '../../ops/program';

let runtime: LocalRuntime;
let endpoint: SfnEndpoint;
let url: string;

beforeAll(async () => {
  runtime = await LocalRuntime.start({
    retryIntervalScale: 0,
    isolateModules: (load) => jest.isolateModules(load),
    provider: { latencyMs: 0, rejectionRate: 0, seed: 3 },
  });
  endpoint = await startSfnEndpoint({ runtime });
  url = endpoint.url;
});

afterAll(async () => {
  await endpoint?.stop();
  await runtime?.close();
});

const PATH = '/txconfirm/provider';

async function post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(): Promise<LocalProviderState> {
  const response = await fetch(`${url}${PATH}`);
  expect(response.status).toBe(200);
  return (await response.json()) as LocalProviderState;
}

const RECOVER = { outage: 'off', slow: 'off', authFailure: null, permanentErrorRate: 0 };

/** `txc <argv>` in-process, as bin/txc.ts builds it. */
async function txc(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), columns: 100 };
  const program = buildTxcProgram({ io, env });
  program.addCommand(localCommand({ io, env }));
  const code = await runTxc(argv, { io, env }, program);
  return { code, out, err };
}

describe('GET / POST /txconfirm/provider', () => {
  afterEach(async () => {
    expect((await post(RECOVER)).status).toBe(200);
  });

  it('GET: the provider answering normally, its knobs', async () => {
    const state = await get();
    expect(state).toMatchObject({
      providerUrl: runtime.provider.url,
      listening: true,
      permanentErrorRate: 0,
      authFailure: null,
      outages: [],
      slow: [],
      outageNow: null,
      latencyMsNow: 0,
      knobs: { latencyMs: 0, rejectionRate: 0, seed: 3 },
    });
    expect(Date.parse(state.now)).not.toBeNaN();
  });

  it('POST sets each mode and answers the state after the change', async () => {
    const outage = await post({ outage: 'now', for: '5m' });
    expect(outage.status).toBe(200);
    expect(outage.body).toMatchObject({
      listening: true,
      outageNow: { mode: '503' },
      outages: [{ mode: '503', active: true }],
    });
    const ends = Date.parse((outage.body.outages as { end: string }[])[0].end);
    expect(ends - Date.now()).toBeGreaterThan(290_000);
    expect(ends - Date.now()).toBeLessThanOrEqual(300_000);

    expect((await post({ outage: '30s@1m', outageMode: 'refuse' })).body).toMatchObject({
      outages: [
        { mode: '503', active: true },
        { mode: 'refuse', active: false },
      ],
    });
    expect((await post({ slow: '2s+1m' })).body).toMatchObject({
      slow: [{ latencyMs: 2000, active: true }],
      latencyMsNow: 2000,
    });
    expect((await post({ authFailure: 403, permanentErrorRate: 0.25 })).body).toMatchObject({
      authFailure: 403,
      permanentErrorRate: 0.25,
    });
    const recovered = await post(RECOVER);
    expect(recovered.body).toMatchObject({
      listening: true,
      outages: [],
      slow: [],
      authFailure: null,
      permanentErrorRate: 0,
      outageNow: null,
    });
  });

  it('outage refuse: the provider stops listening until the outage is off', async () => {
    expect((await post({ outage: 'now', outageMode: 'refuse' })).body).toMatchObject({
      listening: false,
      outageNow: { mode: 'refuse', until: null },
    });
    expect((await post({ outage: 'off' })).body).toMatchObject({ listening: true });
  });

  it.each<[unknown, RegExp]>([
    [{}, /^body: set at least one of/],
    [{ outage: 'soon' }, /^outage duration must be a number with a unit/],
    [{ outage: 'now', for: '5' }, /^for must be a number with a unit .* \(add a unit: 5s\)/],
    [{ authFailure: 418 }, /^authFailure: /],
    [{ permanentErrorRate: 'ten' }, /^permanentErrorRate: /],
    [{ outage: 'off', outageMode: 'refuse' }, /^outageMode: goes with an outage/],
    [{ outages: 'now' }, /^body: unknown field "outages"/],
    ['{"outage": ', /^the body must be a JSON object/],
  ])(
    'a bad body %j is a 400 InvalidProviderMode naming the field; nothing changes',
    async (body, message) => {
      const answer = await post(body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('InvalidProviderMode');
      expect(answer.body.message).toMatch(message);
      expect(await get()).toMatchObject({ outages: [], authFailure: null, listening: true });
    },
  );

  it('another method is a 405; the endpoint keeps serving', async () => {
    const response = await fetch(`${url}${PATH}`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: 'MethodNotAllowed' });
    expect((await fetch(`${url}/txconfirm/target`)).status).toBe(200);
  });
});

describe('runs while the provider is broken, then fixed at run time (no restart)', () => {
  const table = () => runtime.stack.tableNames.transactions;
  const run = async () => runtime.waitForRun(runtime.startRun({}).executionArn);
  const items = async (ids: string[]) =>
    Promise.all(
      ids.map(
        async (id) =>
          (await runtime.ddb.send(new GetCommand({ TableName: table(), Key: { id } }))).Item!,
      ),
    );
  afterEach(async () => {
    await post(RECOVER);
    // Nothing left PENDING for the next scenario.
    await run();
  });

  it('permanent errors: the refused transactions become FAILED PROVIDER_HTTP_400', async () => {
    expect((await post({ permanentErrorRate: 1 })).status).toBe(200);
    const ids = await runtime.seedTransactions(30);
    const outcome = await run();
    expect(outcome.final.status).toBe('SUCCEEDED');
    expect(outcome.summary?.totals.failed).toBe(30);
    for (const item of await items(ids)) {
      expect(item).toMatchObject({ status: 'FAILED' });
      expect(item.lastError).toMatch(/^PROVIDER_HTTP_400: INVALID_TRANSACTION/);
    }
  });

  it('wrong credentials: the run fails and no transaction is touched; fixed, the next run confirms them', async () => {
    expect((await post({ authFailure: 401 })).status).toBe(200);
    const ids = await runtime.seedTransactions(20);
    const failed = await run();
    expect(failed.final.status).toBe('FAILED');
    for (const item of await items(ids)) expect(item).toMatchObject({ status: 'PENDING' });
    await post({ authFailure: null });
    const fixed = await run();
    expect(fixed.final.status).toBe('SUCCEEDED');
    for (const item of await items(ids)) expect(item.status).toBe('CONFIRMED');
  });

  it('an outage: nothing is confirmed while it lasts; `outage off` and the next run confirms everything', async () => {
    expect((await post({ outage: 'now' })).status).toBe(200);
    // Fewer than the provider circuit breaker's evidence window (20 calls of one batch): the
    // outage defers them without opening it, so the run right after `outage off` confirms them
    // instead of waiting out the breaker's open period (docs/runbook.md).
    const ids = await runtime.seedTransactions(15);
    await run();
    for (const item of await items(ids)) expect(item.status).toBe('PENDING');
    expect((await post({ outage: 'off' })).body).toMatchObject({ outageNow: null });
    const after = await run();
    expect([after.final.status, after.final.error]).toEqual(['SUCCEEDED', undefined]);
    for (const item of await items(ids)) expect(item.status).toBe('CONFIRMED');
    const pending = await runtime.ddb.send(
      new ScanCommand({
        TableName: table(),
        FilterExpression: '#s = :p',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':p': 'PENDING' },
      }),
    );
    expect(pending.Items).toEqual([]);
  });
});

describe('txc local provider', () => {
  afterEach(async () => {
    await post(RECOVER);
  });

  it('show (the default): how the provider answers now', async () => {
    const r = await txc(['local', 'provider', '--endpoint', url]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^provider: +http:\/\/127\.0\.0\.1:\d+ \(simulated\)$/m);
    expect(r.out).toMatch(/^now: +up, answering normally$/m);
    expect(r.out).not.toMatch(/recover/);
  });

  it('outage --for 5m, then recover: the runbook steps, exactly as typed', async () => {
    const down = await txc(['local', 'provider', 'outage', '--for', '5m', '--endpoint', url]);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(
      /^now: +DOWN: every call answers 503 \+ Retry-After until \d\d:\d\d:\d\dZ \((4m 59s|5m 0s)\)$/m,
    );
    expect(down.out).toContain(`npm run txc -- local provider recover --local --endpoint ${url}`);
    expect((await get()).outageNow).toMatchObject({ mode: '503' });

    const up = await txc(['local', 'provider', 'recover', '--endpoint', url]);
    expect(up.code).toBe(0);
    expect(up.out).toMatch(/^now: +up, answering normally$/m);
    expect((await get()).outages).toEqual([]);
  });

  it('$TXC_ENDPOINT points it at the endpoint without flags', async () => {
    const r = await txc(['local', 'provider', 'outage', '--mode', 'refuse'], { TXC_ENDPOINT: url });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^now: +DOWN: refusing connections until cleared$/m);
    expect((await get()).listening).toBe(false);
  });

  it('slow, auth-failure, permanent-errors; --json prints the state', async () => {
    expect(
      (await txc(['local', 'provider', 'slow', '2s', '--for', '1m', '--endpoint', url])).code,
    ).toBe(0);
    expect((await txc(['local', 'provider', 'auth-failure', '403', '--endpoint', url])).code).toBe(
      0,
    );
    const r = await txc([
      'local',
      'provider',
      'permanent-errors',
      '0.25',
      '--endpoint',
      url,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      slow: [{ latencyMs: 2000, active: true }],
      authFailure: 403,
      permanentErrorRate: 0.25,
    });
    const off = await txc([
      'local',
      'provider',
      'auth-failure',
      'off',
      '--endpoint',
      url,
      '--json',
    ]);
    expect(JSON.parse(off.out)).toMatchObject({ authFailure: null });
    const planned = await txc([
      'local',
      'provider',
      'outage',
      '--in',
      '1m',
      '--for',
      '30s',
      '--endpoint',
      url,
    ]);
    expect(planned.out).toMatch(/^outages: +\d\d:\d\d:\d\dZ → \d\d:\d\d:\d\dZ 503$/m);
  });

  it.each<[string[], RegExp]>([
    [['outage', '--for', '5'], /--for must be a number with a unit .*\(add a unit: 5s\)/],
    [['outage', '--mode', 'drop'], /--mode.*Allowed choices are 503, refuse/],
    [['outage', '--in', '10s'], /UsageError: --in needs --for/],
    [['permanent-errors', '2'], /the rate must be a number 0\.\.1, got "2"/],
    [['auth-failure', '500'], /Allowed choices are 401, 403, off/],
    [['slow', 'fast'], /UsageError: slow latency must be a number with a unit/],
    [['slow', 'off', '--for', '1m'], /UsageError: slow off takes no --for or --in/],
    [['nonsense'], /unknown command|too many arguments/],
  ])('usage error %j: exit 2, named, nothing sent', async (args, message) => {
    const r = await txc(['local', 'provider', ...args, '--endpoint', url]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(await get()).toMatchObject({
      outages: [],
      slow: [],
      authFailure: null,
      permanentErrorRate: 0,
    });
  });

  it('a stack flag is a usage error: the provider is local only', async () => {
    const r = await txc(['local', 'provider', 'show', '--stage', 'prod']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/UsageError: txc local provider acts on a local endpoint: drop --stage/);
  });

  it('no endpoint: EndpointUnreachable, exit 1', async () => {
    const r = await txc(['local', 'provider', '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^EndpointUnreachable: nothing answers at http:\/\/127\.0\.0\.1:9/);
  });
});
