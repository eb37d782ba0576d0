// Restarts of a data dir, as a user meets them: `txc local serve` and `npm start` as child
// processes. The schedule's state survives a restart as on AWS; a restart after a SIGKILL says
// what it did (executions marked ABORTED, pending-index entries repaired), in the serve banner
// and in npm start's output.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { serve, serveHuman, txc } from '../ops/local-serve';
import { startNpmStart } from '../support/npm-start';
import { dev } from '../support/stages';

jest.setTimeout(240_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-restart-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function target(endpoint: string): Promise<{ schedule: { state: string } | null }> {
  return (await (await fetch(`${endpoint}/txconfirm/target`)).json()) as {
    schedule: { state: string } | null;
  };
}

describe('the schedule state is durable with --data-dir', () => {
  it('pause, restart the serve process on the same data dir: still DISABLED (banner and target); resume survives too', async () => {
    const dataDir = path.join(tmp, 'schedule');
    const first = await serve(['--data-dir', dataDir]);
    try {
      expect(first.info.schedule).toMatchObject({
        state: 'ENABLED',
        stateFile: path.join(dataDir, 'schedule.json'),
      });
      expect(first.info.restart).toBeNull();
      const paused = await txc(first.info.stepFunctionsEndpoint, ['schedule', 'pause']);
      expect(paused.code).toBe(0);
    } finally {
      await first.stop();
    }
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'schedule.json'), 'utf8'))).toMatchObject({
      state: 'DISABLED',
    });

    const second = await serveHuman(['--data-dir', dataDir]);
    try {
      expect(second.banner).toMatch(
        new RegExp(
          `^ {2}schedule: +${dev.scheduleExpression.replace(/[()]/g, '\\$&')}, PAUSED \\(DISABLED, kept in ${dataDir}/schedule\\.json\\) — resume: npm run txc -- schedule resume --local --endpoint ${second.endpoint}$`,
          'm',
        ),
      );
      expect(second.banner).toMatch(
        /^ {2}restart: +nothing to recover \(no execution was left RUNNING, the pending index is in step\)$/m,
      );
      // Each field of the banner once.
      const labels = second.banner
        .split('\n')
        .map((l) => /^ {2}([a-zA-Z ]+): {2,}/.exec(l)?.[1])
        .filter((l): l is string => l !== undefined);
      expect(labels).toContain('tables');
      expect(labels).toEqual([...new Set(labels)]);
      expect((await target(second.endpoint)).schedule?.state).toBe('DISABLED');
      expect((await txc(second.endpoint, ['schedule', 'resume'])).code).toBe(0);
    } finally {
      await second.stop();
    }

    const third = await serve(['--data-dir', dataDir]);
    try {
      expect(third.info.schedule?.state).toBe('ENABLED');
      expect((await target(third.info.stepFunctionsEndpoint)).schedule?.state).toBe('ENABLED');
    } finally {
      await third.stop();
    }
  });

  it('a state file that is not one: exit 2, named, nothing served', async () => {
    const dataDir = path.join(tmp, 'bad-state');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'schedule.json'), 'paused');
    await expect(serve(['--data-dir', dataDir])).rejects.toThrow(
      /serve exited 2: .*ScheduleStateUnreadable: .*schedule\.json must hold \{"state": "ENABLED" \| "DISABLED"\}/s,
    );
  });
});

// ---- the restart banner --------------------------------------------------------------------

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  del(key: string): Promise<void>;
  iterator(range: { gte: string; lt: string }): AsyncIterable<[string, Record<string, unknown>]>;
}

/** Deletes the pending-index entry of `id` in a closed data dir (what a kill mid-write leaves). */
async function dropIndexEntry(dataDir: string, prefix: string, id: string): Promise<void> {
  const fromDynalite = path.dirname(require.resolve('dynalite/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Level } = require(require.resolve('level', { paths: [fromDynalite] })) as {
    Level: new (location: string, options: { valueEncoding: string }) => LevelDb;
  };
  const db = new Level(path.join(dataDir, 'dynamodb'), { valueEncoding: 'json' });
  await db.open();
  try {
    for await (const [key, value] of db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
      if ((value.id as { S?: string } | undefined)?.S === id) {
        await db.del(key);
        return;
      }
    }
    throw new Error(`no pending-index entry for ${id}`);
  } finally {
    await db.close();
  }
}

/**
 * Serves `dataDir`, starts an execution named `name` on a provider that answers nothing within
 * the test (30 s per call), writes a PENDING item `strandedId` (created after the run started:
 * that run leaves it alone), then SIGKILLs the process and drops the item's index entry, as a
 * kill between dynalite's writes would.
 */
async function killMidRun(dataDir: string, name: string, strandedId: string): Promise<void> {
  const served = await serve([
    '--data-dir',
    dataDir,
    '--no-schedule',
    '--transactions',
    '400',
    '--provider-latency-ms',
    // No provider answer lands before the kill (a confirmation cut between its item write and its
    // index write would be repaired too, which is right but not what these tests count).
    '30000',
  ]);
  const { tables, stepFunctionsEndpoint, dynamodbEndpoint } = served.info;
  try {
    const started = await txc(stepFunctionsEndpoint, ['start', '--name', name]);
    expect(started.code).toBe(0);
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamodbEndpoint, region: 'us-east-1', credentials }),
    );
    await ddb.send(
      new PutCommand({
        TableName: tables.transactions,
        Item: {
          id: strandedId,
          status: 'PENDING',
          amount: 100,
          currency: 'EUR',
          createdAt: new Date(Date.now() + 60_000).toISOString(),
          attempts: 0,
          pendingShard: pendingShardFor(strandedId, dev.shardCount),
        },
      }),
    );
    ddb.destroy();
    const status = await txc(stepFunctionsEndpoint, ['status', name, '--json']);
    expect(status.stdout).toMatch(/RUNNING/);
  } finally {
    served.child.kill('SIGKILL');
    await served.stop();
  }
  await dropIndexEntry(
    dataDir,
    `index-global~${tables.transactions}~${tables.pendingIndex}~`,
    strandedId,
  );
}

describe('the restart banner says what the restart did', () => {
  it('txc local serve: the executions marked ABORTED and the index entries repaired', async () => {
    const dataDir = path.join(tmp, 'serve-restart');
    await killMidRun(dataDir, 'killed-serve-run', 'stranded-serve-1');
    const restarted = await serve(['--data-dir', dataDir, '--no-schedule']);
    try {
      expect(restarted.info.restart).toEqual({
        reopened: true,
        abortedExecutions: ['killed-serve-run'],
        repairedIndexEntries: ['stranded-serve-1'],
      });
      // The lock was released: a new run starts at once and is not SKIPPED.
      const run = await txc(restarted.info.stepFunctionsEndpoint, ['start', '--wait', '--json']);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/SKIPPED/);
    } finally {
      await restarted.stop();
    }
  });

  it('npm start --data-dir: the same lines on stderr, and in --json', async () => {
    const dataDir = path.join(tmp, 'npm-restart');
    await killMidRun(dataDir, 'killed-npm-run', 'stranded-npm-1');
    const r = await startNpmStart([
      '--data-dir',
      dataDir,
      '--transactions',
      '0',
      '--provider-latency-ms',
      '0',
      '--json',
    ]).done;
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.trim()) as { status: string; restart: unknown };
    expect(report.status).toBe('SUCCEEDED');
    expect(report.restart).toEqual({
      reopened: true,
      abortedExecutions: ['killed-npm-run'],
      repairedIndexEntries: ['stranded-npm-1'],
    });
    // --json into a pipe: stderr stays quiet but for what the restart did.
    expect(r.stderr).toContain(
      'restart: 1 execution a previous process left RUNNING marked ABORTED, lock released: killed-npm-run\n',
    );
    expect(r.stderr).toContain(
      'restart: 1 pending-index entry out of step repaired (docs/local-runtime.md, Restarts and crashes): stranded-npm-1\n',
    );
  });
});
