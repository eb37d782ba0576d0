import { PageManifestBucket } from '../../lib/page-manifest-bucket';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ERROR } from '../../lambdas/contracts';
import {
  checkScheduleExpression,
  loadStageConfig,
  type LoadStageOptions,
  OFFLINE_VALUES,
  type StageSettingsInput,
  stagesWithFiles,
  worstCasePageSeconds,
} from '../../lib/config';
import { ConfirmationWorkflow } from '../../lib/confirmation-workflow';
import { DeadLetterQueue } from '../../lib/dead-letter-queue';
import { TransactionsTable } from '../../lib/transactions-table';
import { TxconfirmFunction } from '../../lib/txconfirm-function';
import { InvalidConfigurationError } from '../../lib/validation';
import { dev, prod } from '../support/stages';
import { NO_BUNDLING } from './synth';

/** The problems loading a stage reports ([] when it passes). */
function problemsOfLoad(options: LoadStageOptions): readonly string[] {
  try {
    loadStageConfig(options);
    return [];
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  }
}

/** The problems of the dev stage (offline) with `change` applied on top ([] when it passes). */
function problemsOf(change: Record<string, unknown>): readonly string[] {
  return problemsOfLoad({
    stage: 'dev',
    offline: true,
    overrides: change as Partial<StageSettingsInput>,
  });
}

/** A config dir of its own with these stage files. */
function configDirWith(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-config-'));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(
      path.join(dir, name),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }
  return dir;
}

const REQUIRED = {
  providerBaseUrl: 'https://api.provider.example',
  providerSecret: 'create',
  alarmEmails: ['oncall@example.com'],
};

describe('the shipped stages (config/)', () => {
  it('are dev and prod, and both validate offline', () => {
    expect(stagesWithFiles()).toEqual(['dev', 'prod']);
    expect(dev.stage).toBe('dev');
    expect(prod.stage).toBe('prod');
  });

  it('prod is a production stage: data retained, a customer-managed key, the schedule on; dev is none of it', () => {
    expect(prod).toMatchObject({
      production: true,
      retainData: true,
      customerManagedKey: true,
      scheduleEnabled: true,
      includeExecutionData: false,
      logLevel: 'INFO',
      logRetentionDays: 365,
    });
    expect(dev).toMatchObject({
      production: false,
      retainData: false,
      customerManagedKey: false,
      scheduleEnabled: false,
      logLevel: 'DEBUG',
      logRetentionDays: 7,
    });
  });

  it('nothing in them is a placeholder: offline tools fill the provider values from OFFLINE_VALUES', () => {
    expect(prod.providerBaseUrl).toBe(OFFLINE_VALUES.providerBaseUrl);
    expect(new URL(prod.providerBaseUrl).hostname.endsWith('.invalid')).toBe(true);
    for (const file of stagesWithFiles()) {
      const text = fs.readFileSync(
        path.join(__dirname, '..', '..', 'config', `${file}.json`),
        'utf8',
      );
      expect(text).not.toMatch(/example\.com|providerBaseUrl|providerSecret/);
    }
  });
});

describe('settings with no safe default', () => {
  it('an unconfigured prod fails, naming each missing setting and how to set it', () => {
    expect(problemsOfLoad({ stage: 'prod' })).toEqual([
      'providerBaseUrl is required (the payment provider\'s API; there is no safe default): add "providerBaseUrl": "https://api.provider.example" to config/prod.json, or pass -c providerBaseUrl=… to cdk',
      'providerSecret is required (the Secrets Manager secret with the provider API key): add "providerSecret": "create" (or an existing secret\'s name or ARN) to config/prod.json, or pass -c providerSecret=… to cdk',
      'alarm routing is required for a production stage (its alarms would page nobody): add "alarmEmails": ["oncall@example.com"] to config/prod.json, or pass -c alarmEmails=… to cdk, and/or add "alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager" to config/prod.json, or pass -c alarmTopicArn=… to cdk',
    ]);
  });

  it('dev without them fails too (only the offline tools fill them)', () => {
    expect(problemsOfLoad({ stage: 'dev' })).toHaveLength(2);
  });

  it('a stage with the schedule on and nowhere for alarms to go fails; an SNS topic is enough', () => {
    const context = {
      providerBaseUrl: REQUIRED.providerBaseUrl,
      providerSecret: 'create',
      scheduleEnabled: 'true',
    };
    expect(problemsOfLoad({ stage: 'staging', context })).toEqual([
      expect.stringMatching(/^alarm routing is required for a stage with the schedule enabled/),
    ]);
    expect(
      problemsOfLoad({
        stage: 'staging',
        context: { ...context, alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:pager' },
      }),
    ).toEqual([]);
  });

  it('set by -c, prod loads', () => {
    const config = loadStageConfig({
      stage: 'prod',
      context: {
        providerBaseUrl: REQUIRED.providerBaseUrl,
        providerSecret:
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:txconfirm/prod-AbCdEf',
        alarmEmails: 'oncall@example.com, payments@example.com',
      },
    });
    expect(config.alarmEmails).toEqual(['oncall@example.com', 'payments@example.com']);
    expect(config.production).toBe(true);
  });
});

describe('where settings come from: defaults < profile < stage file < CDK context < tool overrides', () => {
  const dir = configDirWith({
    'qa.json': {
      production: true,
      maxConcurrency: 30,
      providerMaxInFlight: 300,
      logLevel: 'WARN',
      ...REQUIRED,
    },
  });

  it('the schema default, unless the profile, the file, the context or an override says otherwise', () => {
    const config = loadStageConfig({ stage: 'qa', configDir: dir });
    expect(config.batchSize).toBe(50); // schema default
    expect(config.retainData).toBe(true); // production profile
    expect(config.logLevel).toBe('WARN'); // the file beats the profile
    expect(config.maxConcurrency).toBe(30); // the file beats the schema default
    const withContext = loadStageConfig({
      stage: 'qa',
      configDir: dir,
      context: { maxConcurrency: '40', retainData: 'false' },
    });
    expect(withContext.maxConcurrency).toBe(40); // context beats the file
    expect(withContext.retainData).toBe(false); // context beats the profile
    const overridden = loadStageConfig({
      stage: 'qa',
      configDir: dir,
      context: { maxConcurrency: '40' },
      overrides: { maxConcurrency: 20 },
    });
    expect(overridden.maxConcurrency).toBe(20);
  });

  it('a stage needs no file: context alone defines it', () => {
    const config = loadStageConfig({
      stage: 'sandbox-eu',
      context: {
        ...REQUIRED,
        alarmEmails: 'a@example.com',
        region: 'eu-west-1',
        account: '123456789012',
      },
    });
    expect(config).toMatchObject({
      stage: 'sandbox-eu',
      region: 'eu-west-1',
      account: '123456789012',
    });
  });

  it('-c configFile points at a file anywhere; a missing one is an error', () => {
    const file = path.join(dir, 'qa.json');
    expect(loadStageConfig({ stage: 'other', context: { configFile: file } }).maxConcurrency).toBe(
      30,
    );
    expect(problemsOfLoad({ stage: 'other', context: { configFile: '/nope/qa.json' } })).toEqual([
      'configFile "/nope/qa.json" does not exist',
    ]);
  });

  it("-c strings are read as the setting's type", () => {
    const config = loadStageConfig({
      stage: 'dev',
      offline: true,
      context: {
        maxConcurrency: '10',
        scheduleEnabled: 'true',
        toleratedFailurePercentage: '0.5',
        confirmBatchRetry: '{"maxAttempts":1}',
        alarmEmails: '["x@example.com"]',
      },
    });
    expect(config).toMatchObject({
      maxConcurrency: 10,
      scheduleEnabled: true,
      toleratedFailurePercentage: 0.5,
      alarmEmails: ['x@example.com'],
    });
    expect(config.confirmBatchRetry).toEqual({
      maxAttempts: 1,
      intervalSeconds: 2,
      backoffRate: 2,
      maxDelaySeconds: 30,
    });
  });

  it("a misspelt setting is an error naming the nearest one, in a file or in the context; CDK's own keys pass", () => {
    const typo = configDirWith({ 'qa.json': { maxConcurency: 3, $schema: 'x' } });
    expect(problemsOfLoad({ stage: 'qa', configDir: typo, offline: true })).toEqual([
      expect.stringMatching(
        /^unknown setting "maxConcurency" \(did you mean maxConcurrency\?\) \(set in .*qa\.json\)$/,
      ),
    ]);
    expect(
      problemsOfLoad({
        stage: 'dev',
        offline: true,
        context: {
          scheduleEnable: 'true',
          '@aws-cdk/core:newStyleStackSynthesis': true,
          'aws:cdk:bundling-stacks': [],
        },
      }),
    ).toEqual([
      'unknown setting "scheduleEnable" in the CDK context (did you mean scheduleEnabled?)',
    ]);
  });

  it('a file that is not a JSON object is named', () => {
    const bad = configDirWith({ 'a.json': '{ "maxConcurrency": ', 'b.json': '[1]' });
    expect(problemsOfLoad({ stage: 'a', configDir: bad, offline: true })[0]).toMatch(
      /^.*a\.json is not valid JSON: /,
    );
    expect(problemsOfLoad({ stage: 'b', configDir: bad, offline: true })).toEqual([
      expect.stringMatching(/b\.json must hold one JSON object of settings, got \[1\]$/),
    ]);
  });

  it('says where a bad value was set', () => {
    expect(problemsOfLoad({ stage: 'dev', offline: true, context: { pageSize: '0' } })).toEqual([
      'pageSize must be an integer 1..100000, got 0 (set in -c / cdk.json context)',
    ]);
  });
});

describe('the error', () => {
  it('is named InvalidConfiguration and lists every problem, one per line', () => {
    let thrown: unknown;
    try {
      loadStageConfig({
        stage: 'dev',
        offline: true,
        overrides: { maxConcurrency: 0, shardCount: 300 },
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidConfigurationError);
    const error = thrown as InvalidConfigurationError;
    expect(error.name).toBe(ERROR.InvalidConfiguration);
    expect(error.problems).toEqual([
      'shardCount must be an integer 1..256, got 300 (set in the tool options)',
      'maxConcurrency must be an integer 1..10000, got 0 (set in the tool options)',
    ]);
    expect(error.message).toBe(error.problems.join('\n'));
  });
});

describe('ranges and types', () => {
  const at = ' (set in the tool options)';
  it.each<[Record<string, unknown>, string]>([
    [{ maxConcurrency: 0 }, `maxConcurrency must be an integer 1..10000, got 0${at}`],
    [{ maxConcurrency: 2.5 }, `maxConcurrency must be an integer 1..10000, got 2.5${at}`],
    [{ maxConcurrency: '20' }, `maxConcurrency must be an integer 1..10000, got "20"${at}`],
    [
      { toleratedFailurePercentage: 101 },
      `toleratedFailurePercentage must be a number 0..100, got 101${at}`,
    ],
    [{ shardCount: 0 }, `shardCount must be an integer 1..256, got 0${at}`],
    [{ pageSize: 200_000 }, `pageSize must be an integer 1..100000, got 200000${at}`],
    [
      { pageSize: 30_000, lockLeaseSeconds: 86_400 },
      `pageSize / batchSize (batches per page) must be <= 400 (their results come back into the 256 KiB state), got ceil(30000 / 50) = 600: lower pageSize or raise batchSize`,
    ],
    [{ logLevel: 'LOUD' }, `logLevel must be one of DEBUG, INFO, WARN, ERROR, got "LOUD"${at}`],
    [{ debugLogSampleRate: 2 }, `debugLogSampleRate must be a number 0..1, got 2${at}`],
    [
      { logRetentionDays: 10 },
      `logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (CloudWatch Logs retention days), got 10${at}`,
    ],
    [{ retainData: 'yes' }, `retainData must be true or false, got "yes"${at}`],
    [
      { alarmEmails: ['not-an-email'] },
      `alarmEmails.0 must be an email address, got "not-an-email"${at}`,
    ],
    [{ alarmTopicArn: 'pager' }, `alarmTopicArn must be an SNS topic ARN, got "pager"${at}`],
    [{ account: '12345' }, `account must be a 12-digit AWS account id, got "12345"${at}`],
    [{ region: 'Europe' }, `region must be an AWS region such as eu-west-1, got "Europe"${at}`],
    [{ natGateways: 4 }, `natGateways must be an integer 1..3, got 4${at}`],
    [
      { providerErrorRateThreshold: 0 },
      `providerErrorRateThreshold must be a number 0.01..1, got 0${at}`,
    ],
    [
      { providerBaseUrl: 'http://provider.example.com' },
      `providerBaseUrl must be an https:// URL (TLS to the provider, docs/architecture.md §8), got "http://provider.example.com"${at}`,
    ],
    [
      { providerBaseUrl: 'https://user:pw@provider.example.com' },
      `providerBaseUrl must not carry credentials (they belong in the providerSecret secret), got a URL with user info${at}`,
    ],
    [
      { providerSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:txconfirm/prod' },
      `providerSecret must be a Secrets Manager secret ARN (the complete ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), got "arn:aws:secretsmanager:eu-west-1:123456789012:secret:txconfirm/prod"${at}`,
    ],
    [
      { providerSecret: 'provider secret' },
      `providerSecret must be "create", a Secrets Manager secret name (1..512 of A-Z a-z 0-9 / _ + = . @ -) or ARN, got "provider secret"${at}`,
    ],
  ])('%j → %s', (change, message) => {
    expect(problemsOf(change)).toEqual([message]);
  });

  it('a stage name must be usable in resource names', () => {
    expect(problemsOfLoad({ stage: 'Prod', offline: true })).toEqual([
      'stage must match ^[a-z][a-z0-9-]{0,19}$ (lowercase letters, digits and "-", starting with a letter, at most 20 characters), got "Prod"',
    ]);
  });
});

describe('derived settings', () => {
  const loaded = (change: Record<string, unknown>) =>
    loadStageConfig({
      stage: 'dev',
      offline: true,
      overrides: change as Partial<StageSettingsInput>,
    });

  it('pageSize unset: pageWaves waves of a batch for every child slot, at most 400 batches and 100,000 ids', () => {
    expect(dev.pageWaves).toBe(8);
    // dev: 20 children × 50 × 8 waves; prod: 10 children × 500 × 8 waves.
    expect(dev.pageSize).toBe(8_000);
    expect(prod.pageSize).toBe(40_000);
    expect(loaded({ maxConcurrency: 4, batchSize: 10 }).pageSize).toBe(320);
    expect(loaded({ maxConcurrency: 4, batchSize: 10, pageWaves: 1 }).pageSize).toBe(40);
    // 100 × 50 × 8 = 40,000 ids would be 800 batches: capped at 400.
    expect(loaded({ maxConcurrency: 100, batchSize: 50, inBatchParallelism: 1 }).pageSize).toBe(
      20_000,
    );
    // 400 batches of 1,000 would be 400,000 ids: capped at 100,000.
    expect(
      loaded({
        maxConcurrency: 50,
        batchSize: 1000,
        inBatchParallelism: 1,
        lockLeaseSeconds: 86_400,
      }).pageSize,
    ).toBe(100_000);
  });

  it('pageSize set: kept as set', () => {
    expect(loaded({ pageSize: 300 }).pageSize).toBe(300);
  });
});

describe('warm throughput', () => {
  it('is absent unless set, and then applied to the table and the pending index', () => {
    expect(dev.warmWriteUnitsPerSecond).toBeUndefined();
    expect(problemsOf({ warmWriteUnitsPerSecond: 1000 })).toEqual([
      'warmWriteUnitsPerSecond must be an integer 4000..40000000, got 1000 (set in the tool options)',
    ]);
    const stack = new Stack(new App(), 'Warm');
    new TransactionsTable(stack, 'T', {
      shardCount: 4,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      warmWriteUnitsPerSecond: 9000,
    });
    const [resource] = Object.values(
      Template.fromStack(stack).findResources('AWS::DynamoDB::Table'),
    ).map(
      (r) =>
        r.Properties as {
          WarmThroughput?: unknown;
          GlobalSecondaryIndexes: { WarmThroughput?: unknown }[];
        },
    );
    expect(resource.WarmThroughput).toEqual({ WriteUnitsPerSecond: 9000 });
    expect(resource.GlobalSecondaryIndexes[0].WarmThroughput).toEqual({
      WriteUnitsPerSecond: 9000,
    });
  });
});

describe('relations between settings', () => {
  it('a page must hold at least one batch', () => {
    expect(problemsOf({ pageSize: 10, batchSize: 50 })).toEqual([
      'pageSize must be >= batchSize (a page is split into batches of batchSize ids), got pageSize 10 < batchSize 50',
    ]);
  });

  it('provider calls in flight must not exceed what the provider allows', () => {
    expect(problemsOf({ maxConcurrency: 30, inBatchParallelism: 5 })).toEqual([
      'maxConcurrency × inBatchParallelism (provider calls in flight) must be <= providerMaxInFlight (100), got 30 × 5 = 150',
    ]);
  });

  it('a provider call must fit in the confirm-batch timeout with a margin', () => {
    expect(problemsOf({ providerTimeoutMs: 56_000 })).toEqual([
      'providerTimeoutMs + 5000 ms margin must be < confirmBatchTimeoutSeconds × 1000 (60000 ms), got 56000 ms: raise confirmBatchTimeoutSeconds or lower providerTimeoutMs',
    ]);
  });

  it('the lock lease must outlast the slowest page', () => {
    // dev: 8 waves × (4 attempts × 65 s + 2+4+8 s backoff) + 60 s = 2,252 s.
    expect(worstCasePageSeconds(dev)).toBe(2252);
    expect(problemsOf({ lockLeaseSeconds: 2252 })).toEqual([
      'lockLeaseSeconds must be > 2252 (worst-case time of one page: 4 attempts × 65 s confirm-batch task timeout per wave of batches, plus backoff and 60 s for FetchPage), got 2252',
    ]);
    // Fewer waves per page, a shorter lease will do.
    expect(problemsOf({ lockLeaseSeconds: 609, pageWaves: 2 })).toEqual([]);
    expect(problemsOf({ lockLeaseSeconds: 2253 })).toEqual([]);
  });

  it('an execution must be able to finish at least one page', () => {
    expect(problemsOf({ executionTimeoutMinutes: 5 })).toEqual([
      'executionTimeoutMinutes must be >= 38 (one worst-case page takes 2252 s), got 5',
    ]);
  });

  it('does not pile a relation error on top of a range error', () => {
    expect(problemsOf({ batchSize: 0, pageSize: 10 })).toEqual([
      'batchSize must be an integer 1..1000, got 0 (set in the tool options)',
    ]);
  });
});

describe('schedule expressions (EventBridge Scheduler syntax)', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(2 hours)',
    'cron(0/5 * * * ? *)',
    'cron(0 6 ? * MON-FRI *)',
  ])('accepts %s', (expression) => {
    expect(checkScheduleExpression(expression)).toBeUndefined();
  });

  it.each([
    [
      'rate(1 minutes)',
      'scheduleExpression must use the singular unit for 1: rate(1 minute), got "rate(1 minutes)"',
    ],
    [
      'rate(5 minute)',
      'scheduleExpression must use the plural unit for 5: rate(5 minutes), got "rate(5 minute)"',
    ],
    ['rate(0 minutes)', 'scheduleExpression rate value must be >= 1, got "rate(0 minutes)"'],
    [
      'cron(0/5 * * * ?)',
      'scheduleExpression cron(...) must have 6 fields (minutes hours day-of-month month day-of-week year), got 5 in "cron(0/5 * * * ?)"',
    ],
    [
      'cron(0 * * * * *)',
      'scheduleExpression cron(...) must have "?" in exactly one of day-of-month and day-of-week, got "*" and "*" in "cron(0 * * * * *)"',
    ],
    [
      'every 5 minutes',
      'scheduleExpression must be rate(N minute[s]|hour[s]|day[s]) or cron(minutes hours day-of-month month day-of-week year), got "every 5 minutes"',
    ],
  ])('rejects %s', (expression, message) => {
    expect(checkScheduleExpression(expression)).toBe(message);
    expect(problemsOf({ scheduleExpression: expression })).toEqual([
      `${message} (set in the tool options)`,
    ]);
  });
});

describe('construct props are validated too (constructs are reusable without validateConfig)', () => {
  const stackWithoutBundling = () => new Stack(new App({ context: NO_BUNDLING }), 'PropsTest');

  it('TransactionsTable: shardCount 1..256', () => {
    expect(
      () =>
        new TransactionsTable(stackWithoutBundling(), 'Table', {
          shardCount: 257,
          removalPolicy: RemovalPolicy.DESTROY,
          deletionProtection: false,
        }),
    ).toThrow(new InvalidConfigurationError(['shardCount must be 1..256, got 257']));
  });

  it('ConfirmationWorkflow: maxConcurrency, toleratedFailurePercentage and batchSize', () => {
    const stack = stackWithoutBundling();
    const fn = (id: string, handlerName: string) =>
      new TxconfirmFunction(stack, id, {
        handlerName,
        description: id,
        logRetention: logs.RetentionDays.ONE_DAY,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const build = () =>
      new ConfirmationWorkflow(stack, 'Workflow', {
        stage: 'test',
        functions: {
          startRun: fn('StartRun', 'start-run'),
          fetchPage: fn('FetchPage', 'fetch-page'),
          confirmBatch: fn('ConfirmBatch', 'confirm-batch'),
          finishRun: fn('FinishRun', 'finish-run'),
          releaseLock: fn('ReleaseLock', 'release-lock'),
        },
        manifestBucket: new PageManifestBucket(stack, 'Manifests', {
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        batchSize: 0,
        maxConcurrency: 20000,
        toleratedFailurePercentage: -1,
        confirmBatchRetry: dev.confirmBatchRetry,
        executionTimeout: Duration.hours(1),
        logRetention: logs.RetentionDays.ONE_DAY,
        removalPolicy: RemovalPolicy.DESTROY,
        releaseLockDeadLetterQueue: new DeadLetterQueue(stack, 'Dlq', {
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      });
    expect(build).toThrow(
      new InvalidConfigurationError([
        'batchSize must be 1..1000, got 0',
        'maxConcurrency must be 1..10000, got 20000',
        'toleratedFailurePercentage must be 0..100, got -1',
      ]),
    );
  });
});
