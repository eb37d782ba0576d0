/**
 * The rows of an import file, streamed: CSV (csv-parse) or JSON Lines, UTF-8 only. Memory holds a
 * read buffer and one row whatever the file's size. A row that cannot be read on its own (a JSON
 * line that does not parse, a CSV row with the wrong number of fields, a line too long) is yielded
 * as a problem for the report; a problem that leaves the rest of the file unreadable (the encoding,
 * a broken CSV quote) throws a named error after the rows before it.
 */
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CsvError, parse } from 'csv-parse';
import { ImportFileUnreadable, InvalidEncoding, MalformedCsv } from './errors';

export const IMPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Longest row read (characters): a transaction's fields fit many times over. */
export const MAX_ROW_CHARACTERS = 64 * 1024;

/** A row of the file: its fields by column name, or why it cannot be read. */
export type SourceRow = {
  /** 1-based: the data row (CSV, header excluded) or the line (JSON Lines). */
  readonly row: number;
  /** The file's line of the row's end (a CSV field may span lines). */
  readonly line: number;
} & (
  | { readonly fields: Readonly<Record<string, unknown>>; readonly problem?: undefined }
  | {
      readonly fields?: undefined;
      readonly problem: { readonly field: string; readonly reason: string };
    }
);

export interface OpenedSource {
  readonly format: ImportFormat;
  /** The file's size in bytes (for the progress bar). */
  readonly bytes: number;
  /** The column names of a CSV header (after it is read), undefined for JSON Lines. */
  header(): readonly string[] | undefined;
  /** Bytes read so far. */
  bytesRead(): number;
  rows(): AsyncIterable<SourceRow>;
}

/** The format of `file`: `format` when given, else its extension. */
export function formatOf(file: string, format?: ImportFormat): ImportFormat | undefined {
  if (format !== undefined) return format;
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return undefined;
}

const SNIFF_BYTES = 4096;

/** UTF-16 and UTF-32 files: named before any row is read. */
async function checkEncoding(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    const start = head.subarray(0, bytesRead);
    const bom =
      start[0] === 0xff && start[1] === 0xfe
        ? 'UTF-16LE (or UTF-32LE)'
        : start[0] === 0xfe && start[1] === 0xff
          ? 'UTF-16BE'
          : start[0] === 0 && start[1] === 0 && start[2] === 0xfe && start[3] === 0xff
            ? 'UTF-32BE'
            : undefined;
    if (bom !== undefined) {
      throw new InvalidEncoding(
        `${file} is ${bom} (its byte order mark says so): export it as UTF-8 and import again`,
      );
    }
    if (start.includes(0)) {
      throw new InvalidEncoding(
        `${file} has NUL bytes in its first ${bytesRead.toLocaleString('en-US')} bytes: UTF-16 without a byte order mark, or not a text file — export it as UTF-8`,
      );
    }
  } finally {
    await handle.close();
  }
}

/**
 * The file's text, decoded as strict UTF-8 (a UTF-8 byte order mark is dropped): the first invalid
 * byte throws InvalidEncoding with its line.
 */
async function* utf8Text(file: string, counted: (bytes: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lines = 1;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      const bad = firstInvalidByte(chunk);
      // The lines before the bad one are read: all but the partial line at the end of this text.
      const before = new TextDecoder('utf-8').decode(chunk.subarray(0, bad));
      const complete = before.lastIndexOf('\n');
      if (complete >= 0) yield before.slice(0, complete + 1);
      let newlines = 0;
      for (let i = 0; i < bad; i += 1) if (chunk[i] === 0x0a) newlines += 1;
      throw new InvalidEncoding(
        `${file}: line ${(lines + newlines).toLocaleString('en-US')} is not valid UTF-8: export the file as UTF-8 and import it again`,
      );
    }
    for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 0x0a) lines += 1;
    counted(chunk.length);
    yield text;
  }
  const rest = (() => {
    try {
      return decoder.decode();
    } catch {
      throw new InvalidEncoding(`${file}: the file ends inside a UTF-8 character (truncated?)`);
    }
  })();
  if (rest !== '') yield rest;
}

/** The offset of the first byte that makes `chunk` invalid UTF-8 (a binary search on prefixes). */
function firstInvalidByte(chunk: Buffer): number {
  const valid = (length: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let low = 0;
  let high = chunk.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (valid(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** JSON Lines: one object per line; blank lines are skipped; a line too long is a problem, skipped without holding it. */
async function* jsonLines(text: AsyncIterable<string>): AsyncGenerator<SourceRow> {
  let line = 1;
  let current = '';
  let tooLong = false;
  const finish = (): SourceRow | undefined => {
    const row = line;
    if (tooLong) {
      return {
        row,
        line: row,
        problem: {
          field: 'row',
          reason: `longer than ${MAX_ROW_CHARACTERS.toLocaleString('en-US')} characters`,
        },
      };
    }
    const content = current.endsWith('\r') ? current.slice(0, -1) : current;
    if (content.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (err) {
      return {
        row,
        line: row,
        problem: { field: 'row', reason: `not JSON: ${(err as Error).message}` },
      };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { row, line: row, problem: { field: 'row', reason: 'not a JSON object' } };
    }
    return { row, line: row, fields: value as Record<string, unknown> };
  };
  for await (const chunk of text) {
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', from);
      const piece = chunk.slice(from, newline === -1 ? chunk.length : newline);
      if (!tooLong) {
        current += piece;
        if (current.length > MAX_ROW_CHARACTERS) {
          tooLong = true;
          current = '';
        }
      }
      if (newline === -1) break;
      const row = finish();
      if (row !== undefined) yield row;
      line += 1;
      current = '';
      tooLong = false;
      from = newline + 1;
    }
  }
  const last = finish();
  if (last !== undefined) yield last;
}

/**
 * CSV with a header row: fields by column name. A row whose field count differs from the header's
 * is a problem row; a quote error or a record over MAX_ROW_CHARACTERS throws MalformedCsv.
 */
async function* csvRows(
  file: string,
  text: AsyncIterable<string>,
  setHeader: (header: readonly string[]) => void,
): AsyncGenerator<SourceRow> {
  const parser = parse({
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_CHARACTERS,
    info: true,
  });
  // The text is fed by hand rather than piped: a reading error (the encoding) must let the parser
  // finish the rows before it, and ending the iteration early must stop the file's reading.
  let feedError: unknown;
  const waitForRoom = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off('drain', done);
        parser.off('close', done);
        resolve();
      };
      parser.on('drain', done);
      parser.on('close', done);
    });
  const fed = (async () => {
    try {
      for await (const chunk of text) {
        if (parser.destroyed) return;
        if (!parser.write(chunk)) await waitForRoom();
      }
    } catch (err) {
      feedError = err;
    }
    if (!parser.destroyed) parser.end();
  })();
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (header === undefined) {
        header = record.map((name) => name.trim());
        setHeader(header);
        continue;
      }
      row += 1;
      if (record.length !== header.length) {
        yield {
          row,
          line: info.lines,
          problem: {
            field: 'row',
            reason: `has ${record.length} fields, the header has ${header.length}`,
          },
        };
        continue;
      }
      const fields: Record<string, string> = {};
      header.forEach((name, i) => (fields[name] = record[i]));
      yield { row, line: info.lines, fields };
    }
    await fed;
    if (feedError !== undefined) throw feedError;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof CsvError) {
      const reason =
        code === 'CSV_MAX_RECORD_SIZE'
          ? `a row longer than ${MAX_ROW_CHARACTERS.toLocaleString('en-US')} characters (an unclosed quote?)`
          : (err as Error).message;
      const line = (err as { lines?: unknown }).lines;
      throw new MalformedCsv(
        `${file}${typeof line === 'number' ? `: line ${line.toLocaleString('en-US')}` : ''}: ${reason} — fix the file and import it again`,
      );
    }
    throw err;
  } finally {
    parser.destroy();
    await fed;
  }
}

/** Opens `file` for reading: it must be a readable, UTF-8 file. */
export async function openSource(file: string, format: ImportFormat): Promise<OpenedSource> {
  let stat;
  try {
    stat = await fs.stat(file);
    await fs.access(file, fs.constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportFileUnreadable(
      code === 'ENOENT'
        ? `${file} does not exist`
        : `${file} cannot be read (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  if (!stat.isFile()) throw new ImportFileUnreadable(`${file} is not a file`);
  await checkEncoding(file);
  let read = 0;
  let header: readonly string[] | undefined;
  return {
    format,
    bytes: stat.size,
    header: () => header,
    bytesRead: () => read,
    rows: () => {
      const text = utf8Text(file, (n) => (read += n));
      return format === 'csv' ? csvRows(file, text, (h) => (header = h)) : jsonLines(text);
    },
  };
}
