/**
 * What a DISTRIBUTED Map's own fields read in one run, and how a field is compiled to read it: a
 * MapRunEnv (the Map's effective input, the state's raw input, its context object, the workflow
 * variables in scope at the Map state), seen by a JSONPath field as `$`, `$$` and `$name` (the
 * interpreter's paths and templates, asl/payload.ts) and by a JSONata expression as
 * `$states.input`, `$states.context` and `$name` (asl/jsonata.ts); a payload template (BatchInput,
 * ItemReader Parameters / Arguments) and a number field (a number, its `…Path` twin or an
 * expression, asl/number-fields.ts) compiled into one evaluator over it. Which fields there are
 * and their rules: distributed-map-config.ts's header; the fields of the ItemReader
 * (distributed-map-item-reader.ts) and the ItemBatcher (distributed-map-batching.ts) read the same
 * MapRunEnv.
 */
import { InvalidAslDefinition } from './errors';
import type { PathEnv } from './asl/json-path';
import {
  type JsonataCompileOptions,
  type JsonataEnv,
  compileJsonataTemplate,
  isJsonataExpression,
} from './asl/jsonata';
import { type NumberField, type NumberRule, compileNumberField } from './asl/number-fields';
import { compileTemplate } from './asl/payload';
import type { FieldEnv, QueryLanguage } from './asl/state-fields';
import { VariableScope } from './asl/variables';

/** What the Map's fields read in one run (the runner builds it from the stand-in Task's call). */
export interface MapRunEnv {
  /**
   * The Map's effective input: JSONPath's `$` (after InputPath); a JSONata Map's raw input
   * (`$states.input`: it has no Arguments, and a JSONata state no InputPath).
   */
  readonly input: unknown;
  /** The context object as the Map state sees it (`$$`, `$states.context`). */
  readonly context: Record<string, unknown>;
  /** The workflow variables in scope at the Map state (`$name`). @default none */
  readonly variables?: VariableScope;
}

/** No variables: what a MapRunEnv without any reads. Never assigned to. */
const NO_VARIABLES = new VariableScope();

/** `$states` may read the input and the context in a Map's fields, nothing else. */
export const MAP_JSONATA: JsonataCompileOptions = { statesFields: ['input', 'context'] };

/** A field's value in one run: Items(Path), ItemSelector, BatchInput, ItemReader's parameters. */
export type Evaluate = (env: MapRunEnv) => unknown;

/** What a JSONPath field reads: the effective input, the context object, the variables. */
export function pathEnv(env: MapRunEnv): PathEnv {
  return { input: env.input, context: env.context, variables: env.variables };
}

/** What a JSONata expression reads: `$states.input`, `$states.context`, the variables. */
export function jsonataEnv(env: MapRunEnv): JsonataEnv {
  return {
    states: { input: env.input, context: env.context },
    variables: env.variables ?? NO_VARIABLES,
  };
}

/** What a number field's `…Path` or expression reads besides the inputs. */
function fieldEnv(env: MapRunEnv): FieldEnv {
  return { context: env.context, variables: env.variables ?? NO_VARIABLES };
}

/** A number field's value in this run (MaxConcurrency, ToleratedFailure*, the ItemBatcher limits). */
export function readNumber(field: NumberField, env: MapRunEnv): Promise<number> {
  return field(env.input, env.input, fieldEnv(env));
}

/** A payload template (JSONPath) or a JSONata template, as one evaluator. */
export function payload(
  template: unknown,
  where: { stateName: string; field: string },
  language: QueryLanguage,
): Evaluate {
  if (language === 'JSONPath') {
    const evaluate = compileTemplate(template, where);
    return (env) => evaluate(pathEnv(env));
  }
  const evaluate = compileJsonataTemplate(template, where, MAP_JSONATA);
  return (env) => evaluate(jsonataEnv(env));
}

/**
 * A number field (MaxConcurrency, ToleratedFailure*, the ItemBatcher limits): a number, its
 * `…Path` twin (JSONPath) or a `{% %}` expression (JSONata); a JSONata Map's string that is not
 * an expression is refused at load.
 */
export function numberField(
  stateName: string,
  holder: Record<string, unknown>,
  field: string,
  rule: NumberRule,
  language: QueryLanguage,
): NumberField | undefined {
  checkNumberOrExpression(stateName, field, holder[field], language);
  return compileNumberField(stateName, holder, field, rule, language);
}

/**
 * Refuses at load, with InvalidAslDefinition naming `field`, a JSONata Map's number field given as
 * a string that is not a `{% %}` expression (asl-validator's JSONata Map schema: a number or an
 * expression).
 */
export function checkNumberOrExpression(
  stateName: string,
  field: string,
  value: unknown,
  language: QueryLanguage,
): void {
  if (language === 'JSONata' && typeof value === 'string' && !isJsonataExpression(value)) {
    throw new InvalidAslDefinition(
      `${field} must be a number or a JSONata expression ({% … %}), got ${JSON.stringify(value)}`,
      { stateName, field },
    );
  }
}
