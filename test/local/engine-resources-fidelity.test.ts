// Engine conformance: the Task resource adapters (local/engine/resources.ts, lambda-invoke.ts)
// against what AWS documents and what AWS was observed to do. Each test names its source:
// "guide" is the AWS Step Functions developer guide, "Invoke API" the Lambda API reference,
// "observed" an AWS execution recorded by LocalStack's AWS-validated snapshots
// (tests/aws/services/stepfunctions/v2/{services,error_handling}/*.snapshot.json), "runtime" the
// Lambda Node.js runtime interface client (src/Errors.js, src/RAPIDClient.js).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import type { LocalLambdaContext } from '../../local/engine';
import {
  ACCOUNT,
  REGION,
  STATE_MACHINE_ARN,
  closeAll,
  engineFor,
  functionArn,
  lambda,
  run,
} from './engine-support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

afterEach(closeAll);

const INVOKE = 'arn:aws:states:::lambda:invoke';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** A one-Task machine over `resource` with these Parameters (and other fields). */
function task(
  parameters: Record<string, unknown> | undefined,
  fields: Record<string, unknown> = {},
  resource = INVOKE,
): Record<string, unknown> {
  return {
    StartAt: 'Call',
    States: {
      Call: {
        Type: 'Task',
        Resource: resource,
        ...(parameters === undefined ? {} : { Parameters: parameters }),
        End: true,
        ...fields,
      },
    },
  };
}

/** A function `echo` that records the events and contexts it got and returns `result(event)`. */
function recorder(result: (event: unknown) => unknown = (event) => event) {
  const events: unknown[] = [];
  const contexts: LocalLambdaContext[] = [];
  const fn = lambda('echo', async (event, context) => {
    events.push(event);
    contexts.push(context);
    return result(event);
  });
  return { fn, events, contexts };
}

type InvokeResult = {
  ExecutedVersion: string;
  LogResult?: string;
  Payload: unknown;
  SdkHttpMetadata: {
    AllHttpHeaders: Record<string, string[]>;
    HttpHeaders: Record<string, string>;
    HttpStatusCode: number;
  };
  SdkResponseMetadata: { RequestId: string };
  StatusCode: number;
};

describe('lambda:invoke request ("Invoke an AWS Lambda function with Step Functions", Invoke API)', () => {
  it('Payload absent: the function receives {} (Invoke API: an invocation without payload)', async () => {
    const { fn, events } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo' }), { lambdas: [fn] });

    const record = await run(engine, { ignored: true });

    expect(record.status).toBe('SUCCEEDED');
    expect(events).toEqual([{}]);
  });

  it('Payload null: the function receives {} (observed: "Payload": null reaches an echo function as {})', async () => {
    const { fn, events } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', 'Payload.$': '$.p' }), {
      lambdas: [fn],
    });

    const record = await run(engine, { p: null });

    expect(record.status).toBe('SUCCEEDED');
    expect(events).toEqual([{}]);
    expect((record.output as InvokeResult).Payload).toEqual({});
  });

  it('a string Payload is sent as its text and parsed by Lambda (observed: "null" arrives as null, "\\"HelloWorld\\"" as "HelloWorld")', async () => {
    const { fn, events } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', 'Payload.$': '$.p' }), {
      lambdas: [fn],
    });

    for (const p of ['{"a":[1,2]}', 'null', '"HelloWorld"', '0', 'true', '  ']) {
      expect((await run(engine, { p })).status).toBe('SUCCEEDED');
    }
    // A literal string Payload in Parameters is the same text.
    const literal = engineFor(task({ FunctionName: 'echo', Payload: '{"literal":1}' }), {
      lambdas: [fn],
    });
    expect((await run(literal)).status).toBe('SUCCEEDED');

    // Whitespace only is an empty payload: {} as for no payload.
    expect(events).toEqual([{ a: [1, 2] }, null, 'HelloWorld', 0, true, {}, { literal: 1 }]);
  });

  it('a string Payload that is not JSON fails Lambda.InvalidRequestContentException, as the Invoke API answers such a body', async () => {
    const { fn, events } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', 'Payload.$': '$.p' }), {
      lambdas: [fn],
    });

    const record = await run(engine, { p: 'hello world' });

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Lambda.InvalidRequestContentException');
    expect(record.cause).toMatch(
      new RegExp(
        `^Could not parse request body into json: Could not parse payload into json: Unrecognized token 'hello': .* \\(Service: AWSLambda; Status Code: 400; Error Code: InvalidRequestContentException; Request ID: ${UUID}; Proxy: null\\)$`,
      ),
    );
    expect(events).toEqual([]);
  });

  it('the function gets its own copy of the Payload (Lambda is a remote call): mutating the event leaves the state alone', async () => {
    const fn = lambda('mutate', async (event) => {
      (event as { list: number[] }).list.push(99);
      return 'done';
    });
    const engine = engineFor(
      task({ FunctionName: 'mutate', 'Payload.$': '$' }, { ResultPath: '$.result' }),
      { lambdas: [fn] },
    );

    const record = await run(engine, { list: [1] });

    expect((record.output as { list: number[] }).list).toEqual([1]);
  });

  it('Qualifier $LATEST invokes the function; another version or alias is "Function not found" with the qualified ARN (Invoke API: Qualifier)', async () => {
    const { fn, events } = recorder();
    const latest = engineFor(task({ FunctionName: 'echo', Qualifier: '$LATEST', Payload: 1 }), {
      lambdas: [fn],
    });
    expect((await run(latest)).status).toBe('SUCCEEDED');
    expect(events).toEqual([1]);

    const prod = engineFor(task({ FunctionName: 'echo', Qualifier: 'prod' }), { lambdas: [fn] });
    const record = await run(prod);

    expect(record.error).toBe('Lambda.ResourceNotFoundException');
    expect(record.cause).toMatch(
      new RegExp(
        `^Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo:prod \\(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${UUID}; Proxy: null\\)$`,
      ),
    );
    expect(events).toHaveLength(1);
  });

  it('a qualifier in FunctionName that differs from Qualifier fails Lambda.InvalidParameterValueException (Invoke API)', async () => {
    const { fn } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo:$LATEST', Qualifier: 'prod' }), {
      lambdas: [fn],
    });

    const record = await run(engine);

    expect(record.error).toBe('Lambda.InvalidParameterValueException');
    expect(record.cause).toMatch(
      /^The derived qualifier from the function name does not match the specified qualifier\. \(Service: AWSLambda; Status Code: 400; Error Code: InvalidParameterValueException;/,
    );
  });

  it('an unknown function is "Function not found: <its full ARN>" in the AWS SDK wording (observed)', async () => {
    const engine = engineFor(task({ 'FunctionName.$': '$.fn' }), {
      lambdas: [recorder().fn],
    });

    const byName = await run(engine, { fn: 'missing' });
    const byPartialArn = await run(engine, { fn: `${ACCOUNT}:function:gone` });

    expect(byName.error).toBe('Lambda.ResourceNotFoundException');
    expect(byName.cause).toMatch(
      new RegExp(
        `^Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:missing \\(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${UUID}; Proxy: null\\)$`,
      ),
    );
    expect(byPartialArn.cause).toMatch(
      new RegExp(`^Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:gone \\(`),
    );
  });

  it('ClientContext (base64 JSON, Invoke API) reaches the handler as context.clientContext', async () => {
    const { fn, contexts } = recorder();
    const clientContext = { custom: { tenant: 't-1' }, env: { locale: 'en' } };
    const engine = engineFor(
      task({
        FunctionName: 'echo',
        ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64'),
      }),
      { lambdas: [fn] },
    );

    expect((await run(engine)).status).toBe('SUCCEEDED');
    expect(contexts[0].clientContext).toEqual(clientContext);
  });

  it('a ClientContext that is not base64 of a JSON object fails Lambda.InvalidRequestContentException (Lambda: "Client context must be a valid Base64-encoded JSON object.")', async () => {
    const { fn, events } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', 'ClientContext.$': '$.c' }), {
      lambdas: [fn],
    });

    for (const c of [
      'not base64!',
      Buffer.from('not json').toString('base64'),
      Buffer.from('[1,2]').toString('base64'),
    ]) {
      const record = await run(engine, { c });
      expect(record.error).toBe('Lambda.InvalidRequestContentException');
      expect(record.cause).toMatch(
        /^Client context must be a valid Base64-encoded JSON object\. \(Service: AWSLambda; Status Code: 400; Error Code: InvalidRequestContentException;/,
      );
    }
    expect(events).toEqual([]);
  });
});

describe('lambda:invoke response ("Invoke an AWS Lambda function with Step Functions", observed)', () => {
  it("is { ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode }, the request ID being the handler's awsRequestId (observed)", async () => {
    const { fn, contexts } = recorder(() => ({ ok: 'é' }));
    const engine = engineFor(task({ FunctionName: 'echo' }), { lambdas: [fn] });

    const record = await run(engine);

    const result = record.output as InvokeResult;
    expect(Object.keys(result)).toEqual([
      'ExecutedVersion',
      'Payload',
      'SdkHttpMetadata',
      'SdkResponseMetadata',
      'StatusCode',
    ]);
    expect(result.ExecutedVersion).toBe('$LATEST');
    expect(result.StatusCode).toBe(200);
    expect(result.Payload).toEqual({ ok: 'é' });
    const requestId = contexts[0].awsRequestId;
    expect(result.SdkResponseMetadata).toEqual({ RequestId: requestId });
    const { AllHttpHeaders, HttpHeaders, HttpStatusCode } = result.SdkHttpMetadata;
    expect(HttpStatusCode).toBe(200);
    expect(Object.keys(HttpHeaders)).toEqual([
      'Connection',
      'Content-Length',
      'Content-Type',
      'Date',
      'X-Amz-Executed-Version',
      'x-amzn-Remapped-Content-Length',
      'x-amzn-RequestId',
      'X-Amzn-Trace-Id',
    ]);
    expect(HttpHeaders).toMatchObject({
      Connection: 'keep-alive',
      'Content-Length': String(Buffer.byteLength('{"ok":"é"}')), // bytes, not characters
      'Content-Type': 'application/json',
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-Remapped-Content-Length': '0',
      'x-amzn-RequestId': requestId,
    });
    expect(new Date(HttpHeaders.Date).toUTCString()).toBe(HttpHeaders.Date);
    for (const [name, value] of Object.entries(HttpHeaders)) {
      expect(AllHttpHeaders[name]).toEqual([value]);
    }
  });

  it('the Payload is the function response parsed as JSON: undefined → null, a string stays a string (even JSON text), numbers and booleans as is (runtime, observed)', async () => {
    const results: Record<string, unknown> = {
      undef: undefined,
      text: 'HelloWorld!',
      jsonText: '{"a":1}',
      number: 0,
      bool: false,
      nul: null,
    };
    const names = Object.keys(results);
    const engine = engineFor(
      {
        StartAt: names[0],
        States: Object.fromEntries(
          names.map((name, i) => [
            name,
            {
              Type: 'Task',
              Resource: INVOKE,
              Parameters: { FunctionName: name },
              ResultSelector: { 'payload.$': '$.Payload' },
              ResultPath: `$.${name}`,
              ...(i + 1 < names.length ? { Next: names[i + 1] } : { End: true }),
            },
          ]),
        ),
      },
      { lambdas: names.map((name) => lambda(name, async () => results[name])) },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({
      undef: { payload: null },
      text: { payload: 'HelloWorld!' },
      jsonText: { payload: '{"a":1}' },
      number: { payload: 0 },
      bool: { payload: false },
      nul: { payload: null },
    });
  });

  it('a result JSON cannot represent fails as the Node.js runtime does: errorType Error, "Unable to stringify response body" (runtime)', async () => {
    const engine = engineFor(task({ FunctionName: 'cyclic' }), {
      lambdas: [
        lambda('cyclic', async () => {
          const node: Record<string, unknown> = {};
          node.self = node;
          return node;
        }),
      ],
    });

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Error'); // not the TypeError JSON.stringify throws
    expect(JSON.parse(record.cause ?? '')).toMatchObject({
      errorType: 'Error',
      errorMessage: 'Unable to stringify response body',
    });
  });

  it('LogType Tail adds LogResult: base64 of the START / END / REPORT lines with the request ID, also in X-Amz-Log-Result (Invoke API: "the last 4 KB of the execution log")', async () => {
    const { fn, contexts } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', LogType: 'Tail' }), {
      lambdas: [fn],
    });

    const result = (await run(engine)).output as InvokeResult;

    const id = contexts[0].awsRequestId;
    expect(Object.keys(result)).toContain('LogResult');
    expect(result.SdkHttpMetadata.HttpHeaders['X-Amz-Log-Result']).toBe(result.LogResult);
    const log = Buffer.from(result.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(
      new RegExp(
        `^START RequestId: ${id} Version: \\$LATEST\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\t\\n$`,
      ),
    );
  });

  it('LogType None (the default) returns no LogResult (Invoke API)', async () => {
    const { fn } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', LogType: 'None' }), { lambdas: [fn] });

    const result = (await run(engine)).output as InvokeResult;

    expect(result).not.toHaveProperty('LogResult');
    expect(result.SdkHttpMetadata.HttpHeaders).not.toHaveProperty('X-Amz-Log-Result');
  });

  it('a LogType other than None or Tail fails Lambda.AWSLambdaException with Error Code ValidationException (Invoke API: LogType values)', async () => {
    const { fn, events } = recorder();
    const engine = engineFor(task({ FunctionName: 'echo', LogType: 'Full' }), { lambdas: [fn] });

    const record = await run(engine);

    expect(record.error).toBe('Lambda.AWSLambdaException');
    expect(record.cause).toMatch(/Error Code: ValidationException;/);
    expect(events).toEqual([]);
  });
});

describe('Lambda function errors ("Handling errors in Step Functions workflows", observed, runtime)', () => {
  it('Error is the errorType, Cause the error payload {"errorType","errorMessage","trace"} in that order', async () => {
    const engine = engineFor(task({ FunctionName: 'broken' }), {
      lambdas: [
        lambda('broken', async () => {
          class LockLost extends Error {
            override name = 'LockLost';
          }
          throw new LockLost('taken by run r-2');
        }),
      ],
    });

    const record = await run(engine);

    expect(record.error).toBe('LockLost');
    const cause = JSON.parse(record.cause ?? '') as Record<string, unknown>;
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(cause.errorType).toBe('LockLost');
    expect(cause.errorMessage).toBe('taken by run r-2');
    expect((cause.trace as string[])[0]).toBe('LockLost: taken by run r-2');
  });

  it('a thrown non-Error is named by its typeof, with no trace; one whose toString throws is "handled" (runtime toRapidResponse)', async () => {
    const thrown: unknown[] = ['oops', 42, null];
    const engine = engineFor(task({ FunctionName: 'odd' }), {
      lambdas: [
        lambda('odd', async () => {
          throw thrown.shift();
        }),
      ],
    });

    const asString = await run(engine);
    const asNumber = await run(engine);
    const asNull = await run(engine);

    expect(asString.error).toBe('string');
    expect(JSON.parse(asString.cause ?? '')).toEqual({
      errorType: 'string',
      errorMessage: 'oops',
      trace: [],
    });
    expect(asNumber.error).toBe('number');
    expect(asNull.error).toBe('handled');
    expect(JSON.parse(asNull.cause ?? '').errorMessage).toMatch(/^callback called with Error/);
  });

  it('a function ARN Resource passes the state input as the event and returns the function result as is ("Invoke an AWS Lambda function": Resource ARN)', async () => {
    const { fn, events } = recorder((event) => ({ got: event }));
    const engine = engineFor(task(undefined, {}, functionArn('echo')), { lambdas: [fn] });

    const record = await run(engine, { a: 'b' });

    expect(events).toEqual([{ a: 'b' }]);
    expect(record.output).toEqual({ got: { a: 'b' } });
  });
});

describe('States.DataLimitExceeded ("Handling errors": a connector output over the payload size quota)', () => {
  it("fails a result over 256 KiB with AWS's cause, and no Retry runs it again", async () => {
    let calls = 0;
    const big = 'x'.repeat(262_144);
    const engine = engineFor(
      task({ FunctionName: 'big' }, { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }] }),
      {
        retryIntervalScale: 0,
        lambdas: [
          lambda('big', async () => {
            calls += 1;
            return big;
          }),
        ],
      },
    );

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
    expect(record.cause).toBe(
      `The state/task '${INVOKE}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
    expect(calls).toBe(1);
  });

  it('counts UTF-8 bytes: 100,000 three-byte characters (300,000 bytes) are over the limit, 200,000 ASCII ones are not', async () => {
    const results = ['€'.repeat(100_000), 'a'.repeat(200_000)];
    const engine = engineFor(task(undefined, { ResultPath: null }, functionArn('text')), {
      lambdas: [lambda('text', async () => results.shift())],
    });

    const over = await run(engine);
    const under = await run(engine);

    expect(over.error).toBe('States.DataLimitExceeded');
    expect(over.cause).toContain(`'${functionArn('text')}'`);
    expect(under.status).toBe('SUCCEEDED');
  });
});

describe('states:startExecution ("Start a new AWS Step Functions state machine from a running execution", observed)', () => {
  it('returns { ExecutionArn, SdkHttpMetadata, SdkResponseMetadata, StartDate } (observed)', async () => {
    const engine = engineFor({
      StartAt: 'IsChild?',
      States: {
        'IsChild?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.child', IsPresent: true, Next: 'Done' }],
          Default: 'Start',
        },
        Start: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution',
          Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', Input: { child: true } },
          End: true,
        },
        Done: { Type: 'Succeed' },
      },
    });

    const record = await run(engine);

    const result = record.output as {
      ExecutionArn: string;
      SdkHttpMetadata: { HttpHeaders: Record<string, string>; HttpStatusCode: number };
      SdkResponseMetadata: { RequestId: string };
      StartDate: number;
    };
    expect(Object.keys(result)).toEqual([
      'ExecutionArn',
      'SdkHttpMetadata',
      'SdkResponseMetadata',
      'StartDate',
    ]);
    expect(result.ExecutionArn).toMatch(
      /^arn:aws:states:us-east-1:000000000000:execution:engine-test:/,
    );
    expect(typeof result.StartDate).toBe('number');
    expect(result.SdkHttpMetadata.HttpStatusCode).toBe(200);
    expect(result.SdkHttpMetadata.HttpHeaders['x-amzn-RequestId']).toBe(
      result.SdkResponseMetadata.RequestId,
    );
    expect(result.SdkHttpMetadata.HttpHeaders['Content-Type']).toBe('application/x-amz-json-1.0');
    await engine.waitForExecution(result.ExecutionArn);
  });

  it('another state machine fails StepFunctions.StateMachineDoesNotExistException in the AWS SDK wording (observed)', async () => {
    const other = `${STATE_MACHINE_ARN}-other`;
    const engine = engineFor(
      task({ StateMachineArn: other }, {}, 'arn:aws:states:::states:startExecution'),
    );

    const record = await run(engine);

    expect(record.error).toBe('StepFunctions.StateMachineDoesNotExistException');
    expect(record.cause).toMatch(
      new RegExp(
        `^State Machine Does Not Exist: '${other}' \\(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ${UUID}; Proxy: null\\)$`,
      ),
    );
  });
});

describe('DynamoDB integrations ("Call DynamoDB with Step Functions", "AWS SDK service integrations", observed)', () => {
  const TABLE = 'FidelityItems';
  let server: Server;
  let client: dynamodb.DynamoDBClient;

  beforeAll(async () => {
    server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new dynamodb.DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    await client.send(
      new dynamodb.CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(
      new dynamodb.PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'taken' }, blob: { B: new Uint8Array([1, 2, 3]) } },
      }),
    );
  });

  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const optimized = (action: string) => `arn:aws:states:::dynamodb:${action}`;
  const sdk = (action: string) => `arn:aws:states:::aws-sdk:dynamodb:${action}`;
  const putIfAbsent = {
    TableName: TABLE,
    Item: { pk: { S: 'taken' } },
    ConditionExpression: 'attribute_not_exists(pk)',
  };

  it('optimized: a lost condition is DynamoDB.ConditionalCheckFailedException, Cause "<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: …; Request ID: …; Proxy: null)" (observed)', async () => {
    const engine = engineFor(task(putIfAbsent, {}, optimized('putItem')), {
      dynamoDbClient: client,
    });

    const record = await run(engine);

    expect(record.error).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(record.cause).toMatch(
      /^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: \w+; Proxy: null\)$/,
    );
  });

  it('optimized: an error the SDK does not model (ValidationException) is DynamoDB.AmazonDynamoDBException (observed)', async () => {
    const engine = engineFor(
      task({ TableName: TABLE, 'Item.$': '$.item' }, {}, optimized('putItem')),
      { dynamoDbClient: client },
    );

    const record = await run(engine, { item: null });

    expect(record.error).toBe('DynamoDB.AmazonDynamoDBException');
    expect(record.cause).toMatch(
      /^1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: \w+; Proxy: null\)$/,
    );
  });

  it('aws-sdk: a lost condition is DynamoDb.ConditionalCheckFailedException, Cause "<message> (Service: DynamoDb, Status Code: 400, Request ID: …)" (guide: ServiceName.ErrorName; observed wording)', async () => {
    const engine = engineFor(task(putIfAbsent, {}, sdk('putItem')), { dynamoDbClient: client });

    const record = await run(engine);

    expect(record.error).toBe('DynamoDb.ConditionalCheckFailedException');
    expect(record.cause).toMatch(
      /^The conditional request failed \(Service: DynamoDb, Status Code: 400, Request ID: \w+\)$/,
    );
  });

  it('aws-sdk: an error the SDK does not model (ValidationException) is DynamoDb.DynamoDbException (observed)', async () => {
    const engine = engineFor(task({ TableName: TABLE, 'Item.$': '$.item' }, {}, sdk('putItem')), {
      dynamoDbClient: client,
    });

    const record = await run(engine, { item: null });

    expect(record.error).toBe('DynamoDb.DynamoDbException');
    expect(record.cause).toMatch(
      /^1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null \(Service: DynamoDb, Status Code: 400, Request ID: \w+\)$/,
    );
  });

  it('optimized getItem returns the response plus SdkHttpMetadata and SdkResponseMetadata, header names spelled as AWS spells them (observed)', async () => {
    const engine = engineFor(
      task({ TableName: TABLE, Key: { pk: { S: 'taken' } } }, {}, optimized('getItem')),
      { dynamoDbClient: client },
    );

    const result = (await run(engine)).output as {
      Item: unknown;
      SdkHttpMetadata: {
        AllHttpHeaders: Record<string, string[]>;
        HttpHeaders: Record<string, string>;
        HttpStatusCode: number;
      };
      SdkResponseMetadata: { RequestId: string };
    };

    expect(Object.keys(result)).toEqual(['Item', 'SdkHttpMetadata', 'SdkResponseMetadata']);
    expect(result.Item).toEqual({ pk: { S: 'taken' }, blob: { B: 'AQID' } });
    const { HttpHeaders, AllHttpHeaders, HttpStatusCode } = result.SdkHttpMetadata;
    expect(HttpStatusCode).toBe(200);
    expect(HttpHeaders['x-amzn-RequestId']).toBe(result.SdkResponseMetadata.RequestId);
    expect(HttpHeaders['Content-Type']).toBe('application/x-amz-json-1.0');
    expect(Object.keys(HttpHeaders)).toEqual(
      expect.arrayContaining(['Content-Length', 'Content-Type', 'Date', 'x-amzn-RequestId']),
    );
    expect(Object.keys(HttpHeaders)).not.toContain('content-type'); // Node's lower-casing undone
    expect(AllHttpHeaders['Content-Length']).toEqual([HttpHeaders['Content-Length']]);
  });

  it("aws-sdk getItem returns the API response alone, binary attributes as base64 (guide: the service API's response)", async () => {
    const engine = engineFor(
      task({ TableName: TABLE, Key: { pk: { S: 'taken' } } }, {}, sdk('getItem')),
      { dynamoDbClient: client },
    );

    const record = await run(engine);

    expect(record.output).toEqual({ Item: { pk: { S: 'taken' }, blob: { B: 'AQID' } } });
  });

  it('a modeled error whose name lacks "Exception" gets the suffix (guide: "include the Exception suffix"), in both flavours', async () => {
    const failing = {
      send: async () => {
        throw new dynamodb.InternalServerError({
          message: 'boom',
          $metadata: { httpStatusCode: 500, requestId: 'req-1' },
        });
      },
    } as unknown as dynamodb.DynamoDBClient;
    const key = { TableName: TABLE, Key: { pk: { S: 'x' } } };

    const viaSdk = await run(engineFor(task(key, {}, sdk('getItem')), { dynamoDbClient: failing }));
    const viaOptimized = await run(
      engineFor(task(key, {}, optimized('getItem')), { dynamoDbClient: failing }),
    );

    expect(viaSdk.error).toBe('DynamoDb.InternalServerErrorException');
    expect(viaSdk.cause).toBe('boom (Service: DynamoDb, Status Code: 500, Request ID: req-1)');
    expect(viaOptimized.error).toBe('DynamoDB.InternalServerErrorException');
    expect(viaOptimized.cause).toBe(
      'boom (Service: AmazonDynamoDBv2; Status Code: 500; Error Code: InternalServerError; Request ID: req-1; Proxy: null)',
    );
  });

  it('no HTTP answer (a client-side failure) is <prefix>.SdkClientException, never the JavaScript error name', async () => {
    const broken = {
      send: async () => {
        throw new TypeError('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
      },
    } as unknown as dynamodb.DynamoDBClient;
    const key = { TableName: TABLE, Key: { pk: { S: 'x' } } };

    const viaSdk = await run(engineFor(task(key, {}, sdk('getItem')), { dynamoDbClient: broken }));
    const viaOptimized = await run(
      engineFor(task(key, {}, optimized('getItem')), { dynamoDbClient: broken }),
    );

    expect(viaSdk.error).toBe('DynamoDb.SdkClientException');
    expect(viaSdk.cause).toBe(
      'Unable to execute HTTP request: fetch failed: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(viaOptimized.error).toBe('DynamoDB.SdkClientException');
  });
});
