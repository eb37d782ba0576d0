// Every command's human output fits the terminal: rendered at 80 columns (what a pipe or a file
// gets) and at 120, with data that pushes the widths — UUID execution names, 128-character ids,
// long errors, 64 shards, 300 requeued ids — no line is longer than the width. Long lists are
// summarised unless --verbose.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { emptyTotals } from '../../lambdas/domain/totals';
import { describeStacksResponse, executionArn, overlong, STACK_OUTPUTS, txc } from './support';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);
const scheduler = mockClient(SchedulerClient);
const mocks = [cfn, sfn, ddb, scheduler];
afterAll(() => mocks.forEach((m) => m.restore()));

const NOW = new Date('2024-05-02T12:00:00.000Z');
const now = () => NOW;
const uuid = (i: number) => `2629f053-a389-4dfb-8d78-${String(i).padStart(12, '0')}`;
const LONG_ID = `tx-${'a'.repeat(125)}`;
const LONG_ERROR =
  'ProviderUnavailable: the payment provider did not answer 5 calls in a row (ECONNREFUSED 203.0.113.10:443); the circuit breaker opened at 2024-05-02T11:58:00Z and retries at 2024-05-02T12:03:00Z';
const HOLDER = {
  runId: `20240502T115500Z-${uuid(99)}`,
  executionArn: executionArn(uuid(99)),
  expiresAt: '2024-05-02T12:05:00.000Z',
};

function runRecord(i: number): Record<string, unknown> {
  const status = ['SUCCEEDED', 'FAILED', 'SKIPPED', 'RUNNING'][i % 4];
  return {
    pk: 'RUN',
    sk: `20240502T1${String(i).padStart(5, '0')}Z-${uuid(i)}`,
    runId: `20240502T1${String(i).padStart(5, '0')}Z-${uuid(i)}`,
    status,
    startedAt: '2024-05-02T10:00:00.000Z',
    ...(status === 'RUNNING' ? {} : { finishedAt: '2024-05-02T11:23:45.000Z' }),
    executionArn: executionArn(uuid(i)),
    dryRun: i % 5 === 0,
    totals: {
      ...emptyTotals(),
      pages: 12,
      fetched: 1_000_000,
      confirmed: 987_654,
      rejected: 10_000,
      failed: 2_000,
      deferred: 246,
      skipped: 100,
      unavailable: 1_000_000,
      wouldProcess: i % 5 === 0 ? 1_000_000 : 0,
      failedBatches: 3,
    },
    ...(status === 'FAILED' ? { error: LONG_ERROR } : {}),
    ...(status === 'SKIPPED' ? { holder: HOLDER } : {}),
  };
}

const summaryOutput = (name: string) =>
  JSON.stringify({
    runId: `20240502T115900Z-${name}`,
    status: 'SUCCEEDED',
    startedAt: '2024-05-02T11:59:00.000Z',
    finishedAt: '2024-05-02T12:00:00.000Z',
    durationMs: 61_000,
    dryRun: false,
    totals: runRecord(1).totals,
    error: LONG_ERROR,
  });

beforeEach(() => {
  mocks.forEach((m) => m.reset());
  cfn
    .on(DescribeStacksCommand)
    .resolves(describeStacksResponse({ ...STACK_OUTPUTS, PendingShardCount: '64' }));
  sfn.on(StartExecutionCommand).callsFake((input: { name?: string }) => ({
    executionArn: executionArn(input.name ?? uuid(1)),
    startDate: NOW,
  }));
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const name = input.executionArn.split(':').pop() ?? '';
    const base = { executionArn: input.executionArn, name, startDate: NOW, input: '{}' };
    if (name.startsWith('skipped')) {
      return {
        ...base,
        status: 'SUCCEEDED',
        output: JSON.stringify({ status: 'SKIPPED', holder: HOLDER }),
      };
    }
    if (name.startsWith('failed')) {
      return {
        ...base,
        status: 'FAILED',
        stopDate: NOW,
        error: 'ProviderUnavailable',
        cause: LONG_ERROR,
      };
    }
    if (name.startsWith('running')) return { ...base, status: 'RUNNING' };
    return { ...base, status: 'SUCCEEDED', stopDate: NOW, output: summaryOutput(name) };
  });
  sfn.on(ListMapRunsCommand).resolves({
    mapRuns: [{ executionArn: 'x', mapRunArn: 'arn:map:1', stateMachineArn: 'x', startDate: NOW }],
  });
  sfn.on(DescribeMapRunCommand).resolves({
    status: 'RUNNING',
    itemCounts: {
      pending: 100_000,
      running: 100_000,
      succeeded: 700_000,
      failed: 100_000,
      timedOut: 0,
      aborted: 0,
      total: 1_000_000,
      resultsWritten: 0,
    },
  });
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: 'LOCK', sk: 'confirmation' } }).resolves({
    Item: { pk: 'LOCK', sk: 'confirmation', ...HOLDER, acquiredAt: '2024-05-02T11:55:00.000Z' },
  });
  ddb
    .on(GetCommand, { TableName: STACK_OUTPUTS.RunsTableName })
    .callsFake((input) =>
      input.Key.pk === 'LOCK'
        ? { Item: { ...HOLDER, acquiredAt: '2024-05-02T11:55:00.000Z' } }
        : { Item: { ...runRecord(1), status: 'FAILED', error: LONG_ERROR } },
    );
  ddb.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
    if (input.IndexName === undefined)
      return { Items: Array.from({ length: 20 }, (_, i) => runRecord(i)) };
    const shard = (input.ExpressionAttributeValues as Record<string, string>)[':shard'];
    const n = Number(shard);
    if (input.Select === 'COUNT') return { Count: n % 3 === 0 ? 0 : 1000 * n };
    return {
      Items: [{ id: `${LONG_ID}-${n}`, createdAt: `2024-0${1 + (n % 5)}-01T00:00:00.000Z` }],
    };
  });
  ddb.on(ScanCommand).resolves({
    Items: Array.from({ length: 300 }, (_, i) => ({
      id: i % 7 === 0 ? `${LONG_ID.slice(0, 120)}-${i}` : `tx-${uuid(i)}`,
      lastError: i % 2 === 0 ? LONG_ERROR : `MAX_ATTEMPTS: HTTP 503 after 5 attempts (${i})`,
      attempts: 5,
      updatedAt: '2024-05-02T11:00:00.000Z',
      requeueCount: i % 3,
    })),
  });
  ddb.on(UpdateCommand).callsFake((input: { Key: { id: string } }) => {
    if (input.Key.id.endsWith('7')) {
      throw Object.assign(new Error('Rate exceeded for this table'), {
        name: 'ThrottlingException',
      });
    }
    if (input.Key.id.endsWith('3')) {
      throw Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      });
    }
    return {
      Attributes: { pendingShard: '07', requeueCount: 2, lastErrorBeforeRequeue: LONG_ERROR },
    };
  });
  ddb.on(BatchGetCommand).resolves({ Responses: {} });
  scheduler.on(GetScheduleCommand).resolves({
    Name: `${STACK_OUTPUTS.ScheduleName}-with-a-rather-long-generated-suffix-ABCDEFGHIJ`,
    ScheduleExpression: 'cron(0/5 * * * ? *)',
    State: 'ENABLED',
  });
});

const FLAGS = ['--stage', 'production-eu', '--region', 'eu-west-1', '--profile', 'operations'];
const ids = (n: number) => Array.from({ length: n }, (_, i) => `tx-${uuid(i)}`);

const COMMANDS: [string, string[]][] = [
  ['runs', ['runs']],
  ['status of a running execution', ['status', `running-${uuid(3)}`]],
  ['status of a failed execution', ['status', `failed-${uuid(4)}`]],
  ['status of a skipped execution', ['status', `skipped-${uuid(5)}`]],
  ['failed (a summary)', ['failed']],
  ['failed --verbose', ['failed', '--verbose', '--limit', '40']],
  ['failed, a few', ['failed', '--limit', '5']],
  ['pending (64 shards: a summary)', ['pending']],
  ['pending --verbose', ['pending', '--verbose']],
  ['requeue --all-failed (a summary)', ['requeue', '--all-failed', '--reason', 'provider back']],
  ['requeue --all-failed --verbose', ['requeue', '--all-failed', '--verbose']],
  ['requeue of a few ids', ['requeue', LONG_ID, 'tx-3', 'tx-7', 'tx-1']],
  ['start', ['start', '--ids', ids(1000).join(','), '--dry-run']],
  ['start --wait', ['start', '--wait', '--ids', ids(30).join(',')]],
  ['start --wait, skipped', ['start', '--wait', '--name', `skipped-${uuid(6)}`]],
  ['start --wait, failed', ['start', '--wait', '--name', `failed-${uuid(7)}`]],
  ['schedule', ['schedule']],
];

describe.each([80, 120])('at %i columns', (columns) => {
  it.each(COMMANDS)('%s: no line is longer', async (_name, argv) => {
    const r = await txc([...argv, ...FLAGS], { now, columns });
    expect(r.code).not.toBe(2);
    expect(r.out.length).toBeGreaterThan(0);
    expect({ out: overlong(r.out, columns), err: overlong(r.err, columns) }).toEqual({
      out: [],
      err: [],
    });
  });
});

describe('long lists are summarised', () => {
  it('requeue --all-failed: counts per outcome and the first ids; --verbose a row per id', async () => {
    const summary = await txc(['requeue', '--all-failed'], { now });
    expect(summary.code).toBe(1);
    const lines = summary.out.split('\n');
    expect(lines.length).toBeLessThan(40);
    expect(summary.out).toMatch(/│ REQUEUED +│ 240 +│ tx-2629f053-a389-4dfb-8d78-000000000001 │/);
    expect(summary.out).toContain('requeued 240, skipped 30, errors 30\n');
    expect(summary.out).toContain('(--verbose lists every id; --json is for scripts)');
    const verbose = await txc(['requeue', '--all-failed', '--verbose'], { now });
    expect(verbose.out.split('\n').length).toBeGreaterThan(300);
    const asJson = JSON.parse((await txc(['requeue', '--all-failed', '--json'], { now })).out);
    expect(asJson.requeued).toHaveLength(240);
  });

  it('failed: beyond a screenful, a row per kind of error; --verbose every one', async () => {
    const summary = await txc(['failed'], { now });
    expect(summary.out).toMatch(/│ MAX_ATTEMPTS +│ 50 +│/);
    expect(summary.out).toMatch(/│ ProviderUnavailable +│ 50 +│/);
    expect(summary.out).toContain('100 FAILED transaction(s) shown; more exist (--limit 100), by');
    expect(summary.out).toContain('npm run txc -- failed --verbose --stage dev\n');
    const verbose = await txc(['failed', '--verbose', '--limit', '30'], { now });
    expect(verbose.out).toContain('30 FAILED transaction(s) shown; more exist (--limit 30)');
    // A row per transaction (each row's first line starts with its id).
    expect(verbose.out.match(/^│ tx-/gm)?.length).toBe(30);
  });

  it('pending: beyond a screenful of shards, those with the oldest items', async () => {
    const summary = await txc(['pending'], { now });
    expect(summary.out).toContain('10 of 64 shards shown, those with the oldest items (22 empty)');
    expect(summary.out).toMatch(/│ all +│ 1323000 +│ 2024-01-01T00:00:00.000Z/);
    const verbose = await txc(['pending', '--verbose'], { now });
    expect(verbose.out).toMatch(/│ 63 +│ 0 +│ - +│ - +│/);
  });
});
