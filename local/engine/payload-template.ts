/**
 * Paths and payload templates for the JSONPath fields the Distributed Map runner evaluates itself
 * (ItemsPath, ItemSelector, BatchInput, ItemReader Parameters), with the PathEnv of the Map
 * state: its effective input (`$`), its context object (`$$`) and the workflow variables in scope
 * at the Map state (`$name`). They are the interpreter's own (asl/payload.ts, asl/json-path.ts):
 * the same JSONPath, intrinsic functions and errors as every other state.
 */
import { statesRuntimeError } from './errors';
import { type FieldLocation, compilePathField, compileTemplate } from './asl/payload';
import type { PathEnv } from './asl/json-path';

export type { FieldLocation, PathEnv };

/** Reads one path from the effective input (`$…`), the context object (`$$…`) or a variable. */
export type PathEvaluator = (env: PathEnv) => unknown;

/** Builds one value from a payload template. */
export type TemplateEvaluator = (env: PathEnv) => unknown;

/**
 * Compiles a JSONPath (`$.a.b`, `$$.Map.Item.Value`, `$items`, `$.items[?(@.x)]`, ...); selecting
 * nothing fails with States.Runtime naming the field, an unknown variable too.
 */
export function compileRequiredPath(path: string, where: FieldLocation): PathEvaluator {
  const read = compilePathField(path, where);
  return (env) => {
    const value = read(env);
    if (value === undefined) {
      throw statesRuntimeError(
        `State "${where.stateName}": the JSONPath ${path} of ${where.field} selects nothing in the input`,
      );
    }
    return value;
  };
}

/** Compiles a payload template (ItemSelector, BatchInput, legacy Parameters). */
export function compilePayloadTemplate(template: unknown, where: FieldLocation): TemplateEvaluator {
  return compileTemplate(template, where);
}
