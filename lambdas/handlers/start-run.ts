import { z } from 'zod';
import { METRIC, type StartRunResult } from '../contracts';
import { DynamoRunStore } from '../adapters/dynamo-run-store';
import { startRun } from '../domain/start-run';
import { ddb } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { HANDLER_CONFIG, loadConfig } from '../shared/config';
import { parseEvent } from '../shared/events';
import { correlate, domainLog, instrumented } from '../shared/powertools';

const config = loadConfig(HANDLER_CONFIG['start-run']);
const runs = new DynamoRunStore(ddb, config.runsTable);

const eventSchema = z.object({
  input: z.unknown(),
  executionArn: z.string().min(1),
  executionName: z.string().min(1),
  startTime: z.iso.datetime({ offset: true }),
});

/** StartRun: validate the execution input, take the run lock, fix the cutoff. */
export const handler = instrumented(
  'start-run',
  async (raw: unknown, _context, { metrics }): Promise<StartRunResult> => {
    const event = parseEvent(eventSchema, raw, 'start-run');
    correlate({ executionArn: event.executionArn });
    const result = await startRun(
      event,
      { runs, clock: systemClock, log: domainLog },
      { leaseSeconds: config.leaseSeconds },
    );
    if (result.status === 'STARTED') correlate({ runId: result.run.runId });
    // Another run held the lock: frequent skips mean runs outlast the schedule period.
    else metrics.count(METRIC.RunsSkipped);
    return result;
  },
);
