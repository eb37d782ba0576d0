/** `txc pending`: the backlog per shard of the sparse pending index, and its oldest item. */
import { paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { shardKey } from '../../lambdas/domain/pending-shard';
import { ageMs, duration, hint, type Io, json, LIST_ROWS, paragraph, table } from '../../cli/io';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';

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
  for await (const page of paginateQuery({ client: target.ddb }, { ...key, Select: 'COUNT' })) {
    count += page.Count ?? 0;
  }
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

export interface RenderPendingOptions {
  width: number;
  /** Every shard, however many (default: beyond LIST_ROWS shards, those with the oldest items). */
  verbose?: boolean;
  /** `npm run txc -- …` on this target, for the next step; none without it. */
  txc?: TxcCommandFor;
}

/** Shards shown when there are too many to list: those with the oldest items. */
const SHARDS_SHOWN = 10;

export function renderPending(
  report: PendingReport,
  now: Date,
  options: RenderPendingOptions,
): string {
  const { width } = options;
  const age = (iso: string | null) => (iso === null ? '-' : duration(ageMs(iso, now)));
  const listed = options.verbose === true || report.shards.length <= LIST_ROWS;
  const shards = listed
    ? report.shards
    : report.shards
        .filter((s) => s.oldestCreatedAt !== null)
        .sort((a, b) => (a.oldestCreatedAt ?? '').localeCompare(b.oldestCreatedAt ?? ''))
        .slice(0, SHARDS_SHOWN);
  let text = table(
    ['shard', 'pending', 'oldest createdAt', 'age'],
    [
      ...shards.map((s) => [s.shard, s.count, s.oldestCreatedAt ?? '-', age(s.oldestCreatedAt)]),
      ['all', report.total, report.oldestCreatedAt ?? '-', age(report.oldestCreatedAt)],
    ],
    { width, columns: [{ wrap: 'none' }, { wrap: 'none' }, { wrap: 'char', min: 10 }, {}] },
  );
  if (report.oldestId !== null)
    text += paragraph(`oldest pending transaction: ${report.oldestId}`, width);
  if (!listed) {
    const empty = report.shards.filter((s) => s.count === 0).length;
    text += paragraph(
      `${shards.length} of ${report.shards.length} shards shown, those with the oldest items (${empty} empty)`,
      width,
    );
    if (options.txc !== undefined)
      text += hint('every shard', options.txc(['pending', '--verbose']), width);
  }
  return text;
}

export async function pendingCommand(
  target: Target,
  options: { verbose?: boolean },
  deps: { io: Io; json: boolean; now: () => Date; txc: TxcCommandFor; width: number },
): Promise<number> {
  const now = deps.now();
  const report = await pendingReport(target, now);
  deps.io.out(
    deps.json
      ? json(report)
      : renderPending(report, now, {
          width: deps.width,
          txc: deps.txc,
          ...(options.verbose === undefined ? {} : { verbose: options.verbose }),
        }),
  );
  return 0;
}
