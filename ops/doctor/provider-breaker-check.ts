/**
 * `txc doctor`'s provider circuit breaker check (docs/architecture.md, "The provider circuit
 * breaker"): what the runs themselves last concluded about the provider, beside the network probe
 * of the provider endpoint check.
 */
import { duration } from '../../cli/io';
import { currentBreaker } from '../executions';
import { type CheckContext, type Finding, isoSeconds } from './checks';

const ENTRY = 'docs/runbook.md#provider-unavailable';
/** A stored time to the second; a value that is not a time is shown as it is. */
const at = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : isoSeconds(new Date(iso)));

/** From now to `iso`: `in 25s`, `due now`. */
function until(iso: string | undefined, now: Date): string {
  if (iso === undefined) return 'due now';
  const left = Date.parse(iso) - now.getTime();
  return Number.isNaN(left) || left <= 0 ? 'due now' : `in ${duration(left)}`;
}

/**
 * **ok**: CLOSED (naming the last outage it recovered from, if any); **warn**: OPEN or HALF_OPEN —
 * runs stop with ProviderUnavailable until a probe closes it, which needs nothing from us.
 */
export async function providerBreakerCheck(ctx: CheckContext): Promise<Finding> {
  const breaker = await currentBreaker(ctx.target);
  if (breaker.state === 'CLOSED') {
    const last =
      breaker.closedAt === undefined
        ? ''
        : ` (last outage ended ${at(breaker.closedAt)}${breaker.lastReason ? `: ${breaker.lastReason}` : ''})`;
    return { status: 'ok', detail: `closed: runs call the provider${last}` };
  }
  const since = breaker.openedAt === undefined ? '' : ` since ${at(breaker.openedAt)}`;
  const reason = breaker.reason ?? 'no reason recorded';
  const detail =
    breaker.state === 'OPEN'
      ? `OPEN${since}: ${reason}; runs stop with ProviderUnavailable until one probes it, after ${breaker.retryAt === undefined ? 'now' : at(breaker.retryAt)} (${until(breaker.retryAt, ctx.now)})`
      : `HALF_OPEN${since}: a run is probing the provider (claim until ${breaker.probeUntil === undefined ? '?' : at(breaker.probeUntil)}) after ${reason}`;
  return {
    status: 'warn',
    detail,
    action: `nothing to requeue: see ${ENTRY}`,
  };
}
