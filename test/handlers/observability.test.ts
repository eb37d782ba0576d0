import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { Segment, type Subsegment } from 'aws-xray-sdk-core';
import {
  ENV,
  ERROR,
  METRIC,
  type BatchResult,
  type ConfirmBatchEvent,
  type StartRunResult,
} from '../../lambdas/contracts';
import type { ProviderResponse } from '../../lambdas/domain/classification';
import { SystemicFault } from '../../lambdas/domain/errors';
import {
  PROVIDER_SUBSEGMENT,
  observedProvider,
  type ProviderTracer,
} from '../../lambdas/shared/observed-provider';
import { REDACTED_LOG_KEYS, redactSensitive } from '../../lambdas/shared/powertools';
import {
  handlerEnv,
  lambdaContext,
  loadHandler,
  pendingTransaction,
  putTransactions,
} from '../support/fixtures';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { startSecretsEndpoint, type SecretsEndpoint } from '../../local/aws/secrets-endpoint';
import { startStore, type Store } from '../support/store';

/*
 * What operators get out of the handlers: the JSON log lines and the EMF metric blobs, captured
 * the way the local runtime captures them (a Console assigned to the shared Logger and Metrics),
 * and the X-Ray subsegments, built on real aws-xray-sdk-core segments with the shared Tracer's
 * context methods stubbed (nothing here talks to an X-Ray daemon).
 */

type Handler<R> = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<R>;
type Tools = typeof import('../../lambdas/shared/powertools');
type Json = Record<string, unknown>;

const API_KEY = 'obs-api-key-5f3c9a1e7b';
const SECRET_ID = 'txconfirm/provider-api-key';
const RUN_ID = '20240501T120000Z-obs-run';
// The STAGE lib/ sets on every function: the `stage` dimension of every metric.
const STAGE = 'obs';
// Values that cannot appear in output by accident (timestamps, latencies, ids).
const AMOUNT = 7351982;
const CURRENCY = 'CHF';

/** Everything written to the tools' console, one JSON document per line. */
class Capture {
  readonly lines: string[] = [];
  readonly console = new Console({
    stdout: new Writable({
      write: (chunk, _encoding, done) => {
        this.lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  });

  get text(): string {
    return this.lines.join('\n');
  }
  private get documents(): Json[] {
    return this.lines.map((line) => JSON.parse(line) as Json);
  }
  /** Log lines (everything that is not EMF). */
  get logs(): Json[] {
    return this.documents.filter((doc) => doc._aws === undefined);
  }
  get emf(): Json[] {
    return this.documents.filter((doc) => doc._aws !== undefined);
  }
  clear(): void {
    this.lines.length = 0;
  }
}

let store: Store;
let provider: ProviderServer;
let secrets: SecretsEndpoint;
let seq = 0;

const newIds = (n: number) => {
  seq += 1;
  return Array.from({ length: n }, (_, i) => `obs-${seq}-${i}`);
};

const batch = (ids: string[]): ConfirmBatchEvent => ({
  Items: ids.map((id) => ({ id })),
  BatchInput: { runId: RUN_ID, dryRun: false },
});

const putPending = (ids: string[]) =>
  putTransactions(
    store,
    ids.map((id) => pendingTransaction(id, { amount: AMOUNT, currency: CURRENCY })),
  );

/** Logs at INFO and metrics on, as in a deployed stage, all into `capture`. */
const observedEnv = (overrides: Record<string, string> = {}) =>
  handlerEnv(store, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    [ENV.PROVIDER_BASE_URL]: provider.baseUrl,
    [ENV.PROVIDER_SECRET_ID]: SECRET_ID,
    [ENV.PROVIDER_TIMEOUT_MS]: '1000',
    [ENV.MAX_ATTEMPTS]: '3',
    [ENV.IN_BATCH_PARALLELISM]: '4',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_TRACE_ENABLED: 'false',
    [ENV.STAGE]: STAGE,
    ...overrides,
  });

function captureInto(tools: Tools, capture: Capture): void {
  for (const tool of [tools.logger, tools.metrics]) {
    (tool as unknown as { console: Console }).console = capture.console;
  }
}

async function loadConfirmBatch(capture: Capture, overrides: Record<string, string> = {}) {
  const loaded = await loadHandler(observedEnv(overrides), async () => ({
    handler: (await import('../../lambdas/handlers/confirm-batch')).handler as Handler<BatchResult>,
    tools: await import('../../lambdas/shared/powertools'),
  }));
  captureInto(loaded.tools, capture);
  return loaded;
}

/** The metric values of an EMF blob, by name, and its metric definitions. */
const metricsOf = (blob: Json) => {
  const aws = blob._aws as {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: Json[] }[];
  };
  const [directive] = aws.CloudWatchMetrics;
  const values = Object.fromEntries(
    directive.Metrics.map((metric) => [metric.Name as string, blob[metric.Name as string]]),
  );
  return { directive, values };
};

/** A segment as it would be sent to X-Ray (the SDK's types omit these fields). */
interface SegmentView {
  name: string;
  annotations?: Record<string, unknown>;
  error?: boolean;
  fault?: boolean;
  cause?: unknown;
  end_time?: number;
  subsegments?: SegmentView[];
}
const view = (segment: Segment | Subsegment) => JSON.parse(segment.toString()) as SegmentView;

let capture: Capture;
let confirmBatch: Handler<BatchResult>;
let tools: Tools;

beforeAll(async () => {
  store = await startStore();
  provider = await startProviderServer({ apiKey: API_KEY });
  secrets = await startSecretsEndpoint({ [SECRET_ID]: API_KEY });
  capture = new Capture();
  ({ handler: confirmBatch, tools } = await loadConfirmBatch(capture));
});

afterAll(async () => {
  await provider.close();
  await secrets.stop();
  await store.stop();
});

beforeEach(() => {
  provider.reset();
  capture.clear();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** 3 confirmed, 1 rejected, 1 transient (503: deferred, attempts 1 of 3). */
async function mixedBatch(): Promise<{ ids: string[]; result: BatchResult }> {
  const ids = newIds(5);
  await putPending(ids);
  provider.script(ids[3], { status: 200, body: { status: 'REJECTED', reason: 'CARD_DECLINED' } });
  provider.script(ids[4], { status: 503 });
  const result = await confirmBatch(batch(ids), lambdaContext());
  return { ids, result };
}

describe('metrics (EMF)', () => {
  test('a batch with known outcomes emits one blob with its counts', async () => {
    const { result } = await mixedBatch();
    expect(result).toMatchObject({ confirmed: 3, rejected: 1, deferred: 1 });

    expect(capture.emf).toHaveLength(1);
    const { directive, values } = metricsOf(capture.emf[0]);
    expect(directive.Namespace).toBe('txconfirm');
    // One dimension set, service and stage: what the stage's alarms watch (lib/monitoring/).
    expect(directive.Dimensions).toEqual([['service', 'stage']]);
    expect(capture.emf[0]).toMatchObject({ service: 'txconfirm', stage: STAGE });
    expect(values).toMatchObject({
      BatchSize: 5,
      ProviderCalls: 5,
      ProviderErrors: 1,
      TransactionsConfirmed: 3,
      TransactionsRejected: 1,
      TransactionsDeferred: 1,
      TransactionsFailed: 0,
      TransactionsSkipped: 0,
    });
    expect(values.ProviderLatency).toHaveLength(5);
    const units = Object.fromEntries(directive.Metrics.map((m) => [m.Name, m.Unit]));
    expect(units).toMatchObject({
      BatchSize: 'Count',
      ProviderCalls: 'Count',
      ProviderErrors: 'Count',
      ProviderLatency: 'Milliseconds',
    });
  });

  test('a failed invocation (provider rejects our credentials) still publishes its metrics', async () => {
    const ids = newIds(3);
    await putPending(ids);
    provider.setDefault({ status: 401, body: { reason: 'invalid api key' } });

    await expect(confirmBatch(batch(ids), lambdaContext())).rejects.toMatchObject({
      name: ERROR.SystemicFault,
    });

    expect(capture.emf).toHaveLength(1);
    const { values } = metricsOf(capture.emf[0]);
    expect(values.BatchSize).toBe(3);
    expect(values.ProviderCalls).toBe(provider.calls.length);
    expect(values.ProviderCalls).toBeGreaterThanOrEqual(1);
    expect(values.ProviderErrors).toBe(values.ProviderCalls);
    // No result, so no outcome counts.
    expect(values.TransactionsConfirmed).toBeUndefined();
  });

  test('concurrent invocations in one process: each blob is exactly one invocation', async () => {
    const small = newIds(2);
    const large = newIds(3);
    await putPending([...small, ...large]);
    // Slow answers so that the two invocations interleave.
    provider.setDefault({ delayMs: 40 });

    await Promise.all([
      confirmBatch(batch(small), lambdaContext()),
      confirmBatch(batch(large), lambdaContext()),
    ]);

    const blobs = capture.emf.map((blob) => metricsOf(blob).values);
    expect(blobs).toHaveLength(2);
    for (const values of blobs) {
      expect(values.ProviderCalls).toBe(values.BatchSize);
      expect(values.TransactionsConfirmed).toBe(values.BatchSize);
      expect(values.ProviderLatency).toHaveLength(values.BatchSize as number);
    }
    expect(blobs.map((values) => values.BatchSize).sort()).toEqual([2, 3]);
  });

  test('StartRun that finds the lock held counts RunsSkipped', async () => {
    const startCapture = new Capture();
    const loaded = await loadHandler(observedEnv(), async () => ({
      handler: (await import('../../lambdas/handlers/start-run'))
        .handler as Handler<StartRunResult>,
      tools: await import('../../lambdas/shared/powertools'),
    }));
    captureInto(loaded.tools, startCapture);
    const arn = (name: string) =>
      `arn:aws:states:us-east-1:000000000000:execution:txconfirm:${name}`;
    const event = (name: string) => ({
      input: {},
      executionArn: arn(name),
      executionName: name,
      startTime: new Date().toISOString(),
    });

    const first = await loaded.handler(event('holder'), lambdaContext());
    expect(first.status).toBe('STARTED');
    // A started run has no metric of its own (RunsSucceeded/RunsFailed come from FinishRun).
    expect(startCapture.emf).toHaveLength(0);
    // Logged by the core with the new run id before the handler learns it.
    const startedLine = startCapture.logs.find((line) => line.message === 'run started');
    expect(startedLine).toMatchObject({
      service: 'txconfirm',
      level: 'INFO',
      executionArn: arn('holder'),
      runId: first.status === 'STARTED' ? first.run.runId : 'n/a',
    });

    const second = await loaded.handler(event('latecomer'), lambdaContext());
    expect(second.status).toBe('SKIPPED');
    expect(startCapture.emf).toHaveLength(1);
    expect(metricsOf(startCapture.emf[0]).values).toEqual({ RunsSkipped: 1 });
    expect(metricsOf(startCapture.emf[0]).directive.Dimensions).toEqual([['service', 'stage']]);
    expect(startCapture.emf[0].stage).toBe(STAGE);
    const skippedLine = startCapture.logs.find((line) => String(line.message).includes('skipped'));
    expect(skippedLine).toMatchObject({ executionArn: arn('latecomer') });
    // The keys of the first invocation did not leak into the second.
    expect(skippedLine?.correlation_id).toBeUndefined();
  });
});

describe('the stage dimension', () => {
  const loadTools = (env: Record<string, string>) =>
    loadHandler(env, () => import('../../lambdas/shared/powertools'));

  /** `env` without STAGE. */
  const withoutStageVar = (env: Record<string, string>) =>
    Object.fromEntries(Object.entries(env).filter(([name]) => name !== ENV.STAGE));

  /** Runs `body` with STAGE removed from the process environment (loadHandler only adds). */
  async function withoutStage(body: () => Promise<void>): Promise<void> {
    const saved = process.env[ENV.STAGE];
    delete process.env[ENV.STAGE];
    try {
      await body();
    } finally {
      if (saved !== undefined) process.env[ENV.STAGE] = saved;
    }
  }

  test('metrics on and no STAGE: the handlers refuse to load, naming the variable', async () => {
    const env = withoutStageVar(observedEnv());
    await withoutStage(async () => {
      await expect(loadTools(env)).rejects.toMatchObject({
        name: ERROR.InvalidConfiguration,
        message: expect.stringContaining(`${ENV.STAGE} is required while metrics are published`),
      });
      await expect(
        loadHandler(env, () => import('../../lambdas/handlers/release-lock')),
      ).rejects.toMatchObject({ name: ERROR.InvalidConfiguration });
    });
  });

  test('a blank STAGE counts as none', async () => {
    await withoutStage(async () => {
      await expect(loadTools(observedEnv({ [ENV.STAGE]: '  ' }))).rejects.toMatchObject({
        name: ERROR.InvalidConfiguration,
      });
    });
  });

  test('metrics off (the handler tests): no STAGE needed, nothing is published', async () => {
    const env = withoutStageVar(observedEnv({ POWERTOOLS_METRICS_DISABLED: 'true' }));
    await withoutStage(async () => {
      const loaded = await loadTools(env);
      const offCapture = new Capture();
      captureInto(loaded, offCapture);
      const invocation = new loaded.InvocationMetrics();
      invocation.count(METRIC.RunsSkipped);
      invocation.publish();
      expect(offCapture.emf).toEqual([]);
    });
  });
});

describe('logs', () => {
  test('every line is JSON with service, level and the run correlation; item lines name the transaction', async () => {
    const { ids } = await mixedBatch();

    const logs = capture.logs;
    // At INFO: the rejection, the deferral and `batch done`; confirmations log at DEBUG only.
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const line of logs) {
      expect(line).toMatchObject({
        service: 'txconfirm',
        level: expect.stringMatching(/^(INFO|WARN)$/),
        runId: RUN_ID,
        correlation_id: RUN_ID,
        batchSize: 5,
        function_request_id: 'test-request',
      });
      expect(typeof line.timestamp).toBe('string');
    }
    const completed = logs.filter((line) => line.message === 'transaction completed');
    expect(completed).toEqual([
      expect.objectContaining({ level: 'INFO', transactionId: ids[3], result: 'rejected' }),
    ]);
    const deferred = logs.find((line) => line.message === 'transaction not confirmed');
    expect(deferred).toMatchObject({
      level: 'WARN',
      transactionId: ids[4],
      result: 'deferred',
      lastError: expect.stringContaining('HTTP 503'),
    });
    expect(logs.find((line) => line.message === 'batch done')).toMatchObject({
      confirmed: 3,
      rejected: 1,
      deferred: 1,
    });
  });

  test('no amount, currency or API key anywhere in the output of a batch, failed ones included', async () => {
    await mixedBatch();
    const ids = newIds(2);
    await putPending(ids);
    provider.setDefault({ status: 401, body: { reason: 'invalid api key' } });
    await expect(confirmBatch(batch(ids), lambdaContext())).rejects.toThrow();

    expect(capture.lines.length).toBeGreaterThan(0);
    expect(capture.logs.some((line) => line.level === 'ERROR')).toBe(true);
    for (const forbidden of [String(AMOUNT), CURRENCY, API_KEY, '"amount"', '"currency"']) {
      expect(capture.text).not.toContain(forbidden);
    }
  });

  test('sensitive keys are redacted at any depth', () => {
    tools.logger.info('redaction probe', {
      authorization: 'Bearer x',
      amount: 12,
      nested: { apiKey: 'k', API_KEY: 'k2', 'card-number': '4111', keep: 'v' },
      list: [{ cvv: '123', token: 't' }],
      nextToken: 'pagination cursor, not a secret',
    });

    const [line] = capture.logs;
    expect(line).toMatchObject({
      message: 'redaction probe',
      authorization: '[REDACTED]',
      amount: '[REDACTED]',
      nested: {
        apiKey: '[REDACTED]',
        API_KEY: '[REDACTED]',
        'card-number': '[REDACTED]',
        keep: 'v',
      },
      list: [{ cvv: '[REDACTED]', token: '[REDACTED]' }],
      nextToken: 'pagination cursor, not a secret',
    });
    expect(capture.text).not.toContain('Bearer x');
  });

  test('the redaction list', () => {
    expect([...REDACTED_LOG_KEYS].sort()).toEqual(
      [
        'amount',
        'apiKey',
        'api_key',
        'authorization',
        'cardNumber',
        'cvv',
        'iban',
        'pan',
        'password',
        'secret',
        'token',
      ].sort(),
    );
    for (const key of REDACTED_LOG_KEYS) expect(redactSensitive(key, 'x')).toBe('[REDACTED]');
    expect(redactSensitive('transactionId', 'tx-1')).toBe('tx-1');
    expect(redactSensitive('company', 'pan-european')).toBe('pan-european');
  });
});

describe('tracing', () => {
  test('tracing off (POWERTOOLS_TRACE_ENABLED=true but not in Lambda): no subsegments, no warnings', async () => {
    const offCapture = new Capture();
    const off = await loadConfirmBatch(offCapture, { POWERTOOLS_TRACE_ENABLED: 'true' });
    const warn = jest.spyOn(console, 'warn');
    const error = jest.spyOn(console, 'error');
    const getSegment = jest.spyOn(off.tools.tracer, 'getSegment');
    const ids = newIds(2);
    await putPending(ids);

    await off.handler(batch(ids), lambdaContext());

    expect(off.tools.tracer.isTracingEnabled()).toBe(false);
    expect(getSegment).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    expect(offCapture.logs.filter((line) => line.level !== 'INFO')).toEqual([]);
  });

  test('tracing on: a provider subsegment per call under the handler subsegment, annotated by run and transaction', async () => {
    // The shared Tracer with tracing "on": its context is a real X-Ray segment held here.
    const root = new Segment('txconfirm-test');
    let current: Segment | Subsegment = root;
    const { tracer } = tools;
    jest.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
    jest.spyOn(tracer, 'getSegment').mockImplementation(() => current);
    jest.spyOn(tracer, 'setSegment').mockImplementation((segment) => {
      current = segment;
    });
    jest.spyOn(tracer, 'putAnnotation').mockImplementation((key, value) => {
      (current as Subsegment).addAnnotation(key, value);
    });
    const ids = newIds(3);
    await putPending(ids);
    provider.script(ids[1], { status: 200, body: { status: 'REJECTED', reason: 'CARD_DECLINED' } });
    provider.script(ids[2], { status: 503 });

    await confirmBatch(batch(ids), lambdaContext());

    expect(current).toBe(root);
    const [handlerSegment] = view(root).subsegments ?? [];
    expect(handlerSegment.name).toBe('## confirm-batch');
    expect(handlerSegment.end_time).toBeDefined();
    expect(handlerSegment.annotations).toMatchObject({
      runId: RUN_ID,
      ColdStart: expect.any(Boolean),
      Service: 'txconfirm',
    });
    const calls = (handlerSegment.subsegments ?? []).filter(
      (sub) => sub.name === PROVIDER_SUBSEGMENT,
    );
    expect(calls).toHaveLength(3);
    const byId = new Map(calls.map((sub) => [sub.annotations?.transactionId, sub]));
    expect(byId.get(ids[0])?.annotations).toEqual({
      transactionId: ids[0],
      providerOutcome: 'confirmed',
      providerStatus: 200,
    });
    expect(byId.get(ids[1])?.annotations).toMatchObject({ providerOutcome: 'rejected' });
    expect(byId.get(ids[2])?.annotations).toMatchObject({
      providerOutcome: 'transient',
      providerStatus: 503,
    });
    const flags = (sub: SegmentView | undefined) => ({
      error: Boolean(sub?.error),
      fault: Boolean(sub?.fault),
    });
    expect(flags(byId.get(ids[0]))).toEqual({ error: false, fault: false });
    expect(flags(byId.get(ids[1]))).toEqual({ error: false, fault: false });
    expect(flags(byId.get(ids[2]))).toEqual({ error: false, fault: true });
    for (const sub of calls) expect(sub.end_time).toBeDefined();
    const traced = root.toString();
    for (const forbidden of [String(AMOUNT), CURRENCY, API_KEY]) {
      expect(traced).not.toContain(forbidden);
    }
  });
});

describe('observedProvider (fake tracer, real X-Ray segments)', () => {
  const request = { transactionId: 'tx-unit-1', amount: AMOUNT, currency: CURRENCY };
  const counter = () => {
    const counts: Record<string, number> = {};
    const samples: string[] = [];
    return {
      counts,
      samples,
      metrics: {
        count: (name: string, value = 1) => {
          counts[name] = (counts[name] ?? 0) + value;
        },
        record: (name: string) => {
          samples.push(name);
        },
      },
    };
  };
  const tracerOn = (parent: Segment): ProviderTracer =>
    ({ isTracingEnabled: () => true, getSegment: () => parent }) as unknown as ProviderTracer;

  test('a network failure: counted as an error, recorded as a remote fault on the subsegment', async () => {
    const parent = new Segment('unit');
    const { counts, samples, metrics } = counter();
    const network: ProviderResponse = { kind: 'network', code: 'ECONNRESET' };
    const observed = observedProvider(
      { confirm: async () => network },
      { tracer: tracerOn(parent), metrics },
    );

    await expect(observed.confirm(request)).resolves.toBe(network);

    expect(counts).toEqual({ ProviderCalls: 1, ProviderErrors: 1 });
    expect(samples).toEqual(['ProviderLatency']);
    const [sub] = view(parent).subsegments ?? [];
    expect(sub.annotations).toEqual({
      transactionId: 'tx-unit-1',
      providerOutcome: 'transient',
      providerNetworkError: 'ECONNRESET',
    });
    expect(sub.fault).toBe(true);
    expect(JSON.stringify(sub.cause)).toContain('ECONNRESET');
    expect(sub.end_time).toBeDefined();
  });

  test('no call made (API key unreadable): the error is recorded and thrown on, no call counted', async () => {
    const parent = new Segment('unit');
    const { counts, metrics } = counter();
    const observed = observedProvider(
      {
        confirm: async () => {
          throw new SystemicFault('cannot read the provider API key');
        },
      },
      { tracer: tracerOn(parent), metrics },
    );

    await expect(observed.confirm(request)).rejects.toThrow('cannot read the provider API key');

    expect(counts).toEqual({});
    const [sub] = view(parent).subsegments ?? [];
    expect(sub.fault).toBe(true);
    expect(JSON.stringify(sub.cause)).toContain('cannot read the provider API key');
    expect(sub.end_time).toBeDefined();
  });

  test('tracing off: no segment is asked for, metrics still counted', async () => {
    const getSegment = jest.fn();
    const { counts, metrics } = counter();
    const observed = observedProvider(
      { confirm: async () => ({ kind: 'http', status: 429, body: {} }) },
      {
        tracer: { isTracingEnabled: () => false, getSegment } as unknown as ProviderTracer,
        metrics,
      },
    );

    await observed.confirm(request);

    expect(getSegment).not.toHaveBeenCalled();
    expect(counts).toEqual({ ProviderCalls: 1, ProviderErrors: 1 });
  });
});
