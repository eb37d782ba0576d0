import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveAwsTarget, resolveLocalTarget, resolveTarget } from '../../ops/target';
import { testStack } from '../support/template';
import {
  describeStacksResponse,
  fakeLocalEndpoint,
  REGION,
  STACK_OUTPUTS,
  STATE_MACHINE_ARN,
  txc,
} from './support';

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());
afterAll(() => cfn.restore());

describe('AWS target (--stage)', () => {
  it('reads every name from the outputs of Txconfirm-<stage>', async () => {
    cfn.on(DescribeStacksCommand).resolves(describeStacksResponse());
    const target = await resolveAwsTarget({ stage: 'prod', region: 'eu-west-1' });

    expect(cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([
      { StackName: 'Txconfirm-prod' },
    ]);
    expect(target.kind).toBe('aws');
    expect(target.label).toBe('stack Txconfirm-prod (eu-west-1)');
    expect(target.names).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      transactionsTable: STACK_OUTPUTS.TransactionsTableName,
      runsTable: STACK_OUTPUTS.RunsTableName,
      pendingIndex: 'pending-by-shard',
      shardCount: 4,
      scheduleName: STACK_OUTPUTS.ScheduleName,
    });
    // --region reaches the clients the commands use.
    expect(await target.sfn.config.region()).toBe('eu-west-1');
    expect(await target.ddb.config.region()).toBe('eu-west-1');
  });

  it('a missing stack is StackNotFound naming the stack and the region (exit 1)', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id Txconfirm-dev does not exist'), {
        name: 'ValidationError',
      }),
    );
    await expect(resolveTarget({})).rejects.toMatchObject({
      name: 'StackNotFound',
      message: `stack Txconfirm-dev not found in ${REGION} — deploy it or pass --stage`,
    });
    const run = await txc(['runs']);
    expect(run).toEqual({
      code: 1,
      out: '',
      err: `StackNotFound: stack Txconfirm-dev not found in ${REGION} — deploy it or pass --stage\n`,
    });
  });

  it('a missing output is MissingStackOutput naming it', async () => {
    const outputs: Record<string, string> = { ...STACK_OUTPUTS };
    delete outputs.PendingShardCount;
    cfn.on(DescribeStacksCommand).resolves(describeStacksResponse(outputs));
    const run = await txc(['pending']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      'MissingStackOutput: stack Txconfirm-dev has no output PendingShardCount — redeploy it (npx cdk deploy Txconfirm-dev)\n',
    );
  });

  it('a stack without ScheduleName still serves every other command; schedule says why it cannot', async () => {
    const outputs: Record<string, string> = { ...STACK_OUTPUTS };
    delete outputs.ScheduleName;
    cfn.on(DescribeStacksCommand).resolves(describeStacksResponse(outputs));
    const target = await resolveAwsTarget({ stage: 'dev' });
    expect(target.names.scheduleName).toBeUndefined();
    const run = await txc(['schedule', 'pause']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^ScheduleNotConfigured: stack Txconfirm-dev has no ScheduleName output/,
    );
  });

  it('--local and --stage together are a usage error naming both flags (exit 2), nothing resolved', async () => {
    const run = await txc(['runs', '--local', '--stage', 'prod']);
    expect(run.code).toBe(2);
    expect(run.err).toContain("option '--local' cannot be used with option '--stage <name>'");
    expect(cfn.calls()).toHaveLength(0);
  });

  it('the stack outputs the CLI reads are the ones the stack declares', () => {
    const template = testStack().template as { Outputs?: Record<string, { Value: unknown }> };
    const outputs = template.Outputs ?? {};
    for (const key of Object.keys(STACK_OUTPUTS)) expect(outputs).toHaveProperty(key);
    expect(outputs.PendingIndexName.Value).toBe('pending-by-shard');
    // The dev stage's shard count, as the handlers get it.
    const fetchPage = Object.values(testStack().template.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(r.Properties).includes('PENDING_SHARD_COUNT'),
    );
    const env = (fetchPage?.Properties as { Environment: { Variables: Record<string, string> } })
      .Environment.Variables;
    expect(outputs.PendingShardCount.Value).toBe(env.PENDING_SHARD_COUNT);
    expect(JSON.stringify(outputs.ScheduleName.Value)).toMatch(/"Ref":"ConfirmationSchedule/);
  });
});

describe('local target (--local)', () => {
  it('nothing listening: EndpointUnreachable with the way to start it (exit 1)', async () => {
    const closed = await fakeLocalEndpoint(null);
    await closed.close();
    const run = await txc(['runs', '--local', '--endpoint', closed.url]);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `EndpointUnreachable: nothing answers at ${closed.url} — start it with \`npm run txc -- local serve --port ${new URL(closed.url).port}\`\n`,
    );
    // The default endpoint, named the same way.
    await expect(
      resolveTarget(
        { local: true },
        {
          env: {},
          fetch: async () => {
            throw new TypeError('fetch failed');
          },
        },
      ),
    ).rejects.toThrow('nothing answers at http://127.0.0.1:8083 — start it with');
  });

  it('reads the target document; Step Functions calls go to the endpoint', async () => {
    const endpoint = await fakeLocalEndpoint({ expression: 'rate(5 minutes)', state: 'ENABLED' });
    try {
      const target = await resolveLocalTarget(endpoint.url);
      expect(target.kind).toBe('local');
      expect(target.names).toEqual({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm-dev',
        transactionsTable: 'Transactions',
        runsTable: 'Runs',
        pendingIndex: 'pending-by-shard',
        shardCount: 16,
        scheduleName: 'local',
      });
      const ddbEndpoint = await target.ddb.config.endpoint?.();
      expect(ddbEndpoint?.port).toBe(9);

      // TXC_ENDPOINT selects the endpoint when --endpoint is not given.
      const run = await txc(['start', '--local', '--json'], {
        env: { TXC_ENDPOINT: endpoint.url },
      });
      expect(run.code).toBe(0);
      const sent = endpoint.requests.find((r) => r.target === 'AWSStepFunctions.StartExecution');
      expect(JSON.parse(sent?.body ?? '{}')).toEqual({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm-dev',
        input: '{}',
      });
      expect(JSON.parse(run.out)).toMatchObject({
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:txconfirm-dev:x1',
        input: {},
      });
    } finally {
      await endpoint.close();
    }
  });

  it('schedule pause/resume POSTs the state; a second pause changes nothing', async () => {
    const endpoint = await fakeLocalEndpoint({ expression: 'rate(5 minutes)', state: 'ENABLED' });
    try {
      const paused = await txc(['schedule', 'pause', '--endpoint', endpoint.url, '--json']);
      expect(paused.code).toBe(0);
      expect(JSON.parse(paused.out)).toEqual({
        schedule: 'local',
        expression: 'rate(5 minutes)',
        state: 'DISABLED',
        previousState: 'ENABLED',
        changed: true,
      });
      const posts = () => endpoint.requests.filter((r) => r.method === 'POST');
      expect(posts().map((r) => [r.url, JSON.parse(r.body)])).toEqual([
        ['/txconfirm/schedule', { state: 'DISABLED' }],
      ]);
      const again = await txc(['schedule', 'pause', '--endpoint', endpoint.url]);
      expect(again.out).toContain('DISABLED (already; nothing changed)');
      expect(posts()).toHaveLength(1);
      const resumed = await txc(['schedule', 'resume', '--endpoint', endpoint.url]);
      expect(resumed.out).toContain('ENABLED (was DISABLED)');
      expect(posts().map((r) => JSON.parse(r.body))).toEqual([
        { state: 'DISABLED' },
        { state: 'ENABLED' },
      ]);
    } finally {
      await endpoint.close();
    }
  });

  it('an endpoint started without a schedule: ScheduleNotConfigured', async () => {
    const endpoint = await fakeLocalEndpoint(null);
    try {
      const run = await txc(['schedule', 'resume', '--endpoint', endpoint.url]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(
        /^ScheduleNotConfigured: the local endpoint at .* runs without a schedule/,
      );
    } finally {
      await endpoint.close();
    }
  });

  it('something else answering: LocalEndpointInvalid', async () => {
    const endpoint = await fakeLocalEndpoint(null);
    try {
      const run = await txc(['runs', '--endpoint', `${endpoint.url}/nope`]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(
        /^LocalEndpointInvalid: .*\/nope\/txconfirm\/target answered HTTP 404/,
      );
    } finally {
      await endpoint.close();
    }
  });
});
