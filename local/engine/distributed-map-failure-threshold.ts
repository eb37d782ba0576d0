/**
 * A Distributed Map's tolerated failure (guide, "Setting failure thresholds for Distributed Map
 * states in Step Functions"): whether the failed items of a Map Run exceed its
 * ToleratedFailurePercentage / ToleratedFailureCount (as read for the run, MapRunSettings), and the
 * States.ExceedToleratedFailureThreshold failure the runner (distributed-map.ts) then fails the Map
 * with. Failures are counted in items; without either threshold no failure is tolerated.
 */
import { type ErrorOutput, TaskFailure } from './errors';
import type { MapRunSettings } from './distributed-map-config';

/**
 * Whether `failedItems` of `totalItems` exceed the run's thresholds. The percentage's share of the
 * items is taken at 12 significant digits: 18.4 × 375 is 6899.999… in binary floating point, and
 * 69 failed items of 375 are exactly 18.4%, which does not exceed 18.4.
 */
export function exceeded(
  settings: MapRunSettings,
  failedItems: number,
  totalItems: number,
): boolean {
  const { toleratedCount: count, toleratedPercentage: percentage } = settings;
  if (count === undefined && percentage === undefined) return failedItems > 0;
  if (count !== undefined && failedItems > count) return true;
  if (percentage === undefined) return false;
  const toleratedItemsTimes100 = Number((percentage * totalItems).toPrecision(12));
  return failedItems * 100 > toleratedItemsTimes100;
}

/** States.ExceedToleratedFailureThreshold: `failedItems` exceeded the thresholds; `last` failed last. */
export function thresholdFailure(
  settings: MapRunSettings,
  failedItems: number,
  totalItems: number,
  last: ErrorOutput,
): TaskFailure {
  return new TaskFailure(
    'States.ExceedToleratedFailureThreshold',
    `The specified tolerated failure threshold was exceeded: ${failedItems} of ${totalItems} items failed (${thresholdText(settings)}); last failure: ${last.Error}`,
  );
}

function thresholdText(settings: MapRunSettings): string {
  const parts: string[] = [];
  const { toleratedCount, toleratedPercentage } = settings;
  if (toleratedPercentage !== undefined)
    parts.push(`ToleratedFailurePercentage ${toleratedPercentage}`);
  if (toleratedCount !== undefined) parts.push(`ToleratedFailureCount ${toleratedCount}`);
  return parts.length ? parts.join(', ') : 'no failure tolerated';
}
