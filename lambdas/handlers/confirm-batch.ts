import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { type BatchResult, METRIC } from '../contracts';
import { DynamoProviderBreaker } from '../adapters/dynamo-provider-breaker';
import { DynamoTransactionRepository } from '../adapters/dynamo-transaction-repository';
import { HttpPaymentProvider } from '../adapters/http-payment-provider';
import { apiKeyFromSecret } from '../adapters/provider-api-key';
import { confirmBatch } from '../domain/confirm-batch';
import { ddb, secretsManager } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { HANDLER_CONFIG, loadConfig } from '../shared/config';
import { parseEvent } from '../shared/events';
import { observedProvider } from '../shared/observed-provider';
import { correlate, domainLog, instrumented, logger, tracer } from '../shared/powertools';

const config = loadConfig(HANDLER_CONFIG['confirm-batch']);
const transactions = new DynamoTransactionRepository(ddb, {
  tableName: config.transactionsTable,
});
// The provider circuit breaker lives in the Runs table (docs/architecture.md §4).
const breaker = new DynamoProviderBreaker(ddb, config.runsTable);
const http = new HttpPaymentProvider({
  baseUrl: config.providerBaseUrl,
  timeoutMs: config.providerTimeoutMs,
  apiKey: apiKeyFromSecret(config.providerSecretId, secretsManager),
});

const eventSchema = z.object({
  Items: z.array(z.object({ id: z.string().min(1) })),
  BatchInput: z.object({ runId: z.string().min(1), dryRun: z.boolean() }),
});

/** One Distributed Map child: confirm a batch of transactions, return the counts. */
export const handler = instrumented(
  'confirm-batch',
  async (raw: unknown, context: Context, { metrics }): Promise<BatchResult> => {
    const event = parseEvent(eventSchema, raw, 'confirm-batch');
    // The Distributed Map passes the run id, not the execution: runId is the correlation id.
    correlate({ runId: event.BatchInput.runId });
    logger.appendKeys({ dryRun: event.BatchInput.dryRun, batchSize: event.Items.length });
    // Counted before the work: a batch that fails is still a batch of that size.
    metrics.count(METRIC.BatchSize, event.Items.length);
    const result = await confirmBatch(
      {
        ids: event.Items.map((item) => item.id),
        runId: event.BatchInput.runId,
        dryRun: event.BatchInput.dryRun,
      },
      {
        transactions,
        provider: observedProvider(http, { tracer, metrics }),
        breaker,
        clock: systemClock,
        log: domainLog,
      },
      {
        maxAttempts: config.maxAttempts,
        parallelism: config.inBatchParallelism,
        providerTimeoutMs: config.providerTimeoutMs,
        remainingMs: () => context.getRemainingTimeInMillis(),
      },
    );
    metrics.count(METRIC.TransactionsConfirmed, result.confirmed);
    metrics.count(METRIC.TransactionsRejected, result.rejected);
    metrics.count(METRIC.TransactionsFailed, result.failed);
    metrics.count(METRIC.TransactionsDeferred, result.deferred);
    metrics.count(METRIC.TransactionsSkipped, result.skipped);
    metrics.count(METRIC.TransactionsUnavailable, result.unavailable);
    logger.info('batch done', { ...result });
    return result;
  },
);
