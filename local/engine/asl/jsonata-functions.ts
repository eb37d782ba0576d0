/**
 * The six functions Step Functions adds to JSONata: AWS Step Functions developer guide,
 * "Transforming data with JSONata in Step Functions", section "JSONata functions provided by Step
 * Functions". `$random` replaces JSONata's own (it takes an optional seed); `$eval` is disabled
 * ("$eval is not supported in Step Functions workflows", use `$parse`), see jsonata.ts.
 *
 * What the guide states:
 * - `$partition(array, chunkSize)`: a two-dimensional array, the last chunk shorter when fewer
 *   items remain;
 * - `$range(start, end, step)`: from start to end by step, the step positive or negative;
 * - `$hash(string, algorithm)`: the algorithm one of "MD5", "SHA-1", "SHA-256", "SHA-384",
 *   "SHA-512"; the result a string (hex, as `States.Hash`'s documented example);
 * - `$random(seed?)`: 0 ≤ n < 1, the same seed giving the same number;
 * - `$uuid()`: a v4 UUID, no arguments;
 * - `$parse(jsonString)`: the deserialized JSON;
 * - "Built-in JSONata functions that require integer values as parameters will automatically
 *   round down any non-integer numbers provided."
 *
 * Where the guide is silent these follow what the Floci emulator records as measured on AWS
 * (floci-io/floci, JsonataEvaluator.java and docs): a non-integer is rounded towards zero
 * (2.9 → 2, -1.7 → -1); `$partition` of an empty array or with a chunk size of 0, `$range` with no
 * step or a step pointing away from `end`, and `$hash` with no algorithm give undefined (the field
 * then fails with "returned nothing"); `$range` with start = end gives the bare number; an
 * argument of the wrong type fails with JSONata's T0410 ("Argument n of function "x" does not
 * match function signature"); `$random(seed)` draws from java.util.Random, so `$random(42)` is
 * 0.7275636800328681 as on AWS; `$range` refuses more than 360,145 elements ("Expression
 * evaluation memory limit exceeded"). Local choices: the input limits of the JSONPath intrinsics
 * (10,000 characters for `States.Hash`, 1,000 elements for `States.ArrayRange`) are not applied,
 * the guide gives them only for the intrinsics; `$parse` accepts a repeated key (last one wins)
 * and reads numbers as JavaScript doubles.
 */
import { createHash, randomUUID } from 'node:crypto';

/**
 * An error raised the way jsonata raises its own: `code` picks jsonata's message template, which
 * jsonata fills from `index`, `token` and `type` (T0410, T0412) or keeps `message` (D3137).
 */
export class JsonataFunctionError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly index?: number,
    readonly token?: string,
  ) {
    super(message);
  }
}

/** The most elements `$range` builds (AWS refuses one more, per Floci's measurement). */
export const RANGE_LIMIT = 360_145;

/** The message of AWS's memory bound ("Handling expression errors" in the guide). */
export const MEMORY_LIMIT_MESSAGE = 'Expression evaluation memory limit exceeded';

const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function signatureError(fn: string, index: number): JsonataFunctionError {
  return new JsonataFunctionError(
    'T0410',
    `Argument ${index} of function "${fn}" does not match function signature`,
    index,
    fn,
  );
}

/** A call with an argument past the ones `fn` takes fails on the first of them. */
function rejectSurplus(args: readonly unknown[], fn: string, takes: number): void {
  if (args[takes] !== undefined) throw signatureError(fn, takes + 1);
}

/** An integer parameter: a finite number, rounded towards zero. */
function integer(value: unknown, fn: string, index: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw signatureError(fn, index);
  return Math.trunc(value);
}

function partition(...args: unknown[]): unknown[][] | undefined {
  rejectSurplus(args, 'partition', 2);
  const [array, size] = args;
  if (array === undefined) return undefined;
  // T0412 with no element type is what AWS answers (rendered "must be an array of undefined").
  if (!Array.isArray(array)) {
    const message = 'Argument 1 of function "partition" must be an array of undefined';
    throw new JsonataFunctionError('T0412', message, 1, 'partition');
  }
  if (array.length === 0) return undefined;
  if (size === undefined) return [[...array]];
  const chunk = integer(size, 'partition', 2);
  if (chunk < 0) throw new JsonataFunctionError('D3137', 'Second argument must be zero or greater');
  if (chunk === 0) return undefined;
  const chunks: unknown[][] = [];
  for (let i = 0; i < array.length; i += chunk) chunks.push(array.slice(i, i + chunk));
  return chunks;
}

function range(...args: unknown[]): number | number[] | undefined {
  rejectSurplus(args, 'range', 3);
  const start = integer(args[0], 'range', 1);
  const end = integer(args[1], 'range', 2);
  if (args[2] === undefined) return undefined;
  const step = integer(args[2], 'range', 3);
  if (step === 0 || (step > 0 && start > end) || (step < 0 && start < end)) return undefined;
  if (start === end) return start;
  const count = Math.floor((end - start) / step) + 1;
  if (count > RANGE_LIMIT) throw new JsonataFunctionError(undefined, MEMORY_LIMIT_MESSAGE);
  return Array.from({ length: count }, (_, i) => start + i * step);
}

function hash(...args: unknown[]): string | undefined {
  rejectSurplus(args, 'hash', 2);
  const [data, algorithm] = args;
  if (typeof data !== 'string') throw signatureError('hash', 1);
  if (algorithm === undefined) return undefined;
  if (typeof algorithm !== 'string') throw signatureError('hash', 2);
  const nodeName = Object.prototype.hasOwnProperty.call(HASH_ALGORITHMS, algorithm)
    ? HASH_ALGORITHMS[algorithm]
    : undefined;
  if (nodeName === undefined) {
    throw new JsonataFunctionError(
      'D3137',
      `Hash algorithm '${algorithm}' must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`,
    );
  }
  return createHash(nodeName).update(data, 'utf8').digest('hex');
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** `new java.util.Random(seed).nextDouble()`: the seed a Java long (a cast saturates). */
export function javaRandomDouble(seed: number): number {
  const MASK = (1n << 48n) - 1n;
  const MULTIPLIER = 0x5deece66dn;
  let long = BigInt(Math.trunc(seed));
  long = long < LONG_MIN ? LONG_MIN : long > LONG_MAX ? LONG_MAX : long;
  let state = (long ^ MULTIPLIER) & MASK;
  const next = (bits: number): number => {
    state = (state * MULTIPLIER + 0xbn) & MASK;
    return Number(state >> BigInt(48 - bits));
  };
  const high = next(26);
  const low = next(27);
  return (high * 2 ** 27 + low) * 2 ** -53;
}

function random(...args: unknown[]): number {
  rejectSurplus(args, 'random', 1);
  if (args[0] === undefined) return Math.random();
  return javaRandomDouble(integer(args[0], 'random', 1));
}

function uuid(...args: unknown[]): string {
  rejectSurplus(args, 'uuid', 0);
  return randomUUID();
}

function parse(...args: unknown[]): unknown {
  rejectSurplus(args, 'parse', 1);
  const [text] = args;
  if (text === undefined) return undefined;
  if (typeof text !== 'string') throw signatureError('parse', 1);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JsonataFunctionError('D3137', 'Invalid JSON');
  }
}

/** The functions, by the name a JSONata expression calls them with (`$partition` → partition). */
export const STEP_FUNCTIONS_JSONATA_FUNCTIONS: Readonly<
  Record<string, (...args: unknown[]) => unknown>
> = { partition, range, hash, random, uuid, parse };
