// JSONata as Step Functions evaluates it (local/engine/asl/jsonata.ts). Test names quote the
// section of the AWS Step Functions developer guide, "Transforming data with JSONata in Step
// Functions", the behaviour comes from; "(Floci)" marks AWS behaviour the guide does not state,
// taken from the Floci emulator's record of AWS.
import { TaskFailure, UnsupportedAslFeature } from '../../../local/engine/errors';
import {
  compileJsonataTemplate,
  isJsonataExpression,
  type JsonataCompileOptions,
  type StatesBinding,
} from '../../../local/engine/asl/jsonata';
import { VariableScope } from '../../../local/engine/asl/variables';

const where = { stateName: 'S', field: 'Output' };

/** Evaluates `template` as the Output of state S. */
function run(
  template: unknown,
  states: Partial<StatesBinding> = {},
  variables?: VariableScope,
  options?: JsonataCompileOptions,
): Promise<unknown> {
  const evaluate = compileJsonataTemplate(template, where, options);
  return evaluate({ states: { input: {}, context: {}, ...states }, variables });
}

/** The States.QueryEvaluationError `template` fails with. */
async function failure(
  template: unknown,
  states: Partial<StatesBinding> = {},
  variables?: VariableScope,
  options?: JsonataCompileOptions,
): Promise<TaskFailure> {
  let caught: unknown;
  try {
    await run(template, states, variables, options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TaskFailure);
  const taskFailure = caught as TaskFailure;
  expect(taskFailure.name).toBe('States.QueryEvaluationError');
  return taskFailure;
}

/** The load-time refusal of `template`. */
function refusal(template: unknown, options?: JsonataCompileOptions): UnsupportedAslFeature {
  let caught: unknown;
  try {
    compileJsonataTemplate(template, where, options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UnsupportedAslFeature);
  const refused = caught as UnsupportedAslFeature;
  expect(refused.stateName).toBe('S');
  return refused;
}

function scope(values: Record<string, unknown>, parent?: VariableScope): VariableScope {
  const created = parent ? parent.child() : new VariableScope();
  created.assign(values);
  return created;
}

describe('Writing JSONata expressions in JSON strings', () => {
  it('evaluates {% %} strings and leaves other strings as written (the conversion sample)', async () => {
    const argumentsField = {
      static: 'Hello',
      title: '{% $states.input.title %}',
      name: '{% $customerName %}',
      'not-evaluated': '$customerName',
    };
    const result = await run(
      argumentsField,
      { input: { title: 'Doctor' } },
      scope({ customerName: 'María' }),
    );
    expect(result).toEqual({
      static: 'Hello',
      title: 'Doctor',
      name: 'María',
      'not-evaluated': '$customerName',
    });
  });

  it('evaluates array elements ("Items": [1, "{% $two %}", 3]) and nested strings', async () => {
    const template = { items: [1, '{% $two %}', 3], deep: { list: [{ v: '{% $two * 2 %}' }] } };
    expect(await run(template, {}, scope({ two: 2 }))).toEqual({
      items: [1, 2, 3],
      deep: { list: [{ v: 4 }] },
    });
  });

  it('a whole field may be one expression of any type ("TimeoutSeconds": "{% $timeout %}")', async () => {
    expect(await run('{% $timeout %}', {}, scope({ timeout: 30 }))).toBe(30);
  });

  it('"Output can also accept any type of JSON value too": true, 42, null pass through', async () => {
    expect(await run(true)).toBe(true);
    expect(await run(42)).toBe(42);
    expect(await run(null)).toBeNull();
  });

  it('"the string must start with {% with no leading spaces, and must end with %}"', () => {
    expect(isJsonataExpression('{% $x %}')).toBe(true);
    expect(isJsonataExpression('{%$x%}')).toBe(true);
    expect(isJsonataExpression(' {% $x %}')).toBe(false);
    expect(isJsonataExpression('{% $x %} ')).toBe(false);
    expect(isJsonataExpression('$x')).toBe(false);
    expect(isJsonataExpression('{%}')).toBe(false);
    expect(isJsonataExpression(42)).toBe(false);
  });

  it('"Improperly opening or closing the expression will result in a validation error"', () => {
    expect(refusal({ a: ' {% $x %}' }).field).toBe('Output/a');
    expect(refusal({ a: ['{% $x %} '] }).field).toBe('Output/a[0]');
    expect(refusal('{% $x').field).toBe('Output');
    expect(refusal('Hello {% $name %}').field).toBe('Output');
    // A string that merely ends in %} is a literal.
    expect(() => compileJsonataTemplate('50%}', where)).not.toThrow();
  });

  it('a syntax error is refused at load time, naming the state and the field', () => {
    const refused = refusal({ v: '{% a[1,2) %}' });
    expect(refused.field).toBe('Output/v');
    expect(refused.message).toContain('State "S"');
    expect(refused.message).toContain('INVALID_JSONATA_EXPRESSION');
    expect(refused.message).toContain('S0202');
  });

  it('an empty expression is refused at load time', () => {
    expect(refusal('{% %}').message).toContain('INVALID_JSONATA_EXPRESSION');
  });

  it('a top-level name, $ or $$ is refused at create time (Floci: UNSUPPORTED_JSONATA_EXPRESSION)', () => {
    expect(refusal({ v: '{% phone %}' }).message).toContain(
      "Reference to 'phone' at the top level",
    );
    expect(refusal('{% $.phone %}').message).toContain("Reference to '$' at the top level");
    expect(refusal('{% $$.Execution.Id %}').message).toContain("Reference to '$$'");
    expect(refusal('{% $map($states.input.a, function($x){ b }) %}').message).toContain("'b'");
  });

  it('names inside predicates, later path steps and blocks read the step they are in', async () => {
    const input = {
      items: [
        { value: 2, n: 'a' },
        { value: 5, n: 'b' },
      ],
    };
    expect(await run('{% $states.input.items[value > 3].n %}', { input })).toBe('b');
    expect(await run('{% $sum($states.input.items.(value * 2)) %}', { input })).toBe(14);
    expect(await run('{% $states.input.items[$.value < 3].n %}', { input })).toBe('a');
    expect(await run('{% $states.input.items{n: value} %}', { input })).toEqual({ a: 2, b: 5 });
    expect(await run('{% $items[value > 3].n %}', {}, scope(input))).toBe('b');
  });
});

describe('Reserved variable: $states', () => {
  it('$states.input is the state input (Example: Input and Output)', async () => {
    const output = {
      lastName: "{% 'Last=>' & $states.input.customer.lastName %}",
      orderValue: '{% $states.input.order.total %}',
    };
    const input = {
      customer: { firstName: 'Martha', lastName: 'Rivera' },
      order: { items: 7, total: 27.91 },
    };
    expect(await run(output, { input })).toEqual({ lastName: 'Last=>Rivera', orderValue: 27.91 });
  });

  it('Example: Filtering with JSONata ($states.input.products[calories=0])', async () => {
    const products = [
      { calories: 140, flavour: 'Cola', name: 'Product-1' },
      { calories: 0, flavour: 'Cola', name: 'Product-2' },
      { calories: 160, flavour: 'Orange', name: 'Product-3' },
      { calories: 100, flavour: 'Orange', name: 'Product-4' },
      { calories: 0, flavour: 'Lime', name: 'Product-5' },
    ];
    const result = await run(
      { dietProducts: '{% $states.input.products[calories=0] %}' },
      {
        input: { products },
      },
    );
    expect(result).toEqual({ dietProducts: [products[1], products[4]] });
  });

  it('$states.result, $states.errorOutput and $states.context read what the engine binds', async () => {
    const template = {
      result: '{% $states.result.Payload %}',
      error: '{% $states.errorOutput.Error %}',
      execution: '{% $states.context.Execution.Id %}',
    };
    const states = {
      result: { Payload: 7 },
      errorOutput: { Error: 'E', Cause: 'c' },
      context: { Execution: { Id: 'arn:exec' } },
    };
    expect(await run(template, states)).toEqual({ result: 7, error: 'E', execution: 'arn:exec' });
  });

  it('a $states field the engine did not bind is undefined, not null', async () => {
    expect(await run('{% $exists($states.result) %}')).toBe(false);
    expect(await run('{% $exists($states.result) %}', { result: null })).toBe(true);
  });

  it('"Attempting to access $states.result … where they are not accessible will be caught at creation"', () => {
    const options = { statesFields: ['input', 'context'] as const };
    expect(refusal('{% $states.result.x %}', options).message).toContain('$states.result');
    expect(refusal({ e: '{% $states.errorOutput %}' }, options).field).toBe('Output/e');
    expect(() => compileJsonataTemplate('{% $states.input %}', where, options)).not.toThrow();
  });
});

describe('variables', () => {
  it('binds every visible workflow variable as $name, an inner scope shadowing an outer one', async () => {
    const outer = scope({ a: 1, b: 'outer' });
    const inner = scope({ b: 'inner' }, outer);
    expect(await run({ a: '{% $a %}', b: '{% $b %}' }, {}, inner)).toEqual({ a: 1, b: 'inner' });
  });

  it('a variable that is not defined is undefined: alone, the field returns nothing', async () => {
    const failed = await failure({ v: '{% $nowhere %}' });
    expect(failed.message).toBe(
      "The JSONata expression '$nowhere' specified for the field 'Output/v' returned nothing (undefined).",
    );
  });

  it('a variable holding JSON null is a value (Floci)', async () => {
    const variables = scope({ v: null });
    expect(await run({ v: '{% $v %}', exists: '{% $exists($v) %}' }, {}, variables)).toEqual({
      v: null,
      exists: true,
    });
  });
});

describe('Handling expression errors', () => {
  it('Type error: {% $x + $y %} fails with States.QueryEvaluationError when $y is not a number', async () => {
    const failed = await failure({ sum: '{% $x + $y %}' }, {}, scope({ x: 1, y: 'two' }));
    expect(failed.message).toBe(
      "The JSONata expression '$x + $y' specified for the field 'Output/sum' threw an error " +
        'during evaluation. T2002: The right side of the "+" operator must evaluate to a number',
    );
  });

  it('the error is one Catch catches and Retry retries ("provide a Catch field … and a Retry field")', async () => {
    const failed = await failure('{% $abs("x") %}');
    expect(failed.isCatchable).toBe(true);
    expect(failed.isRetryable).toBe(true);
    expect(failed.message).toContain(
      'T0410: Argument 1 of function "abs" does not match function signature',
    );
  });

  it('Failure to return a result: {% $data.thisFieldDoesNotExist %} fails the field', async () => {
    const failed = await failure('{% $data.thisFieldDoesNotExist %}', {}, scope({ data: {} }));
    expect(failed.message).toBe(
      "The JSONata expression '$data.thisFieldDoesNotExist' specified for the field 'Output' " +
        'returned nothing (undefined).',
    );
  });

  it('an undefined key inside an object template fails, named down to the key (AWS does not drop it)', async () => {
    const template = { Input: { pushLocation: '{% $states.input.pushLocation %}', other: 1 } };
    const failed = await failure(template);
    expect(failed.message).toBe(
      "The JSONata expression '$states.input.pushLocation' specified for the field " +
        "'Output/Input/pushLocation' returned nothing (undefined).",
    );
  });

  it('an undefined array element fails, named by its index', async () => {
    const failed = await failure({ items: [1, '{% $states.input.missing %}'] });
    expect(failed.message).toContain("the field 'Output/items[1]' returned nothing (undefined)");
  });

  it('a JavaScript error during evaluation is a States.QueryEvaluationError, never a RangeError', async () => {
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i += 1) deep = { d: deep };
    const failed = await failure('{% $string($states.input) %}', { input: deep });
    expect(failed.message).toContain(
      'threw an error during evaluation. Maximum call stack size exceeded',
    );
  });

  it('Stack overflow: recursion past depth 100 fails with "Stack overflow error" (Floci: AWS allows 100)', async () => {
    const failed = await failure(
      '{% ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000)) %}',
    );
    expect(failed.message).toContain('Stack overflow error');
    const terms = (n: number) => `{% ${Array(n).fill('1').join('+')} %}`;
    expect(await run(terms(100))).toBe(100);
    expect((await failure(terms(101))).message).toContain('Depth=101 max=100');
  });

  it('Expression timeout: an endless loop fails with "Expression evaluation timeout"', async () => {
    const loop = '{% ($loop := function($n){ $loop($n + 1) }; $loop(0)) %}';
    const failed = await failure(loop, {}, undefined, { timeoutMs: 50 });
    expect(failed.message).toContain('Expression evaluation timeout');
  });

  it('"$eval is not available—use $parse instead": calling it fails with T1006', async () => {
    const failed = await failure('{% $eval("1 + 1") %}');
    expect(failed.message).toContain('T1006');
  });

  it('a function result fails: JSON cannot hold it', async () => {
    for (const template of ['{% function($x){ $x } %}', '{% $sum %}', { f: '{% {"f": $sum} %}' }]) {
      const failed = await failure(template);
      expect(failed.message).toContain('returned an unsupported result type');
    }
  });

  it('results are plain JSON: a JSONata sequence becomes a plain array, objects plain objects', async () => {
    const input = { items: [{ v: 1 }, { v: 2 }] };
    const result = (await run('{% $states.input.items.{"v": v} %}', { input })) as object[];
    expect(Object.getOwnPropertyNames(result)).toEqual(['0', '1', 'length']);
    expect(Object.getPrototypeOf(result[0])).toBe(Object.prototype);
    expect(result).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('a non-finite number becomes its JavaScript name (Floci: 1/0 is "Infinity" on AWS)', async () => {
    expect(await run({ a: '{% 1/0 %}', b: '{% -1/0 %}', c: '{% [0/0] %}' })).toEqual({
      a: 'Infinity',
      b: '-Infinity',
      c: ['NaN'],
    });
  });

  it('each evaluation returns a fresh value: changing one result does not change the next', async () => {
    const evaluate = compileJsonataTemplate({ fixed: { n: 1 } }, where);
    const env = { states: { input: {}, context: {} } };
    ((await evaluate(env)) as { fixed: { n: number } }).fixed.n = 2;
    expect(await evaluate(env)).toEqual({ fixed: { n: 1 } });
  });
});
