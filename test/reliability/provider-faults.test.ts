// Reliability: the payment provider misbehaves (5xx bursts, scattered 5xx, 429, timeouts, slow
// answers near the Lambda timeout, refused connections, garbage bodies, a rejection mix) while the
// real runtime runs the synthesized workflow. Every scenario ends with the docs/architecture.md §4
// invariants read back from the store, the pending index and the provider's call log, plus what
// the scenario promises. Outages long enough to open the circuit breaker are also in
// provider-outage.test.ts.
import { ERROR } from '../../lambdas/contracts';
import type { ProviderStep } from '../../local/fakes/provider-simulator';
import type { LocalRuntime, RunOutcome } from '../../local/runtime/local-runtime';
import {
  allTransactions,
  breakerOf,
  expectInvariants,
  letBreakerRetry,
  runRecordOf,
  runUntilDrained,
  scaled,
  withRuntime,
  type StoredTransaction,
} from './support';

/** One run, started as the schedule would, followed to its end. */
async function run(runtime: LocalRuntime): Promise<RunOutcome> {
  const outcome = await runtime.waitForRun(runtime.startRun({}).executionArn);
  // The error and cause ride along so a failed run says why in the test output.
  const { status, error, cause } = outcome.final;
  expect({ status, error, cause }).toEqual({
    status: 'SUCCEEDED',
    error: undefined,
    cause: undefined,
  });
  expect(outcome.skippedBy).toBeUndefined();
  return outcome;
}

function totalsOf(outcome: RunOutcome) {
  expect(outcome.summary).toBeDefined();
  return outcome.summary!.totals;
}

function byStatus(items: readonly StoredTransaction[], status: string): StoredTransaction[] {
  return items.filter((t) => t.status === status);
}

/** How many times each transaction was called at the provider. */
function callsPerKey(runtime: LocalRuntime): Map<string, number> {
  const perKey = new Map<string, number>();
  for (const call of runtime.provider.calls()) {
    const key = call.idempotencyKey ?? '';
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  return perKey;
}

const BATCH_SIZE = 50;

describe('reliability: provider faults', () => {
  it('5xx burst: the circuit breaker opens, nothing is deferred, counted or charged; the run after the burst confirms everything', async () => {
    const n = scaled(600);
    const statuses = [500, 502, 503];
    let fresh = 0;
    let down = true;
    await withRuntime({ provider: { latencyMs: 0, seed: 101 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      // While the burst lasts every fresh call gets a 5xx, whichever transaction it is for.
      rt.provider.setDefault((): ProviderStep => {
        fresh += 1;
        return down ? { status: statuses[fresh % statuses.length] } : {};
      });

      // Run 1 falls inside the burst: the batches open the breaker and stop calling; the run
      // fails with ProviderUnavailable; nothing is charged, every item is exactly as it was.
      const first = await rt.waitForRun(rt.startRun({}).executionArn);
      expect(first.final).toMatchObject({ status: 'FAILED', error: ERROR.ProviderUnavailable });
      const record = await runRecordOf(rt, first);
      expect(record).toMatchObject({
        status: 'PROVIDER_UNAVAILABLE',
        totals: { confirmed: 0, rejected: 0, failed: 0, deferred: 0, unavailable: n },
      });
      expect(record!.providerUnavailable!.reason).toMatch(
        /^HTTP 50[023] ×\d+(, HTTP 50[023] ×\d+)* of 20 calls$/,
      );
      const afterFirst = await expectInvariants(rt, seeded);
      expect(afterFirst.counts).toEqual({ PENDING: n, CONFIRMED: 0, REJECTED: 0, FAILED: 0 });
      for (const t of afterFirst.items) {
        expect(t.attempts).toBe(0);
        expect(t.lastError).toBeUndefined();
      }
      expect(rt.provider.stats().finalOutcomes).toEqual({ confirmed: 0, rejected: 0 });
      // Each batch stopped after about one window of calls, not one call per transaction.
      const burstCalls = rt.provider.stats().outcomes.transient;
      expect(burstCalls).toBeLessThan(n);

      // The burst ends; once the breaker's open period is over, the next run probes the provider,
      // closes the breaker and confirms everything: no requeue, one attempt each.
      down = false;
      await letBreakerRetry(rt);
      const second = totalsOf(await run(rt));
      expect(second).toMatchObject({ confirmed: n, deferred: 0, failed: 0, unavailable: 0 });
      const final = await expectInvariants(rt, seeded);
      expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
      expect(final.items.every((t) => t.attempts === 1)).toBe(true);
      expect(rt.provider.stats().outcomes.transient).toBe(burstCalls);
      expect(final.freshFinalCalls).toBe(n);
      expect((await breakerOf(rt))?.state).toBe('CLOSED');
    });
  });

  it('scattered 5xx below the breaker threshold: items are deferred with attempts + 1 and lastError, later runs finish', async () => {
    const n = scaled(600);
    const statuses = [500, 502, 503];
    await withRuntime({ provider: { latencyMs: 0, seed: 102 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      // One transaction in three gets one 5xx: item-level evidence, far from 19 of 20.
      const failing = seeded.filter((_, i) => i % 3 === 1);
      failing.forEach((id, i) => rt.provider.script(id, { status: statuses[i % statuses.length] }));

      const first = totalsOf(await run(rt));
      expect(first).toMatchObject({
        confirmed: n - failing.length,
        deferred: failing.length,
        unavailable: 0,
      });
      const afterFirst = await expectInvariants(rt, seeded);
      const pending = byStatus(afterFirst.items, 'PENDING');
      expect(pending.map((t) => t.id).sort()).toEqual([...failing].sort());
      for (const t of pending) {
        expect(t.attempts).toBe(1);
        expect(t.lastError).toMatch(/^PROVIDER_UNAVAILABLE: HTTP 50[023]$/);
      }
      expect(await breakerOf(rt)).toBeUndefined();

      const second = totalsOf(await run(rt));
      expect(second).toMatchObject({ confirmed: failing.length, deferred: 0 });
      const final = await expectInvariants(rt, seeded);
      expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
    });
  });

  it('429 with Retry-After: deferred to a later run with the delay recorded in lastError, never retried in the same run', async () => {
    const n = scaled(600);
    await withRuntime(
      {
        provider: {
          latencyMs: 0,
          transientErrorRate: 0.4,
          transientStatuses: [429],
          retryAfterSeconds: 7,
          seed: 202,
        },
      },
      async (rt) => {
        const seeded = await rt.seedTransactions(n);
        // A 429 without Retry-After, and one whose Retry-After is an HTTP date in the past.
        const bare = seeded.filter((_, i) => i % 97 === 3);
        const dated = seeded.filter((_, i) => i % 97 === 5);
        for (const id of bare) rt.provider.script(id, { status: 429 });
        for (const id of dated) {
          rt.provider.script(id, {
            status: 429,
            headers: { 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' },
          });
        }

        const first = totalsOf(await run(rt));
        const rateLimited = rt.provider.stats().outcomes.transient;
        expect(rateLimited).toBeGreaterThan(n / 5);
        expect(first.deferred).toBe(rateLimited);
        expect(first.confirmed).toBe(n - rateLimited);
        // One call per transaction: a 429 is not hammered again within the run.
        expect([...callsPerKey(rt).values()].every((c) => c === 1)).toBe(true);
        expect(rt.provider.calls()).toHaveLength(n);

        const afterFirst = await expectInvariants(rt, seeded);
        const pending = byStatus(afterFirst.items, 'PENDING');
        expect(pending).toHaveLength(rateLimited);
        const special = new Set([...bare, ...dated]);
        for (const t of pending) {
          expect(t.attempts).toBe(1);
          if (bare.includes(t.id)) expect(t.lastError).toBe('PROVIDER_RATE_LIMITED: HTTP 429');
          else if (dated.includes(t.id)) {
            expect(t.lastError).toBe('PROVIDER_RATE_LIMITED: HTTP 429, retry after 0 s');
          } else expect(t.lastError).toBe('PROVIDER_RATE_LIMITED: HTTP 429, retry after 7 s');
        }
        expect(pending.filter((t) => special.has(t.id))).toHaveLength(special.size);

        // The provider stops rate limiting: the next run confirms what was deferred.
        rt.provider.configure({ transientErrorRate: 0 });
        const second = totalsOf(await run(rt));
        expect(second).toMatchObject({ confirmed: rateLimited, deferred: 0 });
        const final = await expectInvariants(rt, seeded);
        expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
        expect(final.freshFinalCalls).toBe(n);
      },
    );
  });

  it('timeouts after the provider acted: the retry replays the stored outcome, nobody is charged twice', async () => {
    const n = scaled(1000);
    await withRuntime(
      {
        provider: {
          latencyMs: 0,
          timeoutRate: 0.2,
          timeoutHoldMs: 10000,
          timeoutsAct: true,
          rejectionRate: 0.1,
          seed: 303,
        },
        // Held 10 s against a 3 s client timeout. Handlers, store and simulator share one process
        // here, so an event-loop stall longer than the client timeout times out every call in
        // flight at once; on a loaded 2-core CI machine a 1 s timeout let 19 of a batch's 20
        // answers in a row be timeouts, which opens the circuit breaker (correctly) and fails the
        // run. A call the provider answered that still misses the timeout is deferred and replayed
        // exactly like a drawn timeout, so the checks below allow for it.
        configOverrides: { providerTimeoutMs: 3000 },
      },
      async (rt) => {
        const seeded = await rt.seedTransactions(n);
        const first = totalsOf(await run(rt));
        // Drawn timeouts: held by the provider after it acted, never answered.
        const timedOut = rt.provider.stats().outcomes.timeout;
        expect(timedOut).toBeGreaterThan(n / 10);
        expect(first.deferred).toBeGreaterThanOrEqual(timedOut);

        const afterFirst = await expectInvariants(rt, seeded);
        const pending = byStatus(afterFirst.items, 'PENDING');
        expect(pending).toHaveLength(first.deferred);
        const heldIds = new Set(
          rt.provider
            .calls()
            .filter((c) => c.outcome === 'timeout')
            .map((c) => c.idempotencyKey),
        );
        expect(heldIds.size).toBe(timedOut);
        const pendingIds = new Set(pending.map((t) => t.id));
        for (const id of heldIds) expect(pendingIds.has(id!)).toBe(true);
        for (const t of pending) {
          expect(t).toMatchObject({ attempts: 1, lastError: 'PROVIDER_TIMEOUT' });
          // The provider acted on the lost call: its outcome is already stored.
          expect(await rt.provider.finalOutcome(t.id)).toBeDefined();
        }
        // Every transaction was acted on exactly once, the timed-out ones included.
        const acted = rt.provider.stats().finalOutcomes;
        expect(acted.confirmed + acted.rejected).toBe(n);
        expect(acted.rejected).toBeGreaterThan(0);

        rt.provider.configure({ timeoutRate: 0 });
        await runUntilDrained(rt, 3);
        const final = await expectInvariants(rt, seeded);
        expect(final.counts.PENDING).toBe(0);
        expect(final.counts.FAILED).toBe(0);
        // Each timed-out transaction was answered by a replay; none got a second fresh outcome.
        expect(final.replays).toBeGreaterThanOrEqual(pending.length);
        expect(rt.provider.stats().replays).toBe(final.replays);
        expect(final.freshFinalCalls).toBe(n - timedOut);
        expect(rt.provider.stats().finalOutcomes).toEqual(acted);
        const byId = new Map(final.items.map((t) => [t.id, t]));
        for (const t of pending) {
          const stored = byId.get(t.id)!;
          const outcome = (await rt.provider.finalOutcome(t.id))!;
          expect(stored.status).toBe(outcome.outcome === 'confirmed' ? 'CONFIRMED' : 'REJECTED');
          if (outcome.outcome === 'confirmed') expect(stored.providerRef).toBe(outcome.reference);
          expect(stored.attempts).toBeGreaterThanOrEqual(2);
        }
      },
    );
  });

  it('slow answers near the Lambda timeout: the deadline leaves items PENDING instead of the Lambda timing out', async () => {
    const n = scaled(200);
    const batches = Math.ceil(n / BATCH_SIZE);
    let invocations = 0;
    let failedChildren = 0;
    await withRuntime(
      {
        // 700..1000 ms per answer against a 900 ms client timeout: some calls time out too.
        provider: { latencyMs: 700, jitterMs: 300, seed: 404 },
        // The smallest Lambda budget the config allows for this provider timeout (900 + 5000 < 6000):
        // calls start only while 900 + 2000 ms are left, so each of the 5 workers gets ~4 of its 10.
        configOverrides: {
          confirmBatchTimeoutSeconds: 6,
          providerTimeoutMs: 900,
          batchSize: BATCH_SIZE,
        },
        interceptInvoke: (call) => {
          if (call.handler === 'confirm-batch') invocations += 1;
          return call.invoke();
        },
        onBatch: (result) => {
          if (result === undefined) failedChildren += 1;
        },
      },
      async (rt) => {
        const seeded = await rt.seedTransactions(n);
        const first = totalsOf(await run(rt));
        // No batch timed out (a timed-out Lambda is retried by the workflow: more invocations).
        expect(invocations).toBe(batches);
        expect(failedChildren).toBe(0);
        expect(first.failedBatches).toBe(0);
        expect(first.deferred).toBeGreaterThan(0);
        expect(first.confirmed).toBeGreaterThan(0);

        const afterFirst = await expectInvariants(rt, seeded);
        const pending = byStatus(afterFirst.items, 'PENDING');
        expect(pending).toHaveLength(first.deferred);
        // Left at the deadline: never sent, untouched (attempts unchanged, no error).
        const untouched = pending.filter((t) => t.attempts === 0);
        expect(untouched.length).toBeGreaterThan(0);
        const called = callsPerKey(rt);
        for (const t of untouched) {
          expect(t.lastError).toBeUndefined();
          expect(called.has(t.id)).toBe(false);
        }
        // Sent but not answered in time: deferred as a timeout, attempts + 1.
        for (const t of pending.filter((p) => p.attempts !== 0)) {
          expect(t).toMatchObject({ attempts: 1, lastError: 'PROVIDER_TIMEOUT' });
        }

        rt.provider.configure({ latencyMs: 0, jitterMs: 0 });
        await runUntilDrained(rt, 3);
        const final = await expectInvariants(rt, seeded);
        expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
        expect(failedChildren).toBe(0);
      },
    );
  });

  it('connection refused: the circuit breaker opens naming ECONNREFUSED, items stay untouched; the run after recovery finishes', async () => {
    const n = scaled(500);
    await withRuntime({ provider: { latencyMs: 0, rejectionRate: 0.1, seed: 505 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      await rt.provider.refuseConnections(true);
      const first = await rt.waitForRun(rt.startRun({}).executionArn);
      expect(first.final).toMatchObject({ status: 'FAILED', error: ERROR.ProviderUnavailable });
      expect(first.final.cause).toContain('ECONNREFUSED ×20 of 20 calls');
      expect(await runRecordOf(rt, first)).toMatchObject({
        status: 'PROVIDER_UNAVAILABLE',
        totals: { deferred: 0, unavailable: n },
      });
      expect(rt.provider.stats().calls).toBe(0);
      const afterFirst = await expectInvariants(rt, seeded);
      expect(afterFirst.counts.PENDING).toBe(n);
      for (const t of afterFirst.items) {
        expect(t.attempts).toBe(0);
        expect(t.lastError).toBeUndefined();
      }

      await rt.provider.refuseConnections(false);
      await letBreakerRetry(rt);
      const second = totalsOf(await run(rt));
      expect(second.confirmed + second.rejected).toBe(n);
      expect(second.rejected).toBeGreaterThan(0);
      const final = await expectInvariants(rt, seeded);
      expect(final.counts.PENDING).toBe(0);
      expect(final.counts.FAILED).toBe(0);
      expect(final.items.every((t) => t.attempts === 1)).toBe(true);
      expect(rt.provider.calls()).toHaveLength(n);
    });
  });

  it('garbage bodies: classified per the table, neighbours processed, transient ones finish later', async () => {
    const n = scaled(300);
    const badResponse = 'PROVIDER_BAD_RESPONSE: HTTP 200 without a final status';
    const kinds: { step: ProviderStep; status: 'PENDING' | 'FAILED'; lastError: string }[] = [
      {
        step: { status: 200, rawBody: '<html><body>OK</body></html>' },
        status: 'PENDING',
        lastError: badResponse,
      },
      { step: { status: 200, rawBody: '' }, status: 'PENDING', lastError: badResponse },
      {
        step: {
          status: 200,
          rawBody: '{"status":"CONFIRMED","refer',
          headers: { 'Content-Type': 'application/json' },
        },
        status: 'PENDING',
        lastError: badResponse,
      },
      {
        step: { status: 200, rawBody: '\u0000\u0001\u00ff'.repeat(20_000) },
        status: 'PENDING',
        lastError: badResponse,
      },
      {
        step: { status: 200, body: { status: 'MAYBE' } },
        status: 'PENDING',
        lastError: badResponse,
      },
      {
        step: { status: 500, rawBody: 'Internal Server Error' },
        status: 'PENDING',
        lastError: 'PROVIDER_UNAVAILABLE: HTTP 500',
      },
      {
        step: { status: 502, rawBody: '<html>Bad Gateway</html>' },
        status: 'PENDING',
        lastError: 'PROVIDER_UNAVAILABLE: HTTP 502',
      },
      {
        step: { status: 503, rawBody: '{not json' },
        status: 'PENDING',
        lastError: 'PROVIDER_UNAVAILABLE: HTTP 503',
      },
      {
        step: { status: 400, rawBody: '<html>Bad Request</html>' },
        status: 'FAILED',
        lastError: 'PROVIDER_HTTP_400',
      },
    ];
    await withRuntime({ provider: { latencyMs: 0, seed: 606 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      // Every 4th transaction gets one garbage answer (kinds in turn); its neighbours get none.
      const expected = new Map<string, (typeof kinds)[number]>();
      seeded.forEach((id, i) => {
        if (i % 4 !== 1) return;
        const kind = kinds[expected.size % kinds.length];
        expected.set(id, kind);
        rt.provider.script(id, kind.step);
      });
      const transient = [...expected.values()].filter((k) => k.status === 'PENDING').length;
      const permanent = expected.size - transient;
      expect(permanent).toBeGreaterThan(0);

      const first = totalsOf(await run(rt));
      expect(first).toMatchObject({
        confirmed: n - expected.size,
        failed: permanent,
        deferred: transient,
        rejected: 0,
      });
      const afterFirst = await expectInvariants(rt, seeded);
      for (const t of afterFirst.items) {
        const kind = expected.get(t.id);
        if (kind === undefined) {
          expect(t.status).toBe('CONFIRMED');
          continue;
        }
        expect(t).toMatchObject({ status: kind.status, attempts: 1, lastError: kind.lastError });
      }

      // Garbage is never a final outcome: the retry gets a real answer (no replay of garbage).
      const second = totalsOf(await run(rt));
      expect(second).toMatchObject({ confirmed: transient, deferred: 0, failed: 0 });
      const final = await expectInvariants(rt, seeded);
      expect(final.counts).toEqual({
        PENDING: 0,
        CONFIRMED: n - permanent,
        REJECTED: 0,
        FAILED: permanent,
      });
      expect(final.replays).toBe(0);
    });
  });

  it('a rejection mix (200 REJECTED and 402): stored outcomes match the provider one for one', async () => {
    const n = scaled(2000);
    await withRuntime(
      {
        provider: {
          latencyMs: 0,
          jitterMs: 5,
          rejectionRate: 0.3,
          rejectionStyle: 'mixed',
          seed: 707,
        },
      },
      async (rt) => {
        const seeded = await rt.seedTransactions(n);
        const totals = totalsOf(await run(rt));
        const report = await expectInvariants(rt, seeded);
        const provider = rt.provider.stats().finalOutcomes;

        expect(report.counts.REJECTED).toBe(provider.rejected);
        expect(report.counts.CONFIRMED).toBe(provider.confirmed);
        expect(report.counts.PENDING + report.counts.FAILED).toBe(0);
        expect(totals).toMatchObject({
          confirmed: provider.confirmed,
          rejected: provider.rejected,
          deferred: 0,
          failed: 0,
        });
        expect(provider.rejected).toBeGreaterThan(n * 0.2);
        expect(provider.rejected).toBeLessThan(n * 0.4);

        // Both rejection styles were answered and both became REJECTED with the provider's reason.
        const rejections = rt.provider.calls().filter((c) => c.outcome === 'rejected');
        expect(new Set(rejections.map((c) => c.status))).toEqual(new Set([200, 402]));
        const reasonOf = new Map(rejections.map((c) => [c.idempotencyKey, c.reason]));
        for (const t of byStatus(report.items, 'REJECTED')) {
          expect(t.lastError).toBe(reasonOf.get(t.id));
          expect(['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'DO_NOT_HONOR']).toContain(t.lastError);
        }
        for (const t of report.items) {
          expect((await rt.provider.finalOutcome(t.id))?.outcome).toBe(t.status.toLowerCase());
        }
        expect((await allTransactions(rt)).length).toBe(n);
      },
    );
  });
});
