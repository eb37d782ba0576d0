import type { PageManifest, ProviderOutage, RunStatus, RunTotals } from '../contracts';
import type { ProviderResponse } from './classification';
import type { TransactionWrite } from './transitions';

/*
 * The domain core talks to the outside world only through these interfaces. Adapters implement
 * them (lambdas/adapters); every adapter method either returns a result or throws SystemicFault.
 */

export type WriteResult = 'written' | 'conflict';

/** A stored transaction exactly as read (attribute name -> value), before validation. */
export type RawTransaction = Record<string, unknown>;

export interface PendingItem {
  id: string;
  createdAt: string;
}

export interface PendingPage {
  /** Oldest first. */
  items: PendingItem[];
  /** DynamoDB's LastEvaluatedKey; absent when the shard is exhausted. */
  lastKey?: Record<string, string>;
}

export interface TransactionRepository {
  /** Strongly consistent read of the given ids; ids that do not exist are absent from the map. */
  getMany(ids: readonly string[]): Promise<Map<string, RawTransaction>>;
  /** Conditional update (see WriteGuard); 'conflict' when someone else wrote first. */
  write(
    id: string,
    write: TransactionWrite,
    meta: { runId: string; now: string },
  ): Promise<WriteResult>;
  /** Repair: REMOVE `pendingShard` from an item that is terminal (still `status`). */
  removeStalePendingShard(id: string, status: string, now: string): Promise<WriteResult>;
  /** Ids in one shard of the pending index with createdAt < cutoff, oldest first. */
  queryPending(query: {
    shard: string;
    cutoff: string;
    limit: number;
    exclusiveStartKey?: Record<string, string>;
  }): Promise<PendingPage>;
}

/** Where FetchPage puts each page's ids for the Distributed Map's ItemReader (S3 on AWS). */
export interface PageManifestStore {
  /** Writes the ids as a JSON array of `{ "id": ... }` under `key` (replacing what is there). */
  write(key: string, ids: readonly string[]): Promise<PageManifest>;
  /** Deletes a manifest; one that is already gone is no error. */
  remove(manifest: PageManifest): Promise<void>;
}

export interface ConfirmationRequest {
  transactionId: string;
  /** Integer minor units. */
  amount: number;
  currency: string;
}

export interface PaymentProvider {
  /**
   * Ask the provider to confirm one transaction; the idempotency key is the transaction id.
   * Network failures are returned (`kind: 'network'`), not thrown; throws SystemicFault only when
   * no call could be made at all (credentials unreadable).
   */
  confirm(request: ConfirmationRequest): Promise<ProviderResponse>;
  /** The provider rejected our credentials: read them again on the next call (rotation). */
  credentialsRejected?(): void;
}

export interface LockRecord {
  runId: string;
  executionArn: string;
  acquiredAt: string;
  expiresAt: string;
}

/** A run record's status (declared with the run summary in lambdas/contracts.ts). */
export type { RunStatus };

export interface RunRecord {
  runId: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  /** The latest execution of the run (runs span executions through ContinueAsNew). */
  executionArn: string;
  dryRun: boolean;
  cutoff?: string;
  maxItems?: number;
  /** Number of explicit ids of a manual run. */
  transactionIdCount?: number;
  /**
   * What the run did: written by FetchPage as each page completes (so an aborted or failed run's
   * record shows its progress) and by FinishRun (or the failure path) when it ends.
   */
  totals: RunTotals;
  /** When FetchPage last wrote the running totals. */
  progressAt?: string;
  error?: string;
  /** For PROVIDER_UNAVAILABLE: the circuit breaker's evidence and when it retries. */
  providerUnavailable?: Omit<ProviderOutage, 'cause'>;
  /** For SKIPPED: the run that held the lock. */
  holder?: { runId: string; executionArn: string; expiresAt: string };
  /** Epoch seconds; the table's TTL attribute (AWS only, never relied on). */
  ttl: number;
}

export type AcquireResult =
  { acquired: true; previous?: LockRecord } | { acquired: false; holder: LockRecord };

export interface RunStore {
  /**
   * Take the lock if it is free, expired (`expiresAt < now`) or already held by this very
   * execution (a retried StartRun). `previous` names an expired holder that was displaced.
   */
  acquireLock(lock: LockRecord, now: string): Promise<AcquireResult>;
  /** ContinueAsNew: move the lock of `runId` from the parent execution to the child. */
  handOverLock(handover: {
    runId: string;
    fromExecutionArn: string;
    toExecutionArn: string;
    expiresAt: string;
  }): Promise<boolean>;
  /** Extend the lease; false when the lock is no longer held by runId + executionArn. */
  renewLock(lease: { runId: string; executionArn: string; expiresAt: string }): Promise<boolean>;
  /** Delete the lock if held by runId + executionArn; false when it was not (a no-op). */
  releaseLock(owner: { runId: string; executionArn: string }): Promise<boolean>;
  getLock(): Promise<LockRecord | undefined>;
  putRun(record: RunRecord): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Resume: the run continues in a new execution. */
  setRunExecution(runId: string, executionArn: string): Promise<void>;
  /**
   * The running totals of a RUNNING run, written by its current execution as each page completes;
   * false (nothing written) when the record is no longer RUNNING or names another execution.
   */
  recordProgress(
    runId: string,
    progress: { executionArn: string; totals: RunTotals; at: string },
  ): Promise<boolean>;
  /** Final status, totals and error of a run, written by its own execution. */
  completeRun(
    runId: string,
    result: {
      status: RunStatus;
      finishedAt: string;
      executionArn: string;
      totals: RunTotals;
      error?: string;
      providerUnavailable?: Omit<ProviderOutage, 'cause'>;
    },
  ): Promise<void>;
  /**
   * Mark a run that ended without its Catch; only if it is still RUNNING (and, when given, its
   * latest execution is `executionArn`).
   */
  endRunIfRunning(
    runId: string,
    result: { status: RunStatus; finishedAt: string; error: string; executionArn?: string },
  ): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

/**
 * The provider circuit breaker, shared by every batch of every run (docs/architecture.md §4, "The
 * provider circuit breaker"). One item; absent means CLOSED. Every change is a conditional write
 * on the state that was read, so no update is lost and only one batch probes at a time.
 */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerRecord {
  state: BreakerState;
  /** OPEN / HALF_OPEN: when it opened (kept across probes that failed). */
  openedAt?: string;
  /** OPEN: from then on the next batch may claim the probe. */
  retryAt?: string;
  /** OPEN / HALF_OPEN: the outage evidence, e.g. `HTTP 503 ×20 of 20 calls`. */
  reason?: string;
  /** Opens in a row without a successful probe (1 after the first): the backoff's exponent. */
  opens?: number;
  /** HALF_OPEN: the batch that claimed the probe, and until when the claim holds. */
  probeBy?: string;
  probeUntil?: string;
  /** CLOSED after an outage: when a probe closed it, and what the outage was. */
  closedAt?: string;
  lastReason?: string;
  updatedAt?: string;
}

/** An open period: its evidence, its retry time, the opens in a row; `now` stamps `updatedAt`. */
export interface BreakerReopening {
  retryAt: string;
  reason: string;
  opens: number;
  now: string;
}
/** The first open after CLOSED also says when. */
export interface BreakerOpening extends BreakerReopening {
  openedAt: string;
}

export interface ProviderBreakerStore {
  /** Strongly consistent; `{ state: 'CLOSED' }` when the item does not exist yet. */
  read(): Promise<BreakerRecord>;
  /** CLOSED (or absent) -> OPEN. False when it was not CLOSED any more (someone else opened it). */
  open(next: BreakerOpening): Promise<boolean>;
  /**
   * OPEN (or HALF_OPEN whose claim lapsed) -> HALF_OPEN claimed by `probeBy`, only if the item is
   * still exactly as `seen` (state, retryAt, probeBy, probeUntil): of two batches, one wins.
   */
  claimProbe(
    seen: BreakerRecord,
    claim: { probeBy: string; probeUntil: string; now: string },
  ): Promise<boolean>;
  /** HALF_OPEN claimed by `probeBy` -> CLOSED (the provider answered). */
  close(probeBy: string, closed: { now: string; lastReason?: string }): Promise<boolean>;
  /** HALF_OPEN claimed by `probeBy` -> OPEN again, with a new retryAt (the probe failed, or gave up). */
  reopen(probeBy: string, next: BreakerReopening): Promise<boolean>;
}

/** The subset of a structured logger the core uses (Powertools Logger satisfies it). */
export interface Log {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
