/**
 * The checks of `txc doctor`, one function each, in the order they are reported. Each returns a
 * Finding (ok / warn / fail, what it found, what to do) and may throw: the runner
 * (ops/commands/doctor.ts) turns a thrown error or a timeout into that check's fail.
 *
 * A deployed stack and the local endpoint share every code path that can be shared: the secret
 * is described with the same DescribeSecret call (the local runtime's loopback Secrets Manager
 * answers it too), the provider with the same probe, the lock and the backlog with the same
 * reads as `txc status` and `txc pending`. Only where the local runtime has no counterpart (SNS,
 * SQS) is the check "not applicable offline".
 */
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient, type Subscription } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { duration } from '../../cli/io';
import { nextFireTime } from '../../local/stack/schedule';
import { errorParts } from '../../lambdas/domain/errors';
import { pendingReport } from '../commands/pending';
import { currentLock } from '../executions';
import { formatError } from '../errors';
import {
  STACK_OUTPUTS,
  type LocalTargetInfo,
  type ScheduleStateValue,
  stackNameOf,
  type Target,
} from '../target';
import { type NetworkProbe, ProbeFailed } from './probes';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export const CHECK_NAMES = [
  'stack',
  'provider secret',
  'provider endpoint',
  'provider breaker',
  'schedule',
  'alarm routing',
  'run lock',
  'dead-letter queues',
  'backlog',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** What one check found: `action` (a command or a docs/runbook.md anchor) unless ok. */
export interface Finding {
  status: CheckStatus;
  detail: string;
  action?: string;
}

export interface CheckResult extends Finding {
  name: CheckName;
}

/** A certificate that expires sooner than this is a warning: someone has to renew it now. */
export const CERT_EXPIRY_WARN_DAYS = 14;
const DAY_MS = 86_400_000;

const RUNBOOK = 'docs/runbook.md';
const PROVIDER_CONFIG = 'docs/configuration.md#payment-provider';
const PERMISSIONS = 'docs/txc.md#permissions-aws';

export interface CheckContext {
  target: Target;
  now: Date;
  /** Aborted when the doctor's time is up: every SDK call of the checks takes it. */
  signal: AbortSignal;
  /** Milliseconds left before the doctor's time is up (network probes bound themselves by it). */
  remainingMs(): number;
  probe: NetworkProbe;
  /** `npm run txc -- <command>` on the doctor's target, in backquotes (ops/target-spec.ts txcCommand). */
  txc(command: string): string;
  /** Registers a client the doctor made, to be closed when the checks end (or give up). */
  track<C extends { destroy(): void }>(client: C): C;
  /** The schedule's state as the schedule check found it (undefined if it could not tell). */
  scheduleState: Promise<ScheduleStateValue | undefined>;
}

/** A check cannot run: an output (or a field of the local description) is missing. */
export class CheckPrerequisiteMissing extends Error {
  override readonly name = 'CheckPrerequisiteMissing';
  constructor(readonly finding: Finding) {
    super(finding.detail);
  }
}

/** The value of a stack output the check needs; a stack deployed before it existed fails the check. */
function output(ctx: CheckContext, key: string): string {
  const value = ctx.target.aws?.outputs[key];
  if (value === undefined || value === '') {
    const stack = ctx.target.aws?.stackName ?? 'the stack';
    throw new CheckPrerequisiteMissing({
      status: 'fail',
      detail: `redeploy: output ${key} missing (${stack} predates it)`,
      action: `deploy the current version: \`npx cdk deploy ${stack}\` or the pipeline (docs/deploying.md)`,
    });
  }
  return value;
}

function optionalOutput(ctx: CheckContext, key: string): string | undefined {
  const value = ctx.target.aws?.outputs[key];
  return value === undefined || value === '' ? undefined : value;
}

/** A field of the local target description; an endpoint started by an older txc lacks it. */
function localField<K extends keyof LocalTargetInfo>(
  ctx: CheckContext,
  key: K,
): NonNullable<LocalTargetInfo[K]> {
  const value = ctx.target.local?.info[key];
  if (value === undefined || value === null) {
    throw new CheckPrerequisiteMissing({
      status: 'fail',
      detail:
        value === null
          ? `the local endpoint's stack declares no ${String(key)}`
          : `the local endpoint does not describe ${String(key)} (started by an older txc)`,
      action: 'restart it with this version: `npm run txc -- local serve`',
    });
  }
  return value as NonNullable<LocalTargetInfo[K]>;
}

export const isAccessDenied = (err: unknown): boolean =>
  /AccessDenied|AuthorizationError|UnauthorizedOperation|Forbidden/i.test(errorParts(err).name);

/** `2024-05-02T12:05:00Z`: a time as the doctor prints it, to the second. */
export const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

// ---- 1. stack -------------------------------------------------------------------------------

const HEALTHY_STACK = /^(CREATE|UPDATE|IMPORT)_COMPLETE$/;

export function stackFinding(target: Target): Finding {
  if (target.local !== undefined) {
    const { info, endpoint } = target.local;
    return {
      status: 'ok',
      detail: `local endpoint ${endpoint} answers: state machine ${info.stateMachineName}, DynamoDB ${info.dynamodbEndpoint}`,
    };
  }
  const aws = target.aws;
  if (aws === undefined) return { status: 'ok', detail: target.label };
  const outputs = Object.keys(aws.outputs).length;
  const what = `stack ${aws.stackName} (${aws.region}): ${aws.status ?? 'status unknown'}, ${outputs} outputs`;
  if (aws.status === undefined || HEALTHY_STACK.test(aws.status)) {
    return { status: 'ok', detail: what };
  }
  return {
    status: 'warn',
    detail: `${what} — a deployment is in progress, failed or was rolled back`,
    action: `read its events: \`aws cloudformation describe-stack-events --stack-name ${aws.stackName} --region ${aws.region}\``,
  };
}

/** The stack check when the target did not resolve: the error names what is wrong. */
export function unresolvedFinding(err: unknown, local: boolean, stage: string): Finding {
  const name = errorParts(err).name;
  const detail = formatError(err);
  const stackName = stackNameOf(stage);
  const actions: Record<string, string> = {
    StackNotFound: `deploy it (\`npx cdk deploy ${stackName}\`) or pass the right --stage / --region`,
    MissingStackOutput: `redeploy: \`npx cdk deploy ${stackName}\` or the pipeline (docs/deploying.md)`,
    RegionMissing: 'pass --region or set AWS_REGION',
    EndpointUnreachable: 'start it: `npm run txc -- local serve`',
    LocalEndpointInvalid: 'point --endpoint at a `txc local serve` endpoint',
  };
  const action = actions[name];
  if (action !== undefined) {
    // These errors end with their own hint (` — deploy it or pass --stage`): the action says it.
    return { status: 'fail', detail: detail.split(' — ')[0], action };
  }
  return {
    status: 'fail',
    detail,
    action: local
      ? 'is `npm run txc -- local serve` running at that endpoint?'
      : `check the credentials (--profile) and cloudformation:DescribeStacks on ${stackName} (${PERMISSIONS})`,
  };
}

// ---- 2. provider secret ---------------------------------------------------------------------

/**
 * DescribeSecret only: it answers whether a version is staged AWSCURRENT without returning the
 * value, so the doctor never holds the key (and needs no secretsmanager:GetSecretValue).
 */
export async function providerSecretCheck(ctx: CheckContext): Promise<Finding> {
  let client: SecretsManagerClient;
  let secretId: string;
  let region: string | undefined;
  if (ctx.target.local !== undefined) {
    const secrets = localField(ctx, 'secretsManager');
    const { info, credentials } = ctx.target.local;
    client = new SecretsManagerClient({
      endpoint: secrets.endpoint,
      region: info.region,
      credentials,
      maxAttempts: 1,
    });
    secretId = secrets.secretId;
  } else {
    secretId = output(ctx, STACK_OUTPUTS.providerSecretId);
    // A secret given by ARN may live in another region (lib/provider-secret.ts allows it):
    // Secrets Manager answers for a secret only in its own region.
    const arnRegion = secretId.startsWith('arn:') ? secretId.split(':')[3] : undefined;
    region = arnRegion || ctx.target.aws?.region;
    client = new SecretsManagerClient({
      ...ctx.target.aws?.clientConfig,
      ...(region === undefined ? {} : { region }),
    });
  }
  ctx.track(client);
  let described: DescribeSecretCommandOutput;
  try {
    described = await client.send(new DescribeSecretCommand({ SecretId: secretId }), {
      abortSignal: ctx.signal,
    });
  } catch (err) {
    const { name } = errorParts(err);
    if (name === 'ResourceNotFoundException') {
      return {
        status: 'fail',
        detail: `secret ${secretId} not found`,
        action: `check providerSecret (${PROVIDER_CONFIG}): create the secret, or deploy with "providerSecret": "create"`,
      };
    }
    if (isAccessDenied(err)) {
      return {
        status: 'fail',
        detail: `access denied: DescribeSecret on ${secretId} (${name})`,
        action: `grant secretsmanager:DescribeSecret on it (${PERMISSIONS})`,
      };
    }
    throw err;
  }
  const name = described.Name ?? secretId;
  if (described.DeletedDate !== undefined) {
    return {
      status: 'fail',
      detail: `secret ${name} is scheduled for deletion (since ${isoSeconds(described.DeletedDate)})`,
      action: `restore it: \`aws secretsmanager restore-secret --secret-id ${secretId}${region ? ` --region ${region}` : ''}\``,
    };
  }
  const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  );
  if (current === undefined) {
    return {
      status: 'fail',
      detail: `empty: secret ${name} has no version staged AWSCURRENT`,
      action: `put the key with \`aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://<key file>${region ? ` --region ${region}` : ''}\``,
    };
  }
  const changed = described.LastChangedDate ?? described.CreatedDate;
  return {
    status: 'ok',
    detail: `secret ${name} has a current value (version ${current[0].slice(0, 8)}…${changed ? `, last changed ${isoSeconds(changed)}` : ''}; the value was not read)`,
  };
}

// ---- 3. provider endpoint -------------------------------------------------------------------

export async function providerEndpointCheck(ctx: CheckContext): Promise<Finding> {
  const local = ctx.target.local !== undefined;
  let baseUrl: string;
  let timeoutMs: number;
  if (local) {
    baseUrl = localField(ctx, 'providerUrl');
    timeoutMs = localField(ctx, 'providerTimeoutMs');
  } else {
    baseUrl = output(ctx, STACK_OUTPUTS.providerBaseUrl);
    const timeoutText = output(ctx, STACK_OUTPUTS.providerTimeoutMs);
    timeoutMs = Number(timeoutText);
    if (!/^\d+$/.test(timeoutText) || timeoutMs < 1) {
      return {
        status: 'fail',
        detail: `output ${STACK_OUTPUTS.providerTimeoutMs} is not a positive integer: ${JSON.stringify(timeoutText)}`,
        action: 'redeploy the current version (docs/deploying.md)',
      };
    }
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return {
      status: 'fail',
      detail: `the provider base URL is not a URL: ${JSON.stringify(baseUrl)}`,
      action: `set providerBaseUrl (${PROVIDER_CONFIG}) and redeploy`,
    };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const tlsWanted = url.protocol === 'https:';
  const port = Number(url.port || (tlsWanted ? 443 : 80));
  // The provider's own timeout bounds the probe, as it bounds every call of the handlers; the
  // doctor's overall bound may cut it shorter.
  const bound = Math.max(1, Math.min(timeoutMs, ctx.remainingMs()));
  const where = `${host}:${port}`;
  try {
    if (!tlsWanted) {
      const tcp = await ctx.probe.tcp(host, port, bound);
      return local
        ? {
            status: 'ok',
            detail: `loopback simulator, no TLS: ${where} accepts connections (${tcp.ms} ms, timeout ${timeoutMs} ms)`,
          }
        : {
            status: 'warn',
            detail: `${url.protocol}//${where} accepts connections, but without TLS: the API key would travel in clear`,
            action: `set an https:// providerBaseUrl (${PROVIDER_CONFIG}) and redeploy`,
          };
    }
    const handshake = await ctx.probe.tls(host, port, bound);
    const via = `${where}${handshake.address === host ? '' : ` (${handshake.address})`}`;
    const validTo = handshake.validTo;
    // An expired certificate fails every call the handlers make, like an untrusted one.
    if (handshake.authorizationError === 'CERT_HAS_EXPIRED') {
      return {
        status: 'fail',
        detail: `${via}: ${handshake.protocol}, certificate EXPIRED${validTo ? ` on ${isoDay(validTo)}` : ''} — calls fail TLS verification until it is renewed`,
        action: `tell the provider its certificate has expired; meanwhile pause the schedule (${ctx.txc('schedule pause')})`,
      };
    }
    if (handshake.authorizationError !== undefined) {
      return {
        status: 'fail',
        detail: `${via}: ${handshake.protocol}, certificate not trusted (${handshake.authorizationError}) — the handlers would refuse it`,
        action: `check the host name in providerBaseUrl (${PROVIDER_CONFIG}); ask the provider about its certificate chain`,
      };
    }
    const left = validTo === undefined ? undefined : validTo.getTime() - ctx.now.getTime();
    const expiry =
      validTo === undefined || left === undefined
        ? 'certificate expiry unknown'
        : `certificate valid until ${isoDay(validTo)} (${Math.floor(left / DAY_MS)} days)`;
    const found = `${via}: ${handshake.protocol}, ${expiry}, handshake ${handshake.ms} ms (timeout ${timeoutMs} ms)`;
    if (left !== undefined && left < CERT_EXPIRY_WARN_DAYS * DAY_MS) {
      return {
        status: 'warn',
        detail: `${found} — expires in less than ${CERT_EXPIRY_WARN_DAYS} days`,
        action: 'ask the provider to renew its certificate before it expires',
      };
    }
    return { status: 'ok', detail: found };
  } catch (err) {
    if (!(err instanceof ProbeFailed)) throw err;
    return probeFailure(err, {
      url,
      where,
      timeoutMs,
      bound,
      local,
      recover: ctx.txc('local provider recover'),
    });
  }
}

function probeFailure(
  err: ProbeFailed,
  o: { url: URL; where: string; timeoutMs: number; bound: number; local: boolean; recover: string },
): Finding {
  const outage = o.local
    ? `the simulated provider is down (an outage rehearsal, or served with --provider-down): ${o.recover} brings it back`
    : `check the provider's status and the network path from here; meanwhile runs defer every call (${RUNBOOK}#provider-error-rate)`;
  switch (err.stage) {
    case 'dns':
      return {
        status: 'fail',
        detail: `DNS: ${err.message}`,
        action: `check providerBaseUrl (${PROVIDER_CONFIG}) and DNS from here`,
      };
    case 'timeout':
      return {
        status: 'fail',
        detail: `${o.url.protocol === 'https:' ? 'no TLS handshake' : 'no TCP connect'} with ${o.where} within ${o.bound} ms${o.bound < o.timeoutMs ? ` (the doctor's time bound; provider timeout ${o.timeoutMs} ms)` : ' (the provider timeout)'}`,
        action: outage,
      };
    case 'connect':
      return {
        status: 'fail',
        detail: `${o.url.protocol}//${o.where} does not accept connections (${err.code ?? err.message})`,
        action: outage,
      };
    case 'tls':
      return {
        status: 'fail',
        detail: `TLS handshake with ${o.where} failed (${err.code ?? err.message})`,
        action: `check the scheme and port of providerBaseUrl (${PROVIDER_CONFIG}); ask the provider`,
      };
  }
}

// ---- 4. schedule ----------------------------------------------------------------------------

export interface ScheduleFinding extends Finding {
  state?: ScheduleStateValue;
}

/** "next fire …" of an expression, with local/stack/schedule.ts's rate/cron arithmetic. */
function nextFireText(expression: string, now: Date, timezone: string | undefined): string {
  if (timezone !== undefined && !/^(Etc\/)?(UTC|GMT)$/.test(timezone)) {
    return `next fire not computed (time zone ${timezone}; only UTC is computed here)`;
  }
  let next: Date;
  try {
    next = nextFireTime(expression)(now);
  } catch (err) {
    return `next fire not computed (${errorParts(err).message})`;
  }
  // A rate(...) schedule counts from its start, which GetSchedule does not say: now + one
  // period is the latest the next fire can be.
  return expression.startsWith('rate(')
    ? `next fire by ${isoSeconds(next)}`
    : `next fire ${isoSeconds(next)}`;
}

export async function scheduleCheck(ctx: CheckContext): Promise<ScheduleFinding> {
  let expression: string;
  let state: ScheduleStateValue;
  let next: string;
  if (ctx.target.local !== undefined) {
    const schedule = ctx.target.local.info.schedule;
    if (schedule === null) {
      return {
        status: 'warn',
        detail: 'no schedule (served with --no-schedule): runs start only by hand',
        action: 'restart `npm run txc -- local serve` without --no-schedule',
      };
    }
    ({ expression, state } = schedule);
    next =
      typeof schedule.nextFireTime === 'string'
        ? `next fire ${isoSeconds(new Date(schedule.nextFireTime))}`
        : 'no next fire time';
  } else {
    output(ctx, STACK_OUTPUTS.scheduleName);
    const info = await ctx.target.scheduler.describe();
    ({ expression, state } = info);
    next = nextFireText(expression, ctx.now, info.timezone);
  }
  if (state === 'DISABLED') {
    return {
      status: 'warn',
      state,
      detail: `DISABLED (${expression}): runs start only by hand`,
      action: ctx.txc('schedule resume'),
    };
  }
  return { status: 'ok', state, detail: `ENABLED, ${expression}, ${next}` };
}

// ---- 5. alarm routing -----------------------------------------------------------------------

interface TopicSubscriptions {
  topicArn: string;
  confirmed: Subscription[];
  pending: Subscription[];
}

async function subscriptionsOf(
  ctx: CheckContext,
  client: SNSClient,
  topicArn: string,
): Promise<TopicSubscriptions> {
  const all: Subscription[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }),
      { abortSignal: ctx.signal },
    );
    all.push(...(page.Subscriptions ?? []));
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return {
    topicArn,
    // A confirmed subscription has an ARN; an unconfirmed one says PendingConfirmation.
    confirmed: all.filter((s) => s.SubscriptionArn?.startsWith('arn:') === true),
    pending: all.filter((s) => s.SubscriptionArn === 'PendingConfirmation'),
  };
}

const topicName = (arn: string) => arn.split(':').pop() ?? arn;
const protocols = (subs: Subscription[]) =>
  [...new Set(subs.map((s) => s.Protocol ?? '?'))].join(', ');

export async function alarmRoutingCheck(ctx: CheckContext): Promise<Finding> {
  if (ctx.target.local !== undefined) {
    return { status: 'ok', detail: 'not applicable offline (the local runtime raises no alarms)' };
  }
  const own = output(ctx, STACK_OUTPUTS.alarmTopicArn);
  const external = optionalOutput(ctx, STACK_OUTPUTS.externalAlarmTopicArn);
  const client = ctx.track(new SNSClient(ctx.target.aws?.clientConfig ?? {}));
  const topics: TopicSubscriptions[] = [];
  const notes: string[] = [];
  let externalUnreadable = false;
  try {
    topics.push(await subscriptionsOf(ctx, client, own));
  } catch (err) {
    if (!isAccessDenied(err)) throw err;
    return {
      status: 'fail',
      detail: `access denied: ListSubscriptionsByTopic on ${topicName(own)} (${errorParts(err).name})`,
      action: `grant sns:ListSubscriptionsByTopic on it (${PERMISSIONS})`,
    };
  }
  if (external !== undefined) {
    try {
      topics.push(await subscriptionsOf(ctx, client, external));
    } catch (err) {
      // The external topic often belongs to another team's account: not being allowed to list
      // its subscriptions says nothing about whether anyone gets the alarms.
      if (!isAccessDenied(err)) throw err;
      externalUnreadable = true;
      notes.push(`external ${topicName(external)}: access denied, not checked`);
    }
  }
  const confirmed = topics.reduce((n, t) => n + t.confirmed.length, 0);
  const pending = topics.reduce((n, t) => n + t.pending.length, 0);
  const perTopic = topics.map((t) => {
    const parts = [
      `${t.confirmed.length} confirmed${t.confirmed.length ? ` (${protocols(t.confirmed)})` : ''}`,
    ];
    if (t.pending.length)
      parts.push(`${t.pending.length} pending confirmation (${protocols(t.pending)})`);
    return `${topicName(t.topicArn)}: ${parts.join(', ')}`;
  });
  const detail = [...perTopic, ...notes].join('; ');
  if (confirmed > 0) {
    return externalUnreadable
      ? {
          status: 'warn',
          detail,
          action: `ask the external topic's owner to confirm its subscribers, or grant sns:ListSubscriptionsByTopic on it`,
        }
      : { status: 'ok', detail };
  }
  const enabled = (await ctx.scheduleState) !== 'DISABLED';
  const subscribe = `\`aws sns subscribe --topic-arn ${own} --protocol email --notification-endpoint <on-call address>\`, or alarmEmails / alarmTopicArn (docs/configuration.md#alarms-and-slos)`;
  return {
    // Nobody hears an alarm: with the schedule running that is an unwatched production job.
    status: enabled ? 'fail' : 'warn',
    detail: `no confirmed subscription — ${detail}${enabled ? '' : ' (schedule disabled)'}`,
    action:
      pending > 0
        ? `confirm the pending subscription (the link in the message AWS sent), or subscribe: ${subscribe}`
        : `subscribe the on-call: ${subscribe}`,
  };
}

// ---- 6. run lock ----------------------------------------------------------------------------

const executionName = (arn: string) => arn.split(':').pop() || arn;

export async function runLockCheck(ctx: CheckContext): Promise<Finding> {
  const lock = await currentLock(ctx.target);
  if (lock === undefined) return { status: 'ok', detail: 'free' };
  const holder = `run ${lock.runId}, execution ${executionName(lock.executionArn)}`;
  const expires = Date.parse(lock.expiresAt);
  if (Number.isNaN(expires)) {
    return {
      status: 'fail',
      detail: `held by ${holder} with an unreadable lease (expiresAt ${JSON.stringify(lock.expiresAt)})`,
      action: `look at the holder: ${ctx.txc(`status ${executionName(lock.executionArn)}`)}; see ${RUNBOOK}#stuck-run-lock`,
    };
  }
  const left = expires - ctx.now.getTime();
  if (left > 0) {
    return {
      status: 'ok',
      detail: `held by ${holder}, lease until ${isoSeconds(new Date(expires))} (${duration(left)} left)`,
    };
  }
  return {
    status: 'fail',
    detail: `stuck since ${isoSeconds(new Date(expires))} (${duration(-left)} ago), held by ${holder}: its run ended without releasing it`,
    action: `the next run takes it over; see ${RUNBOOK}#stuck-run-lock (${ctx.txc(`status ${executionName(lock.executionArn)}`)} shows the holder)`,
  };
}

// ---- 7. dead-letter queues ------------------------------------------------------------------

const DEAD_LETTER_QUEUES = [
  {
    output: STACK_OUTPUTS.scheduleDeadLetterQueueUrl,
    label: 'schedule',
    entry: 'schedule-dead-letters',
  },
  {
    output: STACK_OUTPUTS.releaseLockDeadLetterQueueUrl,
    label: 'release-lock',
    entry: 'release-lock-dead-letters',
  },
] as const;

export async function deadLetterQueuesCheck(ctx: CheckContext): Promise<Finding> {
  if (ctx.target.local !== undefined) {
    return { status: 'ok', detail: 'not applicable offline (the local runtime has no queues)' };
  }
  const client = ctx.track(new SQSClient(ctx.target.aws?.clientConfig ?? {}));
  const parts: string[] = [];
  const actions: string[] = [];
  let status: CheckStatus = 'ok';
  for (const queue of DEAD_LETTER_QUEUES) {
    // One queue's missing output does not hide what the other one holds.
    let url: string;
    try {
      url = output(ctx, queue.output);
    } catch (err) {
      if (!(err instanceof CheckPrerequisiteMissing)) throw err;
      status = 'fail';
      parts.push(`${queue.label} DLQ: ${err.finding.detail}`);
      if (err.finding.action !== undefined) actions.push(err.finding.action);
      continue;
    }
    try {
      const { Attributes = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
        { abortSignal: ctx.signal },
      );
      const visible = Number(Attributes.ApproximateNumberOfMessages ?? 0);
      const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
      const total = visible + inFlight;
      parts.push(`${queue.label} DLQ: ${total}${inFlight > 0 ? ` (${inFlight} being read)` : ''}`);
      if (total > 0) {
        status = 'fail';
        actions.push(`see ${RUNBOOK}#${queue.entry}`);
      }
    } catch (err) {
      status = 'fail';
      const name = errorParts(err).name;
      parts.push(
        `${queue.label} DLQ: unreadable (${isAccessDenied(err) ? `access denied, ${name}` : formatError(err)})`,
      );
      actions.push(`grant sqs:GetQueueAttributes on ${url.split('/').pop()} (${PERMISSIONS})`);
    }
  }
  return {
    status,
    detail: parts.join(', '),
    ...(actions.length > 0 ? { action: actions.join('; ') } : {}),
  };
}

// ---- 8. backlog -----------------------------------------------------------------------------

export async function backlogCheck(ctx: CheckContext): Promise<Finding> {
  let sloSeconds: number;
  if (ctx.target.local !== undefined) {
    sloSeconds = localField(ctx, 'oldestPendingAgeSloSeconds');
  } else {
    const text = output(ctx, STACK_OUTPUTS.oldestPendingAgeSloSeconds);
    sloSeconds = Number(text);
    if (!(sloSeconds > 0)) {
      return {
        status: 'fail',
        detail: `output ${STACK_OUTPUTS.oldestPendingAgeSloSeconds} is not a positive number: ${JSON.stringify(text)}`,
        action: 'redeploy the current version (docs/deploying.md)',
      };
    }
  }
  // The same scan as `txc pending`: one query per shard of the sparse pending index.
  const report = await pendingReport(ctx.target, ctx.now);
  const slo = `SLO ${sloSeconds} s`;
  if (report.total === 0 || report.oldestAgeMs === null) {
    return { status: 'ok', detail: `no PENDING transactions (${slo})` };
  }
  const age = report.oldestAgeMs;
  const found = `${report.total} pending, oldest ${report.oldestId ?? '?'} is ${duration(age)} old (created ${report.oldestCreatedAt ?? '?'})`;
  const action = `see ${RUNBOOK}#oldest-pending-age (${ctx.txc('pending')})`;
  if (age > sloSeconds * 1000) {
    return { status: 'fail', detail: `${found}: over the ${slo}`, action };
  }
  if (age > (sloSeconds * 1000) / 2) {
    return { status: 'warn', detail: `${found}: over half the ${slo}`, action };
  }
  return { status: 'ok', detail: `${found}, within the ${slo}` };
}
