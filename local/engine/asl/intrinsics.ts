/**
 * Intrinsic functions of JSONPath states (`"x.$": "States.Format(...)"`), as the AWS Step
 * Functions developer guide describes them ("Intrinsic functions for JSONPath states in Step
 * Functions"). Parsed once at load time (intrinsics-parser.ts); a syntax error, an unknown
 * function, a wrong argument count, more than 10 calls in one field, or a literal argument AWS
 * refuses is an UnsupportedAslFeature naming the state and the field.
 *
 * Failures at run time:
 * - a path argument that selects nothing, or an unknown variable, is `States.Runtime` (neither
 *   retried nor caught). The guide lists States.Runtime as the error States.ALL cannot catch;
 *   the cause is the text AWS writes: "The function '<expression>' had the following error: The
 *   JsonPath argument for the field '$.x' could not be found in the input '<input>'" (observed on
 *   AWS; the guide has no example). A path to an explicit `null` is a value, not a miss.
 * - any other failure (a wrong argument type, a limit) is `States.IntrinsicFailure`, which the
 *   guide's error list names for a failed intrinsic invocation; States.ALL matches it, so it is
 *   retryable and catchable like any error other than States.Runtime and States.DataLimitExceeded.
 *   A JavaScript error never leaks: JSON.parse and friends are wrapped into it.
 *
 * Behaviour the guide states (quoted in test/local/asl-intrinsics.test.ts) plus these decisions,
 * taken from AWS executions recorded by LocalStack's AWS-validated snapshots where the guide is
 * silent, and otherwise chosen as the least surprising:
 * - Numbers that must be integers (MathAdd, MathRandom, ArrayRange, ArrayPartition's chunk size)
 *   are rounded the way the guide says ("round it off to the nearest integer") and AWS does (Java
 *   Math.round: half up, so 1.5 -> 2, -1.5 -> -1, -2.5 -> -2); MathAdd's arguments and sum must lie
 *   in -2147483648..2147483647. ArrayGetItem's index is not rounded: it must be an integer inside
 *   the array, else IntrinsicFailure (the old library answered null).
 * - States.Format renders strings raw, numbers, booleans and null as JSON, and objects and arrays
 *   the way AWS does (Java's toString: {a=1, b=[x, 2]}). Its template's `{}` count must equal the
 *   argument count (checked at load time for a literal template). Other braces are text.
 * - States.StringSplit splits on every character of the delimiter and drops empty parts (AWS runs
 *   Java's StringTokenizer: "This.is+a,test=string" on ".+,=" gives 5 parts); "" gives [].
 * - States.StringToJson of "" or of whitespace is null, as on AWS; invalid JSON is IntrinsicFailure.
 * - States.MathRandom returns an integer in [start, end) (Java's Random.nextInt bound; start must
 *   be below end); with a seed it runs Java's java.util.Random so a seed always gives one number.
 * - Base64 uses the standard alphabet with padding and no line breaks, over UTF-8; Base64Decode
 *   refuses text that is not Base64. Hash, Base64Encode and Base64Decode take at most 10,000
 *   characters; ArrayRange builds at most 1000 items; JsonMerge refuses deep=true.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { TaskFailure, UnsupportedAslFeature, statesRuntimeError } from '../errors';
import { parsePath, type PathEnv, readPath, UnknownVariable } from './json-path';
import {
  countCalls,
  type IntrinsicCall,
  type IntrinsicNode,
  IntrinsicSyntaxError,
  parseIntrinsic,
} from './intrinsics-parser';

/** Where an intrinsic sits, for load-time errors: e.g. field "Parameters.x.$". */
export interface FieldLocation {
  readonly stateName: string;
  readonly field: string;
}

/** True when a `.$` field's value is an intrinsic call (starts with "States."). */
export function isIntrinsic(text: string): boolean {
  return typeof text === 'string' && text.startsWith('States.');
}

/** "You can nest up to 10 intrinsic functions within a field" (the guide counts every call). */
const MAX_CALLS = 10;
const MAX_TEXT = 10_000;
const MAX_RANGE = 1000;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const HASHES: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** An argument or a result AWS refuses; becomes States.IntrinsicFailure (or a load-time error). */
class Invalid extends Error {}

type Check = (value: unknown, position: number) => unknown;
interface Spec {
  readonly min: number;
  readonly max: number;
  /** Checks (and normalizes) the argument at each position; `rest` for the variadic tail. */
  readonly args: readonly Check[];
  readonly rest?: Check;
  readonly run: (args: unknown[], call: IntrinsicCall) => unknown;
}

const any: Check = (value) => value;
const typed =
  (type: string, test: (value: unknown) => boolean): Check =>
  (value, position) => {
    if (!test(value)) throw new Invalid(`argument ${position} must be ${type}, not ${show(value)}`);
    return value;
  };
const str = typed('a string', (v) => typeof v === 'string');
const arr = typed('an array', Array.isArray);
const bool = typed('a boolean', (v) => typeof v === 'boolean');
const obj = typed('a JSON object', (v) => v !== null && typeof v === 'object' && !Array.isArray(v));
const num = typed('a number', (v) => typeof v === 'number' && Number.isFinite(v));
const shortText: Check = (value, position) => {
  const s = str(value, position) as string;
  if (s.length > MAX_TEXT) {
    throw new Invalid(`argument ${position} has ${s.length} characters; at most ${MAX_TEXT}`);
  }
  return s;
};
/** Java's Math.round, which is JavaScript's (half up); -0 becomes 0. */
const rounded: Check = (value, position) => Math.round(num(value, position) as number) + 0;
const int32: Check = (value, position) => inInt(rounded(value, position) as number, position);
const positive: Check = (value, position) => {
  const n = rounded(value, position) as number;
  if (n < 1) throw new Invalid(`argument ${position} must be a positive integer, not ${n}`);
  return n;
};
const nonZero: Check = (value, position) => {
  const n = rounded(value, position) as number;
  if (n === 0) throw new Invalid(`argument ${position} (the step) must not be 0`);
  return n;
};
const notDeep: Check = (value, position) => {
  if (bool(value, position)) {
    throw new Invalid('deep merging is not supported: the third argument must be false');
  }
  return false;
};
const algorithm: Check = (value, position) => {
  if (typeof value !== 'string' || !Object.hasOwn(HASHES, value)) {
    throw new Invalid(
      `argument ${position} must be one of ${Object.keys(HASHES).join(', ')}, not ${show(value)}`,
    );
  }
  return value;
};

function inInt(value: number, position: number | 'the result'): number {
  if (value < INT_MIN || value > INT_MAX) {
    const what = position === 'the result' ? position : `argument ${position}`;
    throw new Invalid(`${what} (${value}) is outside the integer range ${INT_MIN}..${INT_MAX}`);
  }
  return value;
}

const SPECS: Readonly<Record<string, Spec>> = {
  'States.Format': {
    min: 1,
    max: Infinity,
    args: [str],
    rest: any,
    run: ([template, ...values], call) => {
      const first = call.args[0];
      const parts =
        first.kind === 'literal' && 'templateParts' in first
          ? first.templateParts
          : (template as string).split('{}');
      if (parts.length - 1 !== values.length) throw new Invalid(formatCountMismatch(parts, values));
      return parts.reduce((out, part, i) => out + javaString(values[i - 1]) + part);
    },
  },
  'States.StringToJson': {
    min: 1,
    max: 1,
    args: [str],
    run: ([s]) => {
      if ((s as string).trim() === '') return null;
      try {
        const value = JSON.parse(s as string) as unknown;
        return value === 0 ? 0 : value; // "-0" is 0, as on AWS
      } catch (error) {
        throw new Invalid(`the argument is not JSON text (${(error as Error).message})`);
      }
    },
  },
  'States.JsonToString': { min: 1, max: 1, args: [any], run: ([v]) => JSON.stringify(v) },
  'States.Array': { min: 0, max: Infinity, args: [], rest: any, run: (args) => args },
  'States.ArrayPartition': {
    min: 2,
    max: 2,
    args: [arr, positive],
    run: ([array, size]) => {
      const items = array as unknown[];
      const chunk = size as number;
      const chunks: unknown[][] = [];
      for (let i = 0; i < items.length; i += chunk) chunks.push(items.slice(i, i + chunk));
      return chunks;
    },
  },
  'States.ArrayContains': {
    min: 2,
    max: 2,
    args: [arr, any],
    run: ([array, value]) => (array as unknown[]).some((item) => jsonEqual(item, value)),
  },
  'States.ArrayRange': {
    min: 3,
    max: 3,
    args: [rounded, rounded, nonZero],
    run: ([first, last, step]) => {
      const [a, b, s] = [first, last, step] as number[];
      const count = Math.max(0, Math.floor((b - a) / s) + 1);
      if (count > MAX_RANGE) {
        throw new Invalid(`the range has ${count} items; at most ${MAX_RANGE}`);
      }
      return Array.from({ length: count }, (_, i) => a + i * s);
    },
  },
  'States.ArrayGetItem': {
    min: 2,
    max: 2,
    args: [arr, num],
    run: ([array, index]) => {
      const items = array as unknown[];
      const i = index as number;
      if (!Number.isInteger(i) || i < 0 || i >= items.length) {
        throw new Invalid(`index ${i} is not an index of an array of length ${items.length}`);
      }
      return items[i];
    },
  },
  'States.ArrayLength': { min: 1, max: 1, args: [arr], run: ([a]) => (a as unknown[]).length },
  'States.ArrayUnique': {
    min: 1,
    max: 1,
    args: [arr],
    run: ([array]) => {
      const unique: unknown[] = [];
      for (const item of array as unknown[]) {
        if (!unique.some((seen) => jsonEqual(seen, item))) unique.push(item);
      }
      return unique;
    },
  },
  'States.Base64Encode': {
    min: 1,
    max: 1,
    args: [shortText],
    run: ([s]) => Buffer.from(s as string, 'utf8').toString('base64'),
  },
  'States.Base64Decode': {
    min: 1,
    max: 1,
    args: [shortText],
    run: ([s]) => {
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s as string)) {
        throw new Invalid('the argument is not Base64 text');
      }
      return Buffer.from(s as string, 'base64').toString('utf8');
    },
  },
  'States.Hash': {
    min: 2,
    max: 2,
    args: [shortText, algorithm],
    run: ([s, name]) =>
      createHash(HASHES[name as string])
        .update(s as string, 'utf8')
        .digest('hex'),
  },
  'States.JsonMerge': {
    min: 3,
    max: 3,
    args: [obj, obj, notDeep],
    run: ([a, b]) => ({ ...(a as object), ...(b as object) }),
  },
  'States.MathRandom': {
    min: 2,
    max: 3,
    args: [int32, int32, rounded],
    run: ([start, end, seed]) => {
      const [a, b] = [start, end] as number[];
      if (a >= b) throw new Invalid(`the start (${a}) must be below the end (${b})`);
      return seed === undefined ? randomInt(a, b) : a + javaNextInt(seed as number, b - a);
    },
  },
  'States.MathAdd': {
    min: 2,
    max: 2,
    args: [int32, int32],
    run: ([a, b]) => inInt((a as number) + (b as number), 'the result'),
  },
  'States.StringSplit': {
    min: 2,
    max: 2,
    args: [str, str],
    run: ([s, delimiters]) => {
      const parts: string[] = [];
      let current = '';
      for (const char of s as string) {
        if (!(delimiters as string).includes(char)) {
          current += char;
        } else if (current !== '') {
          parts.push(current);
          current = '';
        }
      }
      if (current !== '') parts.push(current);
      return parts;
    },
  },
  'States.UUID': { min: 0, max: 0, args: [], run: () => randomUUID() },
};

/** Parses once at load time; returns the evaluator. */
export function compileIntrinsic(text: string, where: FieldLocation): (env: PathEnv) => unknown {
  const refuse = (detail: string): never => {
    throw new UnsupportedAslFeature(
      where.stateName,
      where.field,
      `${where.field}: ${JSON.stringify(text)} is not a valid intrinsic function: ${detail}`,
    );
  };
  let root: IntrinsicCall;
  try {
    root = parseIntrinsic(text);
  } catch (error) {
    if (error instanceof IntrinsicSyntaxError) return refuse(error.message);
    throw error;
  }
  const calls = countCalls(root);
  if (calls > MAX_CALLS) refuse(`it has ${calls} intrinsic functions; at most ${MAX_CALLS}`);
  checkStatically(root, refuse);
  return (env) => {
    try {
      return evaluate(root, env, text);
    } catch (error) {
      if (error instanceof Invalid) {
        throw new TaskFailure('States.IntrinsicFailure', caused(text, error.message));
      }
      if (error instanceof TaskFailure) throw error;
      // Anything else is a bug here, but it must still read as a Step Functions error.
      throw new TaskFailure('States.IntrinsicFailure', caused(text, String(error)));
    }
  };
}

/** Load-time checks: known function, argument count, and the literal arguments' types. */
function checkStatically(node: IntrinsicNode, refuse: (detail: string) => never): void {
  if (node.kind !== 'call') return;
  const spec = SPECS[node.name];
  if (spec === undefined) refuse(`${node.name} is not an intrinsic function`);
  const count = node.args.length;
  if (count < spec.min || count > spec.max) {
    const expected =
      spec.min === spec.max
        ? `${spec.min}`
        : spec.max === Infinity
          ? `at least ${spec.min}`
          : `${spec.min} to ${spec.max}`;
    refuse(`${node.name} takes ${expected} argument(s), not ${count}`);
  }
  if (node.name === 'States.JsonToString' && node.args[0].kind === 'literal') {
    refuse('the argument of States.JsonToString must be a path'); // the guide: "must be a Path"
  }
  node.args.forEach((arg, i) => {
    checkStatically(arg, refuse);
    if (arg.kind !== 'literal') return;
    try {
      (spec.args[i] ?? spec.rest ?? any)(arg.value, i + 1);
    } catch (error) {
      if (error instanceof Invalid) refuse(`${node.name}: ${error.message}`);
      throw error;
    }
  });
  const first = node.args[0];
  if (node.name === 'States.Format' && first.kind === 'literal' && 'templateParts' in first) {
    if (first.templateParts.length !== count) {
      refuse(`States.Format: ${formatCountMismatch(first.templateParts, node.args.slice(1))}`);
    }
  }
}

function evaluate(node: IntrinsicNode, env: PathEnv, whole: string): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'path':
      return readArgument(node.path, env, whole);
    default: {
      const spec = SPECS[node.name];
      const values = node.args.map((arg) => evaluate(arg, env, whole));
      const checked = values.map((value, i) => {
        try {
          return (spec.args[i] ?? spec.rest ?? any)(value, i + 1);
        } catch (error) {
          throw error instanceof Invalid ? new Invalid(`${node.name}: ${error.message}`) : error;
        }
      });
      try {
        return spec.run(checked, node);
      } catch (error) {
        if (error instanceof Invalid) throw new Invalid(`${node.name}: ${error.message}`);
        throw new Invalid(`${node.name}: ${(error as Error).message ?? String(error)}`);
      }
    }
  }
}

function readArgument(path: string, env: PathEnv, whole: string): unknown {
  let value: unknown;
  try {
    value = readPath(path, env);
  } catch (error) {
    if (error instanceof UnknownVariable) {
      throw statesRuntimeError(caused(whole, `The variable '$${error.variable}' is not defined`));
    }
    throw error;
  }
  if (value === undefined) {
    const from = parsePath(path)?.root;
    const root =
      from?.kind === 'context'
        ? env.context
        : from?.kind === 'variable'
          ? env.variables?.get(from.name)
          : env.input;
    throw statesRuntimeError(
      caused(
        whole,
        `The JsonPath argument for the field '${path}' could not be found in the input '${JSON.stringify(root) ?? ''}'`,
      ),
    );
  }
  return value;
}

function caused(whole: string, detail: string): string {
  return `The function '${whole}' had the following error: ${detail}`;
}

function formatCountMismatch(parts: readonly string[], values: readonly unknown[]): string {
  return `the template has ${parts.length - 1} {} but ${values.length} argument(s) follow it`;
}

/** How AWS (Java) writes a value into a string: {a=1, b=[x, null]}, strings without quotes. */
function javaString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(javaString).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${key}=${javaString(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  const recordB = b as Record<string, unknown>;
  return keysA.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(b, key) &&
      jsonEqual((a as Record<string, unknown>)[key], recordB[key]),
  );
}

/** `new java.util.Random(seed).nextInt(bound)`, exactly. */
function javaNextInt(seed: number, bound: number): number {
  const mask = (1n << 48n) - 1n;
  let state = (BigInt(seed) ^ 0x5deece66dn) & mask;
  const next = (): number => {
    state = (state * 0x5deece66dn + 0xbn) & mask;
    return Number(BigInt.asIntN(32, state >> 17n)); // next(31): top 31 bits, non-negative
  };
  if (bound > INT_MAX) return Number((BigInt(bound) * BigInt(next())) >> 31n); // wider than Java
  if ((bound & -bound) === bound) return Number((BigInt(bound) * BigInt(next())) >> 31n);
  for (;;) {
    const bits = next();
    const value = bits % bound;
    if (bits - value + (bound - 1) <= INT_MAX) return value;
  }
}

function show(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
