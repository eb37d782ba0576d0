// RedriveExecution in the engine, written from the API reference's "RedriveExecution" and the
// developer guide's "Restarting state machine executions with redrive" statements (quoted in the
// test names). docs/local-engine.md "Redrive".
import {
  InMemoryExecutionStore,
  type LocalLambda,
  type LocalStepFunctions,
} from '../../local/engine';
import { NOT_REDRIVABLE, RedriveClientTokens, redriveStatus } from '../../local/engine/redrive';
import {
  aborted,
  closeAll,
  distributedMap,
  engineFor,
  invokeTask,
  lambda,
  machine,
  namedError,
  run,
  until,
} from './engine-support';
import { rejection } from '../support/rejection';

afterEach(closeAll);

/** A function that fails with `Boom` on the calls whose input matches `failing`, while `failing` says so. */
function counting(name: string, failing: (event: unknown) => boolean = () => false) {
  const calls: unknown[] = [];
  const fn: LocalLambda = lambda(name, async (event) => {
    calls.push(event);
    if (failing(event)) throw namedError('Boom', `${name} failed on ${JSON.stringify(event)}`);
    return event;
  });
  return { fn, calls };
}

/** A lambda:invoke Task's Payload kept at `$.<field>` of its input. */
function intoResult(field: string): Record<string, unknown> {
  return { ResultSelector: { 'value.$': '$.Payload' }, ResultPath: `$.${field}`, OutputPath: '$' };
}

async function redriven(engine: LocalStepFunctions, executionArn: string) {
  await engine.redriveExecution(executionArn);
  return engine.waitForExecution(executionArn);
}

const history = (engine: LocalStepFunctions, arn: string) =>
  engine.getExecutionHistory(arn).map((event) => event.type);

describe('"it continues the failed execution from the unsuccessful step and uses the same input"', () => {
  it('the steps that succeeded are not run again; the failed step runs with the input it had', async () => {
    let down = true;
    const first = counting('first');
    const second = counting('second', () => down);
    const engine = engineFor(
      machine({
        First: invokeTask('first', { ...intoResult('first'), Next: 'Second' }),
        Second: invokeTask('second', { ...intoResult('second'), End: true }),
      }),
      { lambdas: [first.fn, second.fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine, { n: 1 });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Boom' });

    down = false;
    const done = await redriven(engine, failed.executionArn);

    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({
      n: 1,
      first: { value: { n: 1 } },
      second: { value: { n: 1, first: { value: { n: 1 } } } },
    });
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toEqual([
      { n: 1, first: { value: { n: 1 } } },
      { n: 1, first: { value: { n: 1 } } },
    ]);
  });

  it('"Step Functions preserves … execution history": the earlier attempt stays, then ExecutionRedriven, then the failed step again', async () => {
    let down = true;
    const second = counting('second', () => down);
    const engine = engineFor(
      machine({
        First: { Type: 'Pass', Next: 'Second' },
        Second: invokeTask('second', { End: true }),
      }),
      { lambdas: [second.fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine);
    down = false;
    await redriven(engine, failed.executionArn);

    const events = engine.getExecutionHistory(failed.executionArn);
    const types = events.map((e) => e.type);
    const redrivenAt = types.indexOf('ExecutionRedriven');
    expect(types.slice(0, redrivenAt)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'ExecutionFailed',
    ]);
    expect(events[redrivenAt]).toMatchObject({
      executionRedrivenEventDetails: { redriveCount: 1 },
    });
    expect(types.slice(redrivenAt + 1)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    // One sequence of ids across both attempts.
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  });

  it('"Redriven executions use the same … execution ARN": DescribeExecution shows redriveCount and redriveDate', async () => {
    let down = true;
    const engine = engineFor(machine({ Work: invokeTask('work', { End: true }) }), {
      lambdas: [counting('work', () => down).fn],
      retryIntervalScale: 0,
    });
    const failed = await run(engine);
    expect(engine.describeExecution(failed.executionArn).redriveCount).toBeUndefined();
    down = false;
    const before = Date.now();
    const { redriveDate } = await engine.redriveExecution(failed.executionArn);
    expect(redriveDate.getTime()).toBeGreaterThanOrEqual(before);
    expect(engine.describeExecution(failed.executionArn)).toMatchObject({
      status: 'RUNNING',
      redriveCount: 1,
      redriveDate,
    });
    expect(engine.describeExecution(failed.executionArn).stopDate).toBeUndefined();
    const done = await engine.waitForExecution(failed.executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveDate });
    expect(done.error).toBeUndefined();
    expect(engine.listExecutions()).toHaveLength(1);
  });

  it('workflow variables keep the values they had when the step failed', async () => {
    let down = true;
    const engine = engineFor(
      machine({
        Remember: { Type: 'Pass', Assign: { seen: 'before the failure' }, Next: 'Work' },
        Work: invokeTask('work', {
          Parameters: { FunctionName: 'work', Payload: { 'seen.$': '$seen' } },
          End: true,
        }),
      }),
      { lambdas: [counting('work', () => down).fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Boom' });
    down = false;
    expect((await redriven(engine, failed.executionArn)).output).toEqual({
      seen: 'before the failure',
    });
  });

  it('$$.Execution.RedriveCount and RedriveTime tell the redriven execution what it is', async () => {
    let down = true;
    const engine = engineFor(
      machine({
        Work: invokeTask('work', {
          Parameters: {
            FunctionName: 'work',
            Payload: { 'count.$': '$$.Execution.RedriveCount', 'time.$': '$$.Execution' },
          },
          End: true,
        }),
      }),
      { lambdas: [counting('work', () => down).fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine);
    down = false;
    const { redriveDate } = await engine.redriveExecution(failed.executionArn);
    const done = await engine.waitForExecution(failed.executionArn);
    const output = done.output as { count: number; time: Record<string, unknown> };
    expect(output.count).toBe(1);
    expect(output.time.RedriveTime).toBe(redriveDate.toISOString());
  });

  it('the failed step gets its Retry attempts again', async () => {
    const work = counting('work', () => true);
    const engine = engineFor(
      machine({
        Work: invokeTask('work', {
          Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 1, IntervalSeconds: 1 }],
          End: true,
        }),
      }),
      { lambdas: [work.fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine);
    expect(work.calls).toHaveLength(2);
    expect((await redriven(engine, failed.executionArn)).status).toBe('FAILED');
    expect(work.calls).toHaveLength(4);
  });

  it('an execution can be redriven again after its redrive fails (redriveCount 2)', async () => {
    let failures = 2;
    const engine = engineFor(machine({ Work: invokeTask('work', { End: true }) }), {
      lambdas: [counting('work', () => failures-- > 0).fn],
      retryIntervalScale: 0,
    });
    const failed = await run(engine);
    expect((await redriven(engine, failed.executionArn)).status).toBe('FAILED');
    const done = await redriven(engine, failed.executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 2 });
    expect(
      history(engine, failed.executionArn).filter((t) => t === 'ExecutionRedriven'),
    ).toHaveLength(2);
  });
});

describe('"These include failed, aborted, or timed out executions"', () => {
  it('an ABORTED execution resumes at the step it was stopped in', async () => {
    let hold = true;
    let started = false;
    const first = counting('first');
    const slow = lambda('slow', async (_event, context) => {
      started = true;
      if (hold) await aborted(context.abortSignal);
      return 'finished';
    });
    const engine = engineFor(
      machine({
        First: invokeTask('first', { ...intoResult('first'), Next: 'Slow' }),
        Slow: invokeTask('slow', { End: true }),
      }),
      { lambdas: [first.fn, slow] },
    );
    const { executionArn } = engine.startExecution({ input: {} });
    await until(() => started);
    engine.stopExecution(executionArn);
    expect((await engine.waitForExecution(executionArn)).status).toBe('ABORTED');

    hold = false;
    const done = await redriven(engine, executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: 'finished' });
    expect(first.calls).toHaveLength(1);
  });

  it('a TIMED_OUT execution resumes at the step that was running', async () => {
    let hold = true;
    const slow = lambda('slow', async (_event, context) => {
      if (hold) await aborted(context.abortSignal);
      return 'finished';
    });
    const engine = engineFor(
      machine({ Slow: invokeTask('slow', { End: true }) }, { TimeoutSeconds: 1 }),
      { lambdas: [slow] },
    );
    const timedOut = await run(engine);
    expect(timedOut.status).toBe('TIMED_OUT');
    hold = false;
    expect(await redriven(engine, timedOut.executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: 'finished',
    });
  });
});

describe('"For workflows that include an Inline Map or Parallel state, RedriveExecution … redrives only the iterations and branches that failed or aborted"', () => {
  it('Parallel: the branch that succeeded is not run again', async () => {
    let down = true;
    const left = counting('left');
    const right = counting('right', () => down);
    const engine = engineFor(
      machine({
        Both: {
          Type: 'Parallel',
          Branches: [
            machine({ L: invokeTask('left', { End: true }) }),
            machine({ R: invokeTask('right', { End: true }) }),
          ],
          End: true,
        },
      }),
      { lambdas: [left.fn, right.fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine, { x: 1 });
    expect(failed.status).toBe('FAILED');
    down = false;
    const done = await redriven(engine, failed.executionArn);
    expect(done.output).toEqual([{ x: 1 }, { x: 1 }]);
    expect(left.calls).toHaveLength(1);
    expect(right.calls).toHaveLength(2);
  });

  it('a failed branch resumes at its own failed step, not at its start', async () => {
    let down = true;
    const before = counting('before');
    const flaky = counting('flaky', () => down);
    const engine = engineFor(
      machine({
        Both: {
          Type: 'Parallel',
          Branches: [
            machine({
              Before: invokeTask('before', { Next: 'Flaky' }),
              Flaky: invokeTask('flaky', { End: true }),
            }),
          ],
          End: true,
        },
      }),
      { lambdas: [before.fn, flaky.fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine, { y: 2 });
    down = false;
    expect((await redriven(engine, failed.executionArn)).output).toEqual([{ y: 2 }]);
    expect(before.calls).toHaveLength(1);
    expect(flaky.calls).toHaveLength(2);
  });

  it('inline Map: only the iterations that failed (or were stopped by the failure) run again', async () => {
    const failing = new Set([3]);
    const work = counting('work', (event) => failing.has(event as number));
    const engine = engineFor(
      machine({
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 1,
          ItemProcessor: machine({ Work: invokeTask('work', { End: true }) }),
          End: true,
        },
      }),
      { lambdas: [work.fn], retryIntervalScale: 0 },
    );
    const failed = await run(engine, { items: [0, 1, 2, 3, 4, 5] });
    expect(failed.status).toBe('FAILED');
    // One at a time: 0..3 ran, 4 and 5 never started.
    expect(work.calls).toEqual([0, 1, 2, 3]);
    failing.clear();
    const done = await redriven(engine, failed.executionArn);
    expect(done.output).toEqual([0, 1, 2, 3, 4, 5]);
    expect(work.calls).toEqual([0, 1, 2, 3, 3, 4, 5]);
  });
});

describe('"The parent workflow redrives all the unsuccessful states, including a failed Map Run"', () => {
  it('a Distributed Map runs only its unsuccessful children again, in the same Map Run', async () => {
    const failing = new Set(['tx-2', 'tx-4']);
    const work = counting('work', (event) => failing.has((event as { id: string }).id));
    // One child at a time, one failure tolerated: tx-2 fails, tx-4 fails and ends the Map Run,
    // tx-5 never starts.
    const engine = engineFor(
      distributedMap('work', { MaxConcurrency: 1, ToleratedFailureCount: 1 }),
      {
        lambdas: [work.fn],
        retryIntervalScale: 0,
      },
    );
    const items = Array.from({ length: 6 }, (_, i) => ({ id: `tx-${i}` }));
    const failed = await run(engine, { items });
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
    });
    const ids = () => work.calls.map((e) => (e as { id: string }).id);
    expect(ids()).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3', 'tx-4']);
    const [mapRun] = engine.listMapRuns(failed.executionArn);
    expect(mapRun).toMatchObject({ status: 'FAILED', redriveCount: 0 });

    failing.clear();
    const done = await redriven(engine, failed.executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual(items);
    expect(ids().slice(5)).toEqual(['tx-2', 'tx-4', 'tx-5']);

    const runs = engine.listMapRuns(failed.executionArn);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      mapRunArn: mapRun.mapRunArn,
      status: 'SUCCEEDED',
      redriveCount: 1,
      itemCounts: { total: 6, succeeded: 6, failed: 0, pending: 0, running: 0 },
    });
    expect(runs[0].redriveDate).toBeInstanceOf(Date);
    const events = engine.getExecutionHistory(failed.executionArn);
    expect(events.find((e) => e.type === 'MapRunRedriven')).toMatchObject({
      mapRunRedrivenEventDetails: { mapRunArn: mapRun.mapRunArn, redriveCount: 1 },
    });
  });

  it('STANDARD children resume at their own failed step; EXPRESS children start again', async () => {
    for (const executionType of ['STANDARD', 'EXPRESS'] as const) {
      let down = true;
      const before = counting('before');
      const flaky = counting('flaky', () => down);
      const definition = {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: executionType },
              StartAt: 'Before',
              States: {
                Before: invokeTask('before', { Next: 'Flaky' }),
                Flaky: invokeTask('flaky', { End: true }),
              },
            },
            End: true,
          },
        },
      };
      const engine = engineFor(definition, {
        lambdas: [before.fn, flaky.fn],
        retryIntervalScale: 0,
      });
      const failed = await run(engine, { items: [1] });
      expect(failed.status).toBe('FAILED');
      down = false;
      expect((await redriven(engine, failed.executionArn)).output).toEqual([1]);
      expect([executionType, before.calls.length]).toEqual([
        executionType,
        executionType === 'STANDARD' ? 1 : 2,
      ]);
    }
  });
});

describe('which executions can be redriven', () => {
  it('"ExecutionNotRedrivable": a RUNNING or SUCCEEDED execution, with AWS\'s reason', async () => {
    let hold = true;
    const slow = lambda('slow', async (event, context) => {
      if (hold) await aborted(context.abortSignal);
      return event;
    });
    const engine = engineFor(machine({ Slow: invokeTask('slow', { End: true }) }), {
      lambdas: [slow],
    });
    const { executionArn } = engine.startExecution({});
    expect(engine.redriveStatus(executionArn)).toEqual({
      status: 'NOT_REDRIVABLE',
      reason: 'Execution is RUNNING and cannot be redriven.',
    });
    expect(await rejection(engine.redriveExecution(executionArn))).toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: 'Execution is RUNNING and cannot be redriven.',
    });
    hold = false;
    engine.stopExecution(executionArn);
    await engine.waitForExecution(executionArn);
    expect(engine.redriveStatus(executionArn)).toEqual({ status: 'REDRIVABLE' });

    const other = engineFor(machine({ P: { Type: 'Pass', End: true } }));
    const ok = await run(other);
    expect(other.redriveStatus(ok.executionArn)).toEqual({
      status: 'NOT_REDRIVABLE',
      reason: 'Execution is SUCCEEDED and cannot be redriven.',
    });
    expect(await rejection(other.redriveExecution(ok.executionArn))).toMatchObject({
      name: 'ExecutionNotRedrivable',
    });
  });

  it('"ExecutionDoesNotExist" for an execution the engine does not know', async () => {
    const engine = engineFor(machine({ P: { Type: 'Pass', End: true } }));
    expect(
      await rejection(
        engine.redriveExecution(
          `${engine.stateMachineArn.replace('stateMachine', 'execution')}:nope`,
        ),
      ),
    ).toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('"didn\'t complete successfully in the last 14 days"; "Execution has exceeded the max execution time"; "Execution history event limit exceeded"', () => {
    const day = 24 * 3600 * 1000;
    const now = Date.parse('2026-12-02T12:00:00Z');
    const record = {
      executionArn: 'arn',
      stateMachineArn: 'arn',
      name: 'n',
      status: 'FAILED' as const,
      input: {},
      startDate: new Date(now - 20 * day),
      stopDate: new Date(now - 14 * day + 1000),
    };
    const facts = { pointKept: true, historyRoom: 100 };
    expect(redriveStatus(record, facts, now)).toEqual({ status: 'REDRIVABLE' });
    expect(
      redriveStatus({ ...record, stopDate: new Date(now - 14 * day - 1000) }, facts, now),
    ).toEqual({ status: 'NOT_REDRIVABLE', reason: 'Execution redrivable period exceeded.' });
    expect(redriveStatus({ ...record, startDate: new Date(now - 366 * day) }, facts, now)).toEqual({
      status: 'NOT_REDRIVABLE',
      reason: 'Execution has exceeded the max execution time.',
    });
    expect(redriveStatus(record, { pointKept: true, historyRoom: 2 }, now)).toEqual({
      status: 'NOT_REDRIVABLE',
      reason: 'Execution history event limit exceeded.',
    });
  });

  it('an execution whose history the engine no longer holds (historyRetention, a restart) is not redrivable, saying why', async () => {
    const store = new InMemoryExecutionStore();
    const definition = machine({ Work: invokeTask('work', { End: true }) });
    const options = {
      lambdas: [counting('work', () => true).fn],
      retryIntervalScale: 0,
      executionStore: store,
      historyRetention: { executions: 1 },
    };
    const engine = engineFor(definition, options);
    const first = await run(engine);
    const second = await run(engine);
    expect(engine.redriveStatus(first.executionArn)).toEqual({
      status: 'NOT_REDRIVABLE',
      reason: NOT_REDRIVABLE.notRetained,
    });
    expect(engine.redriveStatus(second.executionArn).status).toBe('REDRIVABLE');

    await engine.close();
    const restarted = engineFor(definition, options);
    expect(restarted.redriveStatus(second.executionArn)).toEqual({
      status: 'NOT_REDRIVABLE',
      reason: NOT_REDRIVABLE.notRetained,
    });
    expect(await rejection(restarted.redriveExecution(second.executionArn))).toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: NOT_REDRIVABLE.notRetained,
    });
  });

  it('the redrive count outlives a restart (the ExecutionStore keeps it)', async () => {
    const store = new InMemoryExecutionStore();
    let down = true;
    const definition = machine({ Work: invokeTask('work', { End: true }) });
    const options = {
      lambdas: [counting('work', () => down).fn],
      retryIntervalScale: 0,
      executionStore: store,
    };
    const engine = engineFor(definition, options);
    const failed = await run(engine);
    down = false;
    await redriven(engine, failed.executionArn);
    await engine.close();
    const restarted = engineFor(definition, options);
    expect(restarted.describeExecution(failed.executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
    });
    expect(restarted.listExecutions({ redriveFilter: 'REDRIVEN' })).toHaveLength(1);
  });
});

describe('ListExecutions redriveFilter and the client token', () => {
  it('"redriveFilter: REDRIVEN | NOT_REDRIVEN"', async () => {
    let down = true;
    const engine = engineFor(machine({ Work: invokeTask('work', { End: true }) }), {
      lambdas: [counting('work', () => down).fn],
      retryIntervalScale: 0,
    });
    const a = await run(engine);
    const b = await run(engine);
    down = false;
    await redriven(engine, a.executionArn);
    expect(engine.listExecutions({ redriveFilter: 'REDRIVEN' }).map((r) => r.name)).toEqual([
      a.name,
    ]);
    expect(engine.listExecutions({ redriveFilter: 'NOT_REDRIVEN' }).map((r) => r.name)).toEqual([
      b.name,
    ]);
  });

  it('"The API will return idempotent responses for the last 10 client tokens used to successfully redrive the execution"', async () => {
    let hold = true;
    let calls = 0;
    const slow = lambda('slow', async (event, context) => {
      calls += 1;
      if (hold) throw namedError('Boom', 'down');
      await aborted(context.abortSignal);
      return event;
    });
    const engine = engineFor(machine({ Slow: invokeTask('slow', { End: true }) }), {
      lambdas: [slow],
      retryIntervalScale: 0,
    });
    const failed = await run(engine);
    hold = false;
    const first = await engine.redriveExecution(failed.executionArn, { clientToken: 'token-1' });
    // While it runs again: the same token answers the same redrive; another is refused.
    const again = await engine.redriveExecution(failed.executionArn, { clientToken: 'token-1' });
    expect(again.redriveDate).toEqual(first.redriveDate);
    expect(
      await rejection(engine.redriveExecution(failed.executionArn, { clientToken: 'token-2' })),
    ).toMatchObject({ name: 'ExecutionNotRedrivable' });
    expect(engine.describeExecution(failed.executionArn).redriveCount).toBe(1);
    await until(() => calls === 2);
    expect(calls).toBe(2);
  });

  it('"These client tokens are valid for up to 15 minutes after they are first used"; the last 10 are kept', () => {
    const tokens = new RedriveClientTokens();
    const t0 = 1_000_000;
    const date = new Date(t0);
    tokens.used('arn', 'a', date, t0);
    expect(tokens.earlier('arn', 'a', t0 + 15 * 60 * 1000)).toEqual(date);
    expect(tokens.earlier('arn', 'a', t0 + 15 * 60 * 1000 + 1)).toBeUndefined();
    for (let i = 0; i < 11; i += 1) tokens.used('arn', `t${i}`, date, t0);
    expect(tokens.earlier('arn', 't0', t0)).toBeUndefined();
    expect(tokens.earlier('arn', 't1', t0)).toEqual(date);
    expect(tokens.earlier('other', 't1', t0)).toBeUndefined();
  });
});
