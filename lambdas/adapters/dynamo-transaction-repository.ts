import {
  BatchGetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { InvalidConfiguration, SystemicFault } from '../domain/errors';
import type {
  PendingPage,
  RawTransaction,
  TransactionRepository,
  WriteResult,
} from '../domain/ports';
import type { TransactionWrite } from '../domain/transitions';
import { dynamoFault, isConditionalCheckFailed } from './dynamo-errors';

export interface DynamoTransactionRepositoryOptions {
  tableName: string;
  /** The sparse, sharded GSI: PK pendingShard, SK createdAt, KEYS_ONLY (omitted: no paging). */
  pendingIndexName?: string;
  /** Backoff before re-reading UnprocessedKeys (tests shorten it). */
  unprocessedRetryDelaysMs?: readonly number[];
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_LIMIT = 100;
const DEFAULT_UNPROCESSED_DELAYS_MS = [50, 100, 200, 400, 800, 1600, 3200];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoTransactionRepository implements TransactionRepository {
  private readonly table: string;
  private readonly index: string | undefined;
  private readonly retryDelays: readonly number[];

  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    options: DynamoTransactionRepositoryOptions,
  ) {
    this.table = options.tableName;
    this.index = options.pendingIndexName;
    this.retryDelays = options.unprocessedRetryDelaysMs ?? DEFAULT_UNPROCESSED_DELAYS_MS;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, RawTransaction>> {
    const unique = [...new Set(ids)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      chunks.push(unique.slice(i, i + BATCH_GET_LIMIT));
    }
    const found = new Map<string, RawTransaction>();
    await Promise.all(
      chunks.map(async (chunk) => {
        for (const item of await this.batchGet(chunk)) {
          if (typeof item.id === 'string') found.set(item.id, item);
        }
      }),
    );
    return found;
  }

  private async batchGet(ids: string[]): Promise<RawTransaction[]> {
    const items: RawTransaction[] = [];
    let keys: Record<string, unknown>[] = ids.map((id) => ({ id }));
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        response = await this.ddb.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
          }),
        );
      } catch (err) {
        throw dynamoFault('BatchGetItem', this.table, err);
      }
      items.push(...((response.Responses?.[this.table] ?? []) as RawTransaction[]));
      keys = (response.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
      if (keys.length === 0) return items;
      if (attempt >= this.retryDelays.length) {
        throw new SystemicFault(
          `DynamoDB BatchGetItem on ${this.table}: ${keys.length} keys still unprocessed after ${attempt + 1} attempts (throttled)`,
        );
      }
      // Full jitter, as the SDK does for its own retries.
      await sleep(Math.random() * this.retryDelays[attempt]);
    }
  }

  async write(
    id: string,
    write: TransactionWrite,
    meta: { runId: string; now: string },
  ): Promise<WriteResult> {
    // DynamoDB rejects unused placeholders, so names and values are registered as they are used.
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const n = (attribute: string) => {
      names[`#${attribute}`] = attribute;
      return `#${attribute}`;
    };
    const v = (placeholder: string, value: unknown) => {
      values[`:${placeholder}`] = value;
      return `:${placeholder}`;
    };

    const set = [`${n('updatedAt')} = ${v('now', meta.now)}`];
    const remove: string[] = [];
    const add: string[] = [];
    if (write.status !== 'PENDING') {
      // An audit counter: the conditional update below lets a terminal status be written only
      // once, so it stays 1; the reliability suite reads it to prove that
      // (docs/architecture.md §4.2).
      add.push(`${n('terminalWrites')} ${v('one', 1)}`);
      // Terminal: the item leaves the pending index in the same write (docs/architecture.md §2).
      set.push(
        `${n('status')} = ${v('status', write.status)}`,
        `${n('completedAt')} = :now`,
        `${n('runId')} = ${v('runId', meta.runId)}`,
      );
      remove.push(n('pendingShard'));
    }
    if (write.status === 'CONFIRMED') {
      set.push(
        `${n('providerRef')} = ${v('providerRef', write.providerRef)}`,
        `${n('confirmedAt')} = :now`,
      );
      remove.push(n('lastError'));
    } else if (write.lastError !== undefined) {
      set.push(`${n('lastError')} = ${v('lastError', write.lastError)}`);
    }
    if (write.attempts !== undefined) {
      set.push(`${n('attempts')} = ${v('attempts', write.attempts)}`);
    }

    const conditions: string[] = [];
    if (write.guard.status === 'PENDING') {
      conditions.push(`${n('status')} = ${v('pending', 'PENDING')}`);
    } else {
      const terminal = ['CONFIRMED', 'REJECTED', 'FAILED'].map((status) => v(status, status));
      conditions.push(
        `attribute_exists(${n('id')})`,
        `(attribute_not_exists(${n('status')}) OR NOT (${n('status')} IN (${terminal.join(', ')})))`,
      );
    }
    if (write.guard.attempts === null) {
      conditions.push(`attribute_not_exists(${n('attempts')})`);
    } else if (write.guard.attempts !== undefined) {
      conditions.push(`${n('attempts')} = ${v('readAttempts', write.guard.attempts)}`);
    }

    const update =
      `SET ${set.join(', ')}` +
      (remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : '') +
      (add.length > 0 ? ` ADD ${add.join(', ')}` : '');
    return this.conditionalUpdate(id, update, conditions.join(' AND '), names, values);
  }

  async removeStalePendingShard(id: string, status: string, now: string): Promise<WriteResult> {
    return this.conditionalUpdate(
      id,
      'SET #updatedAt = :now REMOVE #pendingShard',
      '#status = :status AND attribute_exists(#pendingShard)',
      { '#status': 'status', '#pendingShard': 'pendingShard', '#updatedAt': 'updatedAt' },
      { ':status': status, ':now': now },
    );
  }

  private async conditionalUpdate(
    id: string,
    update: string,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<WriteResult> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'written';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'conflict';
      throw dynamoFault('UpdateItem', this.table, err);
    }
  }

  async queryPending(query: {
    shard: string;
    cutoff: string;
    limit: number;
    exclusiveStartKey?: Record<string, string>;
  }): Promise<PendingPage> {
    if (this.index === undefined) {
      throw new InvalidConfiguration('the pending index name is not configured for this handler');
    }
    let response;
    try {
      response = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: this.index,
          KeyConditionExpression: '#shard = :shard AND #createdAt < :cutoff',
          ExpressionAttributeNames: { '#shard': 'pendingShard', '#createdAt': 'createdAt' },
          ExpressionAttributeValues: { ':shard': query.shard, ':cutoff': query.cutoff },
          Limit: query.limit,
          ...(query.exclusiveStartKey === undefined
            ? {}
            : { ExclusiveStartKey: query.exclusiveStartKey }),
        }),
      );
    } catch (err) {
      throw dynamoFault('Query', `${this.table}/${this.index}`, err);
    }
    // KEYS_ONLY: each item is exactly its key (id, pendingShard, createdAt), all strings.
    const items = (response.Items ?? []).map((item) => {
      const key = stringKey(item);
      return { id: key.id, createdAt: key.createdAt };
    });
    const lastKey = response.LastEvaluatedKey;
    return lastKey === undefined ? { items } : { items, lastKey: stringKey(lastKey) };
  }
}

/** The index's keys are all strings (id, pendingShard, createdAt). */
function stringKey(key: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(key)) out[name] = String(value);
  return out;
}
