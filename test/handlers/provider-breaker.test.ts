// The provider circuit breaker (docs/architecture.md §4, "The provider circuit breaker") through the
// confirm-batch handler: dynalite for the store and the breaker item, the provider simulator over
// loopback HTTP, the real HTTP adapter.
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, type BatchResult, type ConfirmBatchEvent } from '../../lambdas/contracts';
import { BREAKER_KEY, DynamoProviderBreaker } from '../../lambdas/adapters/dynamo-provider-breaker';
import { BREAKER } from '../../lambdas/domain/provider-breaker';
import { startSecretsEndpoint, type SecretsEndpoint } from '../../local/aws/secrets-endpoint';
import {
  getRunsItem,
  getTransaction,
  handlerEnv,
  lambdaContext,
  loadHandler,
  pendingTransaction,
  putTransactions,
} from '../support/fixtures';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { startStore, type Store } from '../support/store';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<BatchResult>;

const API_KEY = 'breaker-test-api-key-0123';
const SECRET_ID = 'txconfirm/provider-api-key';
const RUN_ID = '20240601T120000Z-breaker-run';
const MAX_ATTEMPTS = 3;

let store: Store;
let provider: ProviderServer;
let secrets: SecretsEndpoint;
let handler: Handler;
let seq = 0;

const newIds = (n: number, prefix = 'cb') => {
  seq += 1;
  return Array.from({ length: n }, (_, i) => `${prefix}-${seq}-${i}`);
};

const batch = (ids: string[], dryRun = false): ConfirmBatchEvent => ({
  Items: ids.map((id) => ({ id })),
  BatchInput: { runId: RUN_ID, dryRun },
});

const env = (overrides: Record<string, string> = {}) =>
  handlerEnv(store, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    [ENV.PROVIDER_BASE_URL]: provider.baseUrl,
    [ENV.PROVIDER_SECRET_ID]: SECRET_ID,
    [ENV.PROVIDER_TIMEOUT_MS]: '1000',
    [ENV.MAX_ATTEMPTS]: String(MAX_ATTEMPTS),
    [ENV.IN_BATCH_PARALLELISM]: '4',
    ...overrides,
  });

const loadConfirmBatch = async (overrides: Record<string, string> = {}): Promise<Handler> =>
  (await loadHandler(env(overrides), () => import('../../lambdas/handlers/confirm-batch')))
    .handler as Handler;

async function seed(ids: string[]): Promise<void> {
  await putTransactions(
    store,
    ids.map((id) => pendingTransaction(id)),
  );
}

const breakerItem = () => getRunsItem(store, BREAKER_KEY.pk, BREAKER_KEY.sk);

async function putBreaker(item: Record<string, unknown>): Promise<void> {
  await store.ddb.send(
    new PutCommand({ TableName: store.tableNames.runs, Item: { ...BREAKER_KEY, ...item } }),
  );
}

/** Every id is still exactly as seeded: PENDING, indexed, attempts 0, no lastError, no write. */
async function expectUntouched(ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const item = await getTransaction(store, id);
    expect(item).toEqual(pendingTransaction(id));
  }
}

const callsOf = (ids: readonly string[]) => {
  const set = new Set(ids);
  return provider.calls.filter((c) => c.id !== undefined && set.has(c.id));
};

const secondsFromNow = (iso: unknown) => (Date.parse(String(iso)) - Date.now()) / 1000;

beforeAll(async () => {
  store = await startStore();
  provider = await startProviderServer({ apiKey: API_KEY });
  secrets = await startSecretsEndpoint({ [SECRET_ID]: API_KEY });
  handler = await loadConfirmBatch();
});

afterAll(async () => {
  await provider.close();
  await secrets.stop();
  await store.stop();
});

beforeEach(async () => {
  provider.reset();
  // The breaker is shared by every batch: each test starts from CLOSED (no item).
  await store.ddb.send(new DeleteCommand({ TableName: store.tableNames.runs, Key: BREAKER_KEY }));
});

describe('the provider circuit breaker in confirm-batch', () => {
  test('opens at the threshold: 19 of the last 20 calls outage-class; the batch stops calling and writes nothing', async () => {
    const ids = newIds(40);
    await seed(ids);
    provider.setDefault({ status: 503, body: { error: 'maintenance' } });

    const result = await handler(batch(ids), lambdaContext());

    // Every id untouched: the 20 (or so) that failed and the rest that were never called.
    expect(result).toMatchObject({ processed: 40, unavailable: 40, deferred: 0, failed: 0 });
    const calls = callsOf(ids).length;
    expect(calls).toBeGreaterThanOrEqual(BREAKER.windowCalls);
    // At most the calls already in flight when the window tripped (parallelism 4) come on top.
    expect(calls).toBeLessThan(BREAKER.windowCalls + 4);
    await expectUntouched(ids);

    const item = await breakerItem();
    expect(item).toMatchObject({
      state: 'OPEN',
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 1,
    });
    // The first open period: 30 s.
    expect(secondsFromNow(item?.retryAt)).toBeGreaterThan(25);
    expect(secondsFromNow(item?.retryAt)).toBeLessThanOrEqual(30);
    expect(secondsFromNow(item?.openedAt)).toBeLessThanOrEqual(0);
  });

  test('connection refused opens it too, naming the error', async () => {
    const refusing = await loadConfirmBatch({ [ENV.PROVIDER_BASE_URL]: 'http://127.0.0.1:9' });
    const ids = newIds(25);
    await seed(ids);

    const result = await refusing(batch(ids), lambdaContext());

    expect(result).toMatchObject({ processed: 25, unavailable: 25 });
    await expectUntouched(ids);
    expect(await breakerItem()).toMatchObject({
      state: 'OPEN',
      reason: 'ECONNREFUSED ×20 of 20 calls',
    });
  });

  test('below the threshold, outage-class failures are item-level evidence: attempts + 1 as before', async () => {
    const ids = newIds(30);
    await seed(ids);
    // Every other call fails with a 5xx or 429: far from 19 of 20.
    const failing = ids.filter((_, i) => i % 2 === 0);
    for (const [i, id] of failing.entries()) {
      provider.script(id, { status: [500, 503, 429][i % 3], body: {} });
    }

    const result = await handler(batch(ids), lambdaContext());

    expect(result).toMatchObject({
      processed: 30,
      confirmed: 15,
      deferred: 15,
      unavailable: 0,
    });
    for (const id of failing) {
      const item = await getTransaction(store, id);
      expect(item).toMatchObject({ status: 'PENDING', attempts: 1 });
      expect(item?.lastError).toMatch(/^PROVIDER_(UNAVAILABLE|RATE_LIMITED): HTTP (500|503|429)/);
    }
    // The breaker was read, never written.
    expect(await breakerItem()).toBeUndefined();
  });

  test('item-level trouble still ends FAILED at maxAttempts: one transaction the provider keeps failing', async () => {
    const ids = newIds(10);
    await seed(ids);
    const [bad] = ids;
    provider.script(bad, ...Array.from({ length: MAX_ATTEMPTS }, () => ({ status: 503 })));

    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const result = await handler(batch([bad]), lambdaContext());
      expect(result.unavailable).toBe(0);
    }
    await handler(batch(ids.slice(1)), lambdaContext());

    expect(await getTransaction(store, bad)).toMatchObject({
      status: 'FAILED',
      attempts: MAX_ATTEMPTS,
      lastError: 'MAX_ATTEMPTS: PROVIDER_UNAVAILABLE: HTTP 503',
    });
    for (const id of ids.slice(1)) {
      expect(await getTransaction(store, id)).toMatchObject({ status: 'CONFIRMED' });
    }
    expect(await breakerItem()).toBeUndefined();
  });

  test('once open, a later batch makes no call at all and leaves everything untouched', async () => {
    await putBreaker({
      state: 'OPEN',
      openedAt: new Date().toISOString(),
      retryAt: new Date(Date.now() + 60_000).toISOString(),
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 1,
    });
    const ids = newIds(12);
    await seed(ids);

    const result = await handler(batch(ids), lambdaContext());

    expect(result).toMatchObject({ processed: 12, unavailable: 12 });
    expect(callsOf(ids)).toHaveLength(0);
    await expectUntouched(ids);
  });

  test('a batch running beside the one that opened it stops at its next outage-class failure', async () => {
    // Batch A: every call fails at once, so A opens the breaker after 20 calls.
    const a = newIds(20, 'cb-a');
    // Batch B: slow answers, every other one a 503 — never 19 of 20 on its own.
    const b = newIds(100, 'cb-b');
    await seed([...a, ...b]);
    for (const id of a) provider.script(id, { status: 503 });
    for (const [i, id] of b.entries()) {
      provider.script(id, i % 2 === 0 ? { delayMs: 100 } : { status: 503, delayMs: 100 });
    }

    const [resultA, resultB] = await Promise.all([
      handler(batch(a), lambdaContext()),
      handler(batch(b), lambdaContext()),
    ]);

    expect(resultA).toMatchObject({ processed: 20, unavailable: 20 });
    // B called until its first re-read after A opened it (at most once a second), then stopped:
    // its 503s were held back and are left untouched with the ids it never called.
    expect(resultB.confirmed).toBeGreaterThan(0);
    expect(resultB.unavailable).toBeGreaterThan(30);
    expect(resultB.deferred).toBe(0);
    expect(resultB.confirmed + resultB.unavailable).toBe(100);
    const calledB = callsOf(b);
    expect(calledB.length).toBeLessThan(100);
    const confirmedB = new Set(
      calledB.filter((c) => c.outcome === 'confirmed').map((c) => c.id as string),
    );
    await expectUntouched(b.filter((id) => !confirmedB.has(id)));
    expect(await breakerItem()).toMatchObject({ state: 'OPEN', opens: 1 });
  });

  test.each([
    ['delta seconds on a 503', 503, '120', 120],
    ['an HTTP date on a 429', 429, 'DATE+600', 600],
    ['no more than an hour, whatever the header says', 503, '259200', 3600],
  ])('Retry-After is honoured: %s', async (_name, status, header, expectedSeconds) => {
    const ids = newIds(20);
    await seed(ids);
    const value =
      header === 'DATE+600' ? new Date(Date.now() + 600_000).toUTCString() : String(header);
    provider.setDefault({ status, body: {}, headers: { 'Retry-After': value } });

    await handler(batch(ids), lambdaContext());

    const item = await breakerItem();
    expect(item).toMatchObject({ state: 'OPEN', reason: `HTTP ${status} ×20 of 20 calls` });
    // retryAt = max(now + 30 s, now + Retry-After), a few seconds of rounding allowed.
    expect(secondsFromNow(item?.retryAt)).toBeGreaterThan(expectedSeconds - 5);
    expect(secondsFromNow(item?.retryAt)).toBeLessThanOrEqual(expectedSeconds + 1);
    await expectUntouched(ids);
  });

  test('half-open: of three batches only one claims the probe; its success closes the breaker and every batch goes on', async () => {
    await putBreaker({
      state: 'OPEN',
      openedAt: new Date(Date.now() - 120_000).toISOString(),
      retryAt: new Date(Date.now() - 1000).toISOString(),
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 2,
    });
    const groups = [newIds(8, 'cb-p'), newIds(8, 'cb-q'), newIds(8, 'cb-r')];
    await seed(groups.flat());
    // The probe's answer takes a moment, so the other batches meet the claim and wait for it.
    provider.setDefault({ delayMs: 150 });

    const results = await Promise.all(groups.map((ids) => handler(batch(ids), lambdaContext())));

    for (const result of results) expect(result).toMatchObject({ confirmed: 8, unavailable: 0 });
    // One call per transaction: nobody probed twice, nobody gave up.
    expect(callsOf(groups.flat())).toHaveLength(24);
    const item = await breakerItem();
    expect(item).toMatchObject({ state: 'CLOSED', lastReason: 'HTTP 503 ×20 of 20 calls' });
    // Closed: the outage's counters are gone.
    expect(item).not.toHaveProperty('opens');
    expect(item).not.toHaveProperty('retryAt');
    expect(item).not.toHaveProperty('probeBy');
    expect(secondsFromNow(item?.closedAt)).toBeLessThanOrEqual(0);
  });

  test('half-open: a failed probe (3 calls, one at a time, by one batch) reopens the breaker for twice as long', async () => {
    await putBreaker({
      state: 'OPEN',
      openedAt: new Date(Date.now() - 60_000).toISOString(),
      retryAt: new Date(Date.now() - 1000).toISOString(),
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 1,
    });
    const groups = [newIds(6, 'cb-x'), newIds(6, 'cb-y'), newIds(6, 'cb-z')];
    await seed(groups.flat());
    provider.setDefault({ status: 503, body: {} });

    const results = await Promise.all(groups.map((ids) => handler(batch(ids), lambdaContext())));

    // Exactly one probe of three calls; the other batches waited for its verdict and made none.
    expect(callsOf(groups.flat())).toHaveLength(BREAKER.probeCalls);
    for (const result of results) expect(result).toMatchObject({ processed: 6, unavailable: 6 });
    await expectUntouched(groups.flat());
    const item = await breakerItem();
    expect(item).toMatchObject({
      state: 'OPEN',
      opens: 2,
      reason: 'probe: HTTP 503 ×3 of 3 calls',
    });
    // Backed off: the second open period is 60 s.
    expect(secondsFromNow(item?.retryAt)).toBeGreaterThan(55);
    expect(secondsFromNow(item?.retryAt)).toBeLessThanOrEqual(60);
    expect(item).not.toHaveProperty('probeBy');
  });

  test('the probe claim is a conditional write: of two claims on the same OPEN breaker, one wins', async () => {
    const seen = {
      state: 'OPEN' as const,
      retryAt: new Date(Date.now() - 1000).toISOString(),
      reason: 'HTTP 503 ×20 of 20 calls',
    };
    await putBreaker({ ...seen, opens: 1 });
    const breaker = new DynamoProviderBreaker(store.ddb, store.tableNames.runs);
    const now = new Date().toISOString();
    const probeUntil = new Date(Date.now() + 10_000).toISOString();
    const claims = await Promise.all(
      ['one', 'two', 'three'].map((probeBy) =>
        breaker.claimProbe(seen, { probeBy, probeUntil, now }),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const item = await breakerItem();
    expect(item).toMatchObject({ state: 'HALF_OPEN', probeUntil });
    // Only the winner may decide; the others' close and reopen are refused.
    const loser = ['one', 'two', 'three'].find((_, i) => !claims[i])!;
    expect(await breaker.close(loser, { now })).toBe(false);
    expect(await breaker.close(String(item?.probeBy), { now })).toBe(true);
    // A second open from CLOSED works once; a later open of an OPEN breaker is refused.
    const open = { openedAt: now, retryAt: probeUntil, reason: 'x', opens: 1, now };
    expect(await breaker.open(open)).toBe(true);
    expect(await breaker.open(open)).toBe(false);
  });

  test('a dry run calls nobody and never touches the breaker, open or not', async () => {
    const ids = newIds(5);
    await seed(ids);
    provider.setDefault({ status: 503 });

    expect(await handler(batch(ids, true), lambdaContext())).toMatchObject({ wouldProcess: 5 });
    expect(await breakerItem()).toBeUndefined();

    const open = {
      state: 'OPEN',
      openedAt: '2024-06-01T12:00:00.000Z',
      retryAt: '2024-06-01T12:00:30.000Z',
      reason: 'HTTP 503 ×20 of 20 calls',
      opens: 1,
      updatedAt: '2024-06-01T12:00:00.000Z',
    };
    await putBreaker(open);
    expect(await handler(batch(ids, true), lambdaContext())).toMatchObject({ wouldProcess: 5 });
    expect(await breakerItem()).toEqual({ ...BREAKER_KEY, ...open });
    expect(callsOf(ids)).toHaveLength(0);
    await expectUntouched(ids);
  });

  test('401 is still systemic: the batch throws, nothing is written, the breaker is not involved', async () => {
    const ids = newIds(25);
    await seed(ids);
    provider.setDefault({ status: 401 });

    await expect(handler(batch(ids), lambdaContext())).rejects.toMatchObject({
      name: 'SystemicFault',
    });
    await expectUntouched(ids);
    expect(await breakerItem()).toBeUndefined();
  });
});
