import { ENV } from '../../lambdas/contracts';
import { parseProviderBaseUrl } from '../../lambdas/adapters/http-payment-provider';
import { InvalidConfiguration } from '../../lambdas/domain/errors';
import { type ConfigKey, HANDLER_CONFIG, envVarOf, loadConfig } from '../../lambdas/shared/config';

const complete = {
  [ENV.TRANSACTIONS_TABLE]: 'Transactions',
  [ENV.PENDING_INDEX]: 'pending-by-shard',
  [ENV.RUNS_TABLE]: 'Runs',
  [ENV.MANIFEST_BUCKET]: 'txconfirm-dev-pagemanifests-1a2b3c',
  [ENV.SHARD_COUNT]: '16',
  [ENV.PAGE_SIZE]: '500',
  [ENV.MAX_PAGES_PER_EXECUTION]: '200',
  [ENV.LOCK_LEASE_SECONDS]: '600',
  [ENV.MAX_ATTEMPTS]: '5',
  [ENV.PROVIDER_BASE_URL]: 'https://api.provider.example/base',
  [ENV.PROVIDER_SECRET_ID]: 'txconfirm/provider',
  [ENV.PROVIDER_TIMEOUT_MS]: '5000',
  [ENV.IN_BATCH_PARALLELISM]: '8',
};

function configError(
  env: Record<string, string | undefined>,
  keys: readonly ConfigKey[] = HANDLER_CONFIG['confirm-batch'],
) {
  try {
    loadConfig(keys, env);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfiguration);
    expect((err as Error).name).toBe('InvalidConfiguration');
    return (err as Error).message;
  }
  throw new Error('expected InvalidConfiguration');
}

describe('loadConfig', () => {
  test('reads and converts every variable of every handler', () => {
    for (const keys of Object.values(HANDLER_CONFIG)) {
      expect(() => loadConfig(keys, complete)).not.toThrow();
    }
    expect(loadConfig(HANDLER_CONFIG['fetch-page'], complete)).toEqual({
      transactionsTable: 'Transactions',
      pendingIndex: 'pending-by-shard',
      runsTable: 'Runs',
      manifestBucket: 'txconfirm-dev-pagemanifests-1a2b3c',
      shardCount: 16,
      pageSize: 500,
      maxPagesPerExecution: 200,
      leaseSeconds: 600,
    });
  });

  test('the manifest bucket must be an S3 bucket name', () => {
    expect(
      configError(
        { ...complete, [ENV.MANIFEST_BUCKET]: 'Upper_Case' },
        HANDLER_CONFIG['fetch-page'],
      ),
    ).toBe('PAGE_MANIFEST_BUCKET must be an S3 bucket name, got "Upper_Case"');
  });

  test.each([
    [ENV.MAX_ATTEMPTS, 'x', 'MAX_ATTEMPTS must be an integer 1..100, got "x"'],
    [ENV.MAX_ATTEMPTS, '0', 'MAX_ATTEMPTS must be an integer 1..100, got "0"'],
    [ENV.MAX_ATTEMPTS, '2.5', 'MAX_ATTEMPTS must be an integer 1..100, got "2.5"'],
    [ENV.IN_BATCH_PARALLELISM, '101', 'IN_BATCH_PARALLELISM must be an integer 1..100, got "101"'],
    [ENV.PROVIDER_TIMEOUT_MS, '-1', 'PROVIDER_TIMEOUT_MS must be an integer 1..120000, got "-1"'],
    [ENV.MAX_ATTEMPTS, undefined, 'MAX_ATTEMPTS is required (an integer 1..100)'],
    [
      ENV.TRANSACTIONS_TABLE,
      'bad table!',
      'TRANSACTIONS_TABLE_NAME must be a DynamoDB table or index name, got "bad table!"',
    ],
    [
      ENV.PROVIDER_SECRET_ID,
      '  ',
      'PROVIDER_SECRET_ID is required (the Secrets Manager secret id of the provider API key)',
    ],
    [
      ENV.PROVIDER_BASE_URL,
      'http://api.provider.example',
      'PROVIDER_BASE_URL must be an https:// URL (http:// is allowed only to a loopback host), got "http://api.provider.example"',
    ],
  ])('%s=%p', (variable, value, message) => {
    expect(configError({ ...complete, [variable]: value })).toBe(message);
  });

  test('only the asked-for variables are read', () => {
    expect(loadConfig(['runsTable'], { [ENV.RUNS_TABLE]: 'Runs' })).toEqual({ runsTable: 'Runs' });
  });

  test('every key maps to a contract variable', () => {
    const contractNames = Object.values(ENV) as string[];
    for (const keys of Object.values(HANDLER_CONFIG)) {
      for (const key of keys) expect(contractNames).toContain(envVarOf(key));
    }
  });
});

describe('provider base URL (TLS except loopback)', () => {
  test.each([
    'https://api.provider.example',
    'https://api.provider.example:8443/prefix/',
    'http://127.0.0.1:8080',
    'http://127.9.9.9',
    'http://localhost:3000',
    'http://[::1]:3000',
  ])('accepts %s', (url) => {
    expect(parseProviderBaseUrl(url).href).toContain(new URL(url).host);
  });

  test.each([
    ['http to a public host', 'http://api.provider.example'],
    ['http to a private address', 'http://10.0.0.5'],
    ['a lookalike loopback name', 'http://localhost.evil.example'],
    ['another scheme', 'ftp://127.0.0.1'],
    ['not a URL', 'api.provider.example'],
    ['credentials in the URL', 'https://user:pw@api.provider.example'],
  ])('rejects %s', (_name, url) => {
    expect(() => parseProviderBaseUrl(url)).toThrow(InvalidConfiguration);
  });
});
