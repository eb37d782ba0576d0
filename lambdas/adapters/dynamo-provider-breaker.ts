import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  BreakerOpening,
  BreakerRecord,
  BreakerReopening,
  BreakerState,
  ProviderBreakerStore,
} from '../domain/ports';
import { dynamoFault, isConditionalCheckFailed } from './dynamo-errors';

/** The one provider circuit breaker, in the Runs table (docs/architecture.md §2 and §4). */
export const BREAKER_KEY = { pk: 'BREAKER', sk: 'provider' } as const;

const STATES: readonly BreakerState[] = ['CLOSED', 'OPEN', 'HALF_OPEN'];
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The breaker item as a BreakerRecord (also used by txc); absent or unreadable state: CLOSED. */
export function toBreaker(item: Record<string, unknown> | undefined): BreakerRecord {
  if (item === undefined) return { state: 'CLOSED' };
  const state = STATES.find((s) => s === item.state) ?? 'CLOSED';
  const record: BreakerRecord = { state };
  for (const key of [
    'openedAt',
    'retryAt',
    'reason',
    'probeBy',
    'probeUntil',
    'closedAt',
    'lastReason',
    'updatedAt',
  ] as const) {
    const value = text(item[key]);
    if (value !== undefined) record[key] = value;
  }
  if (typeof item.opens === 'number') record.opens = item.opens;
  return record;
}

/**
 * The breaker item in DynamoDB: strongly consistent reads, and every change an UpdateItem
 * conditional on the state that was read (the item is created by the first open).
 */
export class DynamoProviderBreaker implements ProviderBreakerStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(): Promise<BreakerRecord> {
    try {
      const response = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: BREAKER_KEY, ConsistentRead: true }),
      );
      return toBreaker(response.Item);
    } catch (err) {
      throw dynamoFault('GetItem (breaker)', this.table, err);
    }
  }

  open(next: BreakerOpening): Promise<boolean> {
    return this.conditional({
      UpdateExpression:
        'SET #state = :open, openedAt = :openedAt, retryAt = :retryAt, reason = :reason, opens = :opens, updatedAt = :now REMOVE probeBy, probeUntil',
      ConditionExpression: 'attribute_not_exists(#state) OR #state = :closed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':open': 'OPEN',
        ':closed': 'CLOSED',
        ':openedAt': next.openedAt,
        ':retryAt': next.retryAt,
        ':reason': next.reason,
        ':opens': next.opens,
        ':now': next.now,
      },
    });
  }

  claimProbe(
    seen: BreakerRecord,
    claim: { probeBy: string; probeUntil: string; now: string },
  ): Promise<boolean> {
    if (seen.state === 'CLOSED') return Promise.resolve(false);
    // Exactly the item that was read: of two batches claiming at once, one wins.
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = {
      ':seenState': seen.state,
      ':halfOpen': 'HALF_OPEN',
      ':probeBy': claim.probeBy,
      ':probeUntil': claim.probeUntil,
      ':now': claim.now,
    };
    const conditions = ['#state = :seenState'];
    for (const key of ['retryAt', 'probeBy', 'probeUntil'] as const) {
      const value = seen[key];
      if (value === undefined) {
        conditions.push(`attribute_not_exists(${key})`);
      } else {
        conditions.push(`${key} = :seen_${key}`);
        values[`:seen_${key}`] = value;
      }
    }
    return this.conditional({
      UpdateExpression:
        'SET #state = :halfOpen, probeBy = :probeBy, probeUntil = :probeUntil, updatedAt = :now',
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  close(probeBy: string, closed: { now: string; lastReason?: string }): Promise<boolean> {
    return this.conditional({
      UpdateExpression:
        'SET #state = :closed, closedAt = :now, updatedAt = :now, lastReason = :lastReason REMOVE openedAt, retryAt, reason, opens, probeBy, probeUntil',
      ConditionExpression: '#state = :halfOpen AND probeBy = :probeBy',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':closed': 'CLOSED',
        ':halfOpen': 'HALF_OPEN',
        ':probeBy': probeBy,
        ':now': closed.now,
        ':lastReason': closed.lastReason ?? 'unknown',
      },
    });
  }

  reopen(probeBy: string, next: BreakerReopening): Promise<boolean> {
    return this.conditional({
      UpdateExpression:
        'SET #state = :open, retryAt = :retryAt, reason = :reason, opens = :opens, updatedAt = :now REMOVE probeBy, probeUntil',
      ConditionExpression: '#state = :halfOpen AND probeBy = :probeBy',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':open': 'OPEN',
        ':halfOpen': 'HALF_OPEN',
        ':probeBy': probeBy,
        ':retryAt': next.retryAt,
        ':reason': next.reason,
        ':opens': next.opens,
        ':now': next.now,
      },
    });
  }

  /** One conditional UpdateItem of the breaker: true if it applied, false if its condition failed. */
  private async conditional(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<boolean> {
    try {
      await this.ddb.send(new UpdateCommand({ TableName: this.table, Key: BREAKER_KEY, ...input }));
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw dynamoFault('UpdateItem (breaker)', this.table, err);
    }
  }
}
