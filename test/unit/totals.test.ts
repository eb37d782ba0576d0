import { addBatchResults, emptyTotals } from '../../lambdas/domain/totals';

const batch = (counts: Partial<Record<string, number>>) => ({
  processed: 0,
  confirmed: 0,
  rejected: 0,
  failed: 0,
  deferred: 0,
  skipped: 0,
  wouldProcess: 0,
  ...counts,
});

describe('addBatchResults', () => {
  test('sums the outcome counts of every batch of a page', () => {
    const totals = addBatchResults({ ...emptyTotals(), pages: 1, fetched: 10 }, [
      batch({ processed: 5, confirmed: 3, rejected: 1, deferred: 1 }),
      batch({ processed: 5, failed: 2, skipped: 3 }),
    ]);
    expect(totals).toEqual({
      pages: 1,
      fetched: 10,
      confirmed: 3,
      rejected: 1,
      failed: 2,
      deferred: 1,
      skipped: 3,
      wouldProcess: 0,
      failedBatches: 0,
    });
  });

  test('accumulates across pages without mutating its input', () => {
    const first = addBatchResults(emptyTotals(), [batch({ processed: 2, wouldProcess: 2 })]);
    const second = addBatchResults(first, [batch({ processed: 3, wouldProcess: 3 })]);
    expect(first.wouldProcess).toBe(2);
    expect(second.wouldProcess).toBe(5);
  });

  test("a failed child's error object, null or a malformed result counts as a failed batch", () => {
    const totals = addBatchResults(emptyTotals(), [
      { Error: 'SystemicFault', Cause: '{"errorMessage":"DynamoDB down"}' },
      null,
      'oops',
      batch({ processed: 2, confirmed: -1, skipped: 3 }),
      batch({ processed: 5, confirmed: 1 }), // counts do not add up
      batch({ processed: 1, confirmed: 1 }),
    ]);
    expect(totals.failedBatches).toBe(5);
    expect(totals.confirmed).toBe(1);
  });

  test('an empty page changes nothing', () => {
    expect(addBatchResults(emptyTotals(), [])).toEqual(emptyTotals());
  });
});
