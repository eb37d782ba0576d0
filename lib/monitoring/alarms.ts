import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRIC } from '../../lambdas/contracts';
import type { WorkflowFunctions } from '../confirmation-workflow';
import {
  DYNAMODB_ALARM_SETTINGS,
  DYNAMODB_PERIOD,
  type DynamoDbMetrics,
  TABLE_OPERATIONS,
} from './dynamodb';
import { type MonitoringMetrics, namedFunctions } from './metrics';
import { alarmDescription, FUNCTION_ERRORS_AND_THROTTLES_ENTRY } from './runbook';

/** What the alarm builders below share. Every alarm is created directly in `scope`. */
export interface AlarmContext {
  /** The ConfirmationMonitoring construct: the alarms keep its logical ids. */
  readonly scope: Construct;
  /** `txconfirm-<stage>`: every alarm is named `<prefix>-<name>`. */
  readonly prefix: string;
  readonly metrics: MonitoringMetrics;
  /** Windows in a row a count alarm must breach. */
  readonly evaluationPeriods: number;
}

/**
 * An alarm on something that should never happen: any count above 0 in `evaluationPeriods`
 * windows pages, and silence is fine. `runbookEntry` defaults to the alarm's name.
 */
function countAlarm(
  ctx: AlarmContext,
  alarmId: string,
  name: string,
  metric: cloudwatch.IMetric,
  description: string,
  runbookEntry: string = name,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(ctx.scope, alarmId, {
    alarmName: `${ctx.prefix}-${name}`,
    alarmDescription: alarmDescription(description, runbookEntry),
    metric,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: ctx.evaluationPeriods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** A page failed its tolerated-failure threshold (the metric filter on the state machine log). */
export function toleratedFailureAlarm(ctx: AlarmContext, stateMachineId: string): cloudwatch.Alarm {
  return countAlarm(
    ctx,
    'ToleratedFailureThresholdExceededAlarm',
    'tolerated-failure-threshold-exceeded',
    ctx.metrics.toleratedFailureThresholdExceeded,
    `More than toleratedFailurePercentage of a page's confirm-batch children failed, so ${stateMachineId} failed the run (its items stay PENDING for the next run). Look at the failed map run's child executions for the common error (provider down, credentials, DynamoDB throttling); fix it, then start a run.`,
  );
}

export interface AppMetricAlarmsProps {
  readonly oldestPendingAgeSloSeconds: number;
  /** With the schedule enabled, a freshness window without a datapoint breaches. */
  readonly scheduleEnabled: boolean;
  readonly providerErrorRateThreshold: number;
  readonly providerErrorRateEvaluationPeriods: number;
}

/**
 * The alarms on the handlers' own metrics: failed transactions, freshness, provider errors, runs
 * stopped by a provider outage.
 */
export function appMetricAlarms(ctx: AlarmContext, props: AppMetricAlarmsProps) {
  const { metrics, prefix, scope } = ctx;
  const sloSeconds = props.oldestPendingAgeSloSeconds;
  const transactionsFailed = countAlarm(
    ctx,
    'TransactionsFailedAlarm',
    'transactions-failed',
    metrics.sum(METRIC.TransactionsFailed),
    'At least one transaction ended FAILED (maxAttempts transient provider failures): it will not be retried by itself. Find it with `txc failed`, check its lastError, then requeue it (`txc requeue`) or settle it with the provider by hand.',
  );
  const oldestPendingAge = new cloudwatch.Alarm(scope, 'OldestPendingAgeAlarm', {
    alarmName: `${prefix}-oldest-pending-age`,
    alarmDescription: alarmDescription(
      `Freshness SLO breached: the oldest PENDING transaction is older than ${sloSeconds} s, or (schedule enabled) no run measured it for ${sloSeconds} s — the schedule is paused or failing, or one run has held the lock that long. Check the schedule (txc schedule), the last executions and the backlog (txc pending).`,
      'oldest-pending-age',
    ),
    metric: metrics.oldestPendingAge,
    threshold: sloSeconds,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // The one alarm where silence is bad: every enabled tick starts a run that measures the age
    // (or is SKIPPED because one is still running), so a whole SLO window without a datapoint
    // means no run started. Without the schedule (dev) runs are manual and silence is normal.
    treatMissingData: props.scheduleEnabled
      ? cloudwatch.TreatMissingData.BREACHING
      : cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const providerErrorRate = new cloudwatch.Alarm(scope, 'ProviderErrorRateAlarm', {
    alarmName: `${prefix}-provider-error-rate`,
    alarmDescription: alarmDescription(
      `More than ${props.providerErrorRateThreshold * 100} % of provider calls failed for ${props.providerErrorRateEvaluationPeriods} windows in a row: the provider is degraded or rejecting us (credentials?). Check the provider's status and the confirm-batch logs; pause the schedule (txc schedule pause) if transactions are turning FAILED.`,
      'provider-error-rate',
    ),
    metric: metrics.providerErrorRate,
    threshold: props.providerErrorRateThreshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: props.providerErrorRateEvaluationPeriods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const providerUnavailable = countAlarm(
    ctx,
    'ProviderUnavailableAlarm',
    'provider-unavailable',
    metrics.sum(METRIC.RunsProviderUnavailable),
    'A run stopped because the payment provider is unavailable: its circuit breaker is open (most calls of a batch got no answer, a connection error, 408, 429 or 5xx). The run failed with ProviderUnavailable after releasing its lock; its transactions stay PENDING with attempts unchanged, and the first run after the breaker retry time probes the provider and, once it answers, confirms the backlog: nothing to requeue. `txc status <execution>` shows the evidence and the retry time; check the provider status page.',
  );
  return { transactionsFailed, oldestPendingAge, providerErrorRate, providerUnavailable };
}

type PerFunction = Record<keyof WorkflowFunctions, cloudwatch.Alarm>;

/** Lambda errors and throttles of every function; all of them share one runbook entry. */
export function functionAlarms(ctx: AlarmContext, functions: WorkflowFunctions) {
  const { period } = ctx.metrics;
  const errors = {} as PerFunction;
  const throttles = {} as PerFunction;
  for (const { key, name, fn } of namedFunctions(functions)) {
    const upper = key[0].toUpperCase() + key.slice(1);
    errors[key] = countAlarm(
      ctx,
      `${upper}ErrorsAlarm`,
      `${name}-errors`,
      fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
      `The ${name} function threw (Lambda Errors > 0). Step Functions retries transient faults; read its log group for the error name and message, and check whether the execution recovered.`,
      FUNCTION_ERRORS_AND_THROTTLES_ENTRY,
    );
    throttles[key] = countAlarm(
      ctx,
      `${upper}ThrottlesAlarm`,
      `${name}-throttles`,
      fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
      `Lambda throttled the ${name} function: the account or region concurrency is exhausted. Check other workloads' concurrency; lower maxConcurrency or ask for a higher limit.`,
      FUNCTION_ERRORS_AND_THROTTLES_ENTRY,
    );
  }
  return { errors: errors as Readonly<PerFunction>, throttles: throttles as Readonly<PerFunction> };
}

/** EventBridge Scheduler could not start an execution (counted for the whole schedule group). */
export function schedulerAlarm(ctx: AlarmContext): cloudwatch.Alarm {
  const { scheduler, scheduleGroup, period } = ctx.metrics;
  return countAlarm(
    ctx,
    'ScheduleInvocationsFailedAlarm',
    'schedule-invocations-failed',
    new cloudwatch.MathExpression({
      expression: 'FILL(targetErrors, 0) + FILL(dropped, 0) + FILL(notSentToDlq, 0)',
      usingMetrics: {
        targetErrors: scheduler.targetErrors,
        dropped: scheduler.dropped,
        notSentToDlq: scheduler.notSentToDlq,
      },
      period,
      label: 'Scheduler failed invocations',
    }),
    `EventBridge Scheduler could not start an execution (TargetErrorCount, InvocationDroppedCount or InvocationsFailedToBeSentToDeadLetterCount > 0 in schedule group "${scheduleGroup}"; other schedules of that group count too). Check the schedule's role, the state machine's existence and the Step Functions quotas; runs resume with the next tick.`,
  );
}

/** A message in either dead-letter queue: an event that should have started or ended a run. */
export function deadLetterAlarms(
  ctx: AlarmContext,
  queues: { readonly schedule: sqs.IQueue; readonly releaseLock: sqs.IQueue },
) {
  const dlqAlarm = (alarmId: string, name: string, queue: sqs.IQueue, what: string) =>
    countAlarm(
      ctx,
      alarmId,
      name,
      ctx.metrics.deadLetterDepth(queue),
      `${what} Inspect the message (its attributes carry the error), fix the cause, then redrive or delete it; messages are kept 14 days.`,
    );
  return {
    scheduleDeadLetters: dlqAlarm(
      'ScheduleDeadLettersAlarm',
      'schedule-dead-letters',
      queues.schedule,
      'A scheduled run could not be started after all retries and its event is in the schedule dead-letter queue.',
    ),
    releaseLockDeadLetters: dlqAlarm(
      'ReleaseLockDeadLettersAlarm',
      'release-lock-dead-letters',
      queues.releaseLock,
      'A lock-release event (execution FAILED / TIMED_OUT / ABORTED) could not be processed: the run lock stays held until its lease expires, and runs are SKIPPED until then.',
    ),
  };
}

/**
 * A sum of metrics as one series: FILL(m, 0) so that a metric without data in a window (DynamoDB
 * publishes only non-zero values) does not blank the sum. An alarm reads at most 10 metrics.
 */
function sumOf(
  metrics: Record<string, cloudwatch.IMetric>,
  period: cloudwatch.MathExpressionProps['period'],
  label: string,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: Object.keys(metrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics: metrics,
    period,
    label,
  });
}

/**
 * DynamoDB: throttling of either table or the pending index, DynamoDB's own errors, and the
 * latency of the write every transaction ends with. Thresholds: DYNAMODB_ALARM_SETTINGS.
 */
export function dynamoDbAlarms(ctx: AlarmContext, ddb: DynamoDbMetrics) {
  const { scope, prefix } = ctx;
  const { transactions, pendingIndex, runs } = ddb.targets;
  const settings = DYNAMODB_ALARM_SETTINGS;

  // Throttle events, not ThrottledRequests: a BatchGetItem counts as a throttled request only when
  // every read in it was throttled, and an index write throttled under an UpdateItem counts once
  // for the request; the events count each of them, per table and per index.
  const throttles = new cloudwatch.Alarm(scope, 'DynamoDbThrottlesAlarm', {
    alarmName: `${prefix}-dynamodb-throttles`,
    alarmDescription: alarmDescription(
      `DynamoDB throttled reads or writes of the Transactions table, its ${pendingIndex.label} index or the Runs table in ${settings.throttleDatapointsToAlarm} of the last ${settings.throttleEvaluationPeriods} minutes: the SDK's retries no longer absorb it, so batches fail (their items stay PENDING) and runs slow down. The dashboard's DynamoDB rows show which table, index and operation; lower maxConcurrency if txconfirm's own load causes it.`,
      'dynamodb-throttles',
    ),
    metric: sumOf(
      {
        transactionsReads: ddb.throttleEvents('Read', transactions),
        transactionsWrites: ddb.throttleEvents('Write', transactions),
        pendingIndexReads: ddb.throttleEvents('Read', pendingIndex),
        pendingIndexWrites: ddb.throttleEvents('Write', pendingIndex),
        runsReads: ddb.throttleEvents('Read', runs),
        runsWrites: ddb.throttleEvents('Write', runs),
      },
      DYNAMODB_PERIOD,
      'DynamoDB throttle events',
    ),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: settings.throttleEvaluationPeriods,
    datapointsToAlarm: settings.throttleDatapointsToAlarm,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  // SystemErrors is read per table and operation (as CDK's metricSystemErrorsForOperations does):
  // one metric per operation the handlers call, 7 of the 10 an alarm may read.
  const systemErrorMetrics: Record<string, cloudwatch.IMetric> = {};
  for (const table of ['transactions', 'runs'] as const) {
    for (const operation of TABLE_OPERATIONS[table]) {
      systemErrorMetrics[`${table}${operation}`] = ddb.operation(
        table,
        operation,
        'SystemErrors',
        cloudwatch.Stats.SUM,
      );
    }
  }
  const systemErrors = countAlarm(
    ctx,
    'DynamoDbSystemErrorsAlarm',
    'dynamodb-system-errors',
    sumOf(systemErrorMetrics, ctx.metrics.period, 'DynamoDB system errors'),
    'DynamoDB answered requests of the Transactions or Runs table with HTTP 500 (SystemErrors > 0): a fault inside DynamoDB, not ours. The SDK and the workflow retry, but a run may fail (SystemicFault). Check the AWS Health Dashboard for DynamoDB in this region and the dashboard for the operation; start a run when it has cleared.',
  );

  const updateLatency = new cloudwatch.Alarm(scope, 'TransactionsUpdateLatencyAlarm', {
    alarmName: `${prefix}-transactions-update-latency`,
    alarmDescription: alarmDescription(
      `p99 of DynamoDB's latency for UpdateItem on the Transactions table (the write that ends every transaction) was above ${settings.updateLatencyThresholdMs} ms for ${settings.updateLatencyEvaluationPeriods} windows in a row: DynamoDB is degraded for this table (a hot partition or the service), and runs slow down. Check the AWS Health Dashboard and the dashboard's DynamoDB latency and throttle rows.`,
      'transactions-update-latency',
    ),
    metric: ddb
      .operation(
        'transactions',
        dynamodb.Operation.UPDATE_ITEM,
        'SuccessfulRequestLatency',
        cloudwatch.Stats.p(99),
        { labelled: false },
      )
      .with({ period: ctx.metrics.period }),
    threshold: settings.updateLatencyThresholdMs,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: settings.updateLatencyEvaluationPeriods,
    // A p99 of a handful of writes (a small dry run) is just the slowest one: such windows keep
    // the alarm's state instead of deciding it.
    evaluateLowSampleCountPercentile: 'ignore',
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  return { throttles, systemErrors, updateLatency };
}
