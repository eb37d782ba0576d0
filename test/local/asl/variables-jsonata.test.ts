// Workflow variables and the JSONata query language, run through the engine, from the AWS Step
// Functions developer guide ("Passing data between states with variables", "Transforming data
// with JSONata in Step Functions"); each test names what it checks.
import { InvalidAslDefinition, UnsupportedAslFeature } from '../../../local/engine';
import { closeAll, engineFor, machine, runOnce, type States, succeeded } from '../engine-support';

afterEach(closeAll);

const jsonata = (states: States) => machine(states, { QueryLanguage: 'JSONata' });
const runOf = (definition: Record<string, unknown>, input: unknown = {}) =>
  runOnce(definition, input);
const output = (definition: Record<string, unknown>, input: unknown = {}) =>
  succeeded(definition, input);

describe('Workflow variables (JSONPath)', () => {
  it('Assign stores a value a later state reads as $name', async () => {
    const out = await output(
      machine({
        A: { Type: 'Pass', Assign: { 'productName.$': '$.name', count: 3 }, Next: 'B' },
        B: { Type: 'Pass', Parameters: { 'name.$': '$productName', 'n.$': '$count' }, End: true },
      }),
      { name: 'book' },
    );
    expect(out).toEqual({ name: 'book', n: 3 });
  });

  it("all of a state's assignments read the values from its entry: two variables swap", async () => {
    const out = await output(
      machine({
        A: { Type: 'Pass', Assign: { x: 1, y: 2 }, Next: 'B' },
        B: { Type: 'Pass', Assign: { 'x.$': '$y', 'y.$': '$x' }, Next: 'C' },
        C: { Type: 'Pass', Parameters: { 'x.$': '$x', 'y.$': '$y' }, End: true },
      }),
    );
    expect(out).toEqual({ x: 2, y: 1 });
  });

  it('in a Task, Assign reads the result after ResultSelector as $', async () => {
    const out = await output(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'work', Payload: { v: 9 } },
          ResultSelector: { 'value.$': '$.Payload.v' },
          Assign: { 'saved.$': '$.value' },
          Next: 'B',
        },
        B: { Type: 'Pass', Parameters: { 'saved.$': '$saved' }, End: true },
      }),
    );
    expect(out).toEqual({ saved: 9 });
  });

  it('a Map iteration reads the outer variables; what it assigns stays inside it', async () => {
    const out = await output(
      machine({
        A: { Type: 'Pass', Assign: { factor: 10, inner: 'outer' }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: machine({
            I: {
              Type: 'Pass',
              Assign: { mine: 1 },
              Parameters: { 'f.$': '$factor', 'v.$': '$' },
              End: true,
            },
          }),
          Next: 'B',
        },
        B: { Type: 'Pass', Parameters: { 'results.$': '$', 'inner.$': '$inner' }, End: true },
      }),
      [1, 2],
    );
    expect(out).toEqual({
      results: [
        { f: 10, v: 1 },
        { f: 10, v: 2 },
      ],
      inner: 'outer',
    });
  });

  it('a variable nobody assigned fails the state with States.Runtime', async () => {
    const record = await runOf(
      machine({ A: { Type: 'Pass', Parameters: { 'x.$': '$nobody' }, End: true } }),
    );
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toContain('$nobody');
  });

  it("a Catcher's Assign reads the error output as $", async () => {
    const out = await output(
      machine({
        F: {
          Type: 'Parallel',
          Branches: [machine({ X: { Type: 'Fail', Error: 'Boom', Cause: 'why' } })],
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              Assign: { 'err.$': '$.Error' },
              ResultPath: null,
              Next: 'B',
            },
          ],
          End: true,
        },
        B: { Type: 'Pass', Parameters: { 'err.$': '$err' }, End: true },
      }),
    );
    expect(out).toEqual({ err: 'Boom' });
  });

  it('refuses an invalid variable name at load time', () => {
    expect(() =>
      engineFor(machine({ A: { Type: 'Pass', Assign: { '1x': 1 }, End: true } })),
    ).toThrow(InvalidAslDefinition);
  });
});

describe('JSONata', () => {
  it('QueryLanguage JSONata at the top: Output is a {% %} expression over $states.input', async () => {
    expect(
      await output(
        jsonata({
          A: {
            Type: 'Pass',
            Output: { sum: '{% $states.input.a + $states.input.b %}' },
            End: true,
          },
        }),
        { a: 1, b: 2 },
      ),
    ).toEqual({ sum: 3 });
  });

  it('QueryLanguage on one state only; the others stay JSONPath', async () => {
    const out = await output(
      machine({
        A: {
          Type: 'Pass',
          QueryLanguage: 'JSONata',
          Output: '{% $uppercase($states.input.s) %}',
          Next: 'B',
        },
        B: { Type: 'Pass', Parameters: { 'v.$': '$' }, End: true },
      }),
      { s: 'abc' },
    );
    expect(out).toEqual({ v: 'ABC' });
  });

  it('a Task takes Arguments and its Output reads $states.result', async () => {
    const out = await output(
      jsonata({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'work', Payload: { doubled: '{% $states.input.n * 2 %}' } },
          Output: '{% $states.result.Payload.doubled %}',
          End: true,
        },
      }),
      { n: 21 },
    );
    expect(out).toBe(42);
  });

  it('a Task without Output outputs its result', async () => {
    const out = (await output(
      jsonata({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'work', Payload: 1 },
          End: true,
        },
      }),
    )) as Record<string, unknown>;
    expect(out).toMatchObject({ Payload: 1, StatusCode: 200 });
  });

  it('Choice rules use Condition', async () => {
    const definition = jsonata({
      C: {
        Type: 'Choice',
        Choices: [{ Condition: '{% $states.input.n > 10 %}', Next: 'Big' }],
        Default: 'Small',
      },
      Big: { Type: 'Pass', Output: "{% 'big' %}", End: true },
      Small: { Type: 'Pass', Output: "{% 'small' %}", End: true },
    });
    expect(await output(definition, { n: 11 })).toBe('big');
    expect(await output(definition, { n: 1 })).toBe('small');
  });

  it('"Output can also accept any type of JSON value": a plain string, an array of strings, a number (asl-validator patched to take them)', async () => {
    for (const value of ['done', ['a', '{% 1 + 1 %}'], 7]) {
      const definition = jsonata({ P: { Type: 'Pass', Output: value, End: true } });
      expect(await output(definition, {})).toEqual(Array.isArray(value) ? ['a', 2] : value);
    }
  });

  it('Choice: the state\'s Assign applies whichever rule matches, with the rule\'s own ("Choice Rules (JSONata)")', async () => {
    const out = await output(
      jsonata({
        C: {
          Type: 'Choice',
          Assign: { checked: true, path: "{% 'none' %}" },
          Choices: [
            { Condition: '{% $states.input.n > 1 %}', Assign: { path: "{% 'big' %}" }, Next: 'D' },
          ],
          Default: 'D',
        },
        D: { Type: 'Pass', Output: { checked: '{% $checked %}', path: '{% $path %}' }, End: true },
      }),
      { n: 5 },
    );
    expect(out).toEqual({ checked: true, path: 'big' });
  });

  it('Assign and $name references, with $states.result', async () => {
    const out = await output(
      jsonata({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'work', Payload: { id: 'x-1' } },
          Assign: { id: '{% $states.result.Payload.id %}' },
          Next: 'B',
        },
        B: { Type: 'Pass', Output: { seen: '{% $id %}' }, End: true },
      }),
    );
    expect(out).toEqual({ seen: 'x-1' });
  });

  it("a Catcher's Output reads $states.errorOutput", async () => {
    const out = await output(
      jsonata({
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'X', States: { X: { Type: 'Fail', Error: 'Boom', Cause: 'why' } } },
          ],
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              Output: '{% $states.errorOutput.Error & "!" %}',
              Next: 'B',
            },
          ],
          End: true,
        },
        B: { Type: 'Pass', End: true },
      }),
    );
    expect(out).toBe('Boom!');
  });

  it('Map: Items and ItemSelector with $states.context.Map.Item', async () => {
    const out = await output(
      jsonata({
        M: {
          Type: 'Map',
          Items: '{% $states.input.list %}',
          ItemSelector: {
            v: '{% $states.context.Map.Item.Value %}',
            i: '{% $states.context.Map.Item.Index %}',
          },
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      }),
      { list: ['a', 'b'] },
    );
    expect(out).toEqual([
      { v: 'a', i: 0 },
      { v: 'b', i: 1 },
    ]);
  });

  it('Fail: Error and Cause may be expressions', async () => {
    const record = await runOf(
      jsonata({
        F: {
          Type: 'Fail',
          Error: '{% "E." & $states.input.code %}',
          Cause: '{% $string($states.input.n) %}',
        },
      }),
      { code: 'X', n: 4 },
    );
    expect(record).toMatchObject({ status: 'FAILED', error: 'E.X', cause: '4' });
  });

  it('an expression that fails at run time fails the state with States.QueryEvaluationError', async () => {
    const record = await runOf(
      jsonata({
        A: { Type: 'Pass', Output: '{% $number("not a number") + $error("bad") %}', End: true },
      }),
    );
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.QueryEvaluationError');
  });

  it('a syntax error is refused at load time, naming the state and the field', () => {
    let error: unknown;
    try {
      engineFor(jsonata({ A: { Type: 'Pass', Output: '{% $states.input. %}', End: true } }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedAslFeature);
    expect((error as UnsupportedAslFeature).stateName).toBe('A');
    expect((error as UnsupportedAslFeature).field).toBe('Output');
  });

  it('a JSONPath field in a JSONata state is refused at load time', () => {
    expect(() => engineFor(jsonata({ A: { Type: 'Pass', InputPath: '$.x', End: true } }))).toThrow(
      /InputPath is a JSONPath field/,
    );
  });
});
