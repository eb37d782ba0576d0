/**
 * JSONPath and payload templates, compiled once per definition for the fields the engine itself
 * evaluates (the Distributed Map's ItemsPath, ItemSelector, BatchInput, MaxConcurrencyPath, ...).
 * Everything else is evaluated by aws-local-stepfunctions.
 *
 * Semantics follow the library's (and AWS's JSONPath mode): `$…` paths read the effective input,
 * `$$…` paths the context object, keys ending in `.$` take the path's value, a path that selects
 * nothing fails with `States.Runtime`. Simple paths (`$`, `$.a.b`, `$.a[0]`) are walked directly,
 * which matters per item of a 10,000-item map; anything else goes through jsonpath-plus (the
 * library's own evaluator), wrap: false. Static parts of a template are shared, not copied: the
 * library clones every state input it receives, so no execution can see another's mutation.
 */
import { JSONPath } from 'jsonpath-plus';
import { UnsupportedAslFeature, statesRuntimeError } from './errors';

/** Reads one path from the effective input (`$…`) or the context object (`$$…`). */
export type PathEvaluator = (input: unknown, context: unknown) => unknown;

/** Builds one value from a payload template. */
export type TemplateEvaluator = (input: unknown, context: unknown) => unknown;

/** Where a path or template sits, for error messages: `State "X": ItemSelector...`. */
export interface FieldLocation {
  readonly stateName: string;
  readonly field: string;
}

const SIMPLE_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/;
const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g;
const hasOwn = Object.prototype.hasOwnProperty;

/** Compiles a JSONPath (`$.a.b`, `$$.Map.Item.Value`, `$.items[?(@.x)]`, ...). */
export function compilePath(path: string, where: FieldLocation): PathEvaluator {
  if (typeof path !== 'string' || !path.startsWith('$')) {
    throw new UnsupportedAslFeature(
      where.stateName,
      where.field,
      `${where.field} must be a JSONPath starting with "$", got ${JSON.stringify(path)}`,
    );
  }
  const fromContext = path.startsWith('$$');
  const relative = fromContext ? path.slice(1) : path;
  const read = compileRelative(relative);
  return fromContext ? (_input, context) => read(context) : (input) => read(input);
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

function compileRelative(path: string): (json: unknown) => unknown {
  if (path === '$') return (json) => json;
  if (SIMPLE_PATH.test(path)) {
    const keys: (string | number)[] = [];
    for (const match of path.matchAll(SEGMENT)) {
      keys.push(match[1] !== undefined ? match[1] : Number(match[2]));
    }
    return (json) => {
      let value: unknown = json;
      for (const key of keys) {
        if (value === null || typeof value !== 'object' || !hasOwn.call(value, key)) {
          return undefined;
        }
        value = (value as Record<string | number, unknown>)[key];
      }
      return value;
    };
  }
  return (json) => JSONPath({ path, json: json as object, wrap: false }) as unknown;
}

/**
 * Compiles a payload template (ItemSelector, BatchInput, legacy Parameters). Intrinsic functions
 * (`"x.$": "States.Format(...)"`) are refused here, at load time: the engine evaluates these
 * fields itself and implements no intrinsics.
 */
export function compilePayloadTemplate(template: unknown, where: FieldLocation): TemplateEvaluator {
  const compiled = compileValue(template, where, where.field);
  return typeof compiled === 'function' ? compiled : () => compiled.value;
}

type Compiled = TemplateEvaluator | { readonly value: unknown };

function compileValue(template: unknown, where: FieldLocation, at: string): Compiled {
  if (Array.isArray(template)) {
    const parts = template.map((element, i) => compileValue(element, where, `${at}[${i}]`));
    if (parts.every((p) => typeof p !== 'function')) return { value: template };
    return (input, context) =>
      parts.map((p) => (typeof p === 'function' ? p(input, context) : p.value));
  }
  if (template === null || typeof template !== 'object') return { value: template };

  const entries: { key: string; part: Compiled }[] = [];
  let dynamic = false;
  for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
    if (key.endsWith('.$')) {
      const name = key.slice(0, -2);
      if (typeof value !== 'string' || !value.startsWith('$')) {
        throw new UnsupportedAslFeature(
          where.stateName,
          where.field,
          `${at}.${key} uses an intrinsic function (${JSON.stringify(value)}); the local runtime evaluates ${where.field} itself and supports only JSONPath there`,
        );
      }
      const read = compilePath(value, { stateName: where.stateName, field: `${at}.${key}` });
      entries.push({
        key: name,
        part: (input, context) => {
          const selected = read(input, context);
          if (selected === undefined) {
            throw statesRuntimeError(
              `State "${where.stateName}": the JSONPath ${value} of ${at}.${key} selects nothing in the input`,
            );
          }
          return selected;
        },
      });
      dynamic = true;
    } else {
      const part = compileValue(value, where, `${at}.${key}`);
      if (typeof part === 'function') dynamic = true;
      entries.push({ key, part });
    }
  }
  if (!dynamic) return { value: template };
  return (input, context) => {
    const out: Record<string, unknown> = {};
    for (const { key, part } of entries) {
      out[key] = typeof part === 'function' ? part(input, context) : part.value;
    }
    return out;
  };
}
