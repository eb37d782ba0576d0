import {
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/contracts';
import { BREAKER_KEY } from '../lambdas/adapters/dynamo-provider-breaker';
import { oldestPendingAgeSloSeconds, type TxconfirmConfig } from './config';
import { ConfirmationSchedule } from './confirmation-schedule';
import { ConfirmationWorkflow } from './confirmation-workflow';
import { DeadLetterQueue } from './dead-letter-queue';
import { StageLogGroups } from './log-groups';
import { ConfirmationMonitoring } from './monitoring/confirmation-monitoring';
import { Network } from './network';
import { MANIFEST_WRITE_ACTIONS, PageManifestBucket } from './page-manifest-bucket';
import { ProviderSecret } from './provider-secret';
import { RunsTable } from './runs-table';
import { StageKey } from './stage-key';
import { TransactionsTable } from './transactions-table';
import { TxconfirmFunction } from './txconfirm-function';
import { InvalidConfigurationError } from './validation';

export interface TxconfirmStackProps extends StackProps {
  /** Validated by bin/app.ts (validateConfig) before it gets here. */
  readonly config: TxconfirmConfig;
}

/**
 * txconfirm for one stage: the schedule starts the ConfirmationWorkflow, which pages the
 * TransactionsTable and confirms each page with the confirm-batch Lambda; the RunsTable holds the
 * run lock and the run summaries. Hardening by configuration (docs/security.md): a stage key
 * (`customerManagedKey`), log groups that never collide, the provider secret by kind
 * (`providerSecret`), and optionally a VPC with fixed egress addresses (`vpc`).
 */
export class TxconfirmStack extends Stack {
  /** Availability zones a VPC spreads over: 2, or one per NAT gateway. */
  private readonly zoneCount: number;
  /** The stage's customer-managed key (`customerManagedKey`). */
  readonly stageKey?: StageKey;
  readonly providerSecret: ProviderSecret;
  /** With `vpc: true`. */
  readonly network?: Network;
  readonly transactionsTable: TransactionsTable;
  readonly runsTable: RunsTable;
  readonly manifestBucket: PageManifestBucket;
  readonly workflow: ConfirmationWorkflow;
  readonly schedule: ConfirmationSchedule;
  readonly monitoring: ConfirmationMonitoring;
  readonly functions: {
    readonly startRun: TxconfirmFunction;
    readonly fetchPage: TxconfirmFunction;
    readonly confirmBatch: TxconfirmFunction;
    readonly finishRun: TxconfirmFunction;
    readonly releaseLock: TxconfirmFunction;
  };

  constructor(scope: Construct, id: string, props: TxconfirmStackProps) {
    super(scope, id, props);
    const { config } = props;
    // RETAIN in stateful stages: the tables hold money; a stack deletion must never take them along.
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    this.zoneCount = Math.max(2, config.natGateways);

    // One key for the stage's data at rest; kept as long as the data it encrypts is kept.
    this.stageKey = config.customerManagedKey
      ? new StageKey(this, 'StageKey', { stage: config.stage, removalPolicy })
      : undefined;
    const encryptionKey = this.stageKey?.key;
    const logGroups = new StageLogGroups({ stage: config.stage, stageKey: this.stageKey });
    const stateful = { removalPolicy, deletionProtection: config.retainData, encryptionKey };

    this.transactionsTable = new TransactionsTable(this, 'TransactionsTable', {
      shardCount: config.shardCount,
      warmWriteUnitsPerSecond: config.warmWriteUnitsPerSecond,
      ...stateful,
    });
    this.runsTable = new RunsTable(this, 'RunsTable', stateful);
    this.manifestBucket = new PageManifestBucket(this, 'PageManifestBucket', {
      removalPolicy,
      encryptionKey,
    });
    this.providerSecret = new ProviderSecret(this, 'ProviderSecret', {
      stage: config.stage,
      providerSecret: config.providerSecret,
      removalPolicy,
      encryptionKey,
    });
    this.network = config.vpc
      ? new Network(this, 'Network', {
          stage: config.stage,
          natGateways: config.natGateways,
          availabilityZones: this.zoneCount,
          providerPort: Number(new URL(config.providerBaseUrl).port || 443),
          logGroups,
          logRetention,
          removalPolicy,
        })
      : undefined;

    // Each handler gets exactly the settings it reads (lambdas/shared/config.ts HANDLER_CONFIG;
    // test/infra checks the two agree), plus its table names from bindTable/bindSecret.
    const functionDefaults = {
      logRetention,
      removalPolicy,
      logGroups,
      network: this.network?.functionNetwork,
    };
    const env = (settings: Record<string, string | number>): Record<string, string> => ({
      [ENV.STAGE]: config.stage,
      // Log level by stage, plus a sampled share of invocations logged at DEBUG (Powertools).
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      POWERTOOLS_LOGGER_SAMPLE_RATE: String(config.debugLogSampleRate),
      ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])),
    });

    const startRun = new TxconfirmFunction(this, 'StartRunFunction', {
      ...functionDefaults,
      handlerName: 'start-run',
      description:
        'txconfirm StartRun: validate the execution input, take the run lock, fix the cutoff',
      environment: env({ [ENV.LOCK_LEASE_SECONDS]: config.lockLeaseSeconds }),
    });
    startRun.bindTable(this.runsTable, ENV.RUNS_TABLE, [
      'dynamodb:PutItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);

    const fetchPage = new TxconfirmFunction(this, 'FetchPageFunction', {
      ...functionDefaults,
      handlerName: 'fetch-page',
      description:
        'txconfirm FetchPage: renew the lease and write the next page of pending ids to its manifest',
      environment: env({
        [ENV.SHARD_COUNT]: config.shardCount,
        [ENV.PAGE_SIZE]: config.pageSize,
        [ENV.MAX_PAGES_PER_EXECUTION]: config.maxPagesPerExecution,
        [ENV.LOCK_LEASE_SECONDS]: config.lockLeaseSeconds,
      }),
    });
    fetchPage.bindTable(this.transactionsTable, ENV.TRANSACTIONS_TABLE, ['dynamodb:Query'], {
      index: { name: this.transactionsTable.pendingIndexName, envName: ENV.PENDING_INDEX },
    });
    // UpdateItem: the lease and the run's progress; GetItem: the provider circuit breaker.
    fetchPage.bindTable(this.runsTable, ENV.RUNS_TABLE, [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    this.manifestBucket.grantManifestWrites(fetchPage);
    fetchPage.addEnvironment(ENV.MANIFEST_BUCKET, this.manifestBucket.bucketName);

    const confirmBatch = new TxconfirmFunction(this, 'ConfirmBatchFunction', {
      ...functionDefaults,
      handlerName: 'confirm-batch',
      description:
        'txconfirm ConfirmBatch: confirm a batch of transactions with the payment provider',
      timeout: Duration.seconds(config.confirmBatchTimeoutSeconds),
      memorySize: config.confirmBatchMemoryMb,
      environment: env({
        [ENV.MAX_ATTEMPTS]: config.maxAttempts,
        [ENV.PROVIDER_BASE_URL]: config.providerBaseUrl,
        [ENV.PROVIDER_TIMEOUT_MS]: config.providerTimeoutMs,
        [ENV.IN_BATCH_PARALLELISM]: config.inBatchParallelism,
      }),
    });
    confirmBatch.bindTable(this.transactionsTable, ENV.TRANSACTIONS_TABLE, [
      'dynamodb:BatchGetItem',
      'dynamodb:UpdateItem',
    ]);
    // The provider circuit breaker (docs/architecture.md §4): its one item, and nothing else of the
    // Runs table (not the lock, not the run records).
    confirmBatch.bindTable(
      this.runsTable,
      ENV.RUNS_TABLE,
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      {
        partitions: [BREAKER_KEY.pk],
      },
    );
    confirmBatch.bindSecret(this.providerSecret, ENV.PROVIDER_SECRET_ID);

    const finishRun = new TxconfirmFunction(this, 'FinishRunFunction', {
      ...functionDefaults,
      handlerName: 'finish-run',
      description: 'txconfirm FinishRun: write the run summary, emit metrics, release the lock',
      environment: env({}),
    });
    finishRun.bindTable(this.runsTable, ENV.RUNS_TABLE, [
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
    ]);

    // One queue for both ways a lock-release event can be lost: the rule could not invoke the
    // function, or the function failed all its asynchronous attempts.
    const releaseLockDeadLetterQueue = new DeadLetterQueue(this, 'ReleaseLockDeadLetterQueue', {
      removalPolicy,
    });
    const releaseLock = new TxconfirmFunction(this, 'ReleaseLockFunction', {
      ...functionDefaults,
      handlerName: 'release-lock',
      description:
        'txconfirm ReleaseLock: free the run lock of an execution that failed, timed out or was aborted',
      environment: env({}),
      deadLetterQueue: releaseLockDeadLetterQueue,
      retryAttempts: 2,
    });
    releaseLock.bindTable(this.runsTable, ENV.RUNS_TABLE, [
      'dynamodb:GetItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
    ]);

    this.functions = { startRun, fetchPage, confirmBatch, finishRun, releaseLock };
    if (this.network) {
      // The endpoints admit what the functions were granted, and nothing else.
      const grants = Object.values(this.functions).flatMap((fn) => fn.dynamoDbGrants);
      this.network.restrictDynamoDb(
        grants.flatMap((g) => g.actions),
        grants.flatMap((g) => g.resources),
      );
      this.network.restrictSecretsManager(this.providerSecret.grantArn);
      this.network.restrictS3(MANIFEST_WRITE_ACTIONS, [this.manifestBucket.manifestObjectsArn]);
    }

    this.workflow = new ConfirmationWorkflow(this, 'ConfirmationWorkflow', {
      stage: config.stage,
      functions: this.functions,
      manifestBucket: this.manifestBucket,
      batchSize: config.batchSize,
      maxConcurrency: config.maxConcurrency,
      toleratedFailurePercentage: config.toleratedFailurePercentage,
      confirmBatchRetry: config.confirmBatchRetry,
      executionTimeout: Duration.minutes(config.executionTimeoutMinutes),
      logRetention,
      removalPolicy,
      logGroups,
      includeExecutionData: config.includeExecutionData,
      releaseLockDeadLetterQueue,
    });

    const scheduleDeadLetterQueue = new DeadLetterQueue(this, 'ScheduleDeadLetterQueue', {
      removalPolicy,
    });
    Validations.of(scheduleDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue IS the dead-letter queue of the schedule target (cdk-nag only recognises DLQs of queues and Lambda functions); a DLQ of a DLQ adds nothing.',
    });
    this.schedule = new ConfirmationSchedule(this, 'ConfirmationSchedule', {
      stateMachine: this.workflow.stateMachine,
      expression: config.scheduleExpression,
      enabled: config.scheduleEnabled,
      deadLetterQueue: scheduleDeadLetterQueue,
    });

    const sloSeconds = oldestPendingAgeSloSeconds(config);
    if (sloSeconds === undefined) {
      // validateConfig reports this with what to do; constructing the stack directly skips it.
      throw new InvalidConfigurationError([
        'oldestPendingAgeSloSeconds is required with a cron(...) scheduleExpression',
      ]);
    }
    this.monitoring = new ConfirmationMonitoring(this, 'Monitoring', {
      stage: config.stage,
      workflow: this.workflow,
      functions: this.functions,
      schedule: this.schedule,
      scheduleEnabled: config.scheduleEnabled,
      scheduleDeadLetterQueue,
      releaseLockDeadLetterQueue,
      oldestPendingAgeSloSeconds: sloSeconds,
      alarmEmails: config.alarmEmails,
      alarmTopicArn: config.alarmTopicArn,
      encryptionKey,
      tables: {
        transactions: this.transactionsTable,
        runs: this.runsTable,
        pendingIndexName: this.transactionsTable.pendingIndexName,
      },
      providerErrorRateThreshold: config.providerErrorRateThreshold,
      removalPolicy,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TransactionsTableName', { value: this.transactionsTable.tableName });
    new CfnOutput(this, 'RunsTableName', { value: this.runsTable.tableName });
    // Read by the operator CLI (ops/target.ts): the pending index and its shard count for
    // `txc pending` / `txc requeue`, the schedule for `txc schedule pause|resume`.
    new CfnOutput(this, 'PendingIndexName', { value: this.transactionsTable.pendingIndexName });
    new CfnOutput(this, 'PendingShardCount', { value: String(config.shardCount) });
    new CfnOutput(this, 'ScheduleName', { value: this.schedule.schedule.scheduleName });
    // Where the alarms go: subscribe a pager or chat integration to it.
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });

    // Read by the operator preflight (txc doctor). Names, ARNs, URLs and numbers only: never a
    // secret value (the provider secret's value is not known to this stack at all).
    new CfnOutput(this, 'ProviderSecretArn', { value: this.providerSecret.secretArn });
    new CfnOutput(this, 'ProviderSecretId', { value: this.providerSecret.secretId });
    new CfnOutput(this, 'ProviderBaseUrl', { value: config.providerBaseUrl });
    new CfnOutput(this, 'ProviderTimeoutMs', { value: String(config.providerTimeoutMs) });
    new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', { value: scheduleDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'ReleaseLockDeadLetterQueueUrl', {
      value: releaseLockDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'OldestPendingAgeSloSeconds', { value: String(sloSeconds) });
    if (config.alarmTopicArn !== undefined) {
      new CfnOutput(this, 'ExternalAlarmTopicArn', { value: config.alarmTopicArn });
    }
    if (this.network) {
      // The provider allow-lists these (comma-separated): every call leaves through them.
      new CfnOutput(this, 'EgressIps', { value: this.network.egressIps });
    }
  }

  /**
   * Lookup-free availability zones (docs/security.md, "VPC mode"): `Fn::GetAZs` tokens, as CDK
   * uses for a stack without an account and region, also when the stage names both (where CDK
   * would otherwise ask AWS at synth time, which this project never does).
   */
  override get availabilityZones(): string[] {
    return Array.from({ length: this.zoneCount ?? 2 }, (_, i) => Fn.select(i, Fn.getAzs()));
  }
}
