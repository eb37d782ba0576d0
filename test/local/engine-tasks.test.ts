// Engine conformance: Task states — Retry and Catch, the Lambda adapters (lambda:invoke and
// function ARNs, timeouts, errors), the startExecution adapter.
import {
  STATE_MACHINE_ARN,
  aborted,
  closeAll,
  engineFor,
  functionArn,
  invokeTask,
  lambda,
  namedError,
  run,
  sleep,
  until,
} from './engine-support';

afterEach(closeAll);

/** A one-state machine: `state` as the start and end. */
function single(state: Record<string, unknown>): Record<string, unknown> {
  return { StartAt: 'Only', States: { Only: { ...state, End: true } } };
}

describe('Retry and Catch', () => {
  it('retries with backoff: each wait grows by BackoffRate (intervals scaled for speed)', async () => {
    const attempts: number[] = [];
    const engine = engineFor(
      single(
        invokeTask('flaky', {
          Retry: [
            {
              ErrorEquals: ['Transient'],
              IntervalSeconds: 2,
              BackoffRate: 2,
              MaxAttempts: 3,
              JitterStrategy: 'NONE',
            },
          ],
        }),
      ),
      {
        retryIntervalScale: 0.01, // 2 s → 20 ms, then 40 ms, 80 ms
        lambdas: [
          lambda('flaky', async () => {
            attempts.push(Date.now());
            if (attempts.length <= 3) throw namedError('Transient', `attempt ${attempts.length}`);
            return { ok: true };
          }),
        ],
      },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ ok: true });
    expect(attempts).toHaveLength(4);
    const waits = attempts.slice(1).map((at, i) => at - attempts[i]);
    // Timers never fire early (1 ms of clock granularity allowed), so each wait is at least
    // its doubled interval; a fixed 20 ms interval would fail the last two.
    expect(waits[0]).toBeGreaterThanOrEqual(19);
    expect(waits[1]).toBeGreaterThanOrEqual(39);
    expect(waits[2]).toBeGreaterThanOrEqual(79);
  });

  it('gives up after MaxAttempts and Catch receives { Error, Cause } with the Lambda error JSON', async () => {
    let calls = 0;
    const engine = engineFor(
      {
        StartAt: 'Call',
        States: {
          Call: invokeTask('broken', {
            Retry: [{ ErrorEquals: ['SystemicFault'], IntervalSeconds: 1, MaxAttempts: 2 }],
            Catch: [{ ErrorEquals: ['SystemicFault'], ResultPath: '$.failure', Next: 'Handled' }],
            Next: 'Unreached',
          }),
          Handled: { Type: 'Pass', End: true },
          Unreached: { Type: 'Fail', Error: 'Unreached' },
        },
      },
      {
        retryIntervalScale: 0,
        lambdas: [
          lambda('broken', async () => {
            calls += 1;
            throw namedError('SystemicFault', 'provider said 401');
          }),
        ],
      },
    );

    const record = await run(engine, { runId: 'r-1' });

    expect(record.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    const output = record.output as { runId: string; failure: { Error: string; Cause: string } };
    expect(output.runId).toBe('r-1');
    expect(output.failure.Error).toBe('SystemicFault');
    const cause = JSON.parse(output.failure.Cause) as Record<string, unknown>;
    expect(cause).toMatchObject({ errorType: 'SystemicFault', errorMessage: 'provider said 401' });
  });

  it("matches Retry and Catch on the thrown error's name (Lambda's errorType)", async () => {
    const thrown = ['Transient', 'Transient', 'LockLost'];
    const engine = engineFor(
      {
        StartAt: 'Call',
        States: {
          Call: invokeTask('mixed', {
            Retry: [{ ErrorEquals: ['Transient'], MaxAttempts: 5 }],
            Catch: [
              { ErrorEquals: ['Transient'], Next: 'WrongCatcher' },
              { ErrorEquals: ['LockLost'], ResultPath: '$.failure', Next: 'Handled' },
            ],
            End: true,
          }),
          WrongCatcher: { Type: 'Fail', Error: 'WrongCatcher' },
          Handled: { Type: 'Pass', End: true },
        },
      },
      {
        retryIntervalScale: 0,
        lambdas: [
          lambda('mixed', async () => {
            const name = thrown.shift() ?? 'Exhausted';
            throw namedError(name, name);
          }),
        ],
      },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED');
    expect(thrown).toEqual([]); // two retries on Transient, then LockLost was not retried
    expect((record.output as { failure: { Error: string } }).failure.Error).toBe('LockLost');
  });

  it('fails the execution with the error name and cause when nothing catches it', async () => {
    const engine = engineFor(single(invokeTask('broken')), {
      lambdas: [
        lambda('broken', async () => {
          throw namedError('InvalidExecutionInput', 'transactionIds: at most 1000 ids');
        }),
      ],
    });

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidExecutionInput');
    expect(JSON.parse(record.cause ?? '')).toMatchObject({
      errorType: 'InvalidExecutionInput',
      errorMessage: 'transactionIds: at most 1000 ids',
    });
  });
  it('"States.DataLimitExceeded: A terminal error that can\'t be caught by the States.ALL error type": States.ALL neither retries nor catches it; its own name catches it (never retried: the same result fails again)', async () => {
    let calls = 0;
    const huge = lambda('huge', async () => {
      calls += 1;
      return 'x'.repeat(300_000);
    });
    const handler = { Type: 'Pass', Result: 'caught', End: true };
    const definition = (errorEquals: string[]) => ({
      StartAt: 'Big',
      States: {
        Big: invokeTask('huge', {
          Retry: [{ ErrorEquals: errorEquals, MaxAttempts: 2, IntervalSeconds: 1 }],
          Catch: [{ ErrorEquals: errorEquals, Next: 'Handled' }],
          End: true,
        }),
        Handled: handler,
      },
    });
    const byAll = await run(
      engineFor(definition(['States.ALL']), { lambdas: [huge], retryIntervalScale: 0 }),
    );
    expect(byAll).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(calls).toBe(1);

    calls = 0;
    const byName = await run(
      engineFor(definition(['States.DataLimitExceeded']), {
        lambdas: [huge],
        retryIntervalScale: 0,
      }),
    );
    expect(byName).toMatchObject({ status: 'SUCCEEDED', output: 'caught' });
    expect(calls).toBe(1);
  });
});

describe('Lambda adapters', () => {
  it('returns { ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode } from lambda:invoke, resolving name, ARN and :$LATEST', async () => {
    const contexts: { functionName: string; awsRequestId: string; invokedFunctionArn: string }[] =
      [];
    const task = (functionName: string) => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: functionName, Payload: { 'n.$': '$.n' } },
    });
    const engine = engineFor(
      {
        StartAt: 'ByName',
        States: {
          ByName: { ...task('echo'), ResultPath: '$.byName', Next: 'ByArn' },
          ByArn: { ...task(functionArn('echo')), ResultPath: '$.byArn', Next: 'Qualified' },
          Qualified: {
            ...task(`${functionArn('echo')}:$LATEST`),
            ResultPath: '$.qualified',
            End: true,
          },
        },
      },
      {
        lambdas: [
          lambda('echo', async (event, context) => {
            contexts.push(context);
            return { doubled: (event as { n: number }).n * 2, at: new Date(0) };
          }),
        ],
      },
    );

    const record = await run(engine, { n: 21 });

    expect(record.status).toBe('SUCCEEDED');
    const expected = {
      ExecutedVersion: '$LATEST',
      Payload: { doubled: 42, at: '1970-01-01T00:00:00.000Z' }, // through JSON, as Lambda returns it
      SdkHttpMetadata: expect.objectContaining({ HttpStatusCode: 200 }) as unknown,
      SdkResponseMetadata: { RequestId: expect.any(String) as unknown },
      StatusCode: 200,
    };
    expect(record.output).toEqual({
      n: 21,
      byName: expected,
      byArn: expected,
      qualified: expected,
    });
    expect(contexts).toHaveLength(3);
    for (const context of contexts) {
      expect(context.functionName).toBe('echo');
      expect(context.invokedFunctionArn).toBe(functionArn('echo'));
      expect(context.awsRequestId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    expect(new Set(contexts.map((c) => c.awsRequestId)).size).toBe(3);
  });

  it('returns the handler result as is for a plain function ARN resource', async () => {
    const engine = engineFor(single({ Type: 'Task', Resource: functionArn('echo') }), {
      lambdas: [lambda('echo', async (event) => ({ got: event }))],
    });

    const record = await run(engine, { a: 1 });

    expect(record.output).toEqual({ got: { a: 1 } });
  });

  it('fails with Lambda.ResourceNotFoundException for an unknown function', async () => {
    const engine = engineFor(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { 'FunctionName.$': '$.fn', Payload: {} },
      }),
      { lambdas: [lambda('echo', async () => null)] },
    );

    const record = await run(engine, { fn: 'missing' });

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Lambda.ResourceNotFoundException');
    expect(record.cause).toMatch(
      /^Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; /,
    );
  });

  it('fails past the function timeout with Sandbox.Timedout, and the handler sees its abort signal', async () => {
    let remainingAtStart = -1;
    let sawAbort = false;
    const engine = engineFor(
      {
        StartAt: 'Slow',
        States: {
          Slow: invokeTask('slow', {
            Catch: [
              { ErrorEquals: ['Sandbox.Timedout'], ResultPath: '$.failure', Next: 'Handled' },
            ],
            End: true,
          }),
          Handled: { Type: 'Pass', End: true },
        },
      },
      {
        lambdas: [
          lambda(
            'slow',
            async (_event, context) => {
              remainingAtStart = context.getRemainingTimeInMillis();
              await Promise.race([aborted(context.abortSignal), sleep(5000)]);
              sawAbort = context.abortSignal.aborted;
              return 'too late';
            },
            0.05,
          ),
        ],
      },
    );

    const record = await run(engine);

    expect(record.status).toBe('SUCCEEDED');
    const failure = (record.output as { failure: { Error: string; Cause: string } }).failure;
    expect(failure.Error).toBe('Sandbox.Timedout');
    expect(JSON.parse(failure.Cause)).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(JSON.parse(failure.Cause).errorMessage).toMatch(/Task timed out after 0\.05 seconds/);
    expect(remainingAtStart).toBeGreaterThan(0);
    expect(remainingAtStart).toBeLessThanOrEqual(50);
    await until(() => sawAbort);
  });

  it("fails past the Task's TimeoutSeconds with States.Timeout, and the handler sees its abort signal", async () => {
    let sawAbort = false;
    const engine = engineFor(single(invokeTask('slow', { TimeoutSeconds: 1 })), {
      lambdas: [
        lambda('slow', async (_event, context) => {
          await Promise.race([aborted(context.abortSignal), sleep(5000)]);
          sawAbort = context.abortSignal.aborted;
          throw namedError('AbortError', 'handler noticed the abort');
        }),
      ],
    });

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Timeout');
    await until(() => sawAbort);
  });
});

describe('startExecution adapter', () => {
  // The parent starts a child of the same machine and finishes without waiting for it.
  const definition = {
    StartAt: 'IsChild?',
    States: {
      'IsChild?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.parent', IsPresent: true, Next: 'ChildWork' }],
        Default: 'StartChild',
      },
      StartChild: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution',
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          Input: { 'parent.$': '$$.Execution.Id', 'resume.$': '$.resume' },
        },
        ResultSelector: { 'childArn.$': '$.ExecutionArn', 'startDate.$': '$.StartDate' },
        End: true,
      },
      ChildWork: invokeTask('child', { End: true }),
    },
  };

  it('starts a second execution of this state machine and does not wait for it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const engine = engineFor(definition, {
      lambdas: [
        lambda('child', async (event) => {
          await released;
          return { childGot: event };
        }),
      ],
    });

    const { executionArn: parentArn } = engine.startExecution({ input: { resume: { page: 3 } } });
    const parent = await engine.waitForExecution(parentArn);

    expect(parent.status).toBe('SUCCEEDED');
    const { childArn, startDate } = parent.output as { childArn: string; startDate: number };
    expect(childArn).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:engine-test:/);
    expect(typeof startDate).toBe('number');
    expect(engine.describeExecution(childArn).status).toBe('RUNNING');

    release();
    const child = await engine.waitForExecution(childArn);
    expect(child.status).toBe('SUCCEEDED');
    expect(child.input).toEqual({ parent: parentArn, resume: { page: 3 } });
    expect(child.output).toEqual({ childGot: { parent: parentArn, resume: { page: 3 } } });
  });

  it('refuses another state machine with StepFunctions.StateMachineDoesNotExistException', async () => {
    const engine = engineFor(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution',
        Parameters: {
          StateMachineArn: `${STATE_MACHINE_ARN}-other`,
          Input: '{"from":"json text"}',
        },
      }),
    );

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('StepFunctions.StateMachineDoesNotExistException');
  });
});
