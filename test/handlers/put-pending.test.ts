// putPending, the producer contract's writer (docs/producers.md), against dynalite: the item the
// confirmer reads, in the pending index; never an overwrite.
import { putPending } from '../../lambdas/adapters/put-pending';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import {
  getTransaction,
  pendingIdsInShard,
  putTransaction,
  TEST_SHARD_COUNT,
} from '../support/fixtures';
import { startStore, type Store } from '../support/store';

let store: Store;
beforeAll(async () => {
  store = await startStore();
});
afterAll(async () => {
  await store?.stop();
});

const input = (id: string) => ({
  id,
  amount: 2500,
  currency: 'EUR',
  createdAt: new Date('2026-11-30T08:00:00.000Z'),
});
const get = (id: string) => getTransaction(store, id);

test('writes the PENDING item into the table and the pending index', async () => {
  const result = await putPending(store.ddb, store.tableNames.transactions, input('pp-1'), {
    shardCount: TEST_SHARD_COUNT,
  });
  expect(result.outcome).toBe('written');
  expect(await get('pp-1')).toEqual(result.item);
  expect(await pendingIdsInShard(store, pendingShardFor('pp-1', TEST_SHARD_COUNT))).toContain(
    'pp-1',
  );
});

test('an id already there is never overwritten: a retry, or a transaction txconfirm finished', async () => {
  await putPending(store.ddb, store.tableNames.transactions, input('pp-2'), {
    shardCount: TEST_SHARD_COUNT,
  });
  const retry = await putPending(store.ddb, store.tableNames.transactions, input('pp-2'), {
    shardCount: TEST_SHARD_COUNT,
  });
  expect(retry.outcome).toBe('exists');

  const confirmed = {
    id: 'pp-3',
    status: 'CONFIRMED',
    amount: 2500,
    currency: 'EUR',
    createdAt: '2026-11-30T08:00:00.000Z',
    attempts: 0,
    providerRef: 'ref-3',
    terminalWrites: 1,
  };
  await putTransaction(store, confirmed);
  const again = await putPending(store.ddb, store.tableNames.transactions, input('pp-3'), {
    shardCount: TEST_SHARD_COUNT,
  });
  expect(again.outcome).toBe('exists');
  expect(await get('pp-3')).toEqual(confirmed);
});

test('bad input is refused before anything is sent', async () => {
  await expect(
    putPending(
      store.ddb,
      store.tableNames.transactions,
      { ...input('pp-4'), amount: -1 },
      {
        shardCount: TEST_SHARD_COUNT,
      },
    ),
  ).rejects.toMatchObject({ name: 'InvalidPendingTransaction', field: 'amount' });
  expect(await get('pp-4')).toBeUndefined();
});
