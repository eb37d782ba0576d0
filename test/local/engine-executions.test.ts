// Engine conformance: the execution API (names, idempotency, input, statuses, timeouts, stop),
// the status-change hook, the file ExecutionStore and recovery after a restart, close().
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type ExecutionRecord,
  FileExecutionStore,
  InMemoryExecutionStore,
  StepFunctionsApiError,
} from '../../local/engine';
import {
  STATE_MACHINE_NAME,
  aborted,
  closeAll,
  engineFor,
  invokeTask,
  lambda,
  run,
  sleep,
  until,
} from './engine-support';

afterEach(closeAll);

/** A machine whose one task waits until the test opens the gate (or its signal aborts). */
function gated() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const gate = { open: () => open(), calls: 0, aborted: 0 };
  const fn = lambda('gated', async (event, context) => {
    gate.calls += 1;
    await Promise.race([opened, aborted(context.abortSignal)]);
    if (context.abortSignal.aborted) gate.aborted += 1;
    return { done: event };
  });
  const definition = { StartAt: 'Wait', States: { Wait: invokeTask('gated', { End: true }) } };
  return { gate, fn, definition };
}

function apiError(call: () => unknown): StepFunctionsApiError {
  try {
    call();
  } catch (error) {
    if (error instanceof StepFunctionsApiError) return error;
    throw error;
  }
  throw new Error('expected a StepFunctionsApiError');
}

describe('executions', () => {
  it('returns from startExecution at once, RUNNING, with the ARN built from the name', async () => {
    const { gate, fn, definition } = gated();
    const engine = engineFor(definition, { lambdas: [fn] });

    const started = engine.startExecution({ name: 'nightly-1', input: { a: 1 } });

    expect(started).toMatchObject({
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:${STATE_MACHINE_NAME}:nightly-1`,
      name: 'nightly-1',
      status: 'RUNNING',
      input: { a: 1 },
    });
    expect(started.startDate).toBeInstanceOf(Date);
    expect(gate.calls).toBe(0); // the run starts on the next turn
    gate.open();
    const done = await engine.waitForExecution(started.executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { done: { a: 1 } } });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate.getTime());
  });

  it('treats the same name and input while RUNNING as the same execution; otherwise ExecutionAlreadyExists', async () => {
    const { gate, fn, definition } = gated();
    const engine = engineFor(definition, { lambdas: [fn] });

    const first = engine.startExecution({ name: 'run-a', input: { n: 1 } });
    const again = engine.startExecution({ name: 'run-a', input: '{"n":1}' });
    expect(again.executionArn).toBe(first.executionArn);
    expect(apiError(() => engine.startExecution({ name: 'run-a', input: { n: 2 } })).name).toBe(
      'ExecutionAlreadyExists',
    );

    gate.open();
    await engine.waitForExecution(first.executionArn);
    expect(apiError(() => engine.startExecution({ name: 'run-a', input: { n: 1 } })).name).toBe(
      'ExecutionAlreadyExists',
    );
    expect(engine.listExecutions()).toHaveLength(1);
    expect(gate.calls).toBe(1);
  });

  it('refuses the names StartExecution refuses ("1-80 characters"; no whitespace, brackets, wildcards, special or control characters) with InvalidName', () => {
    const { fn, definition } = gated();
    const engine = engineFor(definition, { lambdas: [fn] });

    for (const bad of ['', 'a'.repeat(81), 'with space', 'slash/name', 'colon:name', 'a{b']) {
      expect(apiError(() => engine.startExecution({ name: bad })).name).toBe('InvalidName');
    }
    expect(engine.startExecution({ name: `A-z_0${'9'.repeat(75)}` }).status).toBe('RUNNING');
    expect(engine.startExecution({ name: 'Zürich.ünï' }).status).toBe('RUNNING');
  });

  it('refuses input that is not JSON with a clear InvalidExecutionInput', () => {
    const { fn, definition } = gated();
    const engine = engineFor(definition, { lambdas: [fn] });

    const error = apiError(() => engine.startExecution({ input: '{"dryRun": tru' }));
    expect(error.name).toBe('InvalidExecutionInput');
    expect(error.message).toMatch(
      /^Invalid State Machine Execution Input: the input string is not JSON/,
    );
    expect(apiError(() => engine.startExecution({ input: () => 1 })).name).toBe(
      'InvalidExecutionInput',
    );
    expect(
      apiError(() => engine.startExecution({ input: { big: 'x'.repeat(300_000) } })).name,
    ).toBe('InvalidExecutionInput');
    expect(engine.listExecutions()).toHaveLength(0);
  });

  it('reports FAILED with the Fail state error and cause', async () => {
    const engine = engineFor({
      StartAt: 'Boom',
      States: {
        Boom: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    });

    const record = await run(engine, {
      failure: { Error: 'LockLost', Cause: 'another run took the lock' },
    });

    expect(record).toMatchObject({
      status: 'FAILED',
      error: 'LockLost',
      cause: 'another run took the lock',
    });
  });

  it("times out after the definition's TimeoutSeconds: TIMED_OUT, and the handler sees the abort", async () => {
    const { gate, fn, definition } = gated();
    const engine = engineFor({ ...definition, TimeoutSeconds: 1 }, { lambdas: [fn] });

    const started = Date.now();
    const record = await run(engine);

    expect(record.status).toBe('TIMED_OUT');
    expect(record.error).toBe('States.Timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    await until(() => gate.aborted === 1);
  });

  it('stops an execution: ABORTED with error and cause, handlers see the abort, the hook runs once', async () => {
    const { gate, fn, definition } = gated();
    const changes: ExecutionRecord[] = [];
    const engine = engineFor(definition, {
      lambdas: [fn],
      onExecutionStatusChange: async (record) => {
        await sleep(5); // waitForExecution resolves after the hook
        changes.push(record);
      },
    });

    const { executionArn } = engine.startExecution();
    await until(() => gate.calls === 1);
    const stopped = engine.stopExecution(executionArn, { error: 'Operator', cause: 'maintenance' });
    const final = await engine.waitForExecution(executionArn);

    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'maintenance' });
    expect(final.status).toBe('ABORTED');
    expect(changes.map((c) => c.status)).toEqual(['ABORTED']);
    await until(() => gate.aborted === 1);
    // Stopping a finished execution changes nothing.
    expect(engine.stopExecution(executionArn, { error: 'Again' }).error).toBe('Operator');
  });

  it('describes and lists executions, newest first, with a status filter', async () => {
    const engine = engineFor({
      StartAt: 'Fail?',
      States: {
        'Fail?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Failed' }],
          Default: 'Done',
        },
        Failed: { Type: 'Fail', Error: 'Asked', Cause: 'asked to fail' },
        Done: { Type: 'Succeed' },
      },
    });

    const first = await run(engine, { fail: false });
    await sleep(2);
    const second = await run(engine, { fail: true });

    expect(engine.listExecutions().map((e) => e.executionArn)).toEqual([
      second.executionArn,
      first.executionArn,
    ]);
    expect(engine.listExecutions({ statusFilter: 'SUCCEEDED' }).map((e) => e.name)).toEqual([
      first.name,
    ]);
    expect(engine.listExecutions({ statusFilter: 'FAILED' }).map((e) => e.name)).toEqual([
      second.name,
    ]);
    expect(engine.describeExecution(second.executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'Asked',
      cause: 'asked to fail',
    });
    expect(apiError(() => engine.describeExecution(`${first.executionArn}-nope`)).name).toBe(
      'ExecutionDoesNotExist',
    );
  });

  it('closes: running executions end ABORTED, close() waits for them, new ones are refused', async () => {
    const { gate, fn, definition } = gated();
    const changes: string[] = [];
    const engine = engineFor(definition, {
      lambdas: [fn],
      onExecutionStatusChange: (record) => void changes.push(`${record.name}:${record.status}`),
    });
    engine.startExecution({ name: 'a' });
    engine.startExecution({ name: 'b' });
    await until(() => gate.calls === 2);

    await engine.close();

    expect(changes.sort()).toEqual(['a:ABORTED', 'b:ABORTED']);
    expect(gate.aborted).toBe(2);
    expect(apiError(() => engine.startExecution()).name).toBe('EngineClosed');
  });
});

describe('execution store', () => {
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-store-'));
  });
  afterEach(async () => {
    await closeAll(); // before the directory goes: closing writes the last records
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('keeps executions in files that a new engine reads; recover() turns RUNNING into ABORTED and fires the hook', async () => {
    const { gate, fn, definition } = gated();
    const first = engineFor(definition, {
      lambdas: [fn],
      executionStore: new FileExecutionStore(directory),
    });
    const finished = first.startExecution({ name: 'finished', input: { page: 1 } });
    gate.open();
    await first.waitForExecution(finished.executionArn);
    const stranded = gated();
    const crashed = engineFor(stranded.definition, {
      lambdas: [stranded.fn],
      executionStore: new FileExecutionStore(directory),
    });
    const left = crashed.startExecution({ name: 'stranded', input: { page: 2 } });
    await until(() => stranded.gate.calls === 1); // RUNNING
    const fileOfLeft = new FileExecutionStore(directory).fileOf(left.executionArn);
    await until(() => fs.existsSync(fileOfLeft)); // and its start is on disk
    // The process "dies" here: `crashed` is never closed before the restart below.

    const changes: ExecutionRecord[] = [];
    const store = new FileExecutionStore(directory);
    const restarted = engineFor(definition, {
      lambdas: [fn],
      executionStore: store,
      onExecutionStatusChange: (record) => void changes.push(record),
    });
    const recovered = await restarted.recover();

    expect(recovered.map((r) => r.name)).toEqual(['stranded']);
    expect(restarted.describeExecution(left.executionArn)).toMatchObject({
      status: 'ABORTED',
      cause: 'local runtime restarted',
      input: { page: 2 },
    });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ name: 'stranded', status: 'ABORTED' });
    expect(restarted.describeExecution(finished.executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { done: { page: 1 } },
    });
    expect(restarted.describeExecution(finished.executionArn).startDate).toBeInstanceOf(Date);
    const onDisk = JSON.parse(
      fs.readFileSync(store.fileOf(left.executionArn), 'utf8'),
    ) as ExecutionRecord;
    expect(onDisk.status).toBe('ABORTED');
    // Names stay taken across restarts.
    expect(
      apiError(() => restarted.startExecution({ name: 'finished', input: { page: 1 } })).name,
    ).toBe('ExecutionAlreadyExists');
    expect(fs.readdirSync(directory).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    stranded.gate.open();
  });

  it('shares executions between engines through one InMemoryExecutionStore', async () => {
    const store = new InMemoryExecutionStore();
    const { gate, fn, definition } = gated();
    const first = engineFor(definition, { lambdas: [fn], executionStore: store });
    const { executionArn } = first.startExecution({ name: 'mem' });
    await until(() => gate.calls === 1);

    const second = engineFor(definition, { lambdas: [fn], executionStore: store });
    await second.recover();

    expect(second.describeExecution(executionArn).status).toBe('ABORTED');
    gate.open();
  });
});
