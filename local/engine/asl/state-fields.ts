/**
 * The input and output fields of one state, in either query language, compiled once
 * (docs/local-engine.md "State input and output"):
 * - JSONPath: InputPath → Parameters → (the work) → ResultSelector → ResultPath → OutputPath,
 *   and Assign with `$` the state's result (after ResultSelector; the effective input for a
 *   state without a result). ResultPath places the result into the state's raw input; null keeps
 *   the raw input; InputPath / OutputPath null give `{}`.
 * - JSONata: Arguments (default: the state's input) → (the work) → Output (default: the result,
 *   or the input for a state without one) and Assign, both with `$states.input`, `$states.result`
 *   and `$states.context`.
 * Assign is evaluated with the variables' values at the state's entry and applied by the caller
 * once the state has finished. `FieldEnv.inspect`, when given, is told each stage's value as it is
 * computed (TestState's inspection data).
 */
import { InvalidAslDefinition, TaskFailure, statesRuntimeError } from '../errors';
import { type JsonataEnv, compileJsonataTemplate } from './jsonata';
import { type PathEnv, ResultPathMismatch, parsePath, setAtPath } from './json-path';
import { type Evaluator, compilePathField, compileTemplate } from './payload';
import { RESERVED_VARIABLE_NAMES, VARIABLE_NAME, type VariableScope } from './variables';

export type QueryLanguage = 'JSONPath' | 'JSONata';
export type JsonataEvaluator = (env: JsonataEnv) => Promise<unknown>;

/** What evaluating a state's fields needs besides its input. */
export interface FieldEnv {
  /** The context object as the state sees it (`$$`, `$states.context`). */
  readonly context: unknown;
  readonly variables: VariableScope;
  /** Told each stage's value as it is computed (TestState's inspection data, test-state.ts). */
  readonly inspect?: (stage: InspectionStage, value: unknown) => void;
}

/**
 * The stages of a state's data processing that TestState reports (the API reference's
 * InspectionData): JSONPath's InputPath, Parameters, ResultSelector and ResultPath, JSONata's
 * Arguments, and the raw result of the state's work (a Task's result, a Pass state's Result or
 * Parameters) in both languages.
 */
export type InspectionStage =
  | 'afterInputPath'
  | 'afterParameters'
  | 'afterArguments'
  | 'result'
  | 'afterResultSelector'
  | 'afterResultPath';

const JSONPATH_ONLY = [
  'InputPath',
  'Parameters',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'ItemsPath',
  'SecondsPath',
  'TimestampPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'MaxConcurrencyPath',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCountPath',
  'ErrorPath',
  'CausePath',
] as const;
const JSONATA_ONLY = ['Arguments', 'Output', 'Items'] as const;

export interface StateFields {
  readonly language: QueryLanguage;
  readonly stateName: string;
  /** JSONPath: undefined is `$`, null is `{}`. */
  readonly inputPath?: PathField | null;
  readonly parameters?: Evaluator;
  readonly resultSelector?: Evaluator;
  /** JSONPath: undefined is `$`. */
  readonly resultPath?: string | null;
  readonly outputPath?: PathField | null;
  readonly assignPath?: Evaluator;
  readonly arguments?: JsonataEvaluator;
  readonly output?: JsonataEvaluator;
  readonly assignJsonata?: JsonataEvaluator;
}

/** The state's query language: its own, else the machine's (JSONata cannot turn back to JSONPath). */
export function stateLanguage(
  stateName: string,
  state: Record<string, unknown>,
  inherited: QueryLanguage,
): QueryLanguage {
  const own = state.QueryLanguage;
  if (own === undefined) return inherited;
  if (own !== 'JSONPath' && own !== 'JSONata') {
    throw new InvalidAslDefinition(
      `State "${stateName}": QueryLanguage must be "JSONPath" or "JSONata", got ${JSON.stringify(own)}`,
    );
  }
  if (inherited === 'JSONata' && own === 'JSONPath') {
    throw new InvalidAslDefinition(
      `State "${stateName}": a state cannot use JSONPath when the state machine's QueryLanguage is JSONata`,
    );
  }
  return own;
}

/** Compiles the input/output fields of a state (throws at load time for a misplaced field). */
export function compileStateFields(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
  options: { readonly parameters: boolean },
): StateFields {
  const where = (field: string) => ({ stateName, field });
  if (language === 'JSONata') {
    for (const field of JSONPATH_ONLY) {
      if (field in state) {
        throw new InvalidAslDefinition(
          `State "${stateName}": ${field} is a JSONPath field; a JSONata state uses Arguments, Output and Assign instead`,
        );
      }
    }
    return {
      language,
      stateName,
      arguments:
        'Arguments' in state
          ? compileJsonataTemplate(state.Arguments, where('Arguments'))
          : undefined,
      output: 'Output' in state ? compileJsonataTemplate(state.Output, where('Output')) : undefined,
      assignJsonata:
        'Assign' in state ? compileAssignJsonata(state.Assign, where('Assign')) : undefined,
    };
  }
  for (const field of JSONATA_ONLY) {
    if (field in state) {
      throw new InvalidAslDefinition(
        `State "${stateName}": ${field} is a JSONata field; set "QueryLanguage": "JSONata" on the state or the state machine to use it`,
      );
    }
  }
  const resultPath = checkResultPath(stateName, 'ResultPath', state.ResultPath);
  return {
    language,
    stateName,
    inputPath: pathOrNull(state, 'InputPath', stateName),
    parameters:
      options.parameters && 'Parameters' in state
        ? compileTemplate(state.Parameters, where('Parameters'))
        : undefined,
    resultSelector:
      'ResultSelector' in state
        ? compileTemplate(state.ResultSelector, where('ResultSelector'))
        : undefined,
    resultPath,
    outputPath: pathOrNull(state, 'OutputPath', stateName),
    assignPath: 'Assign' in state ? compileAssignPath(state.Assign, where('Assign')) : undefined,
  };
}

/** A path field (InputPath, OutputPath): its text and evaluator; null for `null`, undefined when absent. */
interface PathField {
  readonly text: string;
  readonly read: Evaluator;
}

function pathOrNull(
  state: Record<string, unknown>,
  field: string,
  stateName: string,
): PathField | null | undefined {
  const value = state[field];
  if (value === undefined) return undefined;
  if (value === null) return null;
  return { text: String(value), read: compilePathField(value, { stateName, field }) };
}

/** ResultPath (of a state or a Catcher): a reference path into the input (`$…`), or null. */
export function checkResultPath(
  stateName: string,
  field: string,
  value: unknown,
): string | null | undefined {
  if (value === undefined || value === null) return value;
  const parsed = typeof value === 'string' ? parsePath(value) : null;
  if (!parsed || !parsed.steps || parsed.root.kind !== 'input') {
    throw new InvalidAslDefinition(
      `State "${stateName}": ${field} must be a reference path into the input or null, got ${JSON.stringify(value)}`,
    );
  }
  return parsed.text;
}

function checkAssignNames(
  assign: unknown,
  where: { stateName: string; field: string },
  jsonPath: boolean,
): void {
  if (assign === null || typeof assign !== 'object' || Array.isArray(assign)) {
    throw new InvalidAslDefinition(
      `State "${where.stateName}": ${where.field} must be an object of variable names`,
    );
  }
  for (const key of Object.keys(assign)) {
    const name = jsonPath && key.endsWith('.$') ? key.slice(0, -2) : key;
    if (!isVariableName(name)) {
      throw new InvalidAslDefinition(
        `State "${where.stateName}": ${where.field} assigns ${JSON.stringify(name)}, which is not a valid variable name (${VARIABLE_NAME_RULE})`,
      );
    }
  }
}

/** The rule of isVariableName, in words (for error messages). */
export const VARIABLE_NAME_RULE = 'a letter or _, then letters, digits or _; "states" is reserved';

/** Whether a workflow variable may have this name (Assign's keys, TestState's variables). */
export function isVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name) && !RESERVED_VARIABLE_NAMES.has(name);
}

export function compileAssignPath(
  assign: unknown,
  where: { stateName: string; field: string },
): Evaluator {
  checkAssignNames(assign, where, true);
  return compileTemplate(assign, where);
}

export function compileAssignJsonata(
  assign: unknown,
  where: { stateName: string; field: string },
): JsonataEvaluator {
  checkAssignNames(assign, where, false);
  return compileJsonataTemplate(assign, where);
}

// ---- evaluation ----------------------------------------------------------------------------

function pathEnv(input: unknown, env: FieldEnv): PathEnv {
  return { input, context: env.context, variables: env.variables };
}

/** `Invalid path '$.a[0]' : No results for path: $['a'][0]`, as AWS words it. */
function noResults(path: string): TaskFailure {
  const steps = (parsePath(path)?.steps ?? [])
    .map((step) => (typeof step === 'number' ? `[${step}]` : `['${step}']`))
    .join('');
  return statesRuntimeError(`Invalid path '${path}' : No results for path: $${steps}`);
}

/** JSONPath: the input after InputPath. JSONata: the input as it is. */
export function effectiveInput(fields: StateFields, input: unknown, env: FieldEnv): unknown {
  if (fields.language === 'JSONata') return input;
  const effective = selectInput(fields, input, env);
  env.inspect?.('afterInputPath', effective);
  return effective;
}

function selectInput(fields: StateFields, input: unknown, env: FieldEnv): unknown {
  if (fields.inputPath === undefined) return input;
  if (fields.inputPath === null) return {};
  const selected = fields.inputPath.read(pathEnv(input, env));
  if (selected === undefined) throw noResults(fields.inputPath.text);
  return selected;
}

/** What the work of the state receives: Parameters / Arguments, else the (effective) input. */
export async function workInput(
  fields: StateFields,
  input: unknown,
  effective: unknown,
  env: FieldEnv,
): Promise<unknown> {
  if (fields.language === 'JSONata') {
    const args = fields.arguments
      ? await fields.arguments({
          states: { input, context: env.context },
          variables: env.variables,
        })
      : input;
    env.inspect?.('afterArguments', args);
    return args;
  }
  const parameters = fields.parameters ? fields.parameters(pathEnv(effective, env)) : effective;
  env.inspect?.('afterParameters', parameters);
  return parameters;
}

/** The state's output and the variables it assigns. */
export interface Finished {
  readonly output: unknown;
  readonly assigned?: Readonly<Record<string, unknown>>;
}

/**
 * Finishes a state: `result` is what its work produced (for a state without a result, pass
 * `{ none: true }` and the effective input is used as JSONPath's `$` and JSONata's default).
 */
export async function finishState(
  fields: StateFields,
  input: unknown,
  effective: unknown,
  result: { readonly value: unknown } | { readonly none: true },
  env: FieldEnv,
): Promise<Finished> {
  if ('value' in result) env.inspect?.('result', result.value);
  if (fields.language === 'JSONata') {
    const states = {
      input,
      context: env.context,
      ...('value' in result ? { result: result.value } : {}),
    };
    const jsonataEnv: JsonataEnv = { states, variables: env.variables };
    const output = fields.output
      ? await fields.output(jsonataEnv)
      : 'value' in result
        ? result.value
        : input;
    const assigned = fields.assignJsonata
      ? ((await fields.assignJsonata(jsonataEnv)) as Record<string, unknown>)
      : undefined;
    return { output, assigned };
  }
  if (!('value' in result)) {
    const assigned = fields.assignPath
      ? (fields.assignPath(pathEnv(effective, env)) as Record<string, unknown>)
      : undefined;
    return { output: applyOutputPath(fields, effective, env), assigned };
  }
  const selected = fields.resultSelector
    ? fields.resultSelector(pathEnv(result.value, env))
    : result.value;
  env.inspect?.('afterResultSelector', selected);
  const assigned = fields.assignPath
    ? (fields.assignPath(pathEnv(selected, env)) as Record<string, unknown>)
    : undefined;
  const combined = applyResultPath(fields.resultPath, input, selected);
  env.inspect?.('afterResultPath', combined);
  return { output: applyOutputPath(fields, combined, env), assigned };
}

/** ResultPath: the result replaces (`$`), is discarded (null) or is placed into the raw input. */
export function applyResultPath(
  resultPath: string | null | undefined,
  input: unknown,
  result: unknown,
): unknown {
  if (resultPath === undefined || resultPath === '$') return result;
  if (resultPath === null) return input;
  try {
    return setAtPath(input, resultPath, result);
  } catch (error) {
    if (error instanceof ResultPathMismatch) {
      throw new TaskFailure('States.ResultPathMatchFailure', error.message, { retryable: false });
    }
    throw error;
  }
}

function applyOutputPath(fields: StateFields, value: unknown, env: FieldEnv): unknown {
  if (fields.outputPath === undefined) return value;
  if (fields.outputPath === null) return {};
  const selected = fields.outputPath.read(pathEnv(value, env));
  if (selected === undefined) throw noResults(fields.outputPath.text);
  return selected;
}

/** Refuses fields that exclude each other (e.g. Error and ErrorPath) when more than one is given. */
export function checkExclusive(
  stateName: string,
  state: Record<string, unknown>,
  fields: readonly string[],
): void {
  const present = fields.filter((f) => f in state);
  if (present.length > 1) {
    throw new InvalidAslDefinition(
      `State "${stateName}": ${present.join(' and ')} cannot be used together`,
    );
  }
}
