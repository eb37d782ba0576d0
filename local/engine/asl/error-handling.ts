/**
 * Retry and Catch (docs/local-engine.md "Errors"), as the Step Functions developer guide states
 * them ("Handling errors in Step Functions workflows"):
 * - a Retrier matches when one of its ErrorEquals names the error, or is States.ALL (any error
 *   but the terminal States.DataLimitExceeded: "a terminal error that can't be caught by the
 *   States.ALL error type", which only its own name matches), or States.TaskFailed (any error but
 *   States.Timeout); States.Runtime and a stopped execution (States.Cancelled) are never retried
 *   or caught;
 * - the first matching Retrier decides: past its MaxAttempts (default 3; 0 never retries) the
 *   error goes to Catch. The wait before retry n (1-based) is IntervalSeconds (default 1) ×
 *   BackoffRate (default 2.0)^(n-1), capped by MaxDelaySeconds; JitterStrategy FULL draws it
 *   uniformly from [0, that]. Each Retrier counts its own attempts;
 * - the first matching Catcher sends the error output `{ Error, Cause }` to its Next state.
 */
import { TaskFailure } from '../errors';

export interface Retrier {
  readonly errorEquals: readonly string[];
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds?: number;
  readonly jitter: 'FULL' | 'NONE';
}

/** The name a failure is matched on, and whether it may be retried or caught at all. */
export interface FailureView {
  readonly name: string;
  readonly retryable: boolean;
  readonly catchable: boolean;
}

export function failureView(error: unknown): FailureView {
  if (error instanceof TaskFailure) {
    return { name: error.name, retryable: error.isRetryable, catchable: error.isCatchable };
  }
  if (error instanceof Error) return { name: error.name, retryable: true, catchable: true };
  return { name: 'Error', retryable: true, catchable: true };
}

/** Whether `errorEquals` names this failure. */
export function errorMatches(errorEquals: readonly string[], name: string): boolean {
  for (const candidate of errorEquals) {
    if (candidate === name) return true;
    if (candidate === 'States.ALL' && name !== 'States.DataLimitExceeded') return true;
    if (candidate === 'States.TaskFailed' && name !== 'States.Timeout') return true;
  }
  return false;
}

/** The Retry field, read once (with the engine's interval scale for fast tests). */
export function compileRetriers(retry: unknown, scale: number): Retrier[] {
  if (!Array.isArray(retry)) return [];
  return (retry as Record<string, unknown>[]).map((r) => ({
    errorEquals: (r.ErrorEquals as string[] | undefined) ?? [],
    intervalSeconds: ((r.IntervalSeconds as number | undefined) ?? 1) * scale,
    maxAttempts: (r.MaxAttempts as number | undefined) ?? 3,
    backoffRate: (r.BackoffRate as number | undefined) ?? 2,
    maxDelaySeconds: typeof r.MaxDelaySeconds === 'number' ? r.MaxDelaySeconds * scale : undefined,
    jitter: r.JitterStrategy === 'FULL' ? 'FULL' : 'NONE',
  }));
}

/** The attempts made so far by each Retrier of one state entry. */
export class RetryCounter {
  private readonly attempts: number[];
  /** Retries made so far (`$$.State.RetryCount`). */
  total = 0;

  constructor(private readonly retriers: readonly Retrier[]) {
    this.attempts = retriers.map(() => 0);
  }

  /** The wait in ms before retrying `error`, or undefined when it is not retried. */
  next(error: unknown): number | undefined {
    const view = failureView(error);
    if (!view.retryable) return undefined;
    const index = this.retriers.findIndex((r) => errorMatches(r.errorEquals, view.name));
    if (index < 0) return undefined;
    const retrier = this.retriers[index];
    if (this.attempts[index] >= retrier.maxAttempts) return undefined;
    const n = this.attempts[index];
    this.attempts[index] += 1;
    this.total += 1;
    let seconds = retrier.intervalSeconds * retrier.backoffRate ** n;
    if (retrier.maxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.maxDelaySeconds);
    if (retrier.jitter === 'FULL') seconds = Math.random() * seconds;
    return seconds * 1000;
  }
}

/** The index of the Catcher that catches `error`, or -1. */
export function findCatcher(
  catchers: readonly { readonly errorEquals: readonly string[] }[],
  error: unknown,
): number {
  const view = failureView(error);
  if (!view.catchable) return -1;
  return catchers.findIndex((c) => errorMatches(c.errorEquals, view.name));
}
