import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { BatchResult } from '../contracts';
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
    metrics.count('BatchSize', event.Items.length);
    const result = await confirmBatch(
      {
        ids: event.Items.map((item) => item.id),
        runId: event.BatchInput.runId,
        dryRun: event.BatchInput.dryRun,
      },
      {
        transactions,
        provider: observedProvider(http, { tracer, metrics }),
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
    metrics.count('TransactionsConfirmed', result.confirmed);
    metrics.count('TransactionsRejected', result.rejected);
    metrics.count('TransactionsFailed', result.failed);
    metrics.count('TransactionsDeferred', result.deferred);
    metrics.count('TransactionsSkipped', result.skipped);
    logger.info('batch done', { ...result });
    return result;
  },
);
