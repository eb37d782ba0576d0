/**
 * setTimeout for any delay: Node's timer fires at once past 2^31 - 1 ms (about 24.8 days), so a
 * longer delay is chained below that limit (an execution's TimeoutSeconds, a Task's, a Wait).
 */

/** The largest delay `setTimeout` accepts (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/** Calls `callback` after `ms`; `cancel` stops it. */
export function longTimeout(ms: number, callback: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout;
  const arm = (remaining: number) => {
    timer = setTimeout(
      () => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : callback()),
      Math.min(remaining, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return { cancel: () => clearTimeout(timer) };
}
