import { z } from 'zod';
import { DynamoRunStore } from '../adapters/dynamo-run-store';
import { releaseLockOfEndedExecution, type ReleaseLockResult } from '../domain/release-lock';
import { ddb } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { HANDLER_CONFIG, loadConfig } from '../shared/config';
import { parseEvent } from '../shared/events';
import { correlate, domainLog, instrumented } from '../shared/powertools';

const config = loadConfig(HANDLER_CONFIG['release-lock']);
const runs = new DynamoRunStore(ddb, config.runsTable);

const eventSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    status: z.string().min(1),
    stopDate: z
      .number()
      .finite()
      .nonnegative()
      .optional()
      .nullable()
      .transform((v) => v ?? undefined),
  }),
});

/** EventBridge rule target: release the run lock of an execution that ended without its Catch. */
export const handler = instrumented(
  'release-lock',
  async (raw: unknown): Promise<ReleaseLockResult> => {
    const event = parseEvent(eventSchema, raw, 'release-lock');
    correlate({ executionArn: event.detail.executionArn });
    return releaseLockOfEndedExecution(event, { runs, clock: systemClock, log: domainLog });
  },
);
