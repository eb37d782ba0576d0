import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { tableEncryption } from './stage-key';
import { Problems } from './validation';

export interface TransactionsTableProps {
  /** Shards of the pending index; `pendingShard` takes values "00".."(shardCount-1)". 1..256. */
  readonly shardCount: number;
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  /** The stage's customer-managed key (lib/stage-key.ts). @default the AWS-managed key aws/dynamodb */
  readonly encryptionKey?: kms.IKey;
  /**
   * Warm write throughput of the table and of the pending index (each confirmation writes both
   * once). @default DynamoDB's own (4,000 write units/s for a new on-demand table and index)
   */
  readonly warmWriteUnitsPerSecond?: number;
}

/**
 * The payment transactions (docs/architecture.md §2): partition key `id`, and the sparse, sharded pending
 * index. Only PENDING items carry `pendingShard`; the terminal write REMOVEs it, so the index
 * holds exactly the backlog and sharding spreads its writes over many partitions.
 */
export class TransactionsTable extends dynamodb.Table {
  static readonly PENDING_INDEX_NAME = 'pending-by-shard';

  /** Name of the sparse pending index (PK `pendingShard`, SK `createdAt`, keys only). */
  readonly pendingIndexName = TransactionsTable.PENDING_INDEX_NAME;
  readonly shardCount: number;

  constructor(scope: Construct, id: string, props: TransactionsTableProps) {
    const problems = new Problems();
    problems.integerInRange('shardCount', props.shardCount, 1, 256);
    problems.throwIfAny();

    super(scope, id, {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...tableEncryption(props.encryptionKey),
      // RETAIN in stateful stages: this table holds money. Losing it loses which payments were confirmed.
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
      ...warmWrites(props.warmWriteUnitsPerSecond),
    });
    this.shardCount = props.shardCount;

    this.addGlobalSecondaryIndex({
      indexName: this.pendingIndexName,
      partitionKey: { name: 'pendingShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      // Pages carry ids only; confirm-batch re-reads each item strongly consistently anyway.
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      ...warmWrites(props.warmWriteUnitsPerSecond),
    });
  }
}

function warmWrites(writeUnitsPerSecond: number | undefined) {
  return writeUnitsPerSecond === undefined ? {} : { warmThroughput: { writeUnitsPerSecond } };
}
