import type { Context } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import type { BatchResult } from '../contracts';
import { DynamoTransactionRepository } from '../adapters/dynamo-transaction-repository';
import { HttpPaymentProvider } from '../adapters/http-payment-provider';
import { apiKeyFromSecret } from '../adapters/provider-api-key';
import { confirmBatch } from '../domain/confirm-batch';
import type { PaymentProvider } from '../domain/ports';
import { ddb, secretsManager } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { HANDLER_CONFIG, loadConfig } from '../shared/config';
import { parseEvent } from '../shared/events';
import { domainLog, instrumented, logger, metrics } from '../shared/powertools';

const config = loadConfig(HANDLER_CONFIG['confirm-batch']);
const transactions = new DynamoTransactionRepository(ddb, {
  tableName: config.transactionsTable,
});
const http = new HttpPaymentProvider({
  baseUrl: config.providerBaseUrl,
  timeoutMs: config.providerTimeoutMs,
  apiKey: apiKeyFromSecret(config.providerSecretId, secretsManager),
});

/** The provider, timed: latency is the number operators watch when the provider degrades. */
const provider: PaymentProvider = {
  async confirm(request) {
    const started = performance.now();
    try {
      return await http.confirm(request);
    } finally {
      metrics.addMetric('ProviderLatency', MetricUnit.Milliseconds, performance.now() - started);
    }
  },
  credentialsRejected: () => http.credentialsRejected(),
};

const eventSchema = z.object({
  Items: z.array(z.object({ id: z.string().min(1) })),
  BatchInput: z.object({ runId: z.string().min(1), dryRun: z.boolean() }),
});

/** One Distributed Map child: confirm a batch of transactions, return the counts. */
export const handler = instrumented(
  'confirm-batch',
  async (raw: unknown, context: Context): Promise<BatchResult> => {
    const event = parseEvent(eventSchema, raw, 'confirm-batch');
    logger.appendKeys({ runId: event.BatchInput.runId, dryRun: event.BatchInput.dryRun });
    const result = await confirmBatch(
      {
        ids: event.Items.map((item) => item.id),
        runId: event.BatchInput.runId,
        dryRun: event.BatchInput.dryRun,
      },
      { transactions, provider, clock: systemClock, log: domainLog },
      {
        maxAttempts: config.maxAttempts,
        parallelism: config.inBatchParallelism,
        providerTimeoutMs: config.providerTimeoutMs,
        remainingMs: () => context.getRemainingTimeInMillis(),
      },
    );
    metrics.addMetric('TransactionsConfirmed', MetricUnit.Count, result.confirmed);
    metrics.addMetric('TransactionsRejected', MetricUnit.Count, result.rejected);
    metrics.addMetric('TransactionsFailed', MetricUnit.Count, result.failed);
    metrics.addMetric('TransactionsDeferred', MetricUnit.Count, result.deferred);
    metrics.addMetric('TransactionsSkipped', MetricUnit.Count, result.skipped);
    logger.info('batch done', { ...result });
    return result;
  },
);
