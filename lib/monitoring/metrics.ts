import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  METRIC,
  METRICS_NAMESPACE,
  type MetricName,
  TOLERATED_FAILURE_METRIC,
} from '../../lambdas/contracts';
import { metricDimensions } from '../../lambdas/shared/metric-dimensions';
import type { WorkflowFunctions } from '../confirmation-workflow';

/**
 * The name of the tolerated-failure metric of `stage`'s metric filter: TOLERATED_FAILURE_METRIC
 * with the stage appended. A metric filter's dimensions can only take values from fields of the
 * log event, and no field of a Step Functions log event names the stage (only `execution_arn`,
 * one value per execution: a dimension no alarm could name). Without the stage in the name, two
 * stages' filters would publish one metric, and dev's failed page would page prod.
 */
export function toleratedFailureMetricName(stage: string): string {
  return `${TOLERATED_FAILURE_METRIC}-${stage}`;
}

export interface MonitoringMetricsProps {
  /** Every handler metric is watched under `{ service, stage }` (lambdas/shared/metric-dimensions.ts). */
  readonly stage: string;
  /** Of every metric but the oldest pending age. */
  readonly period: Duration;
  /** The schedule's group: Scheduler publishes per group only. */
  readonly scheduleGroup: string;
  readonly oldestPendingAgeSloSeconds: number;
  readonly providerErrorRateMinimumCalls: number;
}

/**
 * The metrics that the alarms and the dashboard share, built once: the handlers' metrics
 * (lambdas/contracts.ts METRIC), the tolerated-failure count of the state machine log, the provider
 * error rate, the oldest pending age and the schedule group's Scheduler metrics.
 */
export class MonitoringMetrics {
  readonly stage: string;
  readonly period: Duration;
  readonly scheduleGroup: string;
  /** Pages that failed their tolerated-failure threshold (see {@link countToleratedFailures}). */
  readonly toleratedFailureThresholdExceeded: cloudwatch.Metric;
  /** Failed provider calls / provider calls, per window. */
  readonly providerErrorRate: cloudwatch.MathExpression;
  /** Maximum over a window as long as the freshness SLO. */
  readonly oldestPendingAge: cloudwatch.Metric;
  readonly scheduler: {
    readonly attempts: cloudwatch.Metric;
    readonly targetErrors: cloudwatch.Metric;
    readonly dropped: cloudwatch.Metric;
    readonly sentToDlq: cloudwatch.Metric;
    readonly notSentToDlq: cloudwatch.Metric;
  };

  /**
   * The Distributed Map quotas of the account and region (AWS/States, no dimension: Step Functions
   * publishes Map Run metrics for the whole account only). Every ConfirmPage is one Map Run; past
   * the open Map Run limit new ones wait in the backlog, and pages take longer.
   */
  readonly mapRuns: {
    readonly open: cloudwatch.Metric;
    readonly limit: cloudwatch.Metric;
    readonly backlog: cloudwatch.Metric;
  };

  constructor(props: MonitoringMetricsProps) {
    this.stage = props.stage;
    this.period = props.period;
    this.scheduleGroup = props.scheduleGroup;
    this.toleratedFailureThresholdExceeded = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: toleratedFailureMetricName(props.stage),
      statistic: cloudwatch.Stats.SUM,
      period: this.period,
    });
    this.providerErrorRate = new cloudwatch.MathExpression({
      // 0 below the minimum number of calls: a window with 1 call and 1 error is not a 100 % outage.
      expression: `IF(calls >= ${props.providerErrorRateMinimumCalls}, errors / calls, 0)`,
      usingMetrics: {
        errors: this.sum(METRIC.ProviderErrors),
        calls: this.sum(METRIC.ProviderCalls),
      },
      period: this.period,
      label: 'Provider error rate',
    });
    // The freshness window is the SLO itself (rounded up to whole minutes, as alarm periods must be).
    this.oldestPendingAge = this.app(METRIC.OldestPendingAgeSeconds, cloudwatch.Stats.MAXIMUM).with(
      {
        period: Duration.seconds(Math.ceil(props.oldestPendingAgeSloSeconds / 60) * 60),
      },
    );
    this.scheduler = {
      attempts: this.schedulerSum('InvocationAttemptCount', 'Invocation attempts'),
      targetErrors: this.schedulerSum('TargetErrorCount', 'Target errors'),
      dropped: this.schedulerSum('InvocationDroppedCount', 'Dropped'),
      sentToDlq: this.schedulerSum('InvocationsSentToDeadLetterCount', 'Sent to DLQ'),
      notSentToDlq: this.schedulerSum(
        'InvocationsFailedToBeSentToDeadLetterCount',
        'Lost (DLQ failed)',
      ),
    };
    const mapRunMetric = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName,
        statistic: cloudwatch.Stats.MAXIMUM,
        period: this.period,
        label,
      });
    this.mapRuns = {
      open: mapRunMetric('ApproximateOpenMapRunCount', 'Open Map Runs (account)'),
      limit: mapRunMetric('OpenMapRunLimit', 'Open Map Run limit'),
      backlog: mapRunMetric('ApproximateMapRunBacklogSize', 'Backlogged Map Runs (account)'),
    };
  }

  /** A handler metric, under the dimensions the handlers publish it with: `{ service, stage }`. */
  app(metricName: MetricName, statistic: string, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { ...metricDimensions(this.stage) },
      statistic,
      period: this.period,
      label,
    });
  }

  /** A handler's Count metric, summed over the window. */
  sum(metricName: MetricName, label?: string): cloudwatch.Metric {
    return this.app(metricName, cloudwatch.Stats.SUM, label);
  }

  /** The deepest a dead-letter queue got in the window. */
  deadLetterDepth(queue: sqs.IQueue, label?: string): cloudwatch.Metric {
    return queue.metricApproximateNumberOfMessagesVisible({
      period: this.period,
      statistic: cloudwatch.Stats.MAXIMUM,
      label,
    });
  }

  private schedulerSum(metricName: string, label: string): cloudwatch.Metric {
    // Scheduler publishes per schedule group only; txconfirm's schedule lives in its group (the
    // account's "default" one unless the schedule names another), shared with other schedules there.
    return new cloudwatch.Metric({
      namespace: 'AWS/Scheduler',
      metricName,
      dimensionsMap: { ScheduleGroup: this.scheduleGroup },
      statistic: cloudwatch.Stats.SUM,
      period: this.period,
      label,
    });
  }
}

/**
 * The metric filter behind {@link MonitoringMetrics.toleratedFailureThresholdExceeded}: 1 per log
 * event of the state machine that carries the error States.ExceedToleratedFailureThreshold, as
 * {@link toleratedFailureMetricName}(stage).
 *
 * Why a log filter and not RunFailedBatches > 0: the page that breaches the threshold fails the
 * Distributed Map before FetchPage folds its results, so RunFailedBatches never counts it (it
 * counts batches that failed WITHIN the tolerance), and it is only published if FinishRun itself
 * runs. The error name is in the state machine's log events at every log level and with or
 * without execution data (it is the error, not the input or output).
 */
export function countToleratedFailures(
  scope: Construct,
  logGroup: logs.ILogGroup,
  stage: string,
): void {
  new logs.MetricFilter(scope, 'ToleratedFailureThresholdExceededFilter', {
    logGroup,
    filterPattern: logs.FilterPattern.literal('"States.ExceedToleratedFailureThreshold"'),
    metricNamespace: METRICS_NAMESPACE,
    metricName: toleratedFailureMetricName(stage),
    metricValue: '1',
  });
}

/** One function of the workflow: its key, its name in alarm names and labels (`fetch-page`). */
export interface NamedFunction {
  readonly key: keyof WorkflowFunctions;
  readonly name: string;
  readonly fn: WorkflowFunctions[keyof WorkflowFunctions];
}

/** The workflow's functions in declaration order, each with its kebab-case name. */
export function namedFunctions(functions: WorkflowFunctions): NamedFunction[] {
  return (Object.keys(functions) as (keyof WorkflowFunctions)[]).map((key) => ({
    key,
    name: key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    fn: functions[key],
  }));
}
