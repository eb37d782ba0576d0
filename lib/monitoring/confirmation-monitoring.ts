import { Duration, type RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STAGE_NAME_PATTERN, stageSettingsSchema } from '../config';
import type { ConfirmationSchedule } from '../confirmation-schedule';
import type { ConfirmationWorkflow, WorkflowFunctions } from '../confirmation-workflow';
import { Problems } from '../validation';
import { createAlarmTopic } from './alarm-topic';
import {
  type AlarmContext,
  appMetricAlarms,
  deadLetterAlarms,
  dynamoDbAlarms,
  functionAlarms,
  schedulerAlarm,
  toleratedFailureAlarm,
} from './alarms';
import { createConfirmationDashboard } from './dashboard';
import { mapRunLabel } from './distributed-map';
import { DynamoDbMetrics, type MonitoredTables } from './dynamodb';
import { countToleratedFailures, MonitoringMetrics } from './metrics';

/** Defaults of {@link ConfirmationMonitoringProps}; each value says why in the props' docs. */
export const MONITORING_DEFAULTS = {
  period: Duration.minutes(5),
  evaluationPeriods: 1,
  providerErrorRateThreshold: stageSettingsSchema.shape.providerErrorRateThreshold.parse(undefined),
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
  /** Each subscribed to the stage's alarm topic by email (each confirms by mail); may be empty. */
  readonly alarmEmails: readonly string[];
  /**
   * An existing SNS topic (the team's pager or chat integration) that every alarm ALSO notifies,
   * on ALARM and on OK. Its topic policy (and its key's, if encrypted) must let this account's
   * CloudWatch alarms publish. @default only the stage's alarm topic
   */
  readonly alarmTopicArn?: string;
  /**
   * The stage's customer-managed key: encrypts the alarm topic instead of a key of its own, and
   * gets the key-policy statement CloudWatch alarms need to publish to an encrypted topic.
   * @default a key created for the alarm topic alone
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The stage's tables and the pending index: DynamoDB rows on the dashboard and alarms on
   * throttling, system errors and write latency. @default no DynamoDB monitoring
   */
  readonly tables?: MonitoredTables;
  /** Of the topic's own KMS key (unused with `encryptionKey`). */
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
   * @default 0.2 — transient errors are retried (docs/architecture.md §4.4), so a few are normal;
   * one call in five failing means the provider is degraded and transactions are heading for FAILED.
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
 * What an operator watches (docs/architecture.md §7): every alarm of txconfirm, each sending its
 * ALARM and OK transitions to one KMS-encrypted, TLS-only SNS topic (and to `alarmTopicArn` when
 * given), and one dashboard `txconfirm-<stage>`. Every description ends with its entry of
 * docs/runbook.md. Alarms and widgets on the handlers' metrics watch `{ service, stage }`, so two
 * stages in one account never set off each other's alarms.
 *
 * The alarms, and why each one pages:
 * - executions failed / timed out / aborted (owned by the ConfirmationWorkflow, actions added here);
 * - a page exceeded its tolerated-failure threshold (a metric filter on the state machine log);
 * - any transaction ended FAILED (money needs a person: requeue or settle by hand);
 * - the oldest PENDING transaction is older than the freshness SLO;
 * - the provider error rate is above its threshold;
 * - a run stopped because the provider is unavailable (its circuit breaker is open);
 * - errors and throttles of every function;
 * - the schedule could not start an execution; a dead-letter queue holds messages;
 * - with the tables: DynamoDB throttling (tables and pending index), system errors, and the p99
 *   latency of UpdateItem on Transactions.
 *
 * The pieces (alarm-topic.ts, metrics.ts, alarms.ts, dashboard.ts) create their resources in this
 * construct, not in children of their own, so every logical id is `Monitoring<Id>`.
 */
export class ConfirmationMonitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  /** The key of the alarm topic: its own, or the stage's `encryptionKey`. */
  readonly alarmKey: kms.IKey;
  /** The existing topic every alarm also notifies (`alarmTopicArn`). */
  readonly externalAlarmTopic?: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm of the stack, the workflow's included. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The named alarms, for tests and for callers that add their own actions. */
  readonly alarm: {
    readonly toleratedFailureThresholdExceeded: cloudwatch.Alarm;
    readonly transactionsFailed: cloudwatch.Alarm;
    readonly oldestPendingAge: cloudwatch.Alarm;
    readonly providerErrorRate: cloudwatch.Alarm;
    /** A run stopped because the provider circuit breaker is open. */
    readonly providerUnavailable: cloudwatch.Alarm;
    readonly functionErrors: Readonly<Record<keyof WorkflowFunctions, cloudwatch.Alarm>>;
    readonly functionThrottles: Readonly<Record<keyof WorkflowFunctions, cloudwatch.Alarm>>;
    readonly scheduleInvocationsFailed: cloudwatch.Alarm;
    readonly scheduleDeadLetters: cloudwatch.Alarm;
    readonly releaseLockDeadLetters: cloudwatch.Alarm;
    /** Present with `tables`. */
    readonly dynamodb?: {
      readonly throttles: cloudwatch.Alarm;
      readonly systemErrors: cloudwatch.Alarm;
      readonly updateLatency: cloudwatch.Alarm;
    };
  };

  constructor(scope: Construct, id: string, props: ConfirmationMonitoringProps) {
    super(scope, id);
    validateProps(props);
    const prefix = `txconfirm-${props.stage}`;
    const providerErrorRateThreshold =
      props.providerErrorRateThreshold ?? MONITORING_DEFAULTS.providerErrorRateThreshold;

    const topic = createAlarmTopic(this, {
      stage: props.stage,
      prefix,
      alarmEmails: props.alarmEmails,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    this.alarmKey = topic.key;
    this.alarmTopic = topic.topic;
    if (props.alarmTopicArn !== undefined) {
      this.externalAlarmTopic = sns.Topic.fromTopicArn(
        this,
        'ExternalAlarmTopic',
        props.alarmTopicArn,
      );
    }

    countToleratedFailures(this, props.workflow.logGroup, props.stage);
    const metrics = new MonitoringMetrics({
      stage: props.stage,
      period: props.period ?? MONITORING_DEFAULTS.period,
      scheduleGroup: props.schedule.schedule.scheduleGroup?.scheduleGroupName ?? 'default',
      oldestPendingAgeSloSeconds: props.oldestPendingAgeSloSeconds,
      providerErrorRateMinimumCalls:
        props.providerErrorRateMinimumCalls ?? MONITORING_DEFAULTS.providerErrorRateMinimumCalls,
    });

    const ctx: AlarmContext = {
      scope: this,
      prefix,
      metrics,
      evaluationPeriods: props.evaluationPeriods ?? MONITORING_DEFAULTS.evaluationPeriods,
    };
    const toleratedFailureThresholdExceeded = toleratedFailureAlarm(
      ctx,
      props.workflow.stateMachine.node.id,
    );
    const app = appMetricAlarms(ctx, {
      oldestPendingAgeSloSeconds: props.oldestPendingAgeSloSeconds,
      scheduleEnabled: props.scheduleEnabled,
      providerErrorRateThreshold,
      providerErrorRateEvaluationPeriods:
        props.providerErrorRateEvaluationPeriods ??
        MONITORING_DEFAULTS.providerErrorRateEvaluationPeriods,
    });
    const functions = functionAlarms(ctx, props.functions);
    const scheduleInvocationsFailed = schedulerAlarm(ctx);
    const deadLetters = deadLetterAlarms(ctx, {
      schedule: props.scheduleDeadLetterQueue,
      releaseLock: props.releaseLockDeadLetterQueue,
    });
    const dynamodb = props.tables === undefined ? undefined : new DynamoDbMetrics(props.tables);
    const dynamodbAlarms = dynamodb === undefined ? undefined : dynamoDbAlarms(ctx, dynamodb);

    this.alarm = {
      toleratedFailureThresholdExceeded,
      ...app,
      functionErrors: functions.errors,
      functionThrottles: functions.throttles,
      scheduleInvocationsFailed,
      ...deadLetters,
      dynamodb: dynamodbAlarms,
    };
    this.alarms = [
      ...props.workflow.alarms,
      toleratedFailureThresholdExceeded,
      app.transactionsFailed,
      app.oldestPendingAge,
      app.providerErrorRate,
      app.providerUnavailable,
      ...Object.values(functions.errors),
      ...Object.values(functions.throttles),
      scheduleInvocationsFailed,
      deadLetters.scheduleDeadLetters,
      deadLetters.releaseLockDeadLetters,
      ...(dynamodbAlarms === undefined
        ? []
        : [dynamodbAlarms.throttles, dynamodbAlarms.systemErrors, dynamodbAlarms.updateLatency]),
    ];
    // OK too: whoever was paged learns that it cleared (a pager integration resolves its incident).
    const actions = [this.alarmTopic, this.externalAlarmTopic]
      .filter((t): t is sns.ITopic => t !== undefined)
      .map((t) => new cloudwatchActions.SnsAction(t));
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(...actions);
      alarm.addOkAction(...actions);
    }

    this.dashboard = createConfirmationDashboard(this, {
      stage: props.stage,
      prefix,
      alarmTopicName: topic.topicName,
      externalAlarmTopicArn: props.alarmTopicArn,
      oldestPendingAgeSloSeconds: props.oldestPendingAgeSloSeconds,
      providerErrorRateThreshold,
      metrics,
      alarms: this.alarms,
      stateMachine: props.workflow.stateMachine,
      functions: props.functions,
      scheduleDeadLetterQueue: props.scheduleDeadLetterQueue,
      releaseLockDeadLetterQueue: props.releaseLockDeadLetterQueue,
      dynamodb,
      mapRunLabel: mapRunLabel(props.workflow),
    });
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
  const emails = props.alarmEmails;
  for (const email of emails) {
    if (!Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+$/.test(email)) {
      p.add(`alarmEmails must be email addresses, got ${JSON.stringify(email)}`);
    }
  }
  const repeated = emails.filter((email, i) => emails.indexOf(email) !== i);
  if (repeated.length > 0) {
    // One subscription per address: SNS would subscribe it once, CloudFormation twice.
    p.add(`alarmEmails must not repeat an address, got ${JSON.stringify(repeated[0])} twice`);
  }
  const arn = props.alarmTopicArn;
  if (
    arn !== undefined &&
    !Token.isUnresolved(arn) &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(arn)
  ) {
    p.add(`alarmTopicArn must be an SNS topic ARN, got ${JSON.stringify(arn)}`);
  }
  if (props.tables !== undefined && props.tables.pendingIndexName.trim() === '') {
    p.add('tables.pendingIndexName must name the pending index of the Transactions table');
  }
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
