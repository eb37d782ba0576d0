/**
 * A new PENDING transaction as whatever writes one must write it (docs/producers.md): the producer
 * of an application team, `txc import`, the local demo seeding. One function, so that the shape the
 * confirmer reads — status, `attempts`, the `pendingShard` of the sparse pending index — is made in
 * one place and checked with the schema the handlers use (transaction.ts).
 */
import { pendingShardFor } from './pending-shard';
import { checkTransaction, type RecordIssue } from './transaction';

/** What a writer knows of a new transaction. */
export interface NewPendingInput {
  /** Visible ASCII, no leading or trailing spaces (it is the provider's Idempotency-Key). */
  readonly id: string;
  /** Integer minor units (cents), > 0. */
  readonly amount: number;
  /** ISO 4217 code, e.g. EUR. */
  readonly currency: string;
  /**
   * When the transaction was created: a Date, or an ISO-8601 UTC text exactly as
   * `Date.prototype.toISOString()` writes it (the pending index sorts on it as text).
   */
  readonly createdAt: Date | string;
}

/** The item a new PENDING transaction is, as stored in the Transactions table. */
export interface PendingItem {
  readonly id: string;
  readonly status: 'PENDING';
  readonly amount: number;
  readonly currency: string;
  readonly createdAt: string;
  readonly attempts: 0;
  readonly pendingShard: string;
}

export interface NewPendingOptions {
  /** The stack's pending-index shard count (stack output `PendingShardCount`). */
  readonly shardCount: number;
}

/** The input is not a valid new transaction; `field` names what is wrong. */
export class InvalidPendingTransaction extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(issue: RecordIssue) {
    super(`${issue.field}: ${issue.message}`);
    this.name = 'InvalidPendingTransaction';
    this.field = issue.field;
    this.reason = issue.message;
  }
}

/** The item, or what is wrong with the input (no exception: for writers that report rows). */
export function checkNewPending(
  input: NewPendingInput,
  { shardCount }: NewPendingOptions,
): { ok: true; item: PendingItem } | { ok: false; issue: RecordIssue } {
  const createdAt =
    input.createdAt instanceof Date
      ? Number.isNaN(input.createdAt.getTime())
        ? 'Invalid Date'
        : input.createdAt.toISOString()
      : input.createdAt;
  const candidate = {
    id: input.id,
    status: 'PENDING' as const,
    amount: input.amount,
    currency: input.currency,
    createdAt,
    attempts: 0 as const,
  };
  const checked = checkTransaction(candidate);
  if (!checked.ok) return checked;
  return { ok: true, item: { ...candidate, pendingShard: pendingShardFor(input.id, shardCount) } };
}

/**
 * The PENDING item of a new transaction: status PENDING, attempts 0, `createdAt` canonical, and
 * the `pendingShard` that puts it in the pending index. Throws InvalidPendingTransaction.
 */
export function newPendingTransaction(
  input: NewPendingInput,
  options: NewPendingOptions,
): PendingItem {
  const checked = checkNewPending(input, options);
  if (!checked.ok) throw new InvalidPendingTransaction(checked.issue);
  return checked.item;
}
