/**
 * A run's totals as `txc` shows them: every counter of OUTCOME_COUNTERS (lambdas/contracts.ts), so
 * a counter added there shows up here without a change; a record written before a counter existed
 * simply lacks it.
 */
import { OUTCOME_COUNTERS, type OutcomeCounter, type RunTotals } from '../lambdas/contracts';
import { fields } from '../cli/io';

/** Labels that differ from the counter's name; any other counter is shown by its name in words. */
const OUTCOME_LABELS: Partial<Record<OutcomeCounter, string>> = {
  wouldProcess: 'would process',
};

/** `wouldProcess` → `would process`. */
export function outcomeLabel(counter: OutcomeCounter): string {
  return OUTCOME_LABELS[counter] ?? counter.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

type Totals = Partial<RunTotals>;

const count = (totals: Totals, key: keyof RunTotals): number | undefined => {
  const value = totals[key];
  return typeof value === 'number' ? value : undefined;
};

/** The totals as `key: value` lines (wouldProcess only for a dry run, where it is not 0). */
export function renderTotals(totals: Totals, width?: number): string {
  const outcomes = OUTCOME_COUNTERS.map((counter): [string, number | undefined] => [
    outcomeLabel(counter),
    counter !== 'wouldProcess' || (count(totals, counter) ?? 0) > 0
      ? count(totals, counter)
      : undefined,
  ]);
  return fields(
    [
      ['fetched', count(totals, 'fetched')],
      ...outcomes,
      ['failed batches', count(totals, 'failedBatches')],
      ['pages', count(totals, 'pages')],
    ],
    width,
  );
}

/** One line for a table cell: `fetched 10, confirmed 7, rejected 2` — the counters that are not 0. */
export function totalsLine(totals: Totals): string {
  const parts = [`fetched ${count(totals, 'fetched') ?? 0}`];
  for (const counter of OUTCOME_COUNTERS) {
    const value = count(totals, counter) ?? 0;
    if (value > 0) parts.push(`${outcomeLabel(counter)} ${value}`);
  }
  const failedBatches = count(totals, 'failedBatches') ?? 0;
  if (failedBatches > 0) parts.push(`failed batches ${failedBatches}`);
  return parts.join(', ');
}
