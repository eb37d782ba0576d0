// DynamoDB answering errors and slowly (the store fault proxy's `error` and `delay` faults): the
// SDK retries throttling itself; what it cannot absorb fails the batch (SystemicFault), which
// Step Functions retries; nothing is lost or written twice.
import { requestItemId, type StoreRequest } from '../../local/fakes/store-fault-proxy';
import { expectInvariants, scaled, withRuntime } from './support';

describe('reliability: store errors and slow answers', () => {
  it('throttled and slow terminal writes: retried by the SDK, then by the workflow; invariants hold', async () => {
    const requests = new Map<string, number>();
    let throttled = 0;
    let delayed = 0;
    const storeFaults = (request: StoreRequest) => {
      if (request.operation !== 'UpdateItem') return undefined;
      const id = requestItemId(request);
      if (id === undefined) return undefined;
      const seen = (requests.get(id) ?? 0) + 1;
      requests.set(id, seen);
      const n = Number(id.slice(-7));
      // Every 5th id: throttled twice (the SDK's third attempt goes through); every 25th: on
      // its first four attempts (the SDK gives up after three: the batch fails and is retried).
      if ((n % 25 === 0 && seen <= 4) || (n % 5 === 0 && seen <= 2)) {
        throttled += 1;
        return {
          kind: 'error' as const,
          status: 400,
          type: 'ProvisionedThroughputExceededException',
        };
      }
      if (n % 7 === 0 && seen === 1) {
        delayed += 1;
        return { kind: 'delay' as const, ms: 50 };
      }
      return undefined;
    };
    await withRuntime(
      { provider: { latencyMs: 0, rejectionRate: 0.1, seed: 5 }, storeFaults },
      async (rt) => {
        const seeded = await rt.seedTransactions(scaled(300));
        const run = await rt.waitForRun(rt.startRun().executionArn);
        expect(run.final.status).toBe('SUCCEEDED');
        expect(throttled).toBeGreaterThan(0);
        expect(delayed).toBeGreaterThan(0);
        const report = await expectInvariants(rt, seeded);
        expect(report.counts.PENDING).toBe(0);
        // The ids throttled past the SDK's attempts had their batch retried: the provider replayed.
        expect(report.replays).toBeGreaterThan(0);
        expect(report.freshFinalCalls).toBe(report.counts.CONFIRMED + report.counts.REJECTED);
      },
    );
  });
});
