import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { tableEncryption } from './stage-key';

export interface RunsTableProps {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  /** The stage's customer-managed key (lib/stage-key.ts). @default the AWS-managed key aws/dynamodb */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The run lock and the run summaries: `pk = 'LOCK'` holds the lease of the run in progress;
 * `pk = 'RUN', sk = <runId>` one summary per run, so operators can list runs and their totals.
 * `ttl` lets old summaries expire (the lock's expiry is enforced by the conditional write, not by TTL).
 */
export class RunsTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: RunsTableProps) {
    super(scope, id, {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'ttl',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...tableEncryption(props.encryptionKey),
      // RETAIN in stateful stages: run summaries are the audit trail of what each run did.
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
    });
  }
}
