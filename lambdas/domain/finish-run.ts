import { ERROR, type FinishRunEvent, type ProviderOutage, type RunSummary } from '../contracts';
import type { Clock, Log, RunStore } from './ports';
import { silentLog } from './ports';

export interface FinishRunDeps {
  runs: RunStore;
  clock: Clock;
  log?: Log;
}

/** Longest error text kept in a run record, in UTF-8 bytes. */
export const MAX_RUN_ERROR_BYTES = 1024;

const utf8 = new TextEncoder();

export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = utf8.encode(char).length;
    if (bytes + size > maxBytes - 3) break; // 3 bytes for the ellipsis
    out += char;
    bytes += size;
  }
  return `${out}…`;
}

/**
 * `Error: Cause` of a Catch. A Lambda error's Cause is a JSON document with a stack trace: only
 * its errorMessage is kept.
 */
export function describeCatchError(error: { Error?: string; Cause?: string }): string {
  let cause = error.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      const message = (parsed as { errorMessage: unknown }).errorMessage;
      if (typeof message === 'string') cause = message;
    }
  } catch {
    // Not JSON: keep the text as it is.
  }
  const text = cause === '' ? (error.Error ?? 'Error') : `${error.Error ?? 'Error'}: ${cause}`;
  return truncateUtf8(text, MAX_RUN_ERROR_BYTES);
}

/** The run record's error for a run stopped by a provider outage: the execution's error and cause. */
export function providerUnavailableError(outage: ProviderOutage): string {
  return truncateUtf8(`${ERROR.ProviderUnavailable}: ${outage.cause}`, MAX_RUN_ERROR_BYTES);
}

/**
 * Release the lock (if it is still ours) and write the run's final record (docs/architecture.md §3
 * step 5). Also the Catch of every failure path after StartRun, with outcome FAILED, and the
 * end of a run stopped by a provider outage, with outcome PROVIDER_UNAVAILABLE (the execution then
 * fails with ProviderUnavailable).
 */
export async function finishRun(event: FinishRunEvent, deps: FinishRunDeps): Promise<RunSummary> {
  const log = deps.log ?? silentLog;
  const { run, executionArn } = event;
  const released = await deps.runs.releaseLock({ runId: run.runId, executionArn });
  if (!released) {
    log.warn('run lock was no longer held by this execution: left as it is', {
      runId: run.runId,
      executionArn,
    });
  }
  const finished = deps.clock.now();
  const outage = event.outcome === 'PROVIDER_UNAVAILABLE' ? event.providerUnavailable : undefined;
  const error =
    event.error !== undefined
      ? describeCatchError(event.error)
      : outage !== undefined
        ? providerUnavailableError(outage)
        : undefined;
  const providerUnavailable =
    outage === undefined
      ? undefined
      : {
          reason: outage.reason,
          retryAt: outage.retryAt,
          ...(outage.openedAt === undefined ? {} : { openedAt: outage.openedAt }),
        };
  await deps.runs.completeRun(run.runId, {
    status: event.outcome,
    finishedAt: finished.toISOString(),
    executionArn,
    totals: event.totals,
    ...(error === undefined ? {} : { error }),
    ...(providerUnavailable === undefined ? {} : { providerUnavailable }),
  });
  const summary: RunSummary = {
    runId: run.runId,
    status: event.outcome,
    startedAt: run.startedAt,
    finishedAt: finished.toISOString(),
    durationMs: Math.max(0, finished.getTime() - Date.parse(run.startedAt)),
    dryRun: run.dryRun,
    totals: event.totals,
    ...(error === undefined ? {} : { error }),
    ...(providerUnavailable === undefined ? {} : { providerUnavailable }),
  };
  (event.outcome === 'SUCCEEDED' ? log.info : log.error).call(log, 'run finished', {
    runId: run.runId,
    status: summary.status,
    durationMs: summary.durationMs,
    totals: summary.totals,
    ...(error === undefined ? {} : { error }),
  });
  return summary;
}
