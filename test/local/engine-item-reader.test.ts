// Engine conformance: a DISTRIBUTED Map's ItemReader (s3:getObject, JSON and JSONL) read through a
// real S3Client from the local S3 endpoint, on hand-made ASL with in-process LocalLambdas.
import type { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  closeAll,
  distributedMap,
  engineFor,
  functionArn,
  lambda,
  loadError,
  recordingLambda,
  run,
  s3Bucket,
  sleep,
  until,
} from './engine-support';

const BUCKET = 'b';
const bucket = s3Bucket(BUCKET);
afterEach(closeAll);

const jsonReader = (key: string, readerConfig: Record<string, unknown> = {}) => ({
  Resource: 'arn:aws:states:::s3:getObject',
  ReaderConfig: { InputType: 'JSON', ...readerConfig },
  Parameters: { Bucket: BUCKET, Key: key },
});

/** A machine whose DISTRIBUTED Map `Fan` (End unless `fields` has a Next) runs `work` per child. */
// Children call `work` by its function ARN: the item itself is the event, strings included (a
// lambda:invoke Payload that is a string is sent as JSON text, which "c" is not).
const machine = (fields: Record<string, unknown>, states: Record<string, unknown> = {}) =>
  distributedMap(
    'work',
    {
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
        StartAt: 'Work',
        States: { Work: { Type: 'Task', Resource: functionArn('work'), End: true } },
      },
      ...fields,
    },
    states,
  );

const ids = (count: number) => Array.from({ length: count }, (_, i) => `tx-${i}`);

describe('Distributed Map ItemReader (s3:getObject)', () => {
  it('feeds the items of a JSON object to ItemBatcher exactly as an in-state array', async () => {
    await bucket.put('pages/1.json', JSON.stringify(ids(7)));
    const batching = {
      ItemBatcher: { MaxItemsPerBatch: 3, BatchInput: { 'run.$': '$.run', kind: 'confirm' } },
    };
    const fromS3 = recordingLambda();
    const inState = recordingLambda();
    const reading = engineFor(machine({ ...batching, ItemReader: jsonReader('pages/1.json') }), {
      lambdas: [fromS3.fn],
      s3Client: bucket.client,
    });
    const inline = engineFor(machine({ ...batching, ItemsPath: '$.items' }), {
      lambdas: [inState.fn],
    });

    const read = await run(reading, { run: 'r-1' });
    const given = await run(inline, { run: 'r-1', items: ids(7) });

    expect(read.status).toBe('SUCCEEDED');
    const expected = [
      { Items: ['tx-0', 'tx-1', 'tx-2'], BatchInput: { run: 'r-1', kind: 'confirm' } },
      { Items: ['tx-3', 'tx-4', 'tx-5'], BatchInput: { run: 'r-1', kind: 'confirm' } },
      { Items: ['tx-6'], BatchInput: { run: 'r-1', kind: 'confirm' } },
    ];
    expect(read.output).toEqual(expected); // strings stay strings, in item order
    expect(given.output).toEqual(read.output);
    const byFirst = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect([...fromS3.seen].sort(byFirst)).toEqual([...inState.seen].sort(byFirst));
  });

  it('reads JSONL: one JSON value per non-empty line, CRLF and blank lines allowed', async () => {
    await bucket.put('pages/1.jsonl', '{"id":"a"}\n\n{"id":"b"}\r\n"c"\n  \n[1,2]');
    const { seen, fn } = recordingLambda();
    const engine = engineFor(
      machine({
        ItemReader: { ...jsonReader('pages/1.jsonl'), ReaderConfig: { InputType: 'JSONL' } },
        MaxConcurrency: 1,
      }),
      { lambdas: [fn], s3Client: bucket.client },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual([{ id: 'a' }, { id: 'b' }, 'c', [1, 2]]);
    expect(seen).toEqual([{ id: 'a' }, { id: 'b' }, 'c', [1, 2]]);
  });

  it('reads only the first MaxItems items, and MaxItemsPath from the input', async () => {
    await bucket.put('pages/10.json', JSON.stringify(ids(10)));
    await bucket.put(
      'pages/10.jsonl',
      ids(10)
        .map((id) => JSON.stringify(id))
        .join('\n'),
    );
    const { seen, fn } = recordingLambda();
    const fixed = engineFor(machine({ ItemReader: jsonReader('pages/10.json', { MaxItems: 4 }) }), {
      lambdas: [fn],
      s3Client: bucket.client,
    });
    const fromPath = engineFor(
      machine({
        ItemReader: {
          ...jsonReader('pages/10.jsonl'),
          ReaderConfig: { InputType: 'JSONL', MaxItemsPath: '$.limit' },
        },
      }),
      { lambdas: [fn], s3Client: bucket.client },
    );

    const first = await run(fixed);
    const { executionArn } = fromPath.startExecution({ input: { limit: 2 } });
    const second = await fromPath.waitForExecution(executionArn);

    expect(first.output).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3']);
    expect(second.output).toEqual(['tx-0', 'tx-1']);
    expect(seen).toHaveLength(6);
    expect(fromPath.listMapRuns(executionArn)[0].itemCounts).toMatchObject({
      total: 2,
      succeeded: 2,
    });
  });

  it('takes Bucket.$ / Key.$ from the effective input; ItemSelector sees the read items', async () => {
    await bucket.put('runs/r1/page-1.json', JSON.stringify(['a1', 'a2']));
    await bucket.put('runs/r1/page-2.json', JSON.stringify(['b1']));
    const { fn } = recordingLambda();
    const engine = engineFor(
      machine({
        InputPath: '$.page',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.key' },
        },
        ItemSelector: {
          'id.$': '$$.Map.Item.Value',
          'index.$': '$$.Map.Item.Index',
          'key.$': '$.key',
        },
      }),
      { lambdas: [fn], s3Client: bucket.client },
    );

    const one = await run(engine, { page: { bucket: BUCKET, key: 'runs/r1/page-1.json' } });
    const two = await run(engine, { page: { bucket: BUCKET, key: 'runs/r1/page-2.json' } });

    expect(one.output).toEqual([
      { id: 'a1', index: 0, key: 'runs/r1/page-1.json' },
      { id: 'a2', index: 1, key: 'runs/r1/page-1.json' },
    ]);
    expect(two.output).toEqual([{ id: 'b1', index: 0, key: 'runs/r1/page-2.json' }]);
  });

  describe('fails the Map with States.ItemReaderFailed (catchable)', () => {
    const cases: [string, string | undefined, Record<string, unknown>, RegExp[]][] = [
      [
        'a missing key',
        undefined,
        { Parameters: { Bucket: BUCKET, Key: 'nope.json' } },
        [/s3:\/\/b\/nope\.json/, /NoSuchKey/],
      ],
      [
        'a missing bucket',
        undefined,
        { Parameters: { Bucket: 'other', Key: 'k.json' } },
        [/s3:\/\/other\/k\.json/, /NoSuchBucket/],
      ],
      [
        'an object that is not JSON',
        '["tx-0", "tx-1"',
        {},
        [/s3:\/\/b\/bad\.json/, /not valid JSON/],
      ],
      [
        'a JSON value that is not an array',
        '{"items":["tx-0"]}',
        {},
        [/s3:\/\/b\/bad\.json/, /an object, not an array/],
      ],
      [
        'a JSONL line that is not JSON',
        '"tx-0"\n\n{"id": }\n"tx-3"',
        { ReaderConfig: { InputType: 'JSONL' } },
        [/s3:\/\/b\/bad\.json/, /line 3 is not valid JSON/],
      ],
      [
        'a Key that is not a string',
        undefined,
        { Parameters: { Bucket: BUCKET, 'Key.$': '$.key' } },
        [/Parameters\.Key must be a non-empty string, got 42/],
      ],
    ];

    it.each(cases)('%s', async (_name, body, readerFields, causes) => {
      if (body !== undefined) await bucket.put('bad.json', body);
      let calls = 0;
      const work = lambda('work', async () => {
        calls += 1;
        return null;
      });
      const itemReader = { ...jsonReader('bad.json'), ...readerFields };
      const uncaught = engineFor(machine({ ItemReader: itemReader }), {
        lambdas: [work],
        s3Client: bucket.client,
      });
      const caught = engineFor(
        machine(
          {
            ItemReader: itemReader,
            Catch: [
              { ErrorEquals: ['States.ItemReaderFailed'], ResultPath: '$.error', Next: 'Handled' },
            ],
            Next: 'Done',
          },
          { Done: { Type: 'Succeed' }, Handled: { Type: 'Pass', End: true } },
        ),
        { lambdas: [work], s3Client: bucket.client },
      );

      const failed = await run(uncaught, { key: 42 });
      const handled = await run(caught, { key: 42 });

      expect(failed.status).toBe('FAILED');
      expect(failed.error).toBe('States.ItemReaderFailed');
      for (const cause of causes) expect(failed.cause).toMatch(cause);
      expect(handled.status).toBe('SUCCEEDED');
      const output = handled.output as { key: number; error: { Error: string; Cause: string } };
      expect(output.key).toBe(42);
      expect(output.error).toEqual({ Error: 'States.ItemReaderFailed', Cause: failed.cause });
      expect(calls).toBe(0);
    });
  });

  it('fails the Map with States.ItemReaderFailed when no S3 client is configured', async () => {
    await bucket.put('pages/1.json', JSON.stringify(ids(2)));
    const { seen, fn } = recordingLambda();
    const engine = engineFor(machine({ ItemReader: jsonReader('pages/1.json') }), {
      lambdas: [fn],
    });

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.ItemReaderFailed');
    expect(record.cause).toMatch(/s3:\/\/b\/pages\/1\.json/);
    expect(record.cause).toMatch(/no S3 client \(endpoint\) is configured for the local engine/);
    expect(seen).toEqual([]);
    const types = engine.getExecutionHistory(record.executionArn).map((event) => event.type);
    expect(types).toContain('MapStateFailed');
    expect(types[types.length - 1]).toBe('ExecutionFailed');
  });

  it('stops reading when the execution is stopped: the read is aborted, no child starts', async () => {
    const requests: unknown[] = [];
    let signal: AbortSignal | undefined;
    let release: (text: string) => void = () => undefined;
    // An S3Client that answers only when told to (and ignores its abort signal meanwhile).
    const slowClient = {
      send: (command: unknown, options: { abortSignal: AbortSignal }) => {
        requests.push((command as GetObjectCommand).input);
        signal = options.abortSignal;
        return new Promise((resolve) => {
          release = (text) => resolve({ Body: { transformToString: async () => text } });
        });
      },
    } as unknown as S3Client;
    const { seen, fn } = recordingLambda();
    const engine = engineFor(machine({ ItemReader: jsonReader('pages/slow.json') }), {
      lambdas: [fn],
      s3Client: slowClient,
    });

    const { executionArn } = engine.startExecution({ input: {} });
    await until(() => signal !== undefined);
    expect(requests).toEqual([{ Bucket: BUCKET, Key: 'pages/slow.json' }]);
    expect(signal?.aborted).toBe(false);
    engine.stopExecution(executionArn, { error: 'Operator', cause: 'stopped by test' });
    const record = await engine.waitForExecution(executionArn);
    release(JSON.stringify(ids(3)));
    await sleep(30);

    expect(record.status).toBe('ABORTED');
    expect(signal?.aborted).toBe(true);
    expect(seen).toEqual([]);
    expect(engine.listMapRuns(executionArn)).toEqual([]); // no Map Run started
  });

  describe('refuses at load (UnsupportedAslFeature) what the local runtime cannot read', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      [
        'InputType CSV',
        { ItemReader: jsonReader('k', { InputType: 'CSV' }) },
        'ItemReader.ReaderConfig.InputType',
        /InputType "CSV" is not supported.*JSON or JSONL/,
      ],
      [
        'InputType MANIFEST',
        { ItemReader: jsonReader('k', { InputType: 'MANIFEST' }) },
        'ItemReader.ReaderConfig.InputType',
        /InputType "MANIFEST" is not supported/,
      ],
      [
        'the listObjectsV2 resource',
        {
          ItemReader: {
            Resource: 'arn:aws:states:::s3:listObjectsV2',
            Parameters: { Bucket: BUCKET, Prefix: 'p/' },
          },
        },
        'ItemReader.Resource',
        /s3:listObjectsV2.*is not supported.*s3:getObject/,
      ],
      [
        'Parameters without a Key',
        { ItemReader: { ...jsonReader('k'), Parameters: { Bucket: BUCKET } } },
        'ItemReader.Parameters.Key',
        /needs Parameters\.Key/,
      ],
    ];

    it.each(cases)('%s', (_name, fields, field, message) => {
      expect(loadError(machine(fields), { s3Client: bucket.client })).toMatchObject({
        name: 'UnsupportedAslFeature',
        stateName: 'Fan',
        field,
        message: expect.stringMatching(message),
      });
    });
  });

  describe('refuses at load (InvalidAslDefinition, naming the field) what AWS does not accept', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      [
        'MaxItems over the AWS cap',
        { ItemReader: jsonReader('k', { MaxItems: 100_000_001 }) },
        'ItemReader.ReaderConfig.MaxItems',
        /MaxItems must be an integer in 1\.\.100000000/,
      ],
      [
        'ItemsPath with an ItemReader',
        { ItemReader: jsonReader('k'), ItemsPath: '$.items' },
        'ItemsPath',
        /ItemsPath cannot be used with an ItemReader/,
      ],
    ];

    it.each(cases)('%s', (_name, fields, field, message) => {
      expect(loadError(machine(fields), { s3Client: bucket.client })).toMatchObject({
        name: 'InvalidAslDefinition',
        stateName: 'Fan',
        field,
        message: expect.stringMatching(message),
      });
    });
  });

  it('refuses an ItemReader on an inline Map at load', () => {
    const definition = machine({ ItemReader: jsonReader('k') });
    const fan = (definition.States as Record<string, Record<string, unknown>>).Fan;
    fan.ItemProcessor = { ...(fan.ItemProcessor as object), ProcessorConfig: { Mode: 'INLINE' } };

    expect(() => engineFor(definition, { s3Client: bucket.client })).toThrow(
      /ItemReader is only valid on a Map whose ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED/,
    );
  });
});
