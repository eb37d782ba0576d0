/** `txc failed`: FAILED transactions (terminal, need an operator) with their last error. */
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { hint, idLines, type Io, json, LIST_ROWS, paragraph, table } from '../../cli/io';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';

/** `failed --limit` when not given. */
export const DEFAULT_FAILED_LIMIT = 100;

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
  const pages = paginateScan(
    { client: target.ddb },
    {
      TableName: target.names.transactionsTable,
      FilterExpression: '#status = :failed',
      ProjectionExpression: projection,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':failed': 'FAILED' },
    },
  );
  for await (const page of pages) yield* page.Items ?? [];
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

export interface RenderFailedOptions {
  limit: number;
  width: number;
  /** Every transaction, however many (default: a summary beyond LIST_ROWS). */
  verbose?: boolean;
  /** `npm run txc -- …` on this target, for the next steps; none without it. */
  txc?: TxcCommandFor;
}

/** `2024-05-02 11:00` (UTC): the minute is enough to tell failures apart; --json has the rest. */
const shortTime = (iso: string | null) =>
  iso === null
    ? '-'
    : /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso)
      ? iso.slice(0, 16).replace('T', ' ')
      : iso;

/** The kind of a lastError: its leading code (`MAX_ATTEMPTS: HTTP 503` → `MAX_ATTEMPTS`). */
export function errorKind(lastError: string | null): string {
  if (lastError === null || lastError === '') return '(no lastError)';
  const code = /^([A-Za-z][A-Za-z0-9_.]*)(?::|$)/.exec(lastError)?.[1];
  return code ?? (lastError.length > 40 ? `${lastError.slice(0, 39)}…` : lastError);
}

/** An id column gets at most this much while the errors beside it still wrap (a UUID fits). */
const ID_WIDTH = 40;
/** Ids named per error kind in the summary. */
const IDS_SHOWN = 5;
/** A lastError longer than this is cut in the list (--json has it whole). */
const ERROR_LENGTH = 200;

function listTable(report: FailedReport, width: number): string {
  return table(
    ['id', 'lastError', 'tries', 'requeued', 'updated (UTC)'],
    report.items.map((t) => {
      const error = t.lastError ?? '';
      return [
        t.id,
        error.length > ERROR_LENGTH ? `${error.slice(0, ERROR_LENGTH - 1)}…` : error,
        t.attempts ?? '-',
        t.requeueCount ?? 0,
        shortTime(t.updatedAt),
      ];
    }),
    {
      width,
      columns: [
        { wrap: 'char', min: 8, max: ID_WIDTH },
        // An error code (`PROVIDER_HTTP_400:`) is never cut.
        { min: 20 },
        { wrap: 'none' },
        { wrap: 'none' },
        { wrap: 'char', min: 10 },
      ],
    },
  );
}

/** One row per kind of error: how many, and the first ids (newest first). */
function summaryTable(report: FailedReport, width: number): string {
  const kinds = new Map<string, string[]>();
  for (const t of report.items) {
    const kind = errorKind(t.lastError);
    kinds.set(kind, [...(kinds.get(kind) ?? []), t.id]);
  }
  const rows = [...kinds.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([kind, ids]) => [kind, ids.length, idLines(ids, IDS_SHOWN)]);
  return table(['error', 'count', 'ids (newest first)'], rows, {
    width,
    columns: [{ wrap: 'char', min: 12, max: 30 }, { wrap: 'none' }, { wrap: 'char', min: 20 }],
  });
}

export function renderFailed(report: FailedReport, options: RenderFailedOptions): string {
  if (report.items.length === 0) return 'no FAILED transactions\n';
  const { limit, width, txc } = options;
  const n = report.items.length;
  const listed = options.verbose === true || n <= LIST_ROWS;
  const count = `${n} FAILED transaction(s)${report.truncated ? ` shown; more exist (--limit ${limit})` : ''}`;
  let text =
    (listed ? listTable(report, width) : summaryTable(report, width)) +
    paragraph(listed ? count : `${count}, by kind of error`, width);
  if (txc === undefined) return text;
  if (!listed) {
    const limitArgs = limit === DEFAULT_FAILED_LIMIT ? [] : ['--limit', String(limit)];
    text += hint('each of them', txc(['failed', '--verbose', ...limitArgs]), width);
  }
  text += hint(
    `put them back to PENDING, all of them${report.truncated ? ' (those not shown too)' : ''}`,
    txc(['requeue', '--all-failed']),
    width,
  );
  // Only when that is not all of them anyway: the three newest, as an example to edit.
  if (n > 3 || report.truncated) {
    text += hint(
      'or only some (these are the newest)',
      txc(['requeue', ...report.items.slice(0, 3).map((t) => t.id)]),
      width,
    );
  }
  return text;
}

export async function failedCommand(
  target: Target,
  options: { limit: number; verbose?: boolean },
  deps: { io: Io; json: boolean; txc: TxcCommandFor; width: number },
): Promise<number> {
  const report = await failedReport(target, options.limit);
  deps.io.out(
    deps.json
      ? json(report)
      : renderFailed(report, {
          limit: options.limit,
          width: deps.width,
          txc: deps.txc,
          ...(options.verbose === undefined ? {} : { verbose: options.verbose }),
        }),
  );
  return 0;
}
