/**
 * Payload templates in JSONPath mode (Parameters, ResultSelector, ItemSelector, Assign), compiled
 * once per definition: a key ending in `.$` takes the value of its path (`$…` the input, `$$…`
 * the context object, `$name…` a variable) or of its intrinsic function; every other value is
 * copied as it is. Static parts are shared, not copied: a template's output is never mutated by
 * the interpreter. docs/local-engine.md "Paths".
 */
import { UnsupportedAslFeature, statesRuntimeError } from '../errors';
import { compileIntrinsic, isIntrinsic } from './intrinsics';
import { type PathEnv, UnknownVariable, parsePath, readPath } from './json-path';

/** Where a template sits: `State "X"` and the field (`Parameters`, `Catch[0].Assign`, …). */
export interface FieldLocation {
  readonly stateName: string;
  readonly field: string;
}

export type Evaluator = (env: PathEnv) => unknown;

/** Compiles a template; the evaluator throws TaskFailure (States.Runtime, States.IntrinsicFailure). */
export function compileTemplate(template: unknown, where: FieldLocation): Evaluator {
  const compiled = compileValue(template, where, where.field);
  return typeof compiled === 'function' ? compiled : () => compiled.value;
}

/**
 * Compiles one path field (InputPath, ItemsPath, SecondsPath, …): undefined selects nothing. An
 * unknown variable fails with States.Runtime.
 */
export function compilePathField(path: unknown, where: FieldLocation): Evaluator {
  if (typeof path !== 'string' || !parsePath(path)) {
    throw new UnsupportedAslFeature(
      where.stateName,
      where.field,
      `${where.field} must be a JSONPath starting with "$", got ${JSON.stringify(path)}`,
    );
  }
  return (env) => readVariableSafe(path, env);
}

/** readPath with an unknown variable as States.Runtime. */
export function readVariableSafe(path: string, env: PathEnv): unknown {
  try {
    return readPath(path, env);
  } catch (error) {
    if (error instanceof UnknownVariable) {
      throw statesRuntimeError(`The variable '$${error.variable}' is not defined.`);
    }
    throw error;
  }
}

type Compiled = Evaluator | { readonly value: unknown };

function compileValue(template: unknown, where: FieldLocation, at: string): Compiled {
  if (Array.isArray(template)) {
    const parts = template.map((element, i) => compileValue(element, where, `${at}[${i}]`));
    if (parts.every((p) => typeof p !== 'function')) return { value: template };
    return (env) => parts.map((p) => (typeof p === 'function' ? p(env) : p.value));
  }
  if (template === null || typeof template !== 'object') return { value: template };

  const entries: { key: string; part: Compiled }[] = [];
  let dynamic = false;
  for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
    if (key.endsWith('.$')) {
      entries.push({
        key: key.slice(0, -2),
        part: compileDynamic(value, where, `${at}.${key}`, key),
      });
      dynamic = true;
    } else {
      const part = compileValue(value, where, `${at}.${key}`);
      if (typeof part === 'function') dynamic = true;
      entries.push({ key, part });
    }
  }
  if (!dynamic) return { value: template };
  return (env) => {
    const out: Record<string, unknown> = {};
    for (const { key, part } of entries) {
      out[key] = typeof part === 'function' ? part(env) : part.value;
    }
    return out;
  };
}

/**
 * A path or an intrinsic function given where a `.$` key's value would be (ErrorPath, CausePath):
 * its value, failing with States.Runtime when the path selects nothing.
 */
export function compilePathOrIntrinsic(value: unknown, where: FieldLocation): Evaluator {
  return compileDynamic(value, where, where.field, where.field);
}

function compileDynamic(value: unknown, where: FieldLocation, at: string, key: string): Evaluator {
  if (typeof value === 'string' && isIntrinsic(value)) {
    return compileIntrinsic(value, { stateName: where.stateName, field: at });
  }
  if (typeof value !== 'string' || !parsePath(value)) {
    throw new UnsupportedAslFeature(
      where.stateName,
      at,
      `${at} must be a JSONPath or an intrinsic function, got ${JSON.stringify(value)}`,
    );
  }
  return (env) => {
    const selected = readVariableSafe(value, env);
    if (selected === undefined) {
      throw statesRuntimeError(
        `The JSONPath '${value}' specified for the field '${key}' could not be found in the input '${JSON.stringify(env.input)}'`,
      );
    }
    return selected;
  };
}
