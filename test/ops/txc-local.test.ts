// Operators' runbook, rehearsed offline: `txc local serve` as a child process, driven by the real
// @aws-sdk/client-sfn and by `txc` itself (child processes too), as a user would.
import { spawn } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateActivityCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { dev } from '../support/stages';
import { type Result, ROOT, serve as serveLocal, type Served, TXC, txc } from './local-serve';
import { until } from '../support/poll';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The runbook's endpoint: no schedule, so nothing starts a run but the test. */
const serve = (args: string[]): Promise<Served> => serveLocal(['--no-schedule', ...args]);

const json = <T>(r: Result): T => JSON.parse(r.stdout) as T;

describe('txc local serve with the real SFN client', () => {
  let served: Served;
  let sfn: SFNClient;
  beforeAll(async () => {
    served = await serve(['--transactions', '300', '--provider-latency-ms', '0']);
    sfn = new SFNClient({
      endpoint: served.info.stepFunctionsEndpoint,
      region: 'us-east-1',
      credentials,
    });
  });
  afterAll(async () => {
    sfn?.destroy();
    await served?.stop();
  });

  it('start, describe, list, history: one run confirms the seeded backlog', async () => {
    const { stateMachineArn } = served.info;
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'sdk-run-1', input: '{}' }),
    );
    expect(started.executionArn).toBe(
      stateMachineArn.replace(':stateMachine:', ':execution:') + ':sdk-run-1',
    );
    const done = await until(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn })),
      (d) => d.status !== 'RUNNING',
    );
    expect(done.status).toBe('SUCCEEDED');
    const summary = JSON.parse(done.output!) as { totals: { confirmed: number; rejected: number } };
    expect(summary.totals.confirmed + summary.totals.rejected).toBe(300);

    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }),
    );
    expect(listed.executions?.map((e) => e.name)).toContain('sdk-run-1');

    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 1000 }),
    );
    const types = history.events!.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('MapRunStarted');
    expect(types[types.length - 1]).toBe('ExecutionSucceeded');
  });

  it('names follow the Step Functions rules: a finished name is taken', async () => {
    const { stateMachineArn } = served.info;
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'sdk-run-1', input: '{}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('stop: a running execution becomes ABORTED', async () => {
    const { stateMachineArn, dynamodbEndpoint, tables } = served.info;
    // Give it something to chew on: 2,000 more PENDING items written straight into the store.
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamodbEndpoint, region: 'us-east-1', credentials }),
    );
    const now = Date.now();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ddb.send(
          new PutCommand({
            TableName: tables.transactions,
            Item: {
              id: `stop-${i}`,
              status: 'PENDING',
              amount: 100,
              currency: 'EUR',
              createdAt: new Date(now - 60_000).toISOString(),
              attempts: 0,
              pendingShard: pendingShardFor(`stop-${i}`, dev.shardCount),
            },
          }),
        ),
      ),
    );
    ddb.destroy();
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    const stopped = await sfn.send(
      new StopExecutionCommand({
        executionArn: started.executionArn,
        error: 'Test',
        cause: 'stop',
      }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn }),
    );
    expect(described.status).toBe('ABORTED');
  });

  it('an unsupported action answers UnknownOperationException, and the endpoint keeps serving', async () => {
    await expect(sfn.send(new CreateActivityCommand({ name: 'nope' }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: served.info.stateMachineArn }),
    );
    expect(listed.executions!.length).toBeGreaterThan(0);
  });
});

describe('txc against the local endpoint (the runbook rehearsed offline)', () => {
  let served: Served;
  let endpoint: string;
  let ddb: DynamoDBDocumentClient;
  beforeAll(async () => {
    served = await serve(['--transactions', '200', '--provider-latency-ms', '0']);
    endpoint = served.info.stepFunctionsEndpoint;
    ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: served.info.dynamodbEndpoint,
        region: 'us-east-1',
        credentials,
      }),
    );
  });
  afterAll(async () => {
    ddb?.destroy();
    await served?.stop();
  });

  it('a dry run changes nothing', async () => {
    const dry = await txc(endpoint, ['start', '--dry-run', '--wait', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.stringify(json(dry))).toContain('"wouldProcess":200');
    const pending = await txc(endpoint, ['pending', '--json']);
    expect(JSON.stringify(json(pending))).toMatch(/"total":200\b/);
  });

  it('bad input is refused before anything runs, naming the field', async () => {
    const r = await txc(endpoint, ['start', '--max-items', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /InvalidExecutionInput: maxItems: must be an integer 1\.\.1000000, got 0/,
    );
  });

  it('start --wait confirms the backlog; requeue of a fixed FAILED record, then a re-run, confirms it', async () => {
    // A malformed record becomes FAILED with INVALID_RECORD while its neighbours confirm.
    await ddb.send(
      new PutCommand({
        TableName: served.info.tables.transactions,
        Item: {
          id: 'broken-1',
          status: 'PENDING',
          amount: -5,
          currency: 'EUR',
          createdAt: new Date(Date.now() - 60_000).toISOString(),
          attempts: 0,
          pendingShard: pendingShardFor('broken-1', dev.shardCount),
        },
      }),
    );
    const run = await txc(endpoint, ['start', '--wait', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.stringify(json(run))).toMatch(/"failed":1\b/);

    const failed = await txc(endpoint, ['failed', '--json']);
    expect(failed.stdout).toContain('broken-1');
    expect(failed.stdout).toContain('INVALID_RECORD: amount');

    // The operator fixes the data, then requeues it.
    await ddb.send(
      new UpdateCommand({
        TableName: served.info.tables.transactions,
        Key: { id: 'broken-1' },
        UpdateExpression: 'SET amount = :a',
        ExpressionAttributeValues: { ':a': 500 },
      }),
    );
    const requeued = await txc(endpoint, ['requeue', 'broken-1', '--reason', 'amount fixed']);
    expect(requeued.code).toBe(0);
    const item = await ddb.send(
      new GetCommand({ TableName: served.info.tables.transactions, Key: { id: 'broken-1' } }),
    );
    expect(item.Item).toMatchObject({ status: 'PENDING', attempts: 0, requeueCount: 1 });

    const rerun = await txc(endpoint, ['start', '--ids', 'broken-1', '--wait', '--json']);
    expect(rerun.code).toBe(0);
    const after = await ddb.send(
      new GetCommand({ TableName: served.info.tables.transactions, Key: { id: 'broken-1' } }),
    );
    expect(['CONFIRMED', 'REJECTED']).toContain(after.Item?.status);
    expect(after.Item?.requeueReason).toBe('amount fixed');

    const runs = await txc(endpoint, ['runs', '--json']);
    expect(runs.code).toBe(0);
    expect((runs.stdout.match(/SUCCEEDED/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it('an overlapping start ends SKIPPED naming the holder, and status shows it', async () => {
    // Hold the lock as a live run would (the lock item of the Runs table), then start.
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    await ddb.send(
      new PutCommand({
        TableName: served.info.tables.runs,
        Item: {
          pk: 'LOCK',
          sk: 'confirmation',
          runId: 'holder-run',
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:txconfirm-dev:holder',
          expiresAt,
          acquiredAt: new Date().toISOString(),
        },
      }),
    );
    const skipped = await txc(endpoint, ['start', '--name', 'overlap-1', '--wait']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/SKIPPED/);
    expect(skipped.stdout).toContain('holder-run');
    const status = await txc(endpoint, ['status', 'overlap-1']);
    expect(status.stdout).toMatch(/SKIPPED/);
    expect(status.stdout).toContain('holder-run');

    // Once the holder's lease has expired, the next run takes the lock over.
    await ddb.send(
      new UpdateCommand({
        TableName: served.info.tables.runs,
        Key: { pk: 'LOCK', sk: 'confirmation' },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
      }),
    );
    const takeover = await txc(endpoint, ['start', '--wait', '--json']);
    expect(takeover.code).toBe(0);
    expect(takeover.stdout).not.toMatch(/SKIPPED/);
  });

  it('schedule pause on an endpoint served with --no-schedule says there is no schedule', async () => {
    const r = await txc(endpoint, ['schedule', 'pause']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/schedule/i);
  });
});

describe('txc schedule against a served schedule', () => {
  it('pause and resume change the local schedule state', async () => {
    const child = spawn(process.execPath, [TXC, 'local', 'serve', '--port', '0', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const info = await new Promise<{
      stepFunctionsEndpoint: string;
      schedule: { expression: string; state: string };
    }>((resolve) =>
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]));
      }),
    );
    try {
      expect(info.schedule).toMatchObject({ expression: dev.scheduleExpression, state: 'ENABLED' });
      const paused = await txc(info.stepFunctionsEndpoint, ['schedule', 'pause', '--json']);
      expect(paused.code).toBe(0);
      expect(paused.stdout).toMatch(/DISABLED/);
      const target = (await (
        await fetch(`${info.stepFunctionsEndpoint}/txconfirm/target`)
      ).json()) as {
        schedule: { state: string };
      };
      expect(target.schedule.state).toBe('DISABLED');
      const resumed = await txc(info.stepFunctionsEndpoint, ['schedule', 'resume', '--json']);
      expect(resumed.code).toBe(0);
      const again = (await (
        await fetch(`${info.stepFunctionsEndpoint}/txconfirm/target`)
      ).json()) as {
        schedule: { state: string };
      };
      expect(again.schedule.state).toBe('ENABLED');
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
