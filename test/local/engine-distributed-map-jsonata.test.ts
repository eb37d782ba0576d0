// Engine conformance: a DISTRIBUTED Map in a JSONata state (QueryLanguage JSONata on the machine or
// on the Map), and the workflow variables a Distributed Map's own fields read, on hand-made ASL
// with in-process LocalLambdas. Each test names the AWS Step Functions developer guide statement
// it checks and quotes the section; where the guide is silent, the decision is the one written in
// local/engine/distributed-map-config.ts's header, and the test says so.
//
// Guide pages: "Transforming data with JSONata in Step Functions" (transforming-data.html),
// "Passing data between states with variables" (workflow-variables.html), "ItemReader (Map)"
// (input-output-itemreader.html), "ItemSelector (Map)" (input-output-itemselector.html),
// "ItemsPath (Map, JSONPath only)" (input-output-itemspath.html), "ItemBatcher (Map)"
// (input-output-itembatcher.html), "Using Map state in Distributed mode"
// (state-map-distributed.html).
import { InvalidAslDefinition, type MapChildCompleted } from '../../local/engine';
import {
  type States,
  closeAll,
  engineFor,
  functionArn,
  invokeTask,
  items,
  lambda,
  loadError,
  machine,
  namedError,
  recordingLambda,
  run,
  s3Bucket,
} from './engine-support';

afterEach(closeAll);

const BUCKET = 'b';
const bucket = s3Bucket(BUCKET, {
  'pages/7.json': JSON.stringify(['tx-0', 'tx-1', 'tx-2', 'tx-3', 'tx-4']),
});

/** A DISTRIBUTED processor whose one state calls `work` by its function ARN (the input is the event). */
const processor = (
  states: States = { Work: { Type: 'Task', Resource: functionArn('work'), End: true } },
) => ({
  ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
  StartAt: Object.keys(states)[0],
  States: states,
});

/**
 * A JSONata machine (QueryLanguage on the machine) whose DISTRIBUTED Map `Fan` has `fields` and
 * ends the machine unless `fields` has a Next; `before` states run first, `after` follow.
 */
function jsonataMachine(
  fields: Record<string, unknown>,
  { before = {}, after = {} }: { before?: States; after?: States } = {},
): Record<string, unknown> {
  return machine(
    {
      ...before,
      Fan: {
        Type: 'Map',
        ItemProcessor: processor(),
        ...('Next' in fields ? {} : { End: true }),
        ...fields,
      },
      ...after,
    },
    { QueryLanguage: 'JSONata' },
  );
}

const echo = () => recordingLambda().fn;

/** `work` fails for the items whose id is in `ids`, and returns the others' ids. */
const failing = (ids: string[]) =>
  lambda('work', async (event) => {
    const id = (event as { id: string }).id;
    if (ids.includes(id)) throw namedError('ItemBroken', id);
    return id;
  });

describe('Items (JSONata) instead of ItemsPath', () => {
  // Guide, "ItemsPath (Map, JSONPath only)": "In JSONPath-based states, use the ItemsPath field to
  // select an array"; "Transforming data with JSONata": `$states.input` is the state's input in
  // every expression. A JSONata Map's items are Items, here an expression on $states.input.
  it('runs one child per item of the array an Items expression gives', async () => {
    const { seen, fn } = recordingLambda();
    const engine = engineFor(
      jsonataMachine({ Items: '{% $states.input.orders[status = "open"].id %}' }),
      { lambdas: [fn] },
    );

    const record = await run(engine, {
      orders: [
        { id: 'a', status: 'open' },
        { id: 'b', status: 'closed' },
        { id: 'c', status: 'open' },
      ],
    });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual(['a', 'c']);
    expect([...seen].sort()).toEqual(['a', 'c']);
  });

  // Guide, "Transforming data with JSONata": an expression may sit in any string of the JSON a
  // field holds ("Any string value, including those inside objects or arrays, will be evaluated as
  // JSONata if surrounded by {% %}", as CDK's ProvideItems.jsonArray example `[1, "{% $two %}", 3]`).
  it('takes Items as a JSON array whose elements may be expressions (a variable here)', async () => {
    const engine = engineFor(
      jsonataMachine(
        { Items: [1, '{% $two %}', 3] },
        { before: { Set: { Type: 'Pass', Assign: { two: 2 }, Next: 'Fan' } } },
      ),
      { lambdas: [echo()] },
    );

    const record = await run(engine);

    expect(record.output).toEqual([1, 2, 3]);
  });

  // Without Items the Map iterates over its input (CDK's MapBaseJsonataOptions: "Default: The state
  // input as is").
  it('iterates over the state input when Items is not given', async () => {
    const engine = engineFor(jsonataMachine({}), { lambdas: [echo()] });

    const record = await run(engine, ['x', 'y']);

    expect(record.output).toEqual(['x', 'y']);
  });

  // Guide, "Transforming data with JSONata", "Handling expression errors": what goes wrong in an
  // expression is States.QueryEvaluationError, which a Catch can handle. Local decision (the
  // inline Map's wording): Items that give something other than an array fail that way.
  it('fails with States.QueryEvaluationError, caught by a Catch, when Items does not give an array', async () => {
    const engine = engineFor(
      jsonataMachine(
        {
          Items: '{% $states.input.count %}',
          Catch: [
            {
              ErrorEquals: ['States.QueryEvaluationError'],
              Output: '{% $states.errorOutput %}',
              Next: 'Done',
            },
          ],
          Next: 'Done',
        },
        { after: { Done: { Type: 'Pass', End: true } } },
      ),
      { lambdas: [echo()] },
    );

    const record = await run(engine, { count: 3 });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({
      Error: 'States.QueryEvaluationError',
      Cause: 'The Items expression must give an array, got 3',
    });
  });

  // "ItemsPath (Map, JSONPath only)": an ItemReader's items are those of the object read, so
  // ItemsPath cannot go with it (distributed-map-config.ts); Items neither.
  it('refuses Items with an ItemReader at load, naming Items', () => {
    const error = loadError(
      jsonataMachine({
        Items: '{% $states.input %}',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Arguments: { Bucket: BUCKET, Key: 'pages/7.json' },
        },
      }),
      { s3Client: bucket.client },
    );

    expect(error).toBeInstanceOf(InvalidAslDefinition);
    expect(error).toMatchObject({ stateName: 'Fan', field: 'Items' });
  });
});

describe('the items and ItemSelector, checked as the inline Map checks them', () => {
  // Guide, "ItemsPath (Map, JSONPath only)": "The ItemsPath field must select an array"; the guide
  // gives no error text. The DISTRIBUTED Map fails as the interpreter's inline Map does
  // (asl/fan-out.ts): States.Runtime, in the same words.
  const withMode = (mode: 'INLINE' | 'DISTRIBUTED', fields: Record<string, unknown>) => ({
    Type: 'Map',
    ItemProcessor: { ...processor(), ProcessorConfig: { Mode: mode, ExecutionType: 'EXPRESS' } },
    End: true,
    ...fields,
  });
  it.each([
    ['an ItemsPath that selects nothing', {}, { ItemsPath: '$.items' }, {}],
    ['an ItemsPath that selects a number', {}, { ItemsPath: '$.items' }, { items: 5 }],
    [
      'a JSONata Map without Items over an object',
      { QueryLanguage: 'JSONata' },
      {},
      { items: ['a'] },
    ],
  ])(
    "fails %s with States.Runtime, in the inline Map's words",
    async (_name, top, fields, input) => {
      const inline = engineFor(machine({ Fan: withMode('INLINE', fields) }, top), {
        lambdas: [echo()],
      });
      const distributed = engineFor(machine({ Fan: withMode('DISTRIBUTED', fields) }, top), {
        lambdas: [echo()],
      });

      const expected = await run(inline, input);
      const record = await run(distributed, input);

      expect(expected.error).toBe('States.Runtime');
      expect(record.status).toBe('FAILED');
      expect({ error: record.error, cause: record.cause }).toEqual({
        error: expected.error,
        cause: expected.cause,
      });
    },
  );

  // asl-validator's Map schema takes ItemsPath as a path; without it the engine refuses a
  // non-string as the inline Map does, naming the field (it used to read `$` instead).
  it('refuses an ItemsPath that is not a path at load, naming the field', () => {
    const error = loadError(machine({ Fan: withMode('DISTRIBUTED', { ItemsPath: 5 }) }), {
      validateDefinition: false,
    });

    expect(error).toMatchObject({
      name: 'UnsupportedAslFeature',
      stateName: 'Fan',
      field: 'ItemsPath',
    });
  });

  // Guide, "ItemSelector (Map)": ItemSelector replaces the legacy Parameters; the inline Map
  // refuses both together (asl/fan-out.ts), so does the DISTRIBUTED one (validator off: the
  // engine's own check).
  it('refuses ItemSelector with Parameters at load', () => {
    const selector = { 'id.$': '$$.Map.Item.Value' };
    const fields = { ItemsPath: '$.items', ItemSelector: selector, Parameters: selector };

    const error = loadError(machine({ Fan: withMode('DISTRIBUTED', fields) }), {
      validateDefinition: false,
    });

    expect(error).toBeInstanceOf(InvalidAslDefinition);
    expect((error as Error).message).toMatch(/ItemSelector and Parameters cannot be used together/);
  });
});

describe('ItemSelector (JSONata) with $states.context.Map.Item', () => {
  // Guide, "ItemSelector (Map)": "With the ItemSelector field, you can override the data items'
  // values before they're passed on to the Map state", in "both an Inline Map state and a
  // Distributed Map state"; "Transforming data with JSONata": `$$.Map.Item.Value` is
  // `$states.context.Map.Item.Value` in JSONata.
  it('builds each child input from $states.context.Map.Item.Index / Value, $states.input and the context', async () => {
    const { seen, fn } = recordingLambda();
    const engine = engineFor(
      jsonataMachine({
        Items: '{% $states.input.ids %}',
        ItemSelector: {
          index: '{% $states.context.Map.Item.Index %}',
          value: '{% $states.context.Map.Item.Value %}',
          run: '{% $states.input.run %}',
          state: '{% $states.context.State.Name %}',
          fixed: 'not-evaluated',
        },
      }),
      { lambdas: [fn] },
    );

    const record = await run(engine, { run: 'r-1', ids: ['a', 'b'] });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual([
      { index: 0, value: 'a', run: 'r-1', state: 'Fan', fixed: 'not-evaluated' },
      { index: 1, value: 'b', run: 'r-1', state: 'Fan', fixed: 'not-evaluated' },
    ]);
    expect(seen).toHaveLength(2);
  });

  // Guide, "Transforming data with JSONata": "$states.result" is readable where a state has a
  // result; "Attempting to access $states.result or $states.errorOutput in fields and states where
  // they are not accessible will be caught at creation" — ItemSelector is evaluated before any.
  it('refuses $states.result in ItemSelector at load', () => {
    const error = loadError(jsonataMachine({ ItemSelector: { r: '{% $states.result %}' } }));

    expect(error).toMatchObject({ stateName: 'Fan', field: 'ItemSelector/r' });
    expect((error as Error).message).toMatch(/\$states\.result cannot be read in this field/);
  });
});

describe('ItemBatcher (JSONata)', () => {
  // Guide, "ItemBatcher (Map)": BatchInput is "a fixed JSON input to include in each batch"; in a
  // JSONata Map it is a JSONata template and the limits take a number or an expression (no
  // `…Path` twin in JSONata).
  it('batches by a MaxItemsPerBatch expression and gives every batch the BatchInput template', async () => {
    const engine = engineFor(
      jsonataMachine({
        Items: '{% $states.input.items %}',
        ItemBatcher: {
          MaxItemsPerBatch: '{% $states.input.size %}',
          BatchInput: {
            run: '{% $states.input.run %}',
            total: '{% $count($states.input.items) %}',
          },
        },
      }),
      { lambdas: [echo()] },
    );

    const record = await run(engine, { run: 'r-2', size: 2, items: ['a', 'b', 'c', 'd', 'e'] });

    const batchInput = { run: 'r-2', total: 5 };
    expect(record.output).toEqual([
      { Items: ['a', 'b'], BatchInput: batchInput },
      { Items: ['c', 'd'], BatchInput: batchInput },
      { Items: ['e'], BatchInput: batchInput },
    ]);
  });

  // Guide, "ItemBatcher (Map)": the byte limit is "up to 256 KiB"; an expression gives it here.
  it('batches by a MaxInputBytesPerBatch expression', async () => {
    const engine = engineFor(
      jsonataMachine({
        ItemBatcher: { MaxInputBytesPerBatch: '{% 30 %}' },
      }),
      { lambdas: [lambda('work', async (event) => (event as { Items: unknown[] }).Items.length)] },
    );

    // {"Items":["aaaa","bbbb"]} is 25 bytes, three items would be 32.
    const record = await run(engine, ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee']);

    expect(record.output).toEqual([2, 2, 1]);
  });
});

describe('ItemReader.Arguments (JSONata) instead of Parameters', () => {
  // Guide, "ItemReader (Map)": "In the following JSONata-based workflow, note that Parameters is
  // replaced with Arguments"; "Arguments (JSONata) or Parameters (JSONPath): A JSON object that
  // specifies the Amazon S3 bucket name and object key".
  it('reads the object that Arguments names, Key from an expression, MaxItems from an expression', async () => {
    const { seen, fn } = recordingLambda();
    const engine = engineFor(
      jsonataMachine({
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON', MaxItems: '{% $states.input.max %}' },
          Arguments: { Bucket: BUCKET, Key: '{% "pages/" & $states.input.page & ".json" %}' },
        },
      }),
      { lambdas: [fn], s3Client: bucket.client },
    );

    const record = await run(engine, { page: 7, max: 3 });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual(['tx-0', 'tx-1', 'tx-2']);
    expect([...seen].sort()).toEqual(['tx-0', 'tx-1', 'tx-2']);
  });

  it('takes Arguments as one expression giving the object (Bucket from a variable)', async () => {
    const engine = engineFor(
      jsonataMachine(
        {
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSON' },
            Arguments: '{% {"Bucket": $bucket, "Key": $states.input.key} %}',
          },
        },
        { before: { Set: { Type: 'Pass', Assign: { bucket: BUCKET }, Next: 'Fan' } } },
      ),
      { lambdas: [echo()], s3Client: bucket.client },
    );

    const record = await run(engine, { key: 'pages/7.json' });

    expect(record.output).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3', 'tx-4']);
  });

  // Local decision (distributed-map-config.ts): a MaxItems expression that gives a negative
  // number is an expression error, as for every JSONata number field.
  it('fails with States.QueryEvaluationError when the MaxItems expression gives a negative number', async () => {
    const engine = engineFor(
      jsonataMachine({
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON', MaxItems: '{% -1 %}' },
          Arguments: { Bucket: BUCKET, Key: 'pages/7.json' },
        },
      }),
      { lambdas: [echo()], s3Client: bucket.client },
    );

    const record = await run(engine);

    expect(record.error).toBe('States.QueryEvaluationError');
    expect(record.cause).toBe('The MaxItems expression must give a non-negative integer, got -1');
  });
});

describe('MaxConcurrency, ToleratedFailurePercentage, ToleratedFailureCount as expressions', () => {
  // Guide, "Using Map state in Distributed mode", "Distributed Map state fields" and "Setting
  // failure thresholds for Distributed Map states": MaxConcurrency, ToleratedFailurePercentage and
  // ToleratedFailureCount ("Your Map Run fails if this value is exceeded"); in a JSONata Map each
  // takes a number or a `{% %}` expression, there is no `…Path` twin. DescribeMapRun reports the
  // values the run used.
  it('applies the values the expressions give and reports them on the Map Run', async () => {
    const engine = engineFor(
      jsonataMachine({
        Items: '{% $states.input.items %}',
        MaxConcurrency: '{% $states.input.concurrency %}',
        ToleratedFailurePercentage: '{% $states.input.percentage %}',
        ToleratedFailureCount: '{% $states.input.count %}',
      }),
      { lambdas: [failing(['tx-1', 'tx-3'])] }, // 2 of 4 items fail: 50%
    );
    const input = (count: number) => ({ items: items(4), concurrency: 2, percentage: 50, count });

    const { executionArn } = engine.startExecution({ input: input(2) });
    const tolerated = await engine.waitForExecution(executionArn);
    const exceeded = await run(engine, input(1));

    expect(tolerated.status).toBe('SUCCEEDED');
    expect(engine.listMapRuns(executionArn)[0]).toMatchObject({
      maxConcurrency: 2,
      toleratedFailurePercentage: 50,
      toleratedFailureCount: 2,
    });
    expect(exceeded.status).toBe('FAILED');
    expect(exceeded.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(exceeded.cause).toMatch(/2 of 4 items failed/);
  });

  // Guide, "Transforming data with JSONata", "Handling expression errors": an expression error is
  // States.QueryEvaluationError (not States.Runtime). The values each field takes are the static
  // field's ("Distributed Map state fields", "ItemBatcher (Map)"); the wording is the
  // interpreter's for an inline Map's MaxConcurrency (asl/number-fields.ts).
  it.each([
    ['MaxConcurrency', { MaxConcurrency: '{% -1 %}' }, 'a non-negative integer, got -1'],
    [
      'ToleratedFailurePercentage',
      { ToleratedFailurePercentage: '{% 150 %}' },
      'a number between 0 and 100, got 150',
    ],
    [
      'ToleratedFailureCount',
      { ToleratedFailureCount: '{% "2" %}' },
      'a non-negative integer, got "2"',
    ],
    [
      'MaxItemsPerBatch',
      { ItemBatcher: { MaxItemsPerBatch: '{% 0 %}' } },
      'a positive integer, got 0',
    ],
  ])(
    'fails with States.QueryEvaluationError when the %s expression gives a value the field does not take',
    async (field, fields, problem) => {
      const engine = engineFor(jsonataMachine(fields), { lambdas: [echo()] });

      const record = await run(engine, ['a', 'b']);

      expect(record.status).toBe('FAILED');
      expect(record.error).toBe('States.QueryEvaluationError');
      expect(record.cause).toBe(`The ${field} expression must give ${problem}`);
    },
  );

  // Guide, "Handling expression errors": States.QueryEvaluationError can be caught ("Your Task,
  // Map, and Parallel states can provide a Catch field").
  it('lets a Catch on the Map handle that error', async () => {
    const engine = engineFor(
      jsonataMachine(
        {
          MaxConcurrency: '{% $states.input.limit %}',
          Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Next: 'Done' }],
          Next: 'Done',
        },
        { after: { Done: { Type: 'Pass', Output: { caught: true }, End: true } } },
      ),
      { lambdas: [echo()] },
    );

    const record = await run(engine, { limit: 'many' });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ caught: true });
  });

  // asl-validator's JSONata Map schema: a number or a `{% %}` expression. A string that is neither
  // is refused at load, naming the field.
  it('refuses a MaxConcurrency string that is not an expression at load', () => {
    const error = loadError(jsonataMachine({ MaxConcurrency: '5' }));

    expect(error).toBeInstanceOf(InvalidAslDefinition);
    expect(error).toMatchObject({ stateName: 'Fan', field: 'MaxConcurrency' });
  });
});

describe('Output and Assign on the Map', () => {
  // Guide, "Transforming data with JSONata": JSONata states have "Arguments and Output";
  // "Passing data between states with variables": "The following state types support Assign …:
  // Pass, Task, Map, Parallel, Choice, Wait", and `$states.result` is the "API or sub-workflow's
  // result (if successful)" — for a Map, its children's outputs.
  it('shapes the Map output with Output and assigns a variable from $states.result', async () => {
    const engine = engineFor(
      jsonataMachine(
        {
          Output: '{% {"count": $count($states.result), "first": $states.result[0]} %}',
          Assign: { results: '{% $states.result %}', page: '{% $states.input[0] %}' },
          Next: 'Report',
        },
        {
          after: {
            Report: {
              Type: 'Pass',
              Output: '{% {"mapOutput": $states.input, "results": $results, "page": $page} %}',
              End: true,
            },
          },
        },
      ),
      { lambdas: [echo()] },
    );

    const record = await run(engine, ['p', 'q', 'r']);

    expect(record.output).toEqual({
      mapOutput: { count: 3, first: 'p' },
      results: ['p', 'q', 'r'],
      page: 'p',
    });
  });
});

describe('fields of the other query language', () => {
  // Guide, "Transforming data with JSONata": "After selecting JSONata, your workflow fields will be
  // reduced from five JSONPath fields (InputPath, Parameters, ResultSelector, ResultPath, and
  // OutputPath) to only two fields: Arguments and Output"; "ItemsPath (Map, JSONPath only)";
  // "ItemReader (Map)": in JSONata "Parameters is replaced with Arguments". A JSONPath field in a
  // JSONata Map is invalid ASL, named down to the field.
  const reader = (extra: Record<string, unknown>) => ({
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      ...extra,
    },
  });
  it.each([
    ['ItemsPath', { ItemsPath: '$.items' }],
    ['MaxConcurrencyPath', { MaxConcurrencyPath: '$.limit' }],
    ['ToleratedFailureCountPath', { ToleratedFailureCountPath: '$.count' }],
    ['InputPath', { InputPath: '$.page' }],
    ['ResultPath', { ResultPath: '$.out' }],
    ['Parameters', { Parameters: { 'id.$': '$$.Map.Item.Value' } }],
    ['ItemBatcher.MaxItemsPerBatchPath', { ItemBatcher: { MaxItemsPerBatchPath: '$.n' } }],
    ['ItemReader.Parameters', reader({ Parameters: { Bucket: BUCKET, Key: 'pages/7.json' } })],
  ])('refuses %s in a JSONata Map at load, naming the state and the field', (field, fields) => {
    const error = loadError(jsonataMachine(fields), { s3Client: bucket.client });

    expect(error).toBeInstanceOf(InvalidAslDefinition);
    expect(error).toMatchObject({ stateName: 'Fan', field });
    expect((error as Error).message).toMatch(`${field} is a JSONPath field`);
  });

  it.each([
    ['Items', { Items: '{% $states.input %}' }],
    ['Output', { Output: '{% $states.result %}' }],
    ['ItemReader.Arguments', reader({ Arguments: { Bucket: BUCKET, Key: 'pages/7.json' } })],
  ])('refuses %s in a JSONPath Map at load, naming the state and the field', (field, fields) => {
    const definition = machine({
      Fan: { Type: 'Map', ItemProcessor: processor(), End: true, ...fields },
    });

    const error = loadError(definition, { s3Client: bucket.client });

    expect(error).toBeInstanceOf(InvalidAslDefinition);
    expect(error).toMatchObject({ stateName: 'Fan', field });
    expect((error as Error).message).toMatch(`${field} is a JSONata field`);
  });

  // Guide, "Transforming data with JSONata": Arguments is the input of a Task's or a Parallel's
  // work; a Map has none (CDK's DistributedMapJsonataProps has no `arguments`, asl-validator's
  // JSONata Map schema no Arguments).
  it('refuses Arguments on a JSONata Map at load', () => {
    const error = loadError(jsonataMachine({ Arguments: { a: 1 } }));

    expect(error).toBeInstanceOf(InvalidAslDefinition);
    expect(error).toMatchObject({ stateName: 'Fan', field: 'Arguments' });
  });
});

describe("the query language of a JSONata Map's ItemProcessor", () => {
  // Guide, "State machine structure in Amazon States Language": QueryLanguage "If not provided for
  // the state machine, the default value for each state is JSONPath"; "When the top-level state
  // machine query language is JSONPath, individual states can override the query language by
  // setting QueryLanguage to JSONata". The processor's states take the machine's language, not
  // the Map's (asl-validator reads them so too).
  it('runs the processor states as JSONata in a JSONata machine', async () => {
    const engine = engineFor(
      jsonataMachine({
        Items: '{% $states.input.n %}',
        ItemProcessor: processor({
          Times: { Type: 'Pass', Output: '{% $states.input * 10 %}', End: true },
        }),
      }),
      { lambdas: [echo()] },
    );

    const record = await run(engine, { n: [1, 2, 3] });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual([10, 20, 30]);
  });

  it('runs a JSONata Map in a JSONPath machine with JSONPath children unless they say JSONata', async () => {
    const definition = machine({
      Fan: {
        Type: 'Map',
        QueryLanguage: 'JSONata',
        Items: '{% $states.input.n %}',
        ItemProcessor: processor({
          Wrap: { Type: 'Pass', Parameters: { 'v.$': '$' }, Next: 'Times' },
          Times: {
            Type: 'Pass',
            QueryLanguage: 'JSONata',
            Output: '{% $states.input.v * 10 %}',
            End: true,
          },
        }),
        End: true,
      },
    });
    const engine = engineFor(definition, { lambdas: [echo()] });

    const record = await run(engine, { n: [1, 2] });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual([10, 20]);
  });
});

describe('workflow variables in a Distributed Map', () => {
  // Guide, "Passing data between states with variables", "Variable scope": the Map state's own
  // fields are evaluated in the scope of the workflow that runs the Map (its variables, those of an
  // enclosing Parallel branch included), while a Distributed Map's child workflow executions are
  // executions of their own and do not see the parent's variables (asl/variables.ts).
  const set = { Type: 'Pass', Assign: { runId: 'r-9', pending: ['a', 'b', 'c'] }, Next: 'Fan' };
  const jsonPathMap = (fields: Record<string, unknown>, itemProcessor = processor()) => ({
    Type: 'Map',
    ItemProcessor: itemProcessor,
    End: true,
    ...fields,
  });

  it('resolves $name in a JSONPath ItemsPath, ItemSelector and BatchInput against the variables at the Map state', async () => {
    const engine = engineFor(
      machine({
        Set: set,
        Fan: jsonPathMap({
          ItemsPath: '$pending',
          ItemSelector: { 'id.$': '$$.Map.Item.Value', 'run.$': '$runId' },
          ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'run.$': '$runId' } },
        }),
      }),
      { lambdas: [echo()] },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual([
      {
        Items: [
          { id: 'a', run: 'r-9' },
          { id: 'b', run: 'r-9' },
        ],
        BatchInput: { run: 'r-9' },
      },
      { Items: [{ id: 'c', run: 'r-9' }], BatchInput: { run: 'r-9' } },
    ]);
  });

  it('sees the variables of the Parallel branch the Map runs in', async () => {
    const engine = engineFor(
      machine({
        Par: {
          Type: 'Parallel',
          End: true,
          Branches: [
            machine({
              SetInBranch: { Type: 'Pass', Assign: { tag: 'branch-1' }, Next: 'Fan' },
              Fan: jsonPathMap({
                ItemsPath: '$.ids',
                ItemSelector: { 'id.$': '$$.Map.Item.Value', 'tag.$': '$tag' },
              }),
            }),
          ],
        },
      }),
      { lambdas: [echo()] },
    );

    const record = await run(engine, { ids: ['x'] });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual([[{ id: 'x', tag: 'branch-1' }]]);
  });

  it('fails a JSONPath ItemSelector that names an unknown variable with States.Runtime', async () => {
    const engine = engineFor(
      machine({ Fan: jsonPathMap({ ItemsPath: '$.ids', ItemSelector: { 'x.$': '$missing' } }) }),
      { lambdas: [echo()] },
    );

    const record = await run(engine, { ids: ['x'] });

    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). The variable '$missing' is not defined.",
    );
  });

  it("starts each child from an empty variable scope: a child reading the parent's variable fails", async () => {
    const children: MapChildCompleted[] = [];
    const engine = engineFor(
      machine({
        Set: set,
        Fan: jsonPathMap(
          { ItemsPath: '$pending', ToleratedFailurePercentage: 100 },
          processor({
            Work: invokeTask('work', {
              Parameters: { FunctionName: functionArn('work'), 'Payload.$': '$runId' },
              End: true,
            }),
          }),
        ),
      }),
      { lambdas: [echo()], onMapChildCompleted: (event) => children.push(event) },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED'); // every failure tolerated
    expect(children).toHaveLength(3);
    for (const child of children) {
      expect(child.error).toEqual({
        Error: 'States.Runtime',
        Cause:
          "An error occurred while executing the state 'Work' (entered at the event id #2). The variable '$runId' is not defined.",
      });
    }
  });

  it('resolves $name in a JSONata ItemSelector and BatchInput against the variables at the Map state', async () => {
    const engine = engineFor(
      jsonataMachine(
        {
          Items: '{% $pending %}',
          ItemSelector: { id: '{% $states.context.Map.Item.Value %}', run: '{% $runId %}' },
          ItemBatcher: { MaxItemsPerBatch: 3, BatchInput: '{% {"run": $runId} %}' },
        },
        { before: { Set: set } },
      ),
      { lambdas: [echo()] },
    );

    const record = await run(engine);

    expect(record.output).toEqual([
      {
        Items: [
          { id: 'a', run: 'r-9' },
          { id: 'b', run: 'r-9' },
          { id: 'c', run: 'r-9' },
        ],
        BatchInput: { run: 'r-9' },
      },
    ]);
  });
});
