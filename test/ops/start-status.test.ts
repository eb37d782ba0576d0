import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { RunSummary } from '../../lambdas/contracts';
import { parseExecutionInput } from '../../lambdas/domain/execution-input';
import { emptyTotals } from '../../lambdas/domain/totals';
import {
  describeStacksResponse,
  executionArn,
  line,
  STACK_OUTPUTS,
  STATE_MACHINE_ARN,
  txc,
} from './support';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  cfn.reset();
  sfn.reset();
  ddb.reset();
  cfn.on(DescribeStacksCommand).resolves(describeStacksResponse());
});
afterAll(() => {
  cfn.restore();
  sfn.restore();
  ddb.restore();
});

const summary = (overrides: Partial<RunSummary> = {}): RunSummary => ({
  runId: '20240501T100000Z-manual-1',
  status: 'SUCCEEDED',
  startedAt: '2024-05-01T10:00:00.000Z',
  finishedAt: '2024-05-01T10:02:05.000Z',
  durationMs: 125_000,
  dryRun: false,
  totals: { ...emptyTotals(), pages: 2, fetched: 120, confirmed: 100, rejected: 15, deferred: 5 },
  ...overrides,
});

function messageOf(raw: unknown): string {
  try {
    parseExecutionInput(raw);
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  throw new Error('expected the input to be invalid');
}

describe('txc start', () => {
  it('sends exactly the execution input the flags describe, to the stack’s state machine', async () => {
    sfn.on(StartExecutionCommand).resolves({
      executionArn: executionArn('manual-1'),
      startDate: new Date('2024-05-01T10:00:00Z'),
    });
    const run = await txc([
      'start',
      '--ids',
      'tx-1, tx-2',
      '--dry-run',
      '--max-items',
      '10',
      '--created-before',
      '2024-05-01T00:00:00+02:00',
      '--name',
      'manual-1',
    ]);
    expect(run.code).toBe(0);
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const { input, ...rest } = calls[0].args[0].input;
    expect(rest).toEqual({ stateMachineArn: STATE_MACHINE_ARN, name: 'manual-1' });
    expect(JSON.parse(input ?? '')).toEqual({
      dryRun: true,
      transactionIds: ['tx-1', 'tx-2'],
      maxItems: 10,
      createdBefore: '2024-05-01T00:00:00+02:00',
    });
    expect(run.out).toMatch(line('started', 'manual-1'));
    expect(run.out).toContain('follow it:\n  npm run txc -- status manual-1 --stage dev\n');
  });

  it('no flags: the schedule’s own input {}', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: executionArn('x'), startDate: new Date() });
    const run = await txc(['start', '--stage', 'prod', '--json']);
    expect(run.code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input).toBe('{}');
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({
      StackName: 'Txconfirm-prod',
    });
    expect(JSON.parse(run.out)).toMatchObject({ executionArn: executionArn('x'), input: {} });
  });

  it.each([
    [['--ids', 'a,a'], { transactionIds: ['a', 'a'] }, 'transactionIds[1]: duplicate id "a"'],
    [['--ids', 'ok,not ok'], { transactionIds: ['ok', 'not ok'] }, 'transactionIds[1]: must match'],
    [
      ['--max-items', '2000000'],
      { maxItems: 2_000_000 },
      'maxItems: must be an integer 1..1000000, got 2000000',
    ],
    [
      ['--max-items', 'many'],
      { maxItems: 'many' },
      'maxItems: must be an integer 1..1000000, got "many"',
    ],
    [
      ['--created-before', '2024-05-01T00:00:00'],
      { createdBefore: '2024-05-01T00:00:00' },
      'createdBefore: must be an ISO-8601 date-time with a time zone',
    ],
  ])(
    'invalid input %j: exit 2 with StartRun’s own message, nothing sent',
    async (flags, raw, fragment) => {
      const run = await txc(['start', ...flags]);
      expect(run.code).toBe(2);
      expect(run.out).toBe('');
      expect(run.err).toBe(`${messageOf(raw)}\n`);
      expect(run.err).toContain(`InvalidExecutionInput: ${fragment}`);
      expect(sfn.calls()).toHaveLength(0);
      expect(cfn.calls()).toHaveLength(0);
    },
  );

  it('an oversize id list names the field and the size', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `t${i}`).join(',');
    const run = await txc(['start', '--ids', ids]);
    expect(run).toMatchObject({
      code: 2,
      err: 'InvalidExecutionInput: transactionIds: at most 1000 ids, got 1001\n',
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('a bad --name is a usage error naming the flag', async () => {
    const run = await txc(['start', '--name', 'has space']);
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'UsageError: --name "has space" is refused: the character " " (U+0020) at position 4 is white space, which a name must not contain\n',
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('--wait polls, follows a ContinueAsNew hand-over and prints the run summary', async () => {
    const first = executionArn('manual-2');
    const second = executionArn('child-of-manual-2');
    sfn.on(StartExecutionCommand).resolves({ executionArn: first, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand, { executionArn: first })
      .resolvesOnce({ executionArn: first, status: 'RUNNING', startDate: new Date() })
      .resolves({
        executionArn: first,
        status: 'SUCCEEDED',
        startDate: new Date(),
        output: JSON.stringify({ nextExecutionArn: second }),
      });
    sfn
      .on(DescribeExecutionCommand, { executionArn: second })
      .resolvesOnce({ executionArn: second, status: 'RUNNING', startDate: new Date() })
      .resolvesOnce({ executionArn: second, status: 'RUNNING', startDate: new Date() })
      .resolves({
        executionArn: second,
        status: 'SUCCEEDED',
        startDate: new Date(),
        output: JSON.stringify(summary()),
      });
    const sleeps: number[] = [];
    const deps = { sleep: async (ms: number) => void sleeps.push(ms) };

    const run = await txc(['start', '--wait'], deps);
    expect(run.code).toBe(0);
    expect(sleeps).toEqual([500, 500, 500]);
    expect(
      sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn),
    ).toEqual([first, first, second, second, second]);
    expect(run.err).toContain('continued as new: manual-2 -> child-of-manual-2');
    expect(run.out).toMatch(line('run', '20240501T100000Z-manual-1'));
    expect(run.out).toMatch(line('status', 'SUCCEEDED'));
    expect(run.out).toMatch(line('execution', 'child-of-manual-2'));
    expect(run.out).toMatch(/confirmed: +100\n/);
    expect(run.out).toMatch(/rejected: +15\n/);
    expect(run.out).toMatch(line('duration', '2m 5s'));

    const asJson = await txc(['start', '--wait', '--json'], deps);
    expect(JSON.parse(asJson.out)).toMatchObject({
      status: 'SUCCEEDED',
      executions: [first, second],
      summary: { runId: '20240501T100000Z-manual-1', totals: { confirmed: 100 } },
    });
    expect(asJson.err).toBe('');
  });

  it('--wait on a SKIPPED run names the holder (exit 0)', async () => {
    const arn = executionArn('manual-3');
    const holder = {
      runId: '20240501T095500Z-sched',
      executionArn: executionArn('sched'),
      expiresAt: '2024-05-01T10:05:00.000Z',
    };
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      status: 'SUCCEEDED',
      startDate: new Date(),
      output: JSON.stringify({ status: 'SKIPPED', holder }),
    });
    const run = await txc(['start', '--wait']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('SKIPPED (another run holds the lock)');
    expect(run.out).toMatch(line('holder run', `${holder.runId}`));
    expect(run.out).toMatch(line('holder execution', 'sched'));
    expect(run.out).toContain(
      'the run holding the lock:\n  npm run txc -- status sched --stage dev\n',
    );
    const asJson = await txc(['start', '--wait', '--json']);
    expect(JSON.parse(asJson.out)).toMatchObject({ status: 'SKIPPED', holder });
  });

  it('--wait on a failed run prints the error and cause, the run’s totals, and exits 1', async () => {
    const arn = executionArn('manual-4');
    const startDate = new Date('2024-05-01T10:00:00.000Z');
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      name: 'manual-4',
      status: 'FAILED',
      startDate,
      error: 'LockLost',
      cause: JSON.stringify({
        errorType: 'LockLost',
        errorMessage: 'run lost its lease',
        trace: ['at x'],
      }),
    });
    ddb.on(GetCommand).resolves({});
    ddb
      .on(GetCommand, {
        TableName: STACK_OUTPUTS.RunsTableName,
        Key: { pk: 'RUN', sk: '20240501T100000Z-manual-4' },
      })
      .resolves({
        Item: {
          pk: 'RUN',
          sk: '20240501T100000Z-manual-4',
          runId: '20240501T100000Z-manual-4',
          status: 'FAILED',
          startedAt: startDate.toISOString(),
          executionArn: arn,
          dryRun: false,
          totals: { ...emptyTotals(), confirmed: 40 },
          error: 'LockLost: run lost its lease',
        },
      });
    const run = await txc(['start', '--wait']);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(line('status', 'FAILED'));
    expect(run.out).toMatch(line('error', 'LockLost: run lost its lease'));
    expect(run.out).not.toContain('trace');
    expect(run.out).toMatch(line('run', '20240501T100000Z-manual-4'));
    expect(run.out).toMatch(/confirmed: +40\n/);
  });
});

describe('txc status', () => {
  const lockItem = {
    pk: 'LOCK',
    sk: 'confirmation',
    runId: '20240501T095500Z-sched',
    executionArn: executionArn('sched'),
    acquiredAt: '2024-05-01T09:55:00.000Z',
    expiresAt: '2024-05-01T10:05:00.000Z',
  };

  it('a bare name: DescribeExecution of the derived ARN; SKIPPED with the holder; the lock', async () => {
    const arn = executionArn('manual-5');
    const holder = {
      runId: lockItem.runId,
      executionArn: lockItem.executionArn,
      expiresAt: lockItem.expiresAt,
    };
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      name: 'manual-5',
      status: 'SUCCEEDED',
      startDate: new Date('2024-05-01T10:00:00.000Z'),
      stopDate: new Date('2024-05-01T10:00:01.000Z'),
      input: '{}',
      output: JSON.stringify({ status: 'SKIPPED', holder }),
    });
    ddb.on(GetCommand, { Key: { pk: 'LOCK', sk: 'confirmation' } }).resolves({ Item: lockItem });
    ddb.on(GetCommand, { Key: { pk: 'RUN', sk: '20240501T100000Z-manual-5' } }).resolves({
      Item: {
        pk: 'RUN',
        sk: '20240501T100000Z-manual-5',
        runId: '20240501T100000Z-manual-5',
        status: 'SKIPPED',
        startedAt: '2024-05-01T10:00:00.000Z',
        finishedAt: '2024-05-01T10:00:01.000Z',
        executionArn: arn,
        dryRun: false,
        totals: emptyTotals(),
        holder,
      },
    });
    const now = () => new Date('2024-05-01T10:01:00.000Z');

    const run = await txc(['status', 'manual-5'], { now });
    expect(run.code).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input).toEqual({
      executionArn: arn,
    });
    expect(run.out).toMatch(line('outcome', 'SKIPPED (another run held the lock)'));
    expect(run.out).toMatch(line('holder run', `${holder.runId}`));
    expect(run.out).toMatch(line('run', '20240501T100000Z-manual-5'));
    expect(run.out).toMatch(line('held by run', `${lockItem.runId}`));
    expect(run.out).not.toContain('expired');
    // Map runs are only asked for while the execution runs.
    expect(sfn.commandCalls(ListMapRunsCommand)).toHaveLength(0);

    const later = await txc(['status', arn, '--json'], {
      now: () => new Date('2024-05-01T11:00:00.000Z'),
    });
    expect(JSON.parse(later.out)).toMatchObject({
      outcome: 'skipped',
      skippedBy: holder,
      run: { runId: '20240501T100000Z-manual-5', status: 'SKIPPED' },
      lock: { runId: lockItem.runId, expired: true },
    });
  });

  it('a RUNNING execution: the latest map run’s item counts; a resumed run found by its runId', async () => {
    const arn = executionArn('child-7');
    const resume = {
      run: {
        runId: '20240501T090000Z-manual-7',
        cutoff: '2024-05-01T09:00:00.000Z',
        startedAt: '2024-05-01T09:00:00.000Z',
        dryRun: false,
        maxItems: 1000000,
      },
      cursor: { kind: 'index', shard: 3 },
      totals: emptyTotals(),
    };
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      name: 'child-7',
      status: 'RUNNING',
      startDate: new Date('2024-05-01T10:00:00.000Z'),
      input: JSON.stringify({
        resume,
        AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn('manual-7'),
      }),
    });
    sfn
      .on(ListMapRunsCommand)
      .resolvesOnce({
        mapRuns: [
          {
            executionArn: arn,
            mapRunArn: 'arn:map:1',
            stateMachineArn: 'x',
            startDate: new Date('2024-05-01T10:00:05Z'),
          },
        ],
        nextToken: 't',
      })
      .resolvesOnce({
        mapRuns: [
          {
            executionArn: arn,
            mapRunArn: 'arn:map:2',
            stateMachineArn: 'x',
            startDate: new Date('2024-05-01T10:01:05Z'),
          },
        ],
      });
    sfn.on(DescribeMapRunCommand, { mapRunArn: 'arn:map:2' }).resolves({
      mapRunArn: 'arn:map:2',
      status: 'RUNNING',
      itemCounts: {
        pending: 300,
        running: 100,
        succeeded: 550,
        failed: 50,
        timedOut: 0,
        aborted: 0,
        total: 1000,
        resultsWritten: 0,
      },
    });
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: 'RUN', sk: resume.run.runId } }).resolves({
      Item: {
        runId: resume.run.runId,
        status: 'RUNNING',
        startedAt: resume.run.startedAt,
        executionArn: arn,
        dryRun: false,
        totals: { ...emptyTotals(), confirmed: 4000 },
      },
    });
    const run = await txc(['status', arn, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out);
    expect(report.progress).toEqual({
      mapRunArn: 'arn:map:2',
      mapRuns: 2,
      status: 'RUNNING',
      items: {
        pending: 300,
        running: 100,
        succeeded: 550,
        failed: 50,
        timedOut: 0,
        aborted: 0,
        total: 1000,
      },
    });
    expect(report.run).toMatchObject({ runId: resume.run.runId, totals: { confirmed: 4000 } });
    expect(report.lock).toBeNull();
    expect(sfn.commandCalls(ListMapRunsCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: arn },
      { executionArn: arn, nextToken: 't' },
    ]);

    sfn.on(ListMapRunsCommand).resolves({
      mapRuns: [
        { executionArn: arn, mapRunArn: 'arn:map:2', stateMachineArn: 'x', startDate: new Date() },
      ],
    });
    const human = await txc(['status', arn]);
    expect(human.out).toMatch(/│ 1000 +│ 300 +│ 100 +│ 550 +│ 50 +│/);
    expect(human.out).toContain('lock\nfree');
  });

  it('parts it may not read (map runs, the Runs table) are named; the rest is shown', async () => {
    const arn = executionArn('busy');
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      name: 'busy',
      status: 'RUNNING',
      startDate: new Date('2024-05-01T10:00:00.000Z'),
    });
    const denied = (what: string) =>
      Object.assign(new Error(`not authorized to perform: ${what}`), {
        name: 'AccessDeniedException',
      });
    sfn.on(ListMapRunsCommand).rejects(denied('states:ListMapRuns'));
    ddb.on(GetCommand).rejects(denied('dynamodb:GetItem'));
    // A wide terminal: each message on one line.
    const run = await txc(['status', 'busy'], {
      now: () => new Date('2024-05-01T10:00:42Z'),
      columns: 200,
    });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(line('status', 'RUNNING'));
    expect(run.out).toMatch(line('elapsed', '42s'));
    expect(run.out).toContain(
      'map-run progress unavailable: AccessDeniedException: not authorized to perform: states:ListMapRuns\n',
    );
    expect(run.out).toContain(
      'lock unavailable: AccessDeniedException: not authorized to perform: dynamodb:GetItem',
    );
    expect(run.out).not.toContain('lock\nfree');
  });

  it('an execution with no derivable run record is looked up by executionArn in recent runs', async () => {
    const arn = executionArn('odd');
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: arn, name: 'odd', status: 'ABORTED' });
    ddb.on(GetCommand).resolves({});
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: { pk: 'RUN', sk: 'b' } })
      .resolvesOnce({
        Items: [{ pk: 'RUN', sk: 'a', runId: 'a', status: 'ABORTED', executionArn: arn }],
      });
    const run = await txc(['status', 'odd', '--json']);
    expect(JSON.parse(run.out).run).toEqual({ runId: 'a', status: 'ABORTED', executionArn: arn });
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      TableName: STACK_OUTPUTS.RunsTableName,
      FilterExpression: 'executionArn = :arn',
      ExpressionAttributeValues: { ':pk': 'RUN', ':arn': arn },
      ScanIndexForward: false,
    });
    expect(queries[1].ExclusiveStartKey).toEqual({ pk: 'RUN', sk: 'b' });
  });

  it('a name that cannot be an execution name is a usage error', async () => {
    const run = await txc(['status', 'a b']);
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'UsageError: <execution>: an execution ARN or name "a b" is refused: the character " " (U+0020) at position 2 is white space, which a name must not contain\n',
    );
  });
});
