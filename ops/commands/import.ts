/**
 * `txc import <file>`: moves the pending transactions of an old database's export (CSV or JSON
 * Lines) into the target's Transactions table as new PENDING items (ops/import/, docs/migration.md).
 * Exit codes: 0 when every row was imported, unchanged or skipped as not pending (rejected rows
 * too with --accept-rejects); 1 when a row was rejected or in conflict, or the import stopped on an
 * error; 130 when interrupted; 2 for a usage error (nothing was read).
 */
import * as path from 'node:path';
import { type Io, fields, hint, json, paragraph } from '../../cli/io';
import { UsageError } from '../errors';
import { InvalidMapping } from '../import/errors';
import { type ImportMapping, type MappingFlags, mappingOf } from '../import/mapping';
import { importProgress, NO_PROGRESS } from '../import/progress';
import { openReport } from '../import/report-file';
import { runImport, type ImportSummary } from '../import/run-import';
import { formatOf, type ImportFormat } from '../import/source';
import { dryRunWriter, transactionWriter } from '../import/store-writer';
import { boundHeapGrowth } from '../../local/runtime/heap-growth';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';

export interface ImportOptions extends MappingFlags {
  readonly format?: ImportFormat;
  readonly report?: string;
  readonly dryRun?: boolean;
  readonly acceptRejects?: boolean;
  readonly rate?: number;
  readonly concurrency?: number;
  /** Progress lines on stderr (commander's --no-progress sets false). @default true */
  readonly progress?: boolean;
}

export const INTERRUPTED_EXIT_CODE = 130;

/** The report's default path: `<file name without extension>.import-report.csv` in the current folder. */
export function defaultReportPath(file: string): string {
  return `${path.basename(file, path.extname(file))}.import-report.csv`;
}

export interface PreparedImport {
  readonly file: string;
  readonly format: ImportFormat;
  readonly mapping: ImportMapping;
}

/** Checks the flags before any target is resolved (a usage error sends nothing). */
export function prepareImport(file: string, options: ImportOptions): PreparedImport {
  const format = formatOf(file, options.format);
  if (format === undefined) {
    throw new UsageError(
      `cannot tell the format of ${file} from its extension: name it .csv or .jsonl, or pass --format csv|jsonl`,
    );
  }
  try {
    return { file, format, mapping: mappingOf(options) };
  } catch (err) {
    if (err instanceof InvalidMapping) throw new UsageError(err.message);
    throw err;
  }
}

export function importExitCode(summary: ImportSummary, acceptRejects: boolean): number {
  if (summary.error !== undefined) return 1;
  if (summary.interrupted) return INTERRUPTED_EXIT_CODE;
  if (summary.conflict > 0) return 1;
  if (summary.rejected > 0 && !acceptRejects) return 1;
  return 0;
}

const n = (value: number) => value.toLocaleString('en-US');
/** `1 row`, `2 rows`. */
const rows = (count: number) => `${n(count)} ${count === 1 ? 'row' : 'rows'}`;

export function renderImport(
  summary: ImportSummary,
  target: string,
  options: { width: number; txc: TxcCommandFor; acceptRejects: boolean },
): string {
  const { width } = options;
  const title = `${summary.dryRun ? 'dry run of the import' : 'import'} of ${summary.file} (${summary.format}) into ${target}`;
  const notImported = summary.conflict + summary.rejected + summary.skippedNotPending;
  let text = paragraph(
    summary.error !== undefined
      ? `${title}: stopped by ${summary.error.name}`
      : summary.interrupted
        ? `${title}: interrupted`
        : title,
    width,
  );
  text += fields(
    [
      ['read', n(summary.read)],
      [summary.dryRun ? 'would import' : 'imported', n(summary.imported)],
      [
        'unchanged',
        summary.terminal > 0
          ? `${n(summary.unchanged)} (${n(summary.terminal)} already finished by txconfirm)`
          : n(summary.unchanged),
      ],
      ['conflict', n(summary.conflict)],
      ['rejected', n(summary.rejected)],
      ['not pending', n(summary.skippedNotPending)],
      ['time', `${summary.seconds} s, ${n(summary.rowsPerSecond)} rows/s`],
      [
        'report',
        notImported > 0
          ? `${summary.report} (${n(notImported)} rows)`
          : `${summary.report} (empty)`,
      ],
    ],
    width,
  );
  if (summary.error !== undefined) {
    text += paragraph(`${summary.error.name}: ${summary.error.message}`, width);
  }
  if (summary.interrupted || summary.error !== undefined) {
    text += paragraph(
      'Every row written so far stays; running the same import again skips them (unchanged) and finishes the rest.',
      width,
    );
  }
  if (summary.conflict > 0) {
    text += paragraph(
      `${rows(summary.conflict)} in conflict: the table holds their ids with other content, left as it is (see the report).`,
      width,
    );
  }
  if (summary.rejected > 0) {
    text += paragraph(
      options.acceptRejects
        ? `${rows(summary.rejected)} rejected (accepted with --accept-rejects): see the report.`
        : `${rows(summary.rejected)} rejected: fix them and import again, or pass --accept-rejects.`,
      width,
    );
  }
  if (!summary.dryRun && summary.imported + summary.unchanged > 0) {
    text += hint('the backlog now', options.txc(['pending']), width);
  }
  return text;
}

export async function importCommand(
  target: Target,
  prepared: PreparedImport,
  options: ImportOptions,
  deps: { io: Io; json: boolean; txc: TxcCommandFor; width: number },
): Promise<number> {
  const writer =
    options.dryRun === true
      ? dryRunWriter(target.ddb, target.names.transactionsTable)
      : transactionWriter(target.ddb, target.names.transactionsTable);
  // A long import allocates fast for its whole length, like a local run: its heap is bounded
  // by what is live (docs/performance.md, "Importing an export").
  boundHeapGrowth();
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_CODE);
    controller.abort();
    deps.io.err('interrupted: finishing the writes in flight (Ctrl-C again stops at once)\n');
  };
  process.on('SIGINT', onSigint);
  let summary: ImportSummary;
  try {
    summary = await runImport({
      file: prepared.file,
      format: prepared.format,
      mapping: prepared.mapping,
      shardCount: target.names.shardCount,
      writer,
      openReport: () => openReport(options.report ?? defaultReportPath(prepared.file)),
      dryRun: options.dryRun === true,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.rate === undefined ? {} : { rate: options.rate }),
      signal: controller.signal,
      progress: (bytes) =>
        options.progress === false ? NO_PROGRESS : importProgress(bytes, process.stderr),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const acceptRejects = options.acceptRejects === true;
  const code = importExitCode(summary, acceptRejects);
  deps.io.out(
    deps.json
      ? json({
          target: target.label,
          table: target.names.transactionsTable,
          ...summary,
          exitCode: code,
        })
      : renderImport(summary, target.label, { width: deps.width, txc: deps.txc, acceptRejects }),
  );
  return code;
}
