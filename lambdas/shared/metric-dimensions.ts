import { SERVICE_NAME } from '../contracts';

/*
 * The dimensions of every handler metric, shared by the handlers (lambdas/shared/powertools.ts
 * sets them as Powertools' default dimensions) and the alarms and dashboard widgets that watch
 * those metrics (lib/monitoring/metrics.ts). Kept free of runtime dependencies, like contracts.ts,
 * so that lib/ may import it without pulling in handler code.
 */

/**
 * The dimension that tells stages apart. Two stages deployed to one account publish into the same
 * namespace; without it, dev's FAILED transaction would set off prod's alarm (and the other way).
 */
export const STAGE_DIMENSION = 'stage';

/** The dimension Powertools derives from the service name (`serviceName`). */
export const SERVICE_DIMENSION = 'service';

/** Every handler metric's dimensions, in the order Powertools writes them: service, then stage. */
export function metricDimensions(stage: string): Readonly<Record<string, string>> {
  return { [SERVICE_DIMENSION]: SERVICE_NAME, [STAGE_DIMENSION]: stage };
}
