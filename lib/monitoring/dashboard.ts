import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { METRIC, type MetricName } from '../../lambdas/contracts';
import type { WorkflowFunctions } from '../confirmation-workflow';
import { childExecutionMetrics } from './distributed-map';
import { DYNAMODB_ALARM_SETTINGS, type DynamoDbMetrics, type TableKey } from './dynamodb';
import { type MonitoringMetrics, namedFunctions } from './metrics';
import { RUNBOOK_PATH } from './runbook';

export interface ConfirmationDashboardProps {
  readonly stage: string;
  /** `txconfirm-<stage>`: the dashboard's name. */
  readonly prefix: string;
  readonly alarmTopicName: string;
  /** The existing topic every alarm also goes to (alarmTopicArn), if any. */
  readonly externalAlarmTopicArn?: string;
  readonly oldestPendingAgeSloSeconds: number;
  readonly providerErrorRateThreshold: number;
  readonly metrics: MonitoringMetrics;
  /** Shown in one alarm status widget. */
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly stateMachine: sfn.StateMachine;
  readonly functions: WorkflowFunctions;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly releaseLockDeadLetterQueue: sqs.IQueue;
  /** The tables' metrics: the DynamoDB rows (none without them). */
  readonly dynamodb?: DynamoDbMetrics;
  /** The ConfirmPage Map state's Label: its child executions can only be shown with one. */
  readonly mapRunLabel?: string;
}

/** The transaction outcomes confirm-batch counts, as the stacked graph labels them. */
const OUTCOME_METRICS: readonly (readonly [MetricName, string])[] = [
  [METRIC.TransactionsConfirmed, 'Confirmed'],
  [METRIC.TransactionsRejected, 'Rejected'],
  [METRIC.TransactionsFailed, 'Failed'],
  [METRIC.TransactionsDeferred, 'Deferred'],
  [METRIC.TransactionsSkipped, 'Skipped'],
  [METRIC.TransactionsUnavailable, 'Unavailable (breaker open)'],
];

const graph = (
  title: string,
  left: cloudwatch.IMetric[],
  extra: Partial<cloudwatch.GraphWidgetProps> = {},
) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });

/**
 * The dashboard `txconfirm-<stage>`: a header, every alarm's state, then two graphs a row —
 * executions and outcomes, the provider, provider outages (one wide graph), freshness and batch size, the Distributed Map, runs and
 * Lambda errors, Lambda throttles and duration, the scheduler and the dead-letter queues, then
 * (with the tables) DynamoDB: throttles, errors and latency, consumed capacity. Created directly
 * in `scope`.
 */
export function createConfirmationDashboard(
  scope: Construct,
  props: ConfirmationDashboardProps,
): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: props.prefix,
    defaultInterval: Duration.hours(3),
  });
  const sloSeconds = props.oldestPendingAgeSloSeconds;
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# txconfirm ${props.stage}\nFreshness SLO: oldest PENDING transaction younger than ${sloSeconds} s. Every alarm goes to the SNS topic ${props.alarmTopicName}${props.externalAlarmTopicArn === undefined ? '' : ` and to ${props.externalAlarmTopicArn}`}; what to do is in ${RUNBOOK_PATH}. App metrics are shown for stage=${props.stage}.`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: [...props.alarms],
      width: 24,
      height: 4,
      sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
    }),
  );
  for (const row of [
    ...workflowRows(props),
    distributedMapRow(props),
    ...runAndServiceRows(props),
    ...(props.dynamodb === undefined ? [] : dynamoDbRows(props.dynamodb, props.metrics)),
  ]) {
    dashboard.addWidgets(...row);
  }
  return dashboard;
}

/** What the workflow and its handlers report: executions, outcomes, provider, backlog, batches. */
function workflowRows(props: ConfirmationDashboardProps): cloudwatch.IWidget[][] {
  const { metrics, stateMachine } = props;
  const { period } = metrics;
  const sloSeconds = props.oldestPendingAgeSloSeconds;
  const executions = (metric: cloudwatch.Metric, label: string) =>
    metric.with({ period, statistic: cloudwatch.Stats.SUM, label });
  return [
    [
      graph('Executions', [
        executions(stateMachine.metricStarted(), 'Started'),
        executions(stateMachine.metricSucceeded(), 'Succeeded'),
        executions(stateMachine.metricFailed(), 'Failed'),
        executions(stateMachine.metricAborted(), 'Aborted'),
        executions(stateMachine.metricTimedOut(), 'Timed out'),
      ]),
      graph(
        'Confirmations by outcome',
        OUTCOME_METRICS.map(([metricName, label]) => metrics.sum(metricName, label)),
        { stacked: true },
      ),
    ],
    [
      graph('Provider latency (p50 / p99)', [
        metrics.app(METRIC.ProviderLatency, cloudwatch.Stats.p(50), 'p50 (ms)'),
        metrics.app(METRIC.ProviderLatency, cloudwatch.Stats.p(99), 'p99 (ms)'),
      ]),
      graph('Provider error rate', [metrics.providerErrorRate], {
        right: [
          metrics.sum(METRIC.ProviderCalls, 'Calls'),
          metrics.sum(METRIC.ProviderErrors, 'Errors'),
        ],
        leftYAxis: { min: 0, max: 1 },
        leftAnnotations: [{ value: props.providerErrorRateThreshold, label: 'Alarm threshold' }],
      }),
    ],
    [
      graph(
        'Provider outages (circuit breaker)',
        [metrics.sum(METRIC.RunsProviderUnavailable, 'Runs stopped: provider unavailable')],
        {
          right: [
            metrics.sum(METRIC.TransactionsUnavailable, 'Transactions left PENDING untouched'),
          ],
          leftYAxis: { min: 0 },
          width: 24,
        },
      ),
    ],
    [
      graph(
        'Oldest pending age vs SLO',
        [metrics.oldestPendingAge.with({ period, label: 'Oldest pending age (s)' })],
        {
          leftYAxis: { min: 0 },
          leftAnnotations: [{ value: sloSeconds, label: `SLO ${sloSeconds} s` }],
        },
      ),
      graph('Batch size', [
        metrics.app(METRIC.BatchSize, cloudwatch.Stats.AVERAGE, 'Average'),
        metrics.app(METRIC.BatchSize, cloudwatch.Stats.MAXIMUM, 'Maximum'),
      ]),
    ],
  ];
}

/** Runs, then what the AWS services report: Lambda, Scheduler, the dead-letter queues. */
function runAndServiceRows(props: ConfirmationDashboardProps): cloudwatch.IWidget[][] {
  const { metrics } = props;
  const { period, scheduler } = metrics;
  const perFunction = (
    metric: (fn: WorkflowFunctions[keyof WorkflowFunctions]) => cloudwatch.Metric,
  ) => namedFunctions(props.functions).map(({ name, fn }) => metric(fn).with({ label: name }));
  return [
    [
      graph(
        'Run duration',
        [
          metrics.app(METRIC.RunDuration, cloudwatch.Stats.AVERAGE, 'Average (ms)'),
          metrics.app(METRIC.RunDuration, cloudwatch.Stats.MAXIMUM, 'Maximum (ms)'),
        ],
        {
          right: [
            metrics.sum(METRIC.RunsSucceeded, 'Runs succeeded'),
            metrics.sum(METRIC.RunsFailed, 'Runs failed'),
            metrics.sum(METRIC.RunsProviderUnavailable, 'Runs stopped: provider unavailable'),
            metrics.sum(METRIC.RunsSkipped, 'Runs skipped'),
            metrics.sum(METRIC.RunFailedBatches, 'Failed batches'),
            metrics.toleratedFailureThresholdExceeded.with({
              label: 'Pages over the failure threshold',
            }),
          ],
        },
      ),
      graph(
        'Lambda errors',
        perFunction((fn) => fn.metricErrors({ period, statistic: 'Sum' })),
      ),
    ],
    [
      graph(
        'Lambda throttles',
        perFunction((fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
      ),
      graph(
        'Lambda duration (p99)',
        perFunction((fn) => fn.metricDuration({ period, statistic: cloudwatch.Stats.p(99) })),
      ),
    ],
    [
      graph('Scheduler invocations and errors', [
        scheduler.attempts,
        scheduler.targetErrors,
        scheduler.dropped,
        scheduler.sentToDlq,
        scheduler.notSentToDlq,
      ]),
      graph('Dead-letter queue depth', [
        metrics.deadLetterDepth(props.scheduleDeadLetterQueue, 'Schedule DLQ'),
        metrics.deadLetterDepth(props.releaseLockDeadLetterQueue, 'Release-lock DLQ'),
      ]),
    ],
  ];
}

/**
 * The Distributed Map (ConfirmPage): the account's Map Run quota, and what the children did —
 * confirm-batch invocations and the batches that failed (within the tolerance, or past it), plus
 * the child executions themselves once the Map state has a Label (lib/monitoring/distributed-map.ts).
 */
function distributedMapRow(props: ConfirmationDashboardProps): cloudwatch.IWidget[] {
  const { metrics } = props;
  const children =
    props.mapRunLabel === undefined
      ? []
      : childExecutionMetrics(props.stateMachine, props.mapRunLabel, metrics.period);
  return [
    graph('Map Runs (account-wide)', [metrics.mapRuns.open, metrics.mapRuns.limit], {
      right: [metrics.mapRuns.backlog],
      leftYAxis: { min: 0 },
    }),
    graph('Confirm-batch children', [
      metrics.app(METRIC.BatchSize, cloudwatch.Stats.SAMPLE_COUNT, 'confirm-batch invocations'),
      metrics.sum(METRIC.RunFailedBatches, 'Failed batches (tolerated)'),
      metrics.toleratedFailureThresholdExceeded.with({
        label: 'Pages over the failure threshold',
      }),
      ...children,
    ]),
  ];
}

/**
 * DynamoDB, for the Transactions table, its pending index and the Runs table: throttles (events per
 * table and index, and requests per operation), system errors and p99 latency per operation the
 * handlers call, consumed read and write capacity. Per-minute values (DYNAMODB_PERIOD).
 */
function dynamoDbRows(ddb: DynamoDbMetrics, metrics: MonitoringMetrics): cloudwatch.IWidget[][] {
  const { transactions, pendingIndex, runs } = ddb.targets;
  const targets = [transactions, pendingIndex, runs];
  const tables: readonly TableKey[] = ['transactions', 'runs'];
  const perOperation = (
    metricName: 'ThrottledRequests' | 'SystemErrors' | 'SuccessfulRequestLatency',
    statistic: string,
  ) => tables.flatMap((table) => ddb.perOperation(table, metricName, statistic));
  return [
    [
      graph(
        'DynamoDB throttle events',
        targets.flatMap((target) => [
          ddb.throttleEvents('Read', target),
          ddb.throttleEvents('Write', target),
        ]),
      ),
      graph(
        'DynamoDB throttled requests by operation',
        perOperation('ThrottledRequests', cloudwatch.Stats.SUM),
      ),
    ],
    [
      graph('DynamoDB system errors', perOperation('SystemErrors', cloudwatch.Stats.SUM)),
      graph(
        'DynamoDB latency (p99)',
        perOperation('SuccessfulRequestLatency', cloudwatch.Stats.p(99)).map((m) =>
          m.with({ period: metrics.period }),
        ),
        {
          leftYAxis: { min: 0 },
          leftAnnotations: [
            {
              value: DYNAMODB_ALARM_SETTINGS.updateLatencyThresholdMs,
              label: 'Transactions UpdateItem alarm',
            },
          ],
        },
      ),
    ],
    [
      graph(
        'DynamoDB consumed read capacity',
        targets.map((target) => ddb.consumedCapacity('Read', target)),
      ),
      graph(
        'DynamoDB consumed write capacity',
        targets.map((target) => ddb.consumedCapacity('Write', target)),
      ),
    ],
  ];
}
