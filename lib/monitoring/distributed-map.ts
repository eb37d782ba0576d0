import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';

/*
 * What CloudWatch says about the Distributed Map (ConfirmPage). Step Functions publishes two kinds
 * of metrics for it (AWS/States):
 * - Map Run metrics (ApproximateOpenMapRunCount, OpenMapRunLimit, ApproximateMapRunBacklogSize):
 *   account-wide, without any dimension (MonitoringMetrics.mapRuns);
 * - the child executions' own execution metrics (ExecutionsStarted, ...Failed, ...TimedOut,
 *   ...Aborted), under StateMachineArn = `<state machine ARN>/<the Map state's Label>`; a Map
 *   state without a Label gets a new id per Map Run instead, which no widget or alarm can name.
 * There is no per-Map-Run item or failure count metric: those are only in DescribeMapRun.
 */

/** The Label of the one Distributed Map state under `scope`, if it has one. */
export function mapRunLabel(scope: IConstruct): string | undefined {
  const labels = scope.node
    .findAll()
    .filter((c): c is sfn.DistributedMap => c instanceof sfn.DistributedMap)
    .map((map) => (map.toStateJson() as { Label?: string }).Label);
  return labels.length === 1 ? labels[0] : undefined;
}

/** The child executions of a labelled Distributed Map of `stateMachine`, summed per window. */
export function childExecutionMetrics(
  stateMachine: sfn.IStateMachine,
  label: string,
  period: Duration,
): cloudwatch.Metric[] {
  return (
    [
      ['ExecutionsStarted', 'Children started'],
      ['ExecutionsSucceeded', 'Children succeeded'],
      ['ExecutionsFailed', 'Children failed'],
      ['ExecutionsTimedOut', 'Children timed out'],
      ['ExecutionsAborted', 'Children aborted'],
    ] as const
  ).map(
    ([metricName, metricLabel]) =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: { StateMachineArn: `${stateMachine.stateMachineArn}/${label}` },
        statistic: cloudwatch.Stats.SUM,
        period,
        label: metricLabel,
      }),
  );
}
