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
 * How: the state runs once, in a machine of its own whose other states are stubs, without its
 * Retry and Catch (the first Retrier or Catcher that matches its error makes the status RETRIABLE
 * or CAUGHT_ERROR); a Wait state does not wait; a test runs at most five minutes
 * (test-state-run.ts, whose header has the details). Reading the request (which state, roleArn,
 * variables) is test-state-request.ts's. This file holds the API: the request and answer types,
 * testState, and the answer's inspection data.
 *
 * Refused: Map and Parallel states, which AWS tests only with a mock (InvalidDefinition); a
 * definition that is not one state (or, with stateName, not a state machine) or does not load
 * (InvalidDefinition: AWS's "not valid ASL", or a feature the local runtime cannot run); an
 * unknown stateName, a missing roleArn for a Task, an unknown inspection level
 * (ValidationException); a malformed roleArn (InvalidArn); input or variables that are not JSON
 * (InvalidExecutionInput).
 */
import type { InspectionStage } from './asl/state-fields';
import { StepFunctionsApiError, errorOutput } from './errors';
import { normalizeInput } from './execution-input';
import type { AdapterDependencies } from './resources';
import { checkRoleArn, parseVariables, selectState } from './test-state-request';
import {
  type Outcome,
  type PreparedTest,
  afterFailure,
  contextBase,
  prepare,
  runOnce,
} from './test-state-run';

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
  const first = await runOnce(test, input, variables, context);
  const outcome =
    first.status === 'FAILED' ? await afterFailure(test, first, input, variables, context) : first;

  const failure = outcome.error === undefined ? undefined : errorOutput(outcome.error);
  const result: Mutable<TestStateResult> = { status: outcome.status };
  if (outcome.output !== undefined) result.output = json(outcome.output.value);
  if (failure && failure.hasError !== false) result.error = failure.Error;
  if (failure?.Cause !== undefined) result.cause = failure.Cause;
  if (outcome.nextState !== undefined) result.nextState = outcome.nextState;
  if (level !== 'INFO') result.inspectionData = inspectionData(test, input, outcome);
  return result;
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

function inspectionData(test: PreparedTest, input: unknown, outcome: Outcome): InspectionData {
  const data: Mutable<InspectionData> = { input: json(input) };
  const stages = new Map(outcome.stages);
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
