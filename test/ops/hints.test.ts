// Every next-step command txc prints works when pasted: each one is executed as printed (parsed as a
// POSIX shell would, `npm run txc --` stripped) in a fresh environment, and must reach the target
// the printing command acted on — a stack through mocked AWS clients, or a local endpoint backed by
// dynalite. One hint is pasted into a real shell (`sh -c`) as well. Also: the target rule
// ($TXC_ENDPOINT implies --local; explicit stack flags win) and the missing-ids warning of `start`.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoRunStore } from '../../lambdas/adapters/dynamo-run-store';
import { emptyTotals } from '../../lambdas/domain/totals';
import type { NetworkProbe } from '../../ops/doctor/probes';
import { resolveTarget, type Target, type TargetOptions } from '../../ops/target';
import { localServeCommand, selectTarget, txcCommand } from '../../ops/target-spec';
import { pendingTransaction, putTransactions, TEST_SHARD_COUNT } from '../support/fixtures';
import { startStore, type Store } from '../support/store';
import {
  describeStacksResponse,
  executionArn,
  fakeLocalEndpoint,
  printedCommands,
  shellArgv,
  STACK_OUTPUTS,
  txc,
} from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const NOW = new Date('2024-05-02T12:00:00.000Z');
const now = () => NOW;

/** Where a command went: the target's label, and for a stack the region and profile of its clients. */
interface Reached {
  label: string;
  region?: string;
  profile?: string;
}

const reachedOf = (t: Target): Reached => ({
  label: t.label,
  ...(t.aws === undefined
    ? {}
    : {
        region: t.aws.clientConfig.region,
        ...(t.aws.clientConfig.profile === undefined
          ? {}
          : { profile: t.aws.clientConfig.profile }),
      }),
});

/** `txc <argv>` in `env`, recording the target it resolves. */
async function run(argv: string[], env: NodeJS.ProcessEnv, columns?: number) {
  const reached: Reached[] = [];
  const result = await txc(argv, {
    env,
    now,
    probe,
    ...(columns === undefined ? {} : { columns }),
    resolveTarget: async (options: TargetOptions) => {
      const target = await resolveTarget(options, { env });
      reached.push(reachedOf(target));
      return target;
    },
  });
  return { ...result, reached };
}

/** `npm run txc -- local serve …` starts an endpoint rather than acting on one: not a target hint. */
const targetCommands = (text: string) =>
  printedCommands(text).filter((c) => shellArgv(c)[0] !== 'local');

/**
 * Runs `argv` in `env`, then every command it printed in `pasteEnv` (a fresh terminal): each must
 * be a valid command (not exit 2) that reaches the same target. Returns the commands.
 */
async function hintsReachTheSameTarget(
  argv: string[],
  env: NodeJS.ProcessEnv,
  pasteEnv: NodeJS.ProcessEnv = {},
): Promise<string[]> {
  const first = await run(argv, env);
  expect(first.reached).toHaveLength(1);
  const commands = targetCommands(first.out + first.err);
  for (const command of commands) {
    const pasted = await run(shellArgv(command), pasteEnv);
    if (pasted.code === 2 || pasted.reached.length !== 1) {
      throw new Error(`${command}\nexit ${pasted.code}: ${pasted.err}`);
    }
    expect({ command, reached: pasted.reached[0] }).toEqual({
      command,
      reached: first.reached[0],
    });
  }
  return commands;
}

const probe: NetworkProbe = {
  tls: async () => ({
    address: '203.0.113.10',
    protocol: 'TLSv1.3',
    validTo: new Date('2025-01-01T00:00:00Z'),
    ms: 5,
  }),
  tcp: async () => ({ address: '127.0.0.1', ms: 1 }),
};

describe('the target rule', () => {
  const env = { TXC_ENDPOINT: 'http://127.0.0.1:8084/' };

  it.each([
    [{}, {}, { kind: 'aws', stage: 'dev' }],
    [{}, env, { kind: 'local', endpoint: 'http://127.0.0.1:8084' }],
    [{ local: true }, {}, { kind: 'local', endpoint: 'http://127.0.0.1:8083' }],
    [{ local: true }, env, { kind: 'local', endpoint: 'http://127.0.0.1:8084' }],
    [
      { endpoint: 'http://127.0.0.1:9000' },
      env,
      { kind: 'local', endpoint: 'http://127.0.0.1:9000' },
    ],
    [{ stage: 'prod' }, env, { kind: 'aws', stage: 'prod' }],
    [{ region: 'eu-west-1' }, env, { kind: 'aws', stage: 'dev', region: 'eu-west-1' }],
  ])('%j with %j selects %j', (options, environment, spec) => {
    expect(selectTarget(options, environment).spec).toEqual(spec);
  });

  it('explicit stack flags win over TXC_ENDPOINT, with a one-line note', () => {
    expect(selectTarget({ stage: 'prod' }, env).note).toBe(
      'note: --stage given, so TXC_ENDPOINT=http://127.0.0.1:8084/ is ignored: acting on stack Txconfirm-prod',
    );
    expect(selectTarget({ stage: 'prod' }, {}).note).toBeUndefined();
  });

  it('a TXC_ENDPOINT that is not a URL is a usage error when it would be used (exit 2)', async () => {
    const bad = await txc(['runs'], { env: { TXC_ENDPOINT: 'localhost:8083' } });
    expect(bad).toMatchObject({ code: 2, out: '' });
    expect(bad.err).toBe(
      'UsageError: TXC_ENDPOINT must be an http(s) URL, got "localhost:8083" — fix or unset it\n',
    );
  });

  it('the hint flags: --local alone only for the default endpoint, --stage always', () => {
    expect(txcCommand('pending', { kind: 'local', endpoint: 'http://127.0.0.1:8083' })).toBe(
      'npm run txc -- pending --local',
    );
    expect(txcCommand('pending', { kind: 'local', endpoint: 'http://127.0.0.1:8084' })).toBe(
      'npm run txc -- pending --local --endpoint http://127.0.0.1:8084',
    );
    expect(txcCommand(['status', 'x'], { kind: 'aws', stage: 'dev' })).toBe(
      'npm run txc -- status x --stage dev',
    );
    expect(
      txcCommand('failed', { kind: 'aws', stage: 'prod', region: 'eu-west-1', profile: "o'ps 1" }),
    ).toBe(`npm run txc -- failed --stage prod --region eu-west-1 --profile 'o'\\''ps 1'`);
  });
});

describe('the command that starts an endpoint where one was expected', () => {
  it.each([
    ['http://127.0.0.1:8083', 'npm run txc -- local serve'],
    ['http://127.0.0.1:8084', 'npm run txc -- local serve --port 8084'],
    ['http://localhost:9000', 'npm run txc -- local serve --port 9000'],
    ['https://txc.example.internal', 'npm run txc -- local serve'],
  ])('%s: %s', (endpoint, command) => {
    expect(localServeCommand(endpoint)).toBe(command);
  });
});

describe('hints on a stack (mocked AWS)', () => {
  const cfn = mockClient(CloudFormationClient);
  const sfn = mockClient(SFNClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const scheduler = mockClient(SchedulerClient);
  const secrets = mockClient(SecretsManagerClient);
  const sns = mockClient(SNSClient);
  const sqs = mockClient(SQSClient);
  const mocks = [cfn, sfn, ddb, scheduler, secrets, sns, sqs];
  afterAll(() => mocks.forEach((m) => m.restore()));

  const OUTPUTS = {
    ...STACK_OUTPUTS,
    PendingShardCount: '24',
    ProviderSecretId: 'txconfirm/dev/provider-api-key',
    ProviderBaseUrl: 'https://api.provider.example/v1',
    ProviderTimeoutMs: '8000',
    AlarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
    ScheduleDeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/a',
    ReleaseLockDeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/b',
    OldestPendingAgeSloSeconds: '900',
  };
  const summary = (name: string, failed: number) =>
    JSON.stringify({
      runId: `20240502T110000Z-${name}`,
      status: 'SUCCEEDED',
      startedAt: '2024-05-02T11:00:00.000Z',
      finishedAt: '2024-05-02T11:01:00.000Z',
      durationMs: 60_000,
      dryRun: false,
      totals: { ...emptyTotals(), fetched: 10 + failed, confirmed: 10, failed },
    });
  const HOLDER = {
    runId: '20240502T100000Z-sched',
    executionArn: executionArn('sched'),
    expiresAt: '2024-05-02T10:30:00.000Z',
  };

  beforeEach(() => {
    mocks.forEach((m) => m.reset());
    cfn.on(DescribeStacksCommand).resolves(describeStacksResponse(OUTPUTS));
    sfn.on(StartExecutionCommand).callsFake((input: { name?: string }) => ({
      executionArn: executionArn(input.name ?? 'hint-run'),
      startDate: NOW,
    }));
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      const name = input.executionArn.split(':').pop() ?? '';
      const base = { executionArn: input.executionArn, name, startDate: NOW, input: '{}' };
      switch (name) {
        case 'skipped-run':
          return {
            ...base,
            status: 'SUCCEEDED',
            output: JSON.stringify({ status: 'SKIPPED', holder: HOLDER }),
          };
        case 'failed-run':
          return { ...base, status: 'FAILED', error: 'ProviderUnavailable', cause: 'down' };
        case 'running-run':
          return { ...base, status: 'RUNNING' };
        case 'handover-run':
          return {
            ...base,
            status: 'SUCCEEDED',
            output: JSON.stringify({ nextExecutionArn: executionArn('handover-next') }),
          };
        default:
          return {
            ...base,
            status: 'SUCCEEDED',
            output: summary(name, name === 'hint-run' ? 2 : 0),
          };
      }
    });
    sfn.on(ListMapRunsCommand).resolves({ mapRuns: [] });
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: 'LOCK', sk: 'confirmation' } }).resolves({
      Item: { pk: 'LOCK', sk: 'confirmation', ...HOLDER, acquiredAt: HOLDER.expiresAt },
    });
    ddb.on(ScanCommand).resolves({
      Items: Array.from({ length: 25 }, (_, i) => ({
        id: `f-${i}`,
        lastError: 'MAX_ATTEMPTS: HTTP 503',
        attempts: 5,
        updatedAt: '2024-05-02T11:00:00.000Z',
      })),
    });
    ddb.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
      if (input.IndexName === undefined) {
        return {
          Items: [
            {
              pk: 'RUN',
              sk: '20240502T110000Z-hint-run',
              runId: '20240502T110000Z-hint-run',
              status: 'SUCCEEDED',
              startedAt: '2024-05-02T11:00:00.000Z',
              finishedAt: '2024-05-02T11:01:00.000Z',
              executionArn: executionArn('hint-run'),
              dryRun: false,
              totals: { ...emptyTotals(), fetched: 12, confirmed: 10, failed: 2 },
            },
          ],
        };
      }
      const shard = (input.ExpressionAttributeValues as Record<string, string>)[':shard'];
      if (input.Select === 'COUNT') return { Count: shard === '00' ? 3 : 0 };
      return {
        Items: shard === '00' ? [{ id: 'old-1', createdAt: '2024-05-02T09:00:00.000Z' }] : [],
      };
    });
    ddb.on(UpdateCommand).resolves({ Attributes: { pendingShard: '00', requeueCount: 1 } });
    ddb.on(BatchGetCommand).resolves({ Responses: {} });
    scheduler.on(GetScheduleCommand).resolves({
      Name: STACK_OUTPUTS.ScheduleName,
      ScheduleExpression: 'rate(5 minutes)',
      State: 'DISABLED',
    });
    scheduler.on(UpdateScheduleCommand).resolves({});
    secrets.on(DescribeSecretCommand).resolves({
      Name: OUTPUTS.ProviderSecretId,
      VersionIdsToStages: { v1: ['AWSCURRENT'] },
    });
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
    });
  });

  const COMMANDS: string[][] = [
    ['start'],
    ['start', '--wait'],
    ['start', '--wait', '--name', 'skipped-run'],
    ['start', '--wait', '--name', 'failed-run'],
    ['start', '--ids', 'a,b', '--wait'],
    ['status', 'running-run'],
    ['status', 'handover-run'],
    ['status', 'failed-run'],
    ['failed'],
    ['failed', '--limit', '30'],
    ['requeue', 'f-1', 'f-2'],
    ['runs'],
    ['pending'],
    ['doctor'],
  ];

  it.each([
    ['no target flag', [], {}],
    [
      '--stage, --region and a --profile that needs quoting',
      ['--stage', 'prod', '--region', 'eu-west-1', '--profile', 'ops team'],
      {},
    ],
    [
      '--stage with TXC_ENDPOINT set (ignored)',
      ['--stage', 'prod'],
      { TXC_ENDPOINT: 'http://127.0.0.1:9' },
    ],
  ])('%s: every printed command reaches the same stack', async (_name, flags, env) => {
    const printed: string[] = [];
    for (const argv of COMMANDS) {
      printed.push(...(await hintsReachTheSameTarget([...argv, ...flags], env, env)));
    }
    // Each kind of hint was printed, and every one names its stack.
    const kinds = new Set(printed.map((c) => shellArgv(c).slice(0, 2).join(' ')));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'status hint-run',
        'status sched',
        'status failed-run',
        'status running-run',
        'status handover-next',
        'failed --verbose',
        'failed --stage',
        'requeue --all-failed',
        'requeue f-0',
        'start --wait',
        'pending --verbose',
        'doctor --stage',
        'schedule resume',
      ]),
    );
    for (const command of printed) expect(shellArgv(command)).toContain('--stage');
  });

  it('TXC_ENDPOINT set and no flags: the local endpoint, not the stack', async () => {
    const endpoint = await fakeLocalEndpoint(null);
    try {
      const r = await run(['start'], { TXC_ENDPOINT: endpoint.url });
      expect(r.code).toBe(0);
      expect(r.reached).toEqual([{ label: `local endpoint ${endpoint.url}` }]);
      expect(cfn.calls()).toHaveLength(0);
    } finally {
      await endpoint.close();
    }
  });

  it('--stage with TXC_ENDPOINT set: the stack, and the note on stderr', async () => {
    const r = await run(['runs', '--stage', 'prod'], { TXC_ENDPOINT: 'http://127.0.0.1:9' });
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      'note: --stage given, so TXC_ENDPOINT=http://127.0.0.1:9 is ignored: acting on stack Txconfirm-prod\n',
    );
    expect(r.reached[0].label).toMatch(/^stack Txconfirm-prod /);
  });
});

describe('txc start --ids: ids that do not exist are named', () => {
  const cfn = mockClient(CloudFormationClient);
  const sfn = mockClient(SFNClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  beforeEach(() => {
    [cfn, sfn, ddb].forEach((m) => m.reset());
    cfn.on(DescribeStacksCommand).resolves(describeStacksResponse());
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn('ids-1'), startDate: NOW });
  });
  afterAll(() => [cfn, sfn, ddb].forEach((m) => m.restore()));

  it('checks them with BatchGetItem before starting, warns, and still starts', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [STACK_OUTPUTS.TransactionsTableName]: [
          { id: 'c', status: 'PENDING' },
          { id: 'd', status: 'CONFIRMED' },
        ],
      },
    });
    const r = await txc(['start', '--ids', 'a,b,c,d'], { now });
    expect(r.code).toBe(0);
    expect(ddb.commandCalls(BatchGetCommand)[0].args[0].input).toEqual({
      RequestItems: {
        [STACK_OUTPUTS.TransactionsTableName]: {
          Keys: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }],
          ProjectionExpression: 'id, #status',
          ExpressionAttributeNames: { '#status': 'status' },
        },
      },
    });
    expect(r.err).toBe(
      'warning: 2 of 4 ids do not exist: a, b (a run counts them as skipped)\n' +
        'warning: 1 of 4 ids is not PENDING: d (CONFIRMED) (a run skips it)\n',
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    const asJson = await txc(['start', '--ids', 'a,b,c,d', '--json'], { now });
    expect(JSON.parse(asJson.out)).toMatchObject({
      missingIds: ['a', 'b'],
      notPending: [{ id: 'd', status: 'CONFIRMED' }],
    });
  });

  it('--wait: the summary says the skipped ones were missing', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: {} });
    ddb.on(GetCommand).resolves({});
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: executionArn('ids-1'),
      status: 'SUCCEEDED',
      startDate: NOW,
      output: JSON.stringify({
        runId: '20240502T120000Z-ids-1',
        status: 'SUCCEEDED',
        startedAt: NOW.toISOString(),
        finishedAt: NOW.toISOString(),
        durationMs: 900,
        dryRun: false,
        totals: { ...emptyTotals(), pages: 1, fetched: 2, skipped: 2 },
      }),
    });
    const r = await txc(['start', '--ids', 'a,b', '--wait'], { now });
    expect(r.code).toBe(0);
    expect(r.err).toContain('warning: 2 of 2 ids do not exist: a, b');
    expect(r.out).toMatch(/^skipped: +2$/m);
    expect(r.out).toContain('note: 2 of 2 ids do not exist: a, b (a run counts them as skipped)\n');
  });

  it('unprocessed keys are asked again; a check that fails never blocks the run', async () => {
    const table = STACK_OUTPUTS.TransactionsTableName;
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [table]: [{ id: 'a', status: 'PENDING' }] },
        UnprocessedKeys: { [table]: { Keys: [{ id: 'b' }] } },
      })
      .resolvesOnce({ Responses: { [table]: [{ id: 'b', status: 'PENDING' }] } });
    const ok = await txc(['start', '--ids', 'a,b'], { now });
    expect(ok.err).toBe('');
    expect(ddb.commandCalls(BatchGetCommand)[1].args[0].input.RequestItems?.[table].Keys).toEqual([
      { id: 'b' },
    ]);

    ddb.reset();
    ddb.on(BatchGetCommand).rejects(
      Object.assign(new Error('not authorized to perform: dynamodb:BatchGetItem'), {
        name: 'AccessDeniedException',
      }),
    );
    const denied = await txc(['start', '--ids', 'a,b'], { now, columns: 200 });
    expect(denied.code).toBe(0);
    expect(denied.err).toContain(
      'note: could not check that the ids exist (AccessDeniedException: not authorized to perform:',
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('more than 100 ids: one BatchGetItem per 100', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: {} });
    const ids = Array.from({ length: 250 }, (_, i) => `t${i}`);
    const r = await txc(['start', '--ids', ids.join(',')], { now });
    expect(r.code).toBe(0);
    expect(
      ddb
        .commandCalls(BatchGetCommand)
        .map(
          (c) => c.args[0].input.RequestItems?.[STACK_OUTPUTS.TransactionsTableName].Keys?.length,
        ),
    ).toEqual([100, 100, 50]);
    expect(r.err).toBe(
      'warning: 250 of 250 ids do not exist: t0, t1, t2, t3, t4, … (245 more) (a run\n' +
        '  counts them as skipped)\n',
    );
  });
});

describe('hints on a local endpoint (dynalite)', () => {
  let store: Store;
  let endpoint: Awaited<ReturnType<typeof fakeLocalEndpoint>>;
  beforeAll(async () => {
    store = await startStore();
    endpoint = await fakeLocalEndpoint(
      { expression: 'rate(5 minutes)', state: 'DISABLED' },
      {
        dynamodbEndpoint: store.endpoint,
        tables: { ...store.tableNames },
        shardCount: TEST_SHARD_COUNT,
      },
    );
    await new DynamoRunStore(store.ddb, store.tableNames.runs).putRun({
      runId: '20240502T110000Z-x1',
      status: 'SUCCEEDED',
      startedAt: '2024-05-02T11:00:00.000Z',
      finishedAt: '2024-05-02T11:00:30.000Z',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:txconfirm-dev:x1',
      dryRun: false,
      totals: { ...emptyTotals(), fetched: 3, confirmed: 2, failed: 1 },
      ttl: 0,
    });
  });
  afterAll(async () => {
    await endpoint?.close();
    await store?.stop();
  });
  // 25 FAILED transactions before each test: executing a requeue hint puts them back to PENDING.
  beforeEach(async () => {
    await putTransactions(store, [
      ...Array.from({ length: 25 }, (_, i) => {
        const item: Record<string, unknown> = {
          ...pendingTransaction(`lf-${i}`),
          status: 'FAILED',
          attempts: 5,
          lastError: 'MAX_ATTEMPTS: HTTP 503',
          updatedAt: '2024-05-02T11:00:00.000Z',
        };
        delete item.pendingShard;
        return item;
      }),
      pendingTransaction('lp-1', { createdAt: '2024-05-02T11:00:00.000Z' }),
    ]);
  });

  it.each([
    ['--endpoint', (url: string) => [['--endpoint', url], {}]],
    ['--local with TXC_ENDPOINT', (url: string) => [['--local'], { TXC_ENDPOINT: url }]],
    ['TXC_ENDPOINT alone', (url: string) => [[], { TXC_ENDPOINT: url }]],
  ] as const)(
    '%s: every printed command names the endpoint and reaches it from a fresh terminal',
    async (_name, setup) => {
      const [flags, env] = setup(endpoint.url) as [string[], NodeJS.ProcessEnv];
      const printed: string[] = [];
      for (const argv of [['start'], ['status', 'x1'], ['failed'], ['runs'], ['pending']]) {
        printed.push(...(await hintsReachTheSameTarget([...argv, ...flags], env)));
      }
      expect(printed.length).toBeGreaterThanOrEqual(6);
      for (const command of printed) {
        expect(command).toMatch(
          new RegExp(` --local\\s+(\\\\\\n\\s*)?--endpoint\\s+(\\\\\\n\\s*)?${endpoint.url}`),
        );
      }
    },
  );

  it('requeue --all-failed: the hint to start a run reaches the endpoint', async () => {
    const printed = await hintsReachTheSameTarget(
      ['requeue', '--all-failed', '--endpoint', endpoint.url],
      {},
    );
    expect(printed.map((c) => shellArgv(c)[0])).toEqual(['start']);
  });

  it('a hint pasted into a real shell, wrapped over lines on a narrow terminal, runs as printed', async () => {
    const failed = await txc(['failed', '--endpoint', endpoint.url], { columns: 40 });
    const verbose = printedCommands(failed.out).find((c) => c.includes('--verbose'));
    expect(verbose).toContain(' \\\n');
    const env = { ...process.env };
    delete env.TXC_ENDPOINT;
    const requestsBefore = endpoint.requests.length;
    const shell = spawn('sh', ['-c', verbose ?? 'false'], { cwd: ROOT, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    shell.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => shell.on('close', resolve));
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    // A row per FAILED transaction, read through the same endpoint.
    expect(stdout).toContain('lf-24');
    expect(stdout).toContain('25 FAILED transaction(s)');
    expect(endpoint.requests.slice(requestsBefore).map((r) => r.url)).toContain(
      '/txconfirm/target',
    );
  });
});
