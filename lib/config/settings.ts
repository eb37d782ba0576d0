/**
 * Every setting of a stage, in one zod schema: its type, range, default and what it means. The
 * schema validates each setting with an actionable message, and docs/configuration.md is
 * generated from it (npm run docs), so there is no second list by hand.
 *
 * Settings that differ between a production stage and a development one take their default from
 * the stage's profile (`production: true|false`, {@link PROFILE_DEFAULTS}); each can still be set.
 * Settings with no safe default (the provider's URL and secret, where alarms go) have none: a stage
 * must set them (see lib/config/load.ts for how, and the message that lists what is missing).
 */
import { z } from 'zod';

/**
 * The most ids in a page. A page's ids travel in its S3 manifest (about 45 bytes each), not in the
 * state, so this bounds FetchPage's memory and time, not the 256 KiB state limit.
 */
export const MAX_PAGE_SIZE = 100_000;

/**
 * The most child executions (batches) in a page: their results come back into the state
 * (`$.pageResults`, about 150 bytes per batch, a failed child's error up to a few KB), which
 * must stay below Step Functions' 256 KiB.
 */
export const MAX_BATCHES_PER_PAGE = 400;

/**
 * The page size when none is set: `pageWaves` waves of a batch for every child slot
 * (maxConcurrency × batchSize × pageWaves), so MaxConcurrency is reached and each page's fixed
 * cost (FetchPage, the Map Run's start and end, its slowest batch) is paid once for several
 * waves; at most {@link MAX_PAGE_SIZE} and {@link MAX_BATCHES_PER_PAGE} batches.
 */
export function derivedPageSize(
  maxConcurrency: number,
  batchSize: number,
  pageWaves: number,
): number {
  return Math.min(
    MAX_PAGE_SIZE,
    MAX_BATCHES_PER_PAGE * batchSize,
    maxConcurrency * batchSize * pageWaves,
  );
}

/** CloudWatch Logs retention periods, in days (the values `logs.RetentionDays` allows). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

export const STAGE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A complete secret ARN ends in "-" and 6 random characters; a grant on a partial one denies. */
const SECRET_ARN_PATTERN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** Deliberately loose (one @, a dot in the domain, no spaces): SNS sends a confirmation mail anyway. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The value of `providerSecret` that makes the stack create the secret. */
export const CREATE_SECRET = 'create';

const integer = (min: number, max: number) => {
  const error = `must be an integer ${min}..${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const number = (min: number, max: number) => {
  const error = `must be a number ${min}..${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
};
const boolean = () => z.boolean({ error: 'must be true or false' });

export const confirmBatchRetrySchema = z
  .strictObject({
    maxAttempts: integer(0, 10)
      .default(3)
      .describe('Retries after the first attempt (ASL MaxAttempts); 0 disables retrying.'),
    intervalSeconds: integer(1, 300).default(2).describe('Wait before the first retry.'),
    backoffRate: number(1, 10).default(2).describe('Multiplier of the wait per retry.'),
    maxDelaySeconds: integer(1, 3600)
      .default(30)
      .describe('Caps the exponential backoff (ASL MaxDelaySeconds).'),
  })
  .default({ maxAttempts: 3, intervalSeconds: 2, backoffRate: 2, maxDelaySeconds: 30 });

/** Groups of settings, in the order docs/configuration.md lists them. */
export const SETTING_GROUPS = {
  stage: 'The stage',
  provider: 'Payment provider',
  alarms: 'Alarms and SLOs',
  schedule: 'Schedule',
  workflow: 'Workflow and throughput',
  confirmBatch: 'The confirm-batch function',
  logs: 'Logs',
  data: 'Data and encryption',
  network: 'Network',
} as const;
export type SettingGroup = keyof typeof SETTING_GROUPS;

/**
 * One stage's settings as a file or the CDK context gives them. `.meta({ group })` places each
 * in docs/configuration.md; `.describe()` is its documentation.
 */
export const stageSettingsSchema = z.strictObject({
  production: boolean()
    .default(false)
    .describe(
      'A production stage: changes the defaults shown as "production: …" (data retained, a customer-managed key, logs kept a year at INFO without execution data, the schedule on).',
    )
    .meta({ group: 'stage' }),
  account: z
    .string()
    .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' })
    .optional()
    .describe(
      'The AWS account the stage deploys to (the stack env). Unset: the CLI credentials decide.',
    )
    .meta({ group: 'stage', accepts: '12-digit account id' }),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, {
      error: 'must be an AWS region such as eu-west-1',
    })
    .optional()
    .describe(
      'The AWS region the stage deploys to (the stack env). Unset: the CLI configuration decides.',
    )
    .meta({ group: 'stage', accepts: 'AWS region, e.g. eu-west-1' }),

  providerBaseUrl: z
    .string({ error: 'must be an https:// URL' })
    .optional()
    .describe(
      'The payment provider API, https:// without credentials; confirm-batch POSTs to {providerBaseUrl}/v1/confirmations.',
    )
    .meta({ group: 'provider', accepts: 'https:// URL' }),
  providerSecret: z
    .string({ error: 'must be "create", a secret name or a secret ARN' })
    .optional()
    .describe(
      'The Secrets Manager secret with the provider API key: "create" (the stack creates an empty secret txconfirm/<stage>/provider-api-key; put the key in with put-secret-value), an existing secret\'s name, or its ARN.',
    )
    .meta({ group: 'provider', accepts: '"create", a secret name or ARN' }),
  providerTimeoutMs: integer(100, 900_000)
    .default(10_000)
    .describe('Timeout of one provider call.')
    .meta({ group: 'provider' }),
  providerMaxInFlight: integer(1, 100_000)
    .default(100)
    .describe(
      'Provider calls the provider allows in flight; maxConcurrency × inBatchParallelism must not exceed it.',
    )
    .meta({ group: 'provider' }),
  inBatchParallelism: integer(1, 100)
    .default(5)
    .describe('Provider calls in flight inside one confirm-batch invocation.')
    .meta({ group: 'provider' }),

  alarmEmails: z
    .array(z.string().regex(EMAIL_PATTERN, { error: 'must be an email address' }), {
      error: 'must be a list of email addresses',
    })
    .default([])
    .describe(
      "Email addresses subscribed to the stage's alarm topic (each confirms by mail). With -c: comma-separated.",
    )
    .meta({ group: 'alarms', accepts: 'list of email addresses' }),
  alarmTopicArn: z
    .string()
    .regex(TOPIC_ARN_PATTERN, { error: 'must be an SNS topic ARN' })
    .optional()
    .describe(
      "An existing SNS topic every alarm also publishes to (the team's pager or chat integration).",
    )
    .meta({ group: 'alarms', accepts: 'SNS topic ARN' }),
  oldestPendingAgeSloSeconds: integer(60, 86_400)
    .optional()
    .describe(
      'Freshness SLO: the oldest PENDING transaction is younger than this. Default: 3 × the period of a rate(...) schedule; required with cron(...).',
    )
    .meta({ group: 'alarms' }),
  providerErrorRateThreshold: number(0.01, 1)
    .default(0.2)
    .describe('Alarm when more than this fraction of provider calls fail.')
    .meta({ group: 'alarms' }),

  scheduleExpression: z
    .string({ error: 'must be a rate(...) or cron(...) expression' })
    .default('rate(5 minutes)')
    .describe('EventBridge Scheduler expression: rate(5 minutes) or cron(0/5 * * * ? *) (UTC).')
    .meta({ group: 'schedule', accepts: 'rate(...) or cron(...)' }),
  scheduleEnabled: boolean()
    .optional()
    .describe(
      'Whether the schedule starts runs; false creates it disabled (operators still start runs by hand).',
    )
    .meta({ group: 'schedule' }),

  warmWriteUnitsPerSecond: integer(4000, 40_000_000)
    .optional()
    .describe(
      "Write units per second the transactions table and its pending index serve at once (DynamoDB warm throughput). A new on-demand table and index start at 4,000 each; a confirmation writes each once, so above ~4,000 confirmations/s a fresh table throttles unless this is raised (npm run cost names the binding limit). Unset: DynamoDB's own value. Raising it is billed once.",
    )
    .meta({ group: 'workflow' }),

  shardCount: integer(1, 256)
    .default(16)
    .describe('Shards of the sparse pending index (pendingShard = "00".."NN").')
    .meta({ group: 'workflow' }),
  pageSize: integer(1, MAX_PAGE_SIZE)
    .optional()
    .describe(
      `Transaction ids per FetchPage (one Distributed Map run over the page's S3 manifest). Unset: maxConcurrency × batchSize × pageWaves, at most ${MAX_PAGE_SIZE.toLocaleString('en-US')} ids and ${MAX_BATCHES_PER_PAGE} batches. Set, it must make at most ${MAX_BATCHES_PER_PAGE} batches (their results come back into the state).`,
    )
    .meta({ group: 'workflow' }),
  pageWaves: integer(1, 100)
    .default(8)
    .describe(
      'Waves of child executions per page when pageSize is unset: each page pays FetchPage, the Map Run start and its slowest batch once, so more waves keep the provider budget busier; the lock lease must outlast the worst-case page (validated).',
    )
    .meta({ group: 'workflow' }),
  batchSize: integer(1, 1000)
    .default(50)
    .describe('Ids per confirm-batch invocation (ItemBatcher MaxItemsPerBatch).')
    .meta({ group: 'workflow' }),
  maxConcurrency: integer(1, 10_000)
    .default(20)
    .describe('Concurrent child workflows of the Distributed Map.')
    .meta({ group: 'workflow' }),
  toleratedFailurePercentage: number(0, 100)
    .default(10)
    .describe('Percentage of failed batches a page tolerates before the run fails.')
    .meta({ group: 'workflow' }),
  maxAttempts: integer(1, 100)
    .default(5)
    .describe('Transient provider failures per transaction before it becomes FAILED.')
    .meta({ group: 'workflow' }),
  // ~15 history events per page: 1,000 pages stay far below the 25,000-event limit.
  maxPagesPerExecution: integer(1, 1000)
    .default(50)
    .describe('Pages per execution before ContinueAsNew.')
    .meta({ group: 'workflow' }),
  lockLeaseSeconds: integer(60, 86_400)
    .default(3600)
    .describe(
      'Run lock lease, renewed at every FetchPage; must outlast the worst-case page (validated). It matters only when an execution ends and neither its Catch nor the release-lock rule frees the lock.',
    )
    .meta({ group: 'workflow' }),
  executionTimeoutMinutes: integer(1, 525_600)
    .default(240)
    .describe(
      'Step Functions execution timeout (each execution; ContinueAsNew starts a fresh one).',
    )
    .meta({ group: 'workflow' }),

  confirmBatchTimeoutSeconds: integer(3, 900)
    .default(60)
    .describe('Lambda timeout of confirm-batch.')
    .meta({ group: 'confirmBatch' }),
  confirmBatchMemoryMb: integer(128, 10_240)
    .default(512)
    .describe('Lambda memory of confirm-batch.')
    .meta({ group: 'confirmBatch' }),
  confirmBatchRetry: confirmBatchRetrySchema
    .describe('Retry of one confirm-batch child on transient faults (backoff with jitter).')
    .meta({ group: 'confirmBatch' }),

  logRetentionDays: z
    .union(
      LOG_RETENTION_DAYS.map((days) => z.literal(days)),
      { error: `must be one of ${LOG_RETENTION_DAYS.join(', ')} (CloudWatch Logs retention days)` },
    )
    .optional()
    .describe('Retention of every log group.')
    .meta({ group: 'logs' }),
  logLevel: z
    .enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'must be one of DEBUG, INFO, WARN, ERROR' })
    .optional()
    .describe('POWERTOOLS_LOG_LEVEL of every function.')
    .meta({ group: 'logs' }),
  debugLogSampleRate: number(0, 1)
    .optional()
    .describe('Share of invocations logged at DEBUG whatever logLevel says.')
    .meta({ group: 'logs' }),
  includeExecutionData: boolean()
    .optional()
    .describe('State machine logs carry execution input and output (transaction ids, totals).')
    .meta({ group: 'logs' }),

  retainData: boolean()
    .optional()
    .describe(
      'Tables, log groups, queues and keys survive a stack deletion (RETAIN) and the tables have deletion protection.',
    )
    .meta({ group: 'data' }),
  customerManagedKey: boolean()
    .optional()
    .describe(
      'One customer-managed KMS key (rotation on) encrypts both tables, every log group (flow logs too), the alarm topic and a created provider secret; otherwise AWS-managed keys.',
    )
    .meta({ group: 'data' }),

  vpc: boolean()
    .default(false)
    .describe(
      'Run the functions in a VPC: private subnets whose traffic leaves through NAT gateways with Elastic IPs (static egress addresses for a provider allow-list, stack output EgressIps), a DynamoDB gateway endpoint and a Secrets Manager interface endpoint.',
    )
    .meta({ group: 'network' }),
  natGateways: integer(1, 3)
    .default(2)
    .describe('With vpc: NAT gateways (one per availability zone, each with its Elastic IP).')
    .meta({ group: 'network' }),
});

/** Settings as a file or the context gives them (before defaults). */
export type StageSettingsInput = z.input<typeof stageSettingsSchema>;
export type ConfirmBatchRetry = z.output<typeof confirmBatchRetrySchema>;

/** Defaults that depend on whether a stage is production. */
export const PROFILE_DEFAULTS = {
  development: {
    scheduleEnabled: false,
    logRetentionDays: 7,
    logLevel: 'DEBUG',
    debugLogSampleRate: 0,
    includeExecutionData: true,
    retainData: false,
    customerManagedKey: false,
  },
  production: {
    scheduleEnabled: true,
    logRetentionDays: 365,
    // INFO in production; 1% of invocations log at DEBUG to help diagnose without a redeploy.
    logLevel: 'INFO',
    debugLogSampleRate: 0.01,
    // Execution data holds transaction ids and totals: keep it out of the logs in production.
    includeExecutionData: false,
    // RETAIN: the tables hold money; a stack deletion must never take them along.
    retainData: true,
    customerManagedKey: true,
  },
} as const;
type ProfileSetting = keyof (typeof PROFILE_DEFAULTS)['production'];

/** The stage's name and every setting, defaults applied: what the stack is built from. */
export type TxconfirmConfig = Omit<
  z.output<typeof stageSettingsSchema>,
  ProfileSetting | 'providerBaseUrl' | 'providerSecret' | 'pageSize'
> & {
  /** Set, or derived: {@link derivedPageSize}. */
  readonly pageSize: number;
  /** Names the stack (`Txconfirm-<stage>`), the state machine and its log group. */
  readonly stage: string;
  readonly providerBaseUrl: string;
  readonly providerSecret: string;
  readonly scheduleEnabled: boolean;
  readonly logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly debugLogSampleRate: number;
  readonly includeExecutionData: boolean;
  readonly retainData: boolean;
  readonly customerManagedKey: boolean;
};

export const SETTING_NAMES = Object.keys(stageSettingsSchema.shape) as (keyof StageSettingsInput)[];

/** How `providerSecret` is to be resolved by the stack. */
export type ProviderSecretRef =
  | { readonly kind: 'create' }
  | { readonly kind: 'arn'; readonly arn: string }
  | { readonly kind: 'name'; readonly name: string };

export function providerSecretRef(value: string): ProviderSecretRef {
  if (value === CREATE_SECRET) return { kind: 'create' };
  if (value.startsWith('arn:')) return { kind: 'arn', arn: value };
  return { kind: 'name', name: value };
}

/** A problem with `providerSecret`, or undefined. */
export function providerSecretProblem(value: string): string | undefined {
  if (value === CREATE_SECRET) return undefined;
  if (value.startsWith('arn:')) {
    return SECRET_ARN_PATTERN.test(value)
      ? undefined
      : `providerSecret must be a Secrets Manager secret ARN (the complete ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), got ${JSON.stringify(value)}`;
  }
  return SECRET_NAME_PATTERN.test(value)
    ? undefined
    : `providerSecret must be "create", a Secrets Manager secret name (1..512 of A-Z a-z 0-9 / _ + = . @ -) or ARN, got ${JSON.stringify(value)}`;
}
