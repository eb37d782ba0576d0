import * as fs from 'node:fs';
import { Agent, request } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  HttpPaymentProvider,
  type ApiKeySource,
} from '../../lambdas/adapters/http-payment-provider';
import { classifyProviderResponse } from '../../lambdas/domain/classification';
import {
  startProviderSimulator,
  type ProviderSimulator,
  type ProviderSimulatorOptions,
  type SimulatedCall,
} from '../../local/fakes/provider-simulator';
import { OutcomeStore } from '../../local/fakes/provider-simulator/outcome-store';

const API_KEY = 'sim-key';

const running: ProviderSimulator[] = [];
async function simulator(
  options: Partial<ProviderSimulatorOptions> = {},
): Promise<ProviderSimulator> {
  const sim = await startProviderSimulator({ apiKey: API_KEY, ...options });
  running.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.stop()));
});

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-sim-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- clients ----------------------------------------------------------------------------------

const keySource = (key = API_KEY): ApiKeySource => ({
  get: async () => key,
  invalidate: () => undefined,
});

/** The production adapter, pointed at the simulator. */
const adapter = (sim: ProviderSimulator, timeoutMs = 2000, key = API_KEY) =>
  new HttpPaymentProvider({ baseUrl: sim.url, timeoutMs, apiKey: keySource(key) });

const tx = (id: string, amount = 1250, currency = 'EUR') => ({
  transactionId: id,
  amount,
  currency,
});

interface RawCall {
  key?: string | null;
  authorization?: string | null;
  body?: unknown;
  text?: string;
  method?: string;
  path?: string;
}

/** A hand-made request (headers and body as given). */
async function raw(
  sim: ProviderSimulator,
  id: string,
  call: RawCall = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const key = call.key === undefined ? id : call.key;
  if (key !== null) headers['Idempotency-Key'] = key;
  const authorization = call.authorization === undefined ? `Bearer ${API_KEY}` : call.authorization;
  if (authorization !== null) headers.Authorization = authorization;
  const response = await fetch(`${sim.url}${call.path ?? '/v1/confirmations'}`, {
    method: call.method ?? 'POST',
    headers,
    ...(call.method === 'GET' ? {} : { body: call.text ?? JSON.stringify(call.body ?? tx(id)) }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), headers: response.headers };
}

/** Many well-formed calls over keep-alive connections; resolves with each answer's status. */
async function callMany(sim: ProviderSimulator, ids: string[], concurrency = 32): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL('/v1/confirmations', sim.url);
  const one = (id: string) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify(tx(id));
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'Idempotency-Key': id,
            Authorization: `Bearer ${API_KEY}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      // A timed-out call is closed by the simulator without an answer.
      req.on('error', () => resolve());
      req.end(body);
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) await one(ids[next++]);
    }),
  );
  agent.destroy();
}

const ids = (n: number, prefix = 'tx') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const outcomesByKey = (calls: readonly SimulatedCall[]) =>
  new Map(calls.map((call) => [call.idempotencyKey, call.outcome]));

// ---- tests ------------------------------------------------------------------------------------

describe('knob validation', () => {
  test.each<[Partial<ProviderSimulatorOptions>, string]>([
    [{ rejectionRate: 2 }, 'rejectionRate must be 0..1, got 2'],
    [{ transientErrorRate: -0.1 }, 'transientErrorRate must be 0..1, got -0.1'],
    [{ timeoutRate: Number.NaN }, 'timeoutRate must be 0..1, got NaN'],
    [{ latencyMs: -1 }, 'latencyMs must be 0..2147483647 ms, got -1'],
    [{ jitterMs: Number.POSITIVE_INFINITY }, 'jitterMs must be 0..2147483647 ms, got Infinity'],
    [{ timeoutHoldMs: 3e9 }, 'timeoutHoldMs must be 0..2147483647 ms, got 3000000000'],
    [{ seed: 1.5 }, 'seed must be an integer, got 1.5'],
    [{ port: 70_000 }, 'port must be an integer 0..65535, got 70000'],
    [{ retryAfterSeconds: -3 }, 'retryAfterSeconds must be an integer 0..86400, got -3'],
    [
      { transientStatuses: [404] },
      'transientStatuses must be a non-empty list of 429 and 500..599, got [404]',
    ],
    [
      { rejectionStyle: 'maybe' as never },
      `rejectionStyle must be 'body', 'status402' or 'mixed', got "maybe"`,
    ],
    [{ apiKey: '' }, 'apiKey must be a non-empty string'],
  ])('%p -> %s', async (options, message) => {
    await expect(startProviderSimulator({ apiKey: API_KEY, ...options })).rejects.toMatchObject({
      name: 'InvalidSimulatorOption',
      message,
    });
  });

  test('configure() validates the same way and keeps the old knobs on error', async () => {
    const sim = await simulator();
    expect(() => sim.configure({ rejectionRate: 1.5 })).toThrow(
      expect.objectContaining({
        name: 'InvalidSimulatorOption',
        message: 'rejectionRate must be 0..1, got 1.5',
      }),
    );
    expect((await raw(sim, 'still-confirmed')).body).toMatchObject({ status: 'CONFIRMED' });
  });
});

describe('knobs', () => {
  test('all rates 0: every call is confirmed, each with its own reference', async () => {
    const sim = await simulator({ seed: 5 });
    await callMany(sim, ids(300));
    const stats = sim.stats();
    expect(stats.calls).toBe(300);
    expect(stats.outcomes.confirmed).toBe(300);
    expect(stats.finalOutcomes).toEqual({ confirmed: 300, rejected: 0 });
    expect(stats.distinctKeys).toBe(300);
    const references = sim.calls().map((call) => call.reference);
    expect(new Set(references).size).toBe(300);
    expect(references.every((ref) => /^pr_[0-9a-f]{16}$/.test(ref ?? ''))).toBe(true);
  });

  test('rejectionRate 1: every call is rejected; rejectionStyle picks 200 REJECTED or 402', async () => {
    const mixed = await simulator({ rejectionRate: 1 });
    await callMany(mixed, ids(200));
    expect(mixed.stats().outcomes.rejected).toBe(200);
    const statuses = mixed.calls().map((call) => call.status);
    expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(60);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(60);

    const body = await simulator({ rejectionRate: 1, rejectionStyle: 'body' });
    const answer = await raw(body, 'tx-body');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'REJECTED', reason: expect.any(String) });

    const status402 = await simulator({ rejectionRate: 1, rejectionStyle: 'status402' });
    const declined = await raw(status402, 'tx-402');
    expect(declined.status).toBe(402);
    expect(declined.body).toEqual({ reason: expect.any(String) });
  });

  test('transientErrorRate 1: only 5xx and 429 (with Retry-After), nothing final', async () => {
    const sim = await simulator({ transientErrorRate: 1, retryAfterSeconds: 7 });
    await callMany(sim, ids(200));
    const stats = sim.stats();
    expect(stats.outcomes.transient).toBe(200);
    expect(stats.finalOutcomes).toEqual({ confirmed: 0, rejected: 0 });
    const statuses = new Set(sim.calls().map((call) => call.status));
    expect([...statuses].sort()).toEqual([429, 500, 502, 503]);

    let limited: Awaited<ReturnType<typeof raw>> | undefined;
    for (let i = 0; limited === undefined; i++) {
      const answer = await raw(sim, `tx-429-${i}`);
      if (answer.status === 429) limited = answer;
    }
    expect(limited.headers.get('retry-after')).toBe('7');
  });

  test('timeoutRate 1: no call is answered', async () => {
    const sim = await simulator({ timeoutRate: 1, timeoutHoldMs: 5 });
    await callMany(sim, ids(50));
    const stats = sim.stats();
    expect(stats.outcomes.timeout).toBe(50);
    expect(sim.calls().every((call) => call.status === undefined)).toBe(true);
  });

  test('rates are honoured over 2,000 calls (seeded)', async () => {
    const sim = await simulator({
      seed: 42,
      timeoutRate: 0.05,
      timeoutHoldMs: 1,
      transientErrorRate: 0.2,
      rejectionRate: 0.1,
    });
    await callMany(sim, ids(2000));
    const { outcomes, calls } = sim.stats();
    expect(calls).toBe(2000);
    const share = (n: number) => n / 2000;
    // Each call: timeout with p = 0.05; else transient with p = 0.2; else rejected with p = 0.1.
    expect(Math.abs(share(outcomes.timeout) - 0.05)).toBeLessThan(0.015);
    expect(Math.abs(share(outcomes.transient) - 0.95 * 0.2)).toBeLessThan(0.025);
    expect(Math.abs(share(outcomes.rejected) - 0.95 * 0.8 * 0.1)).toBeLessThan(0.02);
    expect(outcomes.timeout + outcomes.transient + outcomes.rejected + outcomes.confirmed).toBe(
      2000,
    );
  });

  test('the same seed gives every key the same outcomes, whatever the arrival order', async () => {
    const knobs = { seed: 9, transientErrorRate: 0.3, rejectionRate: 0.2 };
    const forward = await simulator(knobs);
    await callMany(forward, ids(400), 1);
    const backward = await simulator(knobs);
    await callMany(backward, ids(400).reverse(), 50);
    const other = await simulator({ ...knobs, seed: 10 });
    await callMany(other, ids(400), 50);

    const a = outcomesByKey(forward.calls());
    expect(outcomesByKey(backward.calls())).toEqual(a);
    expect(outcomesByKey(other.calls())).not.toEqual(a);
    const refs = (sim: ProviderSimulator) =>
      sim
        .calls()
        .map((call) => `${call.idempotencyKey}=${call.reference ?? call.reason ?? ''}`)
        .sort();
    expect(refs(backward)).toEqual(refs(forward));
  });

  test('latency and jitter delay each answer', async () => {
    const sim = await simulator({ latencyMs: 40, jitterMs: 60, seed: 3 });
    const durations = await Promise.all(
      ids(20).map(async (id) => {
        const started = performance.now();
        await raw(sim, id);
        return performance.now() - started;
      }),
    );
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(39);
    expect(Math.max(...durations)).toBeLessThan(1000);
    expect(Math.max(...durations) - Math.min(...durations)).toBeGreaterThan(10);
  });

  test('configure() changes knobs for later calls', async () => {
    const sim = await simulator({ transientErrorRate: 1 });
    expect((await raw(sim, 'tx-1')).status).toBeGreaterThanOrEqual(429);
    sim.configure({ transientErrorRate: 0 });
    expect((await raw(sim, 'tx-1')).body).toMatchObject({ status: 'CONFIRMED' });
  });
});

describe('idempotency', () => {
  test('a transient failure, then success, then every later call replays that reference', async () => {
    const sim = await simulator();
    sim.script('tx-1', { outcome: 'transient' });
    const provider = adapter(sim);

    const first = classifyProviderResponse(await provider.confirm(tx('tx-1')));
    expect(first.outcome).toBe('transient');
    const second = classifyProviderResponse(await provider.confirm(tx('tx-1')));
    expect(second).toMatchObject({ outcome: 'confirmed', providerRef: expect.any(String) });
    for (let i = 0; i < 3; i++) {
      expect(classifyProviderResponse(await provider.confirm(tx('tx-1')))).toEqual(second);
    }
    expect(sim.calls().map((call) => [call.outcome, call.replayed])).toEqual([
      ['transient', false],
      ['confirmed', false],
      ['confirmed', true],
      ['confirmed', true],
      ['confirmed', true],
    ]);
    expect(sim.stats()).toMatchObject({
      calls: 5,
      replays: 3,
      distinctKeys: 1,
      finalOutcomes: { confirmed: 1, rejected: 0 },
    });
    expect(await sim.finalOutcome('tx-1')).toEqual({
      outcome: 'confirmed',
      reference: (second as { providerRef: string }).providerRef,
    });
  });

  test('with random knobs a key never changes its final outcome', async () => {
    const sim = await simulator({ seed: 4, transientErrorRate: 0.5, rejectionRate: 0.5 });
    const keys = ids(100);
    for (let round = 0; round < 4; round++) await callMany(sim, keys, 20);
    const finals = new Map<string, string>();
    for (const call of sim.calls()) {
      if (call.outcome !== 'confirmed' && call.outcome !== 'rejected') continue;
      const seen = `${call.outcome}:${call.reference ?? call.reason}`;
      expect(finals.get(call.idempotencyKey) ?? seen).toBe(seen);
      finals.set(call.idempotencyKey, seen);
    }
    const { finalOutcomes, replays } = sim.stats();
    expect(finalOutcomes.confirmed + finalOutcomes.rejected).toBe(finals.size);
    expect(replays).toBeGreaterThan(100);
  });

  test('a rejection is replayed too, with its reason and status', async () => {
    const sim = await simulator({ rejectionRate: 1, rejectionStyle: 'status402' });
    const first = await raw(sim, 'tx-r');
    sim.configure({ rejectionRate: 0 });
    const again = await raw(sim, 'tx-r');
    expect(again).toMatchObject({ status: 402, body: first.body });
    expect(sim.calls()[1]).toMatchObject({ replayed: true, outcome: 'rejected' });
  });

  test('a timed-out call has acted: the retry replays its outcome (timeoutsAct)', async () => {
    const sim = await simulator({ timeoutRate: 1, timeoutHoldMs: 5000 });
    const provider = adapter(sim, 100);
    expect(await provider.confirm(tx('tx-t'))).toEqual({ kind: 'network', code: 'TIMEOUT' });
    sim.configure({ timeoutRate: 0 });
    const retry = await provider.confirm(tx('tx-t'));
    expect(classifyProviderResponse(retry)).toMatchObject({ outcome: 'confirmed' });
    expect(sim.calls().map((call) => [call.outcome, call.replayed])).toEqual([
      ['timeout', false],
      ['confirmed', true],
    ]);
  });

  test('timeoutsAct false: the retry is decided afresh', async () => {
    const sim = await simulator({ timeoutRate: 1, timeoutHoldMs: 5000, timeoutsAct: false });
    const provider = adapter(sim, 100);
    await provider.confirm(tx('tx-t'));
    sim.configure({ timeoutRate: 0 });
    await provider.confirm(tx('tx-t'));
    expect(sim.calls().map((call) => [call.outcome, call.replayed])).toEqual([
      ['timeout', false],
      ['confirmed', false],
    ]);
  });

  test('the same key with another amount or currency is refused (400), not charged again', async () => {
    const sim = await simulator();
    await raw(sim, 'tx-1');
    const reused = await raw(sim, 'tx-1', { body: tx('tx-1', 999) });
    expect(reused).toMatchObject({
      status: 400,
      body: { reason: 'IDEMPOTENCY_KEY_REUSED: this key was used with 1250 EUR' },
    });
    expect(sim.stats().finalOutcomes.confirmed).toBe(1);
  });

  test('a concurrent call for a key still being processed gets 409 (transient)', async () => {
    // The second call arrives 20 ms into the first one's 300 ms of processing.
    const sim = await simulator({ latencyMs: 300 });
    const provider = adapter(sim);
    const [first, second] = await Promise.all([
      provider.confirm(tx('tx-c')),
      new Promise((resolve) => setTimeout(resolve, 20)).then(() => provider.confirm(tx('tx-c'))),
    ]);
    expect(classifyProviderResponse(first).outcome).toBe('confirmed');
    expect(second).toMatchObject({ kind: 'http', status: 409 });
    expect(classifyProviderResponse(second).outcome).toBe('transient');
    expect(sim.stats().outcomes['in-progress']).toBe(1);
  });

  test('conflictWhileInFlight false: concurrent calls both get the first final outcome', async () => {
    const sim = await simulator({ latencyMs: 50, conflictWhileInFlight: false });
    const [a, b] = await Promise.all([raw(sim, 'tx-c'), raw(sim, 'tx-c')]);
    expect(a.body).toEqual(b.body);
    expect(sim.stats()).toMatchObject({ replays: 1, finalOutcomes: { confirmed: 1 } });
  });
});

describe('auth and bad requests', () => {
  test('a missing or wrong key is 401, recorded, and decides nothing', async () => {
    const sim = await simulator();
    expect(await raw(sim, 'tx-1', { authorization: null })).toMatchObject({ status: 401 });
    expect(await raw(sim, 'tx-1', { authorization: 'Bearer wrong' })).toMatchObject({
      status: 401,
    });
    expect(await raw(sim, 'tx-1', { authorization: API_KEY })).toMatchObject({ status: 401 });
    expect(sim.calls().map((call) => [call.hasAuthorization, call.authorized])).toEqual([
      [false, false],
      [true, false],
      [true, false],
    ]);
    expect(sim.calls().every((call) => call.transactionId === 'tx-1')).toBe(true);
    expect(sim.stats().outcomes.unauthorized).toBe(3);

    const ok = await raw(sim, 'tx-1');
    expect(ok.body).toMatchObject({ status: 'CONFIRMED' });
    expect(sim.calls()[3].replayed).toBe(false);
    // The adapter with a wrong key: systemic (our credentials are wrong).
    const wrong = await adapter(sim, 2000, 'wrong').confirm(tx('tx-2'));
    expect(classifyProviderResponse(wrong).outcome).toBe('systemic');
  });

  test.each<[string, RawCall, string]>([
    ['a body that is not JSON', { text: '{oops' }, 'body must be JSON'],
    [
      'no transactionId',
      { body: { amount: 1, currency: 'EUR' } },
      'transactionId must be a non-empty string',
    ],
    [
      'a fractional amount',
      { body: tx('tx-1', 12.5) },
      'amount must be a positive integer (minor units)',
    ],
    ['a zero amount', { body: tx('tx-1', 0) }, 'amount must be a positive integer (minor units)'],
    [
      'a lower-case currency',
      { body: tx('tx-1', 100, 'eur') },
      'currency must be an ISO 4217 code',
    ],
    ['no Idempotency-Key', { key: null }, 'the Idempotency-Key header is required'],
    [
      'an Idempotency-Key other than the transaction id',
      { key: 'tx-2' },
      'Idempotency-Key must equal transactionId',
    ],
  ])('%s: 400 with the reason', async (_name, call, reason) => {
    const sim = await simulator();
    expect(await raw(sim, 'tx-1', call)).toMatchObject({ status: 400, body: { reason } });
    expect(sim.stats()).toMatchObject({
      outcomes: { 'bad-request': 1 },
      distinctKeys: 0,
      finalOutcomes: { confirmed: 0, rejected: 0 },
    });
  });

  test('another route is 404, another method 405', async () => {
    const sim = await simulator();
    expect(await raw(sim, 'tx-1', { path: '/v2/confirmations' })).toMatchObject({
      status: 404,
    });
    const get = await raw(sim, 'tx-1', { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  test('the adapter classifies a 400 as permanent', async () => {
    const sim = await simulator();
    const response = await adapter(sim).confirm(tx('tx-1', 0));
    expect(classifyProviderResponse(response)).toMatchObject({
      outcome: 'permanent',
      error: 'PROVIDER_HTTP_400: amount must be a positive integer (minor units)',
    });
  });
});

describe('timeouts', () => {
  test('the real HTTP adapter times out and classifies it transient; stop() frees the held socket', async () => {
    const sim = await simulator({ timeoutRate: 1, timeoutHoldMs: 30_000 });
    // The socket is held 30 s: TIMEOUT means the adapter's 150 ms cut it off.
    const response = await adapter(sim, 150).confirm(tx('tx-1'));
    expect(response).toEqual({ kind: 'network', code: 'TIMEOUT' });
    expect(classifyProviderResponse(response)).toMatchObject({ outcome: 'transient' });
    // stop() must not wait for the held socket: a stop that did would outlast the hold (30 s),
    // and this race would see the hold's end first.
    const stopped = await Promise.race([
      sim.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still holding'), 25_000).unref()),
    ]);
    expect(stopped).toBe('stopped');
  });

  test('after timeoutHoldMs the socket is closed without an answer', async () => {
    const sim = await simulator({ timeoutRate: 1, timeoutHoldMs: 80 });
    const started = performance.now();
    const response = await adapter(sim, 5000).confirm(tx('tx-1'));
    const elapsed = performance.now() - started;
    expect(response.kind).toBe('network');
    expect(response).not.toEqual({ kind: 'network', code: 'TIMEOUT' });
    // Closed after the hold (not at once), and before the adapter's own 5 s timeout (not TIMEOUT).
    expect(elapsed).toBeGreaterThanOrEqual(75);
    expect(classifyProviderResponse(response).outcome).toBe('transient');
  });
});

describe('the real HTTP adapter against each outcome', () => {
  test.each<[string, Partial<ProviderSimulatorOptions>, object]>([
    ['confirmed', {}, { outcome: 'confirmed', providerRef: expect.stringMatching(/^pr_/) }],
    [
      'rejected (200 REJECTED)',
      { rejectionRate: 1, rejectionStyle: 'body' },
      { outcome: 'rejected', reason: expect.any(String) },
    ],
    [
      'rejected (402)',
      { rejectionRate: 1, rejectionStyle: 'status402' },
      { outcome: 'rejected', reason: expect.any(String) },
    ],
    [
      'transient 5xx',
      { transientErrorRate: 1, transientStatuses: [503] },
      { outcome: 'transient', error: expect.stringContaining('503') },
    ],
    [
      'transient 429 with Retry-After',
      { transientErrorRate: 1, transientStatuses: [429], retryAfterSeconds: 12 },
      { outcome: 'transient', retryAfterSeconds: 12 },
    ],
    ['timeout', { timeoutRate: 1, timeoutHoldMs: 5000 }, { outcome: 'transient' }],
  ])('%s', async (_name, knobs, classification) => {
    const sim = await simulator(knobs);
    const response = await adapter(sim, 300).confirm(tx('tx-1'));
    expect(classifyProviderResponse(response)).toMatchObject(classification);
  });
});

describe('script hook', () => {
  test('per-id steps run in order, then the default step, then the knobs', async () => {
    const sim = await simulator();
    const seen: string[] = [];
    sim.script(
      'tx-1',
      { status: 500 },
      { outcome: 'rejected' },
      { before: () => void seen.push('before') },
    );
    expect((await raw(sim, 'tx-1')).status).toBe(500);
    expect((await raw(sim, 'tx-1')).body).toMatchObject({ reason: expect.any(String) });
    // Final: the third step never runs, the rejection is replayed.
    expect((await raw(sim, 'tx-1')).body).toMatchObject({ reason: expect.any(String) });
    expect(seen).toEqual([]);

    sim.setDefault((id) => ({ status: 200, body: { status: 'CONFIRMED', reference: `r-${id}` } }));
    expect((await raw(sim, 'tx-2')).body).toEqual({ status: 'CONFIRMED', reference: 'r-tx-2' });
    sim.setDefault(undefined);
    expect((await raw(sim, 'tx-3')).body).toMatchObject({
      reference: expect.stringMatching(/^pr_/),
    });
  });

  test('drop and raw bodies reach the adapter as a network error and an unknown 2xx', async () => {
    const sim = await simulator();
    sim.script('tx-1', { drop: true }, { status: 200, rawBody: '<html>' });
    const provider = adapter(sim);
    expect((await provider.confirm(tx('tx-1'))).kind).toBe('network');
    expect(await provider.confirm(tx('tx-1'))).toEqual({
      kind: 'http',
      status: 200,
      body: '<html>',
    });
    // Neither was final: the next call is decided by the knobs.
    expect(classifyProviderResponse(await provider.confirm(tx('tx-1'))).outcome).toBe('confirmed');
    expect(sim.stats().outcomes).toMatchObject({ dropped: 1, other: 1, confirmed: 1 });
  });

  test('reset() forgets calls, counters, outcomes and scripts', async () => {
    const sim = await simulator();
    sim.script('tx-2', { status: 503 });
    await raw(sim, 'tx-1');
    await sim.reset();
    expect(sim.calls()).toEqual([]);
    expect(sim.stats()).toMatchObject({ calls: 0, distinctKeys: 0, replays: 0 });
    expect(await sim.finalOutcome('tx-1')).toBeUndefined();
    expect((await raw(sim, 'tx-2')).status).toBe(200);
    expect(sim.calls()[0].replayed).toBe(false);
  });
});

describe('call records and the call log', () => {
  test('an answer is sent only once its line is in the call log (a crash cannot lose the record of an answer seen)', async () => {
    const file = path.join(tmp, 'logs', 'ordered.jsonl');
    const sim = await simulator({ callLogFile: file, seed: 5, transientErrorRate: 0.3 });
    const ids = Array.from({ length: 40 }, (_, i) => `tx-ordered-${i}`);
    // Concurrent calls, so lines queue behind each other in the stream.
    await Promise.all(
      ids.map(async (id) => {
        const answer = await raw(sim, id);
        const logged = fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.includes(`"${id}"`));
        expect(logged.length).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(logged[0])).toMatchObject({ idempotencyKey: id, status: answer.status });
      }),
    );
  });

  test('every call is recorded with its fields, and appended to the JSONL log', async () => {
    const file = path.join(tmp, 'logs', 'nested', 'calls.jsonl');
    const first = await simulator({ callLogFile: file, seed: 2 });
    await raw(first, 'tx-1');
    await raw(first, 'tx-1');
    await raw(first, 'tx-2', { authorization: null });
    expect(first.calls()).toEqual([
      expect.objectContaining({
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        idempotencyKey: 'tx-1',
        transactionId: 'tx-1',
        authorized: true,
        status: 200,
        outcome: 'confirmed',
        replayed: false,
        reference: expect.stringMatching(/^pr_/),
      }),
      expect.objectContaining({ idempotencyKey: 'tx-1', replayed: true, outcome: 'confirmed' }),
      expect.objectContaining({ transactionId: 'tx-2', authorized: false, status: 401 }),
    ]);
    await first.stop();

    // A restarted simulator appends to the same log.
    const second = await simulator({ callLogFile: file, seed: 2 });
    await raw(second, 'tx-3');
    await second.stop();

    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as SimulatedCall).transactionId)).toEqual([
      'tx-1',
      'tx-1',
      'tx-2',
      'tx-3',
    ]);
    expect(JSON.parse(lines[0])).toEqual(JSON.parse(JSON.stringify(first.calls()[0])));
  });

  test('recordCalls false keeps counters only', async () => {
    const sim = await simulator({ recordCalls: false });
    await callMany(sim, ids(20));
    expect(sim.calls()).toEqual([]);
    expect(sim.stats().outcomes.confirmed).toBe(20);
  });

  test('an unwritable call log is refused at start', async () => {
    const file = path.join(tmp, 'not-a-dir');
    fs.writeFileSync(file, '');
    await expect(
      startProviderSimulator({ apiKey: API_KEY, callLogFile: path.join(file, 'calls.jsonl') }),
    ).rejects.toMatchObject({
      name: 'InvalidSimulatorOption',
      message: expect.stringContaining('cannot be written'),
    });
  });
});

describe('outcome store (the provider outlives a crash of the local runtime)', () => {
  it('replays a key confirmed by a previous simulator process with the same reference', async () => {
    const outcomeStoreFile = path.join(tmp, 'outcomes', 'provider-outcomes.jsonl');
    const before = await simulator({ outcomeStoreFile, rejectionRate: 0 });
    const first = classifyProviderResponse(await adapter(before).confirm(tx('tx-crash-1')));
    expect(first.outcome).toBe('confirmed');
    await before.stop();

    // Even with every fresh call now rejected, the stored key keeps its first outcome.
    const after = await simulator({ outcomeStoreFile, rejectionRate: 1 });
    const again = classifyProviderResponse(await adapter(after).confirm(tx('tx-crash-1')));
    expect(again).toEqual(first);
    expect(after.calls()[0]).toMatchObject({ replayed: true, outcome: 'confirmed' });
    expect(after.stats().finalOutcomes).toEqual({ confirmed: 0, rejected: 0 });
    const fresh = classifyProviderResponse(await adapter(after).confirm(tx('tx-crash-2')));
    expect(fresh.outcome).toBe('rejected');
    // reset() forgets them for this run (a call is decided afresh, and stored after the first
    // line); the file keeps them, and the next start replays the first outcome again.
    await after.reset();
    expect(await after.finalOutcome('tx-crash-1')).toBeUndefined();
    expect(classifyProviderResponse(await adapter(after).confirm(tx('tx-crash-1'))).outcome).toBe(
      'rejected',
    );
    await after.stop();
    const restarted = await simulator({ outcomeStoreFile, rejectionRate: 1 });
    expect(classifyProviderResponse(await adapter(restarted).confirm(tx('tx-crash-1')))).toEqual(
      first,
    );
  });

  it('replays every kind of stored answer byte for byte after a restart: a 402 rejection, a 200 rejection, a scripted answer with its own header', async () => {
    const outcomeStoreFile = path.join(tmp, 'outcomes-kinds', 'provider-outcomes.jsonl');
    const before = await simulator({
      outcomeStoreFile,
      rejectionRate: 1,
      rejectionStyle: 'status402',
    });
    before.script('tx-scripted', {
      status: 200,
      body: { status: 'CONFIRMED', reference: 'ref-scripted' },
      headers: { 'X-Provider-Trace': 'abc' },
    });
    const keys = ['tx-402', 'tx-scripted'];
    const first = [];
    for (const key of keys) first.push(await raw(before, key));
    before.configure({ rejectionStyle: 'body' });
    keys.push('tx-200');
    first.push(await raw(before, 'tx-200'));
    await before.stop();

    const after = await simulator({ outcomeStoreFile, rejectionRate: 0 });
    for (const [i, key] of keys.entries()) {
      const again = await raw(after, key);
      expect(again.status).toBe(first[i].status);
      expect(again.body).toEqual(first[i].body);
      expect(again.headers.get('x-provider-trace')).toBe(first[i].headers.get('x-provider-trace'));
    }
    expect(first.map((r) => r.status)).toEqual([402, 200, 200]);
    expect(first[1].headers.get('x-provider-trace')).toBe('abc');
    expect(await after.finalOutcome('tx-402')).toMatchObject({ outcome: 'rejected' });
    expect(await after.finalOutcome('tx-scripted')).toEqual({
      outcome: 'confirmed',
      reference: 'ref-scripted',
    });
    expect(after.stats()).toMatchObject({ replays: 3, distinctKeys: 0 });
  });

  it('concurrent calls with one key while the store is on disk: one fresh outcome, the rest replay it', async () => {
    const sim = await simulator({
      outcomeStoreFile: path.join(tmp, 'outcomes-concurrent.jsonl'),
      // Every call is decided (none refused as in progress): the first decision wins.
      conflictWhileInFlight: false,
      latencyMs: 20,
      rejectionRate: 0.5,
      seed: 9,
    });
    const answers = await Promise.all(Array.from({ length: 8 }, () => raw(sim, 'tx-same')));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(sim.stats().finalOutcomes.confirmed + sim.stats().finalOutcomes.rejected).toBe(1);
    // Later calls (the key no longer held by any call) read it back from disk.
    expect((await raw(sim, 'tx-same')).body).toEqual(answers[0].body);
    expect(sim.calls().at(-1)).toMatchObject({ replayed: true });
  });

  it('lines the index does not cover are indexed at start: a kill before indexing, a file larger than the 1 MiB read chunk, a torn line, an index deleted', async () => {
    const outcomeStoreFile = path.join(tmp, 'outcomes-unindexed', 'provider-outcomes.jsonl');
    const writer = await simulator({ outcomeStoreFile, rejectionRate: 0 });
    await raw(writer, 'tx-big-0');
    const kept = await writer.finalOutcome('tx-big-0');
    await writer.stop();
    expect(kept).toMatchObject({ outcome: 'confirmed' });
    // What a process killed before indexing leaves: lines after the indexed part, the last torn.
    const lineFor = (key: string, reference: string) =>
      JSON.stringify({
        key,
        answer: {
          status: 200,
          text: JSON.stringify({ status: 'CONFIRMED', reference }),
          headers: { 'Content-Type': 'application/json' },
          outcome: 'confirmed',
          reference,
        },
        amount: 1250,
        currency: 'EUR',
        final: { outcome: 'confirmed', reference },
      });
    const n = 12_000;
    // A second line for tx-big-0: the first outcome of a key wins.
    const lines = [lineFor('tx-big-0', 'ref-later')];
    for (let i = 1; i < n; i++) lines.push(lineFor(`tx-big-${i}`, `ref-big-${i}`));
    fs.appendFileSync(outcomeStoreFile, `${lines.join('\n')}\n{"key":"tx-torn"`);
    expect(fs.statSync(outcomeStoreFile).size).toBeGreaterThan(2 ** 20);

    const expectAll = async (sim: ProviderSimulator) => {
      for (let i = 1; i < n; i++) {
        expect(await sim.finalOutcome(`tx-big-${i}`)).toEqual({
          outcome: 'confirmed',
          reference: `ref-big-${i}`,
        });
      }
      expect(await sim.finalOutcome('tx-big-0')).toEqual(kept);
      expect(await sim.finalOutcome('tx-torn')).toBeUndefined();
    };
    const reader = await simulator({ outcomeStoreFile, rejectionRate: 1 });
    await expectAll(reader);
    // A key stored after the torn line is a line of its own, found after the next start too.
    await raw(reader, 'tx-after-torn');
    const afterTorn = await reader.finalOutcome('tx-after-torn');
    expect(afterTorn).toMatchObject({ outcome: 'rejected' });
    expect((await raw(reader, 'tx-big-7')).body).toEqual({
      status: 'CONFIRMED',
      reference: 'ref-big-7',
    });
    await reader.stop();

    // Without its index (a previous version's file, or the index removed) the file is indexed
    // from its first line.
    fs.rmSync(`${outcomeStoreFile}.index`, { recursive: true });
    const again = await simulator({ outcomeStoreFile, rejectionRate: 0 });
    await expectAll(again);
    expect(await again.finalOutcome('tx-after-torn')).toEqual(afterTorn);
  });

  it('on disk, memory keeps only the outcomes of keys that calls hold (a backlog does not grow it)', async () => {
    const store = await OutcomeStore.open(path.join(tmp, 'outcomes-held.jsonl'));
    try {
      const request = { key: 'k1', transactionId: 'k1', amount: 1250, currency: 'EUR' };
      const answer = {
        status: 200,
        text: JSON.stringify({ status: 'CONFIRMED', reference: 'ref-1' }),
        headers: { 'Content-Type': 'application/json' },
        outcome: 'confirmed' as const,
        reference: 'ref-1',
      };
      await store.hold('k1');
      expect(store.has('k1')).toBe(false);
      store.record(request, answer);
      expect(store.get('k1')?.final).toEqual({ outcome: 'confirmed', reference: 'ref-1' });
      await store.indexed();
      store.release('k1');
      expect(store.has('k1')).toBe(false);
      expect((await store.lookup('k1'))?.answer).toEqual(answer);
      // Two calls hold it: it stays in memory until the last one releases it.
      await Promise.all([store.hold('k1'), store.hold('k1')]);
      expect(store.get('k1')?.answer).toEqual(answer);
      store.release('k1');
      expect(store.has('k1')).toBe(true);
      store.release('k1');
      expect(store.has('k1')).toBe(false);
      // A release before the index has it: it leaves memory once indexed.
      await store.hold('k2');
      store.record({ ...request, key: 'k2', transactionId: 'k2' }, answer);
      store.release('k2');
      expect(store.has('k2')).toBe(true);
      await store.indexed();
      expect(store.has('k2')).toBe(false);
      expect(store.finalOutcomes()).toEqual({ confirmed: 2, rejected: 0 });
    } finally {
      await store.close();
    }
  });

  it('an outcome file that cannot be used: InvalidSimulatorOption, named', async () => {
    const notADir = path.join(tmp, 'outcomes-not-a-dir');
    fs.writeFileSync(notADir, 'x');
    const file = path.join(notADir, 'provider-outcomes.jsonl');
    await expect(
      startProviderSimulator({ apiKey: API_KEY, outcomeStoreFile: file }),
    ).rejects.toMatchObject({
      name: 'InvalidSimulatorOption',
      message: expect.stringContaining(`outcomeStoreFile ${file} cannot be used`),
    });
  });
});
