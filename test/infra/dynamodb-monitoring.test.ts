// ConfirmationMonitoring with every optional prop (test/infra/monitoring-fixture.ts): alarm
// routing (several addresses, an existing topic, the stage's key), the DynamoDB alarms and rows,
// and the Distributed Map row.
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createAlarmTopic } from '../../lib/monitoring/alarm-topic';
import { childExecutionMetrics, mapRunLabel } from '../../lib/monitoring/distributed-map';
import { TABLE_OPERATIONS } from '../../lib/monitoring/dynamodb';
import type { CfnTemplate } from '../../local/stack/synthesized-definition';
import { ROUTED, routedMonitoring } from './monitoring-fixture';
import { type DashboardWidget, dashboardWidgets, logicalIdOf } from './synth';

const { stack, stageKey, monitoring, template, json } = routedMonitoring();
const resources = json.Resources;
const topicRef = { Ref: logicalIdOf(monitoring.alarmTopic) };
const transactionsName = { Ref: logicalIdOf(stack.transactionsTable) };
const runsName = { Ref: logicalIdOf(stack.runsTable) };
const INDEX = stack.transactionsTable.pendingIndexName;

type Props = Record<string, unknown>;
const propsOf = (alarm: cloudwatch.Alarm): Props =>
  resources[logicalIdOf(alarm)].Properties as Props;

interface Query {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: unknown[] };
    Period: number;
    Stat: string;
  };
}
const queriesOf = (alarm: cloudwatch.Alarm) => propsOf(alarm).Metrics as Query[];
/** The metrics a math alarm reads, as `MetricName {dimension: value}` sorted. */
const readMetrics = (alarm: cloudwatch.Alarm) =>
  queriesOf(alarm)
    .filter((q) => q.MetricStat)
    .map((q) => ({
      name: q.MetricStat!.Metric.MetricName,
      dimensions: q.MetricStat!.Metric.Dimensions,
    }));

const alarms = () => monitoring.alarm.dynamodb!;

describe('alarm routing', () => {
  it('the topic is encrypted with the stage key; no key of its own', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'txconfirm-staging-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(stageKey), 'Arn'] },
    });
    expect(monitoring.alarmKey).toBe(stageKey);
    expect(monitoring.node.tryFindChild('AlarmTopicKey')).toBeUndefined();
  });

  it('the stage key lets CloudWatch encrypt for the alarm topic only', () => {
    const statements = (
      resources[logicalIdOf(stageKey)].Properties as {
        KeyPolicy: { Statement: Record<string, unknown>[] };
      }
    ).KeyPolicy.Statement;
    const cloudwatchStatement = statements.find(
      (s) => s.Sid === 'AllowCloudWatchAlarmsToPublishEncrypted',
    );
    expect(cloudwatchStatement).toEqual({
      Sid: 'AllowCloudWatchAlarmsToPublishEncrypted',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:EncryptionContext:aws:sns:topicArn': {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':sns:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':txconfirm-staging-alarms',
              ],
            ],
          },
        },
      },
    });
  });

  it('an imported key cannot be changed from here: synth warns what its policy needs', () => {
    const other = new Stack(new App(), 'Other');
    const key = kms.Key.fromKeyArn(
      other,
      'Imported',
      'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
    );
    // The topic part alone: the rest of the construct needs a whole stack.
    createAlarmTopic(other, {
      stage: 'dev',
      prefix: 'txconfirm-dev',
      alarmEmails: [],
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Annotations.fromStack(other).hasWarning(
      '/Other',
      Match.stringLikeRegexp('kms:EncryptionContext:aws:sns:topicArn'),
    );
  });

  it('every address is subscribed by email', () => {
    const subscriptions = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::SNS::Subscription' &&
        JSON.stringify(r.Properties?.TopicArn) === JSON.stringify(topicRef),
    );
    expect(subscriptions.map((s) => s.Properties)).toEqual(
      ROUTED.emails.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: topicRef })),
    );
  });

  it('every alarm notifies the stage topic and the existing topic, on ALARM and on OK', () => {
    expect(monitoring.alarms.length).toBe(24);
    for (const alarm of monitoring.alarms) {
      // The workflow's alarms are shared with the stack's own monitoring, which adds its topic.
      const actions = stack.workflow.alarms.includes(alarm)
        ? expect.arrayContaining([topicRef, ROUTED.topicArn])
        : [topicRef, ROUTED.topicArn];
      expect(propsOf(alarm)).toMatchObject({ AlarmActions: actions, OKActions: actions });
    }
    expect(monitoring.externalAlarmTopic?.topicArn).toBe(ROUTED.topicArn);
  });

  it('cdk-nag has nothing to say about the routed topic, the key or the new alarms', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName} ${JSON.stringify(v.violatingResources)}`),
    ).toEqual([]);
  });
});

describe('DynamoDB alarms', () => {
  const expectRouted = (alarm: cloudwatch.Alarm, anchor: string) =>
    expect(propsOf(alarm)).toMatchObject({
      AlarmName: `txconfirm-staging-${anchor}`,
      AlarmActions: [topicRef, ROUTED.topicArn],
      OKActions: [topicRef, ROUTED.topicArn],
      AlarmDescription: expect.stringMatching(new RegExp(` Runbook: docs/runbook\\.md#${anchor}$`)),
    });

  it('throttles: read and write throttle events of both tables and the pending index, 3 of 5 minutes', () => {
    const alarm = alarms().throttles;
    expectRouted(alarm, 'dynamodb-throttles');
    expect(propsOf(alarm)).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    const table = (name: unknown) => [{ Name: 'TableName', Value: name }];
    const index = [
      { Name: 'GlobalSecondaryIndexName', Value: INDEX },
      { Name: 'TableName', Value: transactionsName },
    ];
    const sorted = (dims: unknown) =>
      [...(dims as { Name: string }[])].sort((a, b) => a.Name.localeCompare(b.Name));
    expect(readMetrics(alarm).map((m) => ({ ...m, dimensions: sorted(m.dimensions) }))).toEqual([
      { name: 'ReadThrottleEvents', dimensions: table(transactionsName) },
      { name: 'WriteThrottleEvents', dimensions: table(transactionsName) },
      { name: 'ReadThrottleEvents', dimensions: index },
      { name: 'WriteThrottleEvents', dimensions: index },
      { name: 'ReadThrottleEvents', dimensions: table(runsName) },
      { name: 'WriteThrottleEvents', dimensions: table(runsName) },
    ]);
    for (const q of queriesOf(alarm).filter((q) => q.MetricStat)) {
      expect(q.MetricStat).toMatchObject({
        Metric: { Namespace: 'AWS/DynamoDB' },
        Period: 60,
        Stat: 'Sum',
      });
    }
    const expression = queriesOf(alarm).find((q) => q.Expression);
    expect(expression).toMatchObject({ ReturnData: true });
    // Every metric is in the sum, each filled with 0 (DynamoDB publishes only non-zero values).
    const ids = queriesOf(alarm)
      .filter((q) => q.MetricStat)
      .map((q) => q.Id);
    expect(expression?.Expression).toBe(ids.map((id) => `FILL(${id}, 0)`).join(' + '));
  });

  it('system errors: SystemErrors of every operation the handlers call, > 0 over 5 minutes', () => {
    const alarm = alarms().systemErrors;
    expectRouted(alarm, 'dynamodb-system-errors');
    expect(propsOf(alarm)).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const expected = [
      ...TABLE_OPERATIONS.transactions.map((op) => [transactionsName, op]),
      ...TABLE_OPERATIONS.runs.map((op) => [runsName, op]),
    ].map(([name, op]) => ({
      name: 'SystemErrors',
      dimensions: [
        { Name: 'Operation', Value: op },
        { Name: 'TableName', Value: name },
      ],
    }));
    expect(readMetrics(alarm)).toEqual(expected);
    for (const q of queriesOf(alarm).filter((q) => q.MetricStat)) {
      expect(q.MetricStat).toMatchObject({ Period: 300, Stat: 'Sum' });
    }
  });

  it('latency: p99 of UpdateItem on Transactions > 100 ms for 3 windows of 5 minutes', () => {
    const alarm = alarms().updateLatency;
    expectRouted(alarm, 'transactions-update-latency');
    expect(propsOf(alarm)).toMatchObject({
      Namespace: 'AWS/DynamoDB',
      MetricName: 'SuccessfulRequestLatency',
      Dimensions: [
        { Name: 'Operation', Value: 'UpdateItem' },
        { Name: 'TableName', Value: transactionsName },
      ],
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      EvaluateLowSampleCountPercentile: 'ignore',
      TreatMissingData: 'notBreaching',
    });
  });

  it('no alarm reads more than the 10 metrics CloudWatch allows', () => {
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
      const stats = ((r.Properties?.Metrics ?? []) as Query[]).filter((q) => q.MetricStat);
      expect({ id, count: Math.min(stats.length, 11) }).toEqual({
        id,
        count: Math.min(stats.length, 10),
      });
    }
  });

  it('the operations watched are exactly the DynamoDB actions the stack grants on each table', () => {
    const granted = (tableLogicalId: string): string[] => {
      const actions = new Set<string>();
      for (const r of Object.values(resources)) {
        if (r.Type !== 'AWS::IAM::Policy') continue;
        const document = r.Properties?.PolicyDocument as {
          Statement: { Action: string | string[]; Resource: unknown }[];
        };
        for (const statement of document.Statement) {
          if (!JSON.stringify(statement.Resource).includes(`"${tableLogicalId}"`)) continue;
          for (const action of ([] as string[]).concat(statement.Action)) {
            if (action.startsWith('dynamodb:')) actions.add(action.slice('dynamodb:'.length));
          }
        }
      }
      return [...actions].sort();
    };
    expect(granted(logicalIdOf(stack.transactionsTable))).toEqual(
      [...TABLE_OPERATIONS.transactions].sort(),
    );
    expect(granted(logicalIdOf(stack.runsTable))).toEqual([...TABLE_OPERATIONS.runs].sort());
  });
});

describe('dashboard', () => {
  // The routed monitoring's own dashboard: the template has the stack's too.
  const ownDashboard = logicalIdOf(monitoring.dashboard);
  const onlyOwn: CfnTemplate = {
    ...json,
    Resources: Object.fromEntries(
      Object.entries(resources).filter(
        ([id, r]) => r.Type !== 'AWS::CloudWatch::Dashboard' || id === ownDashboard,
      ),
    ),
  };
  const widgets = dashboardWidgets(onlyOwn);
  const widget = (title: string): DashboardWidget => {
    const found = widgets.find((w) => w.properties.title === title);
    if (!found) throw new Error(`no widget titled ${title}`);
    return found;
  };
  /** Each line as [namespace, name, ...dimension pairs sorted by name], options dropped. */
  const lines = (title: string) =>
    (widget(title).properties.metrics as unknown[][]).map((line) => {
      const [namespace, name, ...dims] = line.filter((part) => typeof part === 'string');
      const pairs = dims.flatMap((d, i) => (i % 2 === 0 ? [[d, dims[i + 1]]] : []));
      return [namespace, name, ...pairs.sort(([a], [b]) => a.localeCompare(b)).flat()];
    });

  it('adds the DynamoDB rows after the service rows', () => {
    const titles = widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles.slice(-6)).toEqual([
      'DynamoDB throttle events',
      'DynamoDB throttled requests by operation',
      'DynamoDB system errors',
      'DynamoDB latency (p99)',
      'DynamoDB consumed read capacity',
      'DynamoDB consumed write capacity',
    ]);
  });

  // Table names resolve offline to the logical ids' stand-ins; compare with the resolved names.
  const tableNames = () => {
    const throttle = lines('DynamoDB throttle events');
    return { transactions: throttle[0][3], runs: throttle[5][3] };
  };

  it('throttle events and consumed capacity per table and for the pending index', () => {
    const { transactions, runs } = tableNames();
    const perTarget = (metric: string) => [
      ['AWS/DynamoDB', metric, 'TableName', transactions],
      ['AWS/DynamoDB', metric, 'GlobalSecondaryIndexName', INDEX, 'TableName', transactions],
      ['AWS/DynamoDB', metric, 'TableName', runs],
    ];
    expect(lines('DynamoDB throttle events')).toEqual(
      [0, 1, 2].flatMap((i) => [
        perTarget('ReadThrottleEvents')[i],
        perTarget('WriteThrottleEvents')[i],
      ]),
    );
    expect(lines('DynamoDB consumed read capacity')).toEqual(
      perTarget('ConsumedReadCapacityUnits'),
    );
    expect(lines('DynamoDB consumed write capacity')).toEqual(
      perTarget('ConsumedWriteCapacityUnits'),
    );
    expect(transactions).not.toBe(runs);
  });

  it.each([
    ['DynamoDB throttled requests by operation', 'ThrottledRequests', 'Sum'],
    ['DynamoDB system errors', 'SystemErrors', 'Sum'],
    ['DynamoDB latency (p99)', 'SuccessfulRequestLatency', 'p99'],
  ])('%s: %s (%s) of every operation the handlers call', (title, metric, stat) => {
    const { transactions, runs } = tableNames();
    expect(lines(title)).toEqual([
      ...TABLE_OPERATIONS.transactions.map((op) => [
        'AWS/DynamoDB',
        metric,
        'Operation',
        op,
        'TableName',
        transactions,
      ]),
      ...TABLE_OPERATIONS.runs.map((op) => [
        'AWS/DynamoDB',
        metric,
        'Operation',
        op,
        'TableName',
        runs,
      ]),
    ]);
    const raw = widget(title).properties.metrics as unknown[][];
    for (const line of raw) expect(line[line.length - 1]).toMatchObject({ stat });
  });

  it('the latency graph shows the alarm threshold', () => {
    expect(widget('DynamoDB latency (p99)').properties.annotations).toEqual({
      horizontal: [{ value: 100, label: 'Transactions UpdateItem alarm', yAxis: 'left' }],
    });
  });

  it('the children graph has their executions exactly when ConfirmPage has a Label', () => {
    const label = mapRunLabel(stack.workflow);
    const children = (widget('Confirm-batch children').properties.metrics as unknown[][]).filter(
      (line) => line[0] === 'AWS/States',
    );
    // Without a Label the children report under a new ARN per Map Run, which no line can name.
    expect(children).toHaveLength(label === undefined ? 0 : 5);
  });

  it('Map Runs: the account-wide Map Run metrics, without dimensions', () => {
    expect(lines('Map Runs (account-wide)')).toEqual([
      ['AWS/States', 'ApproximateOpenMapRunCount'],
      ['AWS/States', 'OpenMapRunLimit'],
      ['AWS/States', 'ApproximateMapRunBacklogSize'],
    ]);
  });
});

describe('child executions of the Distributed Map', () => {
  it('with a Label, the children report under <state machine ARN>/<Label>', () => {
    const other = new Stack(new App(), 'Labelled');
    const map = new sfn.DistributedMap(other, 'ConfirmPage', {
      label: 'ConfirmPage',
      itemsPath: '$.items',
    });
    map.itemProcessor(new sfn.Pass(other, 'Child'));
    const stateMachine = new sfn.StateMachine(other, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(map),
    });
    expect(mapRunLabel(other)).toBe('ConfirmPage');
    const metrics = childExecutionMetrics(stateMachine, 'ConfirmPage', Duration.minutes(5));
    expect(metrics.map((m) => m.metricName)).toEqual([
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
    ]);
    expect(other.resolve(metrics[2].dimensions)).toEqual({
      StateMachineArn: { 'Fn::Join': ['', [{ Ref: logicalIdOf(stateMachine) }, '/ConfirmPage']] },
    });
  });
});
