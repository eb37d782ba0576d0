/** `txc failed`: FAILED transactions (terminal, need an operator) with their last error. */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Io, json, table } from '../io';
import type { Target } from '../target';

export interface FailedTransaction {
  id: string;
  lastError: string | null;
  attempts: number | null;
  createdAt: string | null;
  updatedAt: string | null;
  requeueCount: number | null;
}

export interface FailedReport {
  items: FailedTransaction[];
  /** True when the scan stopped at --limit with more of the table left unread. */
  truncated: boolean;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** Every FAILED item, page by page (the caller stops when it has enough). `projection` must not name `status`. */
export async function* scanFailed(
  target: Target,
  projection = 'id, lastError, attempts, createdAt, updatedAt, requeueCount',
): AsyncGenerator<Record<string, unknown>, void> {
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await target.ddb.send(
      new ScanCommand({
        TableName: target.names.transactionsTable,
        FilterExpression: '#status = :failed',
        ProjectionExpression: projection,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'FAILED' },
        ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
      }),
    );
    for (const item of page.Items ?? []) yield item;
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey !== undefined);
}

export async function failedReport(target: Target, limit: number): Promise<FailedReport> {
  const items: FailedTransaction[] = [];
  let truncated = false;
  for await (const item of scanFailed(target)) {
    if (items.length === limit) {
      truncated = true;
      break;
    }
    items.push({
      id: String(item.id),
      lastError: str(item.lastError),
      attempts: num(item.attempts),
      createdAt: str(item.createdAt),
      updatedAt: str(item.updatedAt),
      requeueCount: num(item.requeueCount),
    });
  }
  // Most recently failed first (a scan returns items in no useful order).
  items.sort(
    (a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '') || a.id.localeCompare(b.id),
  );
  return { items, truncated };
}

export function renderFailed(report: FailedReport, limit: number): string {
  if (report.items.length === 0) return 'no FAILED transactions\n';
  return (
    table(
      ['id', 'lastError', 'attempts', 'updatedAt', 'requeued'],
      report.items.map((t) => [
        t.id,
        (t.lastError ?? '').slice(0, 100),
        t.attempts ?? '-',
        t.updatedAt ?? '-',
        t.requeueCount ?? 0,
      ]),
    ) +
    `${report.items.length} FAILED transaction(s)${report.truncated ? ` shown; more exist (--limit ${limit})` : ''}\n` +
    'put them back to PENDING with: npm run txc -- requeue <ids…> | --all-failed\n'
  );
}

export async function failedCommand(
  target: Target,
  options: { limit: number },
  deps: { io: Io; json: boolean },
): Promise<number> {
  const report = await failedReport(target, options.limit);
  deps.io.out(deps.json ? json(report) : renderFailed(report, options.limit));
  return 0;
}
