import type { BatchResult } from '../contracts';
import { classifyProviderResponse } from './classification';
import { SystemicFault, describeError } from './errors';
import type { Clock, Log, PaymentProvider, TransactionRepository } from './ports';
import { silentLog } from './ports';
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
  clock: Clock;
  log?: Log;
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

type Bucket = Exclude<keyof BatchResult, 'processed'>;

/**
 * Confirm one batch of transactions (DESIGN.md §4). Every id lands in exactly one bucket of the
 * result. Per-item problems never throw; a systemic fault (store unreachable, provider rejecting
 * our credentials) throws SystemicFault after the calls already in flight have been recorded, so
 * that Step Functions retries the batch.
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

  let systemic: unknown;
  let next = 0;
  let stoppedAtDeadline = 0;

  const confirmOne = async (tx: Transaction): Promise<void> => {
    const response = await deps.provider.confirm({
      transactionId: tx.id,
      amount: tx.amount,
      currency: tx.currency,
    });
    const classification = classifyProviderResponse(response);
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

  const worker = async (): Promise<void> => {
    while (systemic === undefined && next < pending.length) {
      if (options.remainingMs() < options.providerTimeoutMs + DEADLINE_MARGIN_MS) {
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

  const workers = Math.max(1, Math.min(options.parallelism, pending.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));

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
