/**
 * `txc requeue`: put FAILED transactions back to PENDING so the next run retries them.
 *
 * One conditional UpdateItem per id (`status = FAILED`): status PENDING, attempts 0, the item's
 * `pendingShard` (so it re-enters the sparse pending index), updatedAt, and an audit trail —
 * requeuedAt, requeueCount + 1, requeueReason, lastErrorBeforeRequeue (the lastError it had);
 * lastError is removed. An item that is not FAILED (anymore) is never written: it is reported
 * as skipped with its status. A FAILED item without a string `createdAt` is skipped too: the
 * pending index sorts on it, so it would be PENDING but never paged.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../lambdas/adapters/dynamo-errors';
import { errorParts } from '../../lambdas/domain/errors';
import { TRANSACTION_ID_PATTERN } from '../../lambdas/domain/execution-input';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { UsageError } from '../errors';
import { hint, idLines, type Io, json, LIST_ROWS, paragraph, table } from '../../cli/io';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';
import { scanFailed } from './failed';

export const MAX_REASON_LENGTH = 500;
/** Updates in flight at once. */
const REQUEUE_CONCURRENCY = 8;

export interface RequeueOptions {
  ids: string[];
  allFailed?: boolean;
  reason?: string;
}

export interface Requeued {
  id: string;
  pendingShard: string;
  requeueCount: number;
  lastErrorBeforeRequeue: string | null;
}

export interface RequeueSkipped {
  id: string;
  /** The item's status, or null when there is no such transaction. */
  status: string | null;
  reason: string;
}

export interface RequeueReport {
  requeued: Requeued[];
  skipped: RequeueSkipped[];
  errors: { id: string; error: string }[];
}

/** The ids of `txc requeue <ids…>`: checked against the execution input's id pattern, deduplicated. */
export function checkRequeueOptions(options: RequeueOptions): void {
  if (options.allFailed === true && options.ids.length > 0) {
    throw new UsageError('pass transaction ids or --all-failed, not both');
  }
  if (options.allFailed !== true && options.ids.length === 0) {
    throw new UsageError('pass the transaction ids to requeue, or --all-failed');
  }
  const bad = options.ids.filter((id) => !TRANSACTION_ID_PATTERN.test(id));
  if (bad.length > 0) {
    throw new UsageError(
      `invalid transaction id${bad.length > 1 ? 's' : ''} ${bad.map((id) => JSON.stringify(id)).join(', ')}: each must match ${TRANSACTION_ID_PATTERN.source}`,
    );
  }
  if (
    options.reason !== undefined &&
    (options.reason.trim() === '' || options.reason.length > MAX_REASON_LENGTH)
  ) {
    throw new UsageError(
      `--reason must be 1..${MAX_REASON_LENGTH} characters, got ${options.reason.length}`,
    );
  }
}

/** The conditional update that requeues one FAILED transaction. */
export function requeueUpdate(
  target: Target,
  id: string,
  now: string,
  reason: string | undefined,
): ConstructorParameters<typeof UpdateCommand>[0] {
  const set = [
    '#status = :pending',
    'attempts = :zero',
    'pendingShard = :shard',
    'updatedAt = :now',
    'requeuedAt = :now',
    'requeueCount = if_not_exists(requeueCount, :zero) + :one',
    'lastErrorBeforeRequeue = if_not_exists(lastError, :noError)',
  ];
  const remove = ['lastError'];
  const values: Record<string, unknown> = {
    ':pending': 'PENDING',
    ':failed': 'FAILED',
    ':zero': 0,
    ':one': 1,
    ':shard': pendingShardFor(id, target.names.shardCount),
    ':now': now,
    ':noError': null,
    ':string': 'S',
  };
  if (reason === undefined) {
    // A reason left from an earlier requeue would describe the wrong one.
    remove.push('requeueReason');
  } else {
    set.push('requeueReason = :reason');
    values[':reason'] = reason;
  }
  return {
    TableName: target.names.transactionsTable,
    Key: { id },
    UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
    ConditionExpression: '#status = :failed AND attribute_type(createdAt, :string)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
  };
}

type Outcome =
  | { kind: 'requeued'; value: Requeued }
  | { kind: 'skipped'; value: RequeueSkipped }
  | { kind: 'error'; value: { id: string; error: string } };

async function whySkipped(target: Target, id: string): Promise<RequeueSkipped> {
  const { Item } = await target.ddb.send(
    new GetCommand({
      TableName: target.names.transactionsTable,
      Key: { id },
      ConsistentRead: true,
      ProjectionExpression: 'id, #status, createdAt',
      ExpressionAttributeNames: { '#status': 'status' },
    }),
  );
  if (Item === undefined) return { id, status: null, reason: 'no such transaction' };
  const status = typeof Item.status === 'string' ? Item.status : null;
  if (status === 'FAILED' && typeof Item.createdAt !== 'string') {
    return {
      id,
      status,
      reason: 'no string createdAt: the pending index could never page it; fix the record first',
    };
  }
  if (status === 'FAILED') return { id, status, reason: 'changed while being requeued; try again' };
  return { id, status, reason: `not FAILED (${status ?? 'no status'}): left untouched` };
}

async function requeueOne(
  target: Target,
  id: string,
  now: string,
  reason: string | undefined,
): Promise<Outcome> {
  try {
    const { Attributes } = await target.ddb.send(
      new UpdateCommand(requeueUpdate(target, id, now, reason)),
    );
    const a = Attributes ?? {};
    return {
      kind: 'requeued',
      value: {
        id,
        pendingShard: String(a.pendingShard),
        requeueCount: typeof a.requeueCount === 'number' ? a.requeueCount : 1,
        lastErrorBeforeRequeue:
          typeof a.lastErrorBeforeRequeue === 'string' ? a.lastErrorBeforeRequeue : null,
      },
    };
  } catch (err) {
    let failure = err;
    if (isConditionalCheckFailed(err)) {
      try {
        return { kind: 'skipped', value: await whySkipped(target, id) };
      } catch (readErr) {
        failure = readErr;
      }
    }
    const { name, message } = errorParts(failure);
    return { kind: 'error', value: { id, error: `${name}: ${message}` } };
  }
}

export async function requeue(
  target: Target,
  options: RequeueOptions,
  now: () => Date,
): Promise<RequeueReport> {
  checkRequeueOptions(options);
  const reason = options.reason?.trim();
  const report: RequeueReport = { requeued: [], skipped: [], errors: [] };
  const record = (o: Outcome) => {
    if (o.kind === 'requeued') report.requeued.push(o.value);
    else if (o.kind === 'skipped') report.skipped.push(o.value);
    else report.errors.push(o.value);
  };

  // A bounded pool over an (async) stream of ids: explicit ones, or every FAILED id scanned.
  const source: AsyncIterable<string> | Iterable<string> =
    options.allFailed === true
      ? (async function* () {
          for await (const item of scanFailed(target, 'id')) yield String(item.id);
        })()
      : [...new Set(options.ids)];
  const inFlight = new Set<Promise<void>>();
  for await (const id of source) {
    const p: Promise<void> = requeueOne(target, id, now().toISOString(), reason).then((o) => {
      record(o);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= REQUEUE_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  report.requeued.sort(byId);
  report.skipped.sort(byId);
  report.errors.sort(byId);
  return report;
}

export interface RenderRequeueOptions {
  width: number;
  /** A row per id, however many (default: a summary beyond LIST_ROWS ids). */
  verbose?: boolean;
  /** `npm run txc -- …` on this target, for the next step; none without it. */
  txc?: TxcCommandFor;
}

/** Ids named per outcome in the summary. */
const IDS_SHOWN = 5;

/** A row per id: the outcome and its detail. */
function idTable(report: RequeueReport, width: number): string {
  const rows = [
    ...report.requeued.map((r) => [
      r.id,
      'REQUEUED',
      `shard ${r.pendingShard}, requeue #${r.requeueCount}${r.lastErrorBeforeRequeue === null ? '' : `, was: ${r.lastErrorBeforeRequeue.slice(0, 80)}`}`,
    ]),
    ...report.skipped.map((s) => [s.id, `SKIPPED (${s.status ?? 'missing'})`, s.reason]),
    ...report.errors.map((e) => [e.id, 'ERROR', e.error.slice(0, 120)]),
  ];
  return table(['id', 'result', 'detail'], rows, {
    width,
    // An id column gets at most 40 (a UUID fits) while the detail still wraps.
    columns: [{ wrap: 'char', min: 8, max: 40 }, { min: 8 }, { min: 20 }],
  });
}

/** A row per outcome (a skip per reason, an error per message): how many, and the first ids. */
function outcomeTable(report: RequeueReport, width: number): string {
  const groups = new Map<string, string[]>();
  const add = (key: string, id: string) => groups.set(key, [...(groups.get(key) ?? []), id]);
  for (const r of report.requeued) add('REQUEUED', r.id);
  for (const s of report.skipped) add(`SKIPPED: ${s.reason}`, s.id);
  for (const e of report.errors) add(`ERROR: ${e.error.slice(0, 120)}`, e.id);
  const rows = [...groups.entries()].map(([outcome, ids]) => [
    outcome,
    ids.length,
    idLines(ids, IDS_SHOWN),
  ]);
  return table(['outcome', 'count', 'ids'], rows, {
    width,
    columns: [{ min: 12, max: 30 }, { wrap: 'none' }, { wrap: 'char', min: 20 }],
  });
}

export function renderRequeue(report: RequeueReport, options: RenderRequeueOptions): string {
  const { width } = options;
  const n = report.requeued.length + report.skipped.length + report.errors.length;
  const summary = `requeued ${report.requeued.length}, skipped ${report.skipped.length}, errors ${report.errors.length}\n`;
  if (n === 0) return `nothing to requeue: no FAILED transactions\n${summary}`;
  const listed = options.verbose === true || n <= LIST_ROWS;
  let text = (listed ? idTable(report, width) : outcomeTable(report, width)) + summary;
  if (!listed) text += paragraph('(--verbose lists every id; --json is for scripts)', width);
  if (report.requeued.length > 0 && options.txc !== undefined) {
    text += hint(
      'the next run confirms them; to start one now',
      options.txc(['start', '--wait']),
      width,
    );
  }
  return text;
}

export async function requeueCommand(
  target: Target,
  options: RequeueOptions & { verbose?: boolean },
  deps: { io: Io; json: boolean; now: () => Date; txc: TxcCommandFor; width: number },
): Promise<number> {
  const report = await requeue(target, options, deps.now);
  deps.io.out(
    deps.json
      ? json(report)
      : renderRequeue(report, {
          width: deps.width,
          txc: deps.txc,
          ...(options.verbose === undefined ? {} : { verbose: options.verbose }),
        }),
  );
  return report.errors.length > 0 ? 1 : 0;
}
