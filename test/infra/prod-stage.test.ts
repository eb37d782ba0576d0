import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { prod } from '../support/stages';
import { logicalIdOf, synthStage } from './synth';

// The prod stage, built once for the whole file: what differs from dev.
const { stack, template, json } = synthStage('prod');
const resources = json.Resources;
const PAGER = 'arn:aws:sns:eu-west-1:123456789012:pager';

describe('prod stage', () => {
  it('is the Txconfirm-prod stack', () => {
    expect(stack.stackName).toBe('Txconfirm-prod');
  });

  it('RETAINs both tables (they hold money and the audit trail), with deletion protection', () => {
    for (const table of [stack.transactionsTable, stack.runsTable]) {
      expect(resources[logicalIdOf(table)]).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { DeletionProtectionEnabled: true },
      });
    }
  });

  it('RETAINs every log group, kept for a year, encrypted with the stage key', () => {
    const logGroups = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(6);
    for (const logGroup of logGroups) {
      expect(logGroup).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: {
          RetentionInDays: 365,
          KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(stack.stageKey!.key), 'Arn'] },
        },
      });
    }
  });

  it('has the outputs the operator preflight reads; ExternalAlarmTopicArn only with alarmTopicArn', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      [
        'AlarmTopicArn',
        'OldestPendingAgeSloSeconds',
        'PendingIndexName',
        'PendingShardCount',
        'ProviderBaseUrl',
        'ProviderSecretArn',
        'ProviderSecretId',
        'ProviderTimeoutMs',
        'ReleaseLockDeadLetterQueueUrl',
        'RunsTableName',
        'ScheduleDeadLetterQueueUrl',
        'ScheduleName',
        'StateMachineArn',
        'TransactionsTableName',
      ].sort(),
    );
    const paged = synthStage({ ...prod, alarmTopicArn: PAGER });
    paged.template.hasOutput('ExternalAlarmTopicArn', { Value: PAGER });
  });

  it('the schedule is enabled', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Target: Match.objectLike({ Input: '{}' }),
    });
  });

  it('state machine logs keep execution data (ids, totals) out', () => {
    expect(resources[logicalIdOf(stack.workflow.stateMachine)].Properties).toMatchObject({
      StateMachineName: 'txconfirm-prod',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('cdk-nag (AwsSolutions) reports nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
