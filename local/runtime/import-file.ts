/**
 * `npm start --import FILE` and `txc local serve --import FILE`: the local store seeded from an
 * export instead of demo transactions, through the importer of `txc import` (ops/import/) with the
 * default mapping (txconfirm's own column names). A file with rejected or conflicting rows stops
 * the start: a run over part of a file is not what was asked for. `txc import --local` against a
 * running `txc local serve` takes the mapping flags.
 */
import * as path from 'node:path';
import { defaultReportPath, prepareImport } from '../../ops/commands/import';
import { openReport } from '../../ops/import/report-file';
import { runImport, type ImportSummary } from '../../ops/import/run-import';
import { transactionWriter } from '../../ops/import/store-writer';
import type { LocalRuntime } from './local-runtime';

/** The file's rows were not all imported: rejected, in conflict, or the import stopped. */
export class ImportIncomplete extends Error {
  constructor(
    message: string,
    readonly summary: ImportSummary,
  ) {
    super(message);
    this.name = 'ImportIncomplete';
  }
}

/** Imports `file` into the runtime's Transactions table; throws ImportIncomplete unless every row was imported, unchanged or not pending. */
export async function importIntoRuntime(
  runtime: LocalRuntime,
  file: string,
  onProgress?: (read: number) => void,
): Promise<ImportSummary> {
  const prepared = prepareImport(file, {});
  const summary = await runImport({
    ...prepared,
    shardCount: runtime.shardCount,
    writer: transactionWriter(runtime.ddb, runtime.stack.tableNames.transactions),
    // Named in full: npm start's messages are read far from where it ran.
    openReport: () => openReport(path.resolve(defaultReportPath(file))),
    progress: () => ({ update: (counts) => onProgress?.(counts.read), stop: () => undefined }),
  });
  if (summary.error !== undefined) {
    throw new ImportIncomplete(`${file}: ${summary.error.name}: ${summary.error.message}`, summary);
  }
  if (summary.rejected > 0 || summary.conflict > 0) {
    throw new ImportIncomplete(
      `${file}: ${summary.rejected.toLocaleString('en-US')} rejected and ${summary.conflict.toLocaleString('en-US')} in conflict of ${summary.read.toLocaleString('en-US')} rows (listed in ${summary.report}); nothing was run — fix the file, or import it with \`npm run txc -- import ${file} --local --accept-rejects\` against \`npm run txc -- local serve\``,
      summary,
    );
  }
  return summary;
}
