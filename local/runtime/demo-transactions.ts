/**
 * Demo PENDING transactions for `npm start` and `txc local serve`, written as an upstream writer
 * must write them (lambdas/domain/new-pending.ts newPendingTransaction), `createdAt` before the
 * run's cutoff.
 *
 * Ids are `demo-<seed>-<number>` (7 digits, from 0000001): deterministic per seed, so that the
 * simulator, whose draws are a function of (seed, id, attempt), gives the same outcome to the same
 * transaction in every run with that seed. Amounts and currencies follow the number too. A store
 * that already holds demo ids of this seed (a data dir) continues after the highest one, so a
 * second seeding never collides with the first.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { newPendingTransaction } from '../../lambdas/domain/new-pending';

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY'];
/** BatchWriteItem's limit. */
const BATCH_WRITE_ITEMS = 25;
/** Batches written at once: enough to keep dynalite busy, few enough not to queue up. */
const WRITERS = 8;
const DIGITS = 7;

export interface DemoTransactionsOptions {
  readonly count: number;
  readonly shardCount: number;
  /** The simulator's seed: part of every id. @default 1 */
  readonly seed?: number;
  /** The number of the first id. @default 1 */
  readonly firstNumber?: number;
  readonly now?: Date;
  /** Called as batches are written, with the number written so far. */
  readonly onProgress?: (written: number) => void;
}

/** The id of demo transaction `number` of `seed`. */
export function demoTransactionId(seed: number, number: number): string {
  return `${demoPrefix(seed)}${String(number).padStart(DIGITS, '0')}`;
}

const demoPrefix = (seed: number) => `demo-${seed}-`;

/** The number after the highest demo id of `seed` in the table (1 when there is none): a scan. */
export async function nextDemoNumber(
  client: DynamoDBDocumentClient,
  transactionsTable: string,
  seed: number,
): Promise<number> {
  const prefix = demoPrefix(seed);
  let highest = 0;
  for await (const page of paginateScan(
    { client },
    {
      TableName: transactionsTable,
      ProjectionExpression: 'id',
      FilterExpression: 'begins_with(id, :prefix)',
      ExpressionAttributeValues: { ':prefix': prefix },
    },
  )) {
    for (const item of page.Items ?? []) {
      const rest = String(item.id).slice(prefix.length);
      if (/^\d+$/.test(rest)) highest = Math.max(highest, Number(rest));
    }
  }
  return highest + 1;
}

/** Writes `count` PENDING demo transactions; returns their ids. */
export async function seedDemoTransactions(
  client: DynamoDBDocumentClient,
  transactionsTable: string,
  {
    count,
    shardCount,
    seed = 1,
    firstNumber = 1,
    now = new Date(),
    onProgress,
  }: DemoTransactionsOptions,
): Promise<string[]> {
  // Items are made a chunk at a time as the writers take them: a backlog of a million is never
  // held in memory at once (docs/performance.md, "Memory of a local run").
  const item = (i: number) => {
    const number = firstNumber + i;
    return newPendingTransaction(
      {
        id: demoTransactionId(seed, number),
        amount: 100 + ((number * 7919) % 99_900),
        currency: CURRENCIES[number % CURRENCIES.length],
        // Created before the run starts (the run's cutoff is its start time).
        createdAt: new Date(now.getTime() - 1000 - ((count - i) % 3_600_000)),
      },
      { shardCount },
    );
  };
  let written = 0;
  let next = 0;
  const writer = async () => {
    while (next < count) {
      const first = next;
      next = Math.min(count, next + BATCH_WRITE_ITEMS);
      const chunk = Array.from({ length: next - first }, (_, k) => item(first + k));
      let request: Record<string, unknown[]> | undefined = {
        [transactionsTable]: chunk.map((Item) => ({ PutRequest: { Item } })),
      };
      while (request && Object.keys(request).length > 0) {
        const response = await client.send(
          new BatchWriteCommand({ RequestItems: request as never }),
        );
        request = response.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
      written += chunk.length;
      onProgress?.(written);
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  return Array.from({ length: count }, (_, i) => demoTransactionId(seed, firstNumber + i));
}
