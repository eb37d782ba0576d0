// The JSONata functions Step Functions adds (local/engine/asl/jsonata-functions.ts). Test names
// quote the AWS Step Functions developer guide, "Transforming data with JSONata in Step
// Functions", section "JSONata functions provided by Step Functions", or the JSONPath intrinsic
// each one is "the JSONata equivalent of" ("Intrinsic functions for JSONPath states"); "(Floci)"
// marks AWS behaviour the guide does not state, as the Floci emulator recorded it from AWS.
import { TaskFailure } from '../../../local/engine/errors';
import { compileJsonataTemplate } from '../../../local/engine/asl/jsonata';
import { VariableScope } from '../../../local/engine/asl/variables';

const where = { stateName: 'S', field: 'Assign/v' };

function run(expression: string, input: unknown = {}, variables?: Record<string, unknown>) {
  let scope: VariableScope | undefined;
  if (variables) {
    scope = new VariableScope();
    scope.assign(variables);
  }
  const evaluate = compileJsonataTemplate(`{% ${expression} %}`, where);
  return evaluate({ states: { input, context: {} }, variables: scope });
}

/** The cause of the States.QueryEvaluationError `expression` fails with. */
async function cause(expression: string, input: unknown = {}): Promise<string> {
  let caught: unknown;
  try {
    await run(expression, input);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TaskFailure);
  expect((caught as TaskFailure).name).toBe('States.QueryEvaluationError');
  return (caught as TaskFailure).message;
}

const returnedNothing = "specified for the field 'Assign/v' returned nothing (undefined).";

describe('$partition', () => {
  it('the guide example: $partition([1,2,3,4], $states.input.chunkSize); the last chunk is shorter', async () => {
    expect(await run('$partition([1,2,3,4], $states.input.chunkSize)', { chunkSize: 3 })).toEqual([
      [1, 2, 3],
      [4],
    ]);
  });

  it('States.ArrayPartition example: [1,2,3,4,5,6,7,8,9] in chunks of 4', async () => {
    expect(
      await run('$partition($states.input.inputArray, 4)', {
        inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      }),
    ).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
  });

  it('"will automatically round down any non-integer numbers provided": chunk size 2.9 is 2', async () => {
    expect(await run('$partition([1,2,3,4,5], 2.9)')).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('an empty array or a chunk size of 0 gives nothing (Floci)', async () => {
    expect(await cause('$partition([], 2)')).toContain(returnedNothing);
    expect(await cause('$partition([1, 2], 0)')).toContain(returnedNothing);
  });

  it('a negative chunk size or a first argument that is not an array fails (Floci)', async () => {
    expect(await cause('$partition([1, 2], -2)')).toContain(
      'D3137: Second argument must be zero or greater',
    );
    expect(await cause('$partition("abc", 2)')).toContain(
      'T0412: Argument 1 of function "partition" must be an array of undefined',
    );
  });
});

describe('$range', () => {
  it('the guide example: $range(0, 10, 2)', async () => {
    expect(await run('$range(0, 10, 2)')).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('States.ArrayRange example: (1, 9, 2) gives [1,3,5,7,9]', async () => {
    expect(await run('$range(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
  });

  it('"The delta value can be positive or negative": $range(3, 1, -1)', async () => {
    expect(await run('$range(3, 1, -1)')).toEqual([3, 2, 1]);
  });

  it('stops before a value past the end ("until the end value is reached or exceeded")', async () => {
    expect(await run('$range(0, 5, 2)')).toEqual([0, 2, 4]);
  });

  it('non-integers are rounded towards zero (Floci: -1.7 is -1)', async () => {
    expect(await run('$range(-1.7, 2.9, 1.5)')).toEqual([-1, 0, 1, 2]);
  });

  it('start equal to end gives the bare number (Floci)', async () => {
    expect(await run('$range(4, 4, 1)')).toBe(4);
  });

  it('no step, or a step away from the end, gives nothing (Floci)', async () => {
    expect(await cause('$range(0, 10)')).toContain(returnedNothing);
    expect(await cause('$range(0, 10, -1)')).toContain(returnedNothing);
    expect(await cause('$range(0, 10, 0)')).toContain(returnedNothing);
  });

  it('more than 360,145 elements fails with "Expression evaluation memory limit exceeded" (Floci)', async () => {
    expect(await run('$count($range(1, 360145, 1))')).toBe(360145);
    expect(await cause('$range(1, 360146, 1)')).toContain(
      'Expression evaluation memory limit exceeded',
    );
  });

  it('a start that is not a number fails with T0410', async () => {
    expect(await cause('$range("a", 2, 1)')).toContain(
      'T0410: Argument 1 of function "range" does not match function signature',
    );
  });
});

describe('$hash', () => {
  it('States.Hash example: "input data" with SHA-1', async () => {
    // The guide prints aaff4a450a104cd177d28d18d7485e8cae074b7, one digit short of a SHA-1.
    expect(
      await run('$hash($states.input.Data, $states.input.Algorithm)', {
        Data: 'input data',
        Algorithm: 'SHA-1',
      }),
    ).toBe('aaff4a450a104cd177d28d18d74485e8cae074b7');
  });

  it('"The hashing algorithm must be one of … MD5, SHA-1, SHA-256, SHA-384, SHA-512"', async () => {
    // Digests of 'input' as Floci recorded them from AWS, SHA-384/512 from Node's crypto.
    const result = await run(
      `{"md5": $hash('input', 'MD5'), "sha1": $hash('input', 'SHA-1'), "sha256": $hash('input', 'SHA-256'),
        "sha384": $length($hash('input', 'SHA-384')), "sha512": $length($hash('input', 'SHA-512'))}`,
    );
    expect(result).toEqual({
      md5: 'a43c1b0aa53a0c908810c06ab1ff3967',
      sha1: '140f86aae51ab9e1cda9b4254fe98a74eb54c1a1',
      sha256: 'c96c6d5be8d08a12e7b5cdc1b207fa6b2430974c86803d8891675e76fd992c20',
      sha384: 96,
      sha512: 128,
    });
  });

  it('the guide example with the algorithm in a variable ($hashAlgorithmName)', async () => {
    expect(
      await run(
        '$hash($states.input.content, $hashAlgorithmName)',
        { content: 'input' },
        { hashAlgorithmName: 'MD5' },
      ),
    ).toBe('a43c1b0aa53a0c908810c06ab1ff3967');
  });

  it('an algorithm outside the list fails, naming it (Floci)', async () => {
    expect(await cause("$hash('input', 'SHA-9')")).toContain("Hash algorithm 'SHA-9'");
    expect(await cause("$hash('input', 'sha-1')")).toContain("Hash algorithm 'sha-1'");
  });

  it('data that is not a string fails with T0410; no algorithm gives nothing (Floci)', async () => {
    expect(await cause("$hash(1, 'MD5')")).toContain('T0410: Argument 1 of function "hash"');
    expect(await cause("$hash('input')")).toContain(returnedNothing);
  });
});

describe('$random', () => {
  it('"return a random number n where 0 ≤ n < 1" when no seed is given', async () => {
    const draws = (await run('[1..50].$random()')) as number[];
    expect(draws).toHaveLength(50);
    for (const n of draws) expect(n >= 0 && n < 1).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(1);
  });

  it('"If you use this function with the same seed value, it returns an identical number"', async () => {
    const [a, b] = (await run('[$random($states.input.seed), $random($states.input.seed)]', {
      seed: 7,
    })) as number[];
    expect(a).toBe(b);
    expect(await run('$random(8)')).not.toBe(a);
  });

  it('$random(42) is 0.7275636800328681, the value AWS returns (Floci: java.util.Random)', async () => {
    expect(await run('$random(42)')).toBe(0.7275636800328681);
  });

  it('a non-integer seed is rounded down: $random(42.9) equals $random(42)', async () => {
    expect(await run('$random(42.9)')).toBe(0.7275636800328681);
  });

  it('a seed that is not a number fails with T0410', async () => {
    expect(await cause("$random('x')")).toContain('T0410: Argument 1 of function "random"');
  });
});

describe('$uuid', () => {
  it('"This function return a v4 UUID", a new one on each call', async () => {
    const [a, b] = (await run('[$uuid(), $uuid()]')) as string[];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
  });

  it('"The function takes no arguments": an argument fails with T0410', async () => {
    expect(await cause('$uuid(1)')).toContain('T0410: Argument 1 of function "uuid"');
  });
});

describe('$parse', () => {
  it('the guide example: $parse($states.input.json_string) deserializes the string', async () => {
    const input = { json_string: '{"foo": "bar", "n": [1, 2]}' };
    expect(await run('$parse($states.input.json_string)', input)).toEqual({
      foo: 'bar',
      n: [1, 2],
    });
  });

  it('the parsed value can be navigated (Floci: $parse(body).detail.amount)', async () => {
    const input = { body: JSON.stringify({ detail: { amount: 1250, currency: 'ARS' } }) };
    expect(await run('$parse($states.input.body).detail.amount', input)).toBe(1250);
  });

  it('a string that is not JSON fails with D3137 (Floci)', async () => {
    expect(await cause("$parse('{nope')")).toContain('D3137: Invalid JSON');
    expect(await cause("$parse('')")).toContain('D3137: Invalid JSON');
  });

  it('an argument that is not a string fails with T0410', async () => {
    expect(await cause('$parse(1)')).toContain('T0410: Argument 1 of function "parse"');
  });
});
