/**
 * Writes an import's items: up to 100 at a time in one TransactWriteItems, each Put conditional on
 * the id being absent, so nothing already in the table is ever overwritten — a re-run meets its own
 * earlier writes and a terminal transaction stays as txconfirm left it. A put refused by its
 * condition comes back with the stored item (ReturnValuesOnConditionCheckFailure ALL_OLD), which
 * says whether the row is `unchanged` (same content) or a `conflict`; the other puts of that
 * transaction are sent again. Throttling and transaction conflicts are retried with backoff.
 * docs/migration.md says why transactions and not BatchWriteItem.
 */
import {
  BatchGetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backOff } from 'exponential-backoff';
import type { PendingItem } from '../../lambdas/domain/new-pending';
import { ImportWriteFailed } from './errors';

/** TransactWriteItems' and BatchGetItem's limit. */
export const ITEMS_PER_WRITE = 100;

export interface PreparedRow {
  readonly row: number;
  readonly line: number;
  readonly item: PendingItem;
}

export type WriteOutcome =
  | { readonly kind: 'imported'; readonly row: PreparedRow }
  | { readonly kind: 'unchanged'; readonly row: PreparedRow; readonly terminal: boolean }
  | {
      readonly kind: 'conflict' | 'refused';
      readonly row: PreparedRow;
      readonly field: string;
      readonly reason: string;
    };

export interface StoreWriter {
  /** The outcome of every row (ids unique within the call, at most ITEMS_PER_WRITE). */
  write(rows: readonly PreparedRow[]): Promise<WriteOutcome[]>;
}

/** What makes an existing item the same transaction as the row: the fields the row sets. */
const COMPARED = ['amount', 'currency', 'createdAt'] as const;

/** The outcome of a row whose id the table already holds. */
export function compareStored(row: PreparedRow, stored: Record<string, unknown>): WriteOutcome {
  for (const field of COMPARED) {
    if (stored[field] !== row.item[field]) {
      // Amounts are never echoed (they end up in files and logs).
      const reason =
        field === 'amount'
          ? 'the stored amount differs from the row’s'
          : `stored ${JSON.stringify(stored[field])}, the row has ${JSON.stringify(row.item[field])}`;
      return { kind: 'conflict', row, field, reason: `CONFLICT: ${reason}` };
    }
  }
  return { kind: 'unchanged', row, terminal: stored.status !== 'PENDING' };
}

/** DynamoDB's answers that a later attempt can clear. */
const TRANSIENT_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
]);
/** Cancellation reasons that a later attempt can clear. */
const TRANSIENT_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

class TransientCancellation extends Error {
  constructor(codes: string[]) {
    super(`transaction cancelled: ${codes.join(', ')}`);
    this.name = 'TransientCancellation';
  }
}

/**
 * Throttling, a 5xx, or no answer at all (a connection refused, reset or timed out: the SDK's
 * error then carries no HTTP status). A 4xx other than throttling is the request's own fault.
 */
function isTransient(err: unknown): boolean {
  if (err instanceof TransientCancellation) return true;
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return (
    (typeof e?.name === 'string' && TRANSIENT_ERRORS.has(e.name)) ||
    status === undefined ||
    status >= 500
  );
}

interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Record<string, AttributeValue>;
}

export interface WriterOptions {
  /** Attempts of a write that meets throttling or conflicts before the import stops. @default 10 */
  readonly attempts?: number;
  /** First backoff delay (ms), doubling up to 5 s, with full jitter. @default 100 */
  readonly backoffMs?: number;
}

function retried<T>(what: string, options: WriterOptions, fn: () => Promise<T>): Promise<T> {
  return backOff(fn, {
    numOfAttempts: options.attempts ?? 10,
    startingDelay: options.backoffMs ?? 100,
    maxDelay: 5000,
    jitter: 'full',
    retry: (err) => isTransient(err),
  }).catch((err: unknown) => {
    const name = (err as { name?: unknown })?.name;
    throw new ImportWriteFailed(
      `${what} failed: ${String(name ?? 'Error')}: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  });
}

/** Writes for real: conditional puts in transactions. */
export function transactionWriter(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: WriterOptions = {},
): StoreWriter {
  /** One transaction of `rows`: the rows it settled, and those to send again. */
  const attempt = async (
    rows: readonly PreparedRow[],
  ): Promise<{ settled: WriteOutcome[]; again: PreparedRow[]; transient: string[] }> => {
    try {
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: rows.map((r) => ({
            Put: {
              TableName: tableName,
              Item: r.item,
              ConditionExpression: 'attribute_not_exists(id)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          })),
        }),
      );
      return { settled: rows.map((row) => ({ kind: 'imported', row })), again: [], transient: [] };
    } catch (err) {
      const reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
      if (
        (err as Error).name !== 'TransactionCanceledException' ||
        reasons?.length !== rows.length
      ) {
        throw err;
      }
      const settled: WriteOutcome[] = [];
      const again: PreparedRow[] = [];
      const transient: string[] = [];
      for (const [i, reason] of reasons.entries()) {
        const row = rows[i];
        const code = reason.Code ?? 'None';
        if (code === 'ConditionalCheckFailed' && reason.Item !== undefined) {
          // attribute_not_exists(id) failed: the id is stored; ALL_OLD returned the item.
          settled.push(compareStored(row, unmarshall(reason.Item)));
        } else if (code === 'None') {
          again.push(row);
        } else if (TRANSIENT_REASONS.has(code)) {
          again.push(row);
          transient.push(code);
        } else {
          settled.push({
            kind: 'refused',
            row,
            field: 'row',
            reason: `REFUSED: DynamoDB: ${code}${reason.Message === undefined ? '' : `: ${reason.Message}`}`,
          });
        }
      }
      return { settled, again, transient };
    }
  };
  return {
    write: async (rows) => {
      const outcomes: WriteOutcome[] = [];
      let pending = [...rows];
      await retried(`writing rows ${rows[0]?.row}..${rows.at(-1)?.row}`, options, async () => {
        while (pending.length > 0) {
          const { settled, again, transient } = await attempt(pending);
          outcomes.push(...settled);
          pending = again;
          if (transient.length > 0 && pending.length > 0)
            throw new TransientCancellation(transient);
        }
      });
      return outcomes;
    },
  };
}

/** `--dry-run`: what the writes would do, read with consistent BatchGetItem; nothing is written. */
export function dryRunWriter(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: WriterOptions = {},
): StoreWriter {
  return {
    write: async (rows) => {
      const stored = new Map<string, Record<string, unknown>>();
      let keys: Record<string, unknown>[] = rows.map((r) => ({ id: r.item.id }));
      await retried(`reading rows ${rows[0]?.row}..${rows.at(-1)?.row}`, options, async () => {
        while (keys.length > 0) {
          const response = await ddb.send(
            new BatchGetCommand({
              RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of response.Responses?.[tableName] ?? []) {
            stored.set(String(item.id), item);
          }
          keys = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
          if (keys.length > 0) throw new TransientCancellation(['UnprocessedKeys']);
        }
      });
      return rows.map((row) => {
        const item = stored.get(row.item.id);
        return item === undefined ? { kind: 'imported', row } : compareStored(row, item);
      });
    },
  };
}
