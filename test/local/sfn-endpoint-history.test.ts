// The engine's execution history and Map Runs (what the Step Functions endpoint serves as
// GetExecutionHistory, DescribeMapRun and ListMapRuns), on small hand-made state machines.
import { type HistoryEvent, StepFunctionsApiError } from '../../local/engine';
import {
  aborted,
  closeAll,
  distributedMap,
  engineFor,
  functionArn,
  invokeTask,
  items,
  lambda,
  namedError,
  run,
  until,
} from './engine-support';

afterEach(closeAll);

const types = (events: readonly HistoryEvent[]) => events.map((e) => e.type);

function details(event: HistoryEvent | undefined): Record<string, unknown> {
  const entry = Object.entries(event ?? {}).find(([key]) => key.endsWith('EventDetails'));
  return (entry?.[1] ?? {}) as Record<string, unknown>;
}

/** Ids 1..n, each previousEventId the one before, timestamps never going back. */
function expectWellFormed(events: readonly HistoryEvent[]): void {
  events.forEach((event, i) => {
    expect(event.id).toBe(i + 1);
    expect(event.previousEventId).toBe(i);
    expect(event.timestamp).toBeInstanceOf(Date);
    if (i > 0) {
      expect(event.timestamp.getTime()).toBeGreaterThanOrEqual(events[i - 1].timestamp.getTime());
    }
  });
}

describe('execution history', () => {
  it('records states by their ASL type, task events with parameters and raw results, retries and catches', async () => {
    let calls = 0;
    const flaky = lambda('flaky', async (event) => {
      calls += 1;
      if (calls === 1) throw namedError('Transient', 'try again');
      return { seen: event };
    });
    const broken = lambda('broken', async () => {
      throw namedError('Broken', 'always');
    });
    const engine = engineFor(
      {
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Result: { n: 1 }, Next: 'Work' },
          Work: invokeTask('flaky', {
            Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 1, MaxAttempts: 2 }],
            Next: 'Risky',
          }),
          Risky: invokeTask('broken', {
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Decide' }],
            Next: 'Decide',
          }),
          Decide: {
            Type: 'Choice',
            Choices: [{ Variable: '$.error', IsPresent: true, Next: 'Done' }],
            Default: 'Boom',
          },
          Done: { Type: 'Succeed' },
          Boom: { Type: 'Fail', Error: 'Never', Cause: 'not reached' },
        },
      },
      { lambdas: [flaky, broken], retryIntervalScale: 0 },
    );

    const record = await run(engine, { order: 7 });
    expect(record.status).toBe('SUCCEEDED');
    const events = engine.getExecutionHistory(record.executionArn);

    expectWellFormed(events);
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(details(events[0])).toMatchObject({
      input: '{"order":7}',
      inputDetails: { truncated: false },
      roleArn: engine.roleArn,
    });
    expect(details(events[3])).toMatchObject({ name: 'Work', input: '{"n":1}' });
    const scheduled = details(events[4]);
    expect(scheduled).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
    });
    expect(JSON.parse(scheduled.parameters as string)).toEqual({
      FunctionName: functionArn('flaky'),
      Payload: { n: 1 },
    });
    // As on AWS, a lambda:invoke failure's cause is the function's error payload.
    expect(details(events[6]).error).toBe('Transient');
    expect(JSON.parse(details(events[6]).cause as string)).toMatchObject({
      errorType: 'Transient',
      errorMessage: 'try again',
    });
    // The task's raw result (before OutputPath), then the state's output.
    expect(JSON.parse(details(events[9]).output as string)).toMatchObject({
      Payload: { seen: { n: 1 } },
      StatusCode: 200,
    });
    expect(JSON.parse(details(events[10]).output as string)).toEqual({ seen: { n: 1 } });
    expect(details(events[14]).error).toBe('Broken');
    const caught = JSON.parse(details(events[15]).output as string) as {
      error: { Error: string; Cause: string };
    };
    expect(caught.error.Error).toBe('Broken');
    expect(caught.error.Cause).toBe(details(events[14]).cause);
    expect(details(events[20]).output).toBe(JSON.stringify(record.output));
  });

  it('ends a failed execution with FailStateEntered and ExecutionFailed (error, cause)', async () => {
    const engine = engineFor({
      StartAt: 'Boom',
      States: { Boom: { Type: 'Fail', Error: 'LockLost', Cause: 'taken' } },
    });
    const record = await run(engine);

    const events = engine.getExecutionHistory(record.executionArn);
    expect(types(events)).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
    expect(details(events[2])).toEqual({ error: 'LockLost', cause: 'taken' });
  });

  it('records LambdaFunction* events for a Lambda ARN resource, and TaskTimedOut for a task timeout', async () => {
    const fast = lambda('fast', async () => ({ ok: true }));
    const slow = lambda('slow', async (_event, context) => aborted(context.abortSignal));
    const engine = engineFor(
      {
        StartAt: 'Direct',
        States: {
          Direct: { Type: 'Task', Resource: functionArn('fast'), Next: 'Slow' },
          Slow: invokeTask('slow', { TimeoutSeconds: 1, End: true }),
        },
      },
      { lambdas: [fast, slow] },
    );
    const record = await run(engine);
    expect(record.error).toBe('States.Timeout');

    const events = engine.getExecutionHistory(record.executionArn);
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskTimedOut',
      'ExecutionFailed',
    ]);
    expect(details(events[2])).toMatchObject({ resource: functionArn('fast'), input: '{}' });
    expect(details(events[4]).output).toBe('{"ok":true}');
    expect(details(events[7]).timeoutInSeconds).toBe(1);
    expect(details(events[9])).toMatchObject({ error: 'States.Timeout' });
  });

  it('records a Distributed Map as Map state + Map Run events, never its children, and counts its items', async () => {
    const work = lambda('work', async (event) => event);
    const engine = engineFor(
      distributedMap('work', {
        ItemBatcher: { MaxItemsPerBatch: 10 },
        MaxConcurrency: 4,
        ToleratedFailurePercentage: 5,
      }),
      { lambdas: [work] },
    );
    const record = await run(engine, { items: items(250) });
    expect(record.status).toBe('SUCCEEDED');

    const events = engine.getExecutionHistory(record.executionArn);
    expectWellFormed(events);
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    expect(details(events[2])).toEqual({ length: 250 });
    const mapRunArn = details(events[3]).mapRunArn as string;
    expect(mapRunArn).toMatch(/^arn:aws:states:us-east-1:000000000000:mapRun:engine-test\/Fan:/);

    const mapRuns = engine.listMapRuns(record.executionArn);
    expect(mapRuns.map((m) => m.mapRunArn)).toEqual([mapRunArn]);
    expect(engine.describeMapRun(mapRunArn)).toMatchObject({
      executionArn: record.executionArn,
      status: 'SUCCEEDED',
      maxConcurrency: 4,
      toleratedFailurePercentage: 5,
      toleratedFailureCount: 0,
      itemCounts: { pending: 0, running: 0, succeeded: 250, failed: 0, aborted: 0, total: 250 },
      executionCounts: { pending: 0, running: 0, succeeded: 25, failed: 0, total: 25 },
    });
  });

  it('records a Map Run that exceeds its tolerated failures as MapRunFailed; its counts add up', async () => {
    const work = lambda('work', async (event) => {
      const batch = event as { Items: { id: string }[] };
      if (batch.Items.some((item) => item.id === 'tx-12')) throw namedError('Bad', 'bad batch');
      await new Promise((resolve) => setTimeout(resolve, 20));
      return batch.Items.length;
    });
    const engine = engineFor(
      distributedMap('work', { ItemBatcher: { MaxItemsPerBatch: 5 }, MaxConcurrency: 3 }),
      { lambdas: [work] },
    );
    const record = await run(engine, { items: items(100) });
    expect(record.error).toBe('States.ExceedToleratedFailureThreshold');

    const events = engine.getExecutionHistory(record.executionArn);
    expect(types(events).slice(-3)).toEqual(['MapRunFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(details(events[events.length - 3])).toMatchObject({
      error: 'States.ExceedToleratedFailureThreshold',
    });
    const [mapRun] = engine.listMapRuns(record.executionArn);
    expect(mapRun.status).toBe('FAILED');
    const c = mapRun.itemCounts;
    expect(c.failed).toBe(5);
    expect(c.running).toBe(0);
    expect(c.pending + c.running + c.succeeded + c.failed + c.timedOut + c.aborted).toBe(100);
    expect(c.pending).toBeGreaterThan(0); // never started
  });

  it('records what was in flight when stopped (TaskStateAborted; MapRunAborted + MapStateAborted)', async () => {
    const waiting = lambda('waiting', async (_event, context) => aborted(context.abortSignal));
    const engine = engineFor(
      {
        StartAt: 'Fan',
        States: {
          ...(distributedMap('waiting', { MaxConcurrency: 2 }).States as Record<string, unknown>),
        },
      },
      { lambdas: [waiting] },
    );
    const { executionArn } = engine.startExecution({ input: { items: items(10) } });
    await until(() => engine.listMapRuns(executionArn).some((m) => m.itemCounts.running === 2));
    engine.stopExecution(executionArn, { error: 'Operator', cause: 'enough' });
    await engine.waitForExecution(executionArn);

    const events = engine.getExecutionHistory(executionArn);
    expect(types(events).slice(-3)).toEqual([
      'MapRunAborted',
      'MapStateAborted',
      'ExecutionAborted',
    ]);
    expect(details(events[events.length - 1])).toEqual({ error: 'Operator', cause: 'enough' });
    const [mapRun] = engine.listMapRuns(executionArn);
    expect(mapRun).toMatchObject({ status: 'ABORTED' });
    expect(mapRun.itemCounts).toMatchObject({ pending: 8, running: 0, aborted: 2, total: 10 });
    expect(mapRun.stopDate).toBeInstanceOf(Date);

    const task = engineFor(
      { StartAt: 'Wait', States: { Wait: invokeTask('waiting', { End: true }) } },
      { lambdas: [waiting] },
    );
    const second = task.startExecution();
    await until(() => task.getExecutionHistory(second.executionArn).length >= 4);
    task.stopExecution(second.executionArn);
    await task.waitForExecution(second.executionArn);
    expect(types(task.getExecutionHistory(second.executionArn))).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskStateAborted',
      'ExecutionAborted',
    ]);
  });

  it('fails an execution whose history reaches the limit, with ExecutionFailed as the last event', async () => {
    const engine = engineFor(
      {
        StartAt: 'Spin',
        States: {
          Spin: { Type: 'Pass', Next: 'Again' },
          Again: {
            Type: 'Choice',
            Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }],
            Default: 'Spin',
          },
          Done: { Type: 'Succeed' },
        },
      },
      { maxHistoryEvents: 50 },
    );
    const record = await run(engine);

    expect(record).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(record.cause).toContain('maximum number of events in its history (50)');
    const events = engine.getExecutionHistory(record.executionArn);
    expect(events).toHaveLength(50);
    expectWellFormed(events);
    expect(events[49].type).toBe('ExecutionFailed');
  });

  it('retains the newest histories; an older one reads as its start and end, its Map Runs are gone', async () => {
    const work = lambda('work', async (event) => event);
    const engine = engineFor(distributedMap('work'), {
      lambdas: [work],
      historyRetention: { executions: 1 },
    });
    const first = await run(engine, { items: items(3) });
    const [firstMapRun] = engine.listMapRuns(first.executionArn);
    expect(engine.getExecutionHistory(first.executionArn)).toHaveLength(8);

    const second = await run(engine, { items: items(3) });

    expect(engine.getExecutionHistory(second.executionArn)).toHaveLength(8);
    const old = engine.getExecutionHistory(first.executionArn);
    expect(types(old)).toEqual(['ExecutionStarted', 'ExecutionSucceeded']);
    expect(details(old[1]).output).toBe(JSON.stringify(first.output));
    expect(engine.listMapRuns(first.executionArn)).toEqual([]);
    expect(() => engine.describeMapRun(firstMapRun.mapRunArn)).toThrow(StepFunctionsApiError);
    expect(() => engine.getExecutionHistory(`${first.executionArn}-nope`)).toThrow(
      /Execution Does Not Exist/,
    );
  });
});
