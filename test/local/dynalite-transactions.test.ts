import {
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startStore, type Store } from '../support/store';
import { getTransaction } from '../support/fixtures';
import { rejection } from '../support/rejection';

// dynalite 4 has no TransactWriteItems: patches/dynalite+4.0.0.patch adds it, for Puts only
// (docs/architecture.md, "dynalite is patched").

let store: Store;

beforeAll(async () => {
  store = await startStore();
});
afterAll(async () => {
  await store.stop();
});

const SHARD = 'shard-tx';

/** A Put of a PENDING transaction (so with its pending-index keys) that must not exist yet. */
const newPending = (id: string) => ({
  Put: {
    TableName: store.tableNames.transactions,
    Item: { id, status: 'PENDING', pendingShard: SHARD, createdAt: `2024-01-01T00:00:00Z#${id}` },
    ConditionExpression: 'attribute_not_exists(id)',
  },
});

const getItem = (id: string) => getTransaction(store, id);

/** The ids in the pending index under SHARD whose id starts with `prefix` (createdAt ends with the id). */
const pendingIds = async (prefix: string) => {
  const { Items } = await store.ddb.send(
    new QueryCommand({
      TableName: store.tableNames.transactions,
      IndexName: store.tableNames.pendingIndex,
      KeyConditionExpression: 'pendingShard = :shard AND begins_with(createdAt, :prefix)',
      ExpressionAttributeValues: { ':shard': SHARD, ':prefix': `2024-01-01T00:00:00Z#${prefix}` },
    }),
  );
  return (Items ?? []).map((item) => item.id as string).sort();
};

const transact = (TransactItems: NonNullable<TransactWriteCommand['input']['TransactItems']>) =>
  store.ddb.send(new TransactWriteCommand({ TransactItems }));

describe('dynalite TransactWriteItems (patched, Put only)', () => {
  test('all Puts are written, with their pending-index entries', async () => {
    const ids = ['all-1', 'all-2', 'all-3'];
    const output = await store.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          ...ids.map((id) => newPending(id)),
          // Another table in the same transaction
          {
            Put: {
              TableName: store.tableNames.runs,
              Item: { pk: 'TX-TEST', sk: 'all' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
        ClientRequestToken: 'all-puts-token',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    // Two write units per item of under 1 KB: the price of a transactional write
    expect(output.ConsumedCapacity).toEqual(
      expect.arrayContaining([
        { TableName: store.tableNames.transactions, CapacityUnits: 6 },
        { TableName: store.tableNames.runs, CapacityUnits: 2 },
      ]),
    );
    for (const id of ids) {
      expect(await getItem(id)).toEqual({
        id,
        status: 'PENDING',
        pendingShard: SHARD,
        createdAt: `2024-01-01T00:00:00Z#${id}`,
      });
    }
    expect(await pendingIds('all-')).toEqual(ids);
    const run = await store.ddb.send(
      new GetCommand({ TableName: store.tableNames.runs, Key: { pk: 'TX-TEST', sk: 'all' } }),
    );
    expect(run.Item).toEqual({ pk: 'TX-TEST', sk: 'all' });
  });

  test('a Put that replaces an item updates its pending-index entry as PutItem does', async () => {
    await transact([newPending('move-1')]);
    expect(await pendingIds('move-')).toEqual(['move-1']);
    // No condition: the item is replaced by one that is no longer PENDING (no index keys)
    await transact([
      { Put: { TableName: store.tableNames.transactions, Item: { id: 'move-1', status: 'DONE' } } },
    ]);
    expect(await getItem('move-1')).toEqual({ id: 'move-1', status: 'DONE' });
    expect(await pendingIds('move-')).toEqual([]);
  });

  test('one failing condition: nothing is written; reasons in order, the old item for ALL_OLD', async () => {
    await store.ddb.send(
      new PutCommand({
        TableName: store.tableNames.transactions,
        Item: {
          id: 'cancel-2',
          status: 'PENDING',
          pendingShard: SHARD,
          createdAt: '2024-01-01T00:00:00Z#cancel-2',
        },
      }),
    );
    const items: TransactWriteItem[] = ['cancel-1', 'cancel-2', 'cancel-3'].map((id) => ({
      Put: {
        TableName: store.tableNames.transactions,
        Item: {
          id: { S: id },
          status: { S: 'NEW' },
          pendingShard: { S: SHARD },
          createdAt: { S: `2024-01-01T00:00:00Z#${id}` },
        },
        ConditionExpression: 'attribute_not_exists(id)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    }));
    // The SDK's own client: the modelled exception with its CancellationReasons
    const err = await rejection(
      store.ddb.send(new TransactWriteItemsCommand({ TransactItems: items })),
    );
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(err.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]',
    );
    expect((err as TransactionCanceledException).$metadata.httpStatusCode).toBe(400);
    expect((err as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: {
          id: { S: 'cancel-2' },
          status: { S: 'PENDING' },
          pendingShard: { S: SHARD },
          createdAt: { S: '2024-01-01T00:00:00Z#cancel-2' },
        },
      },
      { Code: 'None' },
    ]);

    expect(await getItem('cancel-1')).toBeUndefined();
    expect(await getItem('cancel-3')).toBeUndefined();
    expect(await getItem('cancel-2')).toMatchObject({ status: 'PENDING' });
    expect(await pendingIds('cancel-')).toEqual(['cancel-2']);

    // The document client's TransactWriteCommand: same exception; without ALL_OLD, no Item
    const docErr = await rejection(transact([newPending('cancel-4'), newPending('cancel-2')]));
    expect(docErr.name).toBe('TransactionCanceledException');
    expect((docErr as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
    ]);
    expect(await getItem('cancel-4')).toBeUndefined();
  });

  test('conflicting transactions on the same items: no deadlock, one of each group wins whole', async () => {
    // Per group, all in flight at once: one transaction on b alone, then two on a and b naming
    // them in opposite orders. Locking in the order given would deadlock as soon as the second
    // gets b (freed by the first) while the third holds a and waits for b.
    const groups = Array.from({ length: 30 }, (_, i) => [`race-${i}-a`, `race-${i}-b`]);
    const calls = groups.map(([a, b]) => [[b], [b, a], [a, b]]);
    const results = await Promise.all(
      calls.map((group) =>
        Promise.allSettled(group.map((ids) => transact(ids.map((id) => newPending(id))))),
      ),
    );
    let written = 0;
    results.forEach((group, i) => {
      const won = group.flatMap((result, j) => (result.status === 'fulfilled' ? [j] : []));
      expect(won).toHaveLength(1);
      for (const result of group) {
        if (result.status === 'rejected') {
          expect((result.reason as Error).name).toBe('TransactionCanceledException');
        }
      }
      written += calls[i][won[0]].length;
    });
    expect(await pendingIds('race-')).toHaveLength(written);
  }, 20_000);

  test('two operations on one item: ValidationException, nothing written', async () => {
    const err = await rejection(
      transact([newPending('dup-1'), newPending('dup-2'), newPending('dup-1')]),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe('Transaction request cannot include multiple operations on one item');
    expect(await getItem('dup-1')).toBeUndefined();
    expect(await getItem('dup-2')).toBeUndefined();
  });

  test('100 entries are accepted, 101 are a ValidationException', async () => {
    const ids = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
    await transact(ids('hundred', 100).map((id) => newPending(id)));
    expect(await pendingIds('hundred-')).toHaveLength(100);

    const err = await rejection(transact(ids('over', 101).map((id) => newPending(id))));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toContain(
      "at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
    );
    expect(await pendingIds('over-')).toEqual([]);
  });

  test('an Update entry: ValidationException saying only Put is supported', async () => {
    const err = await rejection(
      transact([
        newPending('update-1'),
        {
          Update: {
            TableName: store.tableNames.transactions,
            Key: { id: 'update-2' },
            UpdateExpression: 'SET #s = :s',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': 'DONE' },
          },
        },
      ]),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe(
      'This dynalite (patched for txconfirm) supports only Put in TransactWriteItems: transactItems.2.member has Update',
    );
    expect(await getItem('update-1')).toBeUndefined();
  });

  test('a Put is validated as PutItem validates it', async () => {
    const put = (fields: Record<string, unknown>) =>
      transact([{ Put: { TableName: store.tableNames.transactions, ...fields } as never }]);
    const message = async (call: Promise<unknown>) => {
      const err = await rejection(call);
      expect(err.name).toBe('ValidationException');
      return err.message;
    };
    expect(
      await message(put({ Item: { id: 'v-1' }, ConditionExpression: 'attribute_not_exists(' })),
    ).toMatch(/^Invalid ConditionExpression: Syntax error;/);
    expect(
      await message(
        put({
          Item: { id: 'v-1' },
          ConditionExpression: 'attribute_not_exists(id)',
          ExpressionAttributeValues: { ':unused': 1 },
        }),
      ),
    ).toBe('Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}');
    expect(
      await message(put({ Item: { id: 'v-1' }, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' })),
    ).toContain('Member must satisfy enum value set: [ALL_OLD, NONE]');
    expect(await getItem('v-1')).toBeUndefined();
  });

  test('a malformed Put: ValidationException, and the server answers the next request', async () => {
    const err = await rejection(
      transact([
        newPending('malformed-1'),
        { Put: { TableName: store.tableNames.transactions, Item: { status: 'PENDING' } } },
      ]),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe(
      'One or more parameter values were invalid: Missing the key id in the item',
    );

    // A null attribute value, which no SDK sends: PutItem's own checks would throw on it, and
    // dynalite rethrows such errors out of its HTTP handler (ending the process).
    const raw = await fetch(store.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.TransactWriteItems',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-date': '20240101T000000Z',
      },
      body: JSON.stringify({
        TransactItems: [
          { Put: { TableName: store.tableNames.transactions, Item: { id: { S: 'x' }, a: null } } },
        ],
      }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({
      __type: 'com.amazon.coral.validate#ValidationException',
    });

    await transact([newPending('malformed-2')]);
    expect(await getItem('malformed-1')).toBeUndefined();
    expect(await getItem('malformed-2')).toMatchObject({ status: 'PENDING' });
  });
});
