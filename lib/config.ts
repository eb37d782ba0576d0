import { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Problems } from './validation';

/** Retry of one confirm-batch child (Distributed Map item processor) on transient faults. */
export interface ConfirmBatchRetry {
  /** Retries after the first attempt (ASL `MaxAttempts`); 0 disables retrying. */
  readonly maxAttempts: number;
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  /** Caps the exponential backoff (ASL `MaxDelaySeconds`). */
  readonly maxDelaySeconds: number;
}

/** Everything that differs between deployments of txconfirm. Built in lib/stages.ts, checked by {@link validateConfig}. */
export interface TxconfirmConfig {
  /** Names the stack (`Txconfirm-<stage>`), the state machine and its log group. */
  readonly stage: string;

  /** EventBridge Scheduler expression: `rate(5 minutes)` or `cron(0/5 * * * ? *)`. */
  readonly scheduleExpression: string;
  /** `false` creates the schedule disabled (operators still start executions by hand). */
  readonly scheduleEnabled: boolean;

  /** Shards of the sparse pending index (`pendingShard` = "00".."NN"). */
  readonly shardCount: number;
  /** Transaction ids per FetchPage (one Distributed Map run per page). Pages carry ids only. */
  readonly pageSize: number;
  /** Ids per confirm-batch invocation (ItemBatcher MaxItemsPerBatch). */
  readonly batchSize: number;
  /** Concurrent child workflows of the Distributed Map. */
  readonly maxConcurrency: number;
  /** Percentage of failed batches a page tolerates before the run fails. */
  readonly toleratedFailurePercentage: number;
  /** Transient provider failures per transaction before it becomes FAILED (DESIGN.md §4.4). */
  readonly maxAttempts: number;
  /** Pages per execution before ContinueAsNew (keeps each history far below 25,000 events). */
  readonly maxPagesPerExecution: number;
  /** Run lock lease, renewed at every FetchPage; must outlast the slowest page. */
  readonly lockLeaseSeconds: number;
  /** Step Functions execution timeout (each execution; ContinueAsNew starts a fresh one). */
  readonly executionTimeoutMinutes: number;

  /** Payment provider API; https only (DESIGN.md §8). */
  readonly providerBaseUrl: string;
  /** Secrets Manager secret NAME holding the provider credentials (created outside this stack). */
  readonly providerSecretName: string;
  /** Timeout of one provider call. */
  readonly providerTimeoutMs: number;
  /** What the provider allows in flight; maxConcurrency × inBatchParallelism must not exceed it. */
  readonly providerMaxInFlight: number;
  /** Provider calls in flight inside one confirm-batch invocation. */
  readonly inBatchParallelism: number;

  readonly confirmBatchTimeoutSeconds: number;
  readonly confirmBatchMemoryMb: number;
  readonly confirmBatchRetry: ConfirmBatchRetry;

  readonly logRetention: logs.RetentionDays;
  /** POWERTOOLS_LOG_LEVEL of every function. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Share of invocations whose logs are sampled at DEBUG (POWERTOOLS_LOGGER_SAMPLE_RATE), 0..1. */
  readonly debugLogSampleRate: number;
  /** State machine logs carry execution input/output (ids, totals). Off in prod. */
  readonly includeExecutionData: boolean;
  /** Stateful resources (tables, log groups). */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection on both tables. */
  readonly deletionProtection: boolean;

  /** Subscribed (by email, to be confirmed by its owner) to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /**
   * Freshness SLO: the oldest PENDING transaction is younger than this (README § SLOs). Alarmed on.
   * @default 3 × the schedule period of a `rate(...)` expression; required with `cron(...)`
   */
  readonly oldestPendingAgeSloSeconds?: number;
  /** Alarm when more than this fraction of provider calls fail (0 < x <= 1). @default 0.2 */
  readonly providerErrorRateThreshold?: number;
}

/** Default of {@link TxconfirmConfig.providerErrorRateThreshold}. */
export const DEFAULT_PROVIDER_ERROR_RATE_THRESHOLD = 0.2;
/** The freshness SLO in schedule periods: a transaction may miss two runs, never three. */
export const OLDEST_PENDING_AGE_SLO_PERIODS = 3;
/** Bounds of the freshness SLO: an alarm's window is at most one day (CloudWatch period × evaluation periods). */
const SLO_MIN_SECONDS = 60;
const SLO_MAX_SECONDS = 86_400;
/** Deliberately loose (one @, a dot in the domain, no spaces): SNS sends a confirmation mail anyway. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Seconds a Step Functions task waits beyond its Lambda's own timeout, so the Lambda's error wins the race. */
export const TASK_TIMEOUT_HEADROOM_SECONDS = 5;
/** Lambda timeout of the control functions (start-run, fetch-page, finish-run, release-lock). */
export const CONTROL_FUNCTION_TIMEOUT_SECONDS = 30;
/** Time reserved in confirm-batch for everything but the provider call (cold start, DynamoDB reads and writes). */
export const PROVIDER_TIMEOUT_MARGIN_MS = 5_000;
/** Time a page spends outside ConfirmPage: FetchPage (with its own retries) and the Choice. */
export const PAGE_OVERHEAD_SECONDS = 60;

export const STAGE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export function confirmBatchTaskTimeoutSeconds(config: TxconfirmConfig): number {
  return config.confirmBatchTimeoutSeconds + TASK_TIMEOUT_HEADROOM_SECONDS;
}

/**
 * Worst case for one page: every wave of batches uses all its attempts, each to the task timeout,
 * plus the capped backoff between them, plus FetchPage. The lock lease must outlast this, because
 * the lease is only renewed when FetchPage runs.
 */
export function worstCasePageSeconds(config: TxconfirmConfig): number {
  const { pageSize, batchSize, maxConcurrency, confirmBatchRetry: retry } = config;
  const waves = Math.ceil(Math.ceil(pageSize / batchSize) / maxConcurrency);
  const attempts = 1 + retry.maxAttempts;
  let backoff = 0;
  for (let i = 0; i < retry.maxAttempts; i++) {
    backoff += Math.min(retry.intervalSeconds * retry.backoffRate ** i, retry.maxDelaySeconds);
  }
  return (
    waves * (attempts * confirmBatchTaskTimeoutSeconds(config) + Math.ceil(backoff)) +
    PAGE_OVERHEAD_SECONDS
  );
}

/**
 * Checks every prop and the relations between them; throws one `InvalidConfiguration` error that
 * lists all problems. Runs at synth time (bin/app.ts), so a bad config never reaches a deploy.
 */
export function validateConfig(config: TxconfirmConfig): void {
  const p = new Problems();
  const c = config;

  if (typeof c.stage !== 'string' || !STAGE_NAME_PATTERN.test(c.stage)) {
    p.add(
      `stage must match ${STAGE_NAME_PATTERN.source} (lowercase letters, digits and "-", starting with a letter, at most 20 characters), got ${JSON.stringify(c.stage)}`,
    );
  }
  const scheduleProblem = checkScheduleExpression(c.scheduleExpression);
  if (scheduleProblem) p.add(scheduleProblem);

  p.integerInRange('shardCount', c.shardCount, 1, 256);
  // A page travels through the state (256 KiB limit) as ids only: 2,000 ids of ~100 bytes stay well below it.
  const pageOk = p.integerInRange('pageSize', c.pageSize, 1, 2000);
  const batchOk = p.integerInRange('batchSize', c.batchSize, 1, 1000);
  const concurrencyOk = p.integerInRange('maxConcurrency', c.maxConcurrency, 1, 10000);
  p.numberInRange('toleratedFailurePercentage', c.toleratedFailurePercentage, 0, 100);
  p.integerInRange('maxAttempts', c.maxAttempts, 1, 100);
  // ~15 history events per page: 1,000 pages stay far below the 25,000-event limit.
  p.integerInRange('maxPagesPerExecution', c.maxPagesPerExecution, 1, 1000);
  const leaseOk = p.integerInRange('lockLeaseSeconds', c.lockLeaseSeconds, 60, 86400);
  const executionTimeoutOk = p.integerInRange(
    'executionTimeoutMinutes',
    c.executionTimeoutMinutes,
    1,
    525600,
  );

  checkProviderBaseUrl(p, c.providerBaseUrl);
  if (typeof c.providerSecretName !== 'string' || !SECRET_NAME_PATTERN.test(c.providerSecretName)) {
    p.add(
      `providerSecretName must be a Secrets Manager secret name (1..512 of A-Z a-z 0-9 / _ + = . @ -), got ${JSON.stringify(c.providerSecretName)}`,
    );
  }
  const providerTimeoutOk = p.integerInRange('providerTimeoutMs', c.providerTimeoutMs, 100, 900000);
  const inFlightOk = p.integerInRange('providerMaxInFlight', c.providerMaxInFlight, 1, 100000);
  const parallelismOk = p.integerInRange('inBatchParallelism', c.inBatchParallelism, 1, 100);

  const batchTimeoutOk = p.integerInRange(
    'confirmBatchTimeoutSeconds',
    c.confirmBatchTimeoutSeconds,
    3,
    900,
  );
  p.integerInRange('confirmBatchMemoryMb', c.confirmBatchMemoryMb, 128, 10240);
  const retry = c.confirmBatchRetry ?? ({} as ConfirmBatchRetry);
  const retryOk = [
    p.integerInRange('confirmBatchRetry.maxAttempts', retry.maxAttempts, 0, 10),
    p.integerInRange('confirmBatchRetry.intervalSeconds', retry.intervalSeconds, 1, 300),
    p.numberInRange('confirmBatchRetry.backoffRate', retry.backoffRate, 1, 10),
    p.integerInRange('confirmBatchRetry.maxDelaySeconds', retry.maxDelaySeconds, 1, 3600),
  ].every(Boolean);

  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(c.logLevel)) {
    p.add(`logLevel must be one of DEBUG, INFO, WARN, ERROR, got ${JSON.stringify(c.logLevel)}`);
  }
  p.numberInRange('debugLogSampleRate', c.debugLogSampleRate, 0, 1);

  if (c.deletionProtection && c.removalPolicy === RemovalPolicy.DESTROY) {
    p.add(
      'removalPolicy is DESTROY but deletionProtection is true: deleting the stack would fail on the tables; use RETAIN for a stateful stage, or turn deletionProtection off',
    );
  }

  // Cross-field checks, only where the fields themselves are valid (no noise on top of a range error).
  if (pageOk && batchOk && c.pageSize < c.batchSize) {
    p.add(
      `pageSize must be >= batchSize (a page is split into batches of batchSize ids), got pageSize ${c.pageSize} < batchSize ${c.batchSize}`,
    );
  }
  if (providerTimeoutOk && batchTimeoutOk) {
    const budgetMs = c.confirmBatchTimeoutSeconds * 1000;
    if (c.providerTimeoutMs + PROVIDER_TIMEOUT_MARGIN_MS >= budgetMs) {
      p.add(
        `providerTimeoutMs + ${PROVIDER_TIMEOUT_MARGIN_MS} ms margin must be < confirmBatchTimeoutSeconds × 1000 (${budgetMs} ms), got ${c.providerTimeoutMs} ms: raise confirmBatchTimeoutSeconds or lower providerTimeoutMs`,
      );
    }
  }
  if (concurrencyOk && parallelismOk && inFlightOk) {
    const inFlight = c.maxConcurrency * c.inBatchParallelism;
    if (inFlight > c.providerMaxInFlight) {
      p.add(
        `maxConcurrency × inBatchParallelism (provider calls in flight) must be <= providerMaxInFlight (${c.providerMaxInFlight}), got ${c.maxConcurrency} × ${c.inBatchParallelism} = ${inFlight}`,
      );
    }
  }
  if (pageOk && batchOk && concurrencyOk && batchTimeoutOk && retryOk) {
    const page = worstCasePageSeconds(c);
    if (leaseOk && c.lockLeaseSeconds <= page) {
      p.add(
        `lockLeaseSeconds must be > ${page} (worst-case time of one page: ${1 + retry.maxAttempts} attempts × ${confirmBatchTaskTimeoutSeconds(c)} s confirm-batch task timeout per wave of batches, plus backoff and ${PAGE_OVERHEAD_SECONDS} s for FetchPage), got ${c.lockLeaseSeconds}`,
      );
    }
    if (executionTimeoutOk && c.executionTimeoutMinutes * 60 <= page) {
      p.add(
        `executionTimeoutMinutes must be >= ${Math.floor(page / 60) + 1} (one worst-case page takes ${page} s), got ${c.executionTimeoutMinutes}`,
      );
    }
  }

  checkMonitoring(p, c, scheduleProblem === undefined);

  p.throwIfAny();
}

/** Seconds between two runs of a `rate(...)` expression; undefined for `cron(...)` or bad syntax. */
export function schedulePeriodSeconds(expression: string): number | undefined {
  const rate = typeof expression === 'string' ? RATE.exec(expression) : null;
  if (!rate) return undefined;
  const unitSeconds = { minute: 60, hour: 3600, day: 86_400 }[rate[2].replace(/s$/, '')] ?? 0;
  return Number(rate[1]) * unitSeconds;
}

/**
 * The freshness SLO in seconds: `oldestPendingAgeSloSeconds`, or 3 schedule periods of a `rate(...)`
 * schedule. Undefined when neither is known (a cron schedule without the prop; validateConfig
 * reports it).
 */
export function oldestPendingAgeSloSeconds(config: TxconfirmConfig): number | undefined {
  if (config.oldestPendingAgeSloSeconds !== undefined) return config.oldestPendingAgeSloSeconds;
  const period = schedulePeriodSeconds(config.scheduleExpression);
  return period === undefined ? undefined : OLDEST_PENDING_AGE_SLO_PERIODS * period;
}

function checkMonitoring(p: Problems, c: TxconfirmConfig, scheduleOk: boolean): void {
  if (
    c.alarmEmail !== undefined &&
    (typeof c.alarmEmail !== 'string' || !EMAIL_PATTERN.test(c.alarmEmail))
  ) {
    p.add(
      `alarmEmail must be an email address (name@example.com) to receive the alarm notifications, or left out for no subscription, got ${JSON.stringify(c.alarmEmail)}`,
    );
  }
  const rate = c.providerErrorRateThreshold;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0 && rate <= 1))) {
    p.add(
      `providerErrorRateThreshold must be a fraction of provider calls > 0 and <= 1 (0.2 = alarm above 20 % failed calls), got ${String(rate)}`,
    );
  }

  const period = schedulePeriodSeconds(c.scheduleExpression);
  if (c.oldestPendingAgeSloSeconds !== undefined) {
    const ok = p.integerInRange(
      'oldestPendingAgeSloSeconds',
      c.oldestPendingAgeSloSeconds,
      SLO_MIN_SECONDS,
      SLO_MAX_SECONDS,
    );
    if (ok && period !== undefined && c.oldestPendingAgeSloSeconds < period) {
      p.add(
        `oldestPendingAgeSloSeconds must be >= the schedule period (${period} s for ${c.scheduleExpression}): a transaction created just after a run waits a whole period, got ${c.oldestPendingAgeSloSeconds}`,
      );
    }
  } else if (scheduleOk && period === undefined) {
    p.add(
      `oldestPendingAgeSloSeconds is required with a cron(...) scheduleExpression (the default, ${OLDEST_PENDING_AGE_SLO_PERIODS} × the rate period, needs rate(...)): set it to ${OLDEST_PENDING_AGE_SLO_PERIODS} × the longest gap between two runs, in seconds`,
    );
  } else if (period !== undefined && OLDEST_PENDING_AGE_SLO_PERIODS * period > SLO_MAX_SECONDS) {
    p.add(
      `oldestPendingAgeSloSeconds defaults to ${OLDEST_PENDING_AGE_SLO_PERIODS} × the schedule period = ${OLDEST_PENDING_AGE_SLO_PERIODS * period} s for ${c.scheduleExpression}, above the ${SLO_MAX_SECONDS} s an alarm can watch: set oldestPendingAgeSloSeconds to ${SLO_MIN_SECONDS}..${SLO_MAX_SECONDS}`,
    );
  }
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;

/** EventBridge Scheduler syntax: `rate(value unit)` with the right singular/plural, or a 6-field `cron(...)`. */
export function checkScheduleExpression(expression: string): string | undefined {
  const usage =
    'scheduleExpression must be rate(N minute[s]|hour[s]|day[s]) or cron(minutes hours day-of-month month day-of-week year)';
  if (typeof expression !== 'string') return `${usage}, got ${String(expression)}`;
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2];
    if (value < 1)
      return `scheduleExpression rate value must be >= 1, got ${JSON.stringify(expression)}`;
    const singular = unit.replace(/s$/, '');
    if (value === 1 && unit !== singular) {
      return `scheduleExpression must use the singular unit for 1: rate(1 ${singular}), got ${JSON.stringify(expression)}`;
    }
    if (value > 1 && unit === singular) {
      return `scheduleExpression must use the plural unit for ${value}: rate(${value} ${singular}s), got ${JSON.stringify(expression)}`;
    }
    return undefined;
  }
  const cron = CRON.exec(expression);
  if (cron) {
    const fields = cron[1].trim().split(/\s+/).filter(Boolean);
    if (fields.length !== 6) {
      return `scheduleExpression cron(...) must have 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length} in ${JSON.stringify(expression)}`;
    }
    const [, , dayOfMonth, , dayOfWeek] = fields;
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
      return `scheduleExpression cron(...) must have "?" in exactly one of day-of-month and day-of-week, got ${JSON.stringify(dayOfMonth)} and ${JSON.stringify(dayOfWeek)} in ${JSON.stringify(expression)}`;
    }
    return undefined;
  }
  return `${usage}, got ${JSON.stringify(expression)}`;
}

function checkProviderBaseUrl(p: Problems, value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:') {
    p.add(
      `providerBaseUrl must be an https:// URL (TLS to the provider, DESIGN.md §8), got ${JSON.stringify(value)}`,
    );
  } else if (url.username || url.password) {
    p.add(
      'providerBaseUrl must not carry credentials (they belong in the providerSecretName secret), got a URL with user info',
    );
  }
}
