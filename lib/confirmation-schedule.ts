import { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { checkScheduleExpression } from './config';
import { InvalidConfigurationError } from './validation';

export interface ConfirmationScheduleProps {
  readonly stateMachine: sfn.IStateMachine;
  /** `rate(5 minutes)` or a 6-field `cron(...)` (UTC). */
  readonly expression: string;
  /** `false` creates the schedule disabled. */
  readonly enabled: boolean;
  /** Receives start requests the scheduler could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Replaces the cron job: an EventBridge Scheduler schedule that starts the workflow with `{}`
 * (the execution input of a scheduled run: everything pending, created before now). A run still
 * in progress makes the next one end SKIPPED, so overlapping ticks are harmless.
 */
export class ConfirmationSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ConfirmationScheduleProps) {
    super(scope, id);
    const problem = checkScheduleExpression(props.expression);
    if (problem) throw new InvalidConfigurationError([problem]);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts a txconfirm run over the pending backlog',
      schedule: scheduler.ScheduleExpression.expression(props.expression),
      enabled: props.enabled,
      // Fire on time: a flexible window only delays the backlog.
      timeWindow: scheduler.TimeWindow.off(),
      target: new schedulerTargets.StepFunctionsStartExecution(props.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 3,
        // A start request older than a few minutes is superseded by the next tick.
        maxEventAge: Duration.minutes(15),
      }),
    });
  }
}
