// The Step Functions-compatible endpoint of the local runtime, driven by the real SFNClient over
// loopback HTTP: the synthesized workflow, started, described, listed, stopped, its history and
// Map Runs, errors by their Step Functions names, and the txconfirm routes of the operator CLI.
import {
  CreateActivityCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ENV, STATE } from '../../lambdas/contracts';
import type { RunSummary } from '../../lambdas/contracts';
import { type LocalRuntime, mergedFunctionEnvironment } from '../../local/runtime/local-runtime';
import { startSfnFixture, stopSfnFixture } from './sfn-endpoint-support';
import {
  type LocalSchedulerControl,
  type SfnEndpoint,
  startSfnEndpoint,
} from '../../local/aws/sfn-endpoint';
import { rejection } from '../support/rejection';

let runtime: LocalRuntime;
let endpoint: SfnEndpoint;
let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
  ({ runtime, endpoint, sfn, stateMachineArn } = await startSfnFixture());
});

afterAll(() => stopSfnFixture({ runtime, endpoint, sfn }));

/** Polls DescribeExecution (over HTTP) until the execution left RUNNING. */
async function describeWhenDone(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function fullHistory(executionArn: string): Promise<HistoryEvent[]> {
  const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

async function rawCall(
  operation: string,
  body: string,
): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AWSStepFunctions.${operation}`,
    },
    body,
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    json: (await response.json()) as Record<string, unknown>,
  };
}

/**
 * Holds runs RUNNING for a while: a backlog and a slow provider (what a stopped run leaves
 * PENDING stays for a later one; no test after these needs an empty backlog).
 */
async function slowBacklog(count: number): Promise<void> {
  await runtime.seedTransactions(count);
  runtime.provider.configure({ latencyMs: 200 });
}

describe('Step Functions endpoint (SFNClient)', () => {
  let firstArn: string;
  let seeded: number;

  it('StartExecution → DescribeExecution until SUCCEEDED: the output is FinishRun’s summary', async () => {
    seeded = (await runtime.seedTransactions(150)).length;

    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'first-run', input: '{}' }),
    );
    firstArn = started.executionArn as string;
    expect(firstArn).toBe(
      stateMachineArn.replace(':stateMachine:', ':execution:').concat(':first-run'),
    );
    expect(started.startDate).toBeInstanceOf(Date);

    const described = await describeWhenDone(firstArn);
    expect(described).toMatchObject({
      executionArn: firstArn,
      stateMachineArn,
      name: 'first-run',
      status: 'SUCCEEDED',
      input: '{}',
    });
    expect(described.startDate?.getTime()).toBe(started.startDate?.getTime());
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());
    const summary = JSON.parse(described.output as string) as RunSummary;
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.totals.fetched).toBe(seeded);
    expect(summary.totals.confirmed).toBe(seeded);
    expect(summary.runId).toContain('first-run');
  });

  it('GetExecutionHistory: ExecutionStarted … TaskStateEntered StartRun … MapRunStarted … ExecutionSucceeded; reverse order and paging', async () => {
    const events = await fullHistory(firstArn);

    expect(events[0].type).toBe('ExecutionStarted');
    expect(events[0].executionStartedEventDetails?.input).toBe('{}');
    expect(events[0].timestamp).toBeInstanceOf(Date);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const entered = events.filter((e) => e.type === 'TaskStateEntered');
    expect(entered[0].stateEnteredEventDetails?.name).toBe(STATE.StartRun);
    const mapRunStarted = events.find((e) => e.type === 'MapRunStarted');
    expect(mapRunStarted?.mapRunStartedEventDetails?.mapRunArn).toMatch(/:mapRun:/);
    expect(events.find((e) => e.type === 'MapStateEntered')?.stateEnteredEventDetails?.name).toBe(
      STATE.ConfirmPage,
    );
    const last = events[events.length - 1];
    expect(last.type).toBe('ExecutionSucceeded');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: firstArn }));
    expect(last.executionSucceededEventDetails?.output).toBe(described.output);

    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: firstArn,
        reverseOrder: true,
        maxResults: 1000,
      }),
    );
    expect(reversed.events?.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());

    for (const reverseOrder of [false, true]) {
      const paged: number[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: firstArn,
            maxResults: 7,
            reverseOrder,
            nextToken,
          }),
        );
        expect(page.events!.length).toBeLessThanOrEqual(7);
        paged.push(...page.events!.map((e) => e.id as number));
        nextToken = page.nextToken;
        pages += 1;
      } while (nextToken);
      const ids = events.map((e) => e.id);
      expect(paged).toEqual(reverseOrder ? ids.reverse() : ids);
      expect(pages).toBe(Math.ceil(events.length / 7));
    }

    const withoutData = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: firstArn, includeExecutionData: false }),
    );
    expect(withoutData.events?.[0].executionStartedEventDetails?.input).toBeUndefined();
    expect(withoutData.events?.[0].executionStartedEventDetails?.roleArn).toBeDefined();
  });

  it('ListMapRuns / DescribeMapRun: the page’s Map Run, its item counts adding up to the page', async () => {
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn: firstArn }));
    expect(mapRuns).toHaveLength(1);
    expect(mapRuns![0]).toMatchObject({
      executionArn: firstArn,
      stateMachineArn: `${stateMachineArn}/${STATE.ConfirmPage}`,
    });

    const mapRun = await sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRuns![0].mapRunArn }));
    expect(mapRun.status).toBe('SUCCEEDED');
    expect(mapRun.maxConcurrency).toBeGreaterThan(0);
    const items = mapRun.itemCounts!;
    expect(items.total).toBe(seeded);
    expect(items.succeeded).toBe(seeded);
    expect(
      items.pending! +
        items.running! +
        items.succeeded! +
        items.failed! +
        items.timedOut! +
        items.aborted!,
    ).toBe(items.total);
    const children = mapRun.executionCounts!;
    expect(children.succeeded).toBe(children.total);
    expect(children.total).toBeGreaterThan(1);
    expect(children.total).toBeLessThan(items.total!);
  });

  it('ListExecutions: newest first, a status filter, paging with nextToken', async () => {
    // A few more executions (the backlog is empty: each is a short run).
    const names = ['list-a', 'list-b', 'list-c', 'list-d'];
    for (const name of names) {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name }));
      await describeWhenDone(executionArn as string);
    }
    const bad = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'list-bad', input: '{"bogus":1}' }),
    );
    const failed = await describeWhenDone(bad.executionArn as string);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'InvalidExecutionInput' });
    expect(failed.cause).toContain('bogus');

    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const allNames = all.executions!.map((e) => e.name);
    expect(allNames.slice(0, 5)).toEqual(['list-bad', 'list-d', 'list-c', 'list-b', 'list-a']);
    expect(allNames).toContain('first-run');

    const onlyFailed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED' }),
    );
    expect(onlyFailed.executions!.map((e) => e.name)).toEqual(['list-bad']);
    const succeeded = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }),
    );
    expect(succeeded.executions!.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    expect(succeeded.executions!.map((e) => e.name)).toEqual(
      allNames.filter((name) => name !== 'list-bad'),
    );

    const paged: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken }),
      );
      expect(page.executions!.length).toBeLessThanOrEqual(2);
      paged.push(...page.executions!);
      nextToken = page.nextToken;
      // A new execution between pages does not shift the pages already read.
      if (paged.length === 2)
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'list-late' }));
    } while (nextToken);
    expect(paged.map((e) => e.name)).toEqual(allNames);
    await runtime.engine.idle();

    const invalid = await rejection(
      sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 'not-a-token' })),
    );
    expect(invalid.name).toBe('InvalidToken');
  });

  it('StopExecution of a running execution → ABORTED (stopDate, error, cause; history; Map Run aborted)', async () => {
    await slowBacklog(400);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'stop-me' }),
    );
    // Wait until it is inside the Distributed Map.
    const deadline = Date.now() + 10_000;
    while (!(await fullHistory(executionArn as string)).some((e) => e.type === 'MapRunStarted')) {
      if (Date.now() > deadline) throw new Error('no MapRunStarted');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'maintenance window' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'maintenance window',
    });
    expect(described.stopDate?.getTime()).toBe(stopped.stopDate?.getTime());
    expect(described.output).toBeUndefined();
    await runtime.engine.waitForExecution(executionArn as string);

    const events = await fullHistory(executionArn as string);
    expect(events.map((e) => e.type).slice(-3)).toEqual([
      'MapRunAborted',
      'MapStateAborted',
      'ExecutionAborted',
    ]);
    expect(events[events.length - 1].executionAbortedEventDetails).toEqual({
      error: 'Operator',
      cause: 'maintenance window',
    });
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn }));
    const mapRun = await sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRuns![0].mapRunArn }));
    expect(mapRun.status).toBe('ABORTED');
    const c = mapRun.itemCounts!;
    expect(c.aborted).toBeGreaterThan(0);
    expect(c.running).toBe(0);
    expect(c.pending! + c.running! + c.succeeded! + c.failed! + c.timedOut! + c.aborted!).toBe(
      c.total,
    );
  });

  it('name idempotency: the same name and input while RUNNING is the same execution; otherwise ExecutionAlreadyExists', async () => {
    await slowBacklog(200);
    const request = { stateMachineArn, name: 'idem', input: '{"maxItems": 300}' };
    const first = await sfn.send(new StartExecutionCommand(request));
    const again = await sfn.send(new StartExecutionCommand(request));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());

    const otherInput = await rejection(
      sfn.send(new StartExecutionCommand({ ...request, input: '{"maxItems": 299}' })),
    );
    expect(otherInput.name).toBe('ExecutionAlreadyExists');
    expect(otherInput.$metadata?.httpStatusCode).toBe(400);

    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await runtime.engine.waitForExecution(first.executionArn as string);
    const ended = await rejection(sfn.send(new StartExecutionCommand(request)));
    expect(ended.name).toBe('ExecutionAlreadyExists');
    expect(ended.message).toContain(first.executionArn);
    runtime.provider.configure({ latencyMs: 0 });
  });

  it('answers errors by their Step Functions names', async () => {
    const badJson = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"dryRun": tru' })),
    );
    expect(badJson.name).toBe('InvalidExecutionInput');

    const badName = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'no spaces allowed' })),
    );
    expect(badName.name).toBe('InvalidName');

    const unknown = await rejection(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${firstArn}-never` })),
    );
    expect(unknown.name).toBe('ExecutionDoesNotExist');
    expect(unknown.$metadata?.httpStatusCode).toBe(400);
    for (const call of [
      sfn.send(new StopExecutionCommand({ executionArn: `${firstArn}-never` })),
      sfn.send(new GetExecutionHistoryCommand({ executionArn: `${firstArn}-never` })),
      sfn.send(new ListMapRunsCommand({ executionArn: `${firstArn}-never` })),
    ]) {
      expect((await rejection(call)).name).toBe('ExecutionDoesNotExist');
    }

    const garbage = await rejection(
      sfn.send(new DescribeExecutionCommand({ executionArn: 'nope' })),
    );
    expect(garbage.name).toBe('InvalidArn');

    const otherMachine = stateMachineArn.replace(/[^:]+$/, 'someone-else');
    const noMachine = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: otherMachine })),
    );
    expect(noMachine.name).toBe('StateMachineDoesNotExist');

    const noMapRun = await rejection(
      sfn.send(
        new DescribeMapRunCommand({
          mapRunArn: stateMachineArn.replace(':stateMachine:', ':mapRun:').concat('/ConfirmPage:x'),
        }),
      ),
    );
    expect(noMapRun.name).toBe('ResourceNotFound');
  });

  it('answers an operation it does not serve with UnknownOperationException, and keeps serving', async () => {
    const unsupported = await rejection(sfn.send(new CreateActivityCommand({ name: 'worker' })));
    expect(unsupported.name).toBe('UnknownOperationException');
    expect(unsupported.message).toContain('CreateActivity');
    expect(unsupported.$metadata?.httpStatusCode).toBe(400);

    const listed = await sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((s) => s.stateMachineArn)).toEqual([stateMachineArn]);
  });

  it('DescribeStateMachine: the synthesized ASL, STANDARD, ACTIVE, its role', async () => {
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described).toMatchObject({
      stateMachineArn,
      name: runtime.stack.definition.stateMachineName,
      status: 'ACTIVE',
      type: 'STANDARD',
      tracingConfiguration: { enabled: true },
    });
    expect(JSON.parse(described.definition as string)).toEqual(runtime.stack.definition.definition);
    expect(described.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(described.creationDate).toBeInstanceOf(Date);
  });
});

describe('the wire (AWS JSON 1.0)', () => {
  it('answers application/x-amz-json-1.0 with epoch-second timestamps', async () => {
    const { executionArn } = runtime.engine.listExecutions()[0];
    const answer = await rawCall('DescribeExecution', JSON.stringify({ executionArn }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/x-amz-json-1.0');
    expect(typeof answer.json.startDate).toBe('number');
    expect(Math.abs((answer.json.startDate as number) * 1000 - Date.now())).toBeLessThan(120_000);
  });

  it('answers a malformed body with SerializationException and an unknown target with UnknownOperationException', async () => {
    const malformed = await rawCall('DescribeExecution', '{"executionArn": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json.__type).toBe('com.amazonaws.stepfunctions#SerializationException');
    expect(malformed.json.message).toMatch(/not valid JSON/);

    const wrongType = await rawCall('DescribeExecution', '{"executionArn": 42}');
    expect(wrongType.json.__type).toBe('com.amazonaws.stepfunctions#SerializationException');

    const unknown = await rawCall('SendTaskSuccess', '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({
      __type: 'com.amazonaws.stepfunctions#UnknownOperationException',
      message: expect.stringContaining('SendTaskSuccess') as unknown,
    });
  });

  it('turns anything thrown into a 500 InternalFailure with a message, and goes on', async () => {
    const spy = jest.spyOn(runtime.engine, 'listMapRuns').mockImplementationOnce(() => {
      throw new Error('disk on fire');
    });
    try {
      const answer = await rawCall('ListMapRuns', JSON.stringify({ executionArn: firstArnOf() }));
      expect(answer.status).toBe(500);
      expect(answer.json.__type).toBe('com.amazonaws.stepfunctions#InternalFailure');
      expect(answer.json.message).toContain('disk on fire');
    } finally {
      spy.mockRestore();
    }
    const again = await sfn.send(new ListMapRunsCommand({ executionArn: firstArnOf() }));
    expect(again.mapRuns?.length).toBe(1);
  });
});

function firstArnOf(): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:first-run`;
}

describe('txconfirm routes', () => {
  it('GET /txconfirm/target describes the local target; no schedule without a scheduler', async () => {
    const response = await fetch(`${endpoint.url}/txconfirm/target`);
    expect(response.status).toBe(200);
    const target = (await response.json()) as Record<string, unknown>;
    expect(target).toEqual({
      mode: 'local',
      region: 'us-east-1',
      stateMachineArn,
      stateMachineName: runtime.stack.definition.stateMachineName,
      dynamodbEndpoint: runtime.dynamodbEndpoint,
      providerUrl: runtime.provider.url,
      tables: {
        transactions: runtime.stack.tableNames.transactions,
        runs: runtime.stack.tableNames.runs,
        pendingIndex: runtime.stack.tableNames.pendingIndex,
      },
      shardCount: 16,
      schedule: null,
      providerTimeoutMs: 10_000,
      secretsManager: {
        endpoint: runtime.secretsEndpoint,
        secretId: mergedFunctionEnvironment(runtime.stack)[ENV.PROVIDER_SECRET_ID],
      },
      oldestPendingAgeSloSeconds: 900,
    });
    expect(String(target.dynamodbEndpoint)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const noScheduler = await fetch(`${endpoint.url}/txconfirm/schedule`, {
      method: 'POST',
      body: JSON.stringify({ state: 'DISABLED' }),
    });
    expect(noScheduler.status).toBe(404);
  });

  it('POST /txconfirm/schedule switches the scheduler; the target shows it', async () => {
    let state: 'ENABLED' | 'DISABLED' = 'ENABLED';
    const scheduler: LocalSchedulerControl = {
      expression: 'rate(5 minutes)',
      state: () => state,
      setState: (next) => {
        state = next;
      },
      nextFireTime: () => (state === 'ENABLED' ? new Date('2030-01-01T00:05:00Z') : undefined),
    };
    const withSchedule = await startSfnEndpoint({ runtime, scheduler });
    try {
      const before = (await (await fetch(`${withSchedule.url}/txconfirm/target`)).json()) as {
        schedule: unknown;
      };
      expect(before.schedule).toEqual({
        expression: 'rate(5 minutes)',
        state: 'ENABLED',
        nextFireTime: '2030-01-01T00:05:00.000Z',
      });

      const switched = await fetch(`${withSchedule.url}/txconfirm/schedule`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ state: 'DISABLED' }),
      });
      expect(switched.status).toBe(200);
      expect(await switched.json()).toEqual({ state: 'DISABLED' });
      expect(state).toBe('DISABLED');

      const bad = await fetch(`${withSchedule.url}/txconfirm/schedule`, {
        method: 'POST',
        body: JSON.stringify({ state: 'PAUSED' }),
      });
      expect(bad.status).toBe(400);
      expect(state).toBe('DISABLED');
    } finally {
      await withSchedule.stop();
    }
  });
});
