import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { alarmDescription } from '../monitoring/runbook';

/**
 * Alarms on executions that failed, timed out or were aborted: 1 in 5 minutes pages. Created in
 * `scope` (the ConfirmationWorkflow) without actions: ConfirmationMonitoring adds the alarm topic.
 */
export function executionAlarms(
  scope: Construct,
  stateMachine: sfn.StateMachine,
  stateMachineName: string,
): cloudwatch.Alarm[] {
  const alarm = (alarmId: string, name: string, metric: cloudwatch.Metric, what: string) =>
    new cloudwatch.Alarm(scope, alarmId, {
      alarmName: `${stateMachineName}-${name}`,
      alarmDescription: alarmDescription(
        `${stateMachineName}: an execution ${what} in the last 5 minutes. The release rule frees its lock; read the execution history for the error, fix the cause, then start a run (its PENDING items are picked up again).`,
        name,
      ),
      metric: metric.with({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  return [
    alarm('ExecutionsFailedAlarm', 'executions-failed', stateMachine.metricFailed(), 'failed'),
    alarm(
      'ExecutionsTimedOutAlarm',
      'executions-timed-out',
      stateMachine.metricTimedOut(),
      'timed out',
    ),
    alarm(
      'ExecutionsAbortedAlarm',
      'executions-aborted',
      stateMachine.metricAborted(),
      'was aborted',
    ),
  ];
}
