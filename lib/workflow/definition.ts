import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ERROR, STATE } from '../../lambdas/contracts';
import type { ConfirmationWorkflowProps, WorkflowFunctions } from '../confirmation-workflow';
import { confirmPageMap } from './confirm-page';
import { continueAsNewState, controlTask, finishRunTask } from './tasks';

export type ConfirmationRunProps = Pick<
  ConfirmationWorkflowProps,
  | 'functions'
  | 'manifestBucket'
  | 'batchSize'
  | 'maxConcurrency'
  | 'toleratedFailurePercentage'
  | 'confirmBatchRetry'
>;

/**
 * The states of one execution (the flow at the top of lambdas/contracts.ts): StartRun, then
 * either Skipped (another run holds the lock) or the paging loop, whose every failure is caught
 * by the failure path. The states are created in `scope` (the ConfirmationWorkflow).
 */
export function confirmationRun(scope: Construct, props: ConfirmationRunProps): sfn.IChainable {
  const startRun = controlTask(scope, 'StartRun', {
    stateName: STATE.StartRun,
    comment:
      'Validate the input, take the run lock, fix the cutoff. No Catch: no lock is held if it fails.',
    fn: props.functions.startRun,
    payload: sfn.TaskInput.fromObject({
      input: sfn.JsonPath.objectAt('$$.Execution.Input'),
      executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
    }),
  });
  const skipped = new sfn.Succeed(scope, 'Skipped', {
    stateName: STATE.Skipped,
    comment: 'Another live run holds the lock (its holder is in the output).',
  });
  const loop = pagingLoop(scope, props, failurePath(scope, props.functions));
  const runSkipped = new sfn.Choice(scope, 'RunSkipped', { stateName: STATE.RunSkipped })
    .when(sfn.Condition.stringEquals('$.status', 'SKIPPED'), skipped)
    .otherwise(loop);
  return startRun.next(runSkipped);
}

/**
 * FetchPage, then NextStep?: CONFIRM → ConfirmPage → FetchPage again; CONTINUE → ContinueAsNew →
 * HandedOver; FINISH → FinishRun → RunSucceeded; UNAVAILABLE (the provider circuit breaker is
 * open) → RecordProviderUnavailable → ProviderUnavailable (fails the execution with that error,
 * after the lock was released). A failure of any task goes to `onFailure` with the error in
 * `$.failure`.
 */
function pagingLoop(
  scope: Construct,
  props: ConfirmationRunProps,
  onFailure: sfn.IChainable,
): sfn.IChainable {
  const fn = props.functions;
  const fetchPage = controlTask(scope, 'FetchPage', {
    stateName: STATE.FetchPage,
    comment:
      'Renew the lease, fold the last page results into the totals, read the next page of ids.',
    fn: fn.fetchPage,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
  });
  const confirmPage = confirmPageMap(scope, {
    fn: fn.confirmBatch,
    manifestBucket: props.manifestBucket,
    batchSize: props.batchSize,
    maxConcurrency: props.maxConcurrency,
    toleratedFailurePercentage: props.toleratedFailurePercentage,
    retry: props.confirmBatchRetry,
  });
  const continueAsNew = continueAsNewState(scope);
  const handedOver = new sfn.Succeed(scope, 'HandedOver', { stateName: STATE.HandedOver });
  const finishRun = finishRunTask(scope, 'SUCCEEDED', fn.finishRun);
  const succeeded = new sfn.Succeed(scope, 'RunSucceeded', { stateName: STATE.Succeeded });
  const recordUnavailable = finishRunTask(scope, 'PROVIDER_UNAVAILABLE', fn.finishRun);
  const providerUnavailable = new sfn.Fail(scope, 'ProviderUnavailable', {
    stateName: STATE.ProviderUnavailable,
    comment:
      'The payment provider is unavailable (circuit breaker open): the run stopped, its lock is released, its items stay PENDING untouched.',
    error: ERROR.ProviderUnavailable,
    causePath: '$.providerUnavailable.cause',
  });

  const caught = { errors: [sfn.Errors.ALL], resultPath: '$.failure' };
  for (const state of [fetchPage, confirmPage, continueAsNew, finishRun, recordUnavailable]) {
    state.addCatch(onFailure, caught);
  }

  const nextStep = new sfn.Choice(scope, 'NextStep', { stateName: STATE.NextStep })
    .when(sfn.Condition.stringEquals('$.next', 'CONFIRM'), confirmPage.next(fetchPage))
    .when(sfn.Condition.stringEquals('$.next', 'CONTINUE'), continueAsNew.next(handedOver))
    .when(sfn.Condition.stringEquals('$.next', 'FINISH'), finishRun.next(succeeded))
    .when(
      sfn.Condition.stringEquals('$.next', 'UNAVAILABLE'),
      recordUnavailable.next(providerUnavailable),
    );
  return fetchPage.next(nextStep);
}

/** ReleaseLockAfterFailure → RunFailed: record the failure, release the lock, fail with the error. */
function failurePath(scope: Construct, fn: WorkflowFunctions): sfn.State {
  const releaseLockAfterFailure = finishRunTask(scope, 'FAILED', fn.finishRun);
  const runFailed = new sfn.Fail(scope, 'RunFailed', {
    stateName: STATE.Failed,
    errorPath: '$.failure.Error',
    causePath: '$.failure.Cause',
  });
  // If even the release fails, still fail with the original error; the release rule
  // (execution FAILED) releases the lock.
  releaseLockAfterFailure.addCatch(runFailed, {
    errors: [sfn.Errors.ALL],
    resultPath: '$.releaseFailure',
  });
  releaseLockAfterFailure.next(runFailed);
  return releaseLockAfterFailure;
}
