/**
 * The report of an import: one CSV line per row that was not imported as it is (rejected, skipped
 * as not pending, in conflict with the store, refused by it), streamed to disk as the import goes
 * (csv-stringify), so a file of a million rejects costs disk, not memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import { ImportFileUnreadable } from './errors';

export const REPORT_OUTCOMES = ['rejected', 'skipped', 'conflict', 'refused'] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

export interface ReportLine {
  readonly row: number;
  readonly line: number;
  readonly outcome: ReportOutcome;
  readonly id?: string;
  readonly field: string;
  readonly reason: string;
}

export const REPORT_COLUMNS = ['row', 'line', 'outcome', 'id', 'field', 'reason'] as const;

export interface ReportFile {
  readonly path: string;
  add(line: ReportLine): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Creates (or truncates) `path` and writes the header. */
export async function openReport(path: string): Promise<ReportFile> {
  const file: WriteStream = createWriteStream(path, { flags: 'w' });
  try {
    await once(file, 'open');
  } catch (err) {
    throw new ImportFileUnreadable(
      `the report ${path} cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)}) — pass --report FILE`,
      { cause: err },
    );
  }
  // escape_formulas: a report opened in a spreadsheet runs no formula an id or reason starts with.
  const csv = stringify({ header: true, columns: [...REPORT_COLUMNS], escape_formulas: true });
  csv.pipe(file);
  return {
    path,
    add: async (line) => {
      if (!csv.write({ ...line, id: line.id ?? '' })) await once(csv, 'drain');
    },
    close: async () => {
      const finished = once(file, 'close');
      csv.end();
      await finished;
    },
  };
}
