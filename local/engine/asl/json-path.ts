/**
 * JSONPath as Step Functions evaluates it (docs/local-engine.md "Paths"):
 * - `$…` reads the state's effective input, `$$…` the context object, `$name…` a workflow
 *   variable (variables.ts);
 * - a definite path (only `.key`, `['key']` and `[n]` steps) selects one value or nothing;
 * - an indefinite path (`[*]`, `..`, slices, unions, filters) always selects a list, `[]` when
 *   nothing matches (AWS gives `[]` for `$.missing[*]`, it does not fail);
 * - ResultPath (a reference path) writes the result into a copy of the input, creating the
 *   objects on its way; a step through something that is not an object fails.
 * Definite paths are walked directly (the per-item cost of a 10,000-item Map); anything else goes
 * through jsonpath-plus.
 */
import { JSONPath } from 'jsonpath-plus';
import type { VariableScope } from './variables';

/** What a path reads from. */
export interface PathEnv {
  /** The state's effective input (`$`). */
  readonly input: unknown;
  /** The context object (`$$`). */
  readonly context: unknown;
  /** The workflow variables visible to the state (`$name`). */
  readonly variables?: VariableScope;
}

type Step = string | number;

/** `$`, `$$` or `$name`, then the rest of the path (`.a[0]…`). */
const ROOT = /^\$(\$|[A-Za-z_][A-Za-z0-9_]*)?/;
const DEFINITE_STEP =
  /^(?:\.([A-Za-z_$@][^.[\]\s'"()*?,:]*)|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\])/;

/** A parsed path: where it reads from and, when definite, its steps. */
export interface ParsedPath {
  readonly text: string;
  readonly root:
    { readonly kind: 'input' | 'context' } | { readonly kind: 'variable'; readonly name: string };
  /** The path below the root, as jsonpath-plus reads it (`$` plus the rest). */
  readonly relative: string;
  /** The steps of a definite path; undefined for an indefinite one. */
  readonly steps?: readonly Step[];
}

const cache = new Map<string, ParsedPath | null>();
const CACHE_LIMIT = 10_000;
const hasOwn = Object.prototype.hasOwnProperty;

/** Parses `path`; null when it is not a path Step Functions accepts (no leading `$`). */
export function parsePath(path: string): ParsedPath | null {
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  const parsed = parseUncached(path);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(path, parsed);
  return parsed;
}

function parseUncached(text: string): ParsedPath | null {
  if (typeof text !== 'string') return null;
  const root = ROOT.exec(text);
  if (!root) return null;
  const rest = text.slice(root[0].length);
  if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) return null;
  const kind =
    root[1] === undefined
      ? ({ kind: 'input' } as const)
      : root[1] === '$'
        ? ({ kind: 'context' } as const)
        : ({ kind: 'variable', name: root[1] } as const);
  return { text, root: kind, relative: `$${rest}`, steps: definiteSteps(rest) };
}

function definiteSteps(rest: string): Step[] | undefined {
  const steps: Step[] = [];
  let remaining = rest;
  while (remaining !== '') {
    const match = DEFINITE_STEP.exec(remaining);
    if (!match) return undefined;
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(match[2].replace(/\\(.)/g, '$1'));
    else if (match[3] !== undefined) steps.push(match[3].replace(/\\(.)/g, '$1'));
    else steps.push(Number(match[4]));
    remaining = remaining.slice(match[0].length);
  }
  return steps;
}

/** Whether `path` is a reference path (definite: what ResultPath and the *Path fields accept). */
export function isReferencePath(path: string): boolean {
  const parsed = parsePath(path);
  return parsed !== null && parsed.steps !== undefined;
}

/** The root value a parsed path reads from; `found: false` for an unknown variable. */
function rootValue(path: ParsedPath, env: PathEnv): { found: boolean; value?: unknown } {
  switch (path.root.kind) {
    case 'input':
      return { found: true, value: env.input };
    case 'context':
      return { found: true, value: env.context };
    default: {
      const name = path.root.name;
      if (!env.variables?.has(name)) return { found: false };
      return { found: true, value: env.variables.get(name) };
    }
  }
}

/** Thrown for `$name` when no variable `name` is visible (the caller turns it into States.Runtime). */
export class UnknownVariable extends Error {
  override readonly name = 'UnknownVariable';
  constructor(readonly variable: string) {
    super(`The variable $${variable} is not defined`);
  }
}

/**
 * Reads `path` (a string starting with `$`). A definite path gives its value or undefined when
 * it selects nothing; an indefinite one a list (maybe empty). Throws UnknownVariable for an
 * undefined variable and TypeError when `path` is not a path.
 */
export function readPath(path: string, env: PathEnv): unknown {
  const parsed = parsePath(path);
  if (!parsed) throw new TypeError(`${JSON.stringify(path)} is not a JSONPath`);
  const root = rootValue(parsed, env);
  if (!root.found) throw new UnknownVariable((parsed.root as { name: string }).name);
  if (parsed.steps) return walk(root.value, parsed.steps);
  if (root.value === null || typeof root.value !== 'object') return [];
  const result = JSONPath({ path: parsed.relative, json: root.value as object, wrap: true });
  return Array.isArray(result) ? (result as unknown[]) : [];
}

function walk(value: unknown, steps: readonly Step[]): unknown {
  let current = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return undefined;
      current = current[step];
    } else {
      if (Array.isArray(current) || !hasOwn.call(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

/** Why ResultPath could not be applied (the caller raises States.ResultPathMatchFailure). */
export class ResultPathMismatch extends Error {
  override readonly name = 'ResultPathMismatch';
}

/**
 * The input with `result` placed at the reference path `path` (`$` replaces it). The input is
 * not mutated: the objects along the path are copied. Throws ResultPathMismatch when a step
 * meets a value that is not an object (or an array index out of range).
 */
export function setAtPath(input: unknown, path: string, result: unknown): unknown {
  const parsed = parsePath(path);
  if (!parsed || !parsed.steps || parsed.root.kind !== 'input') {
    throw new ResultPathMismatch(`${path} is not a reference path into the input`);
  }
  return setSteps(input, parsed.steps, result, path);
}

function setSteps(target: unknown, steps: readonly Step[], value: unknown, path: string): unknown {
  if (steps.length === 0) return value;
  const [step, ...rest] = steps;
  if (typeof step === 'number') {
    if (!Array.isArray(target) || step >= target.length) {
      throw new ResultPathMismatch(
        `Unable to apply ReferencePath ${path} to input ${JSON.stringify(target)}`,
      );
    }
    const copy = [...(target as unknown[])];
    copy[step] = setSteps(copy[step], rest, value, path);
    return copy;
  }
  if (target === null || typeof target !== 'object' || Array.isArray(target)) {
    throw new ResultPathMismatch(
      `Unable to apply ReferencePath ${path} to input ${JSON.stringify(target)}`,
    );
  }
  const copy: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  const next = hasOwn.call(copy, step) ? copy[step] : {};
  // defineProperty: a key named __proto__ is data, not the object's prototype.
  Object.defineProperty(copy, step, {
    value: setSteps(next, rest, value, path),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}
