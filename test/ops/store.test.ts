// requeue, pending, failed and runs against dynalite with the stack's own tables, reached as
// `txc --local` reaches them (the endpoint's target document points the DynamoDB client at the
// store): the update and query expressions are proven on a DynamoDB API, not only on a mock.
import { DynamoRunStore } from '../../lambdas/adapters/dynamo-run-store';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { emptyTotals } from '../../lambdas/domain/totals';
import {
  getTransaction,
  pendingIdsInShard as pendingIdsInShardOf,
  pendingTransaction,
  putTransactions,
  TEST_SHARD_COUNT,
} from '../support/fixtures';
import { startStore, type Store } from '../support/store';
import { fakeLocalEndpoint, line, storeEndpoint, txc } from './support';

let store: Store;
let endpoint: Awaited<ReturnType<typeof storeEndpoint>>;
const NOW = new Date('2024-05-02T12:00:00.000Z');
const now = () => NOW;

beforeAll(async () => {
  store = await startStore();
  endpoint = await storeEndpoint(store);
});
afterAll(async () => {
  await endpoint?.close();
  await store?.stop();
});

const local = (...argv: string[]) => txc([...argv, '--endpoint', endpoint.url], { now });

/** A FAILED transaction as confirm-batch leaves it: no pendingShard, lastError, completedAt, runId. */
function failedTransaction(id: string, overrides: Record<string, unknown> = {}) {
  const item: Record<string, unknown> = {
    ...pendingTransaction(id),
    status: 'FAILED',
    attempts: 5,
    lastError: 'MAX_ATTEMPTS: HTTP 503',
    completedAt: '2024-05-01T11:00:00.000Z',
    updatedAt: '2024-05-01T11:00:00.000Z',
    runId: '20240501T105500Z-sched',
    ...overrides,
  };
  delete item.pendingShard;
  return item;
}

const pendingIdsInShard = (shard: string) => pendingIdsInShardOf(store, shard);

describe('txc requeue on DynamoDB', () => {
  it('puts a FAILED transaction back into the pending index with the audit fields', async () => {
    await putTransactions(store, [failedTransaction('rq-1')]);
    const shard = pendingShardFor('rq-1', TEST_SHARD_COUNT);
    expect(await pendingIdsInShard(shard)).not.toContain('rq-1');

    const run = await local('requeue', 'rq-1', '--reason', 'provider outage over');
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toContain('requeued 1, skipped 0, errors 0');

    expect(await getTransaction(store, 'rq-1')).toEqual({
      ...pendingTransaction('rq-1'),
      attempts: 0,
      pendingShard: shard,
      updatedAt: NOW.toISOString(),
      completedAt: '2024-05-01T11:00:00.000Z',
      runId: '20240501T105500Z-sched',
      requeuedAt: NOW.toISOString(),
      requeueCount: 1,
      requeueReason: 'provider outage over',
      lastErrorBeforeRequeue: 'MAX_ATTEMPTS: HTTP 503',
    });
    expect(await pendingIdsInShard(shard)).toContain('rq-1');

    // Failing again and requeued again: the count goes on, the old reason does not linger.
    await putTransactions(store, [
      { ...failedTransaction('rq-1', { lastError: 'PROVIDER_HTTP_400: bad' }), requeueCount: 1 },
    ]);
    const again = await local('requeue', 'rq-1', '--json');
    expect(JSON.parse(again.out).requeued).toEqual([
      {
        id: 'rq-1',
        pendingShard: shard,
        requeueCount: 2,
        lastErrorBeforeRequeue: 'PROVIDER_HTTP_400: bad',
      },
    ]);
    const item = await getTransaction(store, 'rq-1');
    expect(item).not.toHaveProperty('requeueReason');
    expect(item).not.toHaveProperty('lastError');
  });

  it('skips every item that is not FAILED and leaves it exactly as it was', async () => {
    const others = [
      pendingTransaction('sk-pending'),
      { ...failedTransaction('sk-confirmed'), status: 'CONFIRMED', providerRef: 'ref-1' },
      { ...failedTransaction('sk-rejected'), status: 'REJECTED', lastError: 'card declined' },
    ];
    await putTransactions(store, others);
    const run = await local(
      'requeue',
      'sk-pending',
      'sk-confirmed',
      'sk-rejected',
      'sk-missing',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      requeued: [],
      skipped: [
        {
          id: 'sk-confirmed',
          status: 'CONFIRMED',
          reason: 'not FAILED (CONFIRMED): left untouched',
        },
        { id: 'sk-missing', status: null, reason: 'no such transaction' },
        { id: 'sk-pending', status: 'PENDING', reason: 'not FAILED (PENDING): left untouched' },
        { id: 'sk-rejected', status: 'REJECTED', reason: 'not FAILED (REJECTED): left untouched' },
      ],
      errors: [],
    });
    for (const item of others) expect(await getTransaction(store, String(item.id))).toEqual(item);
    expect(await getTransaction(store, 'sk-missing')).toBeUndefined();
  });

  it('a FAILED record without createdAt is skipped: the sorted index could never page it', async () => {
    // (A createdAt of another type cannot even be stored: it is the index's sort key.)
    const noCreatedAt = failedTransaction('bad-1', {
      lastError: 'INVALID_RECORD: createdAt: is missing',
    });
    delete noCreatedAt.createdAt;
    await putTransactions(store, [noCreatedAt]);
    const run = await local('requeue', 'bad-1', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      requeued: [],
      skipped: [
        {
          id: 'bad-1',
          status: 'FAILED',
          reason:
            'no string createdAt: the pending index could never page it; fix the record first',
        },
      ],
      errors: [],
    });
    expect(await getTransaction(store, 'bad-1')).toEqual(noCreatedAt);
  });

  it('a FAILED item without lastError is requeued with lastErrorBeforeRequeue null', async () => {
    const item = failedTransaction('nolast');
    delete item.lastError;
    await putTransactions(store, [item]);
    const run = await local('requeue', 'nolast');
    expect(run.code).toBe(0);
    expect(await getTransaction(store, 'nolast')).toMatchObject({
      status: 'PENDING',
      lastErrorBeforeRequeue: null,
      requeueCount: 1,
    });
  });
});

describe('txc pending, failed, requeue --all-failed and runs on DynamoDB', () => {
  // A store of its own: the counts below are the whole table.
  let own: Store;
  let ownEndpoint: Awaited<ReturnType<typeof fakeLocalEndpoint>>;
  const run = (...argv: string[]) => txc([...argv, '--endpoint', ownEndpoint.url], { now });

  beforeAll(async () => {
    own = await startStore();
    ownEndpoint = await fakeLocalEndpoint(
      { expression: 'rate(5 minutes)', state: 'ENABLED' },
      {
        dynamodbEndpoint: own.endpoint,
        tables: { ...own.tableNames },
        shardCount: TEST_SHARD_COUNT,
      },
    );
    const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
    await putTransactions(own, [
      ...Array.from({ length: 40 }, (_, i) =>
        pendingTransaction(`p-${i}`, { createdAt: minutesAgo(i + 1) }),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        failedTransaction(`f-${i}`, {
          createdAt: minutesAgo(500 + i),
          updatedAt: `2024-05-02T0${i}:00:00.000Z`,
          lastError: `MAX_ATTEMPTS: HTTP 50${i}`,
        }),
      ),
      { ...failedTransaction('c-1'), status: 'CONFIRMED' },
    ]);
  });
  afterAll(async () => {
    await ownEndpoint?.close();
    await own?.stop();
  });

  it('pending counts the backlog per shard and names the oldest', async () => {
    const result = await run('pending', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    const expected = new Map<string, number>();
    for (let i = 0; i < 40; i += 1) {
      const shard = pendingShardFor(`p-${i}`, TEST_SHARD_COUNT);
      expected.set(shard, (expected.get(shard) ?? 0) + 1);
    }
    expect(report.shards.map((s: { shard: string; count: number }) => [s.shard, s.count])).toEqual(
      ['00', '01', '02', '03'].map((s) => [s, expected.get(s) ?? 0]),
    );
    expect(report.total).toBe(40);
    expect(report.oldestId).toBe('p-39');
    expect(report.oldestAgeMs).toBe(40 * 60_000);
  });

  it('failed lists the FAILED transactions, newest first; --all-failed requeues them into the backlog', async () => {
    const failed = await run('failed', '--json');
    expect(JSON.parse(failed.out)).toEqual({
      items: [2, 1, 0].map((i) => ({
        id: `f-${i}`,
        lastError: `MAX_ATTEMPTS: HTTP 50${i}`,
        attempts: 5,
        createdAt: new Date(NOW.getTime() - (500 + i) * 60_000).toISOString(),
        updatedAt: `2024-05-02T0${i}:00:00.000Z`,
        requeueCount: null,
      })),
      truncated: false,
    });
    const limited = await run('failed', '--limit', '1');
    expect(limited.out).toContain('1 FAILED transaction(s) shown; more exist (--limit 1)');

    const requeued = await run('requeue', '--all-failed', '--reason', 'replay after fix');
    expect(requeued.code).toBe(0);
    expect(requeued.out).toContain('requeued 3, skipped 0, errors 0');
    expect((await run('failed')).out).toBe('no FAILED transactions\n');
    const pending = JSON.parse((await run('pending', '--json')).out);
    expect(pending.total).toBe(43);
    expect(pending.oldestId).toBe('f-2');
    expect(await getTransaction(own, 'c-1')).toMatchObject({ status: 'CONFIRMED' });
  });

  it('runs lists run records newest first, up to --limit', async () => {
    const runs = new DynamoRunStore(own.ddb, own.tableNames.runs);
    for (const [runId, status] of [
      ['20240502T100000Z-a', 'SUCCEEDED'],
      ['20240502T110000Z-b', 'FAILED'],
      ['20240502T113000Z-c', 'RUNNING'],
      ['20240502T090000Z-d', 'PROVIDER_UNAVAILABLE'],
    ] as const) {
      await runs.putRun({
        runId,
        status,
        startedAt: `${runId.slice(0, 4)}-05-02T${runId.slice(9, 11)}:${runId.slice(11, 13)}:00.000Z`,
        executionArn: `arn:x:${runId}`,
        dryRun: false,
        totals: { ...emptyTotals(), confirmed: 3 },
        ...(status === 'PROVIDER_UNAVAILABLE'
          ? {
              error: 'ProviderUnavailable: payment provider unavailable (a long sentence)',
              providerUnavailable: {
                reason: 'HTTP 503 ×20 of 20 calls',
                retryAt: '2024-05-02T09:00:30.000Z',
              },
            }
          : {}),
        ttl: 0,
      });
    }
    await runs.acquireLock(
      {
        runId: '20240502T113000Z-c',
        executionArn: 'arn:x:c',
        acquiredAt: NOW.toISOString(),
        expiresAt: '2024-05-02T12:10:00.000Z',
      },
      NOW.toISOString(),
    );
    const result = await run('runs', '--limit', '2', '--json');
    expect(
      JSON.parse(result.out).runs.map((r: { runId: string; status: string }) => [
        r.runId,
        r.status,
      ]),
    ).toEqual([
      ['20240502T113000Z-c', 'RUNNING'],
      ['20240502T110000Z-b', 'FAILED'],
    ]);
    const human = await run('runs');
    // A RUNNING run shows the totals of the pages read so far.
    expect(human.out).toMatch(
      /20240502T113000Z-c │ RUNNING +│ 30m 0s │ so far: fetched 0, confirmed 3 +│/,
    );
    // A run stopped by a provider outage: the status whole (over two lines), the breaker's
    // evidence and retry time instead of the error's prose.
    expect(human.out).toMatch(/20240502T090000Z-d │ PROVIDER_ +│/);
    expect(human.out).toMatch(/│ UNAVAILABLE │/);
    expect(human.out.replace(/[│\s]+/g, ' ')).toContain(
      'provider unavailable: HTTP 503 ×20 of 20 calls; next probe after 2024-05-02T09:00:30.000Z',
    );
    expect(human.out).not.toContain('a long sentence');
    for (const l of human.out.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(human.out).toMatch(/20240502T110000Z-b │ FAILED +│ - +│ fetched 0, confirmed 3 +│/);
    // The lock item shares the table but never shows up as a run.
    expect(human.out).not.toContain('confirmation');
    const schedule = await run('schedule');
    expect(schedule.out).toMatch(line('state', 'ENABLED'));
  });
});
