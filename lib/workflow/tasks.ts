import { Aws, Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ERROR, type FinishRunEvent, STATE } from '../../lambdas/contracts';
import type { TxconfirmFunction } from '../txconfirm-function';

/**
 * Errors worth another attempt: our handlers' SystemicFault (DynamoDB unreachable, throttled, ...)
 * and the transient faults of the Lambda service and of the task itself (crash, OOM, timeout). Never States.ALL:
 * InvalidExecutionInput, LockLost and InvalidConfiguration must fail at once.
 */
export const TRANSIENT_ERRORS = [
  ERROR.SystemicFault,
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  sfn.Errors.TIMEOUT,
  // A function that crashed, ran out of memory or hit its own timeout: every handler is safe to
  // run again (conditional writes, replayed provider keys), so a crash costs a retry, not a run.
  'Lambda.Unknown',
  'Sandbox.Timedout',
] as const;

export interface HandlerTaskProps {
  readonly stateName: string;
  readonly comment?: string;
  readonly fn: TxconfirmFunction;
  readonly payload: sfn.TaskInput;
  /** Where the handler's result goes. @default the result replaces the state (`$.Payload`) */
  readonly resultPath?: string;
}

/**
 * A task invoking one of our handlers, with the function's task timeout and without the
 * integration's own retries on Lambda service exceptions: TRANSIENT_ERRORS covers them, once.
 */
export function handlerTask(
  scope: Construct,
  id: string,
  props: HandlerTaskProps,
): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, id, {
    stateName: props.stateName,
    comment: props.comment,
    lambdaFunction: props.fn,
    payload: props.payload,
    ...(props.resultPath === undefined
      ? { outputPath: '$.Payload' }
      : { resultPath: props.resultPath }),
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(props.fn.taskTimeout),
  });
}

/** StartRun, FetchPage, FinishRun, ReleaseLockAfterFailure: a few quick retries on transient faults. */
export function controlTask(
  scope: Construct,
  id: string,
  props: HandlerTaskProps,
): tasks.LambdaInvoke {
  const task = handlerTask(scope, id, props);
  task.addRetry({
    errors: [...TRANSIENT_ERRORS],
    interval: Duration.seconds(1),
    maxAttempts: 3,
    backoffRate: 2,
    maxDelay: Duration.seconds(10),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/** The three states that invoke finish-run, by the outcome they record. */
const FINISH_RUN_STATES = {
  SUCCEEDED: {
    id: 'FinishRun',
    stateName: STATE.FinishRun,
    comment: 'Write the run summary, emit metrics, release the lock.',
    // The run summary becomes the execution's output.
    resultPath: undefined,
  },
  FAILED: {
    id: 'ReleaseLockAfterFailure',
    stateName: STATE.ReleaseLockAfterFailure,
    comment: 'Write the FAILED summary and release the lock, then fail with the original error.',
    // Discarded: RunFailed fails with the caught error still in $.failure.
    resultPath: sfn.JsonPath.DISCARD,
  },
  PROVIDER_UNAVAILABLE: {
    id: 'RecordProviderUnavailable',
    stateName: STATE.RecordProviderUnavailable,
    comment:
      'The provider circuit breaker is open: write the PROVIDER_UNAVAILABLE summary, release the lock, then fail with ProviderUnavailable.',
    // Discarded: ProviderUnavailable fails with the cause FetchPage put in $.providerUnavailable.
    resultPath: sfn.JsonPath.DISCARD,
  },
} as const;

/**
 * FinishRun (outcome SUCCEEDED), ReleaseLockAfterFailure (outcome FAILED, with the error the
 * Catch put in `$.failure`) or RecordProviderUnavailable (outcome PROVIDER_UNAVAILABLE, with what
 * FetchPage put in `$.providerUnavailable`): the same handler and payload, a FinishRunEvent.
 */
export function finishRunTask(
  scope: Construct,
  outcome: FinishRunEvent['outcome'],
  fn: TxconfirmFunction,
): tasks.LambdaInvoke {
  const { id, ...state } = FINISH_RUN_STATES[outcome];
  return controlTask(scope, id, {
    ...state,
    fn,
    payload: sfn.TaskInput.fromObject({
      run: sfn.JsonPath.objectAt('$.run'),
      totals: sfn.JsonPath.objectAt('$.totals'),
      executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      outcome,
      ...(outcome === 'FAILED' ? { error: sfn.JsonPath.objectAt('$.failure') } : {}),
      ...(outcome === 'PROVIDER_UNAVAILABLE'
        ? { providerUnavailable: sfn.JsonPath.objectAt('$.providerUnavailable') }
        : {}),
    }),
  });
}

/**
 * ContinueAsNew: the optimized startExecution integration, fire-and-forget. The new execution
 * takes over the lock from the one named in AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.
 */
export function continueAsNewState(scope: Construct): sfn.CustomState {
  const continueAsNew = new sfn.CustomState(scope, STATE.ContinueAsNew, {
    stateJson: {
      Type: 'Task',
      Comment:
        'After maxPagesPerExecution pages: hand the cursor and the lock to a fresh execution.',
      Resource: `arn:${Aws.PARTITION}:states:::states:startExecution`,
      Parameters: {
        'StateMachineArn.$': '$$.StateMachine.Id',
        Input: {
          'resume.$': '$.resume',
          'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
        },
      },
      ResultSelector: { 'nextExecutionArn.$': '$.ExecutionArn' },
    },
  });
  // Only an error that proves no execution was started is retried (a retry after an unknown
  // outcome could start two executions).
  continueAsNew.addRetry({
    errors: ['StepFunctions.ExecutionLimitExceededException'],
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return continueAsNew;
}
