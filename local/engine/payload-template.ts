/**
 * Paths and payload templates for the fields the Distributed Map runner evaluates itself
 * (ItemsPath, ItemSelector, BatchInput, MaxConcurrencyPath, ...), with the `(input, context)`
 * shape it calls them with. They are the interpreter's own (asl/payload.ts, asl/json-path.ts):
 * the same JSONPath, intrinsic functions and errors as every other state. A Distributed Map's
 * fields see no workflow variables (docs/local-engine.md "Variables").
 */
import { UnsupportedAslFeature, statesRuntimeError } from './errors';
import { type FieldLocation, compilePathField, compileTemplate } from './asl/payload';
import { parsePath } from './asl/json-path';

export type { FieldLocation };

/** Reads one path from the effective input (`$…`) or the context object (`$$…`). */
export type PathEvaluator = (input: unknown, context: unknown) => unknown;

/** Builds one value from a payload template. */
export type TemplateEvaluator = (input: unknown, context: unknown) => unknown;

/** Compiles a JSONPath (`$.a.b`, `$$.Map.Item.Value`, `$.items[?(@.x)]`, ...). */
function compilePath(path: string, where: FieldLocation): PathEvaluator {
  const parsed = typeof path === 'string' ? parsePath(path) : null;
  if (!parsed || parsed.root.kind === 'variable') {
    throw new UnsupportedAslFeature(
      where.stateName,
      where.field,
      `${where.field} must be a JSONPath starting with "$", got ${JSON.stringify(path)}`,
    );
  }
  const read = compilePathField(path, where);
  return (input, context) => read({ input, context });
}

/** Like compilePath, but selecting nothing fails with States.Runtime naming the field. */
export function compileRequiredPath(path: string, where: FieldLocation): PathEvaluator {
  const read = compilePath(path, where);
  return (input, context) => {
    const value = read(input, context);
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
  const evaluate = compileTemplate(template, where);
  return (input, context) => evaluate({ input, context });
}
