// Reliability: crashes and concurrency (docs/architecture.md §3–§4). Each scenario runs the real local
// runtime (synthesized workflow, in-process handlers, dynalite, the simulated provider) with a
// fault injected through interceptInvoke / storeFaults, then reads the §4 invariants back.
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchResult, RunSummary } from '../../lambdas/contracts';
import { LOCK_KEY, RUN_PARTITION } from '../../lambdas/adapters/dynamo-run-store';
import type { InvocationCall, LocalRuntime } from '../../local/runtime/local-runtime';
import { type StoreRequest, requestItemId } from '../../local/fakes/store-fault-proxy';
import { dev } from '../support/stages';
import { expectInvariants, scaled, withRuntime } from './support';

/** The confirm-batch event of one Distributed Map child. */
interface BatchEvent {
  Items: { id: string }[];
  BatchInput: { runId: string; dryRun: boolean };
}

const batchOf = (call: InvocationCall) => call.event as BatchEvent;
const idsOf = (call: InvocationCall) => batchOf(call).Items.map((item) => item.id);
/** A batch is known by its first id (the ItemBatcher cuts the same page the same way on retry). */
const batchKey = (call: InvocationCall) => idsOf(call)[0];

/** A terminal UpdateItem of a transaction (the one that sets status and ADDs terminalWrites). */
function terminalWriteId(runtime: () => LocalRuntime, request: StoreRequest): string | undefined {
  if (request.operation !== 'UpdateItem') return undefined;
  if (request.body.TableName !== runtime().stack.tableNames.transactions) return undefined;
  const values = request.body.ExpressionAttributeValues as Record<string, unknown> | undefined;
  if (values?.[':status'] === undefined) return undefined;
  return requestItemId(request);
}

/** One confirm-batch invocation as the hook saw it end. */
interface Invocation {
  key: string;
  attempt: number;
  ids: string[];
  runId: string;
  result?: BatchResult;
  error?: string;
}

/**
 * Records every confirm-batch invocation (attempt number per batch, result or error) and keeps
 * the ones in flight, so a scenario can wait for handlers an aborted Map left running.
 */
class InvocationLog {
  readonly invocations: Invocation[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `body` for a confirm-batch call (other handlers run as they are). */
  intercept(
    body: (call: InvocationCall, invocation: Invocation) => Promise<unknown>,
  ): (call: InvocationCall) => Promise<unknown> {
    return (call) => {
      if (call.handler !== 'confirm-batch') return call.invoke();
      const key = batchKey(call);
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      const invocation: Invocation = {
        key,
        attempt,
        ids: idsOf(call),
        runId: batchOf(call).BatchInput.runId,
      };
      const work = (async () => {
        try {
          invocation.result = (await body(call, invocation)) as BatchResult;
          return invocation.result;
        } catch (error) {
          invocation.error = (error as Error).name;
          throw error;
        } finally {
          this.invocations.push(invocation);
        }
      })();
      const tracked = work.catch(() => undefined);
      this.running.add(tracked);
      void tracked.then(() => this.running.delete(tracked));
      return work;
    };
  }

  /** Invocations per batch key. */
  byBatch(): Map<string, Invocation[]> {
    const out = new Map<string, Invocation[]>();
    for (const inv of this.invocations) out.set(inv.key, [...(out.get(inv.key) ?? []), inv]);
    for (const list of out.values()) list.sort((a, b) => a.attempt - b.attempt);
    return out;
  }

  /** Waits for every invocation still running (an aborted Map does not stop its handlers). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

async function readLock(runtime: LocalRuntime) {
  const response = await runtime.ddb.send(
    new GetCommand({
      TableName: runtime.stack.tableNames.runs,
      Key: LOCK_KEY,
      ConsistentRead: true,
    }),
  );
  return response.Item as
    { runId: string; executionArn: string; expiresAt: string; acquiredAt: string } | undefined;
}

async function readRun(runtime: LocalRuntime, runId: string) {
  const response = await runtime.ddb.send(
    new GetCommand({
      TableName: runtime.stack.tableNames.runs,
      Key: { pk: RUN_PARTITION, sk: runId },
      ConsistentRead: true,
    }),
  );
  return response.Item as
    | { status: string; error?: string; executionArn: string; holder?: { runId: string } }
    | undefined;
}

async function runRecords(runtime: LocalRuntime) {
  const response = await runtime.ddb.send(
    new QueryCommand({
      TableName: runtime.stack.tableNames.runs,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': RUN_PARTITION },
      ConsistentRead: true,
    }),
  );
  return (response.Items ?? []) as {
    status: string;
    executionArn: string;
    holder?: { runId: string };
  }[];
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const done = (totals: RunSummary['totals']) => totals.confirmed + totals.rejected;
const batchesOf = (n: number) => Math.ceil(n / dev.batchSize);
/** The workflow's ConfirmBatch Retry: attempts of one batch in all. */
const BATCH_ATTEMPTS = 1 + dev.confirmBatchRetry.maxAttempts;

describe('reliability: crashes and concurrency', () => {
  it('crash after provider success, before the DB write: the batch retry replays the provider and confirms once', async () => {
    const log = new InvocationLog();
    /** confirm-batch invocations that carried each id. */
    const deliveries = new Map<string, number>();
    const drops = new Map<string, number>();
    let rt!: LocalRuntime;
    let faulted = new Set<string>();
    await withRuntime(
      {
        provider: { latencyMs: 0, rejectionRate: 0.1, seed: 21 },
        interceptInvoke: log.intercept((call) => {
          for (const id of idsOf(call)) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
          return call.invoke();
        }),
        // Every SDK attempt of the terminal write fails during the id's first delivery: the
        // provider has acted, the store never hears of it, the handler throws SystemicFault.
        storeFaults: (request) => {
          const id = terminalWriteId(() => rt, request);
          if (id === undefined || !faulted.has(id) || deliveries.get(id) !== 1) return undefined;
          drops.set(id, (drops.get(id) ?? 0) + 1);
          return { kind: 'drop' };
        },
      },
      async (runtime) => {
        rt = runtime;
        const n = scaled(800);
        const seeded = await runtime.seedTransactions(n);
        faulted = new Set(seeded.filter((_, i) => i % 7 === 3));

        const outcome = await runtime.waitForRun(runtime.startRun().executionArn);
        expect(outcome.final.status).toBe('SUCCEEDED');
        const report = await expectInvariants(runtime, seeded);

        // Ids whose write was cut after a fresh provider call (a faulted id whose batch had
        // already failed before reaching it was simply processed by the retry).
        const crashed = [...drops.keys()];
        expect(crashed.length).toBeGreaterThan(0);
        // The SDK retried cut writes before the handler gave up (each connection error costs 10
        // of the client's 500 retry tokens, so once they are spent a cut write fails at once).
        const totalDrops = crashed.reduce((sum, id) => sum + drops.get(id)!, 0);
        expect(totalDrops).toBeGreaterThan(crashed.length);
        expect(report.counts.PENDING).toBe(0);
        // Each crashed id was called twice at the provider: once fresh, once replayed.
        expect(report.replays).toBe(crashed.length);
        expect(report.freshFinalCalls).toBe(n);
        expect(report.freshFinalCalls).toBe(report.counts.CONFIRMED + report.counts.REJECTED);
        const items = new Map(report.items.map((t) => [t.id, t]));
        for (const id of crashed) {
          expect(['CONFIRMED', 'REJECTED']).toContain(items.get(id)?.status);
          expect(items.get(id)?.terminalWrites).toBe(1);
          expect(deliveries.get(id)).toBe(2);
        }
        // Every batch that held a crashed id failed once with SystemicFault, then succeeded.
        for (const [, attempts] of log.byBatch()) {
          if (!attempts[0].ids.some((id) => drops.has(id))) continue;
          expect(attempts.map((a) => a.error ?? 'ok')).toEqual(['SystemicFault', 'ok']);
        }
        // A retried batch reports what its first attempt wrote as skipped.
        const totals = outcome.summary!.totals;
        expect(done(totals) + totals.skipped).toBe(n);
        expect(totals.skipped).toBeGreaterThan(0);
      },
    );
  });

  it('crash in the middle of a batch: the writes before the crash stay, the retry finishes the rest', async () => {
    const log = new InvocationLog();
    const K = 20;
    /** The invocation that currently carries each id, and its crash state. */
    const current = new Map<string, Invocation & { writes: number; failId?: string }>();
    const order = new Map<string, number>();
    /** Every other batch (in the order they first arrive) crashes in its first attempt. */
    const crashing = (key: string) => order.get(key)! % 2 === 0;
    let rt!: LocalRuntime;
    await withRuntime(
      {
        provider: { latencyMs: 0, rejectionRate: 0.1, seed: 22 },
        interceptInvoke: log.intercept((call, invocation) => {
          if (!order.has(invocation.key)) order.set(invocation.key, order.size);
          const state = Object.assign(invocation, { writes: 0 });
          for (const id of invocation.ids) current.set(id, state);
          return call.invoke();
        }),
        // The K-th terminal write of a crashing batch's first attempt never gets through: the
        // handler dies there (SystemicFault) after the writes in flight beside it have landed.
        storeFaults: (request) => {
          const id = terminalWriteId(() => rt, request);
          const inv = id === undefined ? undefined : current.get(id);
          if (inv === undefined || inv.attempt !== 1 || !crashing(inv.key)) return undefined;
          if (inv.failId === undefined) {
            inv.writes += 1;
            if (inv.writes === K) inv.failId = id;
          } else if (inv.failId !== id) {
            inv.writes += 1;
          }
          return inv.failId === id ? { kind: 'drop' } : undefined;
        },
      },
      async (runtime) => {
        rt = runtime;
        const n = scaled(800);
        const seeded = await runtime.seedTransactions(n);
        const outcome = await runtime.waitForRun(runtime.startRun().executionArn);
        expect(outcome.final.status).toBe('SUCCEEDED');
        const report = await expectInvariants(runtime, seeded);
        expect(report.counts.PENDING).toBe(0);
        expect(report.freshFinalCalls).toBe(n);

        const batches = log.byBatch();
        expect(batches.size).toBe(batchesOf(n));
        let crashed = 0;
        for (const [key, attempts] of batches) {
          const first = attempts[0] as Invocation & { writes: number; failId?: string };
          if (!crashing(key) || first.ids.length < K) {
            expect(attempts.map((a) => a.error ?? 'ok')).toEqual(['ok']);
            continue;
          }
          crashed += 1;
          expect(attempts.map((a) => a.error ?? 'ok')).toEqual(['SystemicFault', 'ok']);
          // Written by the first attempt: K - 1 before the crash plus those in flight beside it.
          const writtenBefore = first.writes - 1;
          expect(writtenBefore).toBeGreaterThanOrEqual(K - 1);
          expect(writtenBefore).toBeLessThan(first.ids.length);
          // The retry skips exactly those and completes every other id of the batch.
          const retry = attempts[1].result!;
          expect(retry.skipped).toBe(writtenBefore);
          expect(retry.confirmed + retry.rejected).toBe(first.ids.length - writtenBefore);
        }
        expect(crashed).toBeGreaterThan(0);
        // Only the id whose write was cut was called again (a replay), once per crashed batch.
        expect(report.replays).toBe(crashed);
      },
    );
  });

  it('a batch that crashes on every attempt past the tolerated-failure threshold fails the run, releases the lock, loses nothing; the next run finishes the job', async () => {
    const log = new InvocationLog();
    const order = new Map<string, number>();
    let crashEveryThird = true;
    const crashing = (key: string) => crashEveryThird && order.get(key)! % 3 === 0;
    await withRuntime(
      {
        provider: { latencyMs: 0, rejectionRate: 0.1, seed: 23 },
        // Every third batch does half its work, then its invocation dies, on every attempt.
        interceptInvoke: log.intercept(async (call, invocation) => {
          if (!order.has(invocation.key)) order.set(invocation.key, order.size);
          if (!crashing(invocation.key)) return call.invoke();
          const event = batchOf(call);
          await call.invoke({ ...event, Items: event.Items.slice(0, event.Items.length / 2) });
          const crash = new Error('the invocation died mid-batch');
          crash.name = 'Lambda.ServiceException';
          throw crash;
        }),
      },
      async (runtime) => {
        const n = scaled(600);
        const seeded = await runtime.seedTransactions(n);
        const first = await runtime.waitForRun(runtime.startRun().executionArn);
        await log.settled();
        await runtime.engine.idle();

        expect(first.final.status).toBe('FAILED');
        expect(first.final.error).toBe('States.ExceedToleratedFailureThreshold');
        // The Catch wrote the FAILED run record and released the lock.
        const runId = log.invocations[0].runId;
        expect(runId).toContain(first.final.name);
        const failedBatches = [...log.byBatch()].filter(([key]) => crashing(key));
        const exhausted = failedBatches.filter(([, a]) => a.length === BATCH_ATTEMPTS);
        // 10 % tolerated: more than one batch of 50 out of 600 items trips it.
        expect(exhausted.length).toBeGreaterThanOrEqual(2);
        for (const [, attempts] of failedBatches) {
          expect(attempts.length).toBeLessThanOrEqual(BATCH_ATTEMPTS);
          expect(attempts.every((a) => a.error === 'Lambda.ServiceException')).toBe(true);
        }
        expect(await readLock(runtime)).toBeUndefined();
        const record = await readRun(runtime, runId);
        expect(record?.status).toBe('FAILED');
        expect(record?.error).toMatch(/^States\.ExceedToleratedFailureThreshold: /);

        const afterFailure = await expectInvariants(runtime, seeded);
        // The second halves of the crashed batches were never processed: still PENDING.
        const called = new Set(runtime.provider.calls().map((c) => c.transactionId));
        const untouched = failedBatches.flatMap(([, a]) => a[0].ids.slice(a[0].ids.length / 2));
        expect(untouched.length).toBeGreaterThan(0);
        for (const id of untouched) expect(called.has(id)).toBe(false);
        expect(afterFailure.counts.PENDING).toBeGreaterThanOrEqual(untouched.length);
        const pendingIds = new Set(
          afterFailure.items.filter((t) => t.status === 'PENDING').map((t) => t.id),
        );
        for (const id of untouched) expect(pendingIds.has(id)).toBe(true);

        // Fault removed: the next run is not SKIPPED (the lock was released) and finishes the job.
        crashEveryThird = false;
        const second = await runtime.waitForRun(runtime.startRun().executionArn);
        expect(second.skippedBy).toBeUndefined();
        expect(second.final.status).toBe('SUCCEEDED');
        expect(done(second.summary!.totals)).toBe(afterFailure.counts.PENDING);
        const final = await expectInvariants(runtime, seeded);
        expect(final.counts.PENDING).toBe(0);
        expect(final.freshFinalCalls).toBe(n);
        expect(await readLock(runtime)).toBeUndefined();
      },
    );
  });

  it('lost answers (the write applied, the reply never arrived): one terminal write each; the counts call them skipped', async () => {
    const log = new InvocationLog();
    const deliveries = new Map<string, number>();
    const requests = new Map<string, number>();
    /** Lost once: the SDK's own retry finds the write done (a lost condition). */
    let lostOnce = new Set<string>();
    /** Lost on every SDK attempt of the first delivery: the handler throws, the batch is retried. */
    let lostAlways = new Set<string>();
    let rt!: LocalRuntime;
    await withRuntime(
      {
        provider: { latencyMs: 0, rejectionRate: 0.1, seed: 24 },
        interceptInvoke: log.intercept((call) => {
          for (const id of idsOf(call)) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
          return call.invoke();
        }),
        storeFaults: (request) => {
          const id = terminalWriteId(() => rt, request);
          if (id === undefined) return undefined;
          const seen = (requests.get(id) ?? 0) + 1;
          requests.set(id, seen);
          if (lostOnce.has(id) && seen === 1) return { kind: 'dropAfter' };
          if (lostAlways.has(id) && deliveries.get(id) === 1) return { kind: 'dropAfter' };
          return undefined;
        },
      },
      async (runtime) => {
        rt = runtime;
        // Run 1: 20 answers are lost once. (A fixed number at any scale: each lost answer costs
        // 10 of the SDK client's 500 retry tokens; with the tokens spent a lost answer would fail
        // the batch instead, which is run 2's case.)
        const n1 = scaled(500);
        const seeded1 = await runtime.seedTransactions(n1);
        const step = Math.max(1, Math.floor(n1 / 20));
        lostOnce = new Set(seeded1.filter((_, i) => i % step === 0).slice(0, 20));
        const run1 = await runtime.waitForRun(runtime.startRun().executionArn);
        expect(run1.final.status).toBe('SUCCEEDED');
        const r1 = await expectInvariants(runtime, seeded1);
        expect(r1.counts.PENDING).toBe(0);
        expect(r1.replays).toBe(0);
        expect(r1.freshFinalCalls).toBe(n1);
        // No batch was retried: the handler took the SDK retry's lost condition for someone
        // else's write. So this run's counts undercount: its own lost-answer writes are "skipped".
        expect(log.invocations.every((inv) => inv.attempt === 1 && !inv.error)).toBe(true);
        const t1 = run1.summary!.totals;
        expect(t1.skipped).toBe(lostOnce.size);
        expect(done(t1)).toBe(n1 - lostOnce.size);
        // ...although this run wrote every one of them.
        for (const t of r1.items) expect(t.runId).toBe(run1.summary!.runId);

        // Run 2 (seeded an hour earlier so the ids differ): the answer is lost on every attempt.
        const seeded2 = await runtime.seedTransactions(
          scaled(500),
          new Date(Date.now() - 3_600_000),
        );
        expect(seeded2.some((id) => seeded1.includes(id))).toBe(false);
        lostAlways = new Set(seeded2.filter((_, i) => i % 50 === 7).slice(0, 20));
        const before = log.invocations.length;
        const run2 = await runtime.waitForRun(runtime.startRun().executionArn);
        expect(run2.final.status).toBe('SUCCEEDED');
        const all = [...seeded1, ...seeded2];
        const r2 = await expectInvariants(runtime, all);
        expect(r2.counts.PENDING).toBe(0);
        // The retry finds the lost-answer items already terminal: no second provider call.
        expect(r2.replays).toBe(0);
        expect(r2.freshFinalCalls).toBe(all.length);
        const retried = log.invocations.slice(before).filter((inv) => inv.attempt > 1);
        expect(retried.length).toBeGreaterThan(0);
        for (const inv of retried) {
          expect(inv.ids.some((id) => lostAlways.has(id))).toBe(true);
          expect(inv.result!.skipped).toBeGreaterThanOrEqual(
            inv.ids.filter((id) => lostAlways.has(id) && (requests.get(id) ?? 0) > 0).length,
          );
        }
        const t2 = run2.summary!.totals;
        expect(done(t2) + t2.skipped).toBe(seeded2.length);
        const applied = [...lostAlways].filter((id) => (requests.get(id) ?? 0) > 0).length;
        expect(t2.skipped).toBeGreaterThanOrEqual(applied);
        const items = new Map(r2.items.map((t) => [t.id, t]));
        for (const id of seeded2) expect(items.get(id)?.runId).toBe(run2.summary!.runId);
      },
    );
  });

  it('duplicate delivery of a batch (concurrent and sequential): one terminal write each, no double charge', async () => {
    const log = new InvocationLog();
    const order = new Map<string, number>();
    const results = new Map<string, { mode: string; results: BatchResult[]; size: number }>();
    await withRuntime(
      {
        // Long enough that both deliveries of a batch have calls for the same key in flight, even
        // when a loaded machine starts the second delivery's calls tens of ms after the first's.
        provider: { latencyMs: 60, jitterMs: 5, rejectionRate: 0.1, seed: 25 },
        interceptInvoke: log.intercept(async (call, invocation) => {
          if (!order.has(invocation.key)) order.set(invocation.key, order.size);
          const mode = (['concurrent', 'sequential', 'single'] as const)[
            order.get(invocation.key)! % 3
          ];
          let out: BatchResult[];
          if (mode === 'concurrent') {
            out = (await Promise.all([call.invoke(), call.invoke()])) as BatchResult[];
          } else if (mode === 'sequential') {
            out = [(await call.invoke()) as BatchResult, (await call.invoke()) as BatchResult];
          } else {
            out = [(await call.invoke()) as BatchResult];
          }
          results.set(invocation.key, { mode, results: out, size: invocation.ids.length });
          return out[0];
        }),
      },
      async (runtime) => {
        const n = scaled(900);
        const seeded = await runtime.seedTransactions(n);
        const outcome = await runtime.waitForRun(runtime.startRun().executionArn);
        expect(outcome.final.status).toBe('SUCCEEDED');
        const report = await expectInvariants(runtime, seeded);
        expect(report.counts.PENDING).toBe(0);
        // One charge or rejection per id, however many deliveries.
        expect(report.freshFinalCalls).toBe(n);
        expect(log.invocations.every((inv) => inv.attempt === 1 && !inv.error)).toBe(true);

        const modes = new Set([...results.values()].map((r) => r.mode));
        expect(modes).toEqual(new Set(['concurrent', 'sequential', 'single']));
        const callsById = new Map<string, number>();
        for (const c of runtime.provider.calls()) {
          callsById.set(c.transactionId!, (callsById.get(c.transactionId!) ?? 0) + 1);
        }
        for (const [key, { mode, results: out, size }] of results) {
          // Exactly one delivery wrote each id's terminal status.
          expect(out.reduce((sum, r) => sum + r.confirmed + r.rejected, 0)).toBe(size);
          if (mode === 'sequential') {
            // The second delivery found everything terminal: it called nobody.
            expect(out[1]).toMatchObject({ processed: size, skipped: size, confirmed: 0 });
            const ids = log.invocations.find((inv) => inv.key === key)!.ids;
            for (const id of ids) expect(callsById.get(id)).toBe(1);
          }
        }
        // The concurrent deliveries really raced: the provider saw two calls for one key in
        // flight at once and answered the later one 409 (a transient: deferred, or skipped when
        // the winner's write came first), never with a second charge.
        const stats = runtime.provider.stats();
        expect(stats.outcomes['in-progress']).toBeGreaterThan(0);
        expect(stats.finalOutcomes.confirmed + stats.finalOutcomes.rejected).toBe(n);
      },
    );
  });

  it('two executions started at once: one does the work, the other ends SKIPPED naming it', async () => {
    await withRuntime(
      { provider: { latencyMs: 0, rejectionRate: 0.1, seed: 26 } },
      async (runtime) => {
        const n = scaled(800);
        const seeded = await runtime.seedTransactions(n);
        const a = runtime.startRun();
        const b = runtime.startRun();
        const [ra, rb] = await Promise.all([
          runtime.waitForRun(a.executionArn),
          runtime.waitForRun(b.executionArn),
        ]);
        expect(ra.final.status).toBe('SUCCEEDED');
        expect(rb.final.status).toBe('SUCCEEDED');
        const skipped = [ra, rb].filter((r) => r.skippedBy !== undefined);
        const worked = [ra, rb].filter((r) => r.summary !== undefined);
        expect(skipped).toHaveLength(1);
        expect(worked).toHaveLength(1);
        const [winner] = worked;
        const [loser] = skipped;
        expect(loser.skippedBy!.executionArn).toBe(winner.final.executionArn);
        expect(loser.skippedBy!.runId).toBe(winner.summary!.runId);
        expect(done(winner.summary!.totals)).toBe(n);
        // Each left a run record: the skipped one names the holder.
        const records = await runRecords(runtime);
        expect(records.map((r) => r.status).sort()).toEqual(['SKIPPED', 'SUCCEEDED']);
        const skippedRecord = records.find((r) => r.status === 'SKIPPED')!;
        expect(skippedRecord.executionArn).toBe(loser.final.executionArn);
        expect(skippedRecord.holder?.runId).toBe(winner.summary!.runId);
        const report = await expectInvariants(runtime, seeded);
        expect(report.counts.PENDING).toBe(0);
        expect(report.freshFinalCalls).toBe(n);
        expect(report.replays).toBe(0);
        expect(runtime.provider.stats().calls).toBe(n);
        for (const t of report.items) expect(t.runId).toBe(winner.summary!.runId);
        expect(await readLock(runtime)).toBeUndefined();
      },
    );
  });

  it('a run whose lease expired while it worked: the run that took the lock wins, the late writes do not overwrite, the stale run stops with LockLost and leaves the new lock alone', async () => {
    const log = new InvocationLog();
    const logged = log.intercept((call) => call.invoke());
    /** Provider calls made while A is the only run are held until B has done the work. */
    const releaseA = gate();
    let holdA = true;
    let held = 0;
    /** Sizes of A's batches (every confirm-batch before B starts is A's). */
    const batchSizesA: number[] = [];
    /** B's FinishRun waits until A has ended, so A ends while B still holds the lock. */
    const releaseB = gate();
    let finishingB = false;
    let arnB = '';
    await withRuntime(
      {
        // Independent processing of the same key (no 409): B's call for an id A holds in flight
        // gets the final outcome, A's call then replays it, as a provider answers a later retry.
        provider: { latencyMs: 0, rejectionRate: 0.1, seed: 27, conflictWhileInFlight: false },
        // A's held calls must not time out before B is done (30 s < the 60 s batch timeout).
        configOverrides: { providerTimeoutMs: 30_000 },
        interceptInvoke: async (call) => {
          const event = call.event as { executionArn?: string };
          if (call.handler === 'confirm-batch' && holdA) batchSizesA.push(idsOf(call).length);
          if (call.handler === 'finish-run' && event.executionArn === arnB) {
            finishingB = true;
            await releaseB.wait;
          }
          return logged(call);
        },
      },
      async (runtime) => {
        runtime.provider.setDefault(() => {
          if (!holdA) return {};
          held += 1;
          return { before: () => releaseA.wait };
        });
        const n = scaled(600);
        const seeded = await runtime.seedTransactions(n);
        const a = runtime.startRun();
        const runA = runtime.waitForRun(a.executionArn);
        // A has read its batches and every batch worker is waiting on the provider.
        const batchesA = batchesOf(Math.min(n, dev.pageSize));
        await waitFor(
          () =>
            batchSizesA.length === batchesA &&
            held ===
              batchSizesA.reduce((sum, size) => sum + Math.min(dev.inBatchParallelism, size), 0),
          'A holds its calls',
        );
        const lockA = await readLock(runtime);
        expect(lockA?.executionArn).toBe(a.executionArn);

        // A's lease lapses. (lockLeaseSeconds is >= 60 s by validation and > the worst-case page;
        // moving expiresAt into the past is what waiting it out would do, without the wait.)
        await runtime.ddb.send(
          new UpdateCommand({
            TableName: runtime.stack.tableNames.runs,
            Key: LOCK_KEY,
            UpdateExpression: 'SET expiresAt = :past',
            ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
          }),
        );
        holdA = false;
        const b = runtime.startRun();
        arnB = b.executionArn;
        const runB = runtime.waitForRun(b.executionArn);
        await waitFor(() => finishingB, 'B reaches FinishRun', 60_000);
        // B took the lock over and did the whole backlog while A's reads were stale.
        const lockB = await readLock(runtime);
        expect(lockB?.executionArn).toBe(b.executionArn);
        expect((await runtime.storeCounts()).PENDING).toBe(0);

        // A's calls now go through: the provider replays B's outcomes, A's writes find the items
        // terminal, and A's next FetchPage cannot renew the lease.
        releaseA.open();
        const ra = await runA;
        await log.settled();
        expect(ra.final.status).toBe('FAILED');
        expect(ra.final.error).toBe('LockLost');
        const recordA = await readRun(runtime, lockA!.runId);
        expect(recordA?.status).toBe('FAILED');
        expect(recordA?.error).toMatch(/^LockLost: /);
        // Neither A's Catch nor the release rule on A's FAILED status released B's lock.
        expect(await readLock(runtime)).toEqual(lockB);

        releaseB.open();
        const rb = await runB;
        expect(rb.skippedBy).toBeUndefined();
        expect(rb.final.status).toBe('SUCCEEDED');
        expect(done(rb.summary!.totals)).toBe(n);
        expect(await readLock(runtime)).toBeUndefined();

        const report = await expectInvariants(runtime, seeded);
        expect(report.counts.PENDING).toBe(0);
        expect(report.freshFinalCalls).toBe(n);
        for (const t of report.items) expect(t.runId).toBe(rb.summary!.runId);
        // A's late batches wrote nothing: every id of theirs was skipped, every call replayed.
        const aBatches = log.invocations.filter((inv) => inv.runId === lockA!.runId);
        expect(aBatches).toHaveLength(batchesA);
        for (const inv of aBatches) {
          expect(inv.result).toMatchObject({ confirmed: 0, rejected: 0, skipped: inv.ids.length });
        }
        expect(report.replays).toBe(Math.min(n, dev.pageSize));
      },
    );
  });
});
