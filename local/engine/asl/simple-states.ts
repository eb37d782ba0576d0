/**
 * Pass, Wait, Choice, Succeed and Fail (docs/local-engine.md "States"): the states that do not
 * call out and take no Retry or Catch.
 * - Pass: Result, else Parameters, else the effective input is its result (JSONPath); Output
 *   (JSONata).
 * - Wait: Seconds / SecondsPath (a non-negative integer) or Timestamp / TimestampPath (RFC 3339);
 *   any length (timers are chained past 2^31 ms), cut short only by the run stopping.
 * - Choice: the first rule that matches gives Next, else Default, else States.NoChoiceMatched.
 * - Fail: Error / Cause, or ErrorPath / CausePath (a path or an intrinsic, read from the raw
 *   input); JSONata expressions in a JSONata state. A Fail without Error or Cause reports none.
 */
import { InvalidAslDefinition, TaskFailure, statesRuntimeError } from '../errors';
import { compileChoiceRule } from './choice-rules';
import { compileJsonataTemplate, type JsonataEnv, queryEvaluationError } from './jsonata';
import { type NumberField, type NumberRule, compileNumberField } from './number-fields';
import { compilePathOrIntrinsic } from './payload';
import { epochMs, parseTimestamp } from './timestamps';
import { type RunContext, sleep } from './run-context';
import {
  type FieldEnv,
  type JsonataEvaluator,
  type QueryLanguage,
  type StateFields,
  checkExclusive,
  compileAssignJsonata,
  compileAssignPath,
  effectiveInput,
  finishState,
  workInput,
} from './state-fields';

type Value<T> = (input: unknown, effective: unknown, env: FieldEnv) => Promise<T>;

interface ChoiceRule {
  readonly test: (input: unknown, effective: unknown, env: FieldEnv) => Promise<boolean>;
  readonly next: string;
  readonly assign?: (
    input: unknown,
    effective: unknown,
    env: FieldEnv,
  ) => Promise<Record<string, unknown>>;
  readonly output?: JsonataEvaluator;
}

export type SimpleState =
  | {
      readonly type: 'Pass';
      readonly result?: { readonly value: unknown };
      readonly transitions: [];
    }
  | { readonly type: 'Wait'; readonly waitMs: Value<number>; readonly transitions: [] }
  | {
      readonly type: 'Choice';
      readonly rules: readonly ChoiceRule[];
      readonly defaultNext?: string;
      readonly transitions: string[];
    }
  | { readonly type: 'Succeed'; readonly transitions: [] }
  | {
      readonly type: 'Fail';
      readonly error?: Value<unknown>;
      readonly cause?: Value<unknown>;
      readonly transitions: [];
    };

export function compileSimpleState(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): SimpleState {
  switch (state.Type) {
    case 'Pass':
      if (language === 'JSONPath' && 'Result' in state && 'Parameters' in state) {
        checkExclusive(stateName, state, ['Result', 'Parameters']);
      }
      return {
        type: 'Pass',
        result: 'Result' in state ? { value: state.Result } : undefined,
        transitions: [],
      };
    case 'Wait':
      return { type: 'Wait', waitMs: compileWait(stateName, state, language), transitions: [] };
    case 'Choice':
      return compileChoice(stateName, state, language);
    case 'Succeed':
      return { type: 'Succeed', transitions: [] };
    default:
      return compileFail(stateName, state, language);
  }
}

export interface SimpleStep {
  readonly output: unknown;
  readonly next?: string | null;
  readonly assigned?: Readonly<Record<string, unknown>>;
}

export async function runSimpleState(
  simple: SimpleState,
  fields: StateFields,
  input: unknown,
  env: FieldEnv,
  run: RunContext,
  next: string | undefined,
): Promise<SimpleStep> {
  switch (simple.type) {
    case 'Pass': {
      const effective = effectiveInput(fields, input, env);
      if (fields.language === 'JSONata') {
        return { ...(await finishState(fields, input, effective, { none: true }, env)), next };
      }
      const result = simple.result
        ? simple.result.value
        : await workInput(fields, input, effective, env);
      return { ...(await finishState(fields, input, effective, { value: result }, env)), next };
    }
    case 'Wait': {
      const effective = effectiveInput(fields, input, env);
      await sleep(await simple.waitMs(input, effective, env), run);
      return { ...(await finishState(fields, input, effective, { none: true }, env)), next };
    }
    case 'Succeed': {
      const effective = effectiveInput(fields, input, env);
      return await finishState(fields, input, effective, { none: true }, env);
    }
    case 'Choice':
      return runChoice(simple, fields, input, env);
    default: {
      const error = simple.error ? await simple.error(input, input, env) : undefined;
      const cause = simple.cause ? await simple.cause(input, input, env) : undefined;
      throw failStateFailure(error, cause);
    }
  }
}

async function runChoice(
  choice: Extract<SimpleState, { type: 'Choice' }>,
  fields: StateFields,
  input: unknown,
  env: FieldEnv,
): Promise<SimpleStep> {
  const effective = effectiveInput(fields, input, env);
  for (const rule of choice.rules) {
    if (!(await rule.test(input, effective, env))) continue;
    const state = await finishState(fields, input, effective, { none: true }, env);
    const assigned = rule.assign ? await rule.assign(input, effective, env) : undefined;
    let output = state.output;
    if (rule.output) {
      output = await rule.output({
        states: { input, context: env.context },
        variables: env.variables,
      });
    }
    // The state's Assign applies whichever rule matches; the rule's own Assign with it (the guide,
    // "Choice Rules (JSONata)"), the rule's winning where both name a variable.
    return { output, next: rule.next, assigned: { ...state.assigned, ...assigned } };
  }
  if (choice.defaultNext === undefined) {
    throw new TaskFailure('States.NoChoiceMatched', 'No Matches!');
  }
  const state = await finishState(fields, input, effective, { none: true }, env);
  return { ...state, next: choice.defaultNext };
}

/** What a Fail state throws: its Error and Cause, either of which may be absent. */
export function failStateFailure(error: unknown, cause: unknown): TaskFailure {
  if (error !== undefined && typeof error !== 'string') {
    throw statesRuntimeError(
      `The value of the Fail state's error must be a string, got ${JSON.stringify(error)}`,
    );
  }
  if (cause !== undefined && typeof cause !== 'string') {
    throw statesRuntimeError(
      `The value of the Fail state's cause must be a string, got ${JSON.stringify(cause)}`,
    );
  }
  return new TaskFailure(error ?? '', cause ?? '', {
    noError: error === undefined,
    noCause: cause === undefined,
  });
}

function jsonataValue(stateName: string, field: string, template: unknown): Value<unknown> {
  const evaluate = compileJsonataTemplate(template, { stateName, field });
  return (input, _effective, env) =>
    evaluate({
      states: { input, context: env.context },
      variables: env.variables,
    } satisfies JsonataEnv);
}

function pathValue(
  stateName: string,
  field: string,
  value: unknown,
  from: 'input' | 'effective',
): Value<unknown> {
  const evaluate = compilePathOrIntrinsic(value, { stateName, field });
  return async (input, effective, env) =>
    evaluate({
      input: from === 'input' ? input : effective,
      context: env.context,
      variables: env.variables,
    });
}

function compileFail(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): SimpleState {
  checkExclusive(stateName, state, ['Error', 'ErrorPath']);
  checkExclusive(stateName, state, ['Cause', 'CausePath']);
  const part = (field: 'Error' | 'Cause'): Value<unknown> | undefined => {
    const value = state[field];
    const path = state[`${field}Path`];
    if (value !== undefined) {
      if (typeof value !== 'string') {
        throw new InvalidAslDefinition(`State "${stateName}": ${field} must be a string`);
      }
      if (language === 'JSONata') return jsonataValue(stateName, field, value);
      return async () => value;
    }
    if (path !== undefined) return pathValue(stateName, `${field}Path`, path, 'input');
    return undefined;
  };
  return { type: 'Fail', error: part('Error'), cause: part('Cause'), transitions: [] };
}

const WAIT_SECONDS: NumberRule = {
  integer: true,
  min: 0,
  max: 99_999_999,
  kind: 'an integer from 0 to 99999999',
};

function compileWait(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): Value<number> {
  const fields = ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'].filter((f) => f in state);
  if (fields.length !== 1) {
    throw new InvalidAslDefinition(
      `State "${stateName}": a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (has ${fields.join(', ') || 'none'})`,
    );
  }
  const field = fields[0];
  if (field.startsWith('Seconds')) {
    const seconds = compileNumberField(stateName, state, 'Seconds', WAIT_SECONDS, language);
    return async (input, effective, env) =>
      (await (seconds as NumberField)(effective, input, env)) * 1000;
  }
  const raw = state[field];
  const jsonata = language === 'JSONata' && field === 'Timestamp' && typeof raw === 'string';
  let read: Value<unknown>;
  if (jsonata) {
    read = jsonataValue(stateName, field, raw);
  } else if (field === 'TimestampPath') {
    read = pathValue(stateName, field, raw, 'effective');
  } else {
    if (!(typeof raw === 'string' && parseTimestamp(raw))) {
      throw new InvalidAslDefinition(
        `State "${stateName}": Timestamp must be an RFC 3339 timestamp`,
      );
    }
    read = async () => raw;
  }
  return async (input, effective, env) => {
    const value = await read(input, effective, env);
    const instant = typeof value === 'string' ? parseTimestamp(value) : undefined;
    if (!instant) {
      const detail = `The ${field} of the Wait state must be an RFC 3339 timestamp, got ${JSON.stringify(value)}`;
      throw jsonata ? queryEvaluationError(detail) : statesRuntimeError(detail);
    }
    return Math.max(0, epochMs(instant) - Date.now());
  };
}

function compileChoice(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): SimpleState {
  if (!Array.isArray(state.Choices) || state.Choices.length === 0) {
    throw new InvalidAslDefinition(
      `State "${stateName}": a Choice state needs a non-empty Choices array`,
    );
  }
  const rules: ChoiceRule[] = (state.Choices as Record<string, unknown>[]).map((rule, i) => {
    const field = `Choices[${i}]`;
    if (rule === null || typeof rule !== 'object' || typeof rule.Next !== 'string') {
      throw new InvalidAslDefinition(`State "${stateName}": ${field} needs Next`);
    }
    const where = { stateName, field: `${field}.Assign` };
    if (language === 'JSONata') {
      if (!('Condition' in rule))
        throw new InvalidAslDefinition(
          `State "${stateName}": ${field} needs a Condition in a JSONata state`,
        );
      const condition = compileJsonataTemplate(rule.Condition, {
        stateName,
        field: `${field}.Condition`,
      });
      const assign = 'Assign' in rule ? compileAssignJsonata(rule.Assign, where) : undefined;
      return {
        next: rule.Next,
        test: async (input, _effective, env) => {
          const value = await condition({
            states: { input, context: env.context },
            variables: env.variables,
          });
          if (typeof value !== 'boolean') {
            throw queryEvaluationError(
              `The Condition of ${field} must evaluate to a boolean, got ${JSON.stringify(value)}`,
            );
          }
          return value;
        },
        assign: assign
          ? async (input, _effective, env) =>
              (await assign({
                states: { input, context: env.context },
                variables: env.variables,
              })) as Record<string, unknown>
          : undefined,
        output:
          'Output' in rule
            ? compileJsonataTemplate(rule.Output, { stateName, field: `${field}.Output` })
            : undefined,
      };
    }
    // The rule's Next and Assign are read here; compileChoiceRule reads the condition.
    const test = compileChoiceRule(rule, { stateName, field });
    const assign = rule.Assign !== undefined ? compileAssignPath(rule.Assign, where) : undefined;
    return {
      next: rule.Next,
      test: async (_input, effective, env) =>
        test({ input: effective, context: env.context, variables: env.variables }),
      assign: assign
        ? async (_input, effective, env) =>
            assign({ input: effective, context: env.context, variables: env.variables }) as Record<
              string,
              unknown
            >
        : undefined,
    };
  });
  const defaultNext = typeof state.Default === 'string' ? state.Default : undefined;
  return {
    type: 'Choice',
    rules,
    defaultNext,
    transitions: [...rules.map((r) => r.next), ...(defaultNext ? [defaultNext] : [])],
  };
}
