/**
 * An import, end to end: rows streamed from the file, mapped, checked with the transaction schema
 * (newPendingTransaction), duplicates inside the file found, and the PENDING ones written 100 at a
 * time with a bounded number of writes in flight. Every row read ends in exactly one count (and,
 * unless imported or unchanged, one report line), so read = the sum of the outcomes. What is held
 * in memory is bounded by the writes in flight, whatever the file's size.
 *
 * Stopping: an abort (SIGINT) stops reading, lets the writes in flight finish and returns the
 * summary marked interrupted; an error that leaves the file unreadable from some row on (the
 * encoding, a broken quote) or a write that fails after its retries stops the same way with the
 * error in the summary. A re-run of the same file finishes what is left (every write is
 * conditional: docs/migration.md).
 */
import { RateLimiter } from 'limiter';
import { checkNewPending } from '../../lambdas/domain/new-pending';
import { errorParts } from '../../lambdas/domain/errors';
import { MissingColumn } from './errors';
import { type ImportMapping, type MappedRow, mapRow, missingColumns } from './mapping';
import type { ImportProgress } from './progress';
import type { ReportFile, ReportLine } from './report-file';
import { openSeenIds, type SeenIds } from './seen-ids';
import { type ImportFormat, openSource, type SourceRow } from './source';
import {
  ITEMS_PER_WRITE,
  type PreparedRow,
  type StoreWriter,
  type WriteOutcome,
} from './store-writer';

export interface ImportCounts {
  /** Rows read and settled: the sum of the counts below. */
  read: number;
  imported: number;
  /** Already in the table with the same content (of which `terminal` already finished). */
  unchanged: number;
  terminal: number;
  /** Already in the table with different content: left as it is. */
  conflict: number;
  /** Not a valid transaction, a duplicate id in the file, or refused by DynamoDB. */
  rejected: number;
  /** Valid rows whose status does not mean pending. */
  skippedNotPending: number;
}

export interface ImportSummary extends ImportCounts {
  readonly file: string;
  readonly format: ImportFormat;
  readonly dryRun: boolean;
  readonly report: string;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Stopped by an abort (SIGINT) before the end of the file. */
  readonly interrupted: boolean;
  /** What stopped the import before the end of the file, if anything did. */
  readonly error?: { readonly name: string; readonly message: string };
}

export interface RunImportOptions {
  readonly file: string;
  readonly format: ImportFormat;
  readonly mapping: ImportMapping;
  readonly shardCount: number;
  readonly writer: StoreWriter;
  /** Opens the report (after the file is found readable: a missing file leaves no report behind). */
  readonly openReport: () => Promise<ReportFile>;
  readonly dryRun?: boolean;
  /** Rows written per second at most (a production table's headroom). */
  readonly rate?: number;
  /** Writes (of up to 100 rows) in flight. @default 4 */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** The progress display, given the file's size in bytes. */
  readonly progress?: (bytes: number) => ImportProgress;
}

export const DEFAULT_IMPORT_CONCURRENCY = 4;

/** A row as read: mapped, or (a row that could not be read) invalid with the reader's reason. */
interface ReadRow {
  readonly source: SourceRow;
  readonly mapped: MappedRow;
}

const readRow = (source: SourceRow, mapping: ImportMapping): ReadRow => ({
  source,
  mapped:
    source.problem === undefined
      ? mapRow(source.fields, mapping)
      : { kind: 'invalid', ...source.problem },
});

const zero = (): ImportCounts => ({
  read: 0,
  imported: 0,
  unchanged: 0,
  terminal: 0,
  conflict: 0,
  rejected: 0,
  skippedNotPending: 0,
});

export async function runImport(options: RunImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const { mapping, writer } = options;
  const concurrency = options.concurrency ?? DEFAULT_IMPORT_CONCURRENCY;
  // A write never takes more tokens than the limiter holds.
  const rowsPerWrite = Math.max(1, Math.min(ITEMS_PER_WRITE, Math.floor(options.rate ?? Infinity)));
  const limiter =
    options.rate === undefined
      ? undefined
      : new RateLimiter({
          tokensPerInterval: rowsPerWrite,
          interval: 1000 * (rowsPerWrite / options.rate),
        });
  const source = await openSource(options.file, options.format);
  const report = await options.openReport();
  let seen: SeenIds;
  try {
    seen = await openSeenIds();
  } catch (err) {
    await report.close();
    throw err;
  }
  const progress = options.progress?.(source.bytes);
  const counts = zero();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let headerChecked = options.format !== 'csv';

  const settle = async (line: ReportLine | undefined, count: keyof ImportCounts) => {
    counts.read += 1;
    counts[count] += 1;
    if (line !== undefined) await report.add(line);
  };
  const recordWrites = async (outcomes: WriteOutcome[]) => {
    for (const o of outcomes) {
      const { row, line, item } = o.row;
      if (o.kind === 'imported') await settle(undefined, 'imported');
      else if (o.kind === 'unchanged') {
        if (o.terminal) counts.terminal += 1;
        await settle(undefined, 'unchanged');
      } else {
        await settle(
          { row, line, outcome: o.kind, id: item.id, field: o.field, reason: o.reason },
          o.kind === 'conflict' ? 'conflict' : 'rejected',
        );
      }
    }
  };

  /** Settles the rows that need no write, and sends the others. */
  const dispatch = async (rows: ReadRow[]) => {
    const withId = rows.flatMap((r) =>
      r.mapped.id === undefined ? [] : [{ r, id: r.mapped.id, row: r.source.row }],
    );
    const earlier = await seen.see(withId);
    const duplicateOf = new Map(withId.map(({ r }, i) => [r, earlier[i]]));
    const prepared: PreparedRow[] = [];
    for (const r of rows) {
      const { row, line } = r.source;
      const base = { row, line, ...(r.mapped.id === undefined ? {} : { id: r.mapped.id }) };
      const first = duplicateOf.get(r);
      if (first !== undefined) {
        await settle(
          {
            ...base,
            outcome: 'rejected',
            field: 'id',
            reason: `DUPLICATE_ID: the file has it on row ${first} too`,
          },
          'rejected',
        );
      } else if (r.mapped.kind === 'invalid') {
        const { field, reason } = r.mapped;
        await settle(
          { ...base, outcome: 'rejected', field, reason: `INVALID: ${reason}` },
          'rejected',
        );
      } else if (r.mapped.kind === 'not-pending') {
        await settle(
          {
            ...base,
            outcome: 'skipped',
            field: 'status',
            reason: `NOT_PENDING: status ${JSON.stringify(r.mapped.status)} is not one of ${mapping.pendingStatuses.join(', ')}`,
          },
          'skippedNotPending',
        );
      } else {
        const checked = checkNewPending(r.mapped.input, { shardCount: options.shardCount });
        if (checked.ok) prepared.push({ row, line, item: checked.item });
        else {
          await settle(
            {
              ...base,
              outcome: 'rejected',
              field: checked.issue.field,
              reason: `INVALID: ${checked.issue.message}`,
            },
            'rejected',
          );
        }
      }
    }
    if (prepared.length === 0) return;
    await limiter?.removeTokens(prepared.length);
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const write: Promise<void> = writer
      .write(prepared)
      .then(recordWrites)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  };

  const checkHeader = () => {
    const header = source.header();
    if (headerChecked || header === undefined) return;
    const missing = missingColumns(mapping, header);
    if (missing.length > 0) {
      throw new MissingColumn(
        `${options.file}: the header has no column ${missing.map((c) => JSON.stringify(c)).join(', ')} (it has ${header.map((c) => JSON.stringify(c)).join(', ')}) — map them with --map FIELD=COLUMN`,
      );
    }
    headerChecked = true;
  };

  let batch: ReadRow[] = [];
  let readError: unknown;
  let interrupted = false;
  try {
    for await (const row of source.rows()) {
      checkHeader();
      batch.push(readRow(row, mapping));
      if (batch.length >= rowsPerWrite) {
        const rows = batch;
        batch = [];
        await dispatch(rows);
        progress?.update(counts, source.bytesRead());
      }
      if (options.signal?.aborted === true) {
        interrupted = true;
        break;
      }
      if (failure !== undefined) break;
    }
    checkHeader();
  } catch (err) {
    readError = err;
  }
  try {
    // The rows read before an error are settled; after an abort or a failed write they are not.
    if (!interrupted && failure === undefined && batch.length > 0) await dispatch(batch);
    await Promise.all(inFlight);
  } finally {
    progress?.update(counts, source.bytesRead());
    progress?.stop();
    await seen.close();
    await report.close();
  }
  const stopped = readError ?? failure;
  const seconds = (Date.now() - started) / 1000;
  return {
    file: options.file,
    format: options.format,
    dryRun: options.dryRun === true,
    report: report.path,
    ...counts,
    seconds: Math.round(seconds * 10) / 10,
    rowsPerSecond: seconds > 0 ? Math.round(counts.read / seconds) : counts.read,
    interrupted,
    ...(stopped === undefined ? {} : { error: errorParts(stopped) }),
  };
}
