/**
 * Recovery of the executions a killed process left RUNNING. Their runs died with that process and
 * cannot be resumed (no checkpoint is kept), so they become ABORTED (cause "local
 * runtime restarted") and go through onExecutionStatusChange like any terminal transition, so
 * what the hook does after a stop (the runtime releases the run lock) happens for them too.
 */
import type { ExecutionRecord, ExecutionStore, MutableRecord } from './execution-store';
import type { StatusReporter } from './status-hooks';

/**
 * Loads this state machine's stored executions into `records`; those left RUNNING become ABORTED
 * (in memory, at once, so the engine never shows them running). Returns those.
 */
export function loadStored(
  store: ExecutionStore,
  stateMachineArn: string,
  records: Map<string, MutableRecord>,
): ExecutionRecord[] {
  const now = new Date();
  const recovered: ExecutionRecord[] = [];
  for (const stored of store.loadAll()) {
    if (stored.stateMachineArn !== stateMachineArn) continue;
    const record: MutableRecord = { ...stored };
    if (record.status === 'RUNNING') {
      record.status = 'ABORTED';
      record.stopDate = now;
      record.cause = 'local runtime restarted';
      recovered.push({ ...record });
    }
    records.set(record.executionArn, record);
  }
  return recovered;
}

/** Stores and reports the recovered executions (what LocalStepFunctions.recover() waits for). */
export async function reportRecovered(
  recovered: ExecutionRecord[],
  reporter: StatusReporter,
): Promise<ExecutionRecord[]> {
  // Not during construction: the caller gets the engine before any hook runs.
  await Promise.resolve();
  for (const record of recovered) {
    await reporter.save(record);
    await reporter.notify(record);
  }
  return recovered;
}
