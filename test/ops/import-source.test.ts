// Reading an export: every kind of bad file gets a named error or a problem row, and nothing
// before it is lost (ops/import/source.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_ROW_CHARACTERS, openSource, type SourceRow } from '../../ops/import/source';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-source-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

/** The rows read, and the error that stopped the reading (if any). */
async function read(p: string): Promise<{ rows: SourceRow[]; error?: Error }> {
  const source = await openSource(p, p.endsWith('.csv') ? 'csv' : 'jsonl');
  const rows: SourceRow[] = [];
  try {
    for await (const row of source.rows()) rows.push(row);
  } catch (error) {
    return { rows, error: error as Error };
  }
  return { rows };
}

const HEADER = 'id,amount,currency,createdAt,status\n';

describe('CSV', () => {
  test('quotes, commas and newlines inside fields; CRLF; the UTF-8 byte order mark is dropped', async () => {
    const p = file(
      'quoted.csv',
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(
          `${HEADER.trimEnd()}\r\n"a,1",100,EUR,2026-01-01T00:00:00Z,PENDING\r\n"b ""2""",200,EUR,"2026-01-01\nT",PENDING\r\n\r\nc,300,EUR,2026-01-01T00:00:00Z,PENDING\r\n`,
        ),
      ]),
    );
    const { rows, error } = await read(p);
    expect(error).toBeUndefined();
    expect(rows.map((r) => [r.row, r.line, r.fields?.id])).toEqual([
      [1, 2, 'a,1'],
      [2, 4, 'b "2"'],
      [3, 6, 'c'],
    ]);
    expect(rows[1].fields?.createdAt).toBe('2026-01-01\nT');
    // The header's first name is `id`, not `\uFEFFid`.
    expect(Object.keys(rows[0].fields ?? {})[0]).toBe('id');
  });

  test('a ragged row is a problem row; the rows after it are read', async () => {
    const p = file(
      'ragged.csv',
      `${HEADER}a,1,EUR\nb,2,EUR,2026-01-01T00:00:00Z,PENDING,extra\nc,3,EUR,2026-01-01T00:00:00Z,PENDING\n`,
    );
    const { rows, error } = await read(p);
    expect(error).toBeUndefined();
    expect(rows.map((r) => [r.row, r.problem?.reason ?? r.fields?.id])).toEqual([
      [1, 'has 3 fields, the header has 5'],
      [2, 'has 6 fields, the header has 5'],
      [3, 'c'],
    ]);
  });

  test('an unclosed quote is MalformedCsv naming the line', async () => {
    const p = file(
      'unclosed.csv',
      `${HEADER}a,1,EUR,2026-01-01T00:00:00Z,PENDING\n"b,2,EUR,2026-01-01T00:00:00Z,PENDING\nc,3,EUR,x,PENDING\n`,
    );
    const { error } = await read(p);
    expect(error).toMatchObject({ name: 'MalformedCsv' });
    expect(error?.message).toMatch(/unclosed\.csv: line \d+: .*fix the file/);
  });

  test('a stray quote inside a field is MalformedCsv', async () => {
    const p = file(
      'stray.csv',
      `${HEADER}a,1,EUR,2026-01-01T00:00:00Z,PENDING\nb"x",2,EUR,2026,PENDING\n`,
    );
    const { error } = await read(p);
    expect(error).toMatchObject({
      name: 'MalformedCsv',
      message: expect.stringContaining('line 3'),
    });
  });

  test('a record longer than the limit is MalformedCsv, without holding the whole of it', async () => {
    const p = file(
      'huge.csv',
      `${HEADER}a,1,EUR,2026-01-01T00:00:00Z,PENDING\n"${'x'.repeat(MAX_ROW_CHARACTERS * 4)}`,
    );
    const { error } = await read(p);
    expect(error).toMatchObject({
      name: 'MalformedCsv',
      message: expect.stringContaining('longer than 65,536 characters'),
    });
  });
});

describe('JSON Lines', () => {
  test('objects per line; blank lines skipped; rows numbered by line', async () => {
    const p = file('rows.jsonl', `{"id":"a"}\n\n{"id":"b","amount":2}\r\n{"id":"c"}`);
    const { rows } = await read(p);
    expect(rows.map((r) => [r.row, r.fields?.id])).toEqual([
      [1, 'a'],
      [3, 'b'],
      [4, 'c'],
    ]);
  });

  test('a line that is not JSON, or not an object, is a problem row', async () => {
    const p = file('bad.jsonl', `{"id":"a"\n[1,2]\n"text"\nnull\n{"id":"ok"}\n`);
    const { rows, error } = await read(p);
    expect(error).toBeUndefined();
    expect(rows.map((r) => r.problem?.reason ?? r.fields?.id)).toEqual([
      expect.stringMatching(/^not JSON: /),
      'not a JSON object',
      'not a JSON object',
      'not a JSON object',
      'ok',
    ]);
  });

  test('a huge line is a problem row and the next line is read', async () => {
    const p = file(
      'huge.jsonl',
      `{"id":"a"}\n{"id":"${'x'.repeat(MAX_ROW_CHARACTERS * 8)}"}\n{"id":"c"}\n`,
    );
    const { rows } = await read(p);
    expect(rows.map((r) => [r.row, r.problem?.reason ?? r.fields?.id])).toEqual([
      [1, 'a'],
      [2, 'longer than 65,536 characters'],
      [3, 'c'],
    ]);
  });
});

describe('files that cannot be read as UTF-8 text', () => {
  test('UTF-16 with a byte order mark', async () => {
    const p = file(
      'utf16.csv',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER, 'utf16le')]),
    );
    await expect(openSource(p, 'csv')).rejects.toMatchObject({
      name: 'InvalidEncoding',
      message: expect.stringContaining('UTF-16LE'),
    });
  });

  test('UTF-16 without a byte order mark (NUL bytes)', async () => {
    const p = file('utf16-nobom.jsonl', Buffer.from('{"id":"a"}\n', 'utf16le'));
    await expect(openSource(p, 'jsonl')).rejects.toMatchObject({
      name: 'InvalidEncoding',
      message: expect.stringContaining('NUL bytes'),
    });
  });

  test('an invalid UTF-8 byte names its line; the rows before it are read', async () => {
    const p = file(
      'latin1.csv',
      Buffer.concat([
        Buffer.from(`${HEADER}a,1,EUR,2026-01-01T00:00:00Z,PENDING\n`),
        Buffer.from('b-caf\xe9,2,EUR,2026-01-01T00:00:00Z,PENDING\n', 'latin1'),
      ]),
    );
    const { rows, error } = await read(p);
    expect(rows.map((r) => r.fields?.id)).toEqual(['a']);
    expect(error).toMatchObject({
      name: 'InvalidEncoding',
      message: expect.stringContaining('line 3 is not valid UTF-8'),
    });
  });

  test('a file that is not there, or a folder', async () => {
    await expect(openSource(path.join(tmp, 'missing.csv'), 'csv')).rejects.toMatchObject({
      name: 'ImportFileUnreadable',
      message: expect.stringContaining('does not exist'),
    });
    await expect(openSource(tmp, 'csv')).rejects.toMatchObject({
      name: 'ImportFileUnreadable',
      message: expect.stringContaining('is not a file'),
    });
  });
});
