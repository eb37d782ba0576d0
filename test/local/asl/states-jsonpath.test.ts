// The interpreter's JSONPath semantics, state by state, from the AWS Step Functions developer
// guide (each test names the section it checks). Definitions run through the engine as a user's
// would: LocalStepFunctions, in-process Lambdas.
import type { ExecutionRecord } from '../../../local/engine';
import {
  closeAll,
  engineFor,
  invokeTask,
  lambda,
  machine,
  run,
  runOnce,
  sleep,
  succeeded,
} from '../engine-support';

afterEach(closeAll);

const pass = (extra: Record<string, unknown> = {}) => ({
  Type: 'Pass',
  ...('Next' in extra ? {} : { End: true }),
  ...extra,
});

function withoutOutputPath(state: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...state };
  delete copy.OutputPath;
  return copy;
}

const output = succeeded;

async function failure(
  definition: Record<string, unknown>,
  input: unknown = {},
): Promise<ExecutionRecord> {
  const record = await runOnce(definition, input);
  expect(record.status).toBe('FAILED');
  return record;
}

describe('Processing input and output (JSONPath)', () => {
  const sample = {
    comment: 'Example for InputPath.',
    dataset1: { val1: 1, val2: 2, val3: 3 },
    dataset2: { val1: 'a', val2: 'b', val3: 'c' },
  };

  it('"InputPath": "$.dataset2" selects that part of the input ("Using InputPath to select")', async () => {
    expect(await output(machine({ A: pass({ InputPath: '$.dataset2' }) }), sample)).toEqual(
      sample.dataset2,
    );
  });

  it('"InputPath": null gives the state an empty object', async () => {
    expect(await output(machine({ A: pass({ InputPath: null }) }), sample)).toEqual({});
  });

  it('ResultPath "$.taskresult" adds the result to the input ("Use ResultPath to include the result with the input")', async () => {
    const input = { comment: 'This is a test', details: 'Default example', who: 'Step Functions' };
    const out = await output(
      machine({ A: pass({ Result: 'Hello, Step Functions!', ResultPath: '$.taskresult' }) }),
      input,
    );
    expect(out).toEqual({ ...input, taskresult: 'Hello, Step Functions!' });
  });

  it('ResultPath null discards the result and passes the original input ("Discard the result and keep the original input")', async () => {
    const input = { comment: 'This is a test' };
    expect(await output(machine({ A: pass({ Result: 'x', ResultPath: null }) }), input)).toEqual(
      input,
    );
  });

  it('ResultPath applies to the raw input, before InputPath', async () => {
    const out = await output(machine({ A: pass({ InputPath: '$.inner', ResultPath: '$.r' }) }), {
      inner: { a: 1 },
      b: 2,
    });
    expect(out).toEqual({ inner: { a: 1 }, b: 2, r: { a: 1 } });
  });

  it('ResultPath creates the objects on its way ("$.a.b.c")', async () => {
    expect(
      await output(machine({ A: pass({ Result: 1, ResultPath: '$.a.b.c' }) }), { x: 0 }),
    ).toEqual({ x: 0, a: { b: { c: 1 } } });
  });

  it('ResultPath into an input that is not an object fails with States.ResultPathMatchFailure', async () => {
    const record = await failure(
      machine({ A: pass({ Result: 1, ResultPath: '$.a' }) }),
      JSON.stringify('text'),
    );
    expect(record.error).toBe('States.ResultPathMatchFailure');
  });

  it('OutputPath selects part of the combined output; null gives {}', async () => {
    expect(
      await output(
        machine({ A: pass({ Result: { v: 7 }, ResultPath: '$.r', OutputPath: '$.r.v' }) }),
        {},
      ),
    ).toBe(7);
    expect(await output(machine({ A: pass({ OutputPath: null }) }), { a: 1 })).toEqual({});
  });

  it('Parameters: a key ending in ".$" takes its path, others are copied ("Using Parameters")', async () => {
    const out = await output(
      machine({
        A: pass({
          Parameters: {
            comment: 'Selecting what I care about.',
            MyDetails: {
              'size.$': '$.product.details.size',
              'exists.$': '$.product.availability',
              StaticValue: 'foo',
            },
          },
        }),
      }),
      { product: { details: { color: 'blue', size: 'small' }, availability: 'in stock' } },
    );
    expect(out).toEqual({
      comment: 'Selecting what I care about.',
      MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' },
    });
  });

  it('a Parameters path that selects nothing fails with States.Runtime naming the state, the event id and the field', async () => {
    const record = await failure(machine({ Shape: pass({ Parameters: { 'x.$': '$.missing' } }) }), {
      a: 1,
    });
    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toBe(
      "An error occurred while executing the state 'Shape' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'",
    );
  });

  it('an InputPath that selects nothing fails with States.Runtime ("Invalid path")', async () => {
    const record = await failure(machine({ A: pass({ InputPath: '$.nope' }) }), {});
    expect(record.cause).toMatch(
      /^An error occurred while executing the state 'A' \(entered at the event id #2\)\. Invalid path '\$\.nope'/,
    );
  });

  it('an indefinite path on a missing key gives [] ("$.x[*]", slices), not a failure', async () => {
    const out = await output(
      machine({
        A: pass({
          Parameters: {
            'all.$': '$.missing[*]',
            'slice.$': '$.missing[0:2]',
            'some.$': '$.list[1:]',
          },
        }),
      }),
      { list: [1, 2, 3] },
    );
    expect(out).toEqual({ all: [], slice: [], some: [2, 3] });
  });

  it('ResultSelector shapes a Task result before ResultPath ("Filtering a result with ResultSelector")', async () => {
    const out = await output(
      machine({
        T: {
          ...withoutOutputPath(invokeTask('work')),
          ResultSelector: { 'code.$': '$.StatusCode', 'echo.$': '$.Payload.n' },
          ResultPath: '$.result',
          End: true,
        },
      }),
      { n: 5 },
    );
    expect(out).toEqual({ n: 5, result: { code: 200, echo: 5 } });
  });
});

describe('A Distributed Map child is an execution of its own', () => {
  it('its States.Runtime names the event id in its own history (#2: the state after ExecutionStarted)', async () => {
    const errors: unknown[] = [];
    const engine = engineFor(
      machine({
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Shape',
            States: { Shape: pass({ Parameters: { 'x.$': '$.missing' } }) },
          },
          End: true,
        },
      }),
      { onMapChildCompleted: (event) => errors.push(event.error) },
    );
    await run(engine, { items: [{ a: 1 }] });
    expect(errors).toEqual([
      {
        Error: 'States.Runtime',
        Cause:
          "An error occurred while executing the state 'Shape' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'",
      },
    ]);
  });
});

describe('The context object', () => {
  it('$$.State has Name, EnteredTime and RetryCount; $$.Execution and $$.StateMachine are there', async () => {
    let calls = 0;
    const out = (await output(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'work', 'Payload.$': '$$.State' },
          Retry: [{ ErrorEquals: ['Again'], MaxAttempts: 2 }],
          ResultSelector: { 'state.$': '$.Payload' },
          ResultPath: '$.seen',
          Next: 'P',
        },
        P: pass({
          Parameters: {
            'name.$': '$$.State.Name',
            'execution.$': '$$.Execution.Name',
            'machine.$': '$$.StateMachine.Name',
            'seen.$': '$.seen.state',
          },
        }),
      }),
      {},
      [
        lambda('work', async (event) => {
          calls += 1;
          if (calls < 3) {
            const error = new Error('again');
            error.name = 'Again';
            throw error;
          }
          return event;
        }),
      ],
    )) as Record<string, Record<string, unknown>>;
    expect(out.name).toBe('P');
    expect(out.machine).toBe('engine-test');
    expect(typeof out.execution).toBe('string');
    expect(out.seen).toMatchObject({ Name: 'T', RetryCount: 2 });
    expect(Date.parse(String(out.seen.EnteredTime))).not.toBeNaN();
  });

  it('inside ItemSelector, $$.Map.Item.Index and .Value are the item\'s position and value ("ItemSelector")', async () => {
    const out = await output(
      machine({
        M: {
          Type: 'Map',
          ItemsPath: '$.detail.shipped',
          ItemSelector: {
            'parcel.$': '$$.Map.Item.Value',
            'index.$': '$$.Map.Item.Index',
            'delivery.$': '$.detail.delivery-partner',
          },
          ItemProcessor: { StartAt: 'P', States: { P: pass() } },
          End: true,
        },
      }),
      { detail: { 'delivery-partner': 'UQS', shipped: [{ prod: 'R31' }, { prod: 'S39' }] } },
    );
    expect(out).toEqual([
      { parcel: { prod: 'R31' }, index: 0, delivery: 'UQS' },
      { parcel: { prod: 'S39' }, index: 1, delivery: 'UQS' },
    ]);
  });
});

describe('Parallel and Map', () => {
  it('Parallel: the output is an array of the branches\' outputs, in order ("Parallel workflow state")', async () => {
    const out = await output(
      machine({
        P: {
          Type: 'Parallel',
          Branches: [
            machine({ A: pass({ Result: 'a' }) }),
            machine({ B: { Type: 'Wait', Seconds: 0, Next: 'B2' }, B2: pass({ Result: 'b' }) }),
          ],
          End: true,
        },
      }),
    );
    expect(out).toEqual(['a', 'b']);
  });

  it('Parallel: a failing branch fails the state with its error; Catch receives it', async () => {
    const out = await output(
      machine({
        P: {
          Type: 'Parallel',
          Branches: [
            machine({ A: { Type: 'Fail', Error: 'Branch.Broke', Cause: 'no' } }),
            machine({ B: { Type: 'Wait', Seconds: 100, End: true } }),
          ],
          Catch: [{ ErrorEquals: ['Branch.Broke'], Next: 'Caught' }],
          End: true,
        },
        Caught: pass(),
      }),
    );
    expect(out).toEqual({ Error: 'Branch.Broke', Cause: 'no' });
  });

  it('Map: ItemsPath that is not an array fails with States.Runtime', async () => {
    const record = await failure(
      machine({
        M: { Type: 'Map', ItemsPath: '$.x', ItemProcessor: machine({ P: pass() }), End: true },
      }),
      { x: 5 },
    );
    expect(record.error).toBe('States.Runtime');
  });

  it('Map: MaxConcurrency bounds the iterations in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await output(
      machine({
        M: {
          Type: 'Map',
          MaxConcurrency: 2,
          ItemProcessor: machine({ W: invokeTask('work', { End: true }) }),
          End: true,
        },
      }),
      [1, 2, 3, 4, 5],
      [
        lambda('work', async (n) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await sleep(10);
          inFlight -= 1;
          return (n as number) * 2;
        }),
      ],
    );
    expect(out).toEqual([2, 4, 6, 8, 10]);
    expect(most).toBe(2);
  });
});

describe('Wait, Choice, Fail', () => {
  it('Wait: SecondsPath reads the effective input', async () => {
    expect(
      await output(
        machine({ W: { Type: 'Wait', InputPath: '$.cfg', SecondsPath: '$.s', End: true } }),
        { cfg: { s: 0 } },
      ),
    ).toEqual({ s: 0 });
  });

  it('Wait: a timestamp in the past goes on at once; a bad one fails with States.Runtime', async () => {
    expect(
      await output(machine({ W: { Type: 'Wait', TimestampPath: '$.t', End: true } }), {
        t: '2016-03-14T01:59:00Z',
      }),
    ).toEqual({ t: '2016-03-14T01:59:00Z' });
    const record = await failure(
      machine({ W: { Type: 'Wait', TimestampPath: '$.t', End: true } }),
      { t: 'yesterday' },
    );
    expect(record.error).toBe('States.Runtime');
  });

  it('Wait: a timestamp is read with its offset; a date that does not exist fails', async () => {
    const wait = machine({ W: { Type: 'Wait', TimestampPath: '$.t', End: true } });
    expect(await output(wait, { t: '2016-03-14T03:59:00+02:00' })).toEqual({
      t: '2016-03-14T03:59:00+02:00',
    });
    expect((await failure(wait, { t: '2016-02-30T00:00:00Z' })).error).toBe('States.Runtime');
  });

  it('Wait: longer than 2^31 ms does not fire at once (the timer is chained)', async () => {
    const engine = engineFor(machine({ W: { Type: 'Wait', Seconds: 2_200_000, End: true } }));
    const { executionArn } = engine.startExecution({ input: {} });
    await sleep(100);
    expect(engine.describeExecution(executionArn).status).toBe('RUNNING');
    engine.stopExecution(executionArn);
    expect((await engine.waitForExecution(executionArn)).status).toBe('ABORTED');
  });

  it('Choice: the first matching rule wins; Default otherwise; none: States.NoChoiceMatched', async () => {
    const choice = (withDefault: boolean) =>
      machine({
        C: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.n', NumericGreaterThan: 10, Next: 'Big' },
            { Variable: '$.n', NumericGreaterThan: 1, Next: 'Medium' },
          ],
          ...(withDefault ? { Default: 'Small' } : {}),
        },
        Big: pass({ Result: 'big' }),
        Medium: pass({ Result: 'medium' }),
        ...(withDefault ? { Small: pass({ Result: 'small' }) } : {}),
      });
    expect(await output(choice(true), { n: 20 })).toBe('big');
    expect(await output(choice(true), { n: 5 })).toBe('medium');
    expect(await output(choice(true), { n: 0 })).toBe('small');
    expect((await failure(choice(false), { n: 0 })).error).toBe('States.NoChoiceMatched');
  });

  it('Fail: ErrorPath and CausePath may be intrinsic functions ("Fail workflow state")', async () => {
    const record = await failure(
      machine({
        F: {
          Type: 'Fail',
          ErrorPath: '$.code',
          CausePath: "States.Format('Order {} failed', $.id)",
        },
      }),
      { code: 'Order.Failed', id: 42 },
    );
    expect(record.error).toBe('Order.Failed');
    expect(record.cause).toBe('Order 42 failed');
  });

  it('Fail without Error and Cause reports neither', async () => {
    const record = await failure(machine({ F: { Type: 'Fail' } }));
    expect(record.error).toBeUndefined();
    expect(record.cause).toBeUndefined();
  });
});

describe('Task timeouts', () => {
  it('TimeoutSecondsPath is read from the effective input (after InputPath, before Parameters); States.Timeout has no cause', async () => {
    const engine = engineFor(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          InputPath: '$.cfg',
          TimeoutSecondsPath: '$.timeout',
          Parameters: { FunctionName: 'slow', Payload: {} },
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Caught' }],
          End: true,
        },
        Caught: pass(),
      }),
      { lambdas: [lambda('slow', () => sleep(1500), 10)] },
    );
    const record = await run(engine, { cfg: { timeout: 1 } });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ Error: 'States.Timeout' });
  });
});

describe('State names', () => {
  // "The name of a state can be any string" up to 80 characters: asl-validator (patched) took a
  // state named Branches for a Parallel's branches and crashed, and one named Iterator for a
  // Map's processor.
  it('a state may be named Branches or Iterator', async () => {
    const definition = machine({
      Branches: { Type: 'Pass', Result: 1, ResultPath: '$.a', Next: 'Iterator' },
      Iterator: { Type: 'Pass', Result: 2, ResultPath: '$.b', Next: 'Done' },
      Done: { Type: 'Succeed' },
    });
    expect(await succeeded(definition, {})).toEqual({ a: 1, b: 2 });
  });
});
