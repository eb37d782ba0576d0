import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  ENV,
  ERROR,
  type FetchPageEvent,
  type FetchPageResult,
  type RunState,
  type StartRunResult,
} from '../../lambdas/contracts';
import { BREAKER_KEY } from '../../lambdas/adapters/dynamo-provider-breaker';
import { DynamoRunStore, LOCK_KEY } from '../../lambdas/adapters/dynamo-run-store';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { emptyBatchResult } from '../../lambdas/domain/totals';
import {
  getRunsItem,
  getTransaction,
  handlerEnv,
  lambdaContext,
  loadHandler,
  pendingTransaction,
  putTransactions,
  startedState,
} from '../support/fixtures';
import { startStore, type Store } from '../support/store';

type Handler<R> = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<R>;

const SHARDS = 4;
const PAGE_SIZE = 7;
const START = '2024-05-01T12:00:00.000Z';
const ARN = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:txconfirm:${name}`;

let store: Store;
let startRun: Handler<StartRunResult>;
let fetchPage: Handler<FetchPageResult>;
let finishRun: Handler<unknown>;
/** PENDING before the cutoff: what a run must return, each exactly once. */
let backlog: string[];

const minutesBefore = (iso: string, minutes: number) =>
  new Date(Date.parse(iso) - minutes * 60_000).toISOString();

async function start(name: string, input: unknown = {}, startTime = START): Promise<RunState> {
  const result = await startRun(
    { input, executionArn: ARN(name), executionName: name, startTime },
    lambdaContext(),
  );
  return startedState(result);
}

async function finish(state: RunState): Promise<void> {
  await finishRun(
    {
      run: state.run,
      totals: state.totals,
      executionArn: state.executionArn,
      outcome: 'SUCCEEDED',
    },
    lambdaContext(),
  );
}

/** Drive FetchPage like the state machine does (ConfirmPage elided), until FINISH or CONTINUE. */
async function drain(state: RunState): Promise<{ pages: string[][]; last: FetchPageResult }> {
  const pages: string[][] = [];
  let event: FetchPageEvent = state;
  for (let guard = 0; guard < 1000; guard += 1) {
    const result = await fetchPage(event, lambdaContext());
    if (result.next !== 'CONFIRM') return { pages, last: result };
    const ids = await store.readManifest(result.page.manifest);
    expect(result.page.count).toBe(ids.length);
    pages.push(ids);
    event = { ...result, pageResults: [] };
  }
  throw new Error('paging did not end');
}

beforeAll(async () => {
  store = await startStore();
  const env = handlerEnv(store, {
    [ENV.SHARD_COUNT]: String(SHARDS),
    [ENV.PAGE_SIZE]: String(PAGE_SIZE),
    [ENV.MAX_PAGES_PER_EXECUTION]: '1000',
  });
  startRun = (await loadHandler(env, () => import('../../lambdas/handlers/start-run')))
    .handler as Handler<StartRunResult>;
  fetchPage = (await loadHandler(env, () => import('../../lambdas/handlers/fetch-page')))
    .handler as Handler<FetchPageResult>;
  finishRun = (await loadHandler(env, () => import('../../lambdas/handlers/finish-run')))
    .handler as Handler<unknown>;

  // 60 pending before the start, spread over the shards and over time; 10 created after the
  // start (after the cutoff); 10 already terminal (not in the index).
  backlog = Array.from({ length: 60 }, (_, i) => `old-${i}`);
  const items = [
    ...backlog.map((id, i) =>
      pendingTransaction(id, { createdAt: minutesBefore(START, 1 + ((i * 37) % 500)) }, SHARDS),
    ),
    ...Array.from({ length: 10 }, (_, i) =>
      pendingTransaction(`new-${i}`, { createdAt: minutesBefore(START, -1 - i) }, SHARDS),
    ),
    ...Array.from({ length: 10 }, (_, i) => {
      const done = pendingTransaction(`done-${i}`, { status: 'CONFIRMED' }, SHARDS);
      delete done.pendingShard;
      return done;
    }),
  ];
  await putTransactions(store, items);
  // Exactly at the cutoff is not "before" it.
  await putTransactions(store, [pendingTransaction('at-cutoff', { createdAt: START }, SHARDS)]);
});

afterAll(async () => {
  await store.stop();
});

describe('fetch-page', () => {
  test('pages every shard of the pending index: each pending id before the cutoff exactly once', async () => {
    // The backlog spans every shard, each holding more than one page's worth.
    const perShard = new Map<string, number>();
    for (const id of backlog) {
      const shard = pendingShardFor(id, SHARDS);
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    expect(perShard.size).toBe(SHARDS);
    expect(Math.min(...perShard.values())).toBeGreaterThan(PAGE_SIZE);

    const state = await start('paging');
    expect(state.cursor).toEqual({ kind: 'index', shard: 0 });

    const { pages, last } = await drain(state);
    await finish(last);

    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length); // no duplicates across pages
    expect([...seen].sort()).toEqual([...backlog].sort()); // no after-cutoff, terminal or at-cutoff ids
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(PAGE_SIZE);
    // Pages fill across shard boundaries: only the last one may be short.
    expect(pages.slice(0, -1).every((page) => page.length === PAGE_SIZE)).toBe(true);
    expect(last).toMatchObject({
      next: 'FINISH',
      cursor: null,
      page: { count: 0 },
      totals: { pages: Math.ceil(backlog.length / PAGE_SIZE), fetched: backlog.length },
    });
    expect(last).not.toHaveProperty('pageResults');
    // No page, no manifest: nothing for ConfirmPage, nothing left in the bucket.
    expect(last.page).toEqual({ count: 0 });
    const ofThisRun = `runs/${last.run.runId}/`;
    expect(store.s3.keys(store.manifestBucket).filter((k) => k.startsWith(ofThisRun))).toEqual([]);
  });

  test('createdBefore narrows the cutoff; a later createdBefore does not widen it', async () => {
    const createdBefore = minutesBefore(START, 250);
    const expected = backlog.filter((_, i) => 1 + ((i * 37) % 500) > 250);
    const narrowed = await start('narrow', { createdBefore }, minutesBefore(START, -1));
    expect(narrowed.run.cutoff).toBe(createdBefore);
    const { pages, last } = await drain(narrowed);
    await finish(last);
    expect(pages.flat().sort()).toEqual(expected.sort());

    const future = await start('future', { createdBefore: '2099-01-01T00:00:00Z' });
    expect(future.run.cutoff).toBe(START);
    const all = await drain(future);
    await finish(all.last);
    expect(all.pages.flat().sort()).toEqual([...backlog].sort());
  });

  test('maxItems stops the run after that many ids', async () => {
    const state = await start('max-items', { maxItems: 10 });
    const { pages, last } = await drain(state);
    await finish(last);
    expect(pages.map((page) => page.length)).toEqual([7, 3]);
    expect(last).toMatchObject({ next: 'FINISH', totals: { fetched: 10, pages: 2 } });
    expect(last.cursor).not.toBeNull(); // stopped by maxItems, not by an exhausted backlog
  });

  test('explicit ids mode walks transactionIds in order, whatever their state', async () => {
    const ids = ['old-3', 'new-1', 'done-2', 'nope-1', ...backlog.slice(10, 16)];
    const state = await start('explicit', { transactionIds: ids });
    expect(state.cursor).toEqual({ kind: 'ids', offset: 0 });
    expect(state.run.transactionIds).toEqual(ids);

    const { pages, last } = await drain(state);
    await finish(last);
    expect(pages).toEqual([ids.slice(0, 7), ids.slice(7)]);
    expect(last).toMatchObject({ next: 'FINISH', cursor: null, totals: { fetched: 10 } });
  });

  test('folds the previous page results into the totals (a failed child counts as a failed batch)', async () => {
    const state = await start('totals', { transactionIds: ['old-1', 'old-2'] });
    const first = await fetchPage(state, lambdaContext());
    const second = await fetchPage(
      {
        ...first,
        pageResults: [
          {
            processed: 1,
            confirmed: 1,
            rejected: 0,
            failed: 0,
            deferred: 0,
            skipped: 0,
            wouldProcess: 0,
          },
          { Error: 'SystemicFault', Cause: 'DynamoDB down' },
        ],
      },
      lambdaContext(),
    );
    await finish(second);
    expect(second.next).toBe('FINISH');
    expect(second.totals).toMatchObject({ pages: 1, fetched: 2, confirmed: 1, failedBatches: 1 });
  });

  test('continue-as-new after MAX_PAGES_PER_EXECUTION: the next execution resumes where it stopped', async () => {
    const env = handlerEnv(store, {
      [ENV.SHARD_COUNT]: String(SHARDS),
      [ENV.PAGE_SIZE]: String(PAGE_SIZE),
      [ENV.MAX_PAGES_PER_EXECUTION]: '3',
    });
    const shortFetch = (await loadHandler(env, () => import('../../lambdas/handlers/fetch-page')))
      .handler as Handler<FetchPageResult>;

    const seen: string[] = [];
    let state = await start('long-run');
    let executions = 1;
    for (;;) {
      let event: FetchPageEvent = state;
      let result: FetchPageResult;
      for (;;) {
        result = await shortFetch(event, lambdaContext());
        if (result.next !== 'CONFIRM') break;
        seen.push(...(await store.readManifest(result.page.manifest)));
        event = result;
      }
      if (result.next === 'FINISH') {
        await finish(result);
        break;
      }
      expect(result.pagesThisExecution).toBe(3);
      expect(result.resume).toEqual({
        run: state.run,
        cursor: result.cursor,
        totals: result.totals,
      });
      // ContinueAsNew: the child execution gets { resume } plus the parent's id from Step Functions.
      executions += 1;
      const childName = `long-run-${executions}`;
      const resumed = await startRun(
        {
          input: {
            resume: result.resume,
            AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: result.executionArn,
          },
          executionArn: ARN(childName),
          executionName: childName,
          startTime: new Date().toISOString(),
        },
        lambdaContext(),
      );
      expect(resumed).toMatchObject({
        status: 'STARTED',
        executionArn: ARN(childName),
        pagesThisExecution: 0,
      });
      const next = startedState(resumed);
      expect(next.run).toEqual(state.run); // same run, same cutoff
      state = next;
    }
    expect(executions).toBe(Math.ceil(Math.ceil(backlog.length / PAGE_SIZE) / 3));
    expect(seen.sort()).toEqual([...backlog].sort());
  });

  test('renews the lease of the holder on every page', async () => {
    const state = await start('renew');
    const before = await getRunsItem(store, LOCK_KEY.pk, LOCK_KEY.sk);
    await store.ddb.send(
      new UpdateCommand({
        TableName: store.tableNames.runs,
        Key: LOCK_KEY,
        UpdateExpression: 'SET expiresAt = :soon',
        ExpressionAttributeValues: { ':soon': new Date(Date.now() + 5000).toISOString() },
      }),
    );
    const result = await fetchPage(state, lambdaContext());
    const after = await getRunsItem(store, LOCK_KEY.pk, LOCK_KEY.sk);
    expect(after).toMatchObject({ runId: state.run.runId, executionArn: ARN('renew') });
    expect(Date.parse(after!.expiresAt as string)).toBeGreaterThan(Date.now() + 250_000);
    expect(after!.acquiredAt).toBe(before!.acquiredAt);
    await finish(result);
  });

  test('LockLost when another run holds the lock: no page is read', async () => {
    const holder = await start('holder');
    const intruder: RunState = { ...holder, executionArn: ARN('intruder') };
    await expect(fetchPage(intruder, lambdaContext())).rejects.toMatchObject({
      name: ERROR.LockLost,
      message: expect.stringContaining(ARN('intruder')),
    });
    const otherRun: RunState = { ...holder, run: { ...holder.run, runId: 'someone-else' } };
    await expect(fetchPage(otherRun, lambdaContext())).rejects.toMatchObject({
      name: ERROR.LockLost,
    });
    await finish(holder);
    // Released: the former holder cannot renew either.
    await expect(fetchPage(holder, lambdaContext())).rejects.toMatchObject({
      name: ERROR.LockLost,
    });
  });

  test('a malformed state is a wiring error', async () => {
    await expect(fetchPage({ run: {}, cursor: null }, lambdaContext())).rejects.toMatchObject({
      name: ERROR.InvalidConfiguration,
    });
  });
});

describe("fetch-page: a page's ids travel in its S3 manifest, not in the state", () => {
  let longStore: Store;
  let longFetch: Handler<FetchPageResult>;
  let longStart: Handler<StartRunResult>;
  let longFinish: Handler<unknown>;

  beforeAll(async () => {
    longStore = await startStore();
    const env = handlerEnv(longStore, {
      [ENV.SHARD_COUNT]: String(SHARDS),
      [ENV.PAGE_SIZE]: '300',
    });
    longStart = (await loadHandler(env, () => import('../../lambdas/handlers/start-run')))
      .handler as Handler<StartRunResult>;
    longFetch = (await loadHandler(env, () => import('../../lambdas/handlers/fetch-page')))
      .handler as Handler<FetchPageResult>;
    longFinish = (await loadHandler(env, () => import('../../lambdas/handlers/finish-run')))
      .handler as Handler<unknown>;
  });
  afterAll(async () => {
    await longStore.stop();
  });

  /** Drives the run to its end; `manifestsHeld` is how many manifests the bucket held at each FetchPage. */
  async function drainAll(input: unknown, name: string) {
    const state = startedState(
      await longStart(
        { input, executionArn: ARN(name), executionName: name, startTime: START },
        lambdaContext(),
      ),
    );
    const pages: string[][] = [];
    const stateBytes: number[] = [];
    const manifestsHeld: number[] = [];
    let event: FetchPageEvent = state;
    for (;;) {
      const result = await longFetch(event, lambdaContext());
      stateBytes.push(Buffer.byteLength(JSON.stringify(result)));
      manifestsHeld.push(longStore.s3.keys(longStore.manifestBucket).length);
      if (result.next !== 'CONFIRM') {
        await longFinish(
          {
            run: result.run,
            totals: result.totals,
            executionArn: result.executionArn,
            outcome: 'SUCCEEDED',
          },
          lambdaContext(),
        );
        return { pages, stateBytes, manifestsHeld, last: result };
      }
      expect(result.page.manifest).toEqual({
        bucket: longStore.manifestBucket,
        key: `runs/${result.run.runId}/page-${String(result.totals.pages).padStart(6, '0')}.json`,
      });
      pages.push(await longStore.readManifest(result.page.manifest));
      event = { ...result, pageResults: [] };
    }
  }

  test('index mode: 400 ids of 1,000 characters, pages of 300: the state stays small, each id once, no manifest left', async () => {
    const ids = Array.from(
      { length: 400 },
      (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(996)}`,
    );
    await putTransactions(
      longStore,
      ids.map((id, i) =>
        pendingTransaction(id, { createdAt: minutesBefore(START, 1 + i) }, SHARDS),
      ),
    );
    const { pages, stateBytes, manifestsHeld, last } = await drainAll({}, 'long-ids');
    // 400 KB of ids: the pages are cut by count only, and none of it is in the state.
    expect(pages.map((page) => page.length)).toEqual([300, 100]);
    expect(Math.max(...stateBytes)).toBeLessThan(4 * 1024);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual([...ids].sort());
    // Each FetchPage deletes the manifest of the page before: one at a time, none at the end.
    expect(manifestsHeld).toEqual([1, 1, 0]);
    expect(last.next).toBe('FINISH');
    expect(longStore.s3.keys(longStore.manifestBucket)).toEqual([]);
  });

  test('ids mode: 1,000 ids of 128 characters (carried in run) come in pages of 300 in order', async () => {
    const ids = Array.from(
      { length: 1000 },
      (_, i) => `${String(i).padStart(4, '0')}${'y'.repeat(124)}`,
    );
    const { pages, manifestsHeld } = await drainAll({ transactionIds: ids }, 'long-explicit');
    expect(pages.map((page) => page.length)).toEqual([300, 300, 300, 100]);
    expect(pages.flat()).toEqual(ids);
    expect(manifestsHeld.at(-1)).toBe(0);
  });

  test('a manifest that cannot be written fails FetchPage with the S3 error named; nothing is confirmed', async () => {
    const env = handlerEnv(longStore, {
      [ENV.SHARD_COUNT]: String(SHARDS),
      [ENV.PAGE_SIZE]: '300',
      [ENV.MANIFEST_BUCKET]: 'no-such-bucket',
    });
    const brokenFetch = (await loadHandler(env, () => import('../../lambdas/handlers/fetch-page')))
      .handler as Handler<FetchPageResult>;
    await putTransactions(longStore, [
      pendingTransaction('s3-down-1', { createdAt: minutesBefore(START, 1) }, SHARDS),
    ]);
    const state = startedState(
      await longStart(
        { input: {}, executionArn: ARN('s3-down'), executionName: 's3-down', startTime: START },
        lambdaContext(),
      ),
    );
    await expect(brokenFetch(state, lambdaContext())).rejects.toMatchObject({
      name: ERROR.SystemicFault,
      message: expect.stringMatching(/S3 PutObject of s3:\/\/no-such-bucket\/runs\/.*NoSuchBucket/),
    });
    // Nothing was confirmed: the transaction is still PENDING, untouched.
    expect(await getTransaction(longStore, 's3-down-1')).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });
    await longFinish(
      { run: state.run, totals: state.totals, executionArn: state.executionArn, outcome: 'FAILED' },
      lambdaContext(),
    );
  });
});

describe('oldest pending age (freshness SLO metric)', () => {
  test('is the oldest createdAt across every shard, ignoring terminal items', async () => {
    const ageStore = await startStore();
    try {
      const { DynamoTransactionRepository } =
        await import('../../lambdas/adapters/dynamo-transaction-repository');
      const { oldestPendingCreatedAt } = await import('../../lambdas/domain/fetch-page');
      const repo = new DynamoTransactionRepository(ageStore.ddb, {
        tableName: ageStore.tableNames.transactions,
        pendingIndexName: ageStore.tableNames.pendingIndex,
      });
      expect(await oldestPendingCreatedAt(repo, SHARDS, START)).toBeUndefined();

      const ids = Array.from({ length: 20 }, (_, i) => `age-${i}`);
      await putTransactions(
        ageStore,
        ids.map((id, i) =>
          pendingTransaction(id, { createdAt: minutesBefore(START, 10 + i) }, SHARDS),
        ),
      );
      const oldestId = ids[19];
      expect(await oldestPendingCreatedAt(repo, SHARDS, START)).toBe(minutesBefore(START, 29));

      // Once the oldest is confirmed (leaves the index), the next one counts.
      await ageStore.ddb.send(
        new UpdateCommand({
          TableName: ageStore.tableNames.transactions,
          Key: { id: oldestId },
          UpdateExpression: 'SET #s = :c REMOVE pendingShard',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':c': 'CONFIRMED' },
        }),
      );
      expect(await oldestPendingCreatedAt(repo, SHARDS, START)).toBe(minutesBefore(START, 28));
    } finally {
      await ageStore.stop();
    }
  });
});

describe('provider outage: FetchPage reads the circuit breaker as it folds a page', () => {
  const runRecord = async (state: RunState) =>
    (await getRunsItem(store, 'RUN', state.run.runId)) as
      | { status: string; totals: Record<string, number>; error?: string; [k: string]: unknown }
      | undefined;
  const putBreaker = (item: Record<string, unknown>) =>
    store.ddb.send(
      new PutCommand({ TableName: store.tableNames.runs, Item: { ...BREAKER_KEY, ...item } }),
    );
  const clearBreaker = () =>
    store.ddb.send(new DeleteCommand({ TableName: store.tableNames.runs, Key: BREAKER_KEY }));
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
  const result = (counts: Record<string, number>) => ({ ...emptyBatchResult(), ...counts });
  const OPEN = {
    state: 'OPEN',
    openedAt: '2024-05-01T11:59:00.000Z',
    reason: 'HTTP 503 ×20 of 20 calls',
    opens: 1,
  };

  afterEach(clearBreaker);

  test('OPEN with its retry time ahead: the first FetchPage stops the run before any page (UNAVAILABLE)', async () => {
    await putBreaker({ ...OPEN, retryAt: inSeconds(30) });
    const state = await start('outage-first');
    const stopped = await fetchPage(state, lambdaContext());
    expect(stopped).toMatchObject({
      next: 'UNAVAILABLE',
      page: { count: 0 },
      providerUnavailable: { reason: OPEN.reason, openedAt: OPEN.openedAt },
    });
    expect(stopped.page).toEqual({ count: 0 });
    expect(stopped.providerUnavailable!.cause).toContain('HTTP 503 ×20 of 20 calls');
    expect(stopped.providerUnavailable!.cause).toContain(stopped.providerUnavailable!.retryAt);

    // RecordProviderUnavailable: the run record says why, with the totals; the lock is free.
    await finishRun(
      {
        run: stopped.run,
        totals: stopped.totals,
        executionArn: stopped.executionArn,
        outcome: 'PROVIDER_UNAVAILABLE',
        providerUnavailable: stopped.providerUnavailable,
      },
      lambdaContext(),
    );
    const record = await runRecord(state);
    expect(record).toMatchObject({
      status: 'PROVIDER_UNAVAILABLE',
      providerUnavailable: {
        reason: OPEN.reason,
        retryAt: stopped.providerUnavailable!.retryAt,
        openedAt: OPEN.openedAt,
      },
    });
    expect(record?.error).toMatch(/^ProviderUnavailable: payment provider unavailable/);
    expect(await getRunsItem(store, LOCK_KEY.pk, LOCK_KEY.sk)).toBeUndefined();
  });

  test('a page whose batches left transactions untouched stops the run, with the folded totals', async () => {
    const state = await start('outage-fold');
    const first = await fetchPage(state, lambdaContext());
    expect(first.next).toBe('CONFIRM');
    // The page's batches opened the breaker meanwhile.
    await putBreaker({ ...OPEN, retryAt: inSeconds(30) });
    const stopped = await fetchPage(
      { ...first, pageResults: [result({ processed: 7, confirmed: 2, unavailable: 5 })] },
      lambdaContext(),
    );
    expect(stopped).toMatchObject({
      next: 'UNAVAILABLE',
      totals: { pages: 1, fetched: 7, confirmed: 2, unavailable: 5 },
    });
    expect(stopped.providerUnavailable!.cause).toContain('5 transactions of the last page');
    await finishRun(
      {
        run: stopped.run,
        totals: stopped.totals,
        executionArn: stopped.executionArn,
        outcome: 'PROVIDER_UNAVAILABLE',
        providerUnavailable: stopped.providerUnavailable,
      },
      lambdaContext(),
    );
  });

  test('OPEN with its retry time past: the run goes on (its batches probe); CLOSED again after a probe: too', async () => {
    await putBreaker({ ...OPEN, retryAt: inSeconds(-1) });
    const state = await start('outage-due');
    const first = await fetchPage(state, lambdaContext());
    expect(first.next).toBe('CONFIRM');
    // The probe closed it: the untouched items of that page wait for the next run.
    await putBreaker({ state: 'CLOSED', closedAt: inSeconds(0), lastReason: OPEN.reason });
    const second = await fetchPage(
      { ...first, pageResults: [result({ processed: 7, confirmed: 4, unavailable: 3 })] },
      lambdaContext(),
    );
    expect(second).toMatchObject({ next: 'CONFIRM', totals: { unavailable: 3, confirmed: 4 } });
    const { last } = await drain({ ...second, pageResults: [] } as RunState);
    await finish(last);
  });

  test('a dry run ignores the breaker', async () => {
    await putBreaker({ ...OPEN, retryAt: inSeconds(30) });
    const state = await start('outage-dry', { dryRun: true });
    expect((await fetchPage(state, lambdaContext())).next).toBe('CONFIRM');
    const { last } = await drain(state);
    await finish(last);
  });
});

describe('run records tell the truth before the run ends', () => {
  test('each FetchPage writes the running totals and page count into the RUNNING record', async () => {
    const state = await start('progress');
    const first = await fetchPage(state, lambdaContext());
    let record = await getRunsItem(store, 'RUN', state.run.runId);
    expect(record).toMatchObject({ status: 'RUNNING', totals: { pages: 1, fetched: PAGE_SIZE } });
    expect(typeof record?.progressAt).toBe('string');

    const second = await fetchPage(
      {
        ...first,
        pageResults: [
          {
            ...emptyBatchResult(),
            processed: PAGE_SIZE,
            confirmed: PAGE_SIZE - 1,
            rejected: 1,
          },
        ],
      },
      lambdaContext(),
    );
    record = await getRunsItem(store, 'RUN', state.run.runId);
    expect(record).toMatchObject({
      status: 'RUNNING',
      totals: { pages: 2, fetched: 2 * PAGE_SIZE, confirmed: PAGE_SIZE - 1, rejected: 1 },
    });

    // Once the run has its final record, progress is never written over it.
    await finish(second);
    const final = await getRunsItem(store, 'RUN', state.run.runId);
    expect(final).toMatchObject({ status: 'SUCCEEDED' });
    const runs = new DynamoRunStore(store.ddb, store.tableNames.runs);
    const late = { executionArn: state.executionArn, totals: state.totals, at: START };
    expect(await runs.recordProgress(state.run.runId, late)).toBe(false);
    // Nor by another execution than the run's current one.
    const other = await start('progress-other');
    expect(
      await runs.recordProgress(other.run.runId, { ...late, executionArn: ARN('stranger') }),
    ).toBe(false);
    await finish(other);
    expect(await getRunsItem(store, 'RUN', state.run.runId)).toEqual(final);
  });
});
