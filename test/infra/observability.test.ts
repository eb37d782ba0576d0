import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  oldestPendingAgeSloSeconds,
  schedulePeriodSeconds,
  loadStageConfig,
} from '../../lib/config';
import { METRICS_NAMESPACE } from '../../lambdas/contracts';
import {
  ConfirmationMonitoring,
  type ConfirmationMonitoringProps,
} from '../../lib/monitoring/confirmation-monitoring';
import { toleratedFailureMetricName } from '../../lib/monitoring/metrics';
import { dev, prod } from '../support/stages';
import { InvalidConfigurationError } from '../../lib/validation';
import { type DashboardWidget, dashboardWidgets, logicalIdOf, synthStage } from './synth';

// Two stacks for the whole file: the shipped dev stage (schedule off, no alarm email) and prod
// with an alarm email (schedule on). What differs between them is exactly what is under test here.
const devStage = synthStage('dev');
const EMAIL = 'oncall@example.com';
const prodStage = synthStage({ ...prod, alarmEmails: [EMAIL] });

const { stack, template, json } = devStage;
const resources = json.Resources;
const monitoring = stack.monitoring;
const topicRef = { Ref: logicalIdOf(monitoring.alarmTopic) };
// What every handler metric is published under (lambdas/shared/powertools.ts): service AND stage.
const SERVICE = [
  { Name: 'service', Value: 'txconfirm' },
  { Name: 'stage', Value: 'dev' },
];

type Props = Record<string, unknown>;
const propsOf = (alarm: cloudwatch.Alarm): Props =>
  resources[logicalIdOf(alarm)].Properties as Props;

/** What every alarm shares: it notifies the topic on ALARM and on OK, and says where the runbook is. */
function expectAlarm(alarm: cloudwatch.Alarm, expected: Props): void {
  expect(propsOf(alarm)).toMatchObject({
    AlarmActions: [topicRef],
    OKActions: [topicRef],
    AlarmDescription: expect.stringContaining(' Runbook: docs/runbook.md#'),
    ...expected,
  });
}

/** A count alarm of dev: Sum (or `statistic`) over 5 minutes, 1 window, > 0, silence is fine. */
const countAlarm = (expected: Props): Props => ({
  Statistic: 'Sum',
  Period: 300,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  ...expected,
});

describe('alarm topic', () => {
  it('is encrypted with a rotating customer-managed key that CloudWatch may use', () => {
    const keyId = logicalIdOf(monitoring.alarmKey);
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'txconfirm-dev-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(resources[keyId].Properties).toMatchObject({
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('denies every request without TLS and lets only this account’s alarms publish', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: topicRef,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  it('has no subscription without alarmEmails', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes alarmEmails by email', () => {
    prodStage.template.resourceCountIs('AWS::SNS::Subscription', 1);
    prodStage.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: EMAIL,
      TopicArn: { Ref: logicalIdOf(prodStage.stack.monitoring.alarmTopic) },
    });
  });

  it('its ARN is the stack output AlarmTopicArn', () => {
    template.hasOutput('AlarmTopicArn', { Value: topicRef });
  });
});

describe('alarms', () => {
  it('there are 24, and every one notifies the topic on ALARM and OK with a runbook pointer', () => {
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(24);
    expect(monitoring.alarms).toHaveLength(24);
    // The stack passes its tables: the 3 DynamoDB alarms (test/infra/dynamodb-monitoring.test.ts).
    expect(monitoring.alarm.dynamodb).toBeDefined();
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [topicRef],
        OKActions: [topicRef],
        AlarmName: expect.stringMatching(/^txconfirm-dev-/),
        AlarmDescription: expect.stringMatching(/ Runbook: docs\/runbook\.md#[a-z-]+$/),
      });
    }
  });

  const stateMachine = { Ref: logicalIdOf(stack.workflow.stateMachine) };
  it.each([
    ['ExecutionsFailed', 0],
    ['ExecutionsTimedOut', 1],
    ['ExecutionsAborted', 2],
  ])('%s (the workflow’s own alarm) now has the topic as its action', (metricName, index) => {
    expectAlarm(
      stack.workflow.alarms[index],
      countAlarm({
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: [{ Name: 'StateMachineArn', Value: stateMachine }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
  });

  it('tolerated-failure threshold exceeded: a metric filter on the state machine log, one metric per stage', () => {
    // A metric filter cannot give its metric a fixed dimension: the stage is in the name.
    expect(toleratedFailureMetricName('dev')).toBe('ToleratedFailureThresholdExceeded-dev');
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalIdOf(stack.workflow.logGroup) },
      FilterPattern: '"States.ExceedToleratedFailureThreshold"',
      MetricTransformations: [
        {
          MetricNamespace: METRICS_NAMESPACE,
          MetricName: 'ToleratedFailureThresholdExceeded-dev',
          MetricValue: '1',
        },
      ],
    });
    expectAlarm(
      monitoring.alarm.toleratedFailureThresholdExceeded,
      countAlarm({ Namespace: 'txconfirm', MetricName: 'ToleratedFailureThresholdExceeded-dev' }),
    );
    expect(
      prodStage.json.Resources[
        logicalIdOf(prodStage.stack.monitoring.alarm.toleratedFailureThresholdExceeded)
      ].Properties,
    ).toMatchObject({ MetricName: 'ToleratedFailureThresholdExceeded-prod' });
    // The filter's metric has no dimensions, so neither may the alarm's.
    expect(propsOf(monitoring.alarm.toleratedFailureThresholdExceeded).Dimensions).toBeUndefined();
  });

  it('app metrics are watched in their own stage only: prod’s alarms filter on stage=prod', () => {
    const prodAlarm = prodStage.stack.monitoring.alarm.transactionsFailed;
    expect(prodStage.json.Resources[logicalIdOf(prodAlarm)].Properties?.Dimensions).toEqual([
      { Name: 'service', Value: 'txconfirm' },
      { Name: 'stage', Value: 'prod' },
    ]);
  });

  it('any FAILED transaction: TransactionsFailed Sum > 0 over 5 minutes', () => {
    expectAlarm(
      monitoring.alarm.transactionsFailed,
      countAlarm({ Namespace: 'txconfirm', MetricName: 'TransactionsFailed', Dimensions: SERVICE }),
    );
  });

  it('provider unavailable: RunsProviderUnavailable Sum > 0 over 5 minutes, in its stage', () => {
    expectAlarm(
      monitoring.alarm.providerUnavailable,
      countAlarm({
        AlarmName: 'txconfirm-dev-provider-unavailable',
        Namespace: 'txconfirm',
        MetricName: 'RunsProviderUnavailable',
        Dimensions: SERVICE,
      }),
    );
    expect(String(propsOf(monitoring.alarm.providerUnavailable).AlarmDescription)).toMatch(
      /circuit breaker.*ProviderUnavailable.*Runbook: docs\/runbook\.md#provider-unavailable$/s,
    );
    const prodAlarm = prodStage.stack.monitoring.alarm.providerUnavailable;
    expect(prodStage.json.Resources[logicalIdOf(prodAlarm)].Properties?.Dimensions).toEqual([
      { Name: 'service', Value: 'txconfirm' },
      { Name: 'stage', Value: 'prod' },
    ]);
  });

  it('oldest pending age: Maximum > the SLO (3 × 5 minutes) over an SLO-long window', () => {
    expectAlarm(
      monitoring.alarm.oldestPendingAge,
      countAlarm({
        Namespace: 'txconfirm',
        MetricName: 'OldestPendingAgeSeconds',
        Dimensions: SERVICE,
        Statistic: 'Maximum',
        Threshold: 900,
        Period: 900,
        // dev: the schedule is off, runs are manual, silence is normal.
        TreatMissingData: 'notBreaching',
      }),
    );
  });

  it('oldest pending age: with the schedule on (prod), a window without a measurement breaches', () => {
    const alarm = prodStage.stack.monitoring.alarm.oldestPendingAge;
    expect(prodStage.json.Resources[logicalIdOf(alarm)].Properties).toMatchObject({
      Threshold: 900,
      TreatMissingData: 'breaching',
    });
  });

  it('provider error rate: ProviderErrors / ProviderCalls > 0.2 with at least 20 calls, 2 windows', () => {
    const props = propsOf(monitoring.alarm.providerErrorRate);
    expectAlarm(monitoring.alarm.providerErrorRate, {
      Threshold: 0.2,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      TreatMissingData: 'notBreaching',
    });
    const metrics = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    const byId = Object.fromEntries(metrics.map((m) => [m.Id, m]));
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(calls >= 20, errors / calls, 0)',
    );
    for (const [metricId, metricName] of [
      ['errors', 'ProviderErrors'],
      ['calls', 'ProviderCalls'],
    ]) {
      expect(byId[metricId].MetricStat).toEqual({
        Metric: { Namespace: 'txconfirm', MetricName: metricName, Dimensions: SERVICE },
        Stat: 'Sum',
        Period: 300,
      });
    }
  });

  const functionKeys = Object.keys(stack.functions) as (keyof typeof stack.functions)[];
  it.each(functionKeys)('Lambda errors of %s: Errors Sum > 0 over 5 minutes', (key) => {
    expectAlarm(
      monitoring.alarm.functionErrors[key],
      countAlarm({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.functions[key]) } }],
      }),
    );
  });

  it.each(functionKeys)('Lambda throttles of %s: Throttles Sum > 0 over 5 minutes', (key) => {
    expectAlarm(
      monitoring.alarm.functionThrottles[key],
      countAlarm({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.functions[key]) } }],
      }),
    );
  });

  it('scheduler: target errors + dropped + not sent to the DLQ > 0, in the schedule’s group', () => {
    const alarm = monitoring.alarm.scheduleInvocationsFailed;
    expectAlarm(alarm, {
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const metrics = propsOf(alarm).Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'FILL(targetErrors, 0) + FILL(dropped, 0) + FILL(notSentToDlq, 0)',
    );
    const stats = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat);
    expect(stats.map((s) => s?.Metric.MetricName).sort()).toEqual(
      [
        'InvocationDroppedCount',
        'InvocationsFailedToBeSentToDeadLetterCount',
        'TargetErrorCount',
      ].sort(),
    );
    for (const s of stats) {
      expect(s).toMatchObject({
        Metric: {
          Namespace: 'AWS/Scheduler',
          Dimensions: [{ Name: 'ScheduleGroup', Value: 'default' }],
        },
        Stat: 'Sum',
        Period: 300,
      });
    }
  });

  it.each([
    ['schedule', 'ScheduleDeadLetterQueue', () => monitoring.alarm.scheduleDeadLetters],
    ['release-lock', 'ReleaseLockDeadLetterQueue', () => monitoring.alarm.releaseLockDeadLetters],
  ])('%s DLQ: ApproximateNumberOfMessagesVisible Maximum > 0', (_name, queueId, alarmOf) => {
    const queue = stack.node.findChild(queueId);
    expectAlarm(
      alarmOf(),
      countAlarm({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(queue), 'QueueName'] } },
        ],
        Statistic: 'Maximum',
      }),
    );
  });
});

describe('dashboard', () => {
  const widgets = dashboardWidgets(json);
  const widget = (title: string): DashboardWidget => {
    const found = widgets.find((w) => w.properties.title === title);
    if (!found) throw new Error(`no widget titled ${title}`);
    return found;
  };

  it('is named txconfirm-<stage>', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'txconfirm-dev',
    });
  });

  it('has the named widgets', () => {
    expect(widgets.map((w) => w.properties.title).filter(Boolean)).toEqual([
      'Alarms',
      'Executions',
      'Confirmations by outcome',
      'Provider latency (p50 / p99)',
      'Provider error rate',
      'Provider outages (circuit breaker)',
      'Oldest pending age vs SLO',
      'Batch size',
      'Map Runs (account-wide)',
      'Confirm-batch children',
      'Run duration',
      'Lambda errors',
      'Lambda throttles',
      'Lambda duration (p99)',
      'Scheduler invocations and errors',
      'Dead-letter queue depth',
      // test/infra/dynamodb-monitoring.test.ts checks these rows.
      'DynamoDB throttle events',
      'DynamoDB throttled requests by operation',
      'DynamoDB system errors',
      'DynamoDB latency (p99)',
      'DynamoDB consumed read capacity',
      'DynamoDB consumed write capacity',
    ]);
  });

  it('the alarm status widget shows every alarm', () => {
    expect(widget('Alarms')).toMatchObject({ type: 'alarm' });
    expect([...(widget('Alarms').properties.alarms as string[])].sort()).toEqual(
      monitoring.alarms.map((a) => `alarm:${logicalIdOf(a)}`).sort(),
    );
  });

  /** The metric names a graph widget plots (a metric line is [namespace, name, ...dims, options]). */
  const metricNames = (title: string): string[] =>
    (widget(title).properties.metrics as unknown[][])
      .filter((line) => typeof line[0] === 'string' && typeof line[1] === 'string')
      .map((line) => (line[0] === '...' ? '...' : `${line[0]}/${line[1]}`));

  it('executions: started, succeeded, failed, aborted, timed out', () => {
    expect(metricNames('Executions')).toEqual(
      ['Started', 'Succeeded', 'Failed', 'Aborted', 'TimedOut'].map(
        (m) => `AWS/States/Executions${m}`,
      ),
    );
  });

  it('confirmations by every outcome', () => {
    expect(metricNames('Confirmations by outcome')).toEqual(
      ['Confirmed', 'Rejected', 'Failed', 'Deferred', 'Skipped', 'Unavailable'].map(
        (o) => `txconfirm/Transactions${o}`,
      ),
    );
  });

  it('provider outages: runs stopped by the circuit breaker, and the transactions left untouched', () => {
    expect(metricNames('Provider outages (circuit breaker)')).toEqual([
      'txconfirm/RunsProviderUnavailable',
      'txconfirm/TransactionsUnavailable',
    ]);
    // A row of its own.
    expect(
      (widget('Provider outages (circuit breaker)') as unknown as { width: number }).width,
    ).toBe(24);
    expect(JSON.stringify(widget('Run duration').properties.metrics)).toContain(
      'RunsProviderUnavailable',
    );
  });

  it('provider latency p50 and p99', () => {
    const lines = widget('Provider latency (p50 / p99)').properties.metrics as unknown[][];
    expect(lines.map((l) => (l[l.length - 1] as { stat: string }).stat)).toEqual(['p50', 'p99']);
    expect(metricNames('Provider latency (p50 / p99)')[0]).toBe('txconfirm/ProviderLatency');
  });

  it('provider error rate with its alarm threshold', () => {
    const props = widget('Provider error rate').properties;
    expect(JSON.stringify(props.metrics)).toContain('IF(calls >= 20, errors / calls, 0)');
    expect(props.annotations).toEqual({
      horizontal: [{ value: 0.2, label: 'Alarm threshold', yAxis: 'left' }],
    });
  });

  it('oldest pending age against the SLO line', () => {
    const props = widget('Oldest pending age vs SLO').properties;
    expect(metricNames('Oldest pending age vs SLO')).toEqual(['txconfirm/OldestPendingAgeSeconds']);
    expect(props.annotations).toEqual({
      horizontal: [{ value: 900, label: 'SLO 900 s', yAxis: 'left' }],
    });
  });

  it('batch size, run duration, Lambda and scheduler metrics, DLQ depth', () => {
    expect(metricNames('Batch size')[0]).toBe('txconfirm/BatchSize');
    expect(metricNames('Run duration')[0]).toBe('txconfirm/RunDuration');
    expect(JSON.stringify(widget('Run duration').properties.metrics)).toContain('RunsSkipped');
    for (const [title, metric] of [
      ['Lambda errors', 'Errors'],
      ['Lambda throttles', 'Throttles'],
      ['Lambda duration (p99)', 'Duration'],
    ]) {
      const lines = widget(title).properties.metrics as unknown[][];
      expect(lines).toHaveLength(5);
      expect(lines[0].slice(0, 2)).toEqual(['AWS/Lambda', metric]);
    }
    expect(metricNames('Scheduler invocations and errors')[0]).toBe(
      'AWS/Scheduler/InvocationAttemptCount',
    );
    expect(widget('Dead-letter queue depth').properties.metrics as unknown[][]).toHaveLength(2);
  });

  it('the Distributed Map: account-wide Map Runs, and what the confirm-batch children did', () => {
    expect(metricNames('Map Runs (account-wide)')).toEqual([
      'AWS/States/ApproximateOpenMapRunCount',
      'AWS/States/OpenMapRunLimit',
      'AWS/States/ApproximateMapRunBacklogSize',
    ]);
    // Dimensionless: Step Functions publishes Map Run metrics for the whole account only.
    for (const line of widget('Map Runs (account-wide)').properties.metrics as unknown[][]) {
      expect(line.filter((part) => typeof part === 'string')).toHaveLength(2);
    }
    // Then the child executions' own metrics once ConfirmPage has a Label (dynamodb-monitoring.test.ts).
    expect(metricNames('Confirm-batch children').slice(0, 3)).toEqual([
      'txconfirm/BatchSize',
      'txconfirm/RunFailedBatches',
      'txconfirm/ToleratedFailureThresholdExceeded-dev',
    ]);
    const [invocations] = widget('Confirm-batch children').properties.metrics as unknown[][];
    expect(invocations[invocations.length - 1]).toMatchObject({ stat: 'SampleCount' });
  });

  it('the header names the stage the app metrics are shown for', () => {
    const header = widgets.find((w) => w.type === 'text');
    expect(header?.properties.markdown).toContain('stage=dev');
  });
});

describe('cdk-nag with an alarm email subscription', () => {
  it('reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(prodStage.stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('validation', () => {
  /** The problems loading dev offline with `change` applied reports ([] when it passes). */
  function problemsOf(change: Record<string, unknown>): readonly string[] {
    try {
      loadStageConfig({ stage: 'dev', offline: true, overrides: change });
      return [];
    } catch (error) {
      if (error instanceof InvalidConfigurationError) return error.problems;
      throw error;
    }
  }

  it.each<[Record<string, unknown>, string]>([
    [
      { alarmEmails: ['oncall'] },
      'alarmEmails.0 must be an email address, got "oncall" (set in the tool options)',
    ],
    [
      { providerErrorRateThreshold: 0 },
      'providerErrorRateThreshold must be a number 0.01..1, got 0 (set in the tool options)',
    ],
    [
      { providerErrorRateThreshold: 1.5 },
      'providerErrorRateThreshold must be a number 0.01..1, got 1.5 (set in the tool options)',
    ],
    [
      { oldestPendingAgeSloSeconds: 30 },
      'oldestPendingAgeSloSeconds must be an integer 60..86400, got 30 (set in the tool options)',
    ],
    [
      { oldestPendingAgeSloSeconds: 120 },
      'oldestPendingAgeSloSeconds must be >= the schedule period (300 s for rate(5 minutes)): a transaction created just after a run waits a whole period, got 120',
    ],
    [
      { scheduleExpression: 'cron(0/5 * * * ? *)' },
      'oldestPendingAgeSloSeconds is required with a cron(...) scheduleExpression (the default, 3 × the rate period, needs rate(...)): set it to 3 × the longest gap between two runs, in seconds',
    ],
    [
      { scheduleExpression: 'rate(1 day)' },
      'oldestPendingAgeSloSeconds defaults to 3 × the schedule period = 259200 s for rate(1 day), above the 86400 s an alarm can watch: set oldestPendingAgeSloSeconds to 60..86400',
    ],
  ])('%j → %s', (change, message) => {
    expect(problemsOf(change)).toEqual([message]);
  });

  it.each<[Record<string, unknown>]>([
    [{ alarmEmails: ['oncall@example.com'] }],
    [{ providerErrorRateThreshold: 1 }],
    [{ scheduleExpression: 'cron(0/5 * * * ? *)', oldestPendingAgeSloSeconds: 900 }],
    [{ scheduleExpression: 'rate(1 day)', oldestPendingAgeSloSeconds: 86400 }],
  ])('%j is valid', (change) => {
    expect(problemsOf(change)).toEqual([]);
  });

  it('the SLO defaults to 3 rate periods; an explicit one wins', () => {
    expect(schedulePeriodSeconds('rate(10 minutes)')).toBe(600);
    expect(schedulePeriodSeconds('rate(1 hour)')).toBe(3600);
    expect(schedulePeriodSeconds('cron(0/5 * * * ? *)')).toBeUndefined();
    expect(oldestPendingAgeSloSeconds({ ...dev, scheduleExpression: 'rate(10 minutes)' })).toBe(
      1800,
    );
    expect(oldestPendingAgeSloSeconds({ ...dev, oldestPendingAgeSloSeconds: 1200 })).toBe(1200);
  });

  it('the construct checks its own props', () => {
    const props: ConfirmationMonitoringProps = {
      stage: 'dev',
      workflow: stack.workflow,
      functions: stack.functions,
      schedule: stack.schedule,
      scheduleEnabled: false,
      scheduleDeadLetterQueue: stack.node.findChild('ScheduleDeadLetterQueue') as sqs.IQueue,
      releaseLockDeadLetterQueue: stack.node.findChild('ReleaseLockDeadLetterQueue') as sqs.IQueue,
      oldestPendingAgeSloSeconds: 900,
      alarmEmails: [],
      removalPolicy: RemovalPolicy.DESTROY,
    };
    const build = (change: Partial<ConfirmationMonitoringProps>) => () =>
      new ConfirmationMonitoring(new Stack(new App(), 'Other'), 'Monitoring', {
        ...props,
        ...change,
      });
    expect(build({ period: Duration.seconds(90) })).toThrow(
      'period must be a whole number of minutes, 1 minute..1 day, got 90 s',
    );
    expect(build({ evaluationPeriods: 0 })).toThrow('evaluationPeriods must be 1..24, got 0');
    expect(build({ providerErrorRateMinimumCalls: 0 })).toThrow(
      'providerErrorRateMinimumCalls must be 1..1000000, got 0',
    );
    expect(build({ oldestPendingAgeSloSeconds: 100_000 })).toThrow(
      'oldestPendingAgeSloSeconds must be 60..86400, got 100000',
    );
    expect(build({ providerErrorRateThreshold: 2 })).toThrow(
      'providerErrorRateThreshold must be > 0 and <= 1 (a fraction of provider calls), got 2',
    );
    expect(build({ alarmEmails: ['oncall'] })).toThrow(
      'alarmEmails must be email addresses, got "oncall"',
    );
    expect(build({ alarmEmails: ['a@example.com', 'a@example.com'] })).toThrow(
      'alarmEmails must not repeat an address, got "a@example.com" twice',
    );
    expect(build({ alarmTopicArn: 'pager' })).toThrow(
      'alarmTopicArn must be an SNS topic ARN, got "pager"',
    );
  });
});
