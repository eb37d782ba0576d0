import type { ExecutionStatusChangeEvent } from '../contracts';
import type { Clock, Log, RunStatus, RunStore } from './ports';
import { silentLog } from './ports';

export interface ReleaseLockDeps {
  runs: RunStore;
  clock: Clock;
  log?: Log;
}

export interface ReleaseLockResult {
  released: boolean;
  runId?: string;
  /** The run record was still RUNNING and now carries the execution's final status. */
  runMarked?: boolean;
}

const ENDED: Record<string, RunStatus> = {
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
};

/**
 * An execution ended without running its Catch (aborted, timed out, failed in StartRun...): if it
 * still holds the run lock, release it so the backlog is not stranded until the lease expires
 * (docs/architecture.md §3), and close its run record. Anything else is a no-op, so the rule may
 * deliver an event twice.
 */
export async function releaseLockOfEndedExecution(
  event: ExecutionStatusChangeEvent,
  deps: ReleaseLockDeps,
): Promise<ReleaseLockResult> {
  const log = deps.log ?? silentLog;
  const { executionArn, status } = event.detail;
  const runStatus = ENDED[status];
  if (runStatus === undefined) {
    log.info('execution status needs no lock release', { executionArn, status });
    return { released: false };
  }
  const lock = await deps.runs.getLock();
  if (lock === undefined || lock.executionArn !== executionArn) {
    log.info('ended execution does not hold the run lock: nothing to do', {
      executionArn,
      status,
      lockHolder: lock?.executionArn,
    });
    return { released: false };
  }
  const released = await deps.runs.releaseLock({ runId: lock.runId, executionArn });
  const finishedAt =
    event.detail.stopDate === undefined ? deps.clock.now() : new Date(event.detail.stopDate);
  const runMarked = await deps.runs.endRunIfRunning(lock.runId, {
    status: runStatus,
    finishedAt: finishedAt.toISOString(),
    error: `execution ${status}: lock released by the execution status change rule`,
    executionArn,
  });
  log.warn('released the run lock of an ended execution', {
    runId: lock.runId,
    executionArn,
    status,
    released,
    runMarked,
  });
  return { released, runId: lock.runId, runMarked };
}
