import type { Cursor, RunContext, StartRunEvent, StartRunResult } from '../contracts';
import { LockLost } from './errors';
import { parseExecutionInput } from './execution-input';
import type { Clock, Log, RunStore } from './ports';
import { silentLog } from './ports';
import { addSeconds, makeRunId, runRecordTtl } from './run-state';
import { emptyTotals } from './totals';

export interface StartRunDeps {
  runs: RunStore;
  clock: Clock;
  log?: Log;
}

export interface StartRunOptions {
  leaseSeconds: number;
}

/**
 * Validate the input, take the run lock (a lease) and fix the snapshot cutoff (docs/architecture.md
 * §3). Bad input throws InvalidExecutionInput before anything is written. A lock held by another
 * live run ends this execution as SKIPPED, naming the holder. A resumed run (ContinueAsNew) takes
 * the lock over from its parent execution only.
 */
export async function startRun(
  event: StartRunEvent,
  deps: StartRunDeps,
  options: StartRunOptions,
): Promise<StartRunResult> {
  const log = deps.log ?? silentLog;
  const input = parseExecutionInput(event.input);
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const expiresAt = addSeconds(now, options.leaseSeconds).toISOString();

  if (input.kind === 'resume') {
    const { run, cursor, totals } = input.resume;
    const handedOver = await deps.runs.handOverLock({
      runId: run.runId,
      fromExecutionArn: input.parentExecutionArn,
      toExecutionArn: event.executionArn,
      expiresAt,
    });
    if (!handedOver) {
      const message = `run ${run.runId}: the lock is no longer held by the parent execution ${input.parentExecutionArn}; the run cannot continue`;
      // The parent ended (HandedOver) and nobody else will close this run record. Only when
      // the record agrees that the claimed parent is the run's latest execution: a stray resume
      // must not close a run that is alive elsewhere.
      await deps.runs.endRunIfRunning(run.runId, {
        status: 'FAILED',
        finishedAt: nowIso,
        error: `LockLost: ${message}`,
        executionArn: input.parentExecutionArn,
      });
      throw new LockLost(message);
    }
    await deps.runs.setRunExecution(run.runId, event.executionArn);
    log.info('run resumed in a new execution', {
      runId: run.runId,
      parentExecutionArn: input.parentExecutionArn,
    });
    return {
      status: 'STARTED',
      run,
      cursor,
      totals,
      executionArn: event.executionArn,
      pagesThisExecution: 0,
    };
  }

  const startedAt = new Date(event.startTime);
  const runId = makeRunId(startedAt, event.executionName);
  const cutoff =
    input.createdBefore !== undefined && input.createdBefore < startedAt.toISOString()
      ? input.createdBefore
      : startedAt.toISOString();
  const run: RunContext = {
    runId,
    cutoff,
    startedAt: startedAt.toISOString(),
    dryRun: input.dryRun,
    maxItems: input.maxItems,
    ...(input.transactionIds === undefined ? {} : { transactionIds: input.transactionIds }),
  };
  const record = {
    runId,
    startedAt: run.startedAt,
    executionArn: event.executionArn,
    dryRun: run.dryRun,
    cutoff,
    maxItems: run.maxItems,
    ...(input.transactionIds === undefined
      ? {}
      : { transactionIdCount: input.transactionIds.length }),
    totals: emptyTotals(),
    ttl: runRecordTtl(now),
  };

  const acquired = await deps.runs.acquireLock(
    { runId, executionArn: event.executionArn, acquiredAt: nowIso, expiresAt },
    nowIso,
  );
  if (!acquired.acquired) {
    const holder = {
      runId: acquired.holder.runId,
      executionArn: acquired.holder.executionArn,
      expiresAt: acquired.holder.expiresAt,
    };
    await deps.runs.putRun({ ...record, status: 'SKIPPED', finishedAt: nowIso, holder });
    log.info('another run holds the lock: skipped', { runId, holder });
    return { status: 'SKIPPED', holder };
  }
  if (acquired.previous !== undefined && acquired.previous.executionArn !== event.executionArn) {
    log.warn('took over an expired run lock', {
      runId,
      previousRunId: acquired.previous.runId,
      previousExecutionArn: acquired.previous.executionArn,
      previousExpiresAt: acquired.previous.expiresAt,
    });
  }
  await deps.runs.putRun({ ...record, status: 'RUNNING' });
  const cursor: Cursor =
    run.transactionIds === undefined ? { kind: 'index', shard: 0 } : { kind: 'ids', offset: 0 };
  log.info('run started', { runId, cutoff, dryRun: run.dryRun, maxItems: run.maxItems });
  return {
    status: 'STARTED',
    run,
    cursor,
    totals: emptyTotals(),
    executionArn: event.executionArn,
    pagesThisExecution: 0,
  };
}
