/**
 * The backlog, FAILED transactions, requeue, a transaction by id and the schedule, for the
 * console (../contract.ts): `txc pending`, `txc failed`, `txc requeue` (the same conditional
 * update) and `txc schedule`'s functions over the Target, and a GetItem on its Transactions table.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_FAILED_LIMIT, failedReport } from '../../../ops/commands/failed';
import { pendingReport } from '../../../ops/commands/pending';
import {
  checkRequeueOptions,
  MAX_REASON_LENGTH,
  requeue,
  type RequeueOptions,
} from '../../../ops/commands/requeue';
import { ScheduleNotConfigured, UsageError } from '../../../ops/errors';
import type { Target } from '../../../ops/target';
import {
  type BacklogAnswer,
  type FailedAnswer,
  MAX_FAILED_LIMIT,
  type RequeueAnswer,
  type ScheduleAnswer,
  type TransactionAnswer,
} from '../contract';
import { integerParameter, onlyFields } from './fields';
import { badRequest, notFound } from './wire';

/** A DynamoDB partition key is at most 2048 bytes; no id of this table is near it. */
const MAX_ID_LENGTH = 1024;

/** `GET backlog`: `txc pending`'s report, and the freshness SLO the oldest age is held to. */
export async function backlog(target: Target): Promise<BacklogAnswer> {
  const report = await pendingReport(target, new Date());
  return {
    ...report,
    oldestPendingAgeSloSeconds: target.local?.info.oldestPendingAgeSloSeconds ?? null,
  };
}

/** `GET failed?limit=`: `txc failed`'s report. */
export function failed(target: Target, query: URLSearchParams): Promise<FailedAnswer> {
  const limit = integerParameter(query, 'limit', 1, MAX_FAILED_LIMIT) ?? DEFAULT_FAILED_LIMIT;
  return failedReport(target, limit);
}

/** `POST requeue` `{ ids, reason }`: `txc requeue <ids…> --reason …` (a reason is required here). */
export function requeueFailed(
  target: Target,
  body: Record<string, unknown>,
): Promise<RequeueAnswer> {
  onlyFields(body, ['ids', 'reason']);
  const { ids, reason } = body;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
    throw badRequest('ids must be a non-empty list of transaction ids', 'ids');
  }
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH) {
    throw badRequest(
      `reason is required: why these are requeued, 1..${MAX_REASON_LENGTH} characters (stored as requeueReason)`,
      'reason',
    );
  }
  const options: RequeueOptions = { ids: ids as string[], reason };
  // `txc requeue`'s check of the ids (the reason, checked above, is in bounds).
  try {
    checkRequeueOptions(options);
  } catch (error) {
    if (error instanceof UsageError) throw badRequest(error.message, 'ids');
    throw error;
  }
  return requeue(target, options, () => new Date());
}

/** A stored item as JSON can carry it: sets as lists, binary as base64. */
function plain(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(plain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** `GET transactions/<id>`: the stored item (a consistent read), 404 when there is none. */
export async function transaction(target: Target, id: string): Promise<TransactionAnswer> {
  if (id === '' || id.length > MAX_ID_LENGTH) {
    throw badRequest(`id must be 1..${MAX_ID_LENGTH} characters, got ${id.length}`, 'id');
  }
  const { Item } = await target.ddb.send(
    new GetCommand({
      TableName: target.names.transactionsTable,
      Key: { id },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) {
    throw notFound(`no transaction ${JSON.stringify(id)} in ${target.names.transactionsTable}`);
  }
  return { item: plain(Item) as Record<string, unknown> };
}

/** `GET schedule`: `txc schedule show`; null when the endpoint runs without one. */
export async function schedule(target: Target): Promise<ScheduleAnswer> {
  try {
    return { schedule: await target.scheduler.describe() };
  } catch (error) {
    if (error instanceof ScheduleNotConfigured) return { schedule: null };
    throw error;
  }
}

/** `POST schedule` `{ state }`: `txc schedule pause|resume`, then the schedule as it is now. */
export async function switchSchedule(
  target: Target,
  body: Record<string, unknown>,
): Promise<ScheduleAnswer> {
  onlyFields(body, ['state']);
  const { state } = body;
  if (state !== 'ENABLED' && state !== 'DISABLED') {
    throw badRequest(
      `state must be "ENABLED" (resume) or "DISABLED" (pause), got ${JSON.stringify(state ?? null)}`,
      'state',
    );
  }
  // Not configured: a 404 (handler.ts toConsoleError).
  return { schedule: (await target.scheduler.setState(state)).after };
}
