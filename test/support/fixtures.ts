import type { Context } from 'aws-lambda';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, type RunState, type StartRunResult } from '../../lambdas/contracts';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import type { Clock } from '../../lambdas/domain/ports';
import type { Store } from './store';

/** Shard count used by the tests unless a test says otherwise. */
export const TEST_SHARD_COUNT = 4;

/** A valid PENDING transaction as writers store it (pendingShard included). */
export function pendingTransaction(
  id: string,
  overrides: Record<string, unknown> = {},
  shardCount = TEST_SHARD_COUNT,
): Record<string, unknown> {
  return {
    id,
    status: 'PENDING',
    amount: 1250,
    currency: 'EUR',
    createdAt: '2024-05-01T10:00:00.000Z',
    attempts: 0,
    pendingShard: pendingShardFor(id, shardCount),
    ...overrides,
  };
}

export async function putTransactions(
  store: Store,
  items: Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const chunk = items.slice(i, i + 25);
    let request: Record<string, unknown[]> | undefined = {
      [store.tableNames.transactions]: chunk.map((Item) => ({ PutRequest: { Item } })),
    };
    while (request !== undefined && Object.keys(request).length > 0) {
      const response = await store.ddb.send(
        new BatchWriteCommand({ RequestItems: request as never }),
      );
      request = response.UnprocessedItems as Record<string, unknown[]> | undefined;
    }
  }
}

export async function putTransaction(store: Store, item: Record<string, unknown>): Promise<void> {
  await store.ddb.send(new PutCommand({ TableName: store.tableNames.transactions, Item: item }));
}

export async function getTransaction(
  store: Store,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await store.ddb.send(
    new GetCommand({ TableName: store.tableNames.transactions, Key: { id }, ConsistentRead: true }),
  );
  return Item;
}

/** The ids the pending index holds under `shard`. */
export async function pendingIdsInShard(store: Store, shard: string): Promise<string[]> {
  const { Items } = await store.ddb.send(
    new QueryCommand({
      TableName: store.tableNames.transactions,
      IndexName: store.tableNames.pendingIndex,
      KeyConditionExpression: 'pendingShard = :s',
      ExpressionAttributeValues: { ':s': shard },
    }),
  );
  return (Items ?? []).map((i) => String(i.id));
}

export async function getRunsItem(
  store: Store,
  pk: string,
  sk: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await store.ddb.send(
    new GetCommand({ TableName: store.tableNames.runs, Key: { pk, sk }, ConsistentRead: true }),
  );
  return Item;
}

/** A clock the test moves by hand. */
export function manualClock(
  start: string,
): Clock & { set(iso: string): void; advance(ms: number): void } {
  let now = new Date(start);
  return {
    now: () => new Date(now),
    set: (iso) => {
      now = new Date(iso);
    },
    advance: (ms) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

/** Just enough of the Lambda context for the handlers. */
export function lambdaContext(remainingMs = 600_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
    memoryLimitInMB: '512',
    awsRequestId: 'test-request',
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'test-stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The environment lib/ gives the handlers, pointed at this store. */
export function handlerEnv(
  store: Store,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: store.endpoint,
    AWS_ENDPOINT_URL_S3: store.s3.url,
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.MANIFEST_BUCKET]: store.manifestBucket,
    [ENV.TRANSACTIONS_TABLE]: store.tableNames.transactions,
    [ENV.PENDING_INDEX]: store.tableNames.pendingIndex,
    [ENV.RUNS_TABLE]: store.tableNames.runs,
    [ENV.SHARD_COUNT]: String(TEST_SHARD_COUNT),
    [ENV.PAGE_SIZE]: '100',
    [ENV.MAX_PAGES_PER_EXECUTION]: '1000',
    [ENV.LOCK_LEASE_SECONDS]: '300',
    [ENV.MAX_ATTEMPTS]: '5',
    [ENV.PROVIDER_BASE_URL]: 'http://127.0.0.1:9',
    [ENV.PROVIDER_SECRET_ID]: 'txconfirm/provider-api-key',
    [ENV.PROVIDER_TIMEOUT_MS]: '2000',
    [ENV.IN_BATCH_PARALLELISM]: '4',
    ...overrides,
  };
}

/**
 * Load a handler module afresh with this environment (handlers read their env and build their
 * clients at module load), e.g. `loadHandler(env, () => import('../../lambdas/handlers/start-run'))`.
 */
export async function loadHandler<M>(
  env: Record<string, string>,
  load: () => Promise<M>,
): Promise<M> {
  Object.assign(process.env, env);
  let loaded: M | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = await load();
  });
  return loaded as M;
}

/** The RunState of a STARTED StartRun result (throws for SKIPPED). */
export function startedState(result: StartRunResult): RunState {
  if (result.status !== 'STARTED') {
    throw new Error(`expected STARTED, got ${JSON.stringify(result)}`);
  }
  return {
    run: result.run,
    cursor: result.cursor,
    totals: result.totals,
    executionArn: result.executionArn,
    pagesThisExecution: result.pagesThisExecution,
  };
}
