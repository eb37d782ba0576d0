/** `txc pending`: the backlog per shard of the sparse pending index, and its oldest item. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { shardKey } from '../../lambdas/domain/pending-shard';
import { ageMs, duration, type Io, json, table } from '../io';
import type { Target } from '../target';

export interface ShardBacklog {
  shard: string;
  count: number;
  oldestCreatedAt: string | null;
  oldestId: string | null;
}

export interface PendingReport {
  shards: ShardBacklog[];
  total: number;
  oldestCreatedAt: string | null;
  oldestId: string | null;
  /** Milliseconds between the oldest createdAt and now (null when the backlog is empty). */
  oldestAgeMs: number | null;
}

/** Shards queried at once. */
const SHARD_CONCURRENCY = 8;

async function shardBacklog(target: Target, shard: string): Promise<ShardBacklog> {
  const key = {
    TableName: target.names.transactionsTable,
    IndexName: target.names.pendingIndex,
    KeyConditionExpression: 'pendingShard = :shard',
    ExpressionAttributeValues: { ':shard': shard },
  };
  let count = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await target.ddb.send(
      new QueryCommand({
        ...key,
        Select: 'COUNT',
        ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
      }),
    );
    count += page.Count ?? 0;
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey !== undefined);
  if (count === 0) return { shard, count, oldestCreatedAt: null, oldestId: null };
  // The index sorts on createdAt: the first item is the oldest.
  const oldest = await target.ddb.send(
    new QueryCommand({ ...key, ScanIndexForward: true, Limit: 1 }),
  );
  const item = oldest.Items?.[0];
  return {
    shard,
    count,
    oldestCreatedAt: typeof item?.createdAt === 'string' ? item.createdAt : null,
    oldestId: typeof item?.id === 'string' ? item.id : null,
  };
}

export async function pendingReport(target: Target, now: Date): Promise<PendingReport> {
  const { shardCount } = target.names;
  const shards: ShardBacklog[] = new Array(shardCount);
  let next = 0;
  const worker = async () => {
    while (next < shardCount) {
      const shard = next;
      next += 1;
      shards[shard] = await shardBacklog(target, shardKey(shard, shardCount));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SHARD_CONCURRENCY, shardCount) }, worker));
  let oldest: ShardBacklog | undefined;
  for (const s of shards) {
    if (
      s.oldestCreatedAt !== null &&
      (oldest === undefined || s.oldestCreatedAt < (oldest.oldestCreatedAt ?? ''))
    ) {
      oldest = s;
    }
  }
  const oldestCreatedAt = oldest?.oldestCreatedAt ?? null;
  return {
    shards,
    total: shards.reduce((sum, s) => sum + s.count, 0),
    oldestCreatedAt,
    oldestId: oldest?.oldestId ?? null,
    oldestAgeMs: oldestCreatedAt === null ? null : ageMs(oldestCreatedAt, now),
  };
}

export function renderPending(report: PendingReport, now: Date): string {
  const age = (iso: string | null) => (iso === null ? '-' : duration(ageMs(iso, now)));
  return (
    table(
      ['shard', 'pending', 'oldest createdAt', 'age'],
      [
        ...report.shards.map((s) => [
          s.shard,
          s.count,
          s.oldestCreatedAt ?? '-',
          age(s.oldestCreatedAt),
        ]),
        ['all', report.total, report.oldestCreatedAt ?? '-', age(report.oldestCreatedAt)],
      ],
    ) + (report.oldestId === null ? '' : `oldest pending transaction: ${report.oldestId}\n`)
  );
}

export async function pendingCommand(
  target: Target,
  deps: { io: Io; json: boolean; now: () => Date },
): Promise<number> {
  const now = deps.now();
  const report = await pendingReport(target, now);
  deps.io.out(deps.json ? json(report) : renderPending(report, now));
  return 0;
}
