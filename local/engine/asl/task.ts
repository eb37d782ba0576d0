/**
 * A Task state's invocation (docs/local-engine.md "Tasks"): TimeoutSeconds (a number, a
 * TimeoutSecondsPath read from the effective input, or a JSONata expression; AWS's default and
 * maximum 99,999,999 s) races the handler. Past it the invocation's scope is aborted (the handler
 * sees its AbortSignal), a TaskTimedOut event is emitted and the state fails with States.Timeout,
 * which has no cause. A handler that settles after that is ignored.
 */
import { TaskFailure } from '../errors';
import { longTimeout } from '../long-timeout';
import { type NumberField, type NumberRule, compileNumberField } from './number-fields';
import {
  emit,
  type RunContext,
  type TaskProgress,
  type TaskStateEnv,
  throwIfStopped,
} from './run-context';
import type { QueryLanguage } from './state-fields';

/** AWS's default (and maximum) Task TimeoutSeconds. */
export const AWS_MAX_TASK_TIMEOUT_SECONDS = 99_999_999;

/** The state's timeout in seconds, for one attempt. */
export type TaskTimeout = NumberField;

const TIMEOUT_SECONDS: NumberRule = {
  integer: true,
  min: 1,
  max: AWS_MAX_TASK_TIMEOUT_SECONDS,
  kind: `a positive integer up to ${AWS_MAX_TASK_TIMEOUT_SECONDS}`,
};

/** TimeoutSeconds, TimeoutSecondsPath or a JSONata expression; AWS's maximum when absent. */
export function compileTaskTimeout(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): TaskTimeout {
  const field = compileNumberField(stateName, state, 'TimeoutSeconds', TIMEOUT_SECONDS, language);
  return field ?? (async () => AWS_MAX_TASK_TIMEOUT_SECONDS);
}

/** Calls the run's handler for the Task state, bounded by `timeoutSeconds`. */
export async function invokeTask(
  stateName: string,
  input: unknown,
  timeoutSeconds: number,
  run: RunContext,
  progress?: TaskProgress,
  state?: TaskStateEnv,
): Promise<unknown> {
  throwIfStopped(run);
  const scope = run.cancellation.child();
  let timer: { cancel(): void } | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = longTimeout(timeoutSeconds * 1000, () => {
      scope.abort('States.Timeout');
      emit(run, { type: 'TaskTimedOut', stateName });
      reject(new TaskFailure('States.Timeout', '', { noCause: true }));
    });
  });
  // Called inside an async function so that a synchronous throw is a rejection too.
  const work = (async () => run.hooks.task(stateName, input, scope, progress, state))();
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    timer?.cancel();
    scope.dispose();
    // Whatever the handler does after losing the race is nobody's concern (no unhandled rejection).
    work.catch(() => undefined);
  }
}
