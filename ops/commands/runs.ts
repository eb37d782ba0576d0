/** `txc runs`: the most recent run records (Runs table, pk = 'RUN', newest first). */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RUN_PARTITION } from '../../lambdas/adapters/dynamo-run-store';
import type { RunRecord } from '../../lambdas/domain/ports';
import { withoutKeys } from '../executions';
import { duration, type Io, json, table } from '../io';
import type { Target } from '../target';

export async function listRuns(target: Target, limit: number): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const response = await target.ddb.send(
      new QueryCommand({
        TableName: target.names.runsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RUN_PARTITION },
        // runIds start with the start time: descending sort key order is newest first.
        ScanIndexForward: false,
        Limit: limit - runs.length,
        ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
      }),
    );
    for (const item of response.Items ?? []) runs.push(withoutKeys(item) as unknown as RunRecord);
    exclusiveStartKey = response.LastEvaluatedKey;
  } while (exclusiveStartKey !== undefined && runs.length < limit);
  return runs.slice(0, limit);
}

function note(run: RunRecord): string {
  if (run.status === 'SKIPPED' && run.holder !== undefined)
    return `lock held by ${run.holder.runId}`;
  return run.error ?? '';
}

export function renderRuns(runs: RunRecord[], now: Date): string {
  if (runs.length === 0) return 'no runs yet\n';
  // The runId starts with the start time (UTC), so it doubles as the start column.
  return table(
    [
      'run',
      'status',
      'duration',
      'fetched',
      'confirmed',
      'rejected',
      'failed',
      'deferred',
      'skipped',
      'note',
    ],
    runs.map((r) => {
      const end = r.finishedAt ?? (r.status === 'RUNNING' ? now.toISOString() : undefined);
      // A RUNNING run's totals are written when it ends.
      const t = r.status === 'RUNNING' ? undefined : r.totals;
      return [
        r.runId,
        r.dryRun ? `${r.status} (dry run)` : r.status,
        end === undefined ? '-' : duration(Date.parse(end) - Date.parse(r.startedAt)),
        t?.fetched ?? '-',
        t?.confirmed ?? '-',
        t?.rejected ?? '-',
        t?.failed ?? '-',
        t?.deferred ?? '-',
        t?.skipped ?? '-',
        note(r).slice(0, 80),
      ];
    }),
  );
}

export async function runsCommand(
  target: Target,
  options: { limit: number },
  deps: { io: Io; json: boolean; now: () => Date },
): Promise<number> {
  const runs = await listRuns(target, options.limit);
  deps.io.out(deps.json ? json({ runs }) : renderRuns(runs, deps.now()));
  return 0;
}
