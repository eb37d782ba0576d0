// The engine's TestState (local/engine/test-state.ts), through LocalStepFunctions.testState: one
// state run once, with the engine's own LocalLambdas. Each test is named after the statement of
// the API reference ("TestState", "InspectionData") or of the developer guide ("Using TestState
// API to test a state", section quoted in a comment) it checks.
import {
  type TestStateRequest,
  type TestStateResult,
  testState as runTestState,
} from '../../local/engine/test-state';
import type { LocalStepFunctions } from '../../local/engine';
import { LambdaRegistry } from '../../local/engine/resources';
import {
  STATE_MACHINE_ARN,
  STATE_MACHINE_NAME,
  closeAll,
  engineFor,
  functionArn,
  lambda,
  machine,
  namedError,
} from './engine-support';
import { rejection } from '../support/rejection';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/test-state-role';

let engine: LocalStepFunctions;
/** Every event each function received, by function name (reset before each test). */
let calls: Record<string, unknown[]>;

beforeAll(() => {
  // One engine for the file: TestState leaves nothing behind in it.
  engine = engineFor(machine({ Done: { Type: 'Succeed' } }), {
    lambdas: [
      lambda('echo', async (event) => {
        calls.echo.push(event);
        return { echoed: event };
      }),
      lambda('fail', async (event) => {
        calls.fail.push(event);
        throw namedError('Provider.Down', 'the provider is down');
      }),
      lambda('slow', async (event, context) => {
        calls.slow.push(event);
        await new Promise((resolve) => context.abortSignal.addEventListener('abort', resolve));
        return 'late';
      }),
    ],
  });
});

beforeEach(() => {
  calls = { echo: [], fail: [], slow: [] };
});

afterAll(closeAll);

/** TestState on `state` (an object, sent as JSON text), with a role unless `request` says. */
function testState(
  state: unknown,
  request: Partial<TestStateRequest> = {},
): Promise<TestStateResult> {
  return engine.testState({
    definition: JSON.stringify(state),
    roleArn: ROLE_ARN,
    ...request,
  });
}

/** The JSON value of a JSON text field of the answer. */
function parsed(text: string | undefined): unknown {
  if (text === undefined) throw new Error('the field is absent');
  return JSON.parse(text);
}

/** A lambda:invoke Task of `fn`, its Payload the state's input. */
function invoke(fn: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn(fn), 'Payload.$': '$' },
    ...extra,
  };
}

describe('inspection levels', () => {
  // Guide, "Using inspection levels in TestState API".
  const pass = {
    Type: 'Pass',
    InputPath: '$.order',
    Parameters: { 'id.$': '$.id', fixed: 1 },
    ResultPath: '$.order.copy',
    OutputPath: '$.order',
    Next: 'Ship',
  };
  const input = JSON.stringify({ order: { id: 'o-1', qty: 2 }, other: true });

  it('INFO: "Shows the final state output" (and status and nextState), no inspection data', async () => {
    const result = await testState(pass, { input, inspectionLevel: 'INFO' });
    expect(result.status).toBe('SUCCEEDED');
    expect(parsed(result.output)).toEqual({ id: 'o-1', qty: 2, copy: { id: 'o-1', fixed: 1 } });
    expect(result.nextState).toBe('Ship');
    expect(result.inspectionData).toBeUndefined();
  });

  it('INFO is the default: "By default, Step Functions sets inspectionLevel to INFO"', async () => {
    const withDefault = await testState(pass, { input });
    const withInfo = await testState(pass, { input, inspectionLevel: 'INFO' });
    expect(withDefault).toEqual(withInfo);
    expect(withDefault.inspectionData).toBeUndefined();
  });

  it('DEBUG: "Shows the final state output along with the input and output data processing result"', async () => {
    const result = await testState(pass, { input, inspectionLevel: 'DEBUG' });
    const data = result.inspectionData ?? {};
    expect(parsed(data.input)).toEqual({ order: { id: 'o-1', qty: 2 }, other: true });
    expect(parsed(data.afterInputPath)).toEqual({ id: 'o-1', qty: 2 });
    expect(parsed(data.afterParameters)).toEqual({ id: 'o-1', fixed: 1 });
    expect(parsed(data.afterResultSelector)).toEqual({ id: 'o-1', fixed: 1 });
    expect(parsed(data.afterResultPath)).toEqual({
      order: { id: 'o-1', qty: 2, copy: { id: 'o-1', fixed: 1 } },
      other: true,
    });
    // A Pass state without Result: its Parameters stage is its result.
    expect(data.result).toBeUndefined();
    expect(data.afterArguments).toBeUndefined();
    expect(result.output).toBe(
      JSON.stringify({ id: 'o-1', qty: 2, copy: { id: 'o-1', fixed: 1 } }),
    );
  });

  it('TRACE: "Shows the HTTP request and response for an HTTP Task" — for any other state, what DEBUG shows', async () => {
    const debug = await testState(pass, { input, inspectionLevel: 'DEBUG' });
    const trace = await testState(pass, { input, inspectionLevel: 'TRACE' });
    expect(trace).toEqual(debug);
    expect(Object.keys(trace.inspectionData ?? {})).not.toContain('request');
  });

  it('InspectionData.result: "The state\'s raw result" — a Pass state\'s Result', async () => {
    const result = await testState(
      { Type: 'Pass', Result: { fixed: true }, ResultPath: '$.r', End: true },
      { input: '{"a":1}', inspectionLevel: 'DEBUG' },
    );
    const data = result.inspectionData ?? {};
    expect(parsed(data.result)).toEqual({ fixed: true });
    expect(parsed(data.afterResultPath)).toEqual({ a: 1, r: { fixed: true } });
    expect(data.afterInputPath).toBeUndefined();
    expect(data.afterParameters).toBeUndefined();
  });

  it('afterInputPath etc.: "Not populated when QueryLanguage is JSONata" — a JSONata Pass shows its input', async () => {
    const result = await testState(
      { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.a + 1 %}', End: true },
      { input: '{"a":1}', inspectionLevel: 'DEBUG' },
    );
    expect(parsed(result.output)).toBe(2);
    expect(result.inspectionData).toEqual({ input: '{"a":1}' });
  });
});

describe('Task states', () => {
  // Guide: "The TestState API assumes an IAM role which must contain the required IAM permissions
  // for the resources your state accesses" — locally, the engine's own resources.
  it('"Accepts the definition of a single state and executes it": a Task calls the real local Lambda', async () => {
    const result = await testState(
      invoke('echo', {
        ResultSelector: { 'payload.$': '$.Payload', 'status.$': '$.StatusCode' },
        ResultPath: '$.answer',
        Next: 'After',
      }),
      { input: '{"tx":"t-1"}', inspectionLevel: 'DEBUG' },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.echo).toEqual([{ tx: 't-1' }]);
    expect(parsed(result.output)).toEqual({
      tx: 't-1',
      answer: { payload: { echoed: { tx: 't-1' } }, status: 200 },
    });
    expect(result.nextState).toBe('After');
    const data = result.inspectionData ?? {};
    expect(parsed(data.afterInputPath)).toEqual({ tx: 't-1' });
    expect(parsed(data.afterParameters)).toEqual({
      FunctionName: functionArn('echo'),
      Payload: { tx: 't-1' },
    });
    expect(parsed(data.result)).toMatchObject({
      Payload: { echoed: { tx: 't-1' } },
      StatusCode: 200,
    });
    expect(parsed(data.afterResultSelector)).toEqual({
      payload: { echoed: { tx: 't-1' } },
      status: 200,
    });
    expect(parsed(data.afterResultPath)).toEqual(parsed(result.output));
  });

  it('afterArguments: "The input after Step Functions applies an Arguments filter" (JSONata Task)', async () => {
    const result = await testState(
      {
        Type: 'Task',
        QueryLanguage: 'JSONata',
        Resource: 'arn:aws:states:::lambda:invoke',
        Arguments: {
          FunctionName: functionArn('echo'),
          Payload: { n: '{% $states.input.n * 2 %}' },
        },
        Output: '{% $states.result.Payload.echoed.n %}',
        End: true,
      },
      { input: '{"n":21}', inspectionLevel: 'DEBUG' },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(parsed(result.output)).toBe(42);
    expect(result.nextState).toBeUndefined();
    const data = result.inspectionData ?? {};
    expect(parsed(data.afterArguments)).toEqual({
      FunctionName: functionArn('echo'),
      Payload: { n: 42 },
    });
    expect(parsed(data.result)).toMatchObject({ Payload: { echoed: { n: 42 } } });
    expect(data.afterInputPath).toBeUndefined();
    expect(data.afterParameters).toBeUndefined();
    expect(data.afterResultPath).toBeUndefined();
  });

  it('status RETRIABLE: a Retrier matches the error — TestState does not retry, and reports retryIndex and the backoff', async () => {
    // Guide, "Using inspection levels": status "indicates the status of the state execution.
    // For example, SUCCEEDED, FAILED, RETRIABLE, and CAUGHT_ERROR".
    const result = await testState(
      invoke('fail', {
        Retry: [
          { ErrorEquals: ['Other'], MaxAttempts: 5 },
          { ErrorEquals: ['Provider.Down'], IntervalSeconds: 30, MaxDelaySeconds: 20 },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handle' }],
        Next: 'After',
      }),
      { input: '{"tx":"t-2"}', inspectionLevel: 'DEBUG' },
    );
    expect(result.status).toBe('RETRIABLE');
    expect(calls.fail).toHaveLength(1);
    expect(result.error).toBe('Provider.Down');
    expect(JSON.parse(result.cause ?? '')).toMatchObject({ errorMessage: 'the provider is down' });
    expect(result.output).toBeUndefined();
    expect(result.nextState).toBeUndefined();
    // "retryBackoffIntervalSeconds: The duration in seconds of the backoff for a retry": the
    // first retry's, IntervalSeconds capped by MaxDelaySeconds.
    expect(result.inspectionData?.errorDetails).toEqual({
      retryIndex: 1,
      retryBackoffIntervalSeconds: 20,
    });
  });

  it('status CAUGHT_ERROR: a Catcher catches it — nextState is its Next, output its ResultPath output, catchIndex its index', async () => {
    const result = await testState(
      invoke('fail', {
        Retry: [{ ErrorEquals: ['Provider.Down'], MaxAttempts: 0 }],
        Catch: [
          { ErrorEquals: ['Other'], Next: 'Elsewhere' },
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.failure', Next: 'Handle' },
        ],
        Next: 'After',
      }),
      { input: '{"tx":"t-3"}', inspectionLevel: 'DEBUG' },
    );
    expect(result.status).toBe('CAUGHT_ERROR');
    expect(calls.fail).toHaveLength(1);
    expect(result.nextState).toBe('Handle');
    expect(result.error).toBe('Provider.Down');
    const output = parsed(result.output) as {
      tx: string;
      failure: { Error: string; Cause: string };
    };
    expect(output.tx).toBe('t-3');
    expect(output.failure.Error).toBe('Provider.Down');
    expect(output.failure.Cause).toBe(result.cause);
    const data = result.inspectionData ?? {};
    expect(data.errorDetails).toEqual({ catchIndex: 1 });
    expect(parsed(data.afterParameters)).toMatchObject({ Payload: { tx: 't-3' } });
    expect(data.result).toBeUndefined();
  });

  it("CAUGHT_ERROR in JSONata: the Catcher's Output and Assign ($states.errorOutput)", async () => {
    const result = await testState(
      {
        Type: 'Task',
        QueryLanguage: 'JSONata',
        Resource: 'arn:aws:states:::lambda:invoke',
        Arguments: { FunctionName: functionArn('fail'), Payload: '{% $states.input %}' },
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            Output: { error: '{% $states.errorOutput.Error %}', tx: '{% $states.input.tx %}' },
            Assign: { lastError: '{% $states.errorOutput.Error %}' },
            Next: 'Handle',
          },
        ],
        End: true,
      },
      { input: '{"tx":"t-4"}', variables: '{"attempt":1}', inspectionLevel: 'DEBUG' },
    );
    expect(result.status).toBe('CAUGHT_ERROR');
    expect(parsed(result.output)).toEqual({ error: 'Provider.Down', tx: 't-4' });
    expect(result.nextState).toBe('Handle');
    expect(parsed(result.inspectionData?.variables)).toEqual({
      attempt: 1,
      lastError: 'Provider.Down',
    });
    expect(result.inspectionData?.errorDetails).toEqual({ catchIndex: 0 });
  });

  it('status FAILED: no Retrier or Catcher matches — error and cause, no output, no nextState', async () => {
    const result = await testState(
      invoke('fail', {
        Retry: [{ ErrorEquals: ['Other'] }],
        Catch: [{ ErrorEquals: ['Other'], Next: 'Handle' }],
        Next: 'After',
      }),
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Provider.Down');
    expect(result.cause).toContain('the provider is down');
    expect(result.output).toBeUndefined();
    expect(result.nextState).toBeUndefined();
  });

  it("a Task's TimeoutSeconds fails it with States.Timeout, which a Retrier on States.Timeout makes RETRIABLE", async () => {
    const result = await testState(
      invoke('slow', {
        TimeoutSeconds: 1,
        Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 2 }],
        End: true,
      }),
      { inspectionLevel: 'DEBUG' },
    );
    expect(calls.slow).toHaveLength(1);
    expect(result.status).toBe('RETRIABLE');
    expect(result.error).toBe('States.Timeout');
    expect(result.inspectionData?.errorDetails).toEqual({
      retryIndex: 0,
      retryBackoffIntervalSeconds: 2,
    });
  });

  it("TestState's own time limit (five minutes on AWS) fails the test with States.Timeout, neither retried nor caught", async () => {
    let aborted = false;
    const slow = lambda('slow', async (_event, context) => {
      await new Promise((resolve) => context.abortSignal.addEventListener('abort', resolve));
      aborted = true;
      return 'late';
    });
    const result = await runTestState(
      {
        definition: JSON.stringify(
          invoke('slow', {
            Retry: [{ ErrorEquals: ['States.ALL'] }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handle' }],
            End: true,
          }),
        ),
        roleArn: ROLE_ARN,
        inspectionLevel: 'DEBUG',
      },
      {
        adapters: {
          lambdas: new LambdaRegistry([slow]),
          stateMachineArn: STATE_MACHINE_ARN,
          track: () => undefined,
          startExecution: () => {
            throw new Error('not started by this test');
          },
        },
        stateMachineName: STATE_MACHINE_NAME,
        timeoutMs: 200,
      },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
    expect(result.cause).toContain('0.2 seconds');
    expect(result.nextState).toBeUndefined();
    expect(result.inspectionData?.errorDetails).toBeUndefined();
    // The handler was told to stop.
    expect(aborted).toBe(true);
  });
});

describe('Choice, Wait, Succeed and Fail', () => {
  const choice = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.amount', NumericGreaterThan: 100, Next: 'Large' },
      { Variable: '$.amount', NumericGreaterThan: 10, Next: 'Medium' },
    ],
    Default: 'Small',
  };

  it('nextState: "The name of the next state to transition to" — the Choice rule that matched', async () => {
    const medium = await testState(choice, { input: '{"amount":50}' });
    expect(medium).toEqual({ status: 'SUCCEEDED', output: '{"amount":50}', nextState: 'Medium' });
    const large = await testState(choice, { input: '{"amount":500}' });
    expect(large.nextState).toBe('Large');
  });

  it("nextState: the Choice state's Default when no rule matches", async () => {
    const result = await testState(choice, { input: '{"amount":1}', inspectionLevel: 'DEBUG' });
    expect(result.nextState).toBe('Small');
    expect(result.inspectionData).toEqual({
      input: '{"amount":1}',
      afterInputPath: '{"amount":1}',
    });
  });

  it('a Choice without Default that matches nothing FAILS with States.NoChoiceMatched', async () => {
    const result = await testState({ ...choice, Default: undefined }, { input: '{"amount":1}' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.NoChoiceMatched');
    expect(result.nextState).toBeUndefined();
  });

  it("a JSONata Choice picks with Condition, variables included, and applies the rule's Assign", async () => {
    const result = await testState(
      {
        Type: 'Choice',
        QueryLanguage: 'JSONata',
        Choices: [
          {
            Condition: '{% $states.input.amount > $limit %}',
            Assign: { over: '{% $states.input.amount - $limit %}' },
            Next: 'Over',
          },
        ],
        Default: 'Under',
      },
      { input: '{"amount":70}', variables: '{"limit":50}', inspectionLevel: 'DEBUG' },
    );
    expect(result.nextState).toBe('Over');
    expect(parsed(result.inspectionData?.variables)).toEqual({ limit: 50, over: 20 });
  });

  it('a Wait state does not wait in a test: Seconds far in the future still answer at once', async () => {
    const result = await testState(
      { Type: 'Wait', Seconds: 99_999_999, OutputPath: '$.keep', Next: 'Later' },
      { input: '{"keep":{"a":1},"drop":2}' },
    );
    expect(result).toEqual({ status: 'SUCCEEDED', output: '{"a":1}', nextState: 'Later' });
  });

  it("a Wait state's SecondsPath is still evaluated: a missing path FAILS with States.Runtime", async () => {
    const result = await testState(
      { Type: 'Wait', SecondsPath: '$.delay', Next: 'Later' },
      { input: '{}' },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toContain('$.delay');
  });

  it('Succeed: its output after InputPath and OutputPath, and no next state', async () => {
    const result = await testState(
      { Type: 'Succeed', InputPath: '$.a', OutputPath: '$.b' },
      { input: '{"a":{"b":[1,2]}}' },
    );
    expect(result).toEqual({ status: 'SUCCEEDED', output: '[1,2]' });
  });

  it('Fail: status FAILED with its Error and Cause (CausePath read from the input)', async () => {
    const result = await testState(
      { Type: 'Fail', Error: 'Order.Rejected', CausePath: '$.why' },
      { input: '{"why":"out of stock"}' },
    );
    expect(result).toEqual({ status: 'FAILED', error: 'Order.Rejected', cause: 'out of stock' });
  });
});

describe('variables', () => {
  it('variables: "JSON object literal that sets variables used in the state under test"', async () => {
    const result = await testState(
      { Type: 'Pass', Parameters: { 'who.$': '$customer', 'n.$': '$.n' }, End: true },
      { input: '{"n":3}', variables: '{"customer":"c-9"}' },
    );
    expect(parsed(result.output)).toEqual({ who: 'c-9', n: 3 });
  });

  it('InspectionData.variables: "the set will include variables assigned in the state and variables set up as test state input"', async () => {
    const result = await testState(
      { Type: 'Pass', Assign: { 'total.$': '$.n', seen: true }, End: true },
      { input: '{"n":3}', variables: '{"customer":"c-9","seen":false}', inspectionLevel: 'DEBUG' },
    );
    expect(parsed(result.inspectionData?.variables)).toEqual({
      customer: 'c-9',
      seen: true,
      total: 3,
    });
  });

  it('no variables given and none assigned: inspectionData has no variables', async () => {
    const result = await testState({ Type: 'Pass', End: true }, { inspectionLevel: 'DEBUG' });
    expect(result.inspectionData?.variables).toBeUndefined();
  });

  it('variables that are not a JSON object of variable names are InvalidExecutionInput', async () => {
    for (const variables of ['[1]', 'nope', '{"1x":1}', '{"states":1}']) {
      const error = await rejection(testState({ Type: 'Pass', End: true }, { variables }));
      expect(error.name).toBe('InvalidExecutionInput');
    }
  });
});

describe('the context object and stateName', () => {
  const contextPass = {
    Type: 'Pass',
    Parameters: { 'state.$': '$$.State.Name', 'role.$': '$$.Execution.RoleArn' },
    End: true,
  };

  it('a lone state runs as "StateName", with the request\'s role as $$.Execution.RoleArn', async () => {
    const result = await testState(contextPass);
    expect(parsed(result.output)).toEqual({ state: 'StateName', role: ROLE_ARN });
  });

  it("the context object: an express execution of the engine's state machine", async () => {
    const result = await testState(
      {
        Type: 'Pass',
        Parameters: {
          'id.$': '$$.Execution.Id',
          'name.$': '$$.Execution.Name',
          'input.$': '$$.Execution.Input',
          'machine.$': '$$.StateMachine',
        },
        End: true,
      },
      { input: '{"a":1}' },
    );
    const output = parsed(result.output) as Record<string, unknown>;
    expect(output.machine).toEqual({ Id: STATE_MACHINE_ARN, Name: STATE_MACHINE_NAME });
    expect(output.input).toEqual({ a: 1 });
    expect(output.id).toBe(
      `arn:aws:states:us-east-1:000000000000:express:${STATE_MACHINE_NAME}:${String(output.name)}`,
    );
  });

  it('stateName: "Denotes the particular state within a state machine definition to be tested"', async () => {
    const definition = {
      StartAt: 'First',
      States: {
        First: { Type: 'Pass', Next: 'Fan' },
        Fan: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Inner',
            States: {
              Inner: { ...contextPass, End: undefined, Next: 'InnerEnd' },
              InnerEnd: { Type: 'Succeed' },
            },
          },
          End: true,
        },
      },
    };
    const result = await testState(definition, { stateName: 'Inner' });
    expect(result.status).toBe('SUCCEEDED');
    expect(parsed(result.output)).toEqual({ state: 'Inner', role: ROLE_ARN });
    expect(result.nextState).toBe('InnerEnd');
  });

  it("stateName: a state inherits the machine's QueryLanguage", async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Double',
      States: { Double: { Type: 'Pass', Output: '{% $states.input * 2 %}', End: true } },
    };
    const result = await testState(definition, { stateName: 'Double', input: '4' });
    expect(parsed(result.output)).toBe(8);
  });

  it('stateName that names no state is a ValidationException', async () => {
    const error = await rejection(
      testState(machine({ Only: { Type: 'Succeed' } }), { stateName: 'Missing' }),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('Missing');
  });
});

describe('what TestState refuses', () => {
  async function refused(state: unknown, request: Partial<TestStateRequest> = {}) {
    return rejection(testState(state, request));
  }

  it('"TestState doesn\'t support … Parallel, or Map states" (without a mock): InvalidDefinition', async () => {
    const map = {
      Type: 'Map',
      ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
      End: true,
    };
    const parallel = {
      Type: 'Parallel',
      Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', End: true } } }],
      End: true,
    };
    for (const state of [map, parallel]) {
      const error = await refused(state);
      expect(error.name).toBe('InvalidDefinition');
      expect(error.message).toContain(state.Type);
    }
  });

  it('"InvalidDefinition: The provided Amazon States Language definition is not valid"', async () => {
    const cases: unknown[] = [
      { Type: 'Sleep', End: true },
      { Type: 'Pass' },
      { Type: 'Pass', QueryLanguage: 'JSONata', InputPath: '$.a', End: true },
      { Type: 'Choice', Choices: [] },
      [1, 2],
    ];
    for (const state of cases) {
      const error = await refused(state);
      expect(error.name).toBe('InvalidDefinition');
    }
    const notJson = await rejection(
      engine.testState({ definition: '{"Type":', roleArn: ROLE_ARN }),
    );
    expect(notJson.name).toBe('InvalidDefinition');
  });

  it('a whole state machine without stateName, or stateName with a lone state, is InvalidDefinition', async () => {
    const whole = await refused(machine({ Only: { Type: 'Succeed' } }));
    expect(whole.name).toBe('InvalidDefinition');
    const lone = await refused({ Type: 'Succeed' }, { stateName: 'Only' });
    expect(lone.name).toBe('InvalidDefinition');
  });

  it('with stateName, a Next that names no state of the machine is InvalidDefinition', async () => {
    const error = await refused(
      machine({ A: { Type: 'Pass', Next: 'Nowhere' }, B: { Type: 'Succeed' } }),
      { stateName: 'A' },
    );
    expect(error.name).toBe('InvalidDefinition');
    expect(error.message).toContain('Nowhere');
  });

  it('"TestState doesn\'t support … .sync or .waitForTaskToken" (without a mock): InvalidDefinition', async () => {
    const error = await refused({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: functionArn('echo') },
      End: true,
    });
    expect(error.name).toBe('InvalidDefinition');
    expect(error.message).toContain('waitForTaskToken');
  });

  it('"InvalidArn: The provided Amazon Resource Name (ARN) is not valid" — roleArn must be an IAM role ARN', async () => {
    for (const roleArn of ['nope', 'arn:aws:iam::000000000000:user/someone']) {
      const error = await refused({ Type: 'Pass', End: true }, { roleArn });
      expect(error.name).toBe('InvalidArn');
    }
  });

  it('a Task state needs roleArn (ValidationException); a Pass state does not', async () => {
    const task = await rejection(
      engine.testState({ definition: JSON.stringify(invoke('echo', { End: true })) }),
    );
    expect(task.name).toBe('ValidationException');
    expect(task.message).toContain('roleArn');
    expect(calls.echo).toHaveLength(0);
    const pass = await engine.testState({ definition: '{"Type":"Pass","End":true}' });
    expect(pass.status).toBe('SUCCEEDED');
  });

  it('"InvalidExecutionInput: The provided JSON input data is not valid"', async () => {
    const error = await refused({ Type: 'Pass', End: true }, { input: '{"a":' });
    expect(error.name).toBe('InvalidExecutionInput');
  });

  it('an inspection level outside "INFO | DEBUG | TRACE" is a ValidationException', async () => {
    const error = await refused(
      { Type: 'Pass', End: true },
      { inspectionLevel: 'VERBOSE' as TestStateRequest['inspectionLevel'] },
    );
    expect(error.name).toBe('ValidationException');
  });

  it('a closed engine answers EngineClosed', async () => {
    const closed = engineFor(machine({ Done: { Type: 'Succeed' } }));
    await closed.close();
    const error = await rejection(closed.testState({ definition: '{"Type":"Pass","End":true}' }));
    expect(error.name).toBe('EngineClosed');
  });
});
