/**
 * Turns a stage's settings into its validated config: the schema (types, ranges), then the
 * settings with no safe default, then the relations between settings. Every problem is collected
 * and thrown at once as an InvalidConfiguration error, one line each, naming the setting, what is
 * allowed, the value given and where it was set; so one synth shows every mistake.
 */
import type { z } from 'zod';
import { Problems } from '../validation';
import {
  derivedPageSize,
  MAX_BATCHES_PER_PAGE,
  PROFILE_DEFAULTS,
  STAGE_NAME_PATTERN,
  type TxconfirmConfig,
  providerSecretProblem,
  stageSettingsSchema,
} from './settings';

/** Seconds a Step Functions task waits beyond its Lambda's own timeout, so the Lambda's error wins the race. */
export const TASK_TIMEOUT_HEADROOM_SECONDS = 5;
/** Lambda timeout of the control functions (start-run, fetch-page, finish-run, release-lock). */
export const CONTROL_FUNCTION_TIMEOUT_SECONDS = 30;
/** Time reserved in confirm-batch for everything but the provider call (cold start, DynamoDB reads and writes). */
export const PROVIDER_TIMEOUT_MARGIN_MS = 5_000;
/** Time a page spends outside ConfirmPage: FetchPage (with its own retries) and the Choice. */
export const PAGE_OVERHEAD_SECONDS = 60;
/** The freshness SLO in schedule periods: a transaction may miss two runs, never three. */
export const OLDEST_PENDING_AGE_SLO_PERIODS = 3;
const SLO_MIN_SECONDS = 60;
const SLO_MAX_SECONDS = 86_400;

export interface ValidateOptions {
  /**
   * Where each setting came from (`config/prod.json`, `-c`), for the messages. @default none
   */
  readonly sourceOf?: (setting: string) => string | undefined;
  /** How to set a missing setting, for the messages (lib/config/load.ts knows the stage's file). */
  readonly howToSet?: (setting: string, example: string) => string;
  /**
   * Offline tools (npm start, the tests, npm run cost) run a stage without alarm routing: nothing
   * is deployed, so nothing can page nobody.
   */
  readonly offline?: boolean;
}

/** Validates `settings` for `stage`; returns the config with every default applied. */
export function validateConfig(
  stage: string,
  settings: unknown,
  options: ValidateOptions = {},
): TxconfirmConfig {
  const p = new Problems();
  const where = (setting: string) => {
    const source = options.sourceOf?.(setting);
    return source ? ` (set in ${source})` : '';
  };
  if (typeof stage !== 'string' || !STAGE_NAME_PATTERN.test(stage)) {
    p.add(
      `stage must match ${STAGE_NAME_PATTERN.source} (lowercase letters, digits and "-", starting with a letter, at most 20 characters), got ${JSON.stringify(stage)}`,
    );
  }
  const parsed = stageSettingsSchema.safeParse(settings, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) p.add(describeIssue(issue, where));
    p.throwIfAny();
  }
  const data = parsed.data!;
  const profile = PROFILE_DEFAULTS[data.production ? 'production' : 'development'];
  const config = {
    ...profile,
    ...withoutUndefined(data),
    pageSize: data.pageSize ?? derivedPageSize(data.maxConcurrency, data.batchSize, data.pageWaves),
    stage,
  } as TxconfirmConfig;

  const howToSet =
    options.howToSet ??
    ((setting: string, example: string) => `set ${setting} (for example ${example})`);
  if (data.providerBaseUrl === undefined) {
    p.add(
      `providerBaseUrl is required (the payment provider's API; there is no safe default): ${howToSet('providerBaseUrl', '"https://api.provider.example"')}`,
    );
  } else {
    checkProviderBaseUrl(p, data.providerBaseUrl, where('providerBaseUrl'));
  }
  if (data.providerSecret === undefined) {
    p.add(
      `providerSecret is required (the Secrets Manager secret with the provider API key): ${howToSet('providerSecret', `"create" (or an existing secret's name or ARN)`)}`,
    );
  } else {
    const problem = providerSecretProblem(data.providerSecret);
    if (problem) p.add(problem + where('providerSecret'));
  }
  const routed = config.alarmEmails.length > 0 || config.alarmTopicArn !== undefined;
  if (!routed && !options.offline && (config.scheduleEnabled || config.production)) {
    p.add(
      `alarm routing is required for a ${config.production ? 'production stage' : 'stage with the schedule enabled'} (its alarms would page nobody): ${howToSet('alarmEmails', '["oncall@example.com"]')}, and/or ${howToSet('alarmTopicArn', '"arn:aws:sns:eu-west-1:123456789012:pager"')}`,
    );
  }

  const scheduleProblem = checkScheduleExpression(config.scheduleExpression);
  if (scheduleProblem) p.add(scheduleProblem + where('scheduleExpression'));
  checkRelations(p, config);
  checkFreshnessSlo(p, config, scheduleProblem === undefined);
  p.throwIfAny();
  return config;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describeIssue(issue: z.core.$ZodIssue, where: (setting: string) => string): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(
      issue.path.length === 0
        ? stageSettingsSchema.shape
        : (stageSettingsSchema.shape.confirmBatchRetry.unwrap().shape as object),
    );
    return issue.keys
      .map((key) => {
        const name = path ? `${path}.${key}` : key;
        const guess = closest(key, known);
        return `unknown setting ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}${where(name)}`;
      })
      .join('\n');
  }
  if (path === '') return `the settings must be an object, got ${show(issue.input)}`;
  return `${path} ${issue.message}, got ${show(issue.input)}${where(String(issue.path[0]))}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** The known name nearest to `name` (edit distance ≤ 3, case ignored), for "did you mean". */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

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

/** Relations between settings that are each valid on their own. */
function checkRelations(p: Problems, c: TxconfirmConfig): void {
  if (c.pageSize < c.batchSize) {
    p.add(
      `pageSize must be >= batchSize (a page is split into batches of batchSize ids), got pageSize ${c.pageSize} < batchSize ${c.batchSize}`,
    );
  }
  const batches = Math.ceil(c.pageSize / c.batchSize);
  if (batches > MAX_BATCHES_PER_PAGE) {
    p.add(
      `pageSize / batchSize (batches per page) must be <= ${MAX_BATCHES_PER_PAGE} (their results come back into the 256 KiB state), got ceil(${c.pageSize} / ${c.batchSize}) = ${batches}: lower pageSize or raise batchSize`,
    );
  }
  const budgetMs = c.confirmBatchTimeoutSeconds * 1000;
  if (c.providerTimeoutMs + PROVIDER_TIMEOUT_MARGIN_MS >= budgetMs) {
    p.add(
      `providerTimeoutMs + ${PROVIDER_TIMEOUT_MARGIN_MS} ms margin must be < confirmBatchTimeoutSeconds × 1000 (${budgetMs} ms), got ${c.providerTimeoutMs} ms: raise confirmBatchTimeoutSeconds or lower providerTimeoutMs`,
    );
  }
  const inFlight = c.maxConcurrency * c.inBatchParallelism;
  if (inFlight > c.providerMaxInFlight) {
    p.add(
      `maxConcurrency × inBatchParallelism (provider calls in flight) must be <= providerMaxInFlight (${c.providerMaxInFlight}), got ${c.maxConcurrency} × ${c.inBatchParallelism} = ${inFlight}`,
    );
  }
  const page = worstCasePageSeconds(c);
  if (c.lockLeaseSeconds <= page) {
    p.add(
      `lockLeaseSeconds must be > ${page} (worst-case time of one page: ${1 + c.confirmBatchRetry.maxAttempts} attempts × ${confirmBatchTaskTimeoutSeconds(c)} s confirm-batch task timeout per wave of batches, plus backoff and ${PAGE_OVERHEAD_SECONDS} s for FetchPage), got ${c.lockLeaseSeconds}`,
    );
  }
  if (c.executionTimeoutMinutes * 60 <= page) {
    p.add(
      `executionTimeoutMinutes must be >= ${Math.floor(page / 60) + 1} (one worst-case page takes ${page} s), got ${c.executionTimeoutMinutes}`,
    );
  }
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
 * schedule. Undefined when neither is known (a cron schedule without the setting; validateConfig
 * reports it).
 */
export function oldestPendingAgeSloSeconds(config: TxconfirmConfig): number | undefined {
  if (config.oldestPendingAgeSloSeconds !== undefined) return config.oldestPendingAgeSloSeconds;
  const period = schedulePeriodSeconds(config.scheduleExpression);
  return period === undefined ? undefined : OLDEST_PENDING_AGE_SLO_PERIODS * period;
}

function checkFreshnessSlo(p: Problems, c: TxconfirmConfig, scheduleOk: boolean): void {
  const period = schedulePeriodSeconds(c.scheduleExpression);
  if (c.oldestPendingAgeSloSeconds !== undefined) {
    if (period !== undefined && c.oldestPendingAgeSloSeconds < period) {
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

function checkProviderBaseUrl(p: Problems, value: string, where: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:') {
    p.add(
      `providerBaseUrl must be an https:// URL (TLS to the provider, docs/architecture.md §8), got ${JSON.stringify(value)}${where}`,
    );
  } else if (url.username || url.password) {
    p.add(
      `providerBaseUrl must not carry credentials (they belong in the providerSecret secret), got a URL with user info${where}`,
    );
  }
}
