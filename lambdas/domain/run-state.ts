import { z } from 'zod';
import { cursorSchema, runContextSchema } from './execution-input';
import { runTotalsSchema } from './totals';

/**
 * The state the workflow carries between FetchPage iterations (contracts.ts RunState). Extra
 * members (`page`, `next`, `resume`, `pageResults`) are allowed: they are the previous step's.
 */
export const runStateSchema = z.looseObject({
  run: runContextSchema,
  cursor: cursorSchema,
  totals: runTotalsSchema,
  executionArn: z.string().min(1),
  pagesThisExecution: z.number().int().min(0),
});

export const fetchPageEventSchema = runStateSchema.extend({
  pageResults: z.array(z.unknown()).optional(),
  /** The page just confirmed: its manifest is deleted. */
  page: z
    .object({
      count: z.number().int().min(0),
      manifest: z.object({ bucket: z.string().min(1), key: z.string().min(1) }).optional(),
    })
    .optional(),
});

/** `2024-05-01T12:34:56.789Z` -> `20240501T123456Z`. */
export function compactTimestamp(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** runIds sort by start time in the pk='RUN' partition: `<YYYYMMDDTHHmmssZ>-<execution name>`. */
export function makeRunId(startTime: Date, executionName: string): string {
  return `${compactTimestamp(startTime)}-${executionName}`.slice(0, 80);
}

/** Run records are kept 90 days (the Runs table's TTL attribute; AWS only). */
export const RUN_RECORD_RETENTION_SECONDS = 90 * 24 * 3600;

export function runRecordTtl(now: Date): number {
  return Math.floor(now.getTime() / 1000) + RUN_RECORD_RETENTION_SECONDS;
}

export function addSeconds(time: Date, seconds: number): Date {
  return new Date(time.getTime() + seconds * 1000);
}
