/**
 * What one run of a machine (an execution, a Parallel branch, a Map iteration) carries: the base
 * of its context object, its variables, its cancellation scope and the hooks that serve Task
 * states and receive events. docs/local-engine.md "Interpreter".
 */
import type { CancellationScope } from '../cancellation';
import { cancelledError } from '../errors';
import { longTimeout } from '../long-timeout';
import type { VariableScope } from './variables';

/** An event of a run, for the execution's history (execution-recorder.ts). */
export type InterpreterEvent =
  | {
      readonly type: 'StateEntered';
      readonly stateName: string;
      readonly stateType: string;
      readonly input: unknown;
    }
  | {
      readonly type: 'StateExited';
      readonly stateName: string;
      readonly stateType: string;
      readonly output: unknown;
    }
  | { readonly type: 'TaskTimedOut'; readonly stateName: string }
  | {
      readonly type: 'MapIterationStarted' | 'MapIterationSucceeded' | 'MapIterationFailed';
      readonly stateName: string;
      readonly index: number;
    };

export interface RunHooks {
  /** Serves one Task state's invocation; `scope` is aborted on timeout or when the run stops. */
  task(stateName: string, input: unknown, scope: CancellationScope): Promise<unknown>;
  /** An event of the run; returns the history event id it got, when it was recorded. */
  onEvent?(event: InterpreterEvent): number | undefined;
}

/** The context object's parts that do not change from state to state. */
export interface ContextBase {
  readonly Execution: Readonly<Record<string, unknown>>;
  readonly StateMachine: Readonly<Record<string, unknown>>;
  readonly [part: string]: unknown;
}

export interface RunContext {
  readonly context: ContextBase;
  readonly variables: VariableScope;
  readonly cancellation: CancellationScope;
  readonly hooks: RunHooks;
  /** Events emitted in this run without a recorder (for "entered at the event id #n"). */
  readonly counter: { events: number };
}

/** Records an event; the id the history gave it, or a count of this run's events. */
export function emit(run: RunContext, event: InterpreterEvent): number {
  run.counter.events += 1;
  return run.hooks.onEvent?.(event) ?? run.counter.events;
}

/** Throws States.Cancelled once the run was stopped. */
export function throwIfStopped(run: RunContext): void {
  if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'aborted');
}

/** Waits `ms` (any length: chained below the timer limit); rejects with States.Cancelled on stop. */
export function sleep(ms: number, run: RunContext): Promise<void> {
  throwIfStopped(run);
  if (!(ms > 0)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = longTimeout(ms, () => {
      unsubscribe();
      resolve();
    });
    const unsubscribe = run.cancellation.whenAborted((reason) => {
      timer.cancel();
      reject(cancelledError(reason));
    });
  });
}
