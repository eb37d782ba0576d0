/**
 * The run record of each row of the executions list, found as `txc status` finds it
 * (ops/executions.ts: DescribeExecution, then findRunRecord), for the rows returned only, a few
 * at a time. The app polls the list, so the answer for a finished execution whose run has ended
 * is kept (it no longer changes; a redrive changes the execution's status and so the key). A
 * lookup that fails leaves the row without its run.
 */
import { describeExecution, findRunRecord } from '../../../ops/executions';
import type { Target } from '../../../ops/target';
import type { ExecutionRow } from '../contract';

type RowRun = NonNullable<ExecutionRow['run']>;
/** What identifies a row's state: the same key means the same run answer once it has ended. */
type RowKey = Pick<ExecutionRow, 'executionArn' | 'status' | 'stopDate' | 'redriveCount'>;

/** Lookups in flight at once. */
const LOOKUP_CONCURRENCY = 4;
/** Finished executions whose answer is kept. */
const KEPT = 2000;

/** `fn` over `items`, at most `limit` at once, results in order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class RunLookup {
  private readonly kept = new Map<string, RowRun | null>();

  /** The run of each row (undefined: none found, or the lookup failed). */
  runsOf(target: Target, rows: readonly RowKey[]): Promise<(RowRun | undefined)[]> {
    return mapLimited(rows, LOOKUP_CONCURRENCY, (row) => this.runOf(target, row));
  }

  private async runOf(target: Target, row: RowKey): Promise<RowRun | undefined> {
    const key = `${row.executionArn}|${row.status}|${row.stopDate ?? ''}|${row.redriveCount ?? 0}`;
    const known = this.kept.get(key);
    if (known !== undefined) return known ?? undefined;
    let run: RowRun | undefined;
    try {
      const view = await describeExecution(target, row.executionArn);
      const record = await findRunRecord(target, view);
      run =
        record === undefined
          ? undefined
          : {
              runId: record.runId,
              status: record.status,
              ...(record.totals === undefined
                ? {}
                : { totals: { ...record.totals } as Record<string, number> }),
            };
    } catch {
      return undefined;
    }
    if (row.status !== 'RUNNING' && run?.status !== 'RUNNING') {
      this.kept.set(key, run ?? null);
      // The oldest answers go first (a Map iterates in insertion order).
      for (const old of this.kept.keys()) {
        if (this.kept.size <= KEPT) break;
        this.kept.delete(old);
      }
    }
    return run;
  }
}
