// The data commands and the schedule against mocked AWS clients: what is sent, and how the
// responses are read. The same commands run against dynalite in store.test.ts.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { emptyTotals } from '../../lambdas/domain/totals';
import { describeStacksResponse, line, STACK_OUTPUTS, txc } from './support';

const cfn = mockClient(CloudFormationClient);
const scheduler = mockClient(SchedulerClient);
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  cfn.reset();
  scheduler.reset();
  ddb.reset();
  cfn.on(DescribeStacksCommand).resolves(describeStacksResponse());
});
afterAll(() => {
  cfn.restore();
  scheduler.restore();
  ddb.restore();
});

const NOW = new Date('2024-05-02T12:00:00.000Z');
const now = () => NOW;

describe('txc schedule', () => {
  const definition = {
    Arn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/sched',
    Name: STACK_OUTPUTS.ScheduleName,
    GroupName: 'default',
    Description: 'Starts a txconfirm run over the pending backlog',
    ScheduleExpression: 'rate(5 minutes)',
    ScheduleExpressionTimezone: 'UTC',
    State: 'ENABLED' as const,
    CreationDate: new Date('2024-01-01T00:00:00Z'),
    LastModificationDate: new Date('2024-01-02T00:00:00Z'),
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: {
      Arn: STACK_OUTPUTS.StateMachineArn,
      RoleArn: 'arn:aws:iam::123456789012:role/sched-role',
      Input: '{}',
      DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 900 },
    },
    ActionAfterCompletion: 'NONE' as const,
  };

  it('pause sends UpdateSchedule with the full definition and State DISABLED', async () => {
    scheduler.on(GetScheduleCommand).resolves(definition);
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: definition.Arn });
    const run = await txc(['schedule', 'pause']);
    expect(run.code).toBe(0);
    expect(scheduler.commandCalls(GetScheduleCommand)[0].args[0].input).toEqual({
      Name: STACK_OUTPUTS.ScheduleName,
    });
    const updates = scheduler.commandCalls(UpdateScheduleCommand);
    expect(updates).toHaveLength(1);
    // Everything the schedule had (read-only fields such as Arn and dates cannot be sent back).
    expect(updates[0].args[0].input).toEqual({
      Name: definition.Name,
      GroupName: 'default',
      Description: definition.Description,
      ScheduleExpression: 'rate(5 minutes)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: definition.Target,
      ActionAfterCompletion: 'NONE',
      State: 'DISABLED',
    });
    expect(run.out).toMatch(line('state', 'DISABLED (was ENABLED)'));
    expect(run.out).toMatch(line('expression', 'rate(5 minutes)'));
  });

  it('resume of an enabled schedule sends nothing; show only reads', async () => {
    scheduler.on(GetScheduleCommand).resolves(definition);
    const resumed = await txc(['schedule', 'resume', '--json']);
    expect(JSON.parse(resumed.out)).toMatchObject({ state: 'ENABLED', changed: false });
    const shown = await txc(['schedule']);
    expect(shown.out).toMatch(line('state', 'ENABLED'));
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });
});

describe('txc requeue', () => {
  it('sends one conditional update per id, with the audit fields and the id’s shard', async () => {
    ddb.on(UpdateCommand).callsFake((input: { Key: { id: string } }) => ({
      Attributes: {
        id: input.Key.id,
        status: 'PENDING',
        pendingShard: pendingShardFor(input.Key.id, 4),
        requeueCount: 1,
        lastErrorBeforeRequeue: 'MAX_ATTEMPTS: HTTP 503',
      },
    }));
    const run = await txc(['requeue', 'tx-1', 'tx-2', 'tx-1', '--reason', 'provider fixed'], {
      now,
    });
    expect(run.code).toBe(0);
    const inputs = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.Key)).toEqual([{ id: 'tx-1' }, { id: 'tx-2' }]);
    expect(inputs[0]).toEqual({
      TableName: STACK_OUTPUTS.TransactionsTableName,
      Key: { id: 'tx-1' },
      UpdateExpression:
        'SET #status = :pending, attempts = :zero, pendingShard = :shard, updatedAt = :now, requeuedAt = :now, ' +
        'requeueCount = if_not_exists(requeueCount, :zero) + :one, lastErrorBeforeRequeue = if_not_exists(lastError, :noError), ' +
        'requeueReason = :reason REMOVE lastError',
      ConditionExpression: '#status = :failed AND attribute_type(createdAt, :string)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pending': 'PENDING',
        ':failed': 'FAILED',
        ':zero': 0,
        ':one': 1,
        ':shard': pendingShardFor('tx-1', 4),
        ':now': NOW.toISOString(),
        ':noError': null,
        ':string': 'S',
        ':reason': 'provider fixed',
      },
      ReturnValues: 'ALL_NEW',
    });
    // Without --reason, an older reason is removed rather than left to describe this requeue.
    await txc(['requeue', 'tx-3'], { now });
    const third = ddb.commandCalls(UpdateCommand)[2].args[0].input;
    expect(third.UpdateExpression).toMatch(/ REMOVE lastError, requeueReason$/);
    expect(third.ExpressionAttributeValues).not.toHaveProperty(':reason');
    expect(run.out).toContain('requeued 2, skipped 0, errors 0');
  });

  it('a lost condition is a skip reported with the item’s status; other failures exit 1', async () => {
    const conditionFailed = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
    });
    ddb.on(UpdateCommand, { Key: { id: 'done' } }).rejects(conditionFailed);
    ddb.on(UpdateCommand, { Key: { id: 'gone' } }).rejects(conditionFailed);
    ddb
      .on(UpdateCommand, { Key: { id: 'boom' } })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    ddb.on(GetCommand, { Key: { id: 'done' } }).resolves({
      Item: { id: 'done', status: 'CONFIRMED', createdAt: '2024-05-01T00:00:00.000Z' },
    });
    ddb.on(GetCommand, { Key: { id: 'gone' } }).resolves({});
    const run = await txc(['requeue', 'done', 'gone', 'boom', '--json'], { now });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.out)).toEqual({
      requeued: [],
      skipped: [
        { id: 'done', status: 'CONFIRMED', reason: 'not FAILED (CONFIRMED): left untouched' },
        { id: 'gone', status: null, reason: 'no such transaction' },
      ],
      errors: [{ id: 'boom', error: 'ThrottlingException: Rate exceeded' }],
    });
    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toMatchObject({ ConsistentRead: true });
  });

  it.each([
    [
      ['requeue', 'ok', 'bad id', 'a/b'],
      'UsageError: invalid transaction ids "bad id", "a/b": each must match',
    ],
    [['requeue'], 'UsageError: pass the transaction ids to requeue, or --all-failed'],
    [
      ['requeue', 'x', '--all-failed'],
      'UsageError: pass transaction ids or --all-failed, not both',
    ],
    [['requeue', 'x', '--reason', ' '], 'UsageError: --reason must be 1..500 characters'],
  ])('%j is a usage error (exit 2), nothing resolved or sent', async (argv, message) => {
    const run = await txc(argv);
    expect(run.code).toBe(2);
    expect(run.err.startsWith(message)).toBe(true);
    expect(cfn.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('--all-failed scans every page for FAILED ids and requeues each', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ id: 'f1' }], LastEvaluatedKey: { id: 'f1' } })
      .resolvesOnce({ Items: [{ id: 'f2' }, { id: 'f3' }] });
    ddb.on(UpdateCommand).resolves({ Attributes: { pendingShard: '01', requeueCount: 1 } });
    const run = await txc(['requeue', '--all-failed', '--json'], { now });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out).requeued.map((r: { id: string }) => r.id)).toEqual([
      'f1',
      'f2',
      'f3',
    ]);
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans[0]).toMatchObject({
      FilterExpression: '#status = :failed',
      ExpressionAttributeValues: { ':failed': 'FAILED' },
    });
    expect(scans[1].ExclusiveStartKey).toEqual({ id: 'f1' });
  });
});

describe('txc runs', () => {
  it('queries the RUN partition newest first, pages up to --limit, and tabulates totals', async () => {
    const record = (runId: string, status: string, extra: Record<string, unknown> = {}) => ({
      pk: 'RUN',
      sk: runId,
      runId,
      status,
      startedAt: '2024-05-02T11:00:00.000Z',
      finishedAt: '2024-05-02T11:01:30.000Z',
      executionArn: `arn:x:${runId}`,
      dryRun: false,
      totals: { ...emptyTotals(), fetched: 10, confirmed: 7, rejected: 2, failed: 1 },
      ...extra,
    });
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [record('20240502T110500Z-b', 'SUCCEEDED')],
        LastEvaluatedKey: { pk: 'RUN', sk: '20240502T110500Z-b' },
      })
      .resolvesOnce({
        Items: [
          record('20240502T110000Z-a', 'SKIPPED', {
            holder: { runId: '20240502T105500Z-z', executionArn: 'x', expiresAt: 'y' },
          }),
        ],
      });
    // A wide terminal: each row on one line.
    const run = await txc(['runs', '--limit', '3'], { now, columns: 200 });
    expect(run.code).toBe(0);
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toEqual({
      TableName: STACK_OUTPUTS.RunsTableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'RUN' },
      ScanIndexForward: false,
      Limit: 3,
    });
    expect(queries[1]).toMatchObject({
      Limit: 2,
      ExclusiveStartKey: { pk: 'RUN', sk: '20240502T110500Z-b' },
    });
    const lines = run.out.split('\n');
    const b = lines.findIndex((l) => l.includes('20240502T110500Z-b'));
    const a = lines.findIndex((l) => l.includes('20240502T110000Z-a'));
    expect(b).toBeGreaterThan(0);
    expect(a).toBeGreaterThan(b);
    expect(lines[b]).toMatch(
      /│ SUCCEEDED +│ 1m 30s +│ fetched 10, confirmed 7, rejected 2, failed 1 +│$/,
    );
    // The note goes under the totals, in the same cell.
    expect(lines[a + 1]).toMatch(/│ +│ +│ +│ lock held by 20240502T105500Z-z +│$/);
  });

  it('--limit out of range is a usage error naming the flag', async () => {
    const run = await txc(['runs', '--limit', '0']);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--limit must be an integer 1..1000, got "0"');
  });
});

describe('txc pending', () => {
  it('counts each shard with Select COUNT across pages and finds the oldest per shard and overall', async () => {
    const counts: Record<string, number[]> = { '00': [1000, 234], '01': [0], '02': [5], '03': [1] };
    const oldest: Record<string, string> = {
      '00': '2024-05-02T11:00:00.000Z',
      '02': '2024-05-02T09:30:00.000Z',
      '03': '2024-05-02T11:59:00.000Z',
    };
    const served: Record<string, number> = {};
    const queries: Record<string, unknown>[] = [];
    ddb.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
      // Copied as sent: the paginator sends one input object for every page of a shard and sets
      // the next page's key on it, so the recorded commands would all show the last key.
      queries.push({ ...input });
      const shard = (input.ExpressionAttributeValues as Record<string, string>)[':shard'];
      if (input.Select === 'COUNT') {
        const page = served[shard] ?? 0;
        served[shard] = page + 1;
        const last = page === counts[shard].length - 1;
        return {
          Count: counts[shard][page],
          ...(last ? {} : { LastEvaluatedKey: { id: `k${page}`, pendingShard: shard } }),
        };
      }
      return { Items: [{ id: `oldest-${shard}`, pendingShard: shard, createdAt: oldest[shard] }] };
    });

    const run = await txc(['pending', '--json'], { now });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      shards: [
        { shard: '00', count: 1234, oldestCreatedAt: oldest['00'], oldestId: 'oldest-00' },
        { shard: '01', count: 0, oldestCreatedAt: null, oldestId: null },
        { shard: '02', count: 5, oldestCreatedAt: oldest['02'], oldestId: 'oldest-02' },
        { shard: '03', count: 1, oldestCreatedAt: oldest['03'], oldestId: 'oldest-03' },
      ],
      total: 1240,
      oldestCreatedAt: oldest['02'],
      oldestId: 'oldest-02',
      oldestAgeMs: 2.5 * 3600 * 1000,
    });
    expect(queries.find((q) => q.Select === 'COUNT')).toMatchObject({
      TableName: STACK_OUTPUTS.TransactionsTableName,
      IndexName: 'pending-by-shard',
      KeyConditionExpression: 'pendingShard = :shard',
    });
    expect(queries.find((q) => q.Limit === 1)).toMatchObject({ ScanIndexForward: true });
    // The second page of shard 00 continues where the first stopped.
    expect(queries.filter((q) => q.ExclusiveStartKey !== undefined)).toEqual([
      expect.objectContaining({ ExclusiveStartKey: { id: 'k0', pendingShard: '00' } }),
    ]);

    for (const shard of Object.keys(served)) delete served[shard];
    const human = await txc(['pending'], { now });
    expect(human.out).toMatch(/│ all +│ 1240 +│ 2024-05-02T09:30:00.000Z │ 2h 30m │/);
    expect(human.out).toContain('oldest pending transaction: oldest-02');
  });
});

describe('txc failed', () => {
  it('scans with the FAILED filter across pages, stops at --limit and says more exist', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [
          {
            id: 'f1',
            lastError: 'MAX_ATTEMPTS: HTTP 503',
            attempts: 5,
            updatedAt: '2024-05-02T10:00:00.000Z',
          },
        ],
        LastEvaluatedKey: { id: 'f1' },
      })
      .resolvesOnce({
        Items: [
          {
            id: 'f2',
            lastError: 'INVALID_RECORD: amount: is missing',
            attempts: 0,
            updatedAt: '2024-05-02T11:00:00.000Z',
            requeueCount: 2,
          },
          { id: 'f3', lastError: 'x', attempts: 1, updatedAt: '2024-05-02T09:00:00.000Z' },
        ],
        LastEvaluatedKey: { id: 'f3' },
      });
    const run = await txc(['failed', '--limit', '2', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      items: [
        {
          id: 'f2',
          lastError: 'INVALID_RECORD: amount: is missing',
          attempts: 0,
          createdAt: null,
          updatedAt: '2024-05-02T11:00:00.000Z',
          requeueCount: 2,
        },
        {
          id: 'f1',
          lastError: 'MAX_ATTEMPTS: HTTP 503',
          attempts: 5,
          createdAt: null,
          updatedAt: '2024-05-02T10:00:00.000Z',
          requeueCount: null,
        },
      ],
      truncated: true,
    });
    expect(ddb.commandCalls(ScanCommand)[0].args[0].input).toMatchObject({
      TableName: STACK_OUTPUTS.TransactionsTableName,
      FilterExpression: '#status = :failed',
    });
    ddb.reset();
    ddb.on(ScanCommand).resolves({ Items: [] });
    const none = await txc(['failed']);
    expect(none.out).toBe('no FAILED transactions\n');
  });
});
