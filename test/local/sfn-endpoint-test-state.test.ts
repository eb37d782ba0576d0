// TestState on the local Step Functions endpoint, driven by the real SFNClient: each test is named
// after the API reference statement ("TestState") or the developer guide section ("Using
// TestState API to test a state", quoted in a comment) it checks. The engine's own behaviour is
// tested in engine-test-state.test.ts; this file checks the wire, the request fields and the
// local runtime's resources (its Lambdas, its DynamoDB) under TestState.
import { SFNClient, TestStateCommand, type TestStateCommandInput } from '@aws-sdk/client-sfn';
import { type SfnFixture, startSfnFixture, stopSfnFixture } from './sfn-endpoint-support';
import { rejection } from '../support/rejection';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/test-state-role';

let fixture: SfnFixture;
/**
 * TestState's endpoint has the host prefix `sync-` (the service model's `hostPrefix`): against a
 * local endpoint the client must not prefix the host, or it resolves `sync-127.0.0.1`.
 */
let sfn: SFNClient;
/** The synthesized state machine (the txconfirm workflow) as JSON text. */
let workflow: string;
/** The workflow's Lambda function ARNs by state name. */
let functionOf: Record<string, string>;

beforeAll(async () => {
  fixture = await startSfnFixture();
  sfn = new SFNClient({
    endpoint: fixture.endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'anything', secretAccessKey: 'anything' },
    disableHostPrefix: true,
  });
  const definition = fixture.runtime.stack.definition.definition;
  workflow = JSON.stringify(definition);
  functionOf = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const parameters = state.Parameters as { FunctionName?: unknown } | undefined;
    if (typeof parameters?.FunctionName === 'string') functionOf[name] = parameters.FunctionName;
  }
});

afterAll(async () => {
  sfn?.destroy();
  await stopSfnFixture(fixture ?? {});
});

function testState(input: Omit<TestStateCommandInput, 'roleArn'> & { roleArn?: string }) {
  return sfn.send(new TestStateCommand({ roleArn: ROLE_ARN, ...input }));
}

describe('the answer', () => {
  it('"Accepts the definition of a single state and executes it": output and inspectionData as JSON text, status, nextState', async () => {
    const result = await testState({
      definition: JSON.stringify({
        Type: 'Pass',
        InputPath: '$.a',
        Parameters: { 'doubled.$': 'States.MathAdd($.n, $.n)' },
        ResultPath: '$.r',
        Next: 'Then',
      }),
      input: '{"a":{"n":4}}',
      inspectionLevel: 'DEBUG',
    });
    expect(result.status).toBe('SUCCEEDED');
    // ResultPath places the result into the raw input, not the InputPath's selection.
    expect(result.output).toBe('{"a":{"n":4},"r":{"doubled":8}}');
    expect(result.nextState).toBe('Then');
    expect(result.inspectionData).toEqual({
      input: '{"a":{"n":4}}',
      afterInputPath: '{"n":4}',
      afterParameters: '{"doubled":8}',
      afterResultSelector: '{"doubled":8}',
      afterResultPath: '{"a":{"n":4},"r":{"doubled":8}}',
    });
    expect(result.error).toBeUndefined();
  });

  it('stateName: "the definition must contain a fully-formed state machine definition" — a Choice of the workflow picks its next state', async () => {
    const skipped = await testState({
      definition: workflow,
      stateName: 'RunSkipped?',
      input: '{"status":"SKIPPED"}',
    });
    expect(skipped).toMatchObject({ status: 'SUCCEEDED', nextState: 'Skipped' });
    const started = await testState({
      definition: workflow,
      stateName: 'RunSkipped?',
      input: '{"status":"STARTED"}',
    });
    expect(started.nextState).toBe('FetchPage');
  });

  it("status CAUGHT_ERROR: the workflow's FetchPage, run on the local Lambda with a malformed event, goes to its Catcher's Next", async () => {
    const result = await testState({
      definition: workflow,
      stateName: 'FetchPage',
      input: '{}',
      inspectionLevel: 'DEBUG',
    });
    expect(result.status).toBe('CAUGHT_ERROR');
    expect(result.nextState).toBe('ReleaseLockAfterFailure');
    expect(result.error).toBe('InvalidConfiguration');
    expect(result.cause).toContain('fetch-page received a malformed event');
    expect(JSON.parse(result.output ?? '')).toEqual({
      failure: { Error: 'InvalidConfiguration', Cause: result.cause },
    });
    expect(result.inspectionData?.errorDetails).toEqual({ catchIndex: 0 });
    expect(JSON.parse(result.inspectionData?.afterParameters ?? '')).toEqual({
      FunctionName: functionOf.FetchPage,
      Payload: {},
    });
  });

  it('status RETRIABLE: errorDetails.retryIndex and retryBackoffIntervalSeconds come back as numbers', async () => {
    const result = await testState({
      definition: JSON.stringify({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: functionOf.FetchPage, Payload: {} },
        Retry: [{ ErrorEquals: ['InvalidConfiguration'], IntervalSeconds: 7 }],
        End: true,
      }),
      inspectionLevel: 'TRACE',
    });
    expect(result.status).toBe('RETRIABLE');
    expect(result.error).toBe('InvalidConfiguration');
    expect(result.inspectionData?.errorDetails).toEqual({
      retryIndex: 0,
      retryBackoffIntervalSeconds: 7,
    });
    expect(result.output).toBeUndefined();
  });

  it("a DynamoDB Task writes and reads through the local runtime's store", async () => {
    const TableName = fixture.runtime.stack.tableNames.transactions;
    const id = `test-state-${Date.now()}`;
    const put = await testState({
      definition: JSON.stringify({
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: { TableName, Item: { id: { S: id }, 'note.$': '$.note' } },
        ResultPath: null,
        End: true,
      }),
      input: JSON.stringify({ note: { S: 'written by TestState' } }),
    });
    expect(put.status).toBe('SUCCEEDED');
    const got = await testState({
      definition: JSON.stringify({
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: { TableName, Key: { id: { 'S.$': '$.id' } } },
        ResultSelector: { 'note.$': '$.Item.note.S' },
        End: true,
      }),
      input: JSON.stringify({ id }),
    });
    expect(got).toMatchObject({ status: 'SUCCEEDED', output: '{"note":"written by TestState"}' });
  });

  it('"A string that contains the JSON input data" and variables: both as JSON text', async () => {
    const result = await testState({
      definition: JSON.stringify({
        Type: 'Pass',
        QueryLanguage: 'JSONata',
        Output: '{% $states.input.n * $factor %}',
        Assign: { seen: true },
        End: true,
      }),
      input: '{"n":6}',
      variables: '{"factor":7}',
      inspectionLevel: 'DEBUG',
    });
    expect(result.output).toBe('42');
    expect(JSON.parse(result.inspectionData?.variables ?? '')).toEqual({ factor: 7, seen: true });
  });
});

describe('the request', () => {
  it('definition "Required: Yes", "Length Constraints: Minimum length of 1"', async () => {
    const missing = await rejection(testState({ definition: undefined as unknown as string }));
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toContain("'definition'");
    const empty = await rejection(testState({ definition: '' }));
    expect(empty.name).toBe('ValidationException');
  });

  it('inspectionLevel "Valid Values: INFO | DEBUG | TRACE"', async () => {
    const error = await rejection(
      testState({
        definition: '{"Type":"Pass","End":true}',
        inspectionLevel: 'VERBOSE' as TestStateCommandInput['inspectionLevel'],
      }),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('inspectionLevel');
  });

  it('stateName "Length Constraints: Minimum length of 1. Maximum length of 80."', async () => {
    for (const stateName of ['', 'x'.repeat(81)]) {
      const error = await rejection(testState({ definition: workflow, stateName }));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain('stateName');
    }
  });

  it('input and variables "Length Constraints: Maximum length of 262144."', async () => {
    const long = JSON.stringify({ pad: 'x'.repeat(262_144) });
    for (const field of ['input', 'variables'] as const) {
      const error = await rejection(
        testState({ definition: '{"Type":"Pass","End":true}', [field]: long }),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain(field);
    }
  });

  it('a stateName the definition does not have is a ValidationException', async () => {
    const error = await rejection(testState({ definition: workflow, stateName: 'NoSuchState' }));
    expect(error.name).toBe('ValidationException');
  });

  it('"InvalidDefinition": not ASL, a Map state (AWS tests one only with a mock)', async () => {
    const notAsl = await rejection(testState({ definition: '{"Type":"Teleport","End":true}' }));
    expect(notAsl.name).toBe('InvalidDefinition');
    const map = await rejection(testState({ definition: workflow, stateName: 'ConfirmPage' }));
    expect(map.name).toBe('InvalidDefinition');
  });

  it('"InvalidArn": a roleArn that is not an IAM role ARN', async () => {
    const error = await rejection(
      testState({ definition: '{"Type":"Pass","End":true}', roleArn: 'arn:aws:s3:::bucket' }),
    );
    expect(error.name).toBe('InvalidArn');
  });

  it('"InvalidExecutionInput": input that is not JSON', async () => {
    const error = await rejection(
      testState({ definition: '{"Type":"Pass","End":true}', input: '{not json' }),
    );
    expect(error.name).toBe('InvalidExecutionInput');
  });

  it('mock, context and stateConfiguration are refused with a ValidationException naming the field', async () => {
    const definition = JSON.stringify({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: functionOf.FetchPage, Payload: {} },
      End: true,
    });
    const requests: [string, Partial<TestStateCommandInput>][] = [
      ['mock', { mock: { result: '{}' } }],
      ['context', { context: '{}' }],
      ['stateConfiguration', { stateConfiguration: { retrierRetryCount: 1 } }],
    ];
    for (const [field, extra] of requests) {
      const error = await rejection(testState({ definition, ...extra }));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain(field);
    }
  });
});
