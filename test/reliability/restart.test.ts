// Restarts on a data dir: `npm start` (bin/txconfirm-local.ts) killed with SIGKILL in the middle of
// a run, restarted, then the full docs/architecture.md §4 invariants read from the same data dir, over the
// call log of both processes. And the pending-index repair a reopened data dir runs (dynalite
// writes an item and its index entry separately, so a kill can leave them out of step).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeleteCommand, NumberValue, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../lambdas/contracts';
import { RUN_PARTITION } from '../../lambdas/adapters/dynamo-run-store';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { mergedFunctionEnvironment } from '../../local/runtime/local-runtime';
import {
  allTransactions,
  expectInvariants,
  isolateModules,
  rawItem,
  readCallLog,
  scaled,
  withRuntime,
} from './support';
import { startNpmStart } from '../support/npm-start';

const start = startNpmStart;

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('SIGKILL mid-run, restart on the same data dir', () => {
  it('the restarted run completes; nothing is lost or doubled across both processes (full §4 invariants)', async () => {
    const dataDir = tempDir('txconfirm-restart-');
    const callLog = path.join(dataDir, 'provider-calls.jsonl');
    const count = scaled(1500);
    // Same provider knobs and seed in both processes; transient failures exercise attempts too.
    const knobs = ['--rejection-rate', '0.2', '--failure-rate', '0.05', '--seed', '7'];
    try {
      const first = start([
        ...knobs,
        '--transactions',
        String(count),
        '--provider-latency-ms',
        '5',
        '--data-dir',
        dataDir,
        '--json',
      ]);
      // Killed once about a fifth of the transactions reached the provider (lines of ~250 bytes).
      const deadline = Date.now() + 60_000;
      while (!(fs.existsSync(callLog) && fs.statSync(callLog).size > count * 50)) {
        if (first.child.exitCode !== null) throw new Error('the first run ended before the kill');
        if (Date.now() > deadline) throw new Error('the first run never called the provider');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      first.child.kill('SIGKILL');
      const killed = await first.done;
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.stdout).toBe(''); // no summary: it died mid-run
      const callsBeforeRestart = readCallLog(callLog).length;

      const second = await start([
        ...knobs,
        '--transactions',
        '0',
        '--provider-latency-ms',
        '0',
        '--data-dir',
        dataDir,
        '--json',
      ]).done;
      expect(second.code).toBe(0);
      const report = JSON.parse(second.stdout.trim()) as {
        status: string;
        confirmed: number;
        rejected: number;
        failed: number;
        deferred: number;
        store: Record<string, number>;
      };
      // Not SKIPPED: the killed execution was marked ABORTED and its lock released at start.
      expect(report.status).toBe('SUCCEEDED');
      // The kill was mid-run: the restart still had work, and the first process had done some.
      expect(report.confirmed + report.rejected).toBeGreaterThan(0);
      expect(report.confirmed + report.rejected + report.failed).toBeLessThan(count);
      expect(report.store.OTHER).toBe(0);
      expect(
        report.store.PENDING + report.store.CONFIRMED + report.store.REJECTED + report.store.FAILED,
      ).toBe(count);
      expect(report.store.PENDING).toBe(report.deferred);

      // Open the same data dir (the engine marks nothing new; the index repair finds it in step or
      // mends what the kill tore) and check everything against the call log of both processes.
      await withRuntime({ dataDir, isolateModules }, async (rt) => {
        const items = await allTransactions(rt);
        // Nothing lost: exactly the ids the first process seeded, `demo-<prefix>-<7 digits>` with
        // one prefix and `count` consecutive numbers.
        const ids = items.map((t) => t.id).sort();
        const parts = ids.map((id) => /^demo-(.+)-(\d{7})$/.exec(id));
        expect(parts.every((p) => p !== null)).toBe(true);
        const prefix = parts[0]?.[1];
        expect(prefix).toBeDefined();
        const first = Number(parts[0]?.[2]);
        const expected = Array.from(
          { length: count },
          (_, i) => `demo-${prefix}-${String(first + i).padStart(7, '0')}`,
        );
        expect(ids).toEqual(expected);

        const calls = readCallLog(callLog);
        expect(calls.length).toBeGreaterThan(callsBeforeRestart);
        const invariants = await expectInvariants(rt, expected, { calls });
        // One fresh final outcome per CONFIRMED/REJECTED transaction: nothing charged twice,
        // nothing terminal without its provider outcome.
        expect(invariants.freshFinalCalls).toBe(
          invariants.counts.CONFIRMED + invariants.counts.REJECTED,
        );
        expect(invariants.counts.PENDING).toBe(report.store.PENDING);

        // The killed run's record was marked ABORTED at the restart, and it shows what that run
        // had done: FetchPage writes the running totals as each page is read.
        const { Items: runs = [] } = await rt.ddb.send(
          new QueryCommand({
            TableName: rt.stack.tableNames.runs,
            KeyConditionExpression: 'pk = :run',
            ExpressionAttributeValues: { ':run': RUN_PARTITION },
            ConsistentRead: true,
          }),
        );
        const killedRun = runs.filter((r) => r.status === 'ABORTED');
        expect(killedRun).toHaveLength(1);
        expect(killedRun[0].totals.pages).toBeGreaterThanOrEqual(1);
        expect(killedRun[0].totals.fetched).toBeGreaterThan(0);
        expect(typeof killedRun[0].progressAt).toBe('string');
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    // Two `npm start` processes and a full check: about 50 s alone on 2 cores, more beside other
    // test files.
  }, 180_000);
});

/**
 * dynalite's LevelDB, opened directly while no runtime holds the data dir. GSI entries live under
 * `index-global~<table>~<index>~`, values in DynamoDB JSON (local/aws/dynalite-host.ts, dynalite/db).
 */
interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  put(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  iterator(range: { gte: string; lt: string }): AsyncIterable<[string, Record<string, unknown>]>;
}

async function withStoreDb<T>(dataDir: string, body: (db: LevelDb) => Promise<T>): Promise<T> {
  const fromDynalite = path.dirname(require.resolve('dynalite/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Level } = require(require.resolve('level', { paths: [fromDynalite] })) as {
    Level: new (location: string, options: { valueEncoding: string }) => LevelDb;
  };
  const db = new Level(path.join(dataDir, 'dynamodb'), { valueEncoding: 'json' });
  await db.open();
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

async function indexEntry(
  db: LevelDb,
  prefix: string,
  id: string,
): Promise<[string, Record<string, unknown>]> {
  for await (const [key, value] of db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
    if ((value.id as { S?: string } | undefined)?.S === id) return [key, value];
  }
  throw new Error(`no pending-index entry for ${id}`);
}

describe('pending-index repair on reopen', () => {
  it('a PENDING item missing from the index and a stale entry of a CONFIRMED item are repaired; the next run confirms the stranded item', async () => {
    const dataDir = tempDir('txconfirm-repair-');
    const options = { dataDir, provider: { latencyMs: 0, rejectionRate: 0 } };
    const unholdable = 'bad-unholdable-amount';
    try {
      let prefix = '';
      let first: string[] = [];
      let second: string[] = [];
      await withRuntime(options, async (rt) => {
        const { transactions, pendingIndex } = rt.stack.tableNames;
        prefix = `index-global~${transactions}~${pendingIndex}~`;
        first = await rt.seedTransactions(scaled(100), new Date(Date.now() - 60_000));
      });
      // Kept to be put back later, once its item is CONFIRMED: a stale entry.
      const stale = await withStoreDb(dataDir, (db) => indexEntry(db, prefix, first[0]));

      await withRuntime(options, async (rt) => {
        expect(rt.indexRepairs).toBe(0); // a cleanly closed data dir is in step
        expect((await rt.waitForRun(rt.startRun({}).executionArn)).final.status).toBe('SUCCEEDED');
        second = await rt.seedTransactions(scaled(100));
        // And a PENDING record with a number a JS number cannot hold (re-put exactly by the repair).
        const shardCount = Number(mergedFunctionEnvironment(rt.stack)[ENV.SHARD_COUNT]);
        await rt.ddb.send(
          new PutCommand({
            TableName: rt.stack.tableNames.transactions,
            Item: {
              id: unholdable,
              status: 'PENDING',
              amount: NumberValue.from('12345678901234567890.5'),
              currency: 'EUR',
              createdAt: new Date(Date.now() - 1000).toISOString(),
              pendingShard: pendingShardFor(unholdable, shardCount),
            },
          }),
        );
      });
      const stranded = second[Math.floor(second.length / 2)];
      await withStoreDb(dataDir, async (db) => {
        await db.del((await indexEntry(db, prefix, stranded))[0]);
        await db.del((await indexEntry(db, prefix, unholdable))[0]);
        await db.put(stale[0], stale[1]);
      });

      await withRuntime(options, async (rt) => {
        expect(rt.indexRepairs).toBe(3);
        expect((await rawItem(rt, unholdable))?.amount).toEqual({ N: '12345678901234567890.5' });
        // Out of the scenario: the harness reads amounts as JS numbers.
        await rt.ddb.send(
          new DeleteCommand({
            TableName: rt.stack.tableNames.transactions,
            Key: { id: unholdable },
          }),
        );

        const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
        expect(outcome.summary!.totals).toMatchObject({ confirmed: second.length, skipped: 0 });
        const items = new Map((await allTransactions(rt)).map((t) => [t.id, t]));
        expect(items.get(stranded)?.status).toBe('CONFIRMED');
        expect(items.get(first[0])).toMatchObject({ status: 'CONFIRMED', terminalWrites: 1 });
        const report = await expectInvariants(rt, [...first, ...second], {
          calls: readCallLog(path.join(dataDir, 'provider-calls.jsonl')),
        });
        expect(report.counts.CONFIRMED).toBe(first.length + second.length);
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
