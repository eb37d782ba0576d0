/**
 * A Task state's invocation (docs/local-engine.md "Tasks"): TimeoutSeconds (a number, a
 * TimeoutSecondsPath read from the effective input, or a JSONata expression; AWS's default and
 * maximum 99,999,999 s) races the handler. Past it the invocation's scope is aborted (the handler
 * sees its AbortSignal), a TaskTimedOut event is emitted and the state fails with States.Timeout,
 * which has no cause. A handler that settles after that is ignored.
 */
import { InvalidAslDefinition, TaskFailure, statesRuntimeError } from '../errors';
import { compileJsonataTemplate, queryEvaluationError } from './jsonata';
import { compilePathField } from './payload';
import { emit, type RunContext, throwIfStopped } from './run-context';
import type { FieldEnv, QueryLanguage } from './state-fields';

/** AWS's default (and maximum) Task TimeoutSeconds. */
export const AWS_MAX_TASK_TIMEOUT_SECONDS = 99_999_999;

/** The state's timeout in seconds, for one attempt. */
export type TaskTimeout = (effective: unknown, input: unknown, env: FieldEnv) => Promise<number>;

export function compileTaskTimeout(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): TaskTimeout {
  if ('TimeoutSeconds' in state && 'TimeoutSecondsPath' in state) {
    throw new InvalidAslDefinition(
      `State "${stateName}": TimeoutSeconds and TimeoutSecondsPath cannot be used together`,
    );
  }
  const value = state.TimeoutSeconds;
  if (language === 'JSONata' && typeof value === 'string') {
    const evaluate = compileJsonataTemplate(value, { stateName, field: 'TimeoutSeconds' });
    return async (_effective, input, env) =>
      checkSeconds(
        await evaluate({ states: { input, context: env.context }, variables: env.variables }),
        'TimeoutSeconds',
        true,
      );
  }
  if (value !== undefined) {
    const seconds = checkStaticSeconds(stateName, value);
    return async () => seconds;
  }
  if ('TimeoutSecondsPath' in state) {
    const read = compilePathField(state.TimeoutSecondsPath, {
      stateName,
      field: 'TimeoutSecondsPath',
    });
    const path = String(state.TimeoutSecondsPath);
    return async (effective, _input, env) => {
      const selected = read({ input: effective, context: env.context, variables: env.variables });
      if (selected === undefined) {
        throw statesRuntimeError(
          `Invalid path '${path}' : No results for path: TimeoutSecondsPath`,
        );
      }
      return checkSeconds(selected, 'TimeoutSecondsPath', false);
    };
  }
  return async () => AWS_MAX_TASK_TIMEOUT_SECONDS;
}

function checkStaticSeconds(stateName: string, value: unknown): number {
  if (
    !Number.isInteger(value) ||
    (value as number) < 1 ||
    (value as number) > AWS_MAX_TASK_TIMEOUT_SECONDS
  ) {
    throw new InvalidAslDefinition(
      `State "${stateName}": TimeoutSeconds must be an integer from 1 to ${AWS_MAX_TASK_TIMEOUT_SECONDS}, got ${JSON.stringify(value)}`,
    );
  }
  return value as number;
}

function checkSeconds(value: unknown, field: string, jsonata: boolean): number {
  if (
    !Number.isInteger(value) ||
    (value as number) < 1 ||
    (value as number) > AWS_MAX_TASK_TIMEOUT_SECONDS
  ) {
    const detail = `The value of ${field} must be a positive integer up to ${AWS_MAX_TASK_TIMEOUT_SECONDS}, got ${JSON.stringify(value)}`;
    if (jsonata) throw queryEvaluationError(detail);
    throw statesRuntimeError(detail);
  }
  return value as number;
}

/** The largest delay `setTimeout` accepts (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/** Calls the run's handler for the Task state, bounded by `timeoutSeconds`. */
export async function invokeTask(
  stateName: string,
  input: unknown,
  timeoutSeconds: number,
  run: RunContext,
): Promise<unknown> {
  throwIfStopped(run);
  const scope = run.cancellation.child();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    const arm = (remaining: number) => {
      timer = setTimeout(
        () => {
          if (remaining > MAX_TIMER_MS) return arm(remaining - MAX_TIMER_MS);
          scope.abort('States.Timeout');
          emit(run, { type: 'TaskTimedOut', stateName });
          reject(new TaskFailure('States.Timeout', '', { noCause: true }));
        },
        Math.min(remaining, MAX_TIMER_MS),
      );
    };
    arm(timeoutSeconds * 1000);
  });
  // Called inside an async function so that a synchronous throw is a rejection too.
  const work = (async () => run.hooks.task(stateName, input, scope))();
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
    scope.dispose();
    // Whatever the handler does after losing the race is nobody's concern (no unhandled rejection).
    work.catch(() => undefined);
  }
}
