/**
 * Choice Rules in JSONPath mode (`Variable` plus one comparison operator, or And / Or / Not),
 * compiled once per definition into an evaluator `(env) => boolean`.
 *
 * From the AWS Step Functions developer guide, "Choice workflow state", section "Choice Rules
 * (JSONPath)", and the Amazon States Language specification it follows (states-language.net,
 * "Choice Rules"):
 * - operators: And, Or, Not; BooleanEquals(Path); IsBoolean, IsNull, IsNumeric, IsPresent,
 *   IsString, IsTimestamp; Numeric{Equals,GreaterThan,GreaterThanEquals,LessThan,LessThanEquals}
 *   (+Path); String{…the same five…}(+Path) and StringMatches; Timestamp{…the same five…}(+Path);
 * - "the corresponding value must be of the appropriate type … Step Functions doesn't attempt to
 *   match a numeric field to a string value": a literal of the wrong type is a load-time error, a
 *   Variable value of the wrong type makes the comparison false (the spec: "if the values are not
 *   both of the appropriate type … the comparison will return false");
 * - "The values of Variable and Path fields in a comparison must be valid Reference Paths":
 *   definite paths, into the input (`$`), the context object (`$$`) or a workflow variable
 *   (`$name`);
 * - a Variable that selects nothing fails the state with States.Runtime (guide, "Choice state
 *   example": "If the state input doesn't contain the $.type field, the execution fails"); AWS's
 *   Cause is "Invalid path '$.type': The choice state's condition path references an invalid
 *   value." Only IsPresent is exempt: it is false there (spec, IsPresent);
 * - a *Path operand that selects nothing fails the same way, naming the operand's path;
 * - And / Or stop as soon as the result is known (spec, "Boolean expression"), so a later rule
 *   whose path is missing is not evaluated;
 * - string comparisons follow Java's String.compareTo (guide: "To understand the behavior of string
 *   comparisons, see the Java compareTo documentation"): lexicographic by UTF-16 code unit, which
 *   is exactly JavaScript's `<` on strings (not code-point order: "\uFFFF" > "😀"). No case
 *   folding or Unicode normalization (spec);
 * - timestamps are RFC 3339 with an uppercase `T` and `Z` (or a numeric offset); Timestamp*
 *   compares instants, so `…T12:00:00+01:00` equals `…T11:00:00Z`;
 * - StringMatches: `*` matches any run of characters (also none), `\*` a literal `*`, `\\` a
 *   literal `\`; nothing else is special. The spec: "If an open escape backslash \ is found in the
 *   StringMatches string, the interpreter will throw a runtime error" — a States.Runtime when the
 *   rule is evaluated, not a load-time error.
 *
 * Decisions where AWS's documentation is silent (docs/local-engine.md may repeat them):
 * - a *Path operand of the wrong type: false for the *Equals operators; a States.Runtime for the
 *   ordering ones ("Invalid value provided at path '$.x'"). ManageIQ/floe's Choice failure fixture
 *   records this from AWS (StringGreaterThanPath to a number fails, NumericEqualsPath to a string
 *   and StringEqualsPath to a number give no match); TimestampXxxPath to a string that is not a
 *   timestamp counts as the wrong type;
 * - an undefined workflow variable: IsPresent is false; any other operator (and any *Path operand
 *   naming one) fails with the same "Invalid path" States.Runtime as a missing input field;
 * - timestamps: the date must exist (no 2023-02-30), hours 00–23, seconds 00–59 (no leap second),
 *   1 to 9 fraction digits (Java's nanosecond precision), offsets ±hh:mm up to 23:59. A string
 *   without an offset (`2012-10-09T19:00:55`) or a bare date is not a timestamp;
 * - the Cause carries no "An error occurred while executing the state 'X'" prefix: the state
 *   runner adds it for every States.Runtime, as for the other path fields;
 * - `Comment` is accepted in any rule, `Next` and `Assign` only in a top-level rule (the caller
 *   reads them); any other unknown field is a load-time error.
 */
import { UnsupportedAslFeature, statesRuntimeError } from '../errors';
import { type PathEnv, UnknownVariable, isReferencePath, readPath } from './json-path';
import { type Instant, parseTimestamp } from './timestamps';

/** Where a rule sits: the Choice state and the rule's field, e.g. `Choices[2]`. */
export interface ChoiceRuleLocation {
  readonly stateName: string;
  readonly field: string;
}

export type ChoiceRuleEvaluator = (env: PathEnv) => boolean;

type Kind = 'String' | 'Numeric' | 'Boolean' | 'Timestamp';
type Comparison = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';

interface Comparator {
  readonly kind: Kind;
  readonly comparison: Comparison;
  readonly path: boolean;
}

const KINDS: readonly Kind[] = ['String', 'Numeric', 'Boolean', 'Timestamp'];
const COMPARISONS: readonly Comparison[] = [
  'Equals',
  'LessThan',
  'GreaterThan',
  'LessThanEquals',
  'GreaterThanEquals',
];
const COMPARATORS = new Map<string, Comparator>();
for (const kind of KINDS) {
  for (const comparison of kind === 'Boolean' ? (['Equals'] as const) : COMPARISONS) {
    COMPARATORS.set(`${kind}${comparison}`, { kind, comparison, path: false });
    COMPARATORS.set(`${kind}${comparison}Path`, { kind, comparison, path: true });
  }
}
const TYPE_TESTS = new Set([
  'IsBoolean',
  'IsNull',
  'IsNumeric',
  'IsPresent',
  'IsString',
  'IsTimestamp',
]);
const BOOLEAN_OPERATORS = new Set(['And', 'Or', 'Not']);

/**
 * Validates a JSONPath-mode Choice Rule at load time and returns its evaluator. Throws
 * UnsupportedAslFeature, naming the state and the rule's field, for an unknown field or operator,
 * a missing Variable, a literal of the wrong type, a *Path operand that is not a reference path,
 * or a nested rule with Next. The evaluator throws States.Runtime (never retried or caught) for a
 * path that selects nothing, an undefined variable, or an invalid StringMatches pattern.
 */
export function compileChoiceRule(
  rule: Record<string, unknown>,
  where: ChoiceRuleLocation,
): ChoiceRuleEvaluator {
  return compileRule(rule, where.stateName, where.field, true);
}

function compileRule(
  rule: unknown,
  stateName: string,
  field: string,
  topLevel: boolean,
): ChoiceRuleEvaluator {
  const fail = (detail: string): never => {
    throw new UnsupportedAslFeature(stateName, field, `${field}: ${detail}`);
  };
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    return fail(`a Choice Rule must be an object, got ${JSON.stringify(rule)}`);
  }
  const fields = rule as Record<string, unknown>;
  const operators: string[] = [];
  for (const key of Object.keys(fields)) {
    if (key === 'Variable' || key === 'Comment') continue;
    if (key === 'Next' || key === 'Assign') {
      if (!topLevel) fail(`a rule inside And, Or or Not must not have ${key}`);
      continue;
    }
    const known =
      BOOLEAN_OPERATORS.has(key) ||
      TYPE_TESTS.has(key) ||
      COMPARATORS.has(key) ||
      key === 'StringMatches';
    if (!known) fail(`unknown field ${JSON.stringify(key)} (not a JSONPath Choice Rule operator)`);
    operators.push(key);
  }
  if (operators.length !== 1) {
    return fail(
      operators.length === 0
        ? 'a Choice Rule needs a comparison operator or And, Or, Not'
        : `a Choice Rule has exactly one operator, got ${operators.join(', ')}`,
    );
  }
  const operator = operators[0];
  const operand = fields[operator];

  if (BOOLEAN_OPERATORS.has(operator)) {
    if ('Variable' in fields) fail(`${operator} cannot be combined with Variable`);
    return compileBoolean(operator, operand, stateName, `${field}.${operator}`, fail);
  }

  const variable = fields.Variable;
  if (variable === undefined) fail(`${operator} needs a Variable`);
  if (typeof variable !== 'string' || !isReferencePath(variable)) {
    fail(
      `Variable must be a reference path (a definite JSONPath starting with "$"), got ${JSON.stringify(variable)}`,
    );
  }
  const path = variable as string;

  if (TYPE_TESTS.has(operator)) {
    if (typeof operand !== 'boolean') fail(`${operator} must be true or false`);
    return compileTypeTest(operator, path, operand as boolean);
  }
  if (operator === 'StringMatches') {
    if (typeof operand !== 'string') {
      fail(`StringMatches must be a string, got ${JSON.stringify(operand)}`);
    }
    return compileMatches(path, operand as string);
  }
  const comparator = COMPARATORS.get(operator) as Comparator;
  if (comparator.path) {
    if (typeof operand !== 'string' || !isReferencePath(operand)) {
      fail(
        `${operator} must be a reference path (a definite JSONPath starting with "$"), got ${JSON.stringify(operand)}`,
      );
    }
    return compilePathComparison(path, comparator, operand as string);
  }
  const literal = typed(comparator.kind, operand);
  if (literal === undefined) {
    fail(`${operator} must be ${DESCRIPTION[comparator.kind]}, got ${JSON.stringify(operand)}`);
  }
  return (env) => {
    const value = typed(comparator.kind, readVariable(path, env));
    return value !== undefined && holds(comparator, value, literal as Typed);
  };
}

function compileBoolean(
  operator: string,
  operand: unknown,
  stateName: string,
  field: string,
  fail: (detail: string) => never,
): ChoiceRuleEvaluator {
  if (operator === 'Not') {
    const inner = compileRule(operand, stateName, field, false);
    return (env) => !inner(env);
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    return fail(`${operator} must be a non-empty array of Choice Rules`);
  }
  const inner = operand.map((r, i) => compileRule(r, stateName, `${field}[${i}]`, false));
  // The spec: evaluation stops "when the boolean value has been unambiguously determined".
  return operator === 'And'
    ? (env) => inner.every((evaluate) => evaluate(env))
    : (env) => inner.some((evaluate) => evaluate(env));
}

const DESCRIPTION: Record<Kind, string> = {
  String: 'a string',
  Numeric: 'a number',
  Boolean: 'true or false',
  Timestamp: 'an RFC 3339 timestamp string (e.g. "2016-08-18T17:33:00Z")',
};

/** A comparable value: a string, a number, a boolean or an instant. */
type Typed = string | number | boolean | Instant;

/** `value` as `kind`, or undefined when it is not of that type. */
function typed(kind: Kind, value: unknown): Typed | undefined {
  switch (kind) {
    case 'String':
      return typeof value === 'string' ? value : undefined;
    case 'Numeric':
      return typeof value === 'number' ? value : undefined;
    case 'Boolean':
      return typeof value === 'boolean' ? value : undefined;
    default:
      return typeof value === 'string' ? parseTimestamp(value) : undefined;
  }
}

function holds(comparator: Comparator, a: Typed, b: Typed): boolean {
  const order = compare(a, b);
  switch (comparator.comparison) {
    case 'Equals':
      return order === 0;
    case 'LessThan':
      return order < 0;
    case 'GreaterThan':
      return order > 0;
    case 'LessThanEquals':
      return order <= 0;
    default:
      return order >= 0;
  }
}

/** Orders two values of one kind. Strings by UTF-16 code unit, as Java's compareTo. */
function compare(a: Typed, b: Typed): number {
  if (typeof a === 'object' && typeof b === 'object') {
    return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanos - b.nanos;
  }
  if (typeof a === 'boolean') return a === b ? 0 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compilePathComparison(
  variable: string,
  comparator: Comparator,
  operandPath: string,
): ChoiceRuleEvaluator {
  return (env) => {
    const value = typed(comparator.kind, readVariable(variable, env));
    const operand = typed(comparator.kind, readVariable(operandPath, env));
    if (operand === undefined) {
      if (comparator.comparison === 'Equals') return false;
      throw statesRuntimeError(`Invalid value provided at path '${operandPath}'`);
    }
    return value !== undefined && holds(comparator, value, operand);
  };
}

function compileTypeTest(operator: string, path: string, expected: boolean): ChoiceRuleEvaluator {
  if (operator === 'IsPresent') {
    return (env) => (readOptional(path, env) !== undefined) === expected;
  }
  const test = (value: unknown): boolean => {
    switch (operator) {
      case 'IsBoolean':
        return typeof value === 'boolean';
      case 'IsNull':
        return value === null;
      case 'IsNumeric':
        return typeof value === 'number';
      case 'IsString':
        return typeof value === 'string';
      default:
        return typeof value === 'string' && parseTimestamp(value) !== undefined;
    }
  };
  return (env) => test(readVariable(path, env)) === expected;
}

/** `*` any run of characters, `\*` a literal `*`, `\\` a literal `\`. */
type PatternPart = { readonly star: true } | { readonly star: false; readonly char: string };

function compileMatches(path: string, pattern: string): ChoiceRuleEvaluator {
  const parts = parsePattern(pattern);
  return (env) => {
    const value = readVariable(path, env);
    if (parts === undefined) {
      throw statesRuntimeError(
        `Invalid StringMatches pattern ${JSON.stringify(pattern)}: a backslash must escape "*" or "\\"`,
      );
    }
    return typeof value === 'string' && wildcardMatch(parts, value);
  };
}

/** The pattern's parts; undefined when a backslash escapes neither `*` nor `\`. */
function parsePattern(pattern: string): PatternPart[] | undefined {
  const parts: PatternPart[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      parts.push({ star: true });
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') return undefined;
      parts.push({ star: false, char: next });
      i++;
    } else {
      parts.push({ star: false, char: c });
    }
  }
  return parts;
}

/** Whole-string wildcard match in O(text × pattern), no backtracking blow-up. */
function wildcardMatch(parts: readonly PatternPart[], text: string): boolean {
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < text.length) {
    const part = parts[p];
    if (part !== undefined && !part.star && part.char === text[t]) {
      p++;
      t++;
    } else if (part !== undefined && part.star) {
      starAt = p++;
      resumeAt = t;
    } else if (starAt >= 0) {
      p = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (p < parts.length && parts[p].star) p++;
  return p === parts.length;
}

function invalidPath(path: string): string {
  return `Invalid path '${path}': The choice state's condition path references an invalid value.`;
}

/** The value `path` selects; States.Runtime when it selects nothing or names an unknown variable. */
function readVariable(path: string, env: PathEnv): unknown {
  const value = readOptional(path, env);
  if (value === undefined) throw statesRuntimeError(invalidPath(path));
  return value;
}

/** The value `path` selects, undefined when nothing (an unknown variable selects nothing). */
function readOptional(path: string, env: PathEnv): unknown {
  try {
    return readPath(path, env);
  } catch (error) {
    if (error instanceof UnknownVariable) return undefined;
    throw error;
  }
}
