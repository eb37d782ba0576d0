/**
 * TestState's run (test-state.ts has the API; docs/local-engine.md "TestState" lists what differs
 * from AWS): the state is checked as the engine loads a machine (`loadDefinition`: the
 * interpreter's, the local runtime's and asl-validator's checks) inside a machine of its own,
 * where each state it can transition to is a stub Succeed state (prepare); the interpreter then
 * runs that machine once, with the engine's Task adapters (its LocalLambdas, its DynamoDB client).
 * The stub the run enters is the next state; `FieldEnv.inspect` (asl/state-fields.ts) reports
 * each stage. A stub machine, not a call into the interpreter's states, keeps every rule of a
 * state (Assign, `$$.State`, States.Runtime's wording, a Task's timeout) the one the executions
 * use.
 *
 * TestState runs no Retry: the state runs without its Retry and Catch (runOnce); if it fails, the
 * first Retrier whose ErrorEquals names the error (and whose MaxAttempts is not 0) makes the
 * status RETRIABLE; else the first matching Catcher makes it CAUGHT_ERROR, its output computed by
 * the interpreter's own Catch (a second stub machine whose Task rethrows the error); else FAILED
 * (afterFailure). A Wait state does not wait: the run's `skipWaits` (asl/run-context.ts) lets it
 * evaluate its Seconds / Timestamp (or their paths), then go on at once. A test runs at most five
 * minutes (AWS's limit), then fails with States.Timeout, which is neither retried nor caught.
 * Refused here (InvalidDefinition): Map and Parallel states, which AWS tests only with a mock, a
 * Next that names no state of the machine, and a state that does not load (AWS's "not valid
 * ASL", or a feature the local runtime cannot run).
 */
import { randomUUID } from 'node:crypto';
import type { AslDefinition, AslState } from '../stack/synthesized-definition';
import { CancellationScope } from './cancellation';
import { loadDefinition } from './compiled-machine';
import { compileRetriers, errorMatches, failureView, findCatcher } from './asl/error-handling';
import { Machine, type MachineDocument } from './asl/machine';
import type { ContextBase, InterpreterEvent, RunContext } from './asl/run-context';
import type { InspectionStage, QueryLanguage } from './asl/state-fields';
import { VariableScope } from './asl/variables';
import { InvalidAslDefinition, TaskFailure, UnsupportedAslFeature } from './errors';
import { longTimeout } from './long-timeout';
import { createTaskHandler } from './resources';
import type {
  InspectionErrorDetails,
  TestExecutionStatus,
  TestStateDependencies,
} from './test-state';
import { type Target, invalidDefinition, isObject } from './test-state-request';

/** "The TestState API can run for up to five minutes." */
const TEST_STATE_TIMEOUT_MS = 5 * 60 * 1000;

/** The Resource of the stand-in Task that rethrows the tested state's error to its Catchers. */
const RETHROW_RESOURCE = 'arn:aws:states:::local-engine:testState.rethrow';

// ---- the stub machine --------------------------------------------------------------------

/** A state ready to run: its stub machine, checked, and what the run needs to read it. */
export interface PreparedTest {
  readonly name: string;
  /** The state as given. */
  readonly original: AslState;
  /** The state with each transition renamed to its stub. */
  readonly state: AslState;
  /** The machine's QueryLanguage (the stubs inherit it). */
  readonly inherited: QueryLanguage;
  /** Stub name → the state it stands for. */
  readonly stubs: ReadonlyMap<string, string>;
  /** The engine's Task adapters and the test's time limit. */
  readonly deps: TestStateDependencies;
}

/**
 * The state in its stub machine, checked as the engine loads a machine; what the local runtime
 * cannot test or load is InvalidDefinition.
 */
export function prepare(target: Target, deps: TestStateDependencies): PreparedTest {
  const { name, inherited } = target;
  const original = target.state;
  if (original.Type === 'Map' || original.Type === 'Parallel') {
    throw invalidDefinition(
      `TestState does not test ${original.Type} states without a mock, and the local runtime takes no mock: test a Task, Pass, Wait, Choice, Succeed or Fail state`,
    );
  }
  const { state, stubs } = withStubTransitions(name, original);
  if (target.siblings) {
    for (const next of stubs.values()) {
      if (!target.siblings.has(next)) {
        throw invalidDefinition(`State "${name}": Next names "${next}", which is not a state`);
      }
    }
  }
  try {
    loadDefinition(stubMachine(name, state, stubs, inherited), {
      dynamoDbClientConfigured: deps.adapters.dynamoDbClient !== undefined,
      validate: true,
    });
  } catch (error) {
    if (error instanceof UnsupportedAslFeature) {
      throw invalidDefinition(`Not supported by the local runtime: ${error.message}`);
    }
    if (error instanceof InvalidAslDefinition) throw invalidDefinition(error.message);
    const thrown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw invalidDefinition(`The local engine could not load the state (${thrown})`);
  }
  return { name, original, state, inherited, stubs, deps };
}

/** A copy of the state whose every transition (Next, Default, Choices, Catch) names a stub. */
function withStubTransitions(
  name: string,
  original: AslState,
): { state: AslState; stubs: Map<string, string> } {
  const state = structuredClone(original) as Record<string, unknown>;
  const stubs = new Map<string, string>();
  const byTarget = new Map<string, string>();
  let counter = 0;
  const stubFor = (target: unknown): unknown => {
    if (typeof target !== 'string') return target;
    let stub = byTarget.get(target);
    if (stub === undefined) {
      do stub = `TestState.next.${counter++}`;
      while (stub === name);
      byTarget.set(target, stub);
      stubs.set(stub, target);
    }
    return stub;
  };
  const retarget = (holder: unknown, field: string) => {
    if (isObject(holder) && field in holder) holder[field] = stubFor(holder[field]);
  };
  retarget(state, 'Next');
  retarget(state, 'Default');
  for (const list of [state.Choices, state.Catch]) {
    if (Array.isArray(list)) for (const entry of list) retarget(entry, 'Next');
  }
  return { state: state as AslState, stubs };
}

function stubMachine(
  name: string,
  state: AslState,
  stubs: ReadonlyMap<string, string>,
  inherited: QueryLanguage,
): AslDefinition {
  const states: Record<string, AslState> = { [name]: state };
  for (const stub of stubs.keys()) states[stub] = { Type: 'Succeed' };
  return {
    StartAt: name,
    States: states,
    ...(inherited === 'JSONata' ? { QueryLanguage: 'JSONata' } : {}),
  };
}

/** The test's context object: an Express-style execution of the engine's state machine. */
export function contextBase(
  deps: TestStateDependencies,
  input: unknown,
  roleArn?: string,
): ContextBase {
  const stateMachineArn = deps.adapters.stateMachineArn;
  const [, partition, , region, account] = stateMachineArn.split(':');
  const name = randomUUID();
  return {
    Execution: {
      Id: `arn:${partition}:states:${region}:${account}:express:${deps.stateMachineName}:${name}`,
      Input: input,
      Name: name,
      RoleArn: roleArn ?? null,
      StartTime: new Date().toISOString(),
    },
    StateMachine: { Id: stateMachineArn, Name: deps.stateMachineName },
  };
}

// ---- running -----------------------------------------------------------------------------

/** What a run of the tested state gave: the answer's status, output and error, and its stages. */
export interface Outcome {
  readonly status: TestExecutionStatus;
  /** Boxed: a state's output may be any JSON value, null included. */
  readonly output?: { readonly value: unknown };
  readonly error?: unknown;
  readonly nextState?: string;
  /** The variables after the state, by name. */
  readonly variables: Record<string, unknown>;
  readonly stages: ReadonlyMap<InspectionStage, unknown>;
  readonly errorDetails?: InspectionErrorDetails;
}

/** Runs the state once, without its Retry and Catch. */
export async function runOnce(
  test: PreparedTest,
  input: unknown,
  initial: Record<string, unknown>,
  context: ContextBase,
): Promise<Outcome> {
  const state: Record<string, unknown> = structuredClone(test.state);
  delete state.Retry;
  delete state.Catch;
  const variables = scopeWith(initial);
  const stages = new Map<InspectionStage, unknown>();
  const run = await runMachine(test, state as AslState, input, variables, context, {
    // Called for a Task state only, and once: the state runs without its Retry.
    task: (taskInput, scope) =>
      createTaskHandler(
        test.name,
        test.state,
        test.deps.adapters,
      )(taskInput, {
        executionArn: String(context.Execution.Id),
        context,
        cancellation: scope,
      }),
    inspect: (stage, value) => stages.set(stage, value),
  });
  if ('error' in run) {
    return { status: 'FAILED', error: run.error, variables: variables.visible(), stages };
  }
  return {
    status: 'SUCCEEDED',
    output: { value: run.output },
    nextState: run.entered === undefined ? undefined : test.stubs.get(run.entered),
    variables: variables.visible(),
    stages,
  };
}

/**
 * What TestState answers for a state that failed: RETRIABLE when a Retrier would retry the
 * error, else CAUGHT_ERROR when a Catcher catches it (the interpreter's Catch computes its output
 * and Assign), else FAILED.
 */
export async function afterFailure(
  test: PreparedTest,
  failed: Outcome,
  input: unknown,
  initial: Record<string, unknown>,
  context: ContextBase,
): Promise<Outcome> {
  const error = failed.error;
  const view = failureView(error);
  if (view.retryable) {
    const retriers = compileRetriers(test.original.Retry, 1);
    const index = retriers.findIndex((r) => errorMatches(r.errorEquals, view.name));
    if (index >= 0 && retriers[index].maxAttempts > 0) {
      const retrier = retriers[index];
      const backoff = Math.min(retrier.intervalSeconds, retrier.maxDelaySeconds ?? Infinity);
      return {
        ...failed,
        status: 'RETRIABLE',
        errorDetails: { retryIndex: index, retryBackoffIntervalSeconds: Math.round(backoff) },
      };
    }
  }
  const catchers = Array.isArray(test.state.Catch)
    ? (test.state.Catch as { ErrorEquals?: string[] }[])
    : [];
  const index = findCatcher(
    catchers.map((c) => ({ errorEquals: c.ErrorEquals ?? [] })),
    error,
  );
  if (index < 0) return failed;
  // The stand-in Task has the state's Catch and fails with its error: the interpreter's Catch
  // then gives the Catcher's output and Assign, and enters the stub of the Catcher's Next.
  const standIn: Record<string, unknown> = {
    Type: 'Task',
    Resource: RETHROW_RESOURCE,
    Catch: test.state.Catch,
    End: true,
  };
  if (test.state.QueryLanguage !== undefined) standIn.QueryLanguage = test.state.QueryLanguage;
  const variables = scopeWith(initial);
  const caught = await runMachine(test, standIn as AslState, input, variables, context, {
    task: async () => {
      throw error;
    },
  });
  if ('error' in caught) return { ...failed, error: caught.error };
  return {
    status: 'CAUGHT_ERROR',
    error,
    output: { value: caught.output },
    nextState: caught.entered === undefined ? undefined : test.stubs.get(caught.entered),
    variables: variables.visible(),
    stages: failed.stages,
    errorDetails: { catchIndex: index },
  };
}

function scopeWith(initial: Record<string, unknown>): VariableScope {
  const variables = new VariableScope();
  variables.assign(initial);
  return variables;
}

/**
 * Runs the stub machine around `state` once: its output and the last state entered (a stub, or
 * the state itself when it ended the run), or the error it failed with. Only the tested state's
 * stages are inspected (not its stubs').
 */
async function runMachine(
  test: PreparedTest,
  state: AslState,
  input: unknown,
  variables: VariableScope,
  context: ContextBase,
  hooks: {
    readonly task: (input: unknown, scope: CancellationScope) => Promise<unknown>;
    readonly inspect?: (stage: InspectionStage, value: unknown) => void;
  },
): Promise<{ output: unknown; entered?: string } | { error: unknown }> {
  const machine = new Machine(
    stubMachine(test.name, state, test.stubs, test.inherited) as unknown as MachineDocument,
  );
  const scope = new CancellationScope();
  let entered: string | undefined;
  const { inspect } = hooks;
  const run: RunContext = {
    context,
    variables,
    cancellation: scope,
    counter: { events: 0 },
    hooks: {
      task: (_stateName, taskInput, taskScope) => hooks.task(taskInput, taskScope),
      onEvent: (event: InterpreterEvent) => {
        if (event.type === 'StateEntered') entered = event.stateName;
        return undefined;
      },
    },
    // Only the tested state's stages (a stub's InputPath stage is not the test's).
    inspect:
      inspect &&
      ((stage, value) => {
        if (entered === test.name) inspect(stage, value);
      }),
    skipWaits: true,
  };
  const limitMs = test.deps.timeoutMs ?? TEST_STATE_TIMEOUT_MS;
  let timer: { cancel(): void } | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = longTimeout(limitMs, () => {
      scope.abort('States.Timeout');
      // AWS's limit on the test itself: neither retried nor caught.
      reject(
        new TaskFailure(
          'States.Timeout',
          `The test ran longer than TestState's ${limitMs / 1000} seconds`,
          { retryable: false, catchable: false },
        ),
      );
    });
  });
  const running = machine.run(input, run);
  try {
    return { output: await Promise.race([running, expired]), entered };
  } catch (error) {
    return { error };
  } finally {
    timer?.cancel();
    // A handler that outlives the limit is nobody's concern (no unhandled rejection).
    running.catch(() => undefined);
  }
}
