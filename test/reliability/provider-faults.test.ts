// Reliability: the payment provider misbehaves (5xx bursts, 429, timeouts, slow answers near the
// Lambda timeout, refused connections, garbage bodies, a rejection mix) while the real runtime
// runs the synthesized workflow. Every scenario ends with the DESIGN.md §4 invariants read back
// from the store, the pending index and the provider's call log, plus what the scenario promises.
import type { ProviderStep } from '../../local/provider-simulator';
import type { LocalRuntime, RunOutcome } from '../../local/runtime';
import {
  allTransactions,
  expectInvariants,
  runUntilDrained,
  scaled,
  withRuntime,
  type StoredTransaction,
} from './support';

/** One run, started as the schedule would, followed to its end. */
async function run(runtime: LocalRuntime): Promise<RunOutcome> {
  const outcome = await runtime.waitForRun(runtime.startRun({}).executionArn);
  expect(outcome.final.status).toBe('SUCCEEDED');
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
  it('5xx bursts: every call in the window fails, items are deferred with attempts + 1, later runs finish', async () => {
    const n = scaled(600);
    const burst = n + Math.floor(n / 2);
    const statuses = [500, 502, 503];
    let fresh = 0;
    await withRuntime({ provider: { latencyMs: 0, seed: 101 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      // The first `burst` fresh calls all get a 5xx, whichever transaction they are for; then the
      // provider recovers and the knobs (all confirmations) answer.
      rt.provider.setDefault((): ProviderStep => {
        fresh += 1;
        return fresh <= burst ? { status: statuses[fresh % statuses.length] } : {};
      });

      // Run 1 falls entirely inside the burst: nothing is charged, everything stays PENDING.
      const first = totalsOf(await run(rt));
      expect(first).toMatchObject({ confirmed: 0, rejected: 0, failed: 0, deferred: n });
      const afterFirst = await expectInvariants(rt, seeded);
      expect(afterFirst.counts).toEqual({ PENDING: n, CONFIRMED: 0, REJECTED: 0, FAILED: 0 });
      expect(afterFirst.items.every((t) => t.attempts === 1)).toBe(true);
      expect(new Set(afterFirst.items.map((t) => t.lastError))).toEqual(
        new Set(statuses.map((s) => `PROVIDER_UNAVAILABLE: HTTP ${s}`)),
      );
      expect(rt.provider.stats().finalOutcomes).toEqual({ confirmed: 0, rejected: 0 });

      // Run 2: the burst ends half-way through, those items are deferred a second time.
      const second = totalsOf(await run(rt));
      expect(second.deferred).toBe(burst - n);
      expect(second.confirmed).toBe(n - (burst - n));
      const afterSecond = await expectInvariants(rt, seeded);
      const stillPending = byStatus(afterSecond.items, 'PENDING');
      expect(stillPending).toHaveLength(burst - n);
      expect(stillPending.every((t) => t.attempts === 2)).toBe(true);
      expect(byStatus(afterSecond.items, 'CONFIRMED').every((t) => t.attempts === 2)).toBe(true);

      // Run 3: recovered, the rest is confirmed; nobody was charged twice or lost.
      const third = totalsOf(await run(rt));
      expect(third).toMatchObject({ confirmed: burst - n, deferred: 0, failed: 0 });
      const final = await expectInvariants(rt, seeded);
      expect(final.counts).toEqual({ PENDING: 0, CONFIRMED: n, REJECTED: 0, FAILED: 0 });
      const stats = rt.provider.stats();
      expect(stats.outcomes.transient).toBe(burst);
      expect(stats.finalOutcomes).toEqual({ confirmed: n, rejected: 0 });
      expect(final.freshFinalCalls).toBe(n);
      expect(final.items.filter((t) => t.attempts === 3)).toHaveLength(burst - n);
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
          timeoutHoldMs: 5000,
          timeoutsAct: true,
          rejectionRate: 0.1,
          seed: 303,
        },
        // Held 5 s against a 1 s client timeout. (Well above the event-loop stalls of a loaded
        // 2-core machine, where handlers, store and simulator share one process: a call the
        // provider answered can still miss a much tighter timeout. Such a call is deferred and
        // replayed exactly like a drawn timeout, so the checks below allow for it.)
        configOverrides: { providerTimeoutMs: 1000 },
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
          expect(rt.provider.finalOutcome(t.id)).toBeDefined();
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
          const outcome = rt.provider.finalOutcome(t.id)!;
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

  it('connection refused: every item is deferred naming ECONNREFUSED, the next run finishes', async () => {
    const n = scaled(500);
    await withRuntime({ provider: { latencyMs: 0, rejectionRate: 0.1, seed: 505 } }, async (rt) => {
      const seeded = await rt.seedTransactions(n);
      await rt.provider.refuseConnections(true);
      const first = totalsOf(await run(rt));
      expect(first).toMatchObject({ confirmed: 0, rejected: 0, failed: 0, deferred: n });
      expect(rt.provider.stats().calls).toBe(0);
      const afterFirst = await expectInvariants(rt, seeded);
      expect(afterFirst.counts.PENDING).toBe(n);
      for (const t of afterFirst.items) {
        expect(t).toMatchObject({ attempts: 1, lastError: 'PROVIDER_NETWORK: ECONNREFUSED' });
      }

      await rt.provider.refuseConnections(false);
      const second = totalsOf(await run(rt));
      expect(second.confirmed + second.rejected).toBe(n);
      expect(second.rejected).toBeGreaterThan(0);
      const final = await expectInvariants(rt, seeded);
      expect(final.counts.PENDING).toBe(0);
      expect(final.counts.FAILED).toBe(0);
      expect(final.items.every((t) => t.attempts === 2)).toBe(true);
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
          expect(rt.provider.finalOutcome(t.id)?.outcome).toBe(t.status.toLowerCase());
        }
        expect((await allTransactions(rt)).length).toBe(n);
      },
    );
  });
});
