import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ERROR } from '../../lambdas/contracts';
import {
  checkScheduleExpression,
  type TxconfirmConfig,
  validateConfig,
  worstCasePageSeconds,
} from '../../lib/config';
import { ConfirmationWorkflow } from '../../lib/confirmation-workflow';
import { DeadLetterQueue } from '../../lib/dead-letter-queue';
import { dev, prod, stageConfig } from '../../lib/stages';
import { TransactionsTable } from '../../lib/transactions-table';
import { TxconfirmFunction } from '../../lib/txconfirm-function';
import { InvalidConfigurationError } from '../../lib/validation';
import { NO_BUNDLING } from './synth';

/** The problems validateConfig reports for `dev` with `change` applied ([] when it passes). */
function problemsOf(change: Partial<TxconfirmConfig>): readonly string[] {
  try {
    validateConfig({ ...dev, ...change });
    return [];
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  }
}

describe('the shipped stages', () => {
  it.each([
    ['dev', dev],
    ['prod', prod],
  ])('%s passes validateConfig', (_name, config) => {
    expect(() => validateConfig(config)).not.toThrow();
  });

  it('prod retains and protects its data and runs on the schedule; dev does neither', () => {
    expect(prod).toMatchObject({
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
      scheduleEnabled: true,
      includeExecutionData: false,
    });
    expect(dev).toMatchObject({
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      scheduleEnabled: false,
    });
  });

  it('an unknown stage names the known ones', () => {
    expect(() => stageConfig('qa')).toThrow(
      'stage must be one of dev, prod (pass -c stage=<name>), got "qa"',
    );
  });
});

describe('validateConfig: the error', () => {
  it('is named InvalidConfiguration and lists every problem, one per line', () => {
    let thrown: unknown;
    try {
      validateConfig({ ...dev, maxConcurrency: 0, shardCount: 300 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidConfigurationError);
    const error = thrown as InvalidConfigurationError;
    expect(error.name).toBe(ERROR.InvalidConfiguration);
    expect(error.problems).toEqual([
      'shardCount must be 1..256, got 300',
      'maxConcurrency must be 1..10000, got 0',
    ]);
    expect(error.message).toBe(error.problems.join('\n'));
  });
});

describe('validateConfig: ranges', () => {
  it.each<[Partial<TxconfirmConfig>, string]>([
    [{ maxConcurrency: 0 }, 'maxConcurrency must be 1..10000, got 0'],
    [{ maxConcurrency: 2.5 }, 'maxConcurrency must be an integer in 1..10000, got 2.5'],
    [{ toleratedFailurePercentage: 101 }, 'toleratedFailurePercentage must be 0..100, got 101'],
    [{ shardCount: 0 }, 'shardCount must be 1..256, got 0'],
    [{ pageSize: 5000 }, 'pageSize must be 1..2000, got 5000'],
    [{ maxPagesPerExecution: 0 }, 'maxPagesPerExecution must be 1..1000, got 0'],
    [
      { confirmBatchRetry: { ...dev.confirmBatchRetry, maxAttempts: 11 } },
      'confirmBatchRetry.maxAttempts must be 0..10, got 11',
    ],
    [
      { stage: 'Prod' },
      'stage must match ^[a-z][a-z0-9-]{0,19}$ (lowercase letters, digits and "-", starting with a letter, at most 20 characters), got "Prod"',
    ],
    [
      { providerBaseUrl: 'http://provider.example.com' },
      'providerBaseUrl must be an https:// URL (TLS to the provider, DESIGN.md §8), got "http://provider.example.com"',
    ],
    [
      { providerSecretName: 'provider secret' },
      'providerSecretName must be a Secrets Manager secret name (1..512 of A-Z a-z 0-9 / _ + = . @ -), got "provider secret"',
    ],
  ])('%j → %s', (change, message) => {
    expect(problemsOf(change)).toEqual([message]);
  });
});

describe('validateConfig: relations between props', () => {
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
    // dev: 1 wave × (4 attempts × 65 s + 2+4+8 s backoff) + 60 s = 334 s.
    expect(worstCasePageSeconds(dev)).toBe(334);
    expect(problemsOf({ lockLeaseSeconds: 334 })).toEqual([
      'lockLeaseSeconds must be > 334 (worst-case time of one page: 4 attempts × 65 s confirm-batch task timeout per wave of batches, plus backoff and 60 s for FetchPage), got 334',
    ]);
    expect(problemsOf({ lockLeaseSeconds: 335 })).toEqual([]);
  });

  it('an execution must be able to finish at least one page', () => {
    expect(problemsOf({ executionTimeoutMinutes: 5 })).toEqual([
      'executionTimeoutMinutes must be >= 6 (one worst-case page takes 334 s), got 5',
    ]);
  });

  it('deletion protection contradicts a DESTROY removal policy', () => {
    expect(problemsOf({ deletionProtection: true })).toEqual([
      'removalPolicy is DESTROY but deletionProtection is true: deleting the stack would fail on the tables; use RETAIN for a stateful stage, or turn deletionProtection off',
    ]);
  });

  it('does not pile a relation error on top of a range error', () => {
    expect(problemsOf({ batchSize: 0, pageSize: 10 })).toEqual([
      'batchSize must be 1..1000, got 0',
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
    expect(problemsOf({ scheduleExpression: expression })).toEqual([message]);
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
