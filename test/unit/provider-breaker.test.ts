import {
  CLASSIFICATION_TABLE,
  classifyProviderResponse,
  type ProviderResponse,
} from '../../lambdas/domain/classification';
import { confirmBatch } from '../../lambdas/domain/confirm-batch';
import type { RawTransaction, TransactionRepository } from '../../lambdas/domain/ports';
import {
  BREAKER,
  BatchCircuit,
  OutageWindow,
  describeEvidence,
  inMemoryBreakerStore,
  openPeriodSeconds,
  outageEvidence,
  probeDue,
  retryAtFor,
} from '../../lambdas/domain/provider-breaker';
import { manualClock } from '../support/fixtures';

const http = (status: number, retryAfterSeconds?: number): ProviderResponse => ({
  kind: 'http',
  status,
  body: {},
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});
const evidenceOf = (response: ProviderResponse) =>
  outageEvidence(response, classifyProviderResponse(response));

describe('outage class (CLASSIFICATION_TABLE)', () => {
  test('no answer, connection errors, 408, 429 and 5xx are outage evidence; the rest is about the transaction', () => {
    expect(CLASSIFICATION_TABLE.filter((row) => row.outage).map((row) => row.rule)).toEqual([
      'rate-limited',
      'request-timeout',
      'server-error',
      'timeout',
      'network',
    ]);
    expect(evidenceOf(http(503, 9))).toEqual({ label: 'HTTP 503', retryAfterSeconds: 9 });
    expect(evidenceOf(http(429))).toEqual({ label: 'HTTP 429' });
    expect(evidenceOf(http(408))).toEqual({ label: 'HTTP 408' });
    expect(evidenceOf({ kind: 'network', code: 'TIMEOUT' })).toEqual({ label: 'TIMEOUT' });
    expect(evidenceOf({ kind: 'network', code: 'ECONNRESET' })).toEqual({ label: 'ECONNRESET' });
    // 409 (in progress) and a 2xx without a final status stay item-level; so does every final answer.
    for (const response of [http(409), http(200), http(402), http(400), http(404)]) {
      expect(evidenceOf(response)).toBeUndefined();
    }
    // 401/403 and redirects are systemic: never evidence either.
    expect(evidenceOf(http(401))).toBeUndefined();
    expect(evidenceOf(http(302))).toBeUndefined();
  });

  test('a 5xx keeps its Retry-After (for the breaker) without changing lastError', () => {
    expect(classifyProviderResponse(http(503, 120))).toMatchObject({
      outcome: 'transient',
      error: 'PROVIDER_UNAVAILABLE: HTTP 503',
      retryAfterSeconds: 120,
      outage: true,
    });
  });
});

describe('the evidence window', () => {
  const outage = { label: 'HTTP 503' };
  test('trips at 19 outage-class answers of the last 20, not before the window is full', () => {
    const w = new OutageWindow();
    expect(w.size).toBe(20);
    for (let i = 0; i < 19; i += 1) w.record(outage);
    expect(w.tripped).toBe(false); // 19 calls: not full yet
    w.record(undefined);
    expect(w.tripped).toBe(true); // 19 of 20
    w.record(undefined);
    expect(w.tripped).toBe(false); // 18 of the last 20
    expect(w.reason()).toBe('HTTP 503 ×18 of 20 calls');
  });

  test('a success in between keeps a half-failing provider far from the threshold', () => {
    const w = new OutageWindow();
    for (let i = 0; i < 1000; i += 1) {
      w.record(i % 2 === 0 ? outage : undefined);
      expect(w.tripped).toBe(false);
    }
  });

  test('a batch of fewer than 20 calls never trips it, even if every call failed', () => {
    const w = new OutageWindow();
    for (let i = 0; i < 19; i += 1) w.record(outage);
    expect(w.tripped).toBe(false);
  });

  test('the reason counts the kinds of failure, most frequent first', () => {
    expect(
      describeEvidence([
        { label: 'HTTP 503' },
        { label: 'ECONNRESET' },
        { label: 'HTTP 503' },
        undefined,
      ]),
    ).toBe('HTTP 503 ×2, ECONNRESET ×1 of 4 calls');
  });
});

describe('open period and retry time', () => {
  test('30 s, doubling per failed probe, at most 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(openPeriodSeconds)).toEqual([
      30, 60, 120, 240, 300, 300, 300,
    ]);
  });

  test('retryAt = max(now + open period, now + Retry-After), Retry-After at most an hour', () => {
    const now = new Date('2024-06-01T12:00:00.000Z');
    expect(retryAtFor(now, 1)).toBe('2024-06-01T12:00:30.000Z');
    expect(retryAtFor(now, 1, 7)).toBe('2024-06-01T12:00:30.000Z');
    expect(retryAtFor(now, 1, 90)).toBe('2024-06-01T12:01:30.000Z');
    expect(retryAtFor(now, 3, 90)).toBe('2024-06-01T12:02:00.000Z');
    expect(retryAtFor(now, 1, 10 * 24 * 3600)).toBe('2024-06-01T13:00:00.000Z');
  });

  test('a probe is due when OPEN past retryAt, or HALF_OPEN past its claim', () => {
    const now = new Date('2024-06-01T12:00:00.000Z');
    expect(probeDue({ state: 'CLOSED' }, now)).toBe(false);
    expect(probeDue({ state: 'OPEN', retryAt: '2024-06-01T12:00:01.000Z' }, now)).toBe(false);
    expect(probeDue({ state: 'OPEN', retryAt: '2024-06-01T12:00:00.000Z' }, now)).toBe(true);
    expect(probeDue({ state: 'HALF_OPEN', probeUntil: '2024-06-01T12:00:05.000Z' }, now)).toBe(
      false,
    );
    expect(probeDue({ state: 'HALF_OPEN', probeUntil: '2024-06-01T11:59:59.000Z' }, now)).toBe(
      true,
    );
  });
});

describe('BatchCircuit (one batch against a shared breaker)', () => {
  const options = { batchId: 'b1', providerTimeoutMs: 1000, hasTime: () => true };

  test('CLOSED: re-reads the breaker after an outage failure at most once a second', async () => {
    const clock = manualClock('2024-06-01T12:00:00.000Z');
    const store = inMemoryBreakerStore();
    const reads = jest.spyOn(store, 'read');
    const circuit = await BatchCircuit.start({ breaker: store, clock }, options);
    circuit.enterClosed();
    expect(reads).toHaveBeenCalledTimes(1);
    await circuit.observe({ label: 'HTTP 503' });
    clock.advance(500);
    await circuit.observe({ label: 'HTTP 503' });
    expect(reads).toHaveBeenCalledTimes(1);
    clock.advance(BREAKER.rereadIntervalMs);
    await circuit.observe(undefined); // a success never triggers a read
    expect(reads).toHaveBeenCalledTimes(1);
    // Another batch opened it: the next outage failure past the interval finds out.
    await store.open({
      openedAt: clock.now().toISOString(),
      retryAt: '2024-06-01T12:00:40.000Z',
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 1,
      now: clock.now().toISOString(),
    });
    await circuit.observe({ label: 'HTTP 503' });
    expect(reads).toHaveBeenCalledTimes(2);
    expect(circuit.mode).toBe('open');
    expect(await circuit.finish(3)).toBe('open');
  });

  test('CLOSED to the end with held-back failures: one last read decides', async () => {
    const clock = manualClock('2024-06-01T12:00:00.000Z');
    const store = inMemoryBreakerStore();
    const circuit = await BatchCircuit.start({ breaker: store, clock }, options);
    circuit.enterClosed();
    await circuit.observe({ label: 'HTTP 503' });
    expect(await circuit.finish(1)).toBe('closed');
  });

  test('a batch that loses the probe claim waits for the verdict, and calls if the probe closed it', async () => {
    const clock = manualClock('2024-06-01T12:00:00.000Z');
    const store = inMemoryBreakerStore({
      state: 'HALF_OPEN',
      probeBy: 'other',
      probeUntil: '2024-06-01T12:00:30.000Z',
      reason: 'x',
    });
    let polls = 0;
    const sleep = async () => {
      polls += 1;
      if (polls === 3) await store.close('other', { now: clock.now().toISOString() });
    };
    const circuit = await BatchCircuit.start({ breaker: store, clock, sleep }, options);
    expect(polls).toBe(3);
    expect(circuit.mode).toBe('closed');
  });

  test('without time left it does not wait: open', async () => {
    const clock = manualClock('2024-06-01T12:00:00.000Z');
    const store = inMemoryBreakerStore({
      state: 'HALF_OPEN',
      probeBy: 'other',
      probeUntil: '2024-06-01T12:00:30.000Z',
    });
    const circuit = await BatchCircuit.start(
      { breaker: store, clock },
      { ...options, hasTime: () => false },
    );
    expect(circuit.mode).toBe('open');
  });

  test('a prober that ran out of time before its first call hands the claim back, due at once', async () => {
    const clock = manualClock('2024-06-01T12:00:00.000Z');
    const store = inMemoryBreakerStore({
      state: 'OPEN',
      retryAt: '2024-06-01T11:59:00.000Z',
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 2,
    });
    const circuit = await BatchCircuit.start({ breaker: store, clock }, options);
    expect(circuit.mode).toBe('probe');
    expect(await circuit.finish(0)).toBe('open');
    expect(store.current()).toMatchObject({
      state: 'OPEN',
      retryAt: '2024-06-01T12:00:00.000Z',
      opens: 2,
      reason: 'HTTP 503 ×20 of 20 calls',
    });
  });
});

describe('confirmBatch with a breaker of its own (no store given)', () => {
  test('a batch that sees the provider down stops calling and writes nothing', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `t-${i}`);
    const writes: string[] = [];
    const transactions: TransactionRepository = {
      getMany: (wanted) =>
        Promise.resolve(
          new Map<string, RawTransaction>(
            wanted.map((id) => [
              id,
              {
                id,
                status: 'PENDING',
                amount: 100,
                currency: 'EUR',
                createdAt: '2024-06-01T10:00:00.000Z',
              },
            ]),
          ),
        ),
      write: (id) => {
        writes.push(id);
        return Promise.resolve('written');
      },
      removeStalePendingShard: () => Promise.resolve('written'),
      queryPending: () => Promise.resolve({ items: [] }),
    };
    let calls = 0;
    const result = await confirmBatch(
      { ids, runId: 'r', dryRun: false },
      {
        transactions,
        provider: {
          confirm: () => {
            calls += 1;
            return Promise.resolve({ kind: 'network', code: 'ECONNREFUSED' });
          },
        },
        clock: manualClock('2024-06-01T12:00:00.000Z'),
      },
      { maxAttempts: 5, parallelism: 1, providerTimeoutMs: 1000, remainingMs: () => 60_000 },
    );
    expect(result).toMatchObject({ processed: 30, unavailable: 30, deferred: 0 });
    expect(calls).toBe(20);
    expect(writes).toEqual([]);
  });
});
