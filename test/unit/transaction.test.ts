import { parseTransaction } from '../../lambdas/domain/transaction';

const valid = {
  id: 'tx-1',
  status: 'PENDING',
  amount: 1250,
  currency: 'EUR',
  createdAt: '2024-05-01T10:00:00.000Z',
  attempts: 0,
  pendingShard: '01',
};

const reasonFor = (overrides: Record<string, unknown>, remove: string[] = []) => {
  const raw: Record<string, unknown> = { ...valid, ...overrides };
  for (const field of remove) delete raw[field];
  const result = parseTransaction(raw);
  return result.ok ? 'OK' : result.reason;
};

describe('parseTransaction', () => {
  test('a valid record parses, unknown extra attributes tolerated', () => {
    const result = parseTransaction({ ...valid, merchant: 'acme', tags: ['a'], nested: { x: 1 } });
    expect(result).toEqual({
      ok: true,
      tx: expect.objectContaining({ id: 'tx-1', amount: 1250, merchant: 'acme' }),
    });
  });

  test('attempts is optional', () => {
    expect(reasonFor({}, ['attempts'])).toBe('OK');
  });

  test.each([
    ['missing amount', {}, ['amount'], 'INVALID_RECORD: amount: is missing'],
    ['missing currency', {}, ['currency'], 'INVALID_RECORD: currency: is missing'],
    ['missing createdAt', {}, ['createdAt'], 'INVALID_RECORD: createdAt: is missing'],
    ['missing status', {}, ['status'], 'INVALID_RECORD: status: is missing'],
    ['amount as string', { amount: '12.50' }, [], 'INVALID_RECORD: amount: must be a number'],
    [
      'negative amount',
      { amount: -5 },
      [],
      'INVALID_RECORD: amount: must be a positive integer number of minor units',
    ],
    [
      'zero amount',
      { amount: 0 },
      [],
      'INVALID_RECORD: amount: must be a positive integer number of minor units',
    ],
    [
      'fractional amount',
      { amount: 12.5 },
      [],
      'INVALID_RECORD: amount: must be a positive integer number of minor units',
    ],
    [
      'unsafe amount',
      { amount: 1e30 },
      [],
      'INVALID_RECORD: amount: must be a positive integer number of minor units',
    ],
    [
      'unknown currency',
      { currency: 'XYZ' },
      [],
      'INVALID_RECORD: currency: unknown ISO 4217 currency "XYZ"',
    ],
    [
      'lower-case currency',
      { currency: 'eur' },
      [],
      'INVALID_RECORD: currency: unknown ISO 4217 currency "eur"',
    ],
    [
      'currency as number',
      { currency: 978 },
      [],
      'INVALID_RECORD: currency: must be a string, got number',
    ],
    [
      'createdAt without millis',
      { createdAt: '2024-05-01T10:00:00Z' },
      [],
      'INVALID_RECORD: createdAt: must be an ISO-8601 UTC timestamp as Date.toISOString() writes it, got "2024-05-01T10:00:00Z"',
    ],
    [
      'createdAt with offset',
      { createdAt: '2024-05-01T10:00:00.000+02:00' },
      [],
      expect.stringMatching(/^INVALID_RECORD: createdAt: must be an ISO-8601 UTC timestamp/),
    ],
    [
      'createdAt impossible date',
      { createdAt: '2024-02-30T10:00:00.000Z' },
      [],
      expect.stringMatching(/^INVALID_RECORD: createdAt: /),
    ],
    [
      'createdAt as epoch number',
      { createdAt: 1714557600000 },
      [],
      'INVALID_RECORD: createdAt: must be a string, got number',
    ],
    [
      'unknown status',
      { status: 'DONE' },
      [],
      'INVALID_RECORD: status: must be one of PENDING, CONFIRMED, REJECTED, FAILED, got "DONE"',
    ],
    [
      'attempts negative',
      { attempts: -1 },
      [],
      'INVALID_RECORD: attempts: must be a non-negative integer',
    ],
    [
      'attempts as string',
      { attempts: '1' },
      [],
      'INVALID_RECORD: attempts: must be a number, got "1"',
    ],
    [
      'oversize known attribute',
      { lastError: 'e'.repeat(2049) },
      [],
      'INVALID_RECORD: lastError: oversize (more than 2048 characters)',
    ],
    [
      'oversize unknown attribute',
      { note: 'n'.repeat(3000) },
      [],
      'INVALID_RECORD: note: oversize (more than 2048 characters)',
    ],
  ])('%s', (_name, overrides, remove, expected) => {
    expect(reasonFor(overrides, remove as string[])).toEqual(expected);
  });

  test('a string of exactly 2048 characters is accepted', () => {
    expect(reasonFor({ note: 'n'.repeat(2048) })).toBe('OK');
  });

  // The id is the Idempotency-Key header: fetch trims outer spaces/tabs (another key) and refuses
  // control and non-Latin-1 characters (every call fails as a "network" error, attempts burn).
  test.each([' tx-1', 'tx-1\t', 'tx\n1', 'tx-€', 'tx-é', 'tx\u00001'])(
    'an id that cannot travel unchanged as an HTTP header (%j) is invalid',
    (id) => {
      expect(reasonFor({ id })).toMatch(
        /^INVALID_RECORD: id: must be visible ASCII without leading or trailing spaces/,
      );
    },
  );

  test.each(['a', 'tx 1', 'demo-20260101T000000-0000001', 'A.b_c:d-e/f~!'])(
    'an id of visible ASCII with inner spaces (%j) is valid',
    (id) => {
      expect(reasonFor({ id })).toBe('OK');
    },
  );

  test('reasons never echo the amount', () => {
    expect(reasonFor({ amount: -987654 })).not.toContain('987654');
    expect(reasonFor({ amount: '987654' })).not.toContain('987654');
  });

  test('a non-object is invalid', () => {
    expect(parseTransaction(null)).toEqual({
      ok: false,
      reason: 'INVALID_RECORD: record: must be an object',
    });
  });
});
