/**
 * What the simulator tells about the calls it got: each call as it saw and answered it, and the
 * counters of stats(). Tests and the reliability suite read these to check that no key was
 * charged twice.
 */

/** What a call came to, as the simulator answered it. */
export type CallOutcome =
  | 'confirmed'
  | 'rejected'
  | 'transient'
  | 'timeout'
  | 'in-progress'
  | 'unauthorized'
  | 'bad-request'
  | 'not-found'
  | 'dropped'
  | 'other';

/** Every CallOutcome, for counters that start at zero. */
export const CALL_OUTCOMES: readonly CallOutcome[] = [
  'confirmed',
  'rejected',
  'transient',
  'timeout',
  'in-progress',
  'unauthorized',
  'bad-request',
  'not-found',
  'dropped',
  'other',
];

interface CallBase {
  /** Arrival, ISO-8601. */
  at: string;
  /** An Authorization header was sent. */
  hasAuthorization: boolean;
  /** It carried the expected key. */
  authorized: boolean;
  /** The HTTP status answered; undefined when no answer was sent (timeout, dropped). */
  status: number | undefined;
  /** The answer replayed the key's stored final outcome. */
  replayed: boolean;
}

/** One call as the simulator saw and answered it. Final outcomes always name their key. */
export type SimulatedCall =
  | (CallBase & {
      outcome: 'confirmed';
      idempotencyKey: string;
      transactionId: string;
      amount: number;
      currency: string;
      /** The reference answered (replays included). */
      reference: string;
      reason?: undefined;
    })
  | (CallBase & {
      outcome: 'rejected';
      idempotencyKey: string;
      transactionId: string;
      amount: number;
      currency: string;
      reference?: undefined;
      /** The reason answered (replays included). */
      reason: string;
    })
  | (CallBase & {
      /** 'pending': arrived, not answered yet. */
      outcome: Exclude<CallOutcome, 'confirmed' | 'rejected'> | 'pending';
      idempotencyKey: string | undefined;
      /** `transactionId` of the body, when it was a string. */
      transactionId: string | undefined;
      /** Of a well-formed request. */
      amount?: number;
      currency?: string;
      reference?: undefined;
      reason?: undefined;
    });

/** A call while it is being answered. */
export interface CallDraft extends CallBase {
  outcome: CallOutcome | 'pending';
  idempotencyKey: string | undefined;
  transactionId: string | undefined;
  amount?: number;
  currency?: string;
  reference?: string;
  reason?: string;
}

export interface ProviderSimulatorStats {
  /** Calls arrived (answered or not). */
  calls: number;
  /** Answered calls per outcome (replays included). */
  outcomes: Record<CallOutcome, number>;
  /** Idempotency keys of authorized, well-formed calls. */
  distinctKeys: number;
  /** Calls answered from a stored final outcome. */
  replays: number;
  /** Final outcomes produced (each at most once per key): charges and rejections. */
  finalOutcomes: { confirmed: number; rejected: number };
}
