// End to end on the embedded runtime: the synthesized workflow, in-process handlers, dynalite and
// the simulated provider over loopback HTTP. Scenarios read like the runbook.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allTransactions, expectInvariants, withRuntime } from '../reliability/support';

describe('embedded local runtime', () => {
  it('seeding a count that is no multiple of the write chunk stores exactly the ids it returns, consecutive, PENDING, created before now', async () => {
    await withRuntime({ provider: { latencyMs: 0 } }, async (rt) => {
      const now = new Date();
      const first = await rt.seedTransactions(53, now);
      const second = await rt.seedTransactions(2, now);
      const numbers = [...first, ...second].map((id) => Number(id.split('-').pop()));
      expect(numbers).toEqual(Array.from({ length: 55 }, (_, i) => numbers[0] + i));
      const stored = await allTransactions(rt);
      expect(stored.map((t) => t.id).sort()).toEqual([...first, ...second].sort());
      for (const t of stored) {
        expect(t.status).toBe('PENDING');
        expect(Date.parse(String(t.createdAt))).toBeLessThan(now.getTime());
      }
    });
  });

  it('happy path: every seeded transaction reaches a terminal state in one run', async () => {
    await withRuntime({ provider: { latencyMs: 0, rejectionRate: 0.1, seed: 7 } }, async (rt) => {
      const ids = await rt.seedTransactions(600);
      const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
      expect(outcome.final.status).toBe('SUCCEEDED');
      const totals = outcome.summary!.totals;
      expect(totals.confirmed + totals.rejected).toBe(600);
      expect(totals.rejected).toBeGreaterThan(20);
      const counts = await rt.storeCounts();
      expect(counts).toEqual({
        PENDING: 0,
        CONFIRMED: totals.confirmed,
        REJECTED: totals.rejected,
        FAILED: 0,
        OTHER: 0,
      });
      await expectInvariants(rt, ids);
    });
  });

  it('provider faults: transient errors defer, nothing is lost, a second run finishes the job', async () => {
    await withRuntime(
      { provider: { latencyMs: 0, transientErrorRate: 0.3, rejectionRate: 0.05, seed: 11 } },
      async (rt) => {
        const ids = await rt.seedTransactions(400);
        const first = await rt.waitForRun(rt.startRun({}).executionArn);
        expect(first.final.status).toBe('SUCCEEDED');
        expect(first.summary!.totals.deferred).toBeGreaterThan(40);
        const afterFirst = await rt.storeCounts();
        expect(afterFirst.PENDING).toBe(first.summary!.totals.deferred);
        await expectInvariants(rt, ids);

        rt.provider.configure({ transientErrorRate: 0 });
        const second = await rt.waitForRun(rt.startRun({}).executionArn);
        expect(second.summary!.totals.confirmed + second.summary!.totals.rejected).toBe(
          afterFirst.PENDING,
        );
        expect((await rt.storeCounts()).PENDING).toBe(0);
        await expectInvariants(rt, ids);
      },
    );
  });

  it('continue-as-new: a small page limit hands the run over to fresh executions that finish it', async () => {
    await withRuntime(
      {
        provider: { latencyMs: 0, rejectionRate: 0 },
        configOverrides: { pageSize: 40, batchSize: 10, maxPagesPerExecution: 2 },
      },
      async (rt) => {
        const ids = await rt.seedTransactions(300);
        const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
        expect(outcome.final.status).toBe('SUCCEEDED');
        // 300 ids / 40 per page = 8 pages, 2 per execution.
        expect(outcome.executions.length).toBeGreaterThanOrEqual(4);
        expect(outcome.summary!.totals.confirmed).toBe(300);
        expect(outcome.summary!.totals.pages).toBeGreaterThanOrEqual(8);
        expect((await rt.storeCounts()).CONFIRMED).toBe(300);
        await expectInvariants(rt, ids);
      },
    );
  });

  it('overlapping run: a second execution while the first holds the lock ends SKIPPED naming it', async () => {
    await withRuntime({ provider: { latencyMs: 30 } }, async (rt) => {
      await rt.seedTransactions(300);
      const first = rt.startRun({});
      // Wait until the first run holds the lock (its StartRun has finished).
      await waitFor(() => rt.provider.stats().calls > 0);
      const second = await rt.waitForRun(rt.startRun({}).executionArn);
      expect(second.final.status).toBe('SUCCEEDED');
      expect(second.skippedBy?.runId).toContain(first.name);
      const done = await rt.waitForRun(first.executionArn);
      expect(done.final.status).toBe('SUCCEEDED');
    });
  });

  it('an aborted execution releases its lock through the stack rule, so the next run starts at once', async () => {
    await withRuntime({ provider: { latencyMs: 20 } }, async (rt) => {
      const ids = await rt.seedTransactions(500);
      const first = rt.startRun({});
      await waitFor(() => rt.provider.stats().calls > 20);
      rt.engine.stopExecution(first.executionArn, { error: 'Operator', cause: 'test' });
      const aborted = await rt.waitForRun(first.executionArn);
      expect(aborted.final.status).toBe('ABORTED');
      await rt.engine.idle?.();
      const next = await rt.waitForRun(rt.startRun({}).executionArn);
      expect(next.skippedBy).toBeUndefined();
      expect(next.final.status).toBe('SUCCEEDED');
      expect((await rt.storeCounts()).PENDING).toBe(0);
      await expectInvariants(rt, ids);
    });
  });

  it('a data dir survives a restart: the next runtime resumes what is pending', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-test-'));
    let ids: string[] = [];
    let pendingAfterFirst = 0;
    await withRuntime(
      { dataDir, provider: { latencyMs: 0, transientErrorRate: 0.5, seed: 3 } },
      async (rt) => {
        ids = await rt.seedTransactions(200);
        await rt.waitForRun(rt.startRun({}).executionArn);
        pendingAfterFirst = (await rt.storeCounts()).PENDING;
      },
    );
    expect(pendingAfterFirst).toBeGreaterThan(0);
    await withRuntime({ dataDir, provider: { latencyMs: 0 } }, async (rt) => {
      expect((await rt.storeCounts()).PENDING).toBe(pendingAfterFirst);
      const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
      expect(outcome.summary!.totals.confirmed + outcome.summary!.totals.rejected).toBe(
        pendingAfterFirst,
      );
      const counts = await rt.storeCounts();
      expect(counts.PENDING).toBe(0);
      expect(counts.CONFIRMED + counts.REJECTED + counts.FAILED).toBe(ids.length);
    });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
