/**
 * TestState, locally: runs one state once and reports what it did, as the Step Functions API's
 * TestState does (API reference "TestState"; developer guide "Using TestState API to test a
 * state"). docs/local-engine.md "TestState" lists what differs from AWS.
 *
 * Request: `definition` is one state's ASL (JSON text), or with `stateName` a whole state machine
 * of which that state (top level or nested in a Parallel branch or Map processor) is tested;
 * `input` (JSON text, default `{}`); `variables` (JSON text of an object: the workflow variables
 * the state sees); `inspectionLevel` INFO | DEBUG | TRACE; `roleArn` (an IAM role ARN, required to
 * test a Task state, as AWS answers without a mock); `revealSecrets` (accepted: nothing is secret
 * locally, there is no HTTP Task).
 *
 * Answer: `status` SUCCEEDED | FAILED | RETRIABLE | CAUGHT_ERROR; `output` (JSON text) when the
 * state succeeded or a Catcher caught its error; `error` / `cause` when it failed; `nextState`,
 * the state it transitions to (a Choice's pick, a Catcher's Next); and, at DEBUG and TRACE,
 * `inspectionData`: the raw `input`, each stage of its data processing that ran (JSONPath:
 * afterInputPath, afterParameters, result, afterResultSelector, afterResultPath; JSONata:
 * afterArguments, result), the `variables` after the state (when there are any) and
 * `errorDetails` (retryIndex and retryBackoffIntervalSeconds, or catchIndex). TRACE adds nothing:
 * its HTTP request and response belong to HTTP Tasks, which the local runtime does not run.
 *
 * How: the state is checked as the engine loads a machine (`loadDefinition`: the interpreter's,
 * the local runtime's and asl-validator's checks) inside a machine of its own, where each state it
 * can transition to is a stub Succeed state; the interpreter then runs that machine once, with
 * the engine's Task adapters (its LocalLambdas, its DynamoDB client). The stub the run enters is
 * the next state; `FieldEnv.inspect` (asl/state-fields.ts) reports each stage. A stub machine,
 * not a call into the interpreter's states, keeps every rule of a state (Assign, `$$.State`,
 * States.Runtime's wording, a Task's timeout) the one the executions use.
 *
 * TestState runs no Retry: the state runs without its Retry and Catch; if it fails, the first
 * Retrier whose ErrorEquals names the error (and whose MaxAttempts is not 0) makes the status
 * RETRIABLE; else the first matching Catcher makes it CAUGHT_ERROR, its output computed by the
 * interpreter's own Catch (a second stub machine whose Task rethrows the error); else FAILED.
 * A Wait state does not wait: its Seconds / Timestamp (or their paths) are evaluated, then the
 * state runs as a Wait of 0 seconds. A test runs at most five minutes (AWS's limit), then fails
 * with States.Timeout.
 *
 * Refused: Map and Parallel states, which AWS tests only with a mock (InvalidDefinition); a
 * definition that is not one state (or, with stateName, not a state machine) or does not load
 * (InvalidDefinition: AWS's "not valid ASL", or a feature the local runtime cannot run); an
 * unknown stateName, a missing roleArn for a Task, an unknown inspection level
 * (ValidationException); a malformed roleArn (InvalidArn); input or variables that are not JSON
 * (InvalidExecutionInput).
 */
import { randomUUID } from 'node:crypto';
import type { AslDefinition, AslState } from '../stack/synthesized-definition';
import { CancellationScope } from './cancellation';
import { loadDefinition } from './compiled-machine';
import { compileRetriers, errorMatches, failureView, findCatcher } from './asl/error-handling';
import { Machine, type MachineDocument } from './asl/machine';
import type { ContextBase, InterpreterEvent, RunContext } from './asl/run-context';
import { compileSimpleState } from './asl/simple-states';
import {
  type FieldEnv,
  type InspectionStage,
  type QueryLanguage,
  compileStateFields,
  effectiveInput,
  stateLanguage,
} from './asl/state-fields';
import { RESERVED_VARIABLE_NAMES, VARIABLE_NAME, VariableScope } from './asl/variables';
import {
  InvalidAslDefinition,
  StepFunctionsApiError,
  UnsupportedAslFeature,
  errorOutput,
} from './errors';
import { normalizeInput } from './execution-input';
import { longTimeout } from './long-timeout';
import { type AdapterDependencies, createTaskHandler } from './resources';

/** `InspectionLevel`: "Valid Values: INFO | DEBUG | TRACE". */
export const INSPECTION_LEVELS = ['INFO', 'DEBUG', 'TRACE'] as const;
export type InspectionLevel = (typeof INSPECTION_LEVELS)[number];

/** `TestExecutionStatus`. */
export type TestExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'RETRIABLE' | 'CAUGHT_ERROR';

export interface TestStateRequest {
  /** One state's ASL as JSON text; with `stateName`, a whole state machine's. */
  readonly definition: string;
  /** The execution role (`$$.Execution.RoleArn`): an IAM role ARN; required for a Task state. */
  readonly roleArn?: string;
  /** The state's input as JSON text. @default "{}" */
  readonly input?: string;
  /** @default INFO */
  readonly inspectionLevel?: InspectionLevel;
  /** Accepted and ignored: no HTTP Task runs locally, so there is no secret to reveal. */
  readonly revealSecrets?: boolean;
  /** JSON text of an object: the workflow variables the state sees, by name. */
  readonly variables?: string;
  /** The state of `definition` (then a whole state machine) to test. */
  readonly stateName?: string;
}

export interface InspectionErrorDetails {
  readonly catchIndex?: number;
  readonly retryIndex?: number;
  readonly retryBackoffIntervalSeconds?: number;
}

/** The API's InspectionData: every value is JSON text. */
export interface InspectionData {
  readonly input?: string;
  readonly afterInputPath?: string;
  readonly afterParameters?: string;
  readonly afterArguments?: string;
  readonly result?: string;
  readonly afterResultSelector?: string;
  readonly afterResultPath?: string;
  readonly variables?: string;
  readonly errorDetails?: InspectionErrorDetails;
}

/** The API's TestState answer: `output` is JSON text. */
export interface TestStateResult {
  readonly status: TestExecutionStatus;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly nextState?: string;
  readonly inspectionData?: InspectionData;
}

/** What a test needs from the engine. */
export interface TestStateDependencies {
  /** The engine's Task adapters: its LocalLambdas, its DynamoDB client, its own state machine. */
  readonly adapters: AdapterDependencies;
  /** `$$.StateMachine.Name` (with the adapters' stateMachineArn as its Id). */
  readonly stateMachineName: string;
  /** How long a test may run. @default 5 minutes, AWS's limit */
  readonly timeoutMs?: number;
}

/** "The TestState API can run for up to five minutes." */
export const TEST_STATE_TIMEOUT_MS = 5 * 60 * 1000;

/** The name a lone state runs under (`$$.State.Name`), as AWS's recorded answers show it. */
export const SINGLE_STATE_NAME = 'StateName';

/** The Resource of the stand-in Task that rethrows the tested state's error to its Catchers. */
const RETHROW_RESOURCE = 'arn:aws:states:::local-engine:testState.rethrow';

export async function testState(
  request: TestStateRequest,
  deps: TestStateDependencies,
): Promise<TestStateResult> {
  const level = request.inspectionLevel ?? 'INFO';
  if (!(INSPECTION_LEVELS as readonly string[]).includes(level)) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `inspectionLevel must be one of ${INSPECTION_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  const target = selectState(request.definition, request.stateName);
  const roleArn = checkRoleArn(request.roleArn, target.state);
  const input: unknown = JSON.parse(normalizeInput(request.input));
  const variables = parseVariables(request.variables);
  const test = prepare(target, deps);

  const context = contextBase(deps, input, roleArn);
  const first = await runOnce(test, input, variables, context, deps);
  const outcome = first.failed ? await afterFailure(test, first, input, variables, context) : first;

  const failure = outcome.error === undefined ? undefined : errorOutput(outcome.error);
  const result: Mutable<TestStateResult> = { status: outcome.status };
  if (outcome.output !== undefined) result.output = json(outcome.output.value);
  if (failure && failure.hasError !== false) result.error = failure.Error;
  if (failure?.Cause !== undefined) result.cause = failure.Cause;
  if (outcome.nextState !== undefined) result.nextState = outcome.nextState;
  if (level !== 'INFO') result.inspectionData = inspectionData(test, input, first, outcome);
  return result;
}

// ---- the request -------------------------------------------------------------------------

/** The state under test: its name, its ASL, the language it inherits, its machine's states. */
interface Target {
  readonly name: string;
  readonly state: AslState;
  readonly inherited: QueryLanguage;
  /** The states of the machine it is in (undefined for a lone state: its Nexts are not checked). */
  readonly siblings?: ReadonlySet<string>;
}

function invalidDefinition(message: string): StepFunctionsApiError {
  return new StepFunctionsApiError('InvalidDefinition', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function selectState(text: string, stateName: string | undefined): Target {
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    throw invalidDefinition(`The definition is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(definition)) {
    throw invalidDefinition('The definition must be a JSON object');
  }
  const isMachine = isObject(definition.States) && !('Type' in definition);
  if (stateName === undefined) {
    if (isMachine) {
      throw invalidDefinition(
        'The definition is a whole state machine: name the state to test in stateName, or pass that state alone',
      );
    }
    return { name: SINGLE_STATE_NAME, state: definition as AslState, inherited: 'JSONPath' };
  }
  if (!isMachine) {
    throw invalidDefinition(
      'With stateName, the definition must be a whole state machine (StartAt and States)',
    );
  }
  const inherited: QueryLanguage = definition.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
  const found = findState(definition, stateName);
  if (!found) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `State ${JSON.stringify(stateName)} is not in the definition`,
    );
  }
  if (!isObject(found.state)) {
    throw invalidDefinition(`State ${JSON.stringify(stateName)} must be a JSON object`);
  }
  return { name: stateName, state: found.state as AslState, inherited, siblings: found.siblings };
}

/** The state named `name` in a machine, its own States first, then nested machines'. */
function findState(
  machine: Record<string, unknown>,
  name: string,
): { state: unknown; siblings: ReadonlySet<string> } | undefined {
  const states = machine.States;
  if (!isObject(states)) return undefined;
  if (Object.prototype.hasOwnProperty.call(states, name)) {
    return { state: states[name], siblings: new Set(Object.keys(states)) };
  }
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    const nested = [
      state.ItemProcessor,
      state.Iterator,
      ...(Array.isArray(state.Branches) ? state.Branches : []),
    ];
    for (const child of nested) {
      const found = isObject(child) ? findState(child, name) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function checkRoleArn(roleArn: string | undefined, state: AslState): string | undefined {
  if (roleArn === undefined) {
    if (state.Type === 'Task') {
      throw new StepFunctionsApiError(
        'ValidationException',
        'roleArn is required to test a Task state',
      );
    }
    return undefined;
  }
  if (!ROLE_ARN.test(roleArn)) {
    throw new StepFunctionsApiError(
      'InvalidArn',
      `Invalid Arn: '${roleArn}' (roleArn must be an IAM role ARN, arn:<partition>:iam::<account>:role/<name>)`,
    );
  }
  return roleArn;
}

function parseVariables(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const invalid = (detail: string) =>
    new StepFunctionsApiError('InvalidExecutionInput', `Invalid variables: ${detail}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`not JSON (${(error as Error).message})`);
  }
  if (!isObject(parsed)) throw invalid('they must be a JSON object of variables by name');
  for (const name of Object.keys(parsed)) {
    if (!VARIABLE_NAME.test(name) || RESERVED_VARIABLE_NAMES.has(name)) {
      throw invalid(
        `${JSON.stringify(name)} is not a variable name (a letter or _, then letters, digits or _; "states" is reserved)`,
      );
    }
  }
  return parsed;
}

// ---- the stub machine --------------------------------------------------------------------

/** A state ready to run: its stub machine, checked, and what the run needs to read it. */
interface PreparedTest {
  readonly name: string;
  /** The state as given. */
  readonly original: AslState;
  /** The state with each transition renamed to its stub. */
  readonly state: AslState;
  readonly language: QueryLanguage;
  /** The machine's QueryLanguage (the stubs inherit it). */
  readonly inherited: QueryLanguage;
  /** Stub name → the state it stands for. */
  readonly stubs: ReadonlyMap<string, string>;
  readonly adapters: AdapterDependencies;
}

function prepare(target: Target, deps: TestStateDependencies): PreparedTest {
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
  let language: QueryLanguage;
  try {
    loadDefinition(stubMachine(name, state, stubs, inherited), {
      dynamoDbClientConfigured: deps.adapters.dynamoDbClient !== undefined,
      validate: true,
    });
    language = stateLanguage(name, state, inherited);
  } catch (error) {
    if (error instanceof UnsupportedAslFeature) {
      throw invalidDefinition(`Not supported by the local runtime: ${error.message}`);
    }
    if (error instanceof InvalidAslDefinition) throw invalidDefinition(error.message);
    const thrown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw invalidDefinition(`The local engine could not load the state (${thrown})`);
  }
  return { name, original, state, language, inherited, stubs, adapters: deps.adapters };
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

function contextBase(deps: TestStateDependencies, input: unknown, roleArn?: string): ContextBase {
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

interface Outcome {
  readonly status: TestExecutionStatus;
  readonly failed: boolean;
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
async function runOnce(
  test: PreparedTest,
  input: unknown,
  initial: Record<string, unknown>,
  context: ContextBase,
  deps: TestStateDependencies,
): Promise<Outcome> {
  const state: Record<string, unknown> = structuredClone(test.state);
  delete state.Retry;
  delete state.Catch;
  const variables = new VariableScope();
  variables.assign(initial);
  if (state.Type === 'Wait' && (await waitEvaluates(test, input, variables, context))) {
    for (const field of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) {
      delete state[field];
    }
    state.Seconds = 0;
  }
  const serve =
    state.Type === 'Task' ? createTaskHandler(test.name, test.state, test.adapters) : undefined;
  const stages = new Map<InspectionStage, unknown>();
  const run = await runMachine(test, state as AslState, input, variables, context, deps, {
    task: (taskInput, scope) => {
      if (!serve) throw new Error(`No Task to serve in state "${test.name}"`);
      return serve(taskInput, { executionArn: executionId(context), context, cancellation: scope });
    },
    inspect: (stage, value) => stages.set(stage as InspectionStage, value),
  });
  if ('error' in run) {
    return {
      status: 'FAILED',
      failed: true,
      error: run.error,
      variables: variables.visible(),
      stages,
    };
  }
  return {
    status: 'SUCCEEDED',
    failed: false,
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
async function afterFailure(
  test: PreparedTest,
  failed: Outcome,
  input: unknown,
  initial: Record<string, unknown>,
  context: ContextBase,
): Promise<Outcome> {
  const error = failed.error;
  const view = failureView(error);
  if (view.retryable && !timedOut(error)) {
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
  const index = timedOut(error)
    ? -1
    : findCatcher(
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
  const variables = new VariableScope();
  variables.assign(initial);
  const caught = await runMachine(
    test,
    standIn as AslState,
    input,
    variables,
    context,
    {},
    {
      task: async () => {
        throw error;
      },
    },
  );
  if ('error' in caught) return { ...failed, error: caught.error };
  return {
    status: 'CAUGHT_ERROR',
    failed: true,
    error,
    output: { value: caught.output },
    nextState: caught.entered === undefined ? undefined : test.stubs.get(caught.entered),
    variables: variables.visible(),
    stages: failed.stages,
    errorDetails: { catchIndex: index },
  };
}

/** A Wait state's time evaluates (so the run may replace it with 0 seconds). */
async function waitEvaluates(
  test: PreparedTest,
  input: unknown,
  variables: VariableScope,
  context: ContextBase,
): Promise<boolean> {
  try {
    const simple = compileSimpleState(test.name, test.state, test.language);
    if (simple.type !== 'Wait') return false;
    const fields = compileStateFields(test.name, test.state, test.language, {
      parameters: false,
    });
    const env: FieldEnv = {
      context: { ...context, State: { Name: test.name, EnteredTime: '', RetryCount: 0 } },
      variables,
    };
    await simple.waitMs(input, effectiveInput(fields, input, env), env);
    return true;
  } catch {
    // The run meets the same error before it would wait, and reports it as executions do.
    return false;
  }
}

/** A failure raised by the test's own time limit. */
class TestTimedOut extends Error {
  override readonly name = 'States.Timeout';
}

function timedOut(error: unknown): boolean {
  return error instanceof TestTimedOut;
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
  limits: { readonly timeoutMs?: number },
  hooks: {
    readonly task: (input: unknown, scope: CancellationScope) => Promise<unknown>;
    readonly inspect?: (stage: string, value: unknown) => void;
  },
): Promise<{ output: unknown; entered?: string } | { error: unknown }> {
  const machine = new Machine(
    stubMachine(test.name, state, test.stubs, test.inherited) as unknown as MachineDocument,
    { retryIntervalScale: 0 },
  );
  const scope = new CancellationScope();
  let entered: string | undefined;
  const inspect = hooks.inspect;
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
    ...(inspect
      ? {
          inspect: (stage: string, value: unknown) => {
            if (entered === test.name) inspect(stage, value);
          },
        }
      : {}),
  };
  const limitMs = limits.timeoutMs ?? TEST_STATE_TIMEOUT_MS;
  let timer: { cancel(): void } | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = longTimeout(limitMs, () => {
      scope.abort('States.Timeout');
      reject(new TestTimedOut(`The test ran longer than TestState's ${limitMs / 1000} seconds`));
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

function executionId(context: ContextBase): string {
  return String(context.Execution.Id);
}

// ---- the answer --------------------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

const STAGES: readonly InspectionStage[] = [
  'afterInputPath',
  'afterParameters',
  'afterArguments',
  'result',
  'afterResultSelector',
  'afterResultPath',
];

function inspectionData(
  test: PreparedTest,
  input: unknown,
  first: Outcome,
  outcome: Outcome,
): InspectionData {
  const data: Mutable<InspectionData> = { input: json(input) };
  const stages = new Map(first.stages);
  if (test.original.Type === 'Pass') {
    // AWS reports a Pass state's Result as its result, not the input it ignores; without Result
    // the Parameters stage is its result.
    if ('Result' in test.original) stages.delete('afterInputPath');
    else stages.delete('result');
  }
  for (const stage of STAGES) {
    if (stages.has(stage)) data[stage] = json(stages.get(stage));
  }
  if (Object.keys(outcome.variables).length > 0) data.variables = json(outcome.variables);
  if (outcome.errorDetails) data.errorDetails = outcome.errorDetails;
  return data;
}
