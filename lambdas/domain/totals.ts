import { z } from 'zod';
import {
  type BatchResult,
  OUTCOME_COUNTERS,
  type OutcomeCounter,
  type OutcomeCounts,
  type RunTotals,
} from '../contracts';

const count = z.number().int().min(0);
/**
 * Counters added after the first release default to 0 when absent, so that the state of an
 * execution (or a ContinueAsNew resume token, or a batch result) written by the previous version
 * still parses during a deployment.
 */
const ADDED_LATER: ReadonlySet<OutcomeCounter> = new Set<OutcomeCounter>(['unavailable']);
const outcomeCounts = Object.fromEntries(
  OUTCOME_COUNTERS.map((counter) => [counter, ADDED_LATER.has(counter) ? count.default(0) : count]),
) as Record<OutcomeCounter, z.ZodDefault<typeof count>>;
const noOutcomes = (): OutcomeCounts =>
  Object.fromEntries(OUTCOME_COUNTERS.map((counter) => [counter, 0])) as OutcomeCounts;

/** How many transactions the counts cover: each one lands in exactly one outcome. */
export function sumOfOutcomes(counts: OutcomeCounts): number {
  return OUTCOME_COUNTERS.reduce((sum, counter) => sum + counts[counter], 0);
}

export const runTotalsSchema = z.strictObject({
  pages: count,
  fetched: count,
  ...outcomeCounts,
  failedBatches: count,
});

/** A confirm-batch result; anything else in a page's results is a failed child execution. */
export const batchResultSchema = z
  .object({ processed: count, ...outcomeCounts })
  .refine((r) => sumOfOutcomes(r) === r.processed, {
    error: 'the outcome counts must add up to processed',
  });

export function emptyTotals(): RunTotals {
  return { pages: 0, fetched: 0, ...noOutcomes(), failedBatches: 0 };
}

export function emptyBatchResult(): BatchResult {
  return { processed: 0, ...noOutcomes() };
}

/**
 * Fold the Distributed Map's output for one page into the run totals. An entry that is not a
 * BatchResult (a failed child's `{Error, Cause}`, null, ...) counts as a failed batch: its items
 * were not written and stay PENDING for a later run. Returns a new object.
 */
export function addBatchResults(totals: RunTotals, pageResults: readonly unknown[]): RunTotals {
  const next = { ...totals };
  for (const entry of pageResults) {
    const parsed = batchResultSchema.safeParse(entry);
    if (!parsed.success) {
      next.failedBatches += 1;
      continue;
    }
    for (const counter of OUTCOME_COUNTERS) next[counter] += parsed.data[counter];
  }
  return next;
}
