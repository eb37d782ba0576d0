import type { BatchResult, OutcomeCounter } from '../contracts';
import { type Classification, classifyProviderResponse } from './classification';
import { SystemicFault, describeError } from './errors';
import type {
  Clock,
  Log,
  PaymentProvider,
  ProviderBreakerStore,
  TransactionRepository,
} from './ports';
import { silentLog } from './ports';
import { BatchCircuit, inMemoryBreakerStore, outageEvidence } from './provider-breaker';
import { emptyBatchResult } from './totals';
import { isTerminalStatus, parseTransaction, type Transaction } from './transaction';
import { decideWrite, invalidRecordWrite, type TransactionWrite } from './transitions';

export interface ConfirmBatchInput {
  ids: readonly string[];
  runId: string;
  dryRun: boolean;
}

export interface ConfirmBatchDeps {
  transactions: TransactionRepository;
  provider: PaymentProvider;
  /**
   * The provider circuit breaker shared by every batch (docs/architecture.md §4); the handler
   * always passes the DynamoDB one. Absent: a breaker of this batch alone, in memory.
   */
  breaker?: ProviderBreakerStore;
  clock: Clock;
  log?: Log;
  /** Waiting for another batch's probe of the provider (tests may shorten it). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ConfirmBatchOptions {
  maxAttempts: number;
  /** Provider calls in flight at once within this batch. */
  parallelism: number;
  providerTimeoutMs: number;
  /** Time left before the Lambda is killed (context.getRemainingTimeInMillis). */
  remainingMs: () => number;
}

/** Margin kept after the last provider call so its outcome can still be written. */
export const DEADLINE_MARGIN_MS = 2000;

type Bucket = OutcomeCounter;

/** An outage-class failure held back until the batch knows whether the breaker stayed CLOSED. */
interface HeldBack {
  tx: Transaction;
  classification: Classification;
}

/**
 * Confirm one batch of transactions (docs/architecture.md §4). Every id lands in exactly one bucket
 * of the result. Per-item problems never throw; a systemic fault (store unreachable, provider
 * rejecting our credentials) throws SystemicFault after the calls already in flight have been
 * recorded, so that Step Functions retries the batch.
 *
 * The provider circuit breaker decides whether the batch calls at all, and what outage-class
 * failures (no answer, connection errors, 408, 429, 5xx) mean: they are held back, and written
 * (attempts + 1) only if the breaker stayed CLOSED to the end of the batch. Once it is open, the
 * transactions not yet called and the held-back ones stay PENDING untouched, counted `unavailable`.
 */
export async function confirmBatch(
  input: ConfirmBatchInput,
  deps: ConfirmBatchDeps,
  options: ConfirmBatchOptions,
): Promise<BatchResult> {
  const log = deps.log ?? silentLog;
  const result = emptyBatchResult();
  result.processed = input.ids.length;
  const count = (bucket: Bucket) => {
    result[bucket] += 1;
  };
  const now = () => deps.clock.now().toISOString();
  const meta = () => ({ runId: input.runId, now: now() });

  const unique = [...new Set(input.ids)];
  // A duplicate id in one batch is processed once; its repeats are skipped.
  for (let i = unique.length; i < input.ids.length; i += 1) count('skipped');

  const items = await deps.transactions.getMany(unique);
  const pending: Transaction[] = [];

  for (const id of unique) {
    const raw = items.get(id);
    if (raw === undefined) {
      log.warn('transaction not found: skipped', { transactionId: id });
      count('skipped');
      continue;
    }
    if (isTerminalStatus(raw.status)) {
      count('skipped');
      if (raw.pendingShard !== undefined && !input.dryRun) {
        // A terminal item still in the pending index (an outside writer forgot to REMOVE it).
        const repaired = await deps.transactions.removeStalePendingShard(id, raw.status, now());
        log.warn('terminal transaction still carried pendingShard', {
          transactionId: id,
          status: raw.status,
          repaired: repaired === 'written',
        });
      }
      continue;
    }
    const parsed = parseTransaction(raw);
    if (!parsed.ok) {
      if (input.dryRun) {
        // Counted as failed in a dry run too: that is what a real run would do with it.
        count('failed');
        log.warn('invalid record (dry run: not written)', {
          transactionId: id,
          reason: parsed.reason,
        });
        continue;
      }
      const written = await deps.transactions.write(id, invalidRecordWrite(parsed.reason), meta());
      count(written === 'written' ? 'failed' : 'skipped');
      log.warn('invalid record marked FAILED', {
        transactionId: id,
        reason: parsed.reason,
        written: written === 'written',
      });
      continue;
    }
    if (input.dryRun) {
      count('wouldProcess');
      continue;
    }
    pending.push(parsed.tx);
  }
  // A dry run never calls the provider and never touches the breaker; nor does a batch with
  // nothing to call.
  if (pending.length === 0) return result;

  const outOfTime = () => options.remainingMs() < options.providerTimeoutMs + DEADLINE_MARGIN_MS;
  const circuit = await BatchCircuit.start(
    {
      breaker: deps.breaker ?? inMemoryBreakerStore(),
      clock: deps.clock,
      log,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    },
    {
      batchId: `${input.runId}/${globalThis.crypto.randomUUID()}`,
      providerTimeoutMs: options.providerTimeoutMs,
      hasTime: () => !outOfTime(),
    },
  );

  let systemic: unknown;
  let next = 0;
  let stoppedAtDeadline = 0;
  const heldBack: HeldBack[] = [];

  const writeOutcome = async (tx: Transaction, classification: Classification): Promise<void> => {
    const decision = decideWrite(tx, classification, options.maxAttempts);
    if (decision.kind === 'systemic') {
      deps.provider.credentialsRejected?.();
      throw new SystemicFault(`payment provider: ${decision.error}`);
    }
    const written = await deps.transactions.write(tx.id, decision.write, meta());
    const bucket: Bucket = written === 'conflict' ? 'skipped' : bucketOf(decision.write);
    count(bucket);
    const attributes = {
      transactionId: tx.id,
      outcome: classification.outcome,
      rule: classification.rule,
      result: bucket,
    };
    if (written === 'conflict') {
      log.info('transaction changed by someone else meanwhile: skipped', attributes);
    } else if (bucket === 'deferred' || bucket === 'failed') {
      log.warn('transaction not confirmed', { ...attributes, lastError: decision.write.lastError });
    } else if (bucket === 'confirmed') {
      // The common case: DEBUG (prod samples 1%), so logs do not cost a line per confirmation.
      // The store keeps the outcome (runId, providerRef, confirmedAt); `batch done` the counts.
      log.debug('transaction completed', attributes);
    } else {
      log.info('transaction completed', attributes);
    }
  };

  const confirmOne = async (tx: Transaction): Promise<void> => {
    const response = await deps.provider.confirm({
      transactionId: tx.id,
      amount: tx.amount,
      currency: tx.currency,
    });
    const classification = classifyProviderResponse(response);
    const evidence = outageEvidence(response, classification);
    if (evidence !== undefined) {
      // Outage class: whether it counts against the transaction depends on the breaker.
      heldBack.push({ tx, classification });
      await circuit.observe(evidence);
      return;
    }
    await writeOutcome(tx, classification);
    await circuit.observe(undefined);
  };

  /** Calls one transaction after the other while the circuit stays in `mode`. */
  const worker = async (mode: 'probe' | 'closed'): Promise<void> => {
    while (systemic === undefined && next < pending.length && circuit.mode === mode) {
      if (outOfTime()) {
        // Out of time: the rest stays PENDING (attempts unchanged) for the next batch or run.
        stoppedAtDeadline = pending.length - next;
        result.deferred += stoppedAtDeadline;
        next = pending.length;
        return;
      }
      const tx = pending[next];
      next += 1;
      try {
        await confirmOne(tx);
      } catch (err) {
        systemic ??= err;
      }
    }
  };

  // The probe: one call at a time until the provider answers (the breaker closes) or fails. The
  // transactions with the fewest attempts go first: the least suspected of item-level trouble.
  if (circuit.mode === 'probe') {
    pending.sort((a, b) => (a.attempts ?? 0) - (b.attempts ?? 0));
    await worker('probe');
  }
  if (circuit.mode === 'closed' && systemic === undefined) {
    circuit.enterClosed();
    const workers = Math.max(1, Math.min(options.parallelism, pending.length - next));
    await Promise.all(Array.from({ length: workers }, () => worker('closed')));
  }

  if (stoppedAtDeadline > 0) {
    log.warn('deadline reached: remaining transactions left PENDING', {
      untouched: stoppedAtDeadline,
    });
  }
  if (systemic !== undefined) {
    log.error('batch aborted by a systemic fault', { error: describeError(systemic) });
    // Adapters only throw SystemicFault (or InvalidConfiguration); anything else is a bug and is
    // rethrown as it is rather than disguised as a retryable fault.
    throw systemic;
  }

  const verdict = await circuit.finish(heldBack.length);
  if (verdict === 'closed') {
    // The breaker stayed CLOSED: these failures were about the transactions after all.
    let k = 0;
    const writer = async () => {
      while (k < heldBack.length) {
        const { tx, classification } = heldBack[k];
        k += 1;
        await writeOutcome(tx, classification);
      }
    };
    const writers = Math.max(1, Math.min(options.parallelism, heldBack.length));
    await Promise.all(Array.from({ length: writers }, writer));
  } else {
    // Not called, or failed because the provider is down: left PENDING without a write.
    const untouched = heldBack.length + (pending.length - next);
    result.unavailable += untouched;
    next = pending.length;
    if (untouched > 0) {
      log.warn('provider unavailable: transactions left PENDING untouched', {
        unavailable: untouched,
        breaker: circuit.seen.state,
        reason: circuit.seen.reason,
        retryAt: circuit.seen.retryAt,
      });
    }
  }
  return result;
}

function bucketOf(write: TransactionWrite): Bucket {
  switch (write.status) {
    case 'CONFIRMED':
      return 'confirmed';
    case 'REJECTED':
      return 'rejected';
    case 'FAILED':
      return 'failed';
    case 'PENDING':
      return 'deferred';
  }
}
