import { OUTCOME_COUNTERS } from '../../lambdas/contracts';
import {
  addBatchResults,
  emptyBatchResult,
  emptyTotals,
  runTotalsSchema,
  sumOfOutcomes,
} from '../../lambdas/domain/totals';

const batch = (counts: Partial<Record<string, number>>) => ({ ...emptyBatchResult(), ...counts });

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
      unavailable: 0,
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

describe('the outcome counters (OUTCOME_COUNTERS)', () => {
  test('start at 0 in the empty totals and the empty batch result', () => {
    for (const counter of OUTCOME_COUNTERS) {
      expect(emptyTotals()[counter]).toBe(0);
      expect(emptyBatchResult()[counter]).toBe(0);
    }
  });

  test('sumOfOutcomes adds every one of them, wouldProcess included', () => {
    expect(
      sumOfOutcomes({
        confirmed: 1,
        rejected: 2,
        failed: 3,
        deferred: 4,
        skipped: 5,
        wouldProcess: 6,
        unavailable: 7,
      }),
    ).toBe(28);
  });

  test('the run totals schema requires every one of them but the later-added unavailable', () => {
    expect(runTotalsSchema.safeParse(emptyTotals()).success).toBe(true);
    for (const counter of OUTCOME_COUNTERS) {
      const without: Record<string, number> = { ...emptyTotals() };
      delete without[counter];
      expect(runTotalsSchema.safeParse(without).success).toBe(counter === 'unavailable');
    }
  });

  test('totals and batch results written before `unavailable` existed still parse, as 0', () => {
    const old: Record<string, number> = { ...emptyTotals(), confirmed: 3 };
    delete old.unavailable;
    expect(runTotalsSchema.parse(old)).toEqual({ ...emptyTotals(), confirmed: 3 });
    const oldResult: Record<string, number> = { ...emptyBatchResult(), processed: 2, confirmed: 2 };
    delete oldResult.unavailable;
    expect(addBatchResults(emptyTotals(), [oldResult])).toEqual({ ...emptyTotals(), confirmed: 2 });
  });

  test('unavailable is folded into the run totals like every other counter', () => {
    const result = { ...emptyBatchResult(), processed: 5, confirmed: 1, unavailable: 4 };
    expect(addBatchResults(emptyTotals(), [result, result])).toMatchObject({
      confirmed: 2,
      unavailable: 8,
    });
  });
});
