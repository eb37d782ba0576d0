// Intrinsic functions of JSONPath states, written from the AWS Step Functions developer guide
// ("Intrinsic functions for JSONPath states in Step Functions"): every example the guide gives,
// with its documented result, and the behaviour the guide states. Where the guide is silent the
// expected values are AWS's recorded behaviour (noted per test) or the decision in the header of
// local/engine/asl/intrinsics.ts.
import { TaskFailure, UnsupportedAslFeature } from '../../../local/engine/errors';
import { compileIntrinsic, isIntrinsic } from '../../../local/engine/asl/intrinsics';
import { VariableScope } from '../../../local/engine/asl/variables';

const where = { stateName: 'Build', field: 'Parameters.x.$' };
const context = { Execution: { Id: 'arn:exec' }, StateMachine: { Id: 'arn:sm', Name: 'sm' } };

function run(text: string, input: unknown = {}, variables?: VariableScope): unknown {
  return compileIntrinsic(text, where)({ input, context, variables });
}

function failure(text: string, input: unknown = {}, variables?: VariableScope): TaskFailure {
  try {
    run(text, input, variables);
  } catch (error) {
    expect(error).toBeInstanceOf(TaskFailure);
    return error as TaskFailure;
  }
  throw new Error(`${text} did not fail`);
}

/** The failure of a state whose intrinsic AWS rejects while running it. */
function intrinsicFailure(text: string, input: unknown = {}): TaskFailure {
  const error = failure(text, input);
  expect(error.name).toBe('States.IntrinsicFailure');
  expect(error.isRetryable).toBe(true);
  expect(error.isCatchable).toBe(true);
  return error;
}

function refused(text: string): UnsupportedAslFeature {
  try {
    compileIntrinsic(text, where);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedAslFeature);
    const refusal = error as UnsupportedAslFeature;
    expect(refusal.stateName).toBe('Build');
    expect(refusal.field).toBe('Parameters.x.$');
    expect(refusal.message).toContain('State "Build"');
    expect(refusal.message).toContain('Parameters.x.$');
    return refusal;
  }
  throw new Error(`${text} was accepted`);
}

describe('intrinsic syntax', () => {
  it('isIntrinsic — "To use intrinsic functions, you must specify .$ in the key value": a value starting with States.', () => {
    expect(isIntrinsic('States.Array($.Id)')).toBe(true);
    expect(isIntrinsic('$.Id')).toBe(false);
    expect(isIntrinsic('$$.States.Array')).toBe(false);
  });

  it('arguments: single-quoted strings, ints, decimals, negatives, exponents, true, false, null', () => {
    expect(run("States.Array('a b', 2020, 1.5, -3, -0.25, 1e3, true, false, null)")).toEqual([
      'a b',
      2020,
      1.5,
      -3,
      -0.25,
      1000,
      true,
      false,
      null,
    ]);
  });

  it('"Reserved characters": \\\' \\{ \\} \\\\ are escapes for \' { } \\', () => {
    expect(run("States.Array('it\\'s', '\\{x\\}', 'back\\\\slash')")).toEqual([
      "it's",
      '{x}',
      'back\\slash',
    ]);
  });

  it('"If an open escape backslash \\ is found … the interpreter will throw": refused at load time', () => {
    expect(refused("States.Array('a\\nb')").message).toContain('open escape backslash');
  });

  it('a real newline character in a literal (JSON "\\n") is text, as AWS splits \'Hello\\nWorld\' on it', () => {
    expect(run("States.StringSplit('Hello\nWorld', '\n')")).toEqual(['Hello', 'World']);
  });

  it('paths read the input ($), the context object ($$) and variables ($name); whitespace around arguments is allowed', () => {
    const variables = new VariableScope();
    variables.assign({ who: { name: 'Ana' } });
    expect(
      run('States.Array( $.a , $$.StateMachine.Name,$who.name )', { a: 1 }, variables),
    ).toEqual([1, 'sm', 'Ana']);
    expect(run("States.Array($['odd,key'], $.list[1])", { 'odd,key': 'k', list: [0, 9] })).toEqual([
      'k',
      9,
    ]);
  });

  it('an indefinite path is a list, [] when nothing matches', () => {
    const input = { items: [{ id: 'a' }, { id: 'b' }] };
    expect(run('States.ArrayLength($.items[*].id)', input)).toBe(2);
    expect(run('States.ArrayLength($.none[*])', input)).toBe(0);
  });

  it('the guide\'s nine nested intrinsic functions ("myArn.$") evaluate inside out', () => {
    const text =
      "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))";
    const input = {
      ImageRecipe: {
        Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.0.1',
      },
    };
    // The guide's example itself has three {} for two arguments, which its own States.Format rule
    // ("as many remaining arguments … as there are occurrences of {}") forbids; with two {} it
    // takes the version "1.0.1", splits it on "." and joins items 0 and 1.
    expect(refused(text).message).toContain('3 {} but 2 argument(s)');
    expect(run(text.replace("'{}.{}.{}'", "'{}.{}'"), input)).toBe('1.0');
  });

  it('"You can nest up to 10 intrinsic functions within a field": 10 calls load, 11 are refused', () => {
    const nest = (n: number): string =>
      n === 1 ? 'States.Array(1)' : `States.Array(${nest(n - 1)})`;
    expect(() => compileIntrinsic(nest(10), where)).not.toThrow();
    expect(refused(nest(11)).message).toContain('at most 10');
  });

  it.each([
    [
      'an unknown function',
      'States.Compare($.a, $.b)',
      'States.Compare is not an intrinsic function',
    ],
    ['a missing parenthesis', 'States.Array($.a', 'expected "," or ")"'],
    ['text after the call', 'States.UUID() x', 'unexpected text'],
    ['an unterminated string', "States.Array('abc)", 'unterminated string'],
    ['a bare word', 'States.Array(abc)', 'unexpected character'],
    ['a path that is not one', 'States.Array($.a[)', 'not a valid path'],
    ['a wrong argument count', 'States.MathAdd(1)', 'takes 2 argument(s), not 1'],
    ['a wrong argument count (MathRandom)', 'States.MathRandom(1, 2, 3, 4)', '2 to 3 argument(s)'],
    ['a wrong argument count (UUID)', 'States.UUID(1)', 'takes 0 argument(s)'],
    ['a literal of the wrong type', "States.MathAdd('one', 1)", 'argument 1 must be a number'],
  ])('load time: %s is refused naming the state and the field', (_what, text, detail) => {
    expect(refused(text).message).toContain(detail);
  });
});

describe('failures at run time', () => {
  it("a path argument that selects nothing is States.Runtime (not retried, not caught) with AWS's cause", () => {
    const error = failure("States.Format('{}', $.nope)", { other: 1 });
    expect(error.name).toBe('States.Runtime');
    expect(error.isRetryable).toBe(false);
    expect(error.isCatchable).toBe(false);
    expect(error.message).toBe(
      "The function 'States.Format('{}', $.nope)' had the following error: The JsonPath argument for the field '$.nope' could not be found in the input '{\"other\":1}'",
    );
  });

  it('an index past the end of an array is a miss too, and the cause names the whole nested expression', () => {
    const text = "States.Format('{}', States.Array($.items[5]))";
    const error = failure(text, { items: [1, 2] });
    expect(error.name).toBe('States.Runtime');
    expect(error.message).toContain(`The function '${text}'`);
    expect(error.message).toContain("'$.items[5]' could not be found");
  });

  it('a path to an explicit null is a value, not a miss', () => {
    expect(run("States.Format('{}', $.nul)", { nul: null })).toBe('null');
  });

  it('an unknown variable is States.Runtime', () => {
    const error = failure('States.Array($missing)', {}, new VariableScope());
    expect(error.name).toBe('States.Runtime');
    expect(error.isCatchable).toBe(false);
    expect(error.message).toContain("The variable '$missing' is not defined");
  });

  it('any other failure is States.IntrinsicFailure, which States.ALL catches and retries', () => {
    const error = intrinsicFailure('States.MathAdd($.a, 1)', { a: 'x' });
    expect(error.message).toBe(
      'The function \'States.MathAdd($.a, 1)\' had the following error: States.MathAdd: argument 1 must be a number, not "x"',
    );
  });
});

describe('States.Format', () => {
  it('guide example: "Hello, my name is {}." with $.name and with $.template both give Hello, my name is Arnav.', () => {
    const input = { name: 'Arnav', template: 'Hello, my name is {}.' };
    expect(run("States.Format('Hello, my name is {}.', $.name)", input)).toBe(
      'Hello, my name is Arnav.',
    );
    expect(run('States.Format($.template, $.name)', input)).toBe('Hello, my name is Arnav.');
  });

  it('strings inserted raw; numbers, booleans and null as JSON (AWS: 1.1 -> "1.1", null -> "null")', () => {
    expect(
      run("States.Format('{}|{}|{}|{}|{}', $.s, $.i, $.d, $.b, $.n)", {
        s: 'x "y"',
        i: 1,
        d: 1.1,
        b: true,
        n: null,
      }),
    ).toBe('x "y"|1|1.1|true|null');
  });

  it('objects and arrays are written as AWS writes them (recorded: {"Arg1":1,"Arg2":[]} -> {Arg1=1, Arg2=[]})', () => {
    expect(run("States.Format('fst={}', $.o)", { o: { Arg1: 1, Arg2: [] } })).toBe(
      'fst={Arg1=1, Arg2=[]}',
    );
    expect(run("States.Format('{}', $.a)", { a: ['x', 2, null, { k: 'v' }] })).toBe(
      '[x, 2, null, {k=v}]',
    );
    expect(run("States.Format('{}', $$.StateMachine)")).toBe('{Id=arn:sm, Name=sm}');
  });

  it('"There must be as many remaining arguments … as there are occurrences of {}": a literal template is checked at load time', () => {
    expect(refused("States.Format('{} and {}', $.a)").message).toContain('2 {} but 1 argument(s)');
  });

  it('a template read from a path with the wrong count fails at run time', () => {
    const error = intrinsicFailure('States.Format($.t, 1)', { t: 'no placeholder' });
    expect(error.message).toContain('the template has 0 {} but 1 argument(s)');
  });

  it('\\{ and \\} are literal braces, not a placeholder; other braces are text', () => {
    expect(run("States.Format('\\{}{} {x}', 'v')")).toBe('{}v {x}');
  });

  it('the first argument must be a string', () => {
    expect(refused('States.Format(1)').message).toContain('argument 1 must be a string');
    intrinsicFailure('States.Format($.t)', { t: 5 });
  });
});

describe('States.StringToJson and States.JsonToString', () => {
  it('guide example: StringToJson($.escapedJsonString) of "{\\"foo\\": \\"bar\\"}" returns { "foo": "bar" }', () => {
    expect(
      run('States.StringToJson($.escapedJsonString)', { escapedJsonString: '{"foo": "bar"}' }),
    ).toEqual({ foo: 'bar' });
  });

  it('any JSON text parses (recorded on AWS: "null", "-0", "1.1", "true", "\\"HelloWorld\\"", arrays)', () => {
    expect(run("States.StringToJson('null')")).toBeNull();
    expect(Object.is(run("States.StringToJson('-0')"), 0)).toBe(true);
    expect(run("States.StringToJson('1.1')")).toBe(1.1);
    expect(run("States.StringToJson('true')")).toBe(true);
    expect(run('States.StringToJson($.s)', { s: '"HelloWorld"' })).toBe('HelloWorld');
    expect(run('States.StringToJson(\'[1, 2, "x"]\')')).toEqual([1, 2, 'x']);
  });

  it('StringToJson of "" or of whitespace is null, as AWS answers (recorded), not a failure', () => {
    expect(run('States.StringToJson($.s)', { s: '' })).toBeNull();
    expect(run('States.StringToJson($.s)', { s: ' ' })).toBeNull();
  });

  it('StringToJson of text that is not JSON is States.IntrinsicFailure, never a JavaScript SyntaxError', () => {
    const error = intrinsicFailure('States.StringToJson($.s)', { s: '{"foo": ' });
    expect(error.name).not.toBe('SyntaxError');
    expect(error.message).toContain('States.StringToJson: the argument is not JSON text');
    intrinsicFailure('States.StringToJson($.s)', { s: { already: 'json' } });
  });

  it('guide example: JsonToString($.unescapedJson) of {"foo": "bar"} returns "{\\"foo\\":\\"bar\\"}"', () => {
    expect(run('States.JsonToString($.unescapedJson)', { unescapedJson: { foo: 'bar' } })).toBe(
      '{"foo":"bar"}',
    );
    expect(run('States.JsonToString($.n)', { n: 1.1 })).toBe('1.1');
  });

  it('JsonToString: "This argument must be a Path" — a literal is refused at load time', () => {
    expect(refused("States.JsonToString('x')").message).toContain('must be a path');
  });
});

describe('array intrinsics', () => {
  it('guide example: States.Array($.Id) with {"Id": 123456} returns [123456]; zero arguments give []', () => {
    expect(run('States.Array($.Id)', { Id: 123456 })).toEqual([123456]);
    expect(run('States.Array()')).toEqual([]);
  });

  it('guide example: ArrayPartition([1..9], 4) returns [[1,2,3,4],[5,6,7,8],[9]]', () => {
    expect(
      run('States.ArrayPartition($.inputArray,4)', { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] }),
    ).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(run('States.ArrayPartition($.a, 2)', { a: [] })).toEqual([]);
  });

  it('ArrayPartition: "You must specify a non-zero, positive integer for the second argument"', () => {
    expect(refused('States.ArrayPartition($.a, 0)').message).toContain('positive integer');
    intrinsicFailure('States.ArrayPartition($.a, $.n)', { a: [1], n: -1 });
    intrinsicFailure('States.ArrayPartition($.a, 2)', { a: 'not an array' });
    expect(run('States.ArrayPartition($.a, 1.6)', { a: [1, 2, 3] })).toEqual([[1, 2], [3]]);
  });

  it('guide example: ArrayContains([1..9], 5) returns true; values compare as JSON', () => {
    expect(
      run('States.ArrayContains($.inputArray, $.lookingFor)', {
        inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        lookingFor: 5,
      }),
    ).toBe(true);
    const input = { a: [[1, 2, 3], { k: [null] }, false], b: { k: [null] }, c: [1, 2] };
    expect(run('States.ArrayContains($.a, $.b)', input)).toBe(true);
    expect(run('States.ArrayContains($.a, $.c)', input)).toBe(false);
    expect(run('States.ArrayContains($.a, null)', input)).toBe(false);
    intrinsicFailure('States.ArrayContains($.b, 1)', input);
  });

  it('guide example: ArrayRange(1, 9, 2) returns [1,3,5,7,9]; a negative step counts down', () => {
    expect(run('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(run('States.ArrayRange(0, 10, 3)')).toEqual([0, 3, 6, 9]);
    expect(run('States.ArrayRange(9, 1, -4)')).toEqual([9, 5, 1]);
    expect(run('States.ArrayRange(1, 9, -1)')).toEqual([]);
  });

  it('ArrayRange: "You must specify a non-zero value for the third argument"', () => {
    expect(refused('States.ArrayRange(1, 9, 0)').message).toContain('must not be 0');
    intrinsicFailure('States.ArrayRange(1, 9, $.s)', { s: 0.4 });
  });

  it('ArrayRange: "The newly generated array can\'t contain more than 1000 items"', () => {
    expect(run('States.ArrayRange(1, 1000, 1)')).toHaveLength(1000);
    expect(intrinsicFailure('States.ArrayRange(1, 1001, 1)').message).toContain('1001 items');
  });

  it('guide example: ArrayGetItem([1..9], 5) returns 6', () => {
    expect(
      run('States.ArrayGetItem($.inputArray, $.index)', {
        inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        index: 5,
      }),
    ).toBe(6);
  });

  it('ArrayGetItem: an index outside the array or not an integer fails (the old library answered null)', () => {
    const input = { a: [1, 2] };
    expect(intrinsicFailure('States.ArrayGetItem($.a, 2)', input).message).toContain(
      'index 2 is not an index of an array of length 2',
    );
    intrinsicFailure('States.ArrayGetItem($.a, -1)', input);
    intrinsicFailure('States.ArrayGetItem($.a, 0.5)', input);
  });

  it('guide example: ArrayLength([1..9]) returns 9', () => {
    expect(
      run('States.ArrayLength($.inputArray)', { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] }),
    ).toBe(9);
    intrinsicFailure('States.ArrayLength($.s)', { s: 'abc' });
  });

  it('guide example: ArrayUnique([1,2,3,3,3,3,3,3,4]) returns [1,2,3,4]; objects and arrays compare as JSON', () => {
    expect(
      run('States.ArrayUnique($.inputArray)', { inputArray: [1, 2, 3, 3, 3, 3, 3, 3, 4] }),
    ).toEqual([1, 2, 3, 4]);
    expect(
      run('States.ArrayUnique($.a)', {
        a: [null, null, { a: 1, b: 2 }, { b: 2, a: 1 }, { a: 1, b: 1 }, [null], [null], 'x', 'x'],
      }),
    ).toEqual([null, { a: 1, b: 2 }, { a: 1, b: 1 }, [null], 'x']);
  });
});

describe('encoding and hashing', () => {
  it('guide example: Base64Encode("Data to encode") returns "RGF0YSB0byBlbmNvZGU="; UTF-8 underneath', () => {
    expect(run('States.Base64Encode($.input)', { input: 'Data to encode' })).toBe(
      'RGF0YSB0byBlbmNvZGU=',
    );
    expect(run("States.Base64Encode('é')")).toBe('w6k=');
    expect(run("States.Base64Encode('')")).toBe('');
  });

  it('guide example: Base64Decode("RGF0YSB0byBlbmNvZGU=") — the guide prints "Decoded data", the bytes are "Data to encode"', () => {
    expect(run('States.Base64Decode($.base64)', { base64: 'RGF0YSB0byBlbmNvZGU=' })).toBe(
      'Data to encode',
    );
    expect(run("States.Base64Decode('w6k=')")).toBe('é');
  });

  it('Base64Decode of text that is not Base64 is States.IntrinsicFailure', () => {
    intrinsicFailure("States.Base64Decode('not base64!')");
    intrinsicFailure("States.Base64Decode('abc')");
  });

  it('Base64Encode / Base64Decode: "a data string of up to 10,000 characters"', () => {
    expect(run('States.Base64Encode($.s)', { s: 'a'.repeat(10_000) })).toHaveLength(13_336);
    expect(
      intrinsicFailure('States.Base64Encode($.s)', { s: 'a'.repeat(10_001) }).message,
    ).toContain('at most 10000');
    intrinsicFailure('States.Base64Decode($.s)', { s: 'QUFB'.repeat(2501) });
  });

  it('guide example: Hash("input data", "SHA-1") — the guide prints 39 digits (a dropped 4), the SHA-1 is aaff4a45…74b7', () => {
    expect(
      run('States.Hash($.Data, $.Algorithm)', { Data: 'input data', Algorithm: 'SHA-1' }),
    ).toBe('aaff4a450a104cd177d28d18d74485e8cae074b7');
  });

  it('Hash: "MD5, SHA-1, SHA-256, SHA-384, SHA-512", as lowercase hex', () => {
    const digests = ['MD5', 'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].map(
      (algorithm) => run(`States.Hash('input data', '${algorithm}')`) as string,
    );
    expect(digests.map((digest) => digest.length)).toEqual([32, 40, 64, 96, 128]);
    expect(digests[0]).toBe('812f45842bc6d66ee14572ce20db8e86');
    expect(digests[2]).toBe('b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3');
  });

  it('Hash: another algorithm is refused (literal at load time, from a path at run time)', () => {
    expect(refused("States.Hash('x', 'sha-1')").message).toContain('must be one of MD5');
    expect(refused("States.Hash('x', 'toString')").message).toContain('must be one of MD5');
    intrinsicFailure('States.Hash($.d, $.a)', { d: 'x', a: 'SHA-3' });
  });

  it('Hash: "The data you provide must be an object string containing 10,000 characters or less"', () => {
    expect(run("States.Hash($.s, 'MD5')", { s: 'a'.repeat(10_000) })).toHaveLength(32);
    intrinsicFailure("States.Hash($.s, 'MD5')", { s: 'a'.repeat(10_001) });
    intrinsicFailure("States.Hash($.s, 'MD5')", { s: { not: 'a string' } });
  });
});

describe('States.JsonMerge', () => {
  it('guide example: shallow merge — "the latter object\'s key overrides"; nested objects are not merged', () => {
    const input = {
      json1: { a: { a1: 1, a2: 2 }, b: 2 },
      json2: { a: { a3: 1, a4: 2 }, c: 3 },
    };
    expect(run('States.JsonMerge($.json1, $.json2, false)', input)).toEqual({
      a: { a3: 1, a4: 2 },
      b: 2,
      c: 3,
    });
    expect(input.json1).toEqual({ a: { a1: 1, a2: 2 }, b: 2 }); // the input is not changed
  });

  it('"Step Functions only supports the shallow merging mode; therefore, you must specify the boolean value as false"', () => {
    expect(refused('States.JsonMerge($.a, $.b, true)').message).toContain('deep merging');
    intrinsicFailure('States.JsonMerge($.a, $.b, $.deep)', { a: {}, b: {}, deep: true });
    expect(refused("States.JsonMerge($.a, $.b, 'false')").message).toContain('must be a boolean');
  });

  it('both merged values must be JSON objects', () => {
    intrinsicFailure('States.JsonMerge($.a, $.b, false)', { a: [1], b: {} });
    intrinsicFailure('States.JsonMerge($.a, $.b, false)', { a: {}, b: null });
  });
});

describe('math', () => {
  it('guide example: MathAdd(111, -1) returns 110', () => {
    expect(run('States.MathAdd($.value1, $.step)', { value1: 111, step: -1 })).toBe(110);
  });

  it('MathAdd: a non-integer is "round[ed] off to the nearest integer", half up as AWS does (recorded: 1.49+1.5=3, -1.49+-1.5=-2, -1.5+-1.51=-3)', () => {
    const add = (a: number, b: number) => run('States.MathAdd($.a, $.b)', { a, b });
    expect(add(1.49, 1.5)).toBe(3);
    expect(add(1.5, 1.51)).toBe(4);
    expect(add(-1.49, -1.5)).toBe(-2);
    expect(add(-1.5, -1.51)).toBe(-3);
    expect(add(2.5, 0)).toBe(3);
    expect(add(-2.5, 0)).toBe(-2);
    expect(add(-0.5, 0.5)).toBe(1);
    expect(Object.is(add(-0.5, 0), 0)).toBe(true);
  });

  it('MathAdd: arguments and sum must lie in -2147483648..2147483647', () => {
    expect(run('States.MathAdd(2147483646, 1)')).toBe(2147483647);
    expect(run('States.MathAdd(-2147483648, 0)')).toBe(-2147483648);
    expect(intrinsicFailure('States.MathAdd(2147483647, 1)').message).toContain('the result');
    expect(refused('States.MathAdd(2147483648, 0)').message).toContain('integer range');
    intrinsicFailure('States.MathAdd($.a, 0)', { a: -2147483649 });
  });

  it('MathAdd: "You must specify integer values" — a string or null fails', () => {
    intrinsicFailure('States.MathAdd($.a, 1)', { a: '1' });
    intrinsicFailure('States.MathAdd($.a, 1)', { a: null });
  });

  it('MathRandom: "a random number between the specified start and end number" — an integer in [start, end)', () => {
    for (let i = 0; i < 200; i += 1) {
      const value = run('States.MathRandom($.start, $.end)', { start: 1, end: 4 }) as number;
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(1);
      expect(value).toBeLessThan(4);
    }
    expect(run('States.MathRandom(7, 8)')).toBe(7);
  });

  it('MathRandom: "If you use this function with the same seed value, it returns an identical number"', () => {
    const seeded = (seed: number) => run('States.MathRandom(0, 1000, $.seed)', { seed });
    expect(seeded(3)).toBe(seeded(3));
    expect(new Set([1, 2, 3, 4, 5, 6].map(seeded)).size).toBeGreaterThan(1);
    // Java's own answers (java.util.Random, checked with a JDK): new Random(42).nextInt(1000) is
    // 130, new Random(-5).nextInt(1000) 411, new Random(7).nextInt(100) 36, new Random(3).nextInt(64) 46.
    expect(seeded(42)).toBe(130);
    expect(seeded(-5)).toBe(411);
    expect(run('States.MathRandom(0, 100, 7)')).toBe(36);
    expect(run('States.MathRandom(10, 74, 3)')).toBe(56);
  });

  it('MathRandom: a non-integer start or end is rounded to the nearest integer', () => {
    for (let i = 0; i < 50; i += 1) {
      expect(run('States.MathRandom($.s, $.e)', { s: 1.5, e: 3.4 })).toBe(2);
    }
  });

  it('MathRandom: start must be below end, and both numbers', () => {
    intrinsicFailure('States.MathRandom(5, 5)');
    intrinsicFailure('States.MathRandom(9, 1)');
    intrinsicFailure('States.MathRandom($.s, 10)', { s: 'a' });
  });
});

describe('States.StringSplit', () => {
  it('guide example: StringSplit("1,2,3,4,5", ",") returns ["1","2","3","4","5"]', () => {
    expect(
      run('States.StringSplit($.inputString, $.splitter)', {
        inputString: '1,2,3,4,5',
        splitter: ',',
      }),
    ).toEqual(['1', '2', '3', '4', '5']);
  });

  it('"splits a string into an array of values" using each delimiter character (AWS: "This.is+a,test=string" on ".+,=")', () => {
    expect(
      run('States.StringSplit($.inputString, $.splitter)', {
        inputString: 'This.is+a,test=string',
        splitter: '.+,=',
      }),
    ).toEqual(['This', 'is', 'a', 'test', 'string']);
  });

  it('empty parts are dropped (the old library kept them)', () => {
    expect(run("States.StringSplit(',a,,b,', ',')")).toEqual(['a', 'b']);
    expect(run("States.StringSplit('', ',')")).toEqual([]);
    expect(run("States.StringSplit(',,', ',')")).toEqual([]);
    expect(run("States.StringSplit('abc', '')")).toEqual(['abc']);
  });

  it('both arguments must be strings', () => {
    intrinsicFailure("States.StringSplit($.s, ',')", { s: 12 });
    expect(refused("States.StringSplit('a', 1)").message).toContain('argument 2 must be a string');
  });
});

describe('States.UUID', () => {
  it('"return a version 4 universally unique identifier (v4 UUID) generated using random numbers"', () => {
    const first = run('States.UUID()') as string;
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(run('States.UUID()')).not.toBe(first);
  });
});
