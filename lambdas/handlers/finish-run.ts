import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { METRIC, type RunSummary } from '../contracts';
import { DynamoRunStore } from '../adapters/dynamo-run-store';
import { runContextSchema } from '../domain/execution-input';
import { finishRun } from '../domain/finish-run';
import { runTotalsSchema } from '../domain/totals';
import { ddb } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { HANDLER_CONFIG, loadConfig } from '../shared/config';
import { parseEvent } from '../shared/events';
import { correlate, domainLog, instrumented } from '../shared/powertools';

const config = loadConfig(HANDLER_CONFIG['finish-run']);
const runs = new DynamoRunStore(ddb, config.runsTable);

const eventSchema = z.object({
  run: runContextSchema,
  totals: runTotalsSchema,
  executionArn: z.string().min(1),
  outcome: z.enum(['SUCCEEDED', 'FAILED', 'PROVIDER_UNAVAILABLE']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  providerUnavailable: z
    .object({
      reason: z.string(),
      retryAt: z.string(),
      openedAt: z.string().optional(),
      cause: z.string(),
    })
    .optional(),
});

/** How each run status is counted. */
const RUN_METRIC = {
  SUCCEEDED: METRIC.RunsSucceeded,
  FAILED: METRIC.RunsFailed,
  PROVIDER_UNAVAILABLE: METRIC.RunsProviderUnavailable,
} as const;

/**
 * FinishRun, ReleaseLockAfterFailure and RecordProviderUnavailable: release the lock, write the run
 * summary, count the run by how it ended.
 */
export const handler = instrumented(
  'finish-run',
  async (raw: unknown, _context, { metrics }): Promise<RunSummary> => {
    const event = parseEvent(eventSchema, raw, 'finish-run');
    correlate({ runId: event.run.runId, executionArn: event.executionArn });
    const summary = await finishRun(event, { runs, clock: systemClock, log: domainLog });
    metrics.count(RUN_METRIC[event.outcome]);
    metrics.record(METRIC.RunDuration, MetricUnit.Milliseconds, summary.durationMs);
    metrics.count(METRIC.RunFailedBatches, summary.totals.failedBatches);
    return summary;
  },
);
