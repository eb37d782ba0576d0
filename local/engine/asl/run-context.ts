/**
 * What one run of a machine (an execution, a Parallel branch, a Map iteration) carries: the base
 * of its context object, its variables, its cancellation scope and the hooks that serve Task
 * states and receive events. docs/local-engine.md "Interpreter".
 */
import type { CancellationScope } from '../cancellation';
import { cancelledError } from '../errors';
import { longTimeout } from '../long-timeout';
import type { FieldEnv } from './state-fields';
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

/**
 * A Task's share of a redrive: what its previous attempt left (`previous`, on the first attempt
 * of a redriven state) and where it records what this attempt leaves. Only the Distributed Map
 * runner uses it (its successful children are not run again).
 */
export interface TaskProgress {
  readonly previous?: unknown;
  record(work: unknown): void;
}

/**
 * What a Task state's own fields see besides its input: its context object (State included) and
 * the workflow variables in scope. The Distributed Map runner evaluates the Map's fields with it.
 */
export type TaskStateEnv = FieldEnv;

export interface RunHooks {
  /**
   * Serves one Task state's invocation; `scope` is aborted on timeout or when the run stops;
   * `state` is what the state's fields see.
   */
  task(
    stateName: string,
    input: unknown,
    scope: CancellationScope,
    progress?: TaskProgress,
    state?: TaskStateEnv,
  ): Promise<unknown>;
  /** An event of the run; returns the history event id it got, when it was recorded. */
  onEvent?(event: InterpreterEvent): number | undefined;
}

/** The context object's parts that do not change from state to state. */
export interface ContextBase {
  readonly Execution: Readonly<Record<string, unknown>>;
  readonly StateMachine: Readonly<Record<string, unknown>>;
  readonly [part: string]: unknown;
}

/**
 * Where a run is, kept up to date as it goes, so that a redrive can resume it where it stopped
 * (docs/local-engine.md "Redrive"): the state it is in (or failed, was stopped or timed out in),
 * that state's input, and what the state's work left behind — a Parallel's or inline Map's
 * children (fan-out.ts), a Distributed Map's (distributed-map.ts). Successful states leave
 * nothing: their results are already in the input of the state that follows.
 */
export interface RunProgress {
  stateName?: string;
  input?: unknown;
  work?: unknown;
}

export interface RunContext {
  readonly context: ContextBase;
  readonly variables: VariableScope;
  readonly cancellation: CancellationScope;
  readonly hooks: RunHooks;
  /** Events emitted in this run without a recorder (for "entered at the event id #n"). */
  readonly counter: { events: number };
  /** Told each stage of a state's data processing (TestState's inspection data: test-state.ts). */
  readonly inspect?: FieldEnv['inspect'];
  /** Waits take no time: a Wait state evaluates its time and goes on (TestState, test-state-run.ts). */
  readonly skipWaits?: boolean;
  /** Kept up to date when given (top-level executions and their children). */
  readonly progress?: RunProgress;
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

/**
 * Waits `ms` (any length: chained below the timer limit; none with `skipWaits`); rejects with
 * States.Cancelled on stop.
 */
export function sleep(ms: number, run: RunContext): Promise<void> {
  throwIfStopped(run);
  if (!(ms > 0) || run.skipWaits) return Promise.resolve();
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
