// `txc doctor` against a deployed stack: every AWS call mocked (aws-sdk-client-mock), the network
// probe injected — except one real TLS handshake with a certificate made at test time.
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { DoctorReport } from '../../ops/commands/doctor';
import {
  type NetworkProbe,
  nodeNetworkProbe,
  ProbeFailed,
  type TlsProbeResult,
} from '../../ops/doctor/probes';
import { oldestPendingAgeSloFromTemplate } from '../../local/aws/sfn-endpoint/txconfirm-routes';
import type { CfnTemplate } from '../../local/stack/synthesized-definition';
import { STACK_OUTPUTS as TARGET_OUTPUTS } from '../../ops/target';
import { testStack } from '../support/template';
import { describeStacksResponse, STACK_OUTPUTS, txc } from './support';

const cfn = mockClient(CloudFormationClient);
const secrets = mockClient(SecretsManagerClient);
const scheduler = mockClient(SchedulerClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const mocks = [cfn, secrets, scheduler, sns, sqs, ddb];
afterAll(() => mocks.forEach((m) => m.restore()));

const NOW = new Date('2024-05-02T12:00:00.000Z');
const now = () => NOW;
const ACCOUNT = '123456789012';
const SECRET_ID = 'txconfirm/prod/provider-api-key';
const SECRET_VALUE = 'sk_live_never-printed';

/** The outputs of a current Txconfirm-dev stack: the names every command reads, and the doctor's. */
const OUTPUTS: Record<string, string> = {
  ...STACK_OUTPUTS,
  AlarmTopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:txconfirm-dev-alarms`,
  ExternalAlarmTopicArn: `arn:aws:sns:us-east-1:999999999999:ops-pager`,
  ProviderSecretId: SECRET_ID,
  ProviderSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${SECRET_ID}-AbCdEf`,
  ProviderBaseUrl: 'https://api.provider.example/v1',
  ProviderTimeoutMs: '8000',
  ScheduleDeadLetterQueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/txconfirm-dev-schedule-dlq`,
  ReleaseLockDeadLetterQueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/txconfirm-dev-release-lock-dlq`,
  OldestPendingAgeSloSeconds: '900',
};

const HEALTHY_TLS: TlsProbeResult = {
  address: '203.0.113.10',
  protocol: 'TLSv1.3',
  validTo: new Date('2024-09-30T23:59:59Z'),
  subject: 'api.provider.example',
  ms: 85,
};

function probeAnswering(
  answer: TlsProbeResult | ProbeFailed,
): NetworkProbe & { tls: jest.Mock; tcp: jest.Mock } {
  const respond = async () => {
    if (answer instanceof ProbeFailed) throw answer;
    return answer;
  };
  return { tls: jest.fn(respond), tcp: jest.fn(respond) };
}

const subscription = (arn: string, protocol = 'email', endpoint = 'oncall@example.com') => ({
  SubscriptionArn: arn,
  Protocol: protocol,
  Endpoint: endpoint,
  TopicArn: OUTPUTS.AlarmTopicArn,
  Owner: ACCOUNT,
});

/** Every AWS answer of a healthy stack; a test then breaks one thing. */
function healthy(outputs: Record<string, string> = OUTPUTS) {
  mocks.forEach((m) => m.reset());
  cfn.on(DescribeStacksCommand).resolves(describeStacksResponse(outputs));
  secrets.on(DescribeSecretCommand).resolves({
    ARN: OUTPUTS.ProviderSecretArn,
    Name: SECRET_ID,
    VersionIdsToStages: { 'a1b2c3d4-0000-4000-8000-000000000001': ['AWSCURRENT'] },
    LastChangedDate: new Date('2024-04-01T08:00:00Z'),
  });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET_VALUE });
  scheduler.on(GetScheduleCommand).resolves({
    Name: STACK_OUTPUTS.ScheduleName,
    ScheduleExpression: 'rate(5 minutes)',
    ScheduleExpressionTimezone: 'Etc/UTC',
    State: 'ENABLED',
  });
  sns
    .on(ListSubscriptionsByTopicCommand)
    .resolves({ Subscriptions: [subscription(`${OUTPUTS.AlarmTopicArn}:0f1e2d3c`)] });
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
  });
  ddb.on(GetCommand).resolves({});
  pendingBacklog({});
}

/** The pending index: per shard, its count and the createdAt of its oldest item. */
function pendingBacklog(shards: Record<string, { count: number; oldest: string }>) {
  ddb.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
    const shard = (input.ExpressionAttributeValues as Record<string, string>)[':shard'];
    const s = shards[shard];
    if (input.Select === 'COUNT') return { Count: s?.count ?? 0 };
    return {
      Items: s ? [{ id: `oldest-${shard}`, pendingShard: shard, createdAt: s.oldest }] : [],
    };
  });
}

const doctor = (argv: string[] = [], probe: NetworkProbe = probeAnswering(HEALTHY_TLS)) =>
  txc(['doctor', ...argv], { now, probe });

/** The human line of a check: `<status>  <name padded>  <detail — action>`. */
function lineOf(out: string, name: string): string {
  const found = out.split('\n').find((l) => new RegExp(`^\\w+ +${name} {2,}`).test(l));
  if (found === undefined) throw new Error(`no line for ${name} in:\n${out}`);
  return found;
}

async function report(argv: string[] = [], probe?: NetworkProbe) {
  const run = await doctor([...argv, '--json'], probe);
  return { code: run.code, report: JSON.parse(run.out) as DoctorReport, err: run.err };
}

const check = (r: DoctorReport, name: string) => {
  const found = r.checks.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no check ${name}`);
  return found;
};

describe('txc doctor --stage (AWS)', () => {
  beforeEach(() => healthy());

  it('a healthy stack: nine ok lines in order, a summary, exit 0; the secret value is never read', async () => {
    const probe = probeAnswering(HEALTHY_TLS);
    const run = await doctor([], probe);
    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    const lines = run.out.trimEnd().split('\n');
    expect(lines).toEqual([
      'ok    stack               stack Txconfirm-dev (us-east-1): UPDATE_COMPLETE, 15 outputs',
      'ok    provider secret     secret txconfirm/prod/provider-api-key has a current value (version a1b2c3d4…, last changed 2024-04-01T08:00:00Z; the value was not read)',
      'ok    provider endpoint   api.provider.example:443 (203.0.113.10): TLSv1.3, certificate valid until 2024-09-30 (151 days), handshake 85 ms (timeout 8000 ms)',
      'ok    provider breaker    closed: runs call the provider',
      'ok    schedule            ENABLED, rate(5 minutes), next fire by 2024-05-02T12:05:00Z',
      'ok    alarm routing       txconfirm-dev-alarms: 1 confirmed (email); ops-pager: 1 confirmed (email)',
      'ok    run lock            free',
      'ok    dead-letter queues  schedule DLQ: 0, release-lock DLQ: 0',
      'ok    backlog             no PENDING transactions (SLO 900 s)',
      'OK: 9 ok, 0 warn, 0 fail — stack Txconfirm-dev (us-east-1)',
    ]);
    expect(run.out).not.toContain(SECRET_VALUE);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(secrets.commandCalls(DescribeSecretCommand)[0].args[0].input).toEqual({
      SecretId: SECRET_ID,
    });
    // The provider's own timeout bounds the handshake; SNI is the URL's host.
    expect(probe.tls).toHaveBeenCalledWith('api.provider.example', 443, 8000);
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand).map((c) => c.args[0].input)).toEqual([
      { TopicArn: OUTPUTS.AlarmTopicArn },
      { TopicArn: OUTPUTS.ExternalAlarmTopicArn },
    ]);
    expect(sqs.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueUrl: OUTPUTS.ScheduleDeadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      },
      {
        QueueUrl: OUTPUTS.ReleaseLockDeadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      },
    ]);
    // The run lock and the provider circuit breaker, consistently, and nothing else.
    expect(
      ddb
        .commandCalls(GetCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => JSON.stringify(a.Key).localeCompare(JSON.stringify(b.Key))),
    ).toEqual([
      {
        TableName: STACK_OUTPUTS.RunsTableName,
        Key: { pk: 'BREAKER', sk: 'provider' },
        ConsistentRead: true,
      },
      {
        TableName: STACK_OUTPUTS.RunsTableName,
        Key: { pk: 'LOCK', sk: 'confirmation' },
        ConsistentRead: true,
      },
    ]);
  });

  it('--json: { target, checks: [{ name, status, detail, action? }], summary }', async () => {
    const { code, report: r } = await report();
    expect(code).toBe(0);
    expect(Object.keys(r)).toEqual(['target', 'checks', 'summary']);
    expect(r.target).toEqual({ kind: 'aws', label: 'stack Txconfirm-dev (us-east-1)' });
    expect(r.checks.map((c) => c.name)).toEqual([
      'stack',
      'provider secret',
      'provider endpoint',
      'provider breaker',
      'schedule',
      'alarm routing',
      'run lock',
      'dead-letter queues',
      'backlog',
    ]);
    for (const c of r.checks) {
      expect(Object.keys(c)).toEqual(['name', 'status', 'detail']);
      expect(c.status).toBe('ok');
    }
    expect(r.summary).toEqual({ status: 'ok', ok: 9, warn: 0, fail: 0 });
  });

  it('an empty secret fails with the put-secret-value command, exit 1', async () => {
    secrets.on(DescribeSecretCommand).resolves({ Name: SECRET_ID, VersionIdsToStages: {} });
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(lineOf(run.out, 'provider secret')).toBe(
      'fail  provider secret     empty: secret txconfirm/prod/provider-api-key has no version staged AWSCURRENT — ' +
        'put the key with `aws secretsmanager put-secret-value --secret-id txconfirm/prod/provider-api-key --secret-string file://<key file> --region us-east-1`',
    );
    expect(run.out).toMatch(/^FAIL: 8 ok, 0 warn, 1 fail — stack Txconfirm-dev \(us-east-1\)$/m);
  });

  it('a secret given by ARN is described in its own region', async () => {
    const arn = `arn:aws:secretsmanager:eu-central-1:${ACCOUNT}:secret:payments/provider-AbCdEf`;
    healthy({ ...OUTPUTS, ProviderSecretId: arn });
    secrets.on(DescribeSecretCommand).resolves({ Name: 'payments/provider' });
    const r = (await report()).report;
    expect(check(r, 'provider secret').action).toBe(
      `put the key with \`aws secretsmanager put-secret-value --secret-id ${arn} --secret-string file://<key file> --region eu-central-1\``,
    );
    const call = secrets.commandCalls(DescribeSecretCommand)[0];
    expect(await (call.thisValue as SecretsManagerClient).config.region()).toBe('eu-central-1');
  });

  it('a missing secret and a denied one each fail naming it', async () => {
    secrets.on(DescribeSecretCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    let r = (await report()).report;
    expect(check(r, 'provider secret')).toMatchObject({
      status: 'fail',
      detail: `secret ${SECRET_ID} not found`,
    });
    secrets.on(DescribeSecretCommand).rejects(
      Object.assign(new Error('not authorized to perform secretsmanager:DescribeSecret'), {
        name: 'AccessDeniedException',
      }),
    );
    r = (await report()).report;
    expect(check(r, 'provider secret')).toEqual({
      name: 'provider secret',
      status: 'fail',
      detail: `access denied: DescribeSecret on ${SECRET_ID} (AccessDeniedException)`,
      action: 'grant secretsmanager:DescribeSecret on it (docs/txc.md#permissions-aws)',
    });
  });

  it('no confirmed subscription: fail while the schedule is enabled', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    const { code, report: r } = await report();
    expect(code).toBe(1);
    expect(check(r, 'alarm routing')).toMatchObject({
      status: 'fail',
      detail:
        'no confirmed subscription — txconfirm-dev-alarms: 0 confirmed; ops-pager: 0 confirmed',
    });
    expect(check(r, 'alarm routing').action).toContain(
      `aws sns subscribe --topic-arn ${OUTPUTS.AlarmTopicArn} --protocol email`,
    );
  });

  it('pending confirmation only (paged): fail naming it, with how to confirm', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: OUTPUTS.AlarmTopicArn })
      .resolvesOnce({ Subscriptions: [subscription('PendingConfirmation')], NextToken: 'p2' })
      .resolvesOnce({ Subscriptions: [subscription('PendingConfirmation', 'https')] });
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: OUTPUTS.ExternalAlarmTopicArn })
      .resolves({ Subscriptions: [] });
    const r = (await report()).report;
    const routing = check(r, 'alarm routing');
    expect(routing.status).toBe('fail');
    expect(routing.detail).toBe(
      'no confirmed subscription — txconfirm-dev-alarms: 0 confirmed, 2 pending confirmation (email, https); ops-pager: 0 confirmed',
    );
    expect(routing.action).toMatch(/^confirm the pending subscription/);
    expect(
      sns.commandCalls(ListSubscriptionsByTopicCommand).map((c) => c.args[0].input.NextToken),
    ).toContain('p2');
  });

  it('no confirmed subscription with the schedule disabled: warn (and the schedule warns)', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    scheduler
      .on(GetScheduleCommand)
      .resolves({ Name: 'sched', ScheduleExpression: 'rate(5 minutes)', State: 'DISABLED' });
    const { code, report: r } = await report();
    expect(code).toBe(0);
    expect(check(r, 'alarm routing').status).toBe('warn');
    expect(check(r, 'alarm routing').detail).toMatch(/\(schedule disabled\)$/);
    expect(r.summary).toEqual({ status: 'warn', ok: 7, warn: 2, fail: 0 });
  });

  it('access denied on the external topic is a warning when the own topic has a confirmed subscriber', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: OUTPUTS.ExternalAlarmTopicArn })
      .rejects(Object.assign(new Error('not authorized'), { name: 'AuthorizationError' }));
    const r = (await report()).report;
    expect(check(r, 'alarm routing')).toMatchObject({
      status: 'warn',
      detail:
        'txconfirm-dev-alarms: 1 confirmed (email); external ops-pager: access denied, not checked',
    });
  });

  it('schedule disabled: warn with the resume command for this target, exit 0', async () => {
    scheduler.on(GetScheduleCommand).resolves({
      Name: 'sched',
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'DISABLED',
    });
    const run = await doctor(['--stage', 'prod', '--region', 'eu-west-1']);
    expect(run.code).toBe(0);
    expect(lineOf(run.out, 'schedule')).toBe(
      'warn  schedule            DISABLED (cron(0 6 * * ? *)): runs start only by hand — `npm run txc -- schedule resume --stage prod --region eu-west-1`',
    );
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({
      StackName: 'Txconfirm-prod',
    });
  });

  it('an enabled cron schedule: the next fire time, computed in UTC', async () => {
    scheduler.on(GetScheduleCommand).resolves({
      Name: 'sched',
      ScheduleExpression: 'cron(0 6 * * ? *)',
      State: 'ENABLED',
    });
    const r = (await report()).report;
    expect(check(r, 'schedule').detail).toBe(
      'ENABLED, cron(0 6 * * ? *), next fire 2024-05-03T06:00:00Z',
    );
  });

  it('a stuck lock (lease expired) fails with the runbook; a live one names its holder', async () => {
    const lock = {
      pk: 'LOCK',
      sk: 'confirmation',
      runId: '20240502T100000Z-crashed',
      executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:txconfirm-dev:crashed`,
      acquiredAt: '2024-05-02T10:00:00.000Z',
      expiresAt: '2024-05-02T10:30:00.000Z',
    };
    ddb.on(GetCommand).resolves({ Item: lock });
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(lineOf(run.out, 'run lock')).toBe(
      'fail  run lock            stuck since 2024-05-02T10:30:00Z (1h 30m ago), held by run 20240502T100000Z-crashed, execution crashed: its run ended without releasing it' +
        ' — the next run takes it over; see docs/runbook.md#stuck-run-lock (`npm run txc -- status crashed --stage dev` shows the holder)',
    );
    ddb.on(GetCommand).resolves({ Item: { ...lock, expiresAt: '2024-05-02T12:04:00.000Z' } });
    const live = (await report()).report;
    expect(check(live, 'run lock')).toEqual({
      name: 'run lock',
      status: 'ok',
      detail:
        'held by run 20240502T100000Z-crashed, execution crashed, lease until 2024-05-02T12:04:00Z (4m 0s left)',
    });
  });

  it('dead letters fail with the runbook entry of each queue that holds some', async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: OUTPUTS.ReleaseLockDeadLetterQueueUrl })
      .resolves({
        Attributes: {
          ApproximateNumberOfMessages: '2',
          ApproximateNumberOfMessagesNotVisible: '1',
        },
      });
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(lineOf(run.out, 'dead-letter queues')).toBe(
      'fail  dead-letter queues  schedule DLQ: 0, release-lock DLQ: 3 (1 being read) — see docs/runbook.md#release-lock-dead-letters',
    );
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' },
    });
    const both = (await report()).report;
    expect(check(both, 'dead-letter queues').action).toBe(
      'see docs/runbook.md#schedule-dead-letters; see docs/runbook.md#release-lock-dead-letters',
    );
  });

  it('backlog: older than the SLO fails, older than half of it warns, both with the runbook', async () => {
    pendingBacklog({
      '00': { count: 40, oldest: '2024-05-02T11:50:00.000Z' },
      '02': { count: 2, oldest: '2024-05-02T11:40:00.000Z' },
    });
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(lineOf(run.out, 'backlog')).toBe(
      'fail  backlog             42 pending, oldest oldest-02 is 20m 0s old (created 2024-05-02T11:40:00.000Z): over the SLO 900 s' +
        ' — see docs/runbook.md#oldest-pending-age (`npm run txc -- pending --stage dev`)',
    );
    pendingBacklog({ '01': { count: 1, oldest: '2024-05-02T11:50:00.000Z' } });
    const half = (await report()).report;
    expect(check(half, 'backlog')).toMatchObject({
      status: 'warn',
      detail:
        '1 pending, oldest oldest-01 is 10m 0s old (created 2024-05-02T11:50:00.000Z): over half the SLO 900 s',
    });
    pendingBacklog({ '03': { count: 7, oldest: '2024-05-02T11:58:00.000Z' } });
    expect(check((await report()).report, 'backlog')).toMatchObject({ status: 'ok' });
  });

  it('outputs a stack lacks (deployed before they existed): those checks fail with "redeploy", the others run', async () => {
    const old: Record<string, string> = { ...OUTPUTS };
    for (const key of [
      'ProviderSecretId',
      'ProviderBaseUrl',
      'ReleaseLockDeadLetterQueueUrl',
      'OldestPendingAgeSloSeconds',
      'ExternalAlarmTopicArn',
    ]) {
      delete old[key];
    }
    healthy(old);
    const { code, report: r } = await report();
    expect(code).toBe(1);
    const redeploy = (key: string) =>
      expect.objectContaining({
        status: 'fail',
        detail: `redeploy: output ${key} missing (Txconfirm-dev predates it)`,
        action:
          'deploy the current version: `npx cdk deploy Txconfirm-dev` or the pipeline (docs/deploying.md)',
      });
    expect(check(r, 'provider secret')).toEqual(redeploy('ProviderSecretId'));
    expect(check(r, 'provider endpoint')).toEqual(redeploy('ProviderBaseUrl'));
    expect(check(r, 'backlog')).toEqual(redeploy('OldestPendingAgeSloSeconds'));
    // One queue's output missing: the other queue is still read.
    expect(check(r, 'dead-letter queues')).toMatchObject({
      status: 'fail',
      detail:
        'schedule DLQ: 0, release-lock DLQ: redeploy: output ReleaseLockDeadLetterQueueUrl missing (Txconfirm-dev predates it)',
    });
    // ExternalAlarmTopicArn is optional.
    expect(check(r, 'alarm routing')).toMatchObject({ status: 'ok' });
    expect(check(r, 'run lock').status).toBe('ok');
    expect(check(r, 'schedule').status).toBe('ok');
  });

  it('a stack that does not resolve: stack fails with the reason, the rest are not run', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id Txconfirm-qa does not exist'), {
        name: 'ValidationError',
      }),
    );
    const run = await doctor(['--stage', 'qa']);
    expect(run.code).toBe(1);
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'fail  stack               StackNotFound: stack Txconfirm-qa not found in us-east-1' +
        ' — deploy it (`npx cdk deploy Txconfirm-qa`) or pass the right --stage / --region',
    );
    expect(lines.slice(1, 9)).toEqual(
      expect.arrayContaining([
        'fail  backlog             not run: the stack check failed',
        'fail  provider secret     not run: the stack check failed',
      ]),
    );
    expect(lines[9]).toBe('FAIL: 0 ok, 0 warn, 9 fail — stack Txconfirm-qa');
    expect(secrets.calls()).toHaveLength(0);
  });

  it('an SDK error is that check’s fail, never a crash; access denied names the permission', async () => {
    sqs.on(GetQueueAttributesCommand).rejects(new Error('socket hang up'));
    ddb.on(GetCommand).rejects(
      Object.assign(new Error('User is not authorized to perform dynamodb:GetItem'), {
        name: 'AccessDeniedException',
      }),
    );
    scheduler.on(GetScheduleCommand).rejects(
      Object.assign(new Error('Schedule sched does not exist.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    const { code, report: r } = await report();
    expect(code).toBe(1);
    expect(check(r, 'dead-letter queues')).toMatchObject({
      status: 'fail',
      detail:
        'schedule DLQ: unreadable (Error: socket hang up), release-lock DLQ: unreadable (Error: socket hang up)',
    });
    expect(check(r, 'run lock')).toEqual({
      name: 'run lock',
      status: 'fail',
      detail: 'AccessDeniedException: User is not authorized to perform dynamodb:GetItem',
      action: 'grant dynamodb:GetItem on the Runs table (docs/txc.md#permissions-aws)',
    });
    expect(check(r, 'schedule')).toMatchObject({
      status: 'fail',
      detail: 'ResourceNotFoundException: Schedule sched does not exist.',
    });
    // The schedule state is unknown: alarm routing still ran (and found a subscriber).
    expect(check(r, 'alarm routing').status).toBe('ok');
    expect(check(r, 'backlog').status).toBe('ok');
  });

  it('a call that never answers is cut off at --timeout: that check fails, the others report', async () => {
    scheduler.on(GetScheduleCommand).callsFake(() => new Promise(() => undefined));
    // The call never answers: a report at all means the doctor cut it off.
    const { code, report: r } = await report(['--timeout', '1']);
    expect(code).toBe(1);
    expect(check(r, 'schedule')).toEqual({
      name: 'schedule',
      status: 'fail',
      detail: "no answer within the doctor's 1 s bound",
      action: 'retry (--timeout for more time); check the network path and the credentials',
    });
    expect(check(r, 'backlog').status).toBe('ok');
    // Alarm routing waited for the schedule's state until the bound, then went on without it.
    expect(check(r, 'alarm routing').status).toBe('ok');
  });

  it('usage errors exit 2 and send nothing', async () => {
    const run = await doctor(['--timeout', '0']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--timeout/);
    expect(cfn.calls()).toHaveLength(0);
  });

  describe('provider endpoint findings (injected probe)', () => {
    const providerLine = async (probe: NetworkProbe) =>
      check((await report([], probe)).report, 'provider endpoint');

    it('a certificate expiring within 14 days warns', async () => {
      const f = await providerLine(
        probeAnswering({ ...HEALTHY_TLS, validTo: new Date('2024-05-10T00:00:00Z') }),
      );
      expect(f).toMatchObject({
        status: 'warn',
        detail:
          'api.provider.example:443 (203.0.113.10): TLSv1.3, certificate valid until 2024-05-10 (7 days), handshake 85 ms (timeout 8000 ms) — expires in less than 14 days',
        action: 'ask the provider to renew its certificate before it expires',
      });
    });

    it('an expired or untrusted certificate fails (the handlers would refuse both)', async () => {
      const expired = await providerLine(
        probeAnswering({
          ...HEALTHY_TLS,
          validTo: new Date('2024-04-30T00:00:00Z'),
          authorizationError: 'CERT_HAS_EXPIRED',
        }),
      );
      expect(expired.status).toBe('fail');
      expect(expired.detail).toMatch(/certificate EXPIRED on 2024-04-30/);
      // The command in the action acts on the doctor's own target.
      expect(expired.action).toContain('(`npm run txc -- schedule pause --stage dev`)');
      const untrusted = await providerLine(
        probeAnswering({ ...HEALTHY_TLS, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      );
      expect(untrusted).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining(
          'certificate not trusted (ERR_TLS_CERT_ALTNAME_INVALID)',
        ) as string,
      });
    });

    it('DNS, refused connections and a handshake slower than ProviderTimeoutMs fail', async () => {
      const dns = await providerLine(
        probeAnswering(
          new ProbeFailed('dns', 'api.provider.example does not resolve (ENOTFOUND)', 'ENOTFOUND'),
        ),
      );
      expect(dns).toMatchObject({
        status: 'fail',
        detail: 'DNS: api.provider.example does not resolve (ENOTFOUND)',
      });
      const refused = await providerLine(
        probeAnswering(new ProbeFailed('connect', 'refused', 'ECONNREFUSED')),
      );
      expect(refused).toMatchObject({
        status: 'fail',
        detail: 'https://api.provider.example:443 does not accept connections (ECONNREFUSED)',
        action: expect.stringContaining('docs/runbook.md#provider-error-rate') as string,
      });
      const slow = await providerLine(
        probeAnswering(new ProbeFailed('timeout', 'no answer', 'ETIMEDOUT')),
      );
      expect(slow).toMatchObject({
        status: 'fail',
        detail:
          'no TLS handshake with api.provider.example:443 within 8000 ms (the provider timeout)',
      });
    });

    it('a plain http provider URL warns (no TLS)', async () => {
      healthy({ ...OUTPUTS, ProviderBaseUrl: 'http://api.provider.example:8080' });
      const probe = probeAnswering(HEALTHY_TLS);
      const f = await providerLine(probe);
      expect(probe.tcp).toHaveBeenCalledWith('api.provider.example', 8080, 8000);
      expect(f).toMatchObject({ status: 'warn' });
      expect(f.detail).toMatch(/without TLS/);
    });
  });
});

describe('provider endpoint: a real TLS handshake on loopback', () => {
  let dir: string;
  let server: tls.Server | undefined;
  let address: string;

  /** A self-signed certificate for `localhost`, valid `days` days, made with openssl. */
  function certificate(days: number): { key: string; cert: string } {
    const name = `c${days}`;
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(dir, `${name}.key`),
        '-out',
        path.join(dir, `${name}.crt`),
        '-days',
        String(days),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
    return {
      key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'),
      cert: fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8'),
    };
  }

  async function serveTls(credentials: { key: string; cert: string }): Promise<number> {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = tls.createServer(credentials, (socket) => socket.end());
    await new Promise<void>((resolve) => server!.listen(0, address, resolve));
    return (server.address() as AddressInfo).port;
  }

  beforeAll(async () => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
    } catch {
      throw new Error(
        'this test makes its certificate with the `openssl` command, which is not on PATH: install openssl (e.g. apt-get install openssl)',
      );
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-doctor-tls-'));
    // Listen where `localhost` resolves here (127.0.0.1 or ::1), as the probe will connect there.
    address = (await lookup('localhost')).address;
  });
  beforeEach(() => healthy());
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const doctorAt = (port: number, probe: NetworkProbe) => {
    healthy({ ...OUTPUTS, ProviderBaseUrl: `https://localhost:${port}/v1` });
    // The real clock: the certificate's dates are real.
    return txc(['doctor', '--json'], { probe });
  };

  it('handshake with SNI: TLS version and certificate expiry; untrusted without the CA; < 14 days warns', async () => {
    const longLived = certificate(90);
    const port = await serveTls(longLived);
    const trusted = await doctorAt(port, nodeNetworkProbe({ ca: longLived.cert }));
    const provider = check(JSON.parse(trusted.out) as DoctorReport, 'provider endpoint');
    expect(provider.status).toBe('ok');
    expect(provider.detail).toMatch(
      new RegExp(
        `^localhost:${port} \\(.+\\): TLSv1\\.[23], certificate valid until \\d{4}-\\d{2}-\\d{2} \\((89|90) days\\), handshake \\d+ ms \\(timeout 8000 ms\\)$`,
      ),
    );

    const systemCas = await doctorAt(port, nodeNetworkProbe());
    expect(check(JSON.parse(systemCas.out) as DoctorReport, 'provider endpoint')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /certificate not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/,
      ) as string,
    });

    const shortLived = certificate(5);
    const port2 = await serveTls(shortLived);
    const soon = await doctorAt(port2, nodeNetworkProbe({ ca: shortLived.cert }));
    expect(check(JSON.parse(soon.out) as DoctorReport, 'provider endpoint')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/\((4|5) days\).*expires in less than 14 days$/) as string,
    });
  });

  it('nothing listening: the probe fails at connect; an unresolvable name at DNS', async () => {
    const probe = nodeNetworkProbe();
    const port = await serveTls(certificate(30));
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(probe.tls('localhost', port, 2000)).rejects.toMatchObject({
      name: 'ProbeFailed',
      stage: 'connect',
      code: 'ECONNREFUSED',
    });
    await expect(probe.tcp('localhost', port, 2000)).rejects.toMatchObject({ stage: 'connect' });
    const noDns = nodeNetworkProbe({
      lookup: () =>
        Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
    });
    await expect(noDns.tls('api.provider.invalid', 443, 2000)).rejects.toMatchObject({
      stage: 'dns',
      message: 'api.provider.invalid does not resolve (ENOTFOUND)',
    });
  });
});

describe('what the doctor reads is what the stack declares', () => {
  const template = testStack().template as CfnTemplate & {
    Outputs: Record<string, { Value: unknown }>;
  };

  it('every output the doctor reads is an output of the synthesized stack', () => {
    const declared = Object.keys(template.Outputs);
    const read = Object.values(TARGET_OUTPUTS).filter(
      // Only with alarmTopicArn set (the dev stage has none): the doctor treats it as optional.
      (key) => key !== TARGET_OUTPUTS.externalAlarmTopicArn,
    );
    expect(declared).toEqual(expect.arrayContaining(read));
    expect(Object.keys(OUTPUTS).sort()).toEqual([...read, 'ExternalAlarmTopicArn'].sort());
  });

  it('the local endpoint’s SLO is the stack’s output, else its alarm threshold: the same number', () => {
    const slo = Number(template.Outputs.OldestPendingAgeSloSeconds.Value);
    expect(slo).toBeGreaterThan(0);
    expect(oldestPendingAgeSloFromTemplate(template)).toBe(slo);
    const withoutOutput = { ...template, Outputs: {} };
    expect(oldestPendingAgeSloFromTemplate(withoutOutput)).toBe(slo);
    expect(oldestPendingAgeSloFromTemplate({ Resources: {} })).toBeNull();
  });
});
