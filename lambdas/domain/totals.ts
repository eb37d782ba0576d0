import { z } from 'zod';
import type { BatchResult, RunTotals } from '../contracts';

const count = z.number().int().min(0);

export const runTotalsSchema = z.strictObject({
  pages: count,
  fetched: count,
  confirmed: count,
  rejected: count,
  failed: count,
  deferred: count,
  skipped: count,
  wouldProcess: count,
  failedBatches: count,
});

/** A confirm-batch result; anything else in a page's results is a failed child execution. */
export const batchResultSchema = z
  .object({
    processed: count,
    confirmed: count,
    rejected: count,
    failed: count,
    deferred: count,
    skipped: count,
    wouldProcess: count,
  })
  .refine(
    (r) =>
      r.confirmed + r.rejected + r.failed + r.deferred + r.skipped + r.wouldProcess === r.processed,
    { error: 'the outcome counts must add up to processed' },
  );

export function emptyTotals(): RunTotals {
  return {
    pages: 0,
    fetched: 0,
    confirmed: 0,
    rejected: 0,
    failed: 0,
    deferred: 0,
    skipped: 0,
    wouldProcess: 0,
    failedBatches: 0,
  };
}

export function emptyBatchResult(): BatchResult {
  return {
    processed: 0,
    confirmed: 0,
    rejected: 0,
    failed: 0,
    deferred: 0,
    skipped: 0,
    wouldProcess: 0,
  };
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
    const r = parsed.data;
    next.confirmed += r.confirmed;
    next.rejected += r.rejected;
    next.failed += r.failed;
    next.deferred += r.deferred;
    next.skipped += r.skipped;
    next.wouldProcess += r.wouldProcess;
  }
  return next;
}
