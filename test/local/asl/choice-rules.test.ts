// Choice Rules in JSONPath mode (local/engine/asl/choice-rules.ts), pinned to the AWS Step
// Functions developer guide, "Choice workflow state" > "Choice Rules (JSONPath)" (quoted as
// "guide"), and the Amazon States Language specification, "Choice Rules" (quoted as "spec").
import { compileChoiceRule } from '../../../local/engine/asl/choice-rules';
import { VariableScope } from '../../../local/engine/asl/variables';
import { TaskFailure, UnsupportedAslFeature } from '../../../local/engine/errors';

type Rule = Record<string, unknown>;

const AT = { stateName: 'Check', field: 'Choices[0]' };

function evaluate(
  rule: Rule,
  input: unknown,
  env: { context?: unknown; variables?: VariableScope } = {},
): boolean {
  return compileChoiceRule(rule, AT)({ input, context: env.context ?? {}, ...env });
}

/** The States.Runtime the evaluation fails with. */
function runtimeFailure(rule: Rule, input: unknown, variables?: VariableScope): TaskFailure {
  const evaluator = compileChoiceRule(rule, AT); // compiles: the failure is at run time
  try {
    evaluator({ input, context: {}, variables });
  } catch (error) {
    expect(error).toBeInstanceOf(TaskFailure);
    return error as TaskFailure;
  }
  throw new Error('the rule evaluated without failing');
}

const invalidPath = (path: string) =>
  `Invalid path '${path}': The choice state's condition path references an invalid value.`;

/** The Next of the first rule that matches, as a Choice state picks it. */
function route(choices: Rule[], input: unknown): unknown {
  const rules = choices.map((rule, i) =>
    compileChoiceRule(rule, { stateName: 'ChoiceStateX', field: `Choices[${i}]` }),
  );
  const index = rules.findIndex((matches) => matches({ input, context: {} }));
  return index < 0 ? 'DefaultState' : choices[index].Next;
}

describe('the guide\'s "Choice State Example"', () => {
  const choices: Rule[] = [
    { Not: { Variable: '$.type', StringEquals: 'Private' }, Next: 'Public' },
    { Variable: '$.value', NumericEquals: 0, Next: 'ValueIsZero' },
    {
      And: [
        { Variable: '$.value', NumericGreaterThanEquals: 20 },
        { Variable: '$.value', NumericLessThan: 30 },
      ],
      Next: 'ValueInTwenties',
    },
  ];

  test('input {"type": "Private", "value": 22} transitions to ValueInTwenties', () => {
    expect(route(choices, { type: 'Private', value: 22 })).toBe('ValueInTwenties');
  });

  test('the other branches: Not, NumericEquals 0, and no match falls to Default', () => {
    expect(route(choices, { type: 'Public', value: 22 })).toBe('Public');
    expect(route(choices, { type: 'Private', value: 0 })).toBe('ValueIsZero');
    expect(route(choices, { type: 'Private', value: 30 })).toBe('DefaultState');
  });

  test('"If the state input doesn\'t contain the $.type field, the execution fails"', () => {
    const failure = runtimeFailure(choices[0], { value: 22 });
    expect(failure.name).toBe('States.Runtime');
    expect(failure.message).toBe(invalidPath('$.type'));
    // States.Runtime is neither retried nor caught.
    expect(failure.isRetryable).toBe(false);
    expect(failure.isCatchable).toBe(false);
  });
});

describe('the guide\'s Choice Rule examples ("Choice Rules (JSONPath)")', () => {
  test('"checks whether the numerical value is equal to 1"', () => {
    const rule = { Variable: '$.foo', NumericEquals: 1, Next: 'FirstMatchState' };
    expect(evaluate(rule, { foo: 1 })).toBe(true);
    expect(evaluate(rule, { foo: 2 })).toBe(false);
  });

  test('"checks whether the string is equal to MyString"', () => {
    const rule = { Variable: '$.foo', StringEquals: 'MyString', Next: 'FirstMatchState' };
    expect(evaluate(rule, { foo: 'MyString' })).toBe(true);
    expect(evaluate(rule, { foo: 'mystring' })).toBe(false);
  });

  test('"checks whether the string is greater than MyStringABC"', () => {
    const rule = { Variable: '$.foo', StringGreaterThan: 'MyStringABC', Next: 'FirstMatchState' };
    expect(evaluate(rule, { foo: 'MyStringABD' })).toBe(true);
    expect(evaluate(rule, { foo: 'MyStringABC' })).toBe(false);
    expect(evaluate(rule, { foo: 'MyStringAB' })).toBe(false);
  });

  test('"checks whether the timestamp is equal to 2001-01-01T12:00:00Z"', () => {
    const rule = { Variable: '$.foo', TimestampEquals: '2001-01-01T12:00:00Z', Next: 'X' };
    expect(evaluate(rule, { foo: '2001-01-01T12:00:00Z' })).toBe(true);
    expect(evaluate(rule, { foo: '2001-01-01T12:00:01Z' })).toBe(false);
  });

  test('the spec example: IsPresent / IsNumeric guards and NumericGreaterThanPath', () => {
    const choices: Rule[] = [
      { Not: { Variable: '$.type', StringEquals: 'Private' }, Next: 'Public' },
      {
        And: [
          { Variable: '$.value', IsPresent: true },
          { Variable: '$.value', IsNumeric: true },
          { Variable: '$.value', NumericGreaterThanEquals: 20 },
          { Variable: '$.value', NumericLessThan: 30 },
        ],
        Next: 'ValueInTwenties',
      },
      { Variable: '$.rating', NumericGreaterThanPath: '$.auditThreshold', Next: 'StartAudit' },
    ];
    expect(route(choices, { type: 'Private', value: 22 })).toBe('ValueInTwenties');
    const audit = { type: 'Private', rating: 70, auditThreshold: 60 };
    expect(route(choices, audit)).toBe('StartAudit');
    expect(route(choices, { ...audit, rating: 50 })).toBe('DefaultState');
  });
});

describe('type mismatches ("Step Functions doesn\'t attempt to match a numeric field to a string value")', () => {
  test.each([
    ['NumericEquals', 1, '1'],
    ['StringEquals', '1', 1],
    ['BooleanEquals', true, 'true'],
    ['NumericGreaterThan', 0, null],
    ['StringLessThan', 'z', ['a']],
    ['TimestampEquals', '2016-08-18T17:33:00Z', 1471541580],
    ['StringMatches', '*', 5],
  ])('a Variable of the wrong type makes %s false, not an error', (operator, literal, value) => {
    expect(evaluate({ Variable: '$.v', [operator]: literal }, { v: value })).toBe(false);
    expect(evaluate({ Not: { Variable: '$.v', [operator]: literal } }, { v: value })).toBe(true);
  });

  test('"a field considered to be a timestamp can be matched by a StringEquals comparator"', () => {
    const stamp = '2016-08-18T17:33:00Z';
    expect(evaluate({ Variable: '$.t', StringEquals: stamp }, { t: stamp })).toBe(true);
    const timestamp = { Variable: '$.t', TimestampEquals: stamp };
    expect(evaluate(timestamp, { t: '2016-08-18 17:33:00' })).toBe(false);
  });
});

describe('load-time validation ("the corresponding value must be of the appropriate type")', () => {
  const load =
    (rule: unknown, field = 'Choices[2]') =>
    () =>
      compileChoiceRule(rule as Rule, { stateName: 'Check', field });

  test.each([
    [{ Variable: '$.v', NumericEquals: '1' }, /NumericEquals must be a number/],
    [{ Variable: '$.v', StringEquals: 1 }, /StringEquals must be a string/],
    [{ Variable: '$.v', BooleanEquals: 'true' }, /BooleanEquals must be true or false/],
    [{ Variable: '$.v', StringMatches: 5 }, /StringMatches must be a string/],
    [{ Variable: '$.v', TimestampEquals: '2016-08-18 17:33:00' }, /RFC 3339/],
    [{ Variable: '$.v', TimestampLessThan: '2016-08-18T17:33:00' }, /RFC 3339/],
    [{ Variable: '$.v', IsNull: 'yes' }, /IsNull must be true or false/],
  ])('a literal of the wrong type is rejected: %j', (rule, detail) => {
    expect(load(rule)).toThrow(UnsupportedAslFeature);
    expect(load(rule)).toThrow(detail);
  });

  test('an unknown operator names the state and the rule', () => {
    const rule = { Variable: '$.v', StringEqual: 'x', Next: 'A' };
    expect(load(rule)).toThrow(UnsupportedAslFeature);
    expect(load(rule)).toThrow('State "Check": Choices[2]: unknown field "StringEqual"');
    // JSONata's Condition is not a JSONPath rule.
    expect(load({ Condition: '{% true %}', Next: 'A' })).toThrow(/unknown field "Condition"/);
  });

  test('a comparison without Variable is rejected, nested ones named by their place', () => {
    expect(load({ NumericEquals: 1, Next: 'A' })).toThrow(/Choices\[2\]: NumericEquals needs/);
    const nested = { And: [{ Variable: '$.a', IsNull: true }, { IsNull: true }], Next: 'A' };
    expect(load(nested)).toThrow('State "Check": Choices[2].And[1]: IsNull needs a Variable');
  });

  test('"The values of Variable and Path fields … must be valid Reference Paths"', () => {
    expect(load({ Variable: '$.v', NumericEqualsPath: 'limit' })).toThrow(/NumericEqualsPath/);
    expect(load({ Variable: '$.v', NumericEqualsPath: 7 })).toThrow(/NumericEqualsPath/);
    expect(load({ Variable: '$.items[*]', IsPresent: true })).toThrow(/Variable must be/);
    expect(load({ Variable: 'v', IsPresent: true })).toThrow(/Variable must be/);
    expect(load({ Variable: '$.v', StringEqualsPath: '$..name' })).toThrow(/StringEqualsPath/);
  });

  test('"And and Or … must be non-empty arrays of Choice Rules that must not … contain Next"', () => {
    expect(load({ And: [], Next: 'A' })).toThrow(/And must be a non-empty array/);
    expect(load({ Or: { Variable: '$.a', IsNull: true }, Next: 'A' })).toThrow(/Or must be/);
    const innerNext = { Or: [{ Variable: '$.a', IsNull: true, Next: 'B' }], Next: 'A' };
    expect(load(innerNext)).toThrow(/Choices\[2\]\.Or\[0\]: a rule inside .* must not have Next/);
    const notNext = { Not: { Variable: '$.a', IsNull: true, Next: 'B' }, Next: 'A' };
    expect(load(notNext)).toThrow(/Choices\[2\]\.Not: .* must not have Next/);
    expect(load({ Not: [{ Variable: '$.a', IsNull: true }], Next: 'A' })).toThrow(/object/);
  });

  test('a rule has exactly one operator (spec: "exactly one field containing a comparison operator")', () => {
    expect(load({ Variable: '$.a', StringEquals: 'x', IsNull: true })).toThrow(/exactly one/);
    expect(load({ Variable: '$.a', Next: 'A' })).toThrow(/needs a comparison operator/);
    expect(load({ Variable: '$.a', And: [{ Variable: '$.a', IsNull: true }] })).toThrow(
      /And cannot be combined with Variable/,
    );
  });

  test('Comment, and Next / Assign on a top-level rule, are accepted', () => {
    const rule = { Variable: '$.a', IsNull: true, Comment: 'c', Next: 'A', Assign: { x: 1 } };
    expect(evaluate(rule, { a: null })).toBe(true);
  });
});

describe('paths that select nothing', () => {
  test.each([
    ['NumericEquals', 1],
    ['StringEquals', 'x'],
    ['BooleanEquals', true],
    ['TimestampEquals', '2016-08-18T17:33:00Z'],
    ['StringMatches', '*'],
    ['IsNull', true],
    ['IsString', false],
  ])('%s on a missing Variable fails with States.Runtime', (operator, literal) => {
    const failure = runtimeFailure({ Variable: '$.missing', [operator]: literal }, { other: 1 });
    expect(failure.name).toBe('States.Runtime');
    expect(failure.message).toBe(invalidPath('$.missing'));
  });

  test('spec IsPresent: "no exception is thrown and the Choice Rule just returns false"', () => {
    expect(evaluate({ Variable: '$.missing', IsPresent: true }, {})).toBe(false);
    expect(evaluate({ Variable: '$.missing', IsPresent: false }, {})).toBe(true);
    // A step through a value that is not an object selects nothing either.
    expect(evaluate({ Variable: '$.a.b', IsPresent: true }, { a: 'text' })).toBe(false);
  });

  test('IsPresent is true for a field that holds null', () => {
    expect(evaluate({ Variable: '$.a', IsPresent: true }, { a: null })).toBe(true);
    expect(evaluate({ Variable: '$.a', IsPresent: false }, { a: false })).toBe(false);
  });

  test('a *Path operand that selects nothing fails, naming the operand path', () => {
    const rule = { Variable: '$.num', NumericEqualsPath: '$.missing' };
    expect(runtimeFailure(rule, { num: 1 }).message).toBe(invalidPath('$.missing'));
  });

  test('spec: And / Or stop "when the boolean value has been unambiguously determined"', () => {
    const missing = { Variable: '$.missing', NumericEquals: 1 };
    expect(evaluate({ And: [{ Variable: '$.a', NumericEquals: 2 }, missing] }, { a: 1 })).toBe(
      false,
    );
    expect(evaluate({ Or: [{ Variable: '$.a', NumericEquals: 1 }, missing] }, { a: 1 })).toBe(true);
    expect(
      runtimeFailure({ And: [{ Variable: '$.a', IsNumeric: true }, missing] }, { a: 1 }).message,
    ).toBe(invalidPath('$.missing'));
  });
});

describe('the *Path variants ("the value of variable can be compared with another value from the state input")', () => {
  test.each([
    ['NumericEqualsPath', 3, 3, 4],
    ['NumericLessThanPath', 2, 3, 2],
    ['StringGreaterThanEqualsPath', 'b', 'b', 'c'],
    ['BooleanEqualsPath', false, false, true],
    [
      'TimestampGreaterThanPath',
      '2012-10-09T19:00:56Z',
      '2012-10-09T19:00:55Z',
      '2012-10-09T19:00:56Z',
    ],
  ])('%s compares with the operand value', (operator, value, matching, other) => {
    const rule = { Variable: '$.v', [operator]: '$.o' };
    expect(evaluate(rule, { v: value, o: matching })).toBe(true);
    expect(evaluate(rule, { v: value, o: other })).toBe(false);
  });

  test('an *Equals operand of the wrong type makes the comparison false (floe fixture from AWS)', () => {
    expect(evaluate({ Variable: '$.num', NumericEqualsPath: '$.str' }, { num: 1, str: '1' })).toBe(
      false,
    );
    expect(evaluate({ Variable: '$.num', StringEqualsPath: '$.num2' }, { num: 1, num2: 1 })).toBe(
      false,
    );
  });

  test('an ordering operand of the wrong type fails with States.Runtime (floe fixture from AWS)', () => {
    const rule = { Variable: '$.num1', StringGreaterThanPath: '$.num2' };
    const failure = runtimeFailure(rule, { num1: 1, num2: 1 });
    expect(failure.name).toBe('States.Runtime');
    expect(failure.message).toBe("Invalid value provided at path '$.num2'");
    const notAStamp = { Variable: '$.t', TimestampLessThanPath: '$.o' };
    expect(runtimeFailure(notAStamp, { t: '2012-10-09T19:00:55Z', o: 'soon' }).name).toBe(
      'States.Runtime',
    );
    // The operand has the right type, the Variable not: no match (floe: "src wrong type").
    expect(evaluate(rule, { num1: 1, num2: '1' })).toBe(false);
  });
});

describe('context paths and workflow variables', () => {
  test('Variable may read the context object ($$)', () => {
    const rule = { Variable: '$$.Execution.Input.flag', BooleanEquals: true };
    expect(evaluate(rule, {}, { context: { Execution: { Input: { flag: true } } } })).toBe(true);
    expect(evaluate(rule, {}, { context: { Execution: { Input: { flag: false } } } })).toBe(false);
  });

  test('Variable and *Path operands may read workflow variables ($name, $name.field)', () => {
    const variables = new VariableScope();
    variables.assign({ order: { total: 120 }, limit: 100 });
    const rule = { Variable: '$order.total', NumericGreaterThanPath: '$limit' };
    expect(evaluate(rule, {}, { variables })).toBe(true);
    expect(evaluate({ Variable: '$limit', NumericEquals: 99 }, {}, { variables })).toBe(false);
  });

  test('an undefined variable fails the state with States.Runtime', () => {
    const variables = new VariableScope();
    const failure = runtimeFailure({ Variable: '$nope', StringEquals: 'x' }, {}, variables);
    expect(failure.name).toBe('States.Runtime');
    expect(failure.message).toBe(invalidPath('$nope'));
    const operand = runtimeFailure({ Variable: '$', NumericEqualsPath: '$nope' }, 1, variables);
    expect(operand.message).toBe(invalidPath('$nope'));
  });

  test('IsPresent on an undefined variable is false, not an error', () => {
    const variables = new VariableScope();
    expect(evaluate({ Variable: '$nope', IsPresent: true }, {}, { variables })).toBe(false);
    expect(evaluate({ Variable: '$nope.field', IsPresent: false }, {}, { variables })).toBe(true);
  });
});

describe('numeric, boolean and type-test operators', () => {
  test.each([
    ['NumericEquals', [false, true, false]],
    ['NumericLessThan', [true, false, false]],
    ['NumericGreaterThan', [false, false, true]],
    ['NumericLessThanEquals', [true, true, false]],
    ['NumericGreaterThanEquals', [false, true, true]],
  ])('%s against 1.5 for 0.5, 1.5 and 2.5', (operator, expected) => {
    const results = [0.5, 1.5, 2.5].map((v) => evaluate({ Variable: '$', [operator]: 1.5 }, v));
    expect(results).toEqual(expected);
  });

  test('BooleanEquals', () => {
    expect(evaluate({ Variable: '$.b', BooleanEquals: false }, { b: false })).toBe(true);
    expect(evaluate({ Variable: '$.b', BooleanEquals: false }, { b: true })).toBe(false);
  });

  test.each([
    ['IsNull', null, 0],
    ['IsNumeric', 1.1, '1'],
    ['IsString', '', null],
    ['IsBoolean', false, 0],
    ['IsTimestamp', '2016-03-14T01:59:00Z', '2016-03-14'],
  ])('%s: true tests the type, false its absence', (operator, yes, no) => {
    expect(evaluate({ Variable: '$', [operator]: true }, yes)).toBe(true);
    expect(evaluate({ Variable: '$', [operator]: true }, no)).toBe(false);
    expect(evaluate({ Variable: '$', [operator]: false }, yes)).toBe(false);
    expect(evaluate({ Variable: '$', [operator]: false }, no)).toBe(true);
  });

  test('Not "returns the inverse of the boolean to which the Choice Rule evaluates"', () => {
    expect(evaluate({ Not: { Variable: '$.a', NumericEquals: 1 } }, { a: 1 })).toBe(false);
    expect(evaluate({ Not: { Not: { Variable: '$.a', NumericEquals: 1 } } }, { a: 1 })).toBe(true);
  });
});

describe('string comparisons ("see the Java compareTo documentation")', () => {
  test.each([
    ['StringLessThan', [false, true, false]],
    ['StringGreaterThan', [false, false, true]],
    ['StringLessThanEquals', [true, true, false]],
    ['StringGreaterThanEquals', [true, false, true]],
  ])('%s of "A" against "A", "AB" (longer) and "" (shorter)', (operator, expected) => {
    const results = ['A', 'AB', ''].map((o) => evaluate({ Variable: '$', [operator]: o }, 'A'));
    expect(results).toEqual(expected);
  });

  test('order is by UTF-16 code unit, as Java compareTo (not by code point)', () => {
    // U+FFFF is one unit 0xFFFF; U+1F600 is the pair 0xD83D 0xDE00: Java puts U+FFFF after it.
    expect(evaluate({ Variable: '$', StringGreaterThan: '\u{1F600}' }, '\uFFFF')).toBe(true);
  });

  test('spec: "no special treatments such as case-folding … or Unicode form normalization"', () => {
    expect(evaluate({ Variable: '$', StringGreaterThan: 'B' }, 'a')).toBe(true);
    expect(evaluate({ Variable: '$', StringEquals: 'e\u0301' }, '\u00e9')).toBe(false);
    expect(evaluate({ Variable: '$', StringEquals: ' ' }, '     ')).toBe(false);
  });
});

describe('StringMatches ("String comparison against patterns with one or more wildcards")', () => {
  const matches = (pattern: string, value: string) =>
    evaluate({ Variable: '$', StringMatches: pattern }, value);

  test('spec: foo*.log matches foo23.log, *.log matches zebra.log, foo*.* matches foobar.zebra', () => {
    expect(matches('foo*.log', 'foo23.log')).toBe(true);
    expect(matches('*.log', 'zebra.log')).toBe(true);
    expect(matches('foo*.*', 'foobar.zebra')).toBe(true);
    expect(matches('foo*.log', 'foo23.txt')).toBe(false);
    expect(matches('foo*.*', 'foobar')).toBe(false);
  });

  test('"*" matches zero characters too, and the whole value must match', () => {
    expect(matches('foo*', 'foo')).toBe(true);
    expect(matches('foo', 'foobar')).toBe(false);
    expect(matches('*bar', 'foobarbaz')).toBe(false);
    expect(matches('*', '')).toBe(true);
    expect(matches('a*c', 'a\nb\nc')).toBe(true);
  });

  test('"No characters other than * have any special meaning"', () => {
    expect(matches('a?c', 'abc')).toBe(false);
    expect(matches('a?c', 'a?c')).toBe(true);
    expect(matches('a.c', 'abc')).toBe(false);
    expect(matches('[ab]', 'a')).toBe(false);
  });

  test('"\\*" matches a literal * and "\\\\" a literal backslash', () => {
    expect(matches('a\\*b', 'a*b')).toBe(true);
    expect(matches('a\\*b', 'axb')).toBe(false);
    expect(matches('C:\\\\temp\\\\*', 'C:\\temp\\file')).toBe(true);
    expect(matches('C:\\\\temp', 'C:temp')).toBe(false);
  });

  test('spec: "If an open escape backslash \\ is found … the interpreter will throw a runtime error"', () => {
    const failure = runtimeFailure({ Variable: '$', StringMatches: 'C:\\temp' }, 'C:\\temp');
    expect(failure.name).toBe('States.Runtime');
    expect(failure.message).toMatch(/Invalid StringMatches pattern/);
    expect(runtimeFailure({ Variable: '$', StringMatches: 'end\\' }, 'end\\').name).toBe(
      'States.Runtime',
    );
  });

  test('many wildcards against a long value stay fast (no regex backtracking)', () => {
    const started = Date.now();
    expect(matches('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(20_000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('timestamps ("must conform to RFC3339 profile ISO 8601")', () => {
  const T0 = '2012-10-09T19:00:55Z';
  const T1 = '2012-10-09T19:00:56Z';

  test.each([
    ['TimestampEquals', [true, false, false]],
    ['TimestampLessThan', [false, true, false]],
    ['TimestampGreaterThan', [false, false, true]],
    ['TimestampLessThanEquals', [true, true, false]],
    ['TimestampGreaterThanEquals', [true, false, true]],
  ])('%s for (T0, T0), (T0, T1), (T1, T0)', (operator, expected) => {
    const cases = [
      [T0, T0],
      [T0, T1],
      [T1, T0],
    ];
    const results = cases.map(([v, o]) => evaluate({ Variable: '$', [operator]: o }, v));
    expect(results).toEqual(expected);
  });

  test('comparisons are between instants, numeric offsets included, not between strings', () => {
    const noon = { Variable: '$', TimestampEquals: '2001-01-01T12:00:00Z' };
    expect(evaluate(noon, '2001-01-01T13:00:00+01:00')).toBe(true);
    expect(evaluate(noon, '2001-01-01T07:00:00-05:00')).toBe(true);
    // As strings "12:30" > "12:00"; as instants 11:30Z is before noon.
    const before = { Variable: '$', TimestampLessThan: '2001-01-01T12:00:00Z' };
    expect(evaluate(before, '2001-01-01T12:30:00+01:00')).toBe(true);
  });

  test('fractional seconds count, to the nanosecond', () => {
    const rule = { Variable: '$', TimestampGreaterThan: '2001-01-01T12:00:00Z' };
    expect(evaluate(rule, '2001-01-01T12:00:00.5Z')).toBe(true);
    expect(evaluate(rule, '2001-01-01T12:00:00.000000001Z')).toBe(true);
    expect(evaluate(rule, '2001-01-01T12:00:00.000Z')).toBe(false);
  });

  test.each([
    '2016-03-14T01:59:00Z',
    '2016-03-14T01:59:00.123Z',
    '2016-03-14T01:59:00+01:00',
    '2016-03-14T01:59:00-05:30',
    '2016-02-29T00:00:00Z',
  ])('IsTimestamp accepts %s', (value) => {
    expect(evaluate({ Variable: '$', IsTimestamp: true }, value)).toBe(true);
  });

  test.each([
    ['no offset', '2012-10-09T19:00:55'],
    ['a bare date', '2023-02-24'],
    ['a lowercase t ("An uppercase T must separate")', '2016-03-14t01:59:00Z'],
    ['a lowercase z ("An uppercase Z must denote")', '2016-03-14T01:59:00z'],
    ['a space for T', '2016-03-14 01:59:00Z'],
    ['a day that does not exist', '2023-02-29T00:00:00Z'],
    ['hour 24', '2016-03-14T24:00:00Z'],
    ['a number', 1457920740],
  ])('IsTimestamp rejects %s', (_why, value) => {
    expect(evaluate({ Variable: '$', IsTimestamp: true }, value)).toBe(false);
  });
});
