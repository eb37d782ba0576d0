import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  ERROR,
  type RunState,
  type RunSummary,
  type StartRunResult,
} from '../../lambdas/contracts';
import { DynamoRunStore, LOCK_KEY, RUN_PARTITION } from '../../lambdas/adapters/dynamo-run-store';
import type { Log } from '../../lambdas/domain/ports';
import type { ReleaseLockResult } from '../../lambdas/domain/release-lock';
import { startRun as startRunUseCase } from '../../lambdas/domain/start-run';
import { emptyTotals } from '../../lambdas/domain/totals';
import {
  getRunsItem,
  handlerEnv,
  lambdaContext,
  loadHandler,
  manualClock,
  startedState,
} from '../support/fixtures';
import { startStore, type Store } from '../support/store';

type Handler<R> = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<R>;

const ARN = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:txconfirm:${name}`;
const LEASE_SECONDS = 300;

let store: Store;
let startRun: Handler<StartRunResult>;
let finishRun: Handler<RunSummary>;
let releaseLock: Handler<ReleaseLockResult>;

const startEvent = (name: string, input: unknown = {}, startTime = new Date().toISOString()) => ({
  input,
  executionArn: ARN(name),
  executionName: name,
  startTime,
});

const statusChange = (name: string, status: string) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [ARN(name)],
  detail: {
    executionArn: ARN(name),
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm',
    name,
    status,
    startDate: Date.now() - 60_000,
    stopDate: Date.now(),
  },
});

const lock = () => getRunsItem(store, LOCK_KEY.pk, LOCK_KEY.sk);
const runRecord = (runId: string) => getRunsItem(store, RUN_PARTITION, runId);
const clearLock = () =>
  store.ddb.send(new DeleteCommand({ TableName: store.tableNames.runs, Key: LOCK_KEY }));

const started = startedState;

const finishEvent = (state: RunState, outcome: 'SUCCEEDED' | 'FAILED', error?: object) => ({
  run: state.run,
  totals: state.totals,
  executionArn: state.executionArn,
  outcome,
  ...(error === undefined ? {} : { error }),
});

beforeAll(async () => {
  store = await startStore();
  const env = handlerEnv(store, { LOCK_LEASE_SECONDS: String(LEASE_SECONDS) });
  startRun = (await loadHandler(env, () => import('../../lambdas/handlers/start-run')))
    .handler as Handler<StartRunResult>;
  finishRun = (await loadHandler(env, () => import('../../lambdas/handlers/finish-run')))
    .handler as Handler<RunSummary>;
  releaseLock = (await loadHandler(env, () => import('../../lambdas/handlers/release-lock')))
    .handler as Handler<ReleaseLockResult>;
});

afterAll(async () => {
  await store.stop();
});

beforeEach(async () => {
  await clearLock();
});

describe('run lock and run records', () => {
  test('a run acquires the lock (a lease) and writes a RUNNING run record', async () => {
    const startTime = '2024-05-01T12:00:00.123Z';
    const state = started(
      await startRun(startEvent('acquire', { dryRun: true }, startTime), lambdaContext()),
    );

    expect(state).toEqual({
      run: {
        runId: '20240501T120000Z-acquire',
        cutoff: startTime,
        startedAt: startTime,
        dryRun: true,
        maxItems: 1_000_000,
      },
      cursor: { kind: 'index', shard: 0 },
      totals: emptyTotals(),
      executionArn: ARN('acquire'),
      pagesThisExecution: 0,
    });
    const held = await lock();
    expect(held).toMatchObject({ runId: state.run.runId, executionArn: ARN('acquire') });
    const leaseMs = Date.parse(held!.expiresAt as string) - Date.parse(held!.acquiredAt as string);
    expect(leaseMs).toBe(LEASE_SECONDS * 1000);
    const record = await runRecord(state.run.runId);
    expect(record).toMatchObject({
      runId: state.run.runId,
      status: 'RUNNING',
      startedAt: startTime,
      executionArn: ARN('acquire'),
      dryRun: true,
      totals: emptyTotals(),
    });
    // Kept 90 days (TTL on AWS).
    expect(record!.ttl as number).toBeGreaterThan(Date.now() / 1000 + 89 * 24 * 3600);
  });

  test('a second run while the first holds the lock ends SKIPPED, naming the holder', async () => {
    const first = started(await startRun(startEvent('holder'), lambdaContext()));
    const second = await startRun(
      startEvent('latecomer', {}, '2024-05-01T12:05:00.000Z'),
      lambdaContext(),
    );

    const held = await lock();
    expect(second).toEqual({
      status: 'SKIPPED',
      holder: { runId: first.run.runId, executionArn: ARN('holder'), expiresAt: held!.expiresAt },
    });
    expect(held).toMatchObject({ executionArn: ARN('holder') }); // untouched
    expect(await runRecord('20240501T120500Z-latecomer')).toMatchObject({
      status: 'SKIPPED',
      holder: { runId: first.run.runId, executionArn: ARN('holder') },
    });
  });

  test('StartRun retried by Step Functions for the same execution is not SKIPPED by its own lock', async () => {
    const event = startEvent('retried');
    const first = started(await startRun(event, lambdaContext()));
    const again = started(await startRun(event, lambdaContext()));
    expect(again.run).toEqual(first.run);
    expect(await lock()).toMatchObject({ executionArn: ARN('retried') });
  });

  test('an expired lock is taken over, with a warning naming the previous holder', async () => {
    await store.ddb.send(
      new PutCommand({
        TableName: store.tableNames.runs,
        Item: {
          ...LOCK_KEY,
          runId: 'crashed-run',
          executionArn: ARN('crashed'),
          acquiredAt: '2024-05-01T10:00:00.000Z',
          expiresAt: '2024-05-01T10:05:00.000Z',
        },
      }),
    );
    const warnings: { message: string; attributes?: Record<string, unknown> }[] = [];
    const log: Log = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (message, attributes) => warnings.push({ message, attributes }),
    };

    const result = await startRunUseCase(
      startEvent('successor', {}, '2024-05-01T10:06:00.000Z'),
      {
        runs: new DynamoRunStore(store.ddb, store.tableNames.runs),
        clock: manualClock('2024-05-01T10:06:00.000Z'),
        log,
      },
      { leaseSeconds: LEASE_SECONDS },
    );

    expect(result.status).toBe('STARTED');
    expect(await lock()).toMatchObject({
      executionArn: ARN('successor'),
      expiresAt: '2024-05-01T10:11:00.000Z',
    });
    expect(warnings).toEqual([
      {
        message: 'took over an expired run lock',
        attributes: expect.objectContaining({
          previousRunId: 'crashed-run',
          previousExecutionArn: ARN('crashed'),
        }),
      },
    ]);
  });

  test('a live lock is not taken over one second before it expires', async () => {
    const runs = new DynamoRunStore(store.ddb, store.tableNames.runs);
    const clock = manualClock('2024-05-01T10:00:00.000Z');
    const deps = { runs, clock };
    started(
      await startRunUseCase(startEvent('live', {}, '2024-05-01T10:00:00.000Z'), deps, {
        leaseSeconds: 60,
      }),
    );
    clock.set('2024-05-01T10:00:59.000Z');
    expect(
      (
        await startRunUseCase(startEvent('too-early', {}, '2024-05-01T10:00:59.000Z'), deps, {
          leaseSeconds: 60,
        })
      ).status,
    ).toBe('SKIPPED');
    clock.set('2024-05-01T10:01:00.001Z');
    expect(
      (
        await startRunUseCase(startEvent('in-time', {}, '2024-05-01T10:01:00.001Z'), deps, {
          leaseSeconds: 60,
        })
      ).status,
    ).toBe('STARTED');
  });

  test('invalid input fails fast with InvalidExecutionInput: no lock, no run record', async () => {
    await expect(
      startRun(
        startEvent('bad-input', { dryrun: true }, '2024-05-01T13:00:00.000Z'),
        lambdaContext(),
      ),
    ).rejects.toMatchObject({
      name: ERROR.InvalidExecutionInput,
      message: 'unknown field "dryrun"',
    });
    expect(await lock()).toBeUndefined();
    expect(await runRecord('20240501T130000Z-bad-input')).toBeUndefined();
  });

  test('resume hands the lock over from the parent execution only', async () => {
    const parent = started(await startRun(startEvent('parent'), lambdaContext()));
    const resume = {
      run: parent.run,
      cursor: { kind: 'index', shard: 2 },
      totals: { ...emptyTotals(), pages: 3, fetched: 21 },
    };

    // A stranger cannot take the run over by claiming to continue it.
    await expect(
      startRun(
        startEvent('impostor', {
          resume,
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: ARN('not-the-parent'),
        }),
        lambdaContext(),
      ),
    ).rejects.toMatchObject({ name: ERROR.LockLost });
    expect(await lock()).toMatchObject({ executionArn: ARN('parent') });
    expect(await runRecord(parent.run.runId)).toMatchObject({ status: 'RUNNING' });

    const child = started(
      await startRun(
        startEvent('child', { resume, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: ARN('parent') }),
        lambdaContext(),
      ),
    );
    expect(child).toEqual({ ...resume, executionArn: ARN('child'), pagesThisExecution: 0 });
    expect(await lock()).toMatchObject({ runId: parent.run.runId, executionArn: ARN('child') });
    expect(await runRecord(parent.run.runId)).toMatchObject({
      executionArn: ARN('child'),
      status: 'RUNNING',
    });

    // The child's StartRun retried: still fine; the parent can no longer release the lock.
    started(
      await startRun(
        startEvent('child', { resume, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: ARN('parent') }),
        lambdaContext(),
      ),
    );
    await finishRun(finishEvent(parent, 'SUCCEEDED'), lambdaContext());
    expect(await lock()).toMatchObject({ executionArn: ARN('child') });
  });

  test('resume after the lock was lost marks the run FAILED (nobody else would close it)', async () => {
    const parent = started(await startRun(startEvent('lost-parent'), lambdaContext()));
    await clearLock(); // e.g. expired and taken over, then released by another run
    const resume = { run: parent.run, cursor: null, totals: emptyTotals() };

    await expect(
      startRun(
        startEvent('lost-child', {
          resume,
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: ARN('lost-parent'),
        }),
        lambdaContext(),
      ),
    ).rejects.toMatchObject({ name: ERROR.LockLost });
    expect(await runRecord(parent.run.runId)).toMatchObject({
      status: 'FAILED',
      error: expect.stringMatching(/^LockLost: /),
    });
    expect(await lock()).toBeUndefined();
  });

  test('finish-run releases the lock and writes the summary', async () => {
    const startTime = new Date(Date.now() - 5000).toISOString();
    const state = started(await startRun(startEvent('finisher', {}, startTime), lambdaContext()));
    const totals = {
      ...emptyTotals(),
      pages: 2,
      fetched: 10,
      confirmed: 7,
      rejected: 1,
      deferred: 2,
    };

    const summary = await finishRun(
      finishEvent({ ...state, totals }, 'SUCCEEDED'),
      lambdaContext(),
    );

    expect(summary).toEqual({
      runId: state.run.runId,
      status: 'SUCCEEDED',
      startedAt: startTime,
      finishedAt: expect.any(String),
      durationMs: Date.parse(summary.finishedAt) - Date.parse(startTime),
      dryRun: false,
      totals,
    });
    expect(summary.durationMs).toBeGreaterThanOrEqual(5000);
    expect(await lock()).toBeUndefined();
    const record = await runRecord(state.run.runId);
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      finishedAt: summary.finishedAt,
      totals,
      executionArn: ARN('finisher'),
    });
    expect(record?.error).toBeUndefined();
  });

  test('finish-run after a failure records the error (Error: Cause) and releases only its own lock', async () => {
    const state = started(await startRun(startEvent('failing'), lambdaContext()));
    const cause = JSON.stringify({
      errorType: 'SystemicFault',
      errorMessage: 'DynamoDB Query failed',
      trace: ['x'],
    });

    const summary = await finishRun(
      finishEvent(state, 'FAILED', { Error: 'SystemicFault', Cause: cause }),
      lambdaContext(),
    );

    expect(summary).toMatchObject({
      status: 'FAILED',
      error: 'SystemicFault: DynamoDB Query failed',
    });
    expect(await runRecord(state.run.runId)).toMatchObject({
      status: 'FAILED',
      error: 'SystemicFault: DynamoDB Query failed',
    });

    // A run that lost its lock (LockLost) must not release its successor's lock.
    const successor = started(await startRun(startEvent('successor-2'), lambdaContext()));
    await finishRun(
      finishEvent(state, 'FAILED', { Error: 'LockLost', Cause: 'lease lost' }),
      lambdaContext(),
    );
    expect(await lock()).toMatchObject({
      runId: successor.run.runId,
      executionArn: ARN('successor-2'),
    });
  });

  test('release-lock releases the lock of an aborted execution and marks its run ABORTED', async () => {
    const state = started(await startRun(startEvent('aborted'), lambdaContext()));

    const result = await releaseLock(statusChange('aborted', 'ABORTED'), lambdaContext());

    expect(result).toEqual({ released: true, runId: state.run.runId, runMarked: true });
    expect(await lock()).toBeUndefined();
    expect(await runRecord(state.run.runId)).toMatchObject({
      status: 'ABORTED',
      error: expect.stringContaining('ABORTED'),
    });
    // Delivered twice: nothing more happens.
    expect(await releaseLock(statusChange('aborted', 'ABORTED'), lambdaContext())).toEqual({
      released: false,
    });
  });

  test('release-lock maps TIMED_OUT and FAILED onto the run record', async () => {
    const timedOut = started(await startRun(startEvent('timed-out'), lambdaContext()));
    await releaseLock(statusChange('timed-out', 'TIMED_OUT'), lambdaContext());
    expect(await runRecord(timedOut.run.runId)).toMatchObject({ status: 'TIMED_OUT' });

    const failed = started(await startRun(startEvent('failed-in-start'), lambdaContext()));
    await releaseLock(statusChange('failed-in-start', 'FAILED'), lambdaContext());
    expect(await runRecord(failed.run.runId)).toMatchObject({ status: 'FAILED' });
    expect(await lock()).toBeUndefined();
  });

  test("release-lock leaves another execution's lock alone, and ignores SUCCEEDED", async () => {
    const holder = started(await startRun(startEvent('still-running'), lambdaContext()));

    expect(await releaseLock(statusChange('someone-else', 'ABORTED'), lambdaContext())).toEqual({
      released: false,
    });
    expect(await releaseLock(statusChange('still-running', 'SUCCEEDED'), lambdaContext())).toEqual({
      released: false,
    });

    expect(await lock()).toMatchObject({ executionArn: ARN('still-running') });
    expect(await runRecord(holder.run.runId)).toMatchObject({ status: 'RUNNING' });
  });

  test('release-lock does not overwrite a run that already finished', async () => {
    const state = started(await startRun(startEvent('finished-first'), lambdaContext()));
    await finishRun(finishEvent(state, 'FAILED', { Error: 'States.Timeout' }), lambdaContext());
    // The FAILED execution's status-change event arrives after its own Catch released the lock.
    expect(await releaseLock(statusChange('finished-first', 'FAILED'), lambdaContext())).toEqual({
      released: false,
    });
    expect(await runRecord(state.run.runId)).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout',
    });
  });

  test('runs can be listed newest first from the RUN partition', async () => {
    started(await startRun(startEvent('list-a', {}, '2030-01-01T00:00:01.000Z'), lambdaContext()));
    await clearLock();
    started(await startRun(startEvent('list-b', {}, '2030-01-01T00:00:02.000Z'), lambdaContext()));
    const { Items } = await store.ddb.send(
      new QueryCommand({
        TableName: store.tableNames.runs,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RUN_PARTITION },
        ScanIndexForward: false,
        Limit: 2,
      }),
    );
    expect(Items?.map((item) => item.runId)).toEqual([
      '20300101T000002Z-list-b',
      '20300101T000001Z-list-a',
    ]);
  });
});
