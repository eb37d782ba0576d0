/**
 * Number fields given as a number or as their `…Path` twin (MaxConcurrency(Path), the Distributed
 * Map's ToleratedFailure*(Path) and ItemBatcher limits, a Task's TimeoutSeconds(Path)): one rule
 * per field, checked on the static value when the definition loads and on the value a `…Path`
 * reads when a run starts, with one wording for both the inline and the Distributed Map
 * (distributed-map-config.ts has the guide's statements and the decisions behind them).
 */
import { InvalidAslDefinition, statesRuntimeError } from '../errors';
import { compileJsonataTemplate, queryEvaluationError } from './jsonata';
import type { PathEnv } from './json-path';
import { type Evaluator, compilePathField } from './payload';
import type { FieldEnv, QueryLanguage } from './state-fields';

/** A number given in the definition, or read by its `…Path` twin (`field`) when a run starts. */
export type NumberSource =
  | { readonly value: number }
  | { readonly path: Evaluator; readonly pathText: string; readonly field: string };

/** What a number field takes: checked at load (static) and when a run reads its `…Path`. */
export interface NumberRule {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  /** What a value read by the `…Path` must be, for its error: `a non-negative integer`. */
  readonly kind: string;
  /** What the static value must be, for its error (default: `an integer in <min>..<max>`). */
  readonly staticText?: string;
}

export const NON_NEGATIVE_INTEGER: NumberRule = {
  integer: true,
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  kind: 'a non-negative integer',
};
export const POSITIVE_INTEGER: NumberRule = {
  integer: true,
  min: 1,
  max: Number.MAX_SAFE_INTEGER,
  kind: 'a positive integer',
};
export const PERCENTAGE: NumberRule = {
  integer: false,
  min: 0,
  max: 100,
  kind: 'a number between 0 and 100',
};

/** How a definition that gives a bad number is refused. */
export type Refuse = (stateName: string, field: string, detail: string) => Error;

const invalid: Refuse = (stateName, field, detail) =>
  new InvalidAslDefinition(detail, { stateName, field });

/**
 * A field given as a number or as `<Field>Path` (a Path is evaluated on each run), not both. `at`
 * names the field in errors (`ItemReader.ReaderConfig.MaxItems`).
 */
export function numberSource(
  stateName: string,
  holder: Record<string, unknown>,
  field: string,
  rule: NumberRule,
  at: string = field,
  refuse: Refuse = invalid,
): NumberSource | undefined {
  const pathField = `${field}Path`;
  if (holder[pathField] === undefined) {
    const value = staticNumber(stateName, holder, field, rule, at, refuse);
    return value === undefined ? undefined : { value };
  }
  if (holder[field] !== undefined) {
    throw refuse(
      stateName,
      at,
      `${at} and ${pathField} cannot both be given ("You can specify either … but not both"); give one`,
    );
  }
  const pathText = String(holder[pathField]);
  return {
    path: compilePathField(pathText, { stateName, field: `${at}Path` }),
    pathText,
    field: pathField,
  };
}

/** A number given in the definition: checked at load, so a bad one is an UnsupportedAslFeature. */
function staticNumber(
  stateName: string,
  holder: Record<string, unknown>,
  field: string,
  rule: NumberRule,
  at: string,
  refuse: Refuse,
): number | undefined {
  const value = holder[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || valueProblem(value, rule) !== undefined) {
    const expected =
      rule.staticText ?? `${rule.integer ? 'an integer' : 'a number'} in ${rule.min}..${rule.max}`;
    throw refuse(stateName, at, `${at} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A number for this run. A Path that selects nothing, or selects what the field does not take,
 * fails the run with States.Runtime.
 */
export function resolveNumber(source: NumberSource, env: PathEnv, rule: NumberRule): number {
  if ('value' in source) return source.value;
  const value = selectedNumber(source, env);
  const problem = valueProblem(value, rule);
  if (problem !== undefined) {
    throw statesRuntimeError(refersTo(source, value, problem));
  }
  return value as number;
}

/** What a `…Path` selects; nothing fails the run with States.Runtime. */
export function selectedNumber(
  source: Extract<NumberSource, { path: Evaluator }>,
  env: PathEnv,
): unknown {
  const value = source.path(env);
  if (value === undefined) {
    throw statesRuntimeError(
      `Invalid path '${source.pathText}' : No results for path: ${source.field}`,
    );
  }
  return value;
}

/** Why `value` does not fit `rule` (what it is not), or undefined when it does. */
function valueProblem(value: unknown, rule: NumberRule): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return rule.integer ? 'a valid integer' : 'a valid number';
  }
  if (rule.integer && !Number.isInteger(value)) return 'a valid integer';
  return value < rule.min || value > rule.max ? rule.kind : undefined;
}

/** `The MaxConcurrencyPath field refers to value "x" which is not a valid integer: $.limit`. */
export function refersTo(
  source: Extract<NumberSource, { path: Evaluator }>,
  value: unknown,
  problem: string,
): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `The ${source.field} field refers to value "${shown}" which is not ${problem}: ${source.pathText}`;
}

/** A state's number field for one run: from its effective input (a `…Path`) or its raw input (JSONata). */
export type NumberField = (effective: unknown, input: unknown, env: FieldEnv) => Promise<number>;

/**
 * A number field of an interpreted state (MaxConcurrency, TimeoutSeconds): a number, its `…Path`
 * twin, or in a JSONata state an expression (a value outside the rule: States.QueryEvaluationError).
 * Undefined when the state gives none.
 */
export function compileNumberField(
  stateName: string,
  state: Record<string, unknown>,
  field: string,
  rule: NumberRule,
  language: QueryLanguage,
): NumberField | undefined {
  const value = state[field];
  if (language === 'JSONata' && typeof value === 'string') {
    const evaluate = compileJsonataTemplate(value, { stateName, field });
    return async (_effective, input, env) => {
      const n = await evaluate({
        states: { input, context: env.context },
        variables: env.variables,
      });
      if (valueProblem(n, rule) !== undefined) {
        throw queryEvaluationError(
          `The ${field} expression must give ${rule.kind}, got ${JSON.stringify(n) ?? 'nothing'}`,
        );
      }
      return n as number;
    };
  }
  const source = numberSource(stateName, state, field, rule);
  if (!source) return undefined;
  return async (effective, _input, env) =>
    resolveNumber(
      source,
      { input: effective, context: env.context, variables: env.variables },
      rule,
    );
}
