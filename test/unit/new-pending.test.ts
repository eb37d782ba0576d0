import {
  checkNewPending,
  InvalidPendingTransaction,
  newPendingTransaction,
} from '../../lambdas/domain/new-pending';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { parseTransaction } from '../../lambdas/domain/transaction';

const valid = {
  id: 'tx-1',
  amount: 1999,
  currency: 'EUR',
  createdAt: '2026-01-31T09:30:00.000Z',
};

describe('newPendingTransaction (the producer contract)', () => {
  test('makes the PENDING item the confirmer reads: attempts 0 and the shard of the pending index', () => {
    const item = newPendingTransaction(valid, { shardCount: 16 });
    expect(item).toEqual({
      ...valid,
      status: 'PENDING',
      attempts: 0,
      pendingShard: pendingShardFor('tx-1', 16),
    });
    // What the handlers' own check says of it.
    expect(parseTransaction(item)).toEqual({ ok: true, tx: item });
  });

  test('a Date createdAt becomes the canonical ISO text the pending index sorts on', () => {
    const item = newPendingTransaction(
      { ...valid, createdAt: new Date(Date.UTC(2026, 0, 31, 9, 30)) },
      { shardCount: 4 },
    );
    expect(item.createdAt).toBe('2026-01-31T09:30:00.000Z');
    expect(item.pendingShard).toBe(pendingShardFor('tx-1', 4));
  });

  test.each([
    ['an empty id', { id: '' }, 'id', 'must not be empty'],
    ['an id with a leading space', { id: ' tx' }, 'id', 'visible ASCII'],
    ['a non-ASCII id', { id: 'zahlung-ü' }, 'id', 'visible ASCII'],
    ['a zero amount', { amount: 0 }, 'amount', 'positive integer'],
    ['a fractional amount', { amount: 12.5 }, 'amount', 'positive integer'],
    [
      'an unsafe integer amount',
      { amount: Number.MAX_SAFE_INTEGER + 2 },
      'amount',
      'positive integer',
    ],
    ['an unknown currency', { currency: 'EURO' }, 'currency', 'unknown ISO 4217 currency'],
    [
      'a createdAt without milliseconds',
      { createdAt: '2026-01-31T09:30:00Z' },
      'createdAt',
      'Date.toISOString()',
    ],
    ['an invalid Date', { createdAt: new Date('nope') }, 'createdAt', 'Date.toISOString()'],
    ['an oversize id', { id: 'x'.repeat(2049) }, 'id', 'oversize'],
  ])('%s is refused, naming the field', (_label, change, field, message) => {
    const input = { ...valid, ...change };
    const checked = checkNewPending(input, { shardCount: 16 });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.issue.field).toBe(field);
      expect(checked.issue.message).toContain(message);
    }
    expect(() => newPendingTransaction(input, { shardCount: 16 })).toThrow(
      expect.objectContaining({ name: 'InvalidPendingTransaction', field }),
    );
    expect(() => newPendingTransaction(input, { shardCount: 16 })).toThrow(
      InvalidPendingTransaction,
    );
  });

  test('a bad shard count is a programming error, not a bad transaction', () => {
    expect(() => newPendingTransaction(valid, { shardCount: 0 })).toThrow(RangeError);
  });
});
