import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { TxconfirmConfig } from './config';
import { InvalidConfigurationError } from './validation';

const common = {
  scheduleExpression: 'rate(5 minutes)',
  shardCount: 16,
  pageSize: 1000,
  batchSize: 50,
  toleratedFailurePercentage: 10,
  maxAttempts: 5,
  maxPagesPerExecution: 50,
  // Worst-case page with these settings is 334 s (see worstCasePageSeconds): 600 s leaves room.
  lockLeaseSeconds: 600,
  executionTimeoutMinutes: 240,
  providerTimeoutMs: 10_000,
  inBatchParallelism: 5,
  confirmBatchTimeoutSeconds: 60,
  confirmBatchMemoryMb: 512,
  confirmBatchRetry: { maxAttempts: 3, intervalSeconds: 2, backoffRate: 2, maxDelaySeconds: 30 },
} as const;

/** A developer stack: throw-away data, created with the schedule off (start executions by hand). */
export const dev: TxconfirmConfig = {
  ...common,
  stage: 'dev',
  scheduleEnabled: false,
  maxConcurrency: 20,
  providerBaseUrl: 'https://sandbox.payments.example.com',
  providerSecretName: 'txconfirm/dev/provider',
  providerMaxInFlight: 100,
  logRetention: logs.RetentionDays.ONE_WEEK,
  logLevel: 'DEBUG',
  debugLogSampleRate: 0,
  includeExecutionData: true,
  removalPolicy: RemovalPolicy.DESTROY,
  deletionProtection: false,
};

/** Production: the schedule replaces the cron job; stateful resources survive a stack deletion. */
export const prod: TxconfirmConfig = {
  ...common,
  stage: 'prod',
  scheduleEnabled: true,
  maxConcurrency: 40,
  providerBaseUrl: 'https://api.payments.example.com',
  providerSecretName: 'txconfirm/prod/provider',
  providerMaxInFlight: 200,
  logRetention: logs.RetentionDays.ONE_YEAR,
  // INFO in production; 1% of invocations log at DEBUG to help diagnose without a redeploy.
  logLevel: 'INFO',
  debugLogSampleRate: 0.01,
  // Execution data holds transaction ids and totals: keep it out of the logs in production.
  includeExecutionData: false,
  // RETAIN: the tables hold money; a stack deletion must never take them along.
  removalPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
};

export const STAGES: Readonly<Record<string, TxconfirmConfig>> = { dev, prod };

/** The config of a named stage (`cdk synth -c stage=prod`). */
export function stageConfig(stage: string): TxconfirmConfig {
  const config = Object.prototype.hasOwnProperty.call(STAGES, stage) ? STAGES[stage] : undefined;
  if (!config) {
    throw new InvalidConfigurationError([
      `stage must be one of ${Object.keys(STAGES).join(', ')} (pass -c stage=<name>), got ${JSON.stringify(stage)}`,
    ]);
  }
  return config;
}
