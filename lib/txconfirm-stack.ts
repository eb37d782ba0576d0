import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/contracts';
import { oldestPendingAgeSloSeconds, type TxconfirmConfig } from './config';
import { ConfirmationSchedule } from './confirmation-schedule';
import { ConfirmationWorkflow } from './confirmation-workflow';
import { DeadLetterQueue } from './dead-letter-queue';
import { ConfirmationMonitoring } from './observability';
import { RunsTable } from './runs-table';
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
 * run lock and the run summaries.
 */
export class TxconfirmStack extends Stack {
  readonly transactionsTable: TransactionsTable;
  readonly runsTable: RunsTable;
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
    const stateful = {
      removalPolicy: config.removalPolicy,
      deletionProtection: config.deletionProtection,
    };

    this.transactionsTable = new TransactionsTable(this, 'TransactionsTable', {
      shardCount: config.shardCount,
      ...stateful,
    });
    this.runsTable = new RunsTable(this, 'RunsTable', stateful);
    // Created and rotated outside this stack; handlers read it by NAME.
    const providerSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'ProviderSecret',
      config.providerSecretName,
    );

    // Each handler gets exactly the settings it reads (lambdas/shared/config.ts HANDLER_CONFIG;
    // test/infra checks the two agree), plus its table names from bindTable/bindSecret.
    const functionDefaults = {
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
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
      description: 'txconfirm FetchPage: renew the lease and read the next page of pending ids',
      environment: env({
        [ENV.SHARD_COUNT]: config.shardCount,
        [ENV.PAGE_SIZE]: config.pageSize,
        [ENV.MAX_PAGES_PER_EXECUTION]: config.maxPagesPerExecution,
        [ENV.LOCK_LEASE_SECONDS]: config.lockLeaseSeconds,
      }),
    });
    fetchPage.bindTable(this.transactionsTable, ENV.TRANSACTIONS_TABLE, ['dynamodb:Query'], {
      name: this.transactionsTable.pendingIndexName,
      envName: ENV.PENDING_INDEX,
    });
    fetchPage.bindTable(this.runsTable, ENV.RUNS_TABLE, ['dynamodb:UpdateItem']);

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
    confirmBatch.bindSecret(providerSecret, ENV.PROVIDER_SECRET_ID);

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
      removalPolicy: config.removalPolicy,
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

    this.workflow = new ConfirmationWorkflow(this, 'ConfirmationWorkflow', {
      stage: config.stage,
      functions: this.functions,
      batchSize: config.batchSize,
      maxConcurrency: config.maxConcurrency,
      toleratedFailurePercentage: config.toleratedFailurePercentage,
      confirmBatchRetry: config.confirmBatchRetry,
      executionTimeout: Duration.minutes(config.executionTimeoutMinutes),
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
      includeExecutionData: config.includeExecutionData,
      releaseLockDeadLetterQueue,
    });

    const scheduleDeadLetterQueue = new DeadLetterQueue(this, 'ScheduleDeadLetterQueue', {
      removalPolicy: config.removalPolicy,
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
      alarmEmail: config.alarmEmail,
      providerErrorRateThreshold: config.providerErrorRateThreshold,
      removalPolicy: config.removalPolicy,
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
  }
}
