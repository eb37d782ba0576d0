import { ENV } from '../contracts';
import { parseProviderBaseUrl } from '../adapters/http-payment-provider';
import { InvalidConfiguration } from '../domain/errors';

/*
 * Handler configuration, read once at module load (a bad value fails the cold start with a
 * message naming the variable, never a half-configured handler). Each handler asks only for
 * what it uses.
 */

type Reader<T> = (value: string | undefined, variable: string) => T;

const shown = (value: string) =>
  JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

function required(value: string | undefined, variable: string, what: string): string {
  if (value === undefined || value.trim() === '') {
    throw new InvalidConfiguration(`${variable} is required (${what})`);
  }
  return value.trim();
}

const integer =
  (min: number, max: number): Reader<number> =>
  (value, variable) => {
    const what = `an integer ${min}..${max}`;
    const text = required(value, variable, what);
    const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidConfiguration(`${variable} must be ${what}, got ${shown(text)}`);
    }
    return parsed;
  };

/** DynamoDB table and index names: 3..255 of [A-Za-z0-9_.-]. */
const tableName: Reader<string> = (value, variable) => {
  const text = required(value, variable, 'a DynamoDB table or index name');
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(text)) {
    throw new InvalidConfiguration(
      `${variable} must be a DynamoDB table or index name, got ${shown(text)}`,
    );
  }
  return text;
};

/** S3 bucket names: 3..63 of [a-z0-9.-], starting and ending with a letter or digit. */
const bucketName: Reader<string> = (value, variable) => {
  const text = required(value, variable, 'an S3 bucket name');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(text)) {
    throw new InvalidConfiguration(`${variable} must be an S3 bucket name, got ${shown(text)}`);
  }
  return text;
};

const nonEmpty =
  (what: string): Reader<string> =>
  (value, variable) =>
    required(value, variable, what);

const httpsUrl: Reader<string> = (value, variable) =>
  parseProviderBaseUrl(required(value, variable, 'the payment provider base URL'), variable).href;

const FIELDS = {
  transactionsTable: [ENV.TRANSACTIONS_TABLE, tableName],
  pendingIndex: [ENV.PENDING_INDEX, tableName],
  runsTable: [ENV.RUNS_TABLE, tableName],
  manifestBucket: [ENV.MANIFEST_BUCKET, bucketName],
  shardCount: [ENV.SHARD_COUNT, integer(1, 1000)],
  pageSize: [ENV.PAGE_SIZE, integer(1, 1_000_000)],
  maxPagesPerExecution: [ENV.MAX_PAGES_PER_EXECUTION, integer(1, 10_000)],
  leaseSeconds: [ENV.LOCK_LEASE_SECONDS, integer(1, 86_400)],
  maxAttempts: [ENV.MAX_ATTEMPTS, integer(1, 100)],
  providerBaseUrl: [ENV.PROVIDER_BASE_URL, httpsUrl],
  providerSecretId: [
    ENV.PROVIDER_SECRET_ID,
    nonEmpty('the Secrets Manager secret id of the provider API key'),
  ],
  providerTimeoutMs: [ENV.PROVIDER_TIMEOUT_MS, integer(1, 120_000)],
  inBatchParallelism: [ENV.IN_BATCH_PARALLELISM, integer(1, 100)],
} as const satisfies Record<string, readonly [string, Reader<unknown>]>;

export type ConfigKey = keyof typeof FIELDS;
export type Config = { [K in ConfigKey]: ReturnType<(typeof FIELDS)[K][1]> };

/** The variables each handler reads (lib/ sets exactly these on each function). */
export const HANDLER_CONFIG = {
  'start-run': ['runsTable', 'leaseSeconds'],
  'fetch-page': [
    'transactionsTable',
    'pendingIndex',
    'runsTable',
    'manifestBucket',
    'shardCount',
    'pageSize',
    'maxPagesPerExecution',
    'leaseSeconds',
  ],
  'confirm-batch': [
    'transactionsTable',
    // The provider circuit breaker's item (docs/architecture.md §4).
    'runsTable',
    'maxAttempts',
    'providerBaseUrl',
    'providerSecretId',
    'providerTimeoutMs',
    'inBatchParallelism',
  ],
  'finish-run': ['runsTable'],
  'release-lock': ['runsTable'],
} as const satisfies Record<string, readonly ConfigKey[]>;

/** The environment variable behind each config key. */
export function envVarOf(key: ConfigKey): string {
  return FIELDS[key][0];
}

/** Read and validate the given keys; throws InvalidConfiguration naming the first bad variable. */
export function loadConfig<K extends ConfigKey>(
  keys: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Pick<Config, K> {
  const config: Partial<Config> = {};
  for (const key of keys) {
    const [variable, read] = FIELDS[key];
    (config as Record<string, unknown>)[key] = read(env[variable], variable);
  }
  return config as Pick<Config, K>;
}
