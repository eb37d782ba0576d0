/**
 * JSONata as Step Functions evaluates it. Sections quoted are from the AWS Step Functions
 * developer guide, "Transforming data with JSONata in Step Functions", unless said otherwise.
 *
 * - Expressions ("Writing JSONata expressions in JSON strings"): a string that starts with `{%`
 *   and ends with `%}`, in an ASL field or in any string leaf of the object/array the field holds.
 *   "Improperly opening or closing the expression will result in a validation error": a proper
 *   expression wrapped in spaces, a string opening `{%` and never closing, and a string that closes
 *   `%}` after an inner `{%` (an attempt at interpolation) are refused at load time. Other strings
 *   are literals (`"not-evaluated": "$customerName"` stays as written).
 * - Bindings ("Reserved variable: $states"): `$states` is `{input, context, result?,
 *   errorOutput?}`; each visible workflow variable is bound as `$name`. There is no context item:
 *   a bare `name` or `$` at the top level reads nothing, and AWS refuses it at create time
 *   (UNSUPPORTED_JSONATA_EXPRESSION "Reference to 'x' at the top level is not supported", as is any
 *   `$$`; Floci's record of AWS), so this does too. A variable that is not defined is undefined, as
 *   JSONata has it: alone it fails the field with "returned nothing" (the guide does not say more).
 * - Built-ins ("Supported JSONata version"): all of JSONata's except `$eval` ("use $parse"); a call
 *   to `$eval` fails with T1006 as calling any non-function does. `$now()`/`$millis()` stay. The
 *   six added functions are in jsonata-functions.ts.
 * - Errors ("Handling expression errors"): whatever goes wrong while evaluating is
 *   `States.QueryEvaluationError`, which "Your Task, Map, and Parallel states can provide a Catch
 *   field to catch … and a Retry field to retry on" (so retryable and catchable). Causes in AWS's
 *   wording: "The JSONata expression '<expr>' specified for the field '<field>' returned nothing
 *   (undefined)." (a real AWS failure quoted in a public repository) and "… threw an error during
 *   evaluation. <code>: <message>" (Floci's record). The engine adds AWS's "An error occurred
 *   while executing the state …" prefix, which needs the history. A JavaScript error (TypeError,
 *   RangeError…) never names the failure: its message becomes the cause.
 * - Undefined inside a template ("Failure to return a result … would result in an error"): a key or
 *   array element whose expression gives undefined fails the field, named down to it
 *   (`Arguments/Input/pushLocation`, `Items[1]`): AWS fails, it does not drop the key.
 * - Results are plain JSON: JSONata's sequences become arrays, objects plain objects; a function
 *   anywhere in the result fails ("returned an unsupported result type", LocalStack's wording); a
 *   non-finite number becomes the string JavaScript names it by (`1/0` → "Infinity"), as Floci
 *   records AWS doing. A JSON null is a value, kept everywhere.
 * - Bounds ("Handling expression errors": "Expression timeout", "Stack overflow"): jsonata's own
 *   guardrails. Depth 100, the depth AWS allows (Floci's measurement; jsonata counts it the same:
 *   `1+…+1` of 100 terms passes, 101 fails). Time: a newer revision of the guide (seen in a copy,
 *   not confirmed on docs.aws.amazon.com) gives AWS's bound as 1 second; jsonata measures wall-clock time, which here includes every evaluation interleaved
 *   with it (a Map running 40 iterations) on a shared machine, so the local bound is 5 seconds.
 *   Either failure is a QueryEvaluationError with AWS's message. Not bounded: AWS's memory limit
 *   (except in `$range`), and a single built-in call that runs long (jsonata checks the clock
 *   between evaluation steps only).
 * - `$states.result` / `$states.errorOutput` where the field cannot read them: refused at load
 *   time when the caller passes `statesFields` (the guide: "caught at creation").
 * - Known differences: AWS implements JSONata 2.0.6, this is jsonata-js 2.2; `$now()` is read
 *   once per evaluation start of the compiled expression (concurrent evaluations share it);
 *   numbers are doubles (AWS keeps 64-bit integers exact).
 */
import jsonata from 'jsonata';
import { TaskFailure, UnsupportedAslFeature } from '../errors';
import { JsonataFunctionError, STEP_FUNCTIONS_JSONATA_FUNCTIONS } from './jsonata-functions';
import type { VariableScope } from './variables';

export interface FieldLocation {
  readonly stateName: string;
  readonly field: string;
}

/** `$states` of a JSONata state. */
export interface StatesBinding {
  readonly input: unknown;
  readonly context: unknown;
  readonly result?: unknown;
  readonly errorOutput?: unknown;
}

export interface JsonataEnv {
  readonly states: StatesBinding;
  readonly variables?: VariableScope;
}

/** A field of `$states`. */
export type StatesField = keyof StatesBinding;

export interface JsonataCompileOptions {
  /**
   * The `$states` fields this field may read; reading another is refused at load time ("Attempting
   * to access $states.result or $states.errorOutput in fields and states where they are not
   * accessible will be caught at creation"). @default all four
   */
  readonly statesFields?: readonly StatesField[];
  /** Wall-clock bound of one evaluation. @default EVALUATION_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Bound on evaluation depth. @default MAX_EVALUATION_DEPTH */
  readonly maxDepth?: number;
}

export const QUERY_EVALUATION_ERROR = 'States.QueryEvaluationError';
export const EVALUATION_TIMEOUT_MS = 5_000;
export const MAX_EVALUATION_DEPTH = 100;

/** A string that is exactly one `{% … %}` expression (no space before `{%` or after `%}`). */
export function isJsonataExpression(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length >= 4 && value.startsWith('{%') && value.endsWith('%}')
  );
}

/** The failure of a JSONata field: caught by Catch and retried by Retry, as the guide says. */
export function queryEvaluationError(cause: string): TaskFailure {
  return new TaskFailure(QUERY_EVALUATION_ERROR, cause, { retryable: true, catchable: true });
}

type Compiled =
  | { readonly kind: 'literal'; readonly value: unknown }
  | {
      readonly kind: 'expression';
      readonly field: string;
      readonly source: string;
      readonly expression: jsonata.Expression;
    }
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, Compiled])[] }
  | { readonly kind: 'array'; readonly items: readonly Compiled[] };

/**
 * Compiles a field value once at load time: a `{% %}` string, or a JSON value whose string leaves
 * may be `{% %}` expressions. A syntax error (or another definition AWS refuses at create time)
 * throws UnsupportedAslFeature naming the state and the field. Returns an async evaluator that
 * fails with States.QueryEvaluationError.
 */
export function compileJsonataTemplate(
  template: unknown,
  where: FieldLocation,
  options: JsonataCompileOptions = {},
): (env: JsonataEnv) => Promise<unknown> {
  const compiled = compileNode(template, where.field, where, options);
  if (compiled.kind === 'literal') {
    const { value } = compiled;
    return async () => structuredClone(value);
  }
  return (env) => evaluateNode(compiled, bindingsFor(env));
}

function compileNode(
  value: unknown,
  field: string,
  where: FieldLocation,
  options: JsonataCompileOptions,
): Compiled {
  if (typeof value === 'string') {
    if (isJsonataExpression(value)) return compileExpression(value, field, where, options);
    checkDelimiters(value, field, where);
    return { kind: 'literal', value };
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileNode(item, `${field}[${i}]`, where, options));
    return items.every((item) => item.kind === 'literal')
      ? { kind: 'literal', value }
      : { kind: 'array', items };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(
      ([key, item]) => [key, compileNode(item, `${field}/${key}`, where, options)] as const,
    );
    return entries.every(([, item]) => item.kind === 'literal')
      ? { kind: 'literal', value }
      : { kind: 'object', entries };
  }
  return { kind: 'literal', value };
}

function refuse(where: FieldLocation, field: string, detail: string): never {
  throw new UnsupportedAslFeature(where.stateName, field, `${detail} (field ${field})`);
}

/** "Improperly opening or closing the expression will result in a validation error." */
function checkDelimiters(value: string, field: string, where: FieldLocation): void {
  const trimmed = value.trim();
  // Opens without closing, or closes after an opening that is not the first thing in the string.
  const opens = trimmed.startsWith('{%');
  const closes = trimmed.endsWith('%}');
  if ((opens && !closes) || (closes && trimmed.includes('{%'))) {
    refuse(
      where,
      field,
      `${JSON.stringify(value)} is not a JSONata expression: one starts with {% and ends with %}, ` +
        'with no space before or after, and is the whole string',
    );
  }
}

function compileExpression(
  text: string,
  field: string,
  where: FieldLocation,
  options: JsonataCompileOptions,
): Compiled {
  const source = text.slice(2, -2).trim();
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, {
      timeout: options.timeoutMs ?? EVALUATION_TIMEOUT_MS,
      stack: options.maxDepth ?? MAX_EVALUATION_DEPTH,
    });
  } catch (error) {
    const at = positionOf(error);
    refuse(
      where,
      field,
      `INVALID_JSONATA_EXPRESSION: the JSONata expression '${source}' is not valid: ` +
        `${describeError(error)}${at === undefined ? '' : ` (at character ${at})`}`,
    );
  }
  checkReferences(expression.ast() as unknown as AstNode, source, field, where, options);
  for (const [name, implementation] of Object.entries(STEP_FUNCTIONS_JSONATA_FUNCTIONS)) {
    expression.registerFunction(name, implementation);
  }
  // "$eval is not supported in Step Functions workflows": bound to nothing, a call fails T1006.
  expression.assign('eval', undefined);
  return { kind: 'expression', field, source, expression };
}

interface AstNode {
  readonly type?: string;
  readonly value?: unknown;
  readonly steps?: readonly AstNode[];
  readonly [key: string]: unknown;
}

/** Children evaluated against something other than the expression's own context. */
const INNER_CONTEXT_KEYS = new Set(['stages', 'predicate', 'group', 'pattern', 'update', 'delete']);
const CHILD_KEYS = new Set([
  ...INNER_CONTEXT_KEYS,
  'lhs',
  'rhs',
  'expression',
  'expressions',
  'arguments',
  'procedure',
  'body',
  'condition',
  'then',
  'else',
  'terms',
  'expr',
]);

/**
 * What AWS refuses at create time: `$$` anywhere, a name or `$` read from the (absent) top-level
 * context, and a `$states` field this field cannot read.
 */
function checkReferences(
  root: AstNode,
  source: string,
  field: string,
  where: FieldLocation,
  options: JsonataCompileOptions,
): void {
  const unsupported = (what: string): never =>
    refuse(where, field, `UNSUPPORTED_JSONATA_EXPRESSION in '${source}': ${what}`);
  const visit = (node: unknown, top: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, top);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const ast = node as AstNode;
    if (ast.type === 'variable' && ast.value === '$')
      unsupported("Reference to '$$' is not supported.");
    if (top && ast.type === 'variable' && ast.value === '') {
      unsupported(
        "Reference to '$' at the top level is not supported; read the input as $states.input.",
      );
    }
    if (top && ast.type === 'name') {
      unsupported(
        `Reference to '${String(ast.value)}' at the top level is not supported; ` +
          'read the input as $states.input and a variable as $name.',
      );
    }
    if (ast.type === 'path' && ast.steps) {
      checkStatesField(ast.steps, options, unsupported);
      ast.steps.forEach((step, i) => visit(step, top && i === 0));
    }
    for (const [key, child] of Object.entries(ast)) {
      if (CHILD_KEYS.has(key)) visit(child, top && !INNER_CONTEXT_KEYS.has(key));
    }
  };
  visit(root, true);
}

function checkStatesField(
  steps: readonly AstNode[],
  options: JsonataCompileOptions,
  unsupported: (what: string) => never,
): void {
  const [first, second] = steps;
  if (!options.statesFields || first?.type !== 'variable' || first.value !== 'states') return;
  if (second?.type !== 'name' || typeof second.value !== 'string') return;
  const name = second.value;
  if (['input', 'context', 'result', 'errorOutput'].includes(name)) {
    if (!options.statesFields.includes(name as StatesField)) {
      unsupported(`$states.${name} cannot be read in this field.`);
    }
  }
}

function bindingsFor(env: JsonataEnv): Record<string, unknown> {
  const bindings: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (env.variables) {
    for (const [name, value] of Object.entries(env.variables.visible())) bindings[name] = value;
  }
  const states: Record<string, unknown> = { input: env.states.input, context: env.states.context };
  if (env.states.result !== undefined) states.result = env.states.result;
  if (env.states.errorOutput !== undefined) states.errorOutput = env.states.errorOutput;
  bindings.states = states;
  return bindings;
}

async function evaluateNode(node: Compiled, bindings: Record<string, unknown>): Promise<unknown> {
  switch (node.kind) {
    case 'literal':
      return structuredClone(node.value);
    case 'expression':
      return evaluateExpression(node, bindings);
    case 'array': {
      const out: unknown[] = [];
      for (const item of node.items) out.push(await evaluateNode(item, bindings));
      return out;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of node.entries) setKey(out, key, await evaluateNode(item, bindings));
      return out;
    }
  }
}

async function evaluateExpression(
  node: Extract<Compiled, { kind: 'expression' }>,
  bindings: Record<string, unknown>,
): Promise<unknown> {
  const about = `The JSONata expression '${node.source}' specified for the field '${node.field}'`;
  let result: unknown;
  try {
    result = await node.expression.evaluate(undefined, bindings);
  } catch (error) {
    throw queryEvaluationError(
      `${about} threw an error during evaluation. ${describeError(error)}`,
    );
  }
  if (result === undefined) throw queryEvaluationError(`${about} returned nothing (undefined).`);
  const json = toJson(result);
  if (json === UNSUPPORTED) {
    throw queryEvaluationError(`${about} returned an unsupported result type.`);
  }
  return json;
}

const UNSUPPORTED = Symbol('unsupported');

function isFunctionValue(value: object): boolean {
  const marks = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown };
  return marks._jsonata_lambda === true || marks._jsonata_function === true;
}

/** A JSONata result as plain JSON; UNSUPPORTED when it holds a function. */
function toJson(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  if (typeof value !== 'object' || isFunctionValue(value)) return UNSUPPORTED;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const json = item === undefined ? null : toJson(item);
      if (json === UNSUPPORTED) return UNSUPPORTED;
      out.push(json);
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const json = toJson(item);
    if (json === UNSUPPORTED) return UNSUPPORTED;
    setKey(out, key, json);
  }
  return out;
}

/** `out[key] = value`, a `__proto__` key included (it is data here, not the prototype). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}

function positionOf(error: unknown): number | undefined {
  const position = (error as { position?: unknown } | null)?.position;
  return typeof position === 'number' ? position : undefined;
}

/** `<code>: <message>` as AWS writes a JSONata error; the bounds in AWS's own words. */
function describeError(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  const { code, message, value } = error as { code?: unknown; message?: unknown; value?: unknown };
  if (code === 'D1011') {
    return (
      'Stack overflow error: Check for non-terminating recursive function. Consider rewriting ' +
      `as tail-recursive. Depth=${Number(value) + 1} max=${String(value)}`
    );
  }
  if (code === 'D1012') return 'Expression evaluation timeout: Check for infinite loop';
  const text = typeof message === 'string' ? message : String(error);
  if (
    typeof code === 'string' &&
    (error instanceof JsonataFunctionError || !(error instanceof Error))
  ) {
    return `${code}: ${text}`;
  }
  return text;
}
