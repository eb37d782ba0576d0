import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  canonicalTime,
  DEFAULT_MAPPING,
  mappingOf,
  mapRow,
  minorUnits,
  missingColumns,
} from '../../ops/import/mapping';

describe('minorUnits: exact decimal amounts', () => {
  test.each([
    ['12', 0, 12],
    ['19.99', 2, 1999],
    ['0.3', 1, 3],
    ['12', 2, 1200],
    ['12.5', 2, 1250],
    ['12.50', 2, 1250],
    ['007.10', 2, 710],
    [19.99, 2, 1999],
    [0.1, 3, 100],
    [' 42 ', 0, 42],
  ])('%j at scale %d is %d minor units', (value, scale, minor) => {
    expect(minorUnits(value, scale)).toBe(minor);
  });

  test.each([
    ['1.005', 2, 'more than 2 decimal places'],
    ['12.5', 0, '--amount-scale'],
    ['-5', 0, 'decimal number'],
    ['1e3', 0, 'decimal number'],
    ['', 0, 'decimal number'],
    ['12,50', 2, 'decimal number'],
    [Number.NaN, 0, 'decimal number'],
    [true, 0, 'must be a number'],
    ['99999999999999999', 0, 'too large'],
  ])('%j at scale %d is refused (%s)', (value, scale, reason) => {
    expect(minorUnits(value, scale)).toEqual(expect.stringContaining(reason));
  });
});

describe('canonicalTime: zoned ISO-8601 to Date.toISOString()', () => {
  test.each([
    ['2026-01-31T09:30:00Z', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T09:30:00.123456Z', '2026-01-31T09:30:00.123Z'],
    ['2026-01-31 10:30:00+01', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T10:30+01:00', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T04:00:00-0530', '2026-01-31T09:30:00.000Z'],
  ])('%s is %s', (value, iso) => {
    expect(canonicalTime(value)).toBe(iso);
  });

  test.each([
    ['2026-01-31T09:30:00', 'with a zone'],
    ['31/01/2026 09:30 Z', 'with a zone'],
    ['2026-02-30T09:30:00Z', 'not a real time'],
    ['2026-13-01T09:30:00Z', 'not a real time'],
    ['2026-01-01T25:00:00Z', 'not a real time'],
    [1706693400000, 'text time'],
  ])('%j is refused (%s)', (value, reason) => {
    const result = canonicalTime(value);
    expect(result).toEqual({ error: expect.stringContaining(reason) });
  });
});

describe('mapping', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-mapping-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text);
    return p;
  };

  test('defaults: txconfirm names, PENDING, minor units', () => {
    expect(mappingOf({})).toEqual(DEFAULT_MAPPING);
  });

  test('a mapping file, overridden by flags', () => {
    const mapping = mappingOf({
      mapping: file(
        'm.json',
        JSON.stringify({
          columns: { id: 'tx_id', amount: 'amount_eur', status: 'state' },
          pendingStatuses: ['open', 'retry'],
          amountScale: 2,
        }),
      ),
      map: ['amount=value_cents', 'createdAt=created_at'],
      amountScale: 0,
    });
    expect(mapping).toEqual({
      columns: {
        id: 'tx_id',
        amount: 'value_cents',
        currency: 'currency',
        createdAt: 'created_at',
        status: 'state',
      },
      pendingStatuses: ['open', 'retry'],
      amountScale: 0,
    });
    expect(missingColumns(mapping, ['tx_id', 'value_cents', 'currency', 'state'])).toEqual([
      'created_at',
    ]);
  });

  test.each([
    [{ map: ['amout=x'] }, 'FIELD=COLUMN'],
    [{ map: ['id='] }, 'names no column'],
    [{ map: ['id=a,amount=a'] }, 'both mapped to column "a"'],
    [{ pendingStatus: 'open,,x' }, 'empty value'],
    [{ mapping: '/nonexistent/m.json' }, 'cannot be read'],
  ])('%j is an InvalidMapping naming the problem', (flags, message) => {
    expect(() => mappingOf(flags)).toThrow(
      expect.objectContaining({
        name: 'InvalidMapping',
        message: expect.stringContaining(message),
      }),
    );
  });

  test('a mapping file that is not JSON, or has unknown keys, is an InvalidMapping', () => {
    expect(() => mappingOf({ mapping: file('bad.json', '{nope') })).toThrow(/is not JSON/);
    expect(() =>
      mappingOf({ mapping: file('extra.json', JSON.stringify({ colums: {} })) }),
    ).toThrow(/colums/);
    expect(() =>
      mappingOf({ mapping: file('scale.json', JSON.stringify({ amountScale: 9 })) }),
    ).toThrow(/amountScale/);
  });

  test('mapRow: pending rows, other statuses, and the first field at fault', () => {
    const mapping = mappingOf({ pendingStatus: 'open, Retry', amountScale: 2 });
    const row = {
      id: 'tx-1',
      amount: '19.99',
      currency: 'EUR',
      createdAt: '2026-01-31 10:30:00+01:00',
      status: ' RETRY ',
    };
    expect(mapRow(row, mapping)).toEqual({
      kind: 'pending',
      id: 'tx-1',
      input: { id: 'tx-1', amount: 1999, currency: 'EUR', createdAt: '2026-01-31T09:30:00.000Z' },
    });
    expect(mapRow({ ...row, status: 'done' }, mapping)).toEqual({
      kind: 'not-pending',
      id: 'tx-1',
      status: 'done',
    });
    expect(mapRow({ ...row, amount: '19.999' }, mapping)).toMatchObject({
      kind: 'invalid',
      id: 'tx-1',
      field: 'amount',
    });
    expect(mapRow({ ...row, id: undefined }, mapping)).toMatchObject({
      kind: 'invalid',
      field: 'id',
      reason: 'is missing (column "id")',
    });
    expect(mapRow({ ...row, currency: undefined }, mapping)).toMatchObject({
      kind: 'invalid',
      field: 'currency',
    });
    expect(mapRow({ ...row, createdAt: '2026-01-31' }, mapping)).toMatchObject({
      kind: 'invalid',
      field: 'createdAt',
    });
    // JSON Lines: numbers as they come.
    expect(mapRow({ ...row, id: 42, amount: 19.99 }, mapping)).toMatchObject({
      kind: 'pending',
      id: '42',
      input: { amount: 1999 },
    });
  });
});
