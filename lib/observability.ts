import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_PROVIDER_ERROR_RATE_THRESHOLD, STAGE_NAME_PATTERN } from './config';
import type { ConfirmationSchedule } from './confirmation-schedule';
import type { ConfirmationWorkflow, WorkflowFunctions } from './confirmation-workflow';
import { Problems } from './validation';

/** Namespace and dimension of the handlers' Powertools metrics (lambdas/shared/powertools.ts). */
export const METRICS_NAMESPACE = 'txconfirm';
export const SERVICE_DIMENSIONS = { service: 'txconfirm' } as const;
/** The metric the state machine log filter emits when a page fails its tolerated-failure threshold. */
export const TOLERATED_FAILURE_METRIC = 'ToleratedFailureThresholdExceeded';
/** Where every alarm description sends the operator. */
export const RUNBOOK = 'README.md § Runbook';

/** Defaults of {@link ConfirmationMonitoringProps}; each value says why in the props' docs. */
export const MONITORING_DEFAULTS = {
  period: Duration.minutes(5),
  evaluationPeriods: 1,
  providerErrorRateThreshold: DEFAULT_PROVIDER_ERROR_RATE_THRESHOLD,
  providerErrorRateMinimumCalls: 20,
  providerErrorRateEvaluationPeriods: 2,
} as const;

export interface ConfirmationMonitoringProps {
  /** Names the topic, the alarms and the dashboard (`txconfirm-<stage>`). */
  readonly stage: string;
  readonly workflow: ConfirmationWorkflow;
  readonly functions: WorkflowFunctions;
  readonly schedule: ConfirmationSchedule;
  /**
   * With the schedule enabled, a freshness window without a single OldestPendingAgeSeconds
   * datapoint is itself an alarm (no run began); with it disabled (dev), silence is normal.
   */
  readonly scheduleEnabled: boolean;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly releaseLockDeadLetterQueue: sqs.IQueue;
  /** Freshness SLO (lib/config.ts oldestPendingAgeSloSeconds), 60..86400 s. */
  readonly oldestPendingAgeSloSeconds: number;
  /** Subscribed to the alarm topic by email. @default no subscription */
  readonly alarmEmail?: string;
  /** Of the topic's KMS key. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Window of the count alarms (failed transactions, Lambda errors and throttles, scheduler
   * errors, DLQ depth). @default 5 minutes — the schedule's default period, and the resolution at
   * which Lambda and SQS publish their standard metrics; shorter adds cost, not information.
   */
  readonly period?: Duration;
  /**
   * Windows in a row a count alarm must breach. @default 1 — every one of them counts something
   * that should never happen (a FAILED transaction, a lost event), so the first one pages.
   */
  readonly evaluationPeriods?: number;
  /**
   * Fraction of provider calls that failed (transient, permanent or systemic), 0 < x <= 1.
   * @default 0.2 — transient errors are retried (DESIGN.md §4.4), so a few are normal; one call
   * in five failing means the provider is degraded and transactions are heading for FAILED.
   */
  readonly providerErrorRateThreshold?: number;
  /**
   * Provider calls a window needs before its error rate counts. @default 20 — below that one or
   * two errors make a rate of 10-100 %: a small dry run must not page anyone.
   */
  readonly providerErrorRateMinimumCalls?: number;
  /**
   * Windows in a row the error rate must breach. @default 2 — a provider blip that the retries
   * absorb within one window is not worth a page; ten minutes of it is.
   */
  readonly providerErrorRateEvaluationPeriods?: number;
}

/**
 * What an operator watches (DESIGN.md §7): every alarm of txconfirm, each sending its ALARM and OK
 * transitions to one KMS-encrypted, TLS-only SNS topic, and one dashboard `txconfirm-<stage>`.
 *
 * The alarms, and why each one pages:
 * - executions failed / timed out / aborted (owned by the ConfirmationWorkflow, actions added here);
 * - a page exceeded its tolerated-failure threshold (a metric filter on the state machine log);
 * - any transaction ended FAILED (money needs a person: requeue or settle by hand);
 * - the oldest PENDING transaction is older than the freshness SLO;
 * - the provider error rate is above its threshold;
 * - errors and throttles of every function;
 * - the schedule could not start an execution; a dead-letter queue holds messages.
 */
export class ConfirmationMonitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarmKey: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm of the stack, the workflow's included. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The named alarms, for tests and for callers that add their own actions. */
  readonly alarm: {
    readonly toleratedFailureThresholdExceeded: cloudwatch.Alarm;
    readonly transactionsFailed: cloudwatch.Alarm;
    readonly oldestPendingAge: cloudwatch.Alarm;
    readonly providerErrorRate: cloudwatch.Alarm;
    readonly functionErrors: Readonly<Record<keyof WorkflowFunctions, cloudwatch.Alarm>>;
    readonly functionThrottles: Readonly<Record<keyof WorkflowFunctions, cloudwatch.Alarm>>;
    readonly scheduleInvocationsFailed: cloudwatch.Alarm;
    readonly scheduleDeadLetters: cloudwatch.Alarm;
    readonly releaseLockDeadLetters: cloudwatch.Alarm;
  };

  constructor(scope: Construct, id: string, props: ConfirmationMonitoringProps) {
    super(scope, id);
    validateProps(props);
    const prefix = `txconfirm-${props.stage}`;
    const period = props.period ?? MONITORING_DEFAULTS.period;
    const evaluationPeriods = props.evaluationPeriods ?? MONITORING_DEFAULTS.evaluationPeriods;
    const stateMachine = props.workflow.stateMachine;
    const stack = Stack.of(this);

    // ---- the topic ---------------------------------------------------------------------------
    // A customer-managed key, not alias/aws/sns: CloudWatch cannot publish to a topic encrypted
    // with the AWS-managed key, whose policy no one can extend to cloudwatch.amazonaws.com.
    this.alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `${prefix}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    // The statement AWS documents for alarms on an encrypted topic ("*" in a key policy is this
    // key). Who may publish is decided by the topic policy below.
    this.alarmKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishEncrypted',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topicName = `${prefix}-alarms`;
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName,
      displayName: `txconfirm ${props.stage} alarms`,
      masterKey: this.alarmKey,
      // Denies every request that does not use TLS (cdk-nag AwsSolutions-SNS3).
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so the alarms' publisher is named explicitly.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    // ---- metrics -----------------------------------------------------------------------------
    const appMetric = (metricName: string, statistic: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { ...SERVICE_DIMENSIONS },
        statistic,
        period,
        label,
      });
    const sum = (metricName: string, label?: string) =>
      appMetric(metricName, cloudwatch.Stats.SUM, label);

    // Scheduler publishes per schedule group only; txconfirm's schedule lives in its group (the
    // account's "default" one unless the schedule names another), shared with other schedules there.
    const scheduleGroup = props.schedule.schedule.scheduleGroup?.scheduleGroupName ?? 'default';
    const schedulerMetric = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Scheduler',
        metricName,
        dimensionsMap: { ScheduleGroup: scheduleGroup },
        statistic: cloudwatch.Stats.SUM,
        period,
        label,
      });
    const scheduler = {
      attempts: schedulerMetric('InvocationAttemptCount', 'Invocation attempts'),
      targetErrors: schedulerMetric('TargetErrorCount', 'Target errors'),
      dropped: schedulerMetric('InvocationDroppedCount', 'Dropped'),
      sentToDlq: schedulerMetric('InvocationsSentToDeadLetterCount', 'Sent to DLQ'),
      notSentToDlq: schedulerMetric(
        'InvocationsFailedToBeSentToDeadLetterCount',
        'Lost (DLQ failed)',
      ),
    };

    const providerErrorRate = new cloudwatch.MathExpression({
      // 0 below the minimum number of calls: a window with 1 call and 1 error is not a 100 % outage.
      expression: `IF(calls >= ${props.providerErrorRateMinimumCalls ?? MONITORING_DEFAULTS.providerErrorRateMinimumCalls}, errors / calls, 0)`,
      usingMetrics: { errors: sum('ProviderErrors'), calls: sum('ProviderCalls') },
      period,
      label: 'Provider error rate',
    });
    const providerErrorRateThreshold =
      props.providerErrorRateThreshold ?? MONITORING_DEFAULTS.providerErrorRateThreshold;

    // Why a log filter and not RunFailedBatches > 0: the page that breaches the threshold fails the
    // Distributed Map before FetchPage folds its results, so RunFailedBatches never counts it (it
    // counts batches that failed WITHIN the tolerance), and it is only published if FinishRun
    // itself runs. The error name is in the state machine's log events at every log level and with
    // or without execution data (it is the error, not the input or output).
    new logs.MetricFilter(this, 'ToleratedFailureThresholdExceededFilter', {
      logGroup: props.workflow.logGroup,
      filterPattern: logs.FilterPattern.literal('"States.ExceedToleratedFailureThreshold"'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: TOLERATED_FAILURE_METRIC,
      metricValue: '1',
    });
    const toleratedFailureMetric = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: TOLERATED_FAILURE_METRIC,
      statistic: cloudwatch.Stats.SUM,
      period,
    });

    // The freshness window is the SLO itself (rounded up to whole minutes, as alarm periods must be).
    const sloSeconds = props.oldestPendingAgeSloSeconds;
    const oldestPendingAge = appMetric('OldestPendingAgeSeconds', cloudwatch.Stats.MAXIMUM).with({
      period: Duration.seconds(Math.ceil(sloSeconds / 60) * 60),
    });

    // ---- alarms ------------------------------------------------------------------------------
    const action = new cloudwatchActions.SnsAction(this.alarmTopic);
    const countAlarm = (
      alarmId: string,
      name: string,
      metric: cloudwatch.IMetric,
      description: string,
    ): cloudwatch.Alarm =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: `${description} Runbook: ${RUNBOOK} → ${name}.`,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const toleratedFailureThresholdExceeded = countAlarm(
      'ToleratedFailureThresholdExceededAlarm',
      'tolerated-failure-threshold-exceeded',
      toleratedFailureMetric,
      `More than toleratedFailurePercentage of a page's confirm-batch children failed, so ${stateMachine.node.id} failed the run (its items stay PENDING for the next run). Look at the failed map run's child executions for the common error (provider down, credentials, DynamoDB throttling); fix it, then start a run.`,
    );
    const transactionsFailed = countAlarm(
      'TransactionsFailedAlarm',
      'transactions-failed',
      sum('TransactionsFailed'),
      'At least one transaction ended FAILED (maxAttempts transient provider failures): it will not be retried by itself. Find it with `txc failed`, check its lastError, then requeue it (`txc requeue`) or settle it with the provider by hand.',
    );
    const oldestPendingAgeAlarm = new cloudwatch.Alarm(this, 'OldestPendingAgeAlarm', {
      alarmName: `${prefix}-oldest-pending-age`,
      alarmDescription: `Freshness SLO breached: the oldest PENDING transaction is older than ${sloSeconds} s, or (schedule enabled) no run measured it for ${sloSeconds} s — the schedule is paused or failing, or one run has held the lock that long. Check the schedule (txc schedule), the last executions and the backlog (txc pending). Runbook: ${RUNBOOK} → oldest-pending-age.`,
      metric: oldestPendingAge,
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
    const providerErrorRateAlarm = new cloudwatch.Alarm(this, 'ProviderErrorRateAlarm', {
      alarmName: `${prefix}-provider-error-rate`,
      alarmDescription: `More than ${providerErrorRateThreshold * 100} % of provider calls failed for ${props.providerErrorRateEvaluationPeriods ?? MONITORING_DEFAULTS.providerErrorRateEvaluationPeriods} windows in a row: the provider is degraded or rejecting us (credentials?). Check the provider's status and the confirm-batch logs; pause the schedule (txc schedule pause) if transactions are turning FAILED. Runbook: ${RUNBOOK} → provider-error-rate.`,
      metric: providerErrorRate,
      threshold: providerErrorRateThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods:
        props.providerErrorRateEvaluationPeriods ??
        MONITORING_DEFAULTS.providerErrorRateEvaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const functionEntries = Object.entries(props.functions) as [
      keyof WorkflowFunctions,
      WorkflowFunctions[keyof WorkflowFunctions],
    ][];
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const functionErrors = {} as Record<keyof WorkflowFunctions, cloudwatch.Alarm>;
    const functionThrottles = {} as Record<keyof WorkflowFunctions, cloudwatch.Alarm>;
    for (const [key, fn] of functionEntries) {
      const name = kebab(key);
      const upper = key[0].toUpperCase() + key.slice(1);
      functionErrors[key] = countAlarm(
        `${upper}ErrorsAlarm`,
        `${name}-errors`,
        fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        `The ${name} function threw (Lambda Errors > 0). Step Functions retries transient faults; read its log group for the error name and message, and check whether the execution recovered.`,
      );
      functionThrottles[key] = countAlarm(
        `${upper}ThrottlesAlarm`,
        `${name}-throttles`,
        fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
        `Lambda throttled the ${name} function: the account or region concurrency is exhausted. Check other workloads' concurrency; lower maxConcurrency or ask for a higher limit.`,
      );
    }

    const scheduleInvocationsFailed = countAlarm(
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
    const dlqAlarm = (alarmId: string, name: string, queue: sqs.IQueue, what: string) =>
      countAlarm(
        alarmId,
        name,
        queue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `${what} Inspect the message (its attributes carry the error), fix the cause, then redrive or delete it; messages are kept 14 days.`,
      );
    const scheduleDeadLetters = dlqAlarm(
      'ScheduleDeadLettersAlarm',
      'schedule-dead-letters',
      props.scheduleDeadLetterQueue,
      'A scheduled run could not be started after all retries and its event is in the schedule dead-letter queue.',
    );
    const releaseLockDeadLetters = dlqAlarm(
      'ReleaseLockDeadLettersAlarm',
      'release-lock-dead-letters',
      props.releaseLockDeadLetterQueue,
      'A lock-release event (execution FAILED / TIMED_OUT / ABORTED) could not be processed: the run lock stays held until its lease expires, and runs are SKIPPED until then.',
    );

    this.alarm = {
      toleratedFailureThresholdExceeded,
      transactionsFailed,
      oldestPendingAge: oldestPendingAgeAlarm,
      providerErrorRate: providerErrorRateAlarm,
      functionErrors,
      functionThrottles,
      scheduleInvocationsFailed,
      scheduleDeadLetters,
      releaseLockDeadLetters,
    };
    this.alarms = [
      ...props.workflow.alarms,
      toleratedFailureThresholdExceeded,
      transactionsFailed,
      oldestPendingAgeAlarm,
      providerErrorRateAlarm,
      ...Object.values(functionErrors),
      ...Object.values(functionThrottles),
      scheduleInvocationsFailed,
      scheduleDeadLetters,
      releaseLockDeadLetters,
    ];
    // OK too: whoever was paged learns that it cleared.
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }

    // ---- dashboard ---------------------------------------------------------------------------
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });
    const perFunction = (
      metric: (fn: WorkflowFunctions[keyof WorkflowFunctions]) => cloudwatch.Metric,
    ) => functionEntries.map(([key, fn]) => metric(fn).with({ label: kebab(key) }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# txconfirm ${props.stage}\nFreshness SLO: oldest PENDING transaction younger than ${sloSeconds} s. Every alarm goes to the SNS topic ${topicName}; what to do is in ${RUNBOOK}.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...this.alarms],
        width: 24,
        height: 4,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    const executionMetric = (metric: cloudwatch.Metric, label: string) =>
      metric.with({ period, statistic: cloudwatch.Stats.SUM, label });
    this.dashboard.addWidgets(
      graph('Executions', [
        executionMetric(stateMachine.metricStarted(), 'Started'),
        executionMetric(stateMachine.metricSucceeded(), 'Succeeded'),
        executionMetric(stateMachine.metricFailed(), 'Failed'),
        executionMetric(stateMachine.metricAborted(), 'Aborted'),
        executionMetric(stateMachine.metricTimedOut(), 'Timed out'),
      ]),
      graph(
        'Confirmations by outcome',
        ['Confirmed', 'Rejected', 'Failed', 'Deferred', 'Skipped'].map((outcome) =>
          sum(`Transactions${outcome}`, outcome),
        ),
        { stacked: true },
      ),
    );
    this.dashboard.addWidgets(
      graph('Provider latency (p50 / p99)', [
        appMetric('ProviderLatency', cloudwatch.Stats.p(50), 'p50 (ms)'),
        appMetric('ProviderLatency', cloudwatch.Stats.p(99), 'p99 (ms)'),
      ]),
      graph('Provider error rate', [providerErrorRate], {
        right: [sum('ProviderCalls', 'Calls'), sum('ProviderErrors', 'Errors')],
        leftYAxis: { min: 0, max: 1 },
        leftAnnotations: [{ value: providerErrorRateThreshold, label: 'Alarm threshold' }],
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Oldest pending age vs SLO',
        [oldestPendingAge.with({ period, label: 'Oldest pending age (s)' })],
        {
          leftYAxis: { min: 0 },
          leftAnnotations: [{ value: sloSeconds, label: `SLO ${sloSeconds} s` }],
        },
      ),
      graph('Batch size', [
        appMetric('BatchSize', cloudwatch.Stats.AVERAGE, 'Average'),
        appMetric('BatchSize', cloudwatch.Stats.MAXIMUM, 'Maximum'),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Run duration',
        [
          appMetric('RunDuration', cloudwatch.Stats.AVERAGE, 'Average (ms)'),
          appMetric('RunDuration', cloudwatch.Stats.MAXIMUM, 'Maximum (ms)'),
        ],
        {
          right: [
            sum('RunsSucceeded', 'Runs succeeded'),
            sum('RunsFailed', 'Runs failed'),
            sum('RunsSkipped', 'Runs skipped'),
            sum('RunFailedBatches', 'Failed batches'),
            toleratedFailureMetric.with({ label: 'Pages over the failure threshold' }),
          ],
        },
      ),
      graph(
        'Lambda errors',
        perFunction((fn) => fn.metricErrors({ period, statistic: 'Sum' })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda throttles',
        perFunction((fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
      ),
      graph(
        'Lambda duration (p99)',
        perFunction((fn) => fn.metricDuration({ period, statistic: cloudwatch.Stats.p(99) })),
      ),
    );
    this.dashboard.addWidgets(
      graph('Scheduler invocations and errors', [
        scheduler.attempts,
        scheduler.targetErrors,
        scheduler.dropped,
        scheduler.sentToDlq,
        scheduler.notSentToDlq,
      ]),
      graph('Dead-letter queue depth', [
        props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'Schedule DLQ',
        }),
        props.releaseLockDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'Release-lock DLQ',
        }),
      ]),
    );
  }
}

function validateProps(props: ConfirmationMonitoringProps): void {
  const p = new Problems();
  if (!STAGE_NAME_PATTERN.test(props.stage)) {
    p.add(
      `stage must match ${STAGE_NAME_PATTERN.source} (it names the alarms and the dashboard), got ${JSON.stringify(props.stage)}`,
    );
  }
  p.integerInRange('oldestPendingAgeSloSeconds', props.oldestPendingAgeSloSeconds, 60, 86400);
  if (props.period !== undefined) {
    const seconds = props.period.toSeconds({ integral: false });
    if (!(seconds >= 60 && seconds <= 86400 && seconds % 60 === 0)) {
      p.add(`period must be a whole number of minutes, 1 minute..1 day, got ${seconds} s`);
    }
  }
  if (props.evaluationPeriods !== undefined) {
    p.integerInRange('evaluationPeriods', props.evaluationPeriods, 1, 24);
  }
  const rate = props.providerErrorRateThreshold;
  if (rate !== undefined && !(typeof rate === 'number' && rate > 0 && rate <= 1)) {
    p.add(
      `providerErrorRateThreshold must be > 0 and <= 1 (a fraction of provider calls), got ${String(rate)}`,
    );
  }
  if (props.providerErrorRateMinimumCalls !== undefined) {
    p.integerInRange(
      'providerErrorRateMinimumCalls',
      props.providerErrorRateMinimumCalls,
      1,
      1_000_000,
    );
  }
  if (props.providerErrorRateEvaluationPeriods !== undefined) {
    p.integerInRange(
      'providerErrorRateEvaluationPeriods',
      props.providerErrorRateEvaluationPeriods,
      1,
      24,
    );
  }
  p.throwIfAny();
}
