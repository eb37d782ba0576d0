import type { Classification } from './classification';
import type { TerminalStatus, Transaction } from './transaction';

/**
 * The only state changes confirm-batch makes (docs/architecture.md §4):
 *
 *   PENDING --confirmed-------------------------> CONFIRMED   (terminal)
 *   PENDING --rejected--------------------------> REJECTED    (terminal)
 *   PENDING --permanent error-------------------> FAILED      (terminal)
 *   PENDING --transient error, attempts+1 < max-> PENDING     (deferred: attempts + 1, lastError)
 *   PENDING --transient error, attempts+1 >= max> FAILED      (lastError "MAX_ATTEMPTS: <error>")
 *   PENDING/unreadable --invalid record---------> FAILED      (lastError "INVALID_RECORD: ...")
 *
 * Terminal statuses are final: every write is conditional on the state that was read, so a
 * retried batch or an overlapping run can never overwrite a terminal status.
 */

/** What the write must find for it to apply; otherwise someone else wrote first (a conflict). */
export interface WriteGuard {
  /** `PENDING`: the item is PENDING. `NOT_TERMINAL`: the item exists and is not terminal. */
  status: 'PENDING' | 'NOT_TERMINAL';
  /** A number: `attempts` still equals it. `null`: `attempts` is still absent. Omitted: not checked. */
  attempts?: number | null;
}

export interface TransactionWrite {
  /** The new status: PENDING means a deferral (the item stays in the backlog). */
  status: 'PENDING' | TerminalStatus;
  /** New value of `attempts` (omitted: left as is). */
  attempts?: number;
  /** New value of `lastError` (omitted on CONFIRMED, where lastError is removed). */
  lastError?: string;
  /** Set on CONFIRMED. */
  providerRef?: string;
  guard: WriteGuard;
}

export type WriteDecision =
  | { kind: 'write'; write: TransactionWrite }
  /** Not a per-item outcome: the whole batch must fail (SystemicFault) and be retried. */
  | { kind: 'systemic'; error: string };

/** Longest lastError written (the stored-record limit is 2048 characters). */
const MAX_LAST_ERROR_LENGTH = 512;

function bounded(text: string): string {
  return text.length > MAX_LAST_ERROR_LENGTH ? `${text.slice(0, MAX_LAST_ERROR_LENGTH)}…` : text;
}

/** The write after one provider call for a PENDING transaction. Pure. */
export function decideWrite(
  tx: Pick<Transaction, 'attempts'>,
  classification: Classification,
  maxAttempts: number,
): WriteDecision {
  const readAttempts = tx.attempts;
  const attempts = (readAttempts ?? 0) + 1;
  switch (classification.outcome) {
    case 'confirmed':
      return {
        kind: 'write',
        write: {
          status: 'CONFIRMED',
          attempts,
          providerRef: classification.providerRef,
          guard: { status: 'PENDING' },
        },
      };
    case 'rejected':
      return {
        kind: 'write',
        write: {
          status: 'REJECTED',
          attempts,
          lastError: bounded(classification.reason),
          guard: { status: 'PENDING' },
        },
      };
    case 'permanent':
      return {
        kind: 'write',
        write: {
          status: 'FAILED',
          attempts,
          lastError: bounded(classification.error),
          guard: { status: 'PENDING' },
        },
      };
    case 'transient':
      // Guarded on the attempts that were read: two overlapping deferrals count once, and the
      // MAX_ATTEMPTS decision is made on a value nobody else changed in between.
      return {
        kind: 'write',
        write:
          attempts >= maxAttempts
            ? {
                status: 'FAILED',
                attempts,
                lastError: bounded(`MAX_ATTEMPTS: ${classification.error}`),
                guard: { status: 'PENDING', attempts: readAttempts ?? null },
              }
            : {
                status: 'PENDING',
                attempts,
                lastError: bounded(classification.error),
                guard: { status: 'PENDING', attempts: readAttempts ?? null },
              },
      };
    case 'systemic':
      return { kind: 'systemic', error: classification.error };
  }
}

/** The write for a record that failed validation: FAILED with the reason, unless already terminal. */
export function invalidRecordWrite(reason: string): TransactionWrite {
  return { status: 'FAILED', lastError: bounded(reason), guard: { status: 'NOT_TERMINAL' } };
}
