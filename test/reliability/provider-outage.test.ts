// Reliability: the payment provider is down — for several runs, for part of a run, with a
// Retry-After — and the circuit breaker (docs/architecture.md §4, "The provider circuit breaker")
// keeps the outage out of the transactions: attempts count evidence about a transaction, not the
// provider's availability. On the real local runtime (synthesized workflow, in-process handlers,
// dynalite, the simulated provider over loopback HTTP), each scenario ending with the §4
// invariants. Time passes for the breaker through `advanceBreakerClock` (no test sleeps through
// an open period). Also here: run records that tell the truth about a run that never finished.
import { ERROR } from '../../lambdas/contracts';
import type { RunRecord } from '../../lambdas/domain/ports';
import { BREAKER } from '../../lambdas/domain/provider-breaker';
import type { ProviderStep } from '../../local/fakes/provider-simulator';
import type { LocalRuntime, RunOutcome } from '../../local/runtime/local-runtime';
import {
  advanceBreakerClock,
  breakerOf,
  expectInvariants,
  letBreakerRetry,
  runRecordOf,
  runUntilDrained,
  scaled,
  withRuntime,
} from './support';

/** One run that the outage stops: the execution fails with ProviderUnavailable, the record says why. */
async function outageRun(rt: LocalRuntime): Promise<{ outcome: RunOutcome; record: RunRecord }> {
  const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
  expect(outcome.skippedBy).toBeUndefined();
  expect(outcome.final).toMatchObject({ status: 'FAILED', error: ERROR.ProviderUnavailable });
  const record = await runRecordOf(rt, outcome);
  expect(record).toBeDefined();
  expect(record!.status).toBe('PROVIDER_UNAVAILABLE');
  expect(record!.providerUnavailable).toBeDefined();
  const { reason, retryAt } = record!.providerUnavailable!;
  // The execution's cause names the evidence and when the breaker retries; so does the record.
  expect(outcome.final.cause).toContain(reason);
  expect(outcome.final.cause).toContain(retryAt);
  expect(record!.error).toBe(`${ERROR.ProviderUnavailable}: ${outcome.final.cause}`);
  // The lock was released on the way out: the next run is not SKIPPED.
  return { outcome, record: record! };
}

/** A run that ends normally. */
async function run(rt: LocalRuntime): Promise<RunOutcome> {
  const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
  expect(outcome.final.status).toBe('SUCCEEDED');
  expect(outcome.skippedBy).toBeUndefined();
  return outcome;
}

const secondsUntil = (iso: string | undefined) => (Date.parse(String(iso)) - Date.now()) / 1000;

/** Every transaction exactly as seeded: PENDING, attempts 0, no lastError. */
async function expectAllUntouched(rt: LocalRuntime, seeded: readonly string[]): Promise<void> {
  const report = await expectInvariants(rt, seeded);
  expect(report.counts).toEqual({ PENDING: seeded.length, CONFIRMED: 0, REJECTED: 0, FAILED: 0 });
  for (const t of report.items) {
    expect(t.attempts).toBe(0);
    expect(t.lastError).toBeUndefined();
  }
}

describe('reliability: provider outage and the circuit breaker', () => {
  it('full outage over four runs: nothing FAILED or counted, each run fails ProviderUnavailable; the first run after recovery confirms the backlog without a requeue', async () => {
    const n = scaled(600);
    await withRuntime({ provider: { latencyMs: 0, seed: 801 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      let down = true;
      rt.provider.setDefault((): ProviderStep => (down ? { status: 503, body: {} } : {}));

      // Run 1: every answer is a 503. Each batch opens the breaker after 20 calls (or stops when
      // it sees another batch did); nothing is written.
      const first = await outageRun(rt);
      expect(first.record.totals).toMatchObject({ fetched: n, unavailable: n, deferred: 0 });
      expect(first.record.providerUnavailable!.reason).toBe('HTTP 503 ×20 of 20 calls');
      const callsInOutage = rt.provider.stats().calls;
      expect(callsInOutage).toBeLessThan(n);
      expect(secondsUntil(first.record.providerUnavailable!.retryAt)).toBeGreaterThan(20);
      await expectAllUntouched(rt, seeded);

      // Run 2, at once: the retry time is ahead, so the run stops before reading a page.
      const second = await outageRun(rt);
      expect(second.record.totals).toMatchObject({ pages: 0, fetched: 0, unavailable: 0 });
      expect(rt.provider.stats().calls).toBe(callsInOutage);

      // Run 3, after the open period: the provider now refuses connections. One batch probes
      // (3 calls, one at a time) and reopens the breaker for twice as long.
      await rt.provider.refuseConnections(true);
      await letBreakerRetry(rt);
      const third = await outageRun(rt);
      expect(third.record.totals.unavailable).toBe(n);
      expect(third.record.providerUnavailable!.reason).toBe(
        `probe: ECONNREFUSED ×${BREAKER.probeCalls} of ${BREAKER.probeCalls} calls`,
      );
      let breaker = await breakerOf(rt);
      expect(breaker).toMatchObject({ state: 'OPEN', opens: 2 });
      expect(secondsUntil(breaker?.retryAt)).toBeGreaterThan(50);

      // Run 4: the same once more, and the period doubles again.
      await letBreakerRetry(rt);
      await outageRun(rt);
      breaker = await breakerOf(rt);
      expect(breaker).toMatchObject({ state: 'OPEN', opens: 3 });
      expect(secondsUntil(breaker?.retryAt)).toBeGreaterThan(110);
      await expectAllUntouched(rt, seeded);

      // The provider is back. The next run after the retry time probes, closes the breaker and
      // confirms everything: one provider call per transaction, no requeue.
      down = false;
      await rt.provider.refuseConnections(false);
      await letBreakerRetry(rt);
      const recovered = await run(rt);
      expect(recovered.summary!.totals).toMatchObject({ confirmed: n, unavailable: 0, failed: 0 });
      const final = await expectInvariants(rt, seeded);
      expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
      for (const t of final.items) {
        expect(t.attempts).toBe(1);
        expect(t.requeueCount).toBeUndefined();
      }
      expect(final.freshFinalCalls).toBe(n);
      expect(await breakerOf(rt)).toMatchObject({
        state: 'CLOSED',
        lastReason: `probe: ECONNREFUSED ×${BREAKER.probeCalls} of ${BREAKER.probeCalls} calls`,
      });
    });
  });

  it('partial outage: the breaker opens and closes within one run; the run succeeds and the next one confirms the rest', async () => {
    const n = scaled(400);
    let runtime: LocalRuntime | undefined;
    let down = true;
    await withRuntime(
      {
        provider: { latencyMs: 0, seed: 802 },
        // One batch at a time, several pages: the outage ends between two batches of page 1.
        // (A lease long enough for a page of 4 waves: synth validation asks for it.)
        configOverrides: {
          pageSize: 100,
          batchSize: 25,
          maxConcurrency: 1,
          lockLeaseSeconds: 3600,
        },
        interceptInvoke: async (call) => {
          if (call.handler === 'confirm-batch' && down && runtime !== undefined) {
            if ((await breakerOf(runtime))?.state === 'OPEN') {
              // The provider recovers while its open period passes.
              down = false;
              await letBreakerRetry(runtime);
            }
          }
          return call.invoke();
        },
      },
      async (rt) => {
        runtime = rt;
        const seeded = await rt.seedTransactions(n);
        rt.provider.setDefault((): ProviderStep => (down ? { status: 502, body: {} } : {}));

        const first = await run(rt);
        // The first batch (25) saw the outage: 20 failures opened the breaker, then it stopped.
        // The second batch probed, closed it, and the run went on.
        expect(first.summary!.totals).toMatchObject({
          confirmed: n - 25,
          unavailable: 25,
          deferred: 0,
          failed: 0,
        });
        expect(await breakerOf(rt)).toMatchObject({
          state: 'CLOSED',
          lastReason: 'HTTP 502 ×20 of 20 calls',
        });
        const after = await expectInvariants(rt, seeded);
        const pending = after.items.filter((t) => t.status === 'PENDING');
        expect(pending).toHaveLength(25);
        for (const t of pending) {
          expect(t.attempts).toBe(0);
          expect(t.lastError).toBeUndefined();
        }

        const second = await run(rt);
        expect(second.summary!.totals).toMatchObject({ confirmed: 25, unavailable: 0 });
        const final = await expectInvariants(rt, seeded);
        expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
        expect(final.items.every((t) => t.attempts === 1)).toBe(true);
      },
    );
  });

  it('Retry-After is honoured: a 429 naming an HTTP date ten minutes ahead keeps the breaker open past its own 30 s', async () => {
    const n = scaled(200);
    await withRuntime({ provider: { latencyMs: 0, seed: 803 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      let down = true;
      const until = new Date(Date.now() + 600_000).toUTCString();
      rt.provider.setDefault((): ProviderStep =>
        down ? { status: 429, body: {}, headers: { 'Retry-After': until } } : {},
      );

      const first = await outageRun(rt);
      const retryAt = first.record.providerUnavailable!.retryAt;
      expect(secondsUntil(retryAt)).toBeGreaterThan(590);
      expect(secondsUntil(retryAt)).toBeLessThanOrEqual(601);
      expect((await breakerOf(rt))?.retryAt).toBe(retryAt);
      expect(first.record.providerUnavailable!.reason).toBe('HTTP 429 ×20 of 20 calls');

      // 31 s later the breaker's own open period is over, but the provider asked for ten
      // minutes: the run stops without calling it.
      const calls = rt.provider.stats().calls;
      await advanceBreakerClock(rt, 31);
      const second = await outageRun(rt);
      expect(second.record.totals.pages).toBe(0);
      expect(rt.provider.stats().calls).toBe(calls);
      await expectAllUntouched(rt, seeded);

      // Ten minutes on, the provider answers again.
      down = false;
      await letBreakerRetry(rt);
      expect((await run(rt)).summary!.totals.confirmed).toBe(n);
      const final = await expectInvariants(rt, seeded);
      expect(final.counts.CONFIRMED).toBe(n);
    });
  });

  it('item-level failures still reach FAILED: a few transactions the provider keeps failing while the rest succeed', async () => {
    const n = scaled(200);
    await withRuntime({ provider: { latencyMs: 0, seed: 804 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      const bad = seeded.filter((_, i) => i % 40 === 7);
      expect(bad.length).toBeGreaterThanOrEqual(1);
      // maxAttempts is 5: five 503s each, however many runs it takes.
      for (const id of bad) {
        rt.provider.script(id, ...Array.from({ length: 5 }, () => ({ status: 503, body: {} })));
      }

      const outcomes = await runUntilDrained(rt, 6);
      expect(outcomes.map((o) => o.final.status).every((s) => s === 'SUCCEEDED')).toBe(true);
      expect(outcomes).toHaveLength(5);
      expect(outcomes[0].summary!.totals).toMatchObject({
        confirmed: n - bad.length,
        deferred: bad.length,
        unavailable: 0,
      });
      expect(outcomes[4].summary!.totals).toMatchObject({ failed: bad.length, unavailable: 0 });
      const final = await expectInvariants(rt, seeded);
      expect(final.counts).toEqual({
        PENDING: 0,
        CONFIRMED: n - bad.length,
        REJECTED: 0,
        FAILED: bad.length,
      });
      for (const t of final.items.filter((i) => i.status === 'FAILED')) {
        expect(t).toMatchObject({
          attempts: 5,
          lastError: 'MAX_ATTEMPTS: PROVIDER_UNAVAILABLE: HTTP 503',
        });
      }
      // A few failing transactions are no outage: the breaker never opened.
      expect(await breakerOf(rt)).toBeUndefined();
    });
  });
});

describe('reliability: run records tell the truth about runs that never finished', () => {
  it('an aborted run’s record shows the pages it read and what its batches did', async () => {
    const n = scaled(400);
    await withRuntime(
      {
        provider: { latencyMs: 10, seed: 805 },
        configOverrides: { pageSize: 50, batchSize: 25, maxConcurrency: 2 },
      },
      async (rt) => {
        const seeded = await rt.seedTransactions(n);
        const started = rt.startRun({});
        const deadline = Date.now() + 60_000;
        while (rt.provider.stats().calls <= n / 2) {
          if (Date.now() > deadline) throw new Error('the run never got half-way');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        rt.engine.stopExecution(started.executionArn, { error: 'Operator', cause: 'test' });
        const aborted = await rt.waitForRun(started.executionArn);
        expect(aborted.final.status).toBe('ABORTED');
        await rt.engine.idle?.();
        await rt.settled();

        const record = await runRecordOf(rt, aborted);
        expect(record?.status).toBe('ABORTED');
        // More than half the transactions were called: FetchPage had folded at least 3 pages.
        expect(record!.totals.pages).toBeGreaterThanOrEqual(4);
        expect(record!.totals.fetched).toBeGreaterThanOrEqual(200);
        expect(record!.totals.confirmed).toBeGreaterThanOrEqual(150);
        expect(record!.totals.confirmed).toBeLessThan(n);
        expect(typeof record!.progressAt).toBe('string');

        await run(rt);
        const final = await expectInvariants(rt, seeded);
        expect(final.counts.CONFIRMED).toBe(n);
      },
    );
  });
});
