/**
 * TestState's request, read (test-state.ts has the API; docs/local-engine.md "TestState" lists
 * what differs from AWS): the state under test (selectState: `definition` is one state's ASL, run
 * as `StateName`, or with `stateName` a whole state machine of which that state, top level or
 * nested in a Parallel branch or Map processor, is tested with the machine's QueryLanguage), the
 * `roleArn` (checkRoleArn: an IAM role ARN, required for a Task state) and the `variables`
 * (parseVariables: a JSON object of workflow variables by name). Refused: a definition that is
 * not JSON, not one state or (with stateName) not a state machine (InvalidDefinition); an unknown
 * stateName or a missing roleArn for a Task (ValidationException); a malformed roleArn
 * (InvalidArn); variables that are not a JSON object of variable names (InvalidExecutionInput).
 */
import type { AslState } from '../stack/synthesized-definition';
import { type QueryLanguage, VARIABLE_NAME_RULE, isVariableName } from './asl/state-fields';
import { StepFunctionsApiError } from './errors';

/** The name a lone state runs under (`$$.State.Name`), as AWS's recorded answers show it. */
const SINGLE_STATE_NAME = 'StateName';

/** The state under test: its name, its ASL, the language it inherits, its machine's states. */
export interface Target {
  readonly name: string;
  readonly state: AslState;
  readonly inherited: QueryLanguage;
  /** The states of the machine it is in (undefined for a lone state: its Nexts are not checked). */
  readonly siblings?: ReadonlySet<string>;
}

/** InvalidDefinition: the definition is not a state (or machine) the local runtime can test. */
export function invalidDefinition(message: string): StepFunctionsApiError {
  return new StepFunctionsApiError('InvalidDefinition', message);
}

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The state under test: the definition itself, or with `stateName` that state of the machine. */
export function selectState(text: string, stateName: string | undefined): Target {
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

/** The request's roleArn: required for a Task state, an IAM role ARN when given. */
export function checkRoleArn(roleArn: string | undefined, state: AslState): string | undefined {
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

/** The request's variables: a JSON object of workflow variables by name (none: empty). */
export function parseVariables(text: string | undefined): Record<string, unknown> {
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
    if (!isVariableName(name)) {
      throw invalid(`${JSON.stringify(name)} is not a variable name (${VARIABLE_NAME_RULE})`);
    }
  }
  return parsed;
}
