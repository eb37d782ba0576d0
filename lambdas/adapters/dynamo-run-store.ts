import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ProviderOutage, RunTotals } from '../contracts';
import { SystemicFault } from '../domain/errors';
import type { AcquireResult, LockRecord, RunRecord, RunStatus, RunStore } from '../domain/ports';
import { dynamoFault, isConditionalCheckFailed } from './dynamo-errors';

/** The one run lock: every confirmation run (schedule or operator) takes this item. */
export const LOCK_KEY = { pk: 'LOCK', sk: 'confirmation' } as const;
/** Run records share one partition, sorted by runId (which starts with the start time). */
export const RUN_PARTITION = 'RUN';

const runKey = (runId: string) => ({ pk: RUN_PARTITION, sk: runId });

/** The lock item as a LockRecord (also used by txc). */
export function toLock(item: Record<string, unknown> | undefined): LockRecord | undefined {
  if (item === undefined) return undefined;
  return {
    runId: String(item.runId ?? ''),
    executionArn: String(item.executionArn ?? ''),
    acquiredAt: String(item.acquiredAt ?? ''),
    expiresAt: String(item.expiresAt ?? ''),
  };
}

/** How often acquireLock re-reads a lock that changed between its write and its read. */
const ACQUIRE_ATTEMPTS = 3;

export class DynamoRunStore implements RunStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async acquireLock(lock: LockRecord, now: string): Promise<AcquireResult> {
    for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt += 1) {
      try {
        const response = await this.ddb.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...LOCK_KEY, ...lock },
            // Free, expired, or already ours (StartRun retried by Step Functions).
            ConditionExpression:
              'attribute_not_exists(pk) OR attribute_not_exists(expiresAt) OR expiresAt < :now OR executionArn = :executionArn',
            ExpressionAttributeValues: { ':now': now, ':executionArn': lock.executionArn },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previous = toLock(response.Attributes);
        return previous === undefined ? { acquired: true } : { acquired: true, previous };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw dynamoFault('PutItem (lock)', this.table, err);
      }
      const holder = await this.getLock();
      // The holder may have released (or its lease lapsed) between the two calls: try again.
      if (holder !== undefined && holder.expiresAt >= now) return { acquired: false, holder };
    }
    throw new SystemicFault(
      `run lock on ${this.table} kept changing while being acquired (${ACQUIRE_ATTEMPTS} attempts)`,
    );
  }

  async handOverLock(handover: {
    runId: string;
    fromExecutionArn: string;
    toExecutionArn: string;
    expiresAt: string;
  }): Promise<boolean> {
    return this.conditional('UpdateItem (lock handover)', () =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: LOCK_KEY,
          UpdateExpression: 'SET executionArn = :to, expiresAt = :expiresAt',
          // `= :to` too: a retried StartRun of the child finds the lock already handed over.
          ConditionExpression: 'runId = :runId AND (executionArn = :from OR executionArn = :to)',
          ExpressionAttributeValues: {
            ':runId': handover.runId,
            ':from': handover.fromExecutionArn,
            ':to': handover.toExecutionArn,
            ':expiresAt': handover.expiresAt,
          },
        }),
      ),
    );
  }

  async renewLock(lease: {
    runId: string;
    executionArn: string;
    expiresAt: string;
  }): Promise<boolean> {
    return this.conditional('UpdateItem (lock renewal)', () =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: LOCK_KEY,
          UpdateExpression: 'SET expiresAt = :expiresAt',
          ConditionExpression: 'runId = :runId AND executionArn = :executionArn',
          ExpressionAttributeValues: {
            ':runId': lease.runId,
            ':executionArn': lease.executionArn,
            ':expiresAt': lease.expiresAt,
          },
        }),
      ),
    );
  }

  async releaseLock(owner: { runId: string; executionArn: string }): Promise<boolean> {
    return this.conditional('DeleteItem (lock)', () =>
      this.ddb.send(
        new DeleteCommand({
          TableName: this.table,
          Key: LOCK_KEY,
          ConditionExpression: 'runId = :runId AND executionArn = :executionArn',
          ExpressionAttributeValues: { ':runId': owner.runId, ':executionArn': owner.executionArn },
        }),
      ),
    );
  }

  async getLock(): Promise<LockRecord | undefined> {
    try {
      const response = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: LOCK_KEY, ConsistentRead: true }),
      );
      return toLock(response.Item);
    } catch (err) {
      throw dynamoFault('GetItem (lock)', this.table, err);
    }
  }

  async putRun(record: RunRecord): Promise<void> {
    try {
      await this.ddb.send(
        new PutCommand({ TableName: this.table, Item: { ...runKey(record.runId), ...record } }),
      );
    } catch (err) {
      throw dynamoFault('PutItem (run)', this.table, err);
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    try {
      const response = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: runKey(runId), ConsistentRead: true }),
      );
      if (response.Item === undefined) return undefined;
      const record: Record<string, unknown> = { ...response.Item };
      delete record.pk;
      delete record.sk;
      return record as unknown as RunRecord;
    } catch (err) {
      throw dynamoFault('GetItem (run)', this.table, err);
    }
  }

  async setRunExecution(runId: string, executionArn: string): Promise<void> {
    await this.update('UpdateItem (run)', {
      Key: runKey(runId),
      UpdateExpression: 'SET executionArn = :executionArn',
      ExpressionAttributeValues: { ':executionArn': executionArn },
    });
  }

  async recordProgress(
    runId: string,
    progress: { executionArn: string; totals: RunTotals; at: string },
  ): Promise<boolean> {
    return this.conditional('UpdateItem (run progress)', () =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey(runId),
          UpdateExpression: 'SET totals = :totals, progressAt = :at',
          // Only the run's current execution, and only while it runs: never over a final record.
          ConditionExpression: '#status = :running AND executionArn = :executionArn',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':totals': progress.totals,
            ':at': progress.at,
            ':running': 'RUNNING',
            ':executionArn': progress.executionArn,
          },
        }),
      ),
    );
  }

  async completeRun(
    runId: string,
    result: {
      status: RunStatus;
      finishedAt: string;
      executionArn: string;
      totals: RunTotals;
      error?: string;
      providerUnavailable?: Omit<ProviderOutage, 'cause'>;
    },
  ): Promise<void> {
    const values: Record<string, unknown> = {
      ':status': result.status,
      ':finishedAt': result.finishedAt,
      ':executionArn': result.executionArn,
      ':totals': result.totals,
    };
    let update =
      'SET #status = :status, finishedAt = :finishedAt, executionArn = :executionArn, totals = :totals';
    const remove: string[] = [];
    if (result.error === undefined) {
      remove.push('#error');
    } else {
      update += ', #error = :error';
      values[':error'] = result.error;
    }
    if (result.providerUnavailable === undefined) {
      remove.push('providerUnavailable');
    } else {
      update += ', providerUnavailable = :providerUnavailable';
      values[':providerUnavailable'] = result.providerUnavailable;
    }
    if (remove.length > 0) update += ` REMOVE ${remove.join(', ')}`;
    await this.update('UpdateItem (run)', {
      Key: runKey(runId),
      UpdateExpression: update,
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
      ExpressionAttributeValues: values,
    });
  }

  async endRunIfRunning(
    runId: string,
    result: { status: RunStatus; finishedAt: string; error: string; executionArn?: string },
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':status': result.status,
      ':finishedAt': result.finishedAt,
      ':error': result.error,
      ':running': 'RUNNING',
    };
    let condition = '#status = :running';
    if (result.executionArn !== undefined) {
      condition += ' AND executionArn = :executionArn';
      values[':executionArn'] = result.executionArn;
    }
    return this.conditional('UpdateItem (run)', () =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey(runId),
          UpdateExpression: 'SET #status = :status, finishedAt = :finishedAt, #error = :error',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  private async update(
    operation: string,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<void> {
    try {
      await this.ddb.send(new UpdateCommand({ TableName: this.table, ...input }));
    } catch (err) {
      throw dynamoFault(operation, this.table, err);
    }
  }

  /** Runs a conditional write: true if it applied, false if its condition failed. */
  private async conditional(operation: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw dynamoFault(operation, this.table, err);
    }
  }
}
