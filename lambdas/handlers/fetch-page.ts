import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type FetchPageResult, METRIC } from '../contracts';
import { DynamoProviderBreaker } from '../adapters/dynamo-provider-breaker';
import { DynamoRunStore } from '../adapters/dynamo-run-store';
import { DynamoTransactionRepository } from '../adapters/dynamo-transaction-repository';
import { S3PageManifests } from '../adapters/s3-page-manifests';
import { fetchPage, isFirstIndexPage, oldestPendingCreatedAt } from '../domain/fetch-page';
import { fetchPageEventSchema } from '../domain/run-state';
import { ddb, s3 } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { HANDLER_CONFIG, loadConfig } from '../shared/config';
import { parseEvent } from '../shared/events';
import {
  correlate,
  domainLog,
  instrumented,
  logger,
  type InvocationMetrics,
} from '../shared/powertools';

const config = loadConfig(HANDLER_CONFIG['fetch-page']);
const transactions = new DynamoTransactionRepository(ddb, {
  tableName: config.transactionsTable,
  pendingIndexName: config.pendingIndex,
});
const runs = new DynamoRunStore(ddb, config.runsTable);
const breaker = new DynamoProviderBreaker(ddb, config.runsTable);
const manifests = new S3PageManifests(s3, config.manifestBucket);

/** Age of the oldest PENDING transaction, once per run (the freshness SLO's metric). */
async function recordBacklogAge(metrics: InvocationMetrics): Promise<void> {
  const now = systemClock.now();
  const oldest = await oldestPendingCreatedAt(transactions, config.shardCount, now.toISOString());
  const ageSeconds = oldest === undefined ? 0 : (now.getTime() - Date.parse(oldest)) / 1000;
  metrics.record(METRIC.OldestPendingAgeSeconds, MetricUnit.Seconds, Math.max(0, ageSeconds));
  logger.info('backlog age', { oldestPendingCreatedAt: oldest, ageSeconds });
}

/**
 * FetchPage: fold the last page's results, renew the lease, stop for a provider outage, read the
 * next page of ids into its S3 manifest, record the run's progress.
 */
export const handler = instrumented(
  'fetch-page',
  async (raw: unknown, _context, { metrics }): Promise<FetchPageResult> => {
    const event = parseEvent(fetchPageEventSchema, raw, 'fetch-page');
    correlate({ runId: event.run.runId, executionArn: event.executionArn });
    if (isFirstIndexPage(event)) await recordBacklogAge(metrics);
    const result = await fetchPage(
      event,
      { transactions, runs, breaker, manifests, clock: systemClock, log: domainLog },
      {
        shardCount: config.shardCount,
        pageSize: config.pageSize,
        maxPagesPerExecution: config.maxPagesPerExecution,
        leaseSeconds: config.leaseSeconds,
      },
    );
    logger.info('page fetched', {
      next: result.next,
      count: result.page.count,
      fetched: result.totals.fetched,
    });
    return result;
  },
);
