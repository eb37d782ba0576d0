import { GetCommand, NumberValue, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, ERROR, type BatchResult, type ConfirmBatchEvent } from '../../lambdas/contracts';
import { emptyBatchResult } from '../../lambdas/domain/totals';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import {
  TEST_SHARD_COUNT,
  getTransaction,
  handlerEnv,
  lambdaContext,
  loadHandler,
  pendingTransaction,
  putTransaction,
  putTransactions,
} from '../support/fixtures';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { startSecretsEndpoint, type SecretsEndpoint } from '../../local/aws/secrets-endpoint';
import { startStore, type Store } from '../support/store';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<BatchResult>;

const API_KEY = 'test-api-key-0123456789';
const SECRET_ID = 'txconfirm/provider-api-key';
const RUN_ID = '20240501T120000Z-test-run';

let store: Store;
let provider: ProviderServer;
let secrets: SecretsEndpoint;
let handler: Handler;
let seq = 0;

/** Fresh ids per test: the store is shared by the whole file. */
const newIds = (n: number, prefix = 'tx') => {
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
    [ENV.PROVIDER_TIMEOUT_MS]: '300',
    [ENV.MAX_ATTEMPTS]: '3',
    [ENV.IN_BATCH_PARALLELISM]: '4',
    ...overrides,
  });

const loadConfirmBatch = async (overrides: Record<string, string> = {}): Promise<Handler> =>
  (await loadHandler(env(overrides), () => import('../../lambdas/handlers/confirm-batch')))
    .handler as Handler;

const counts = (partial: Partial<BatchResult>): BatchResult => ({
  ...emptyBatchResult(),
  ...partial,
});

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

beforeEach(() => {
  provider.reset();
});

describe('confirm-batch', () => {
  test('happy path: every pending transaction is confirmed once, with the idempotency key', async () => {
    const ids = newIds(6);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id)),
    );

    const result = await handler(batch(ids), lambdaContext());

    expect(result).toEqual(counts({ processed: 6, confirmed: 6 }));
    for (const id of ids) {
      const item = await getTransaction(store, id);
      expect(item).toMatchObject({
        status: 'CONFIRMED',
        providerRef: `ref-${id}`,
        runId: RUN_ID,
        attempts: 1,
        amount: 1250,
      });
      expect(item?.pendingShard).toBeUndefined();
      expect(item?.confirmedAt).toEqual(item?.completedAt);
      expect(Date.parse(item?.updatedAt as string)).toBeGreaterThan(Date.now() - 60_000);
      const calls = provider.callsFor(id);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        idempotencyKey: id,
        authorized: true,
        body: { transactionId: id, amount: 1250, currency: 'EUR' },
      });
    }
  });

  test('skips what is no longer PENDING or does not exist, and never calls the provider for it', async () => {
    const [pending, done, rejected, missing] = newIds(4);
    await putTransactions(
      store,
      [
        pendingTransaction(pending),
        {
          ...pendingTransaction(done),
          status: 'CONFIRMED',
          providerRef: 'old-ref',
          pendingShard: undefined,
        },
        {
          ...pendingTransaction(rejected),
          status: 'REJECTED',
          lastError: 'CARD_DECLINED',
          pendingShard: undefined,
        },
      ].map((item) => JSON.parse(JSON.stringify(item))),
    );

    const result = await handler(batch([pending, done, rejected, missing]), lambdaContext());

    expect(result).toEqual(counts({ processed: 4, confirmed: 1, skipped: 3 }));
    expect(await getTransaction(store, done)).toMatchObject({
      status: 'CONFIRMED',
      providerRef: 'old-ref',
    });
    expect(await getTransaction(store, rejected)).toMatchObject({
      status: 'REJECTED',
      lastError: 'CARD_DECLINED',
    });
    expect(await getTransaction(store, missing)).toBeUndefined();
    expect(provider.calls.map((call) => call.id)).toEqual([pending]);
  });

  test('repairs a terminal item that still carries pendingShard (removes it, counts skipped)', async () => {
    const [stale] = newIds(1);
    await putTransaction(store, {
      ...pendingTransaction(stale),
      status: 'CONFIRMED',
      providerRef: 'r',
    });

    const result = await handler(batch([stale]), lambdaContext());

    expect(result).toEqual(counts({ processed: 1, skipped: 1 }));
    const item = await getTransaction(store, stale);
    expect(item).toMatchObject({ status: 'CONFIRMED', providerRef: 'r' });
    expect(item?.pendingShard).toBeUndefined();
    expect(provider.calls).toHaveLength(0);
  });

  test('a malformed record becomes FAILED with INVALID_RECORD while its neighbours confirm', async () => {
    const [before, bad, oversize, after] = newIds(4);
    await putTransactions(store, [
      pendingTransaction(before),
      pendingTransaction(bad, { amount: -5 }),
      pendingTransaction(oversize, { note: 'x'.repeat(3000) }),
      pendingTransaction(after),
    ]);

    const result = await handler(batch([before, bad, oversize, after]), lambdaContext());

    expect(result).toEqual(counts({ processed: 4, confirmed: 2, failed: 2 }));
    const badItem = await getTransaction(store, bad);
    expect(badItem).toMatchObject({
      status: 'FAILED',
      lastError: 'INVALID_RECORD: amount: must be a positive integer number of minor units',
      runId: RUN_ID,
    });
    expect(badItem?.pendingShard).toBeUndefined();
    expect(await getTransaction(store, oversize)).toMatchObject({
      status: 'FAILED',
      lastError: 'INVALID_RECORD: note: oversize (more than 2048 characters)',
    });
    expect(await getTransaction(store, before)).toMatchObject({ status: 'CONFIRMED' });
    expect(await getTransaction(store, after)).toMatchObject({ status: 'CONFIRMED' });
    expect(provider.calls.map((call) => call.id).sort()).toEqual([before, after].sort());
  });

  test('an amount JavaScript cannot represent fails only that record (the read does not throw)', async () => {
    const [huge, fine] = newIds(2);
    await putTransactions(store, [pendingTransaction(huge), pendingTransaction(fine)]);
    // Beyond 2^53 and not an integer: the SDK's default unmarshalling would throw for the whole batch.
    await store.ddb.send(
      new UpdateCommand({
        TableName: store.tableNames.transactions,
        Key: { id: huge },
        UpdateExpression: 'SET amount = :a',
        ExpressionAttributeValues: { ':a': NumberValue.from('12345678901234567.5') },
      }),
    );

    const result = await handler(batch([huge, fine]), lambdaContext());

    expect(result).toEqual(counts({ processed: 2, confirmed: 1, failed: 1 }));
    const { Item } = await store.ddb.send(
      new GetCommand({
        TableName: store.tableNames.transactions,
        Key: { id: huge },
        ProjectionExpression: '#s, lastError',
        ExpressionAttributeNames: { '#s': 'status' },
      }),
    );
    expect(Item).toEqual({
      status: 'FAILED',
      lastError: 'INVALID_RECORD: amount: must be a positive integer number of minor units',
    });
    expect(provider.calls.map((call) => call.id)).toEqual([fine]);
  });

  test.each([
    [
      'provider 503',
      { status: 503, rawBody: 'Service Unavailable' },
      'PROVIDER_UNAVAILABLE: HTTP 503',
    ],
    [
      'provider 429 with Retry-After',
      { status: 429, body: {}, headers: { 'Retry-After': '30' } },
      'PROVIDER_RATE_LIMITED: HTTP 429, retry after 30 s',
    ],
    ['provider times out', { delayMs: 800 }, 'PROVIDER_TIMEOUT'],
    ['connection dropped', { drop: true }, expect.stringMatching(/^PROVIDER_NETWORK: /)],
    [
      '2xx with a garbage body',
      { status: 200, rawBody: '<html>' },
      'PROVIDER_BAD_RESPONSE: HTTP 200 without a final status',
    ],
    [
      '409 idempotency conflict',
      { status: 409, body: { reason: 'in progress' } },
      'PROVIDER_IN_PROGRESS: HTTP 409',
    ],
  ])('%s: deferred, attempts + 1, still in the pending index', async (_name, step, lastError) => {
    const [id, neighbour] = newIds(2);
    await putTransactions(store, [
      pendingTransaction(id, { attempts: 1 }),
      pendingTransaction(neighbour),
    ]);
    provider.script(id, step);

    const result = await handler(batch([id, neighbour]), lambdaContext());

    expect(result).toEqual(counts({ processed: 2, deferred: 1, confirmed: 1 }));
    const item = await getTransaction(store, id);
    expect(item).toMatchObject({
      status: 'PENDING',
      attempts: 2,
      lastError,
      pendingShard: pendingShardFor(id, TEST_SHARD_COUNT),
    });
    expect(item?.runId).toBeUndefined();
  });

  test('provider times out twice then succeeds: attempts 1, 2, then CONFIRMED', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id));
    provider.script(id, { delayMs: 800, status: 503 }, { delayMs: 800, status: 503 });

    expect(await handler(batch([id]), lambdaContext())).toEqual(
      counts({ processed: 1, deferred: 1 }),
    );
    expect(await getTransaction(store, id)).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastError: 'PROVIDER_TIMEOUT',
    });
    expect(await handler(batch([id]), lambdaContext())).toEqual(
      counts({ processed: 1, deferred: 1 }),
    );
    expect(await handler(batch([id]), lambdaContext())).toEqual(
      counts({ processed: 1, confirmed: 1 }),
    );

    const item = await getTransaction(store, id);
    expect(item).toMatchObject({ status: 'CONFIRMED', attempts: 3, providerRef: `ref-${id}` });
    expect(item?.lastError).toBeUndefined();
    expect(provider.callsFor(id).map((call) => call.idempotencyKey)).toEqual([id, id, id]);
  });

  test('bounded retries: attempts increment, then FAILED at MAX_ATTEMPTS with lastError', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id));
    provider.script(id, { status: 500 }, { status: 502 }, { status: 503 }, { status: 200 });

    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await handler(batch([id]), lambdaContext()));

    expect(results).toEqual([
      counts({ processed: 1, deferred: 1 }),
      counts({ processed: 1, deferred: 1 }),
      counts({ processed: 1, failed: 1 }),
    ]);
    const item = await getTransaction(store, id);
    expect(item).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      lastError: 'MAX_ATTEMPTS: PROVIDER_UNAVAILABLE: HTTP 503',
      runId: RUN_ID,
    });
    expect(item?.pendingShard).toBeUndefined();
    // Terminal: a further batch neither calls the provider nor changes the item.
    expect(await handler(batch([id]), lambdaContext())).toEqual(
      counts({ processed: 1, skipped: 1 }),
    );
    expect(provider.callsFor(id)).toHaveLength(3);
  });

  test('rejections and permanent errors are terminal with the provider reason', async () => {
    const [declined, rejected, badRequest, notFound] = newIds(4);
    await putTransactions(
      store,
      [declined, rejected, badRequest, notFound].map((id) => pendingTransaction(id)),
    );
    provider.script(declined, { status: 402, body: { reason: 'CARD_DECLINED' } });
    provider.script(rejected, {
      status: 200,
      body: { status: 'REJECTED', reason: 'FRAUD_SUSPECTED' },
    });
    provider.script(badRequest, { status: 400, body: { message: 'currency not enabled' } });
    provider.script(notFound, { status: 404, body: {} });

    const result = await handler(
      batch([declined, rejected, badRequest, notFound]),
      lambdaContext(),
    );

    expect(result).toEqual(counts({ processed: 4, rejected: 2, failed: 2 }));
    expect(await getTransaction(store, declined)).toMatchObject({
      status: 'REJECTED',
      lastError: 'CARD_DECLINED',
    });
    expect(await getTransaction(store, rejected)).toMatchObject({
      status: 'REJECTED',
      lastError: 'FRAUD_SUSPECTED',
    });
    expect(await getTransaction(store, badRequest)).toMatchObject({
      status: 'FAILED',
      lastError: 'PROVIDER_HTTP_400: currency not enabled',
    });
    expect(await getTransaction(store, notFound)).toMatchObject({
      status: 'FAILED',
      lastError: 'PROVIDER_HTTP_404',
    });
  });

  test('conditional write loses a race: another writer made it terminal meanwhile -> skipped, not overwritten', async () => {
    const [raced, deferredRace] = newIds(2);
    await putTransactions(store, [pendingTransaction(raced), pendingTransaction(deferredRace)]);
    const otherWriter = (id: string, status: string) => async () => {
      await store.ddb.send(
        new UpdateCommand({
          TableName: store.tableNames.transactions,
          Key: { id },
          UpdateExpression: 'SET #s = :s, providerRef = :r REMOVE pendingShard',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ':r': 'other-run' },
        }),
      );
    };
    provider.script(raced, { before: otherWriter(raced, 'REJECTED') });
    provider.script(deferredRace, { status: 503, before: otherWriter(deferredRace, 'CONFIRMED') });

    const result = await handler(batch([raced, deferredRace]), lambdaContext());

    expect(result).toEqual(counts({ processed: 2, skipped: 2 }));
    expect(await getTransaction(store, raced)).toMatchObject({
      status: 'REJECTED',
      providerRef: 'other-run',
    });
    const other = await getTransaction(store, deferredRace);
    expect(other).toMatchObject({ status: 'CONFIRMED', providerRef: 'other-run', attempts: 0 });
    expect(other?.lastError).toBeUndefined();
  });

  test('a deferral loses to a concurrent deferral (attempts changed meanwhile) -> skipped, counted once', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id, { attempts: 1 }));
    provider.script(id, {
      status: 503,
      before: async () => {
        await store.ddb.send(
          new UpdateCommand({
            TableName: store.tableNames.transactions,
            Key: { id },
            UpdateExpression: 'SET attempts = :a',
            ExpressionAttributeValues: { ':a': 2 },
          }),
        );
      },
    });

    expect(await handler(batch([id]), lambdaContext())).toEqual(
      counts({ processed: 1, skipped: 1 }),
    );
    expect(await getTransaction(store, id)).toMatchObject({ status: 'PENDING', attempts: 2 });
  });

  test('provider answers 401: the handler throws SystemicFault and writes nothing terminal', async () => {
    const ids = newIds(3);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id)),
    );
    provider.setDefault({ status: 401, body: { reason: 'invalid api key' } });

    await expect(handler(batch(ids), lambdaContext())).rejects.toMatchObject({
      name: ERROR.SystemicFault,
      message: expect.stringContaining('HTTP 401'),
    });

    for (const id of ids) {
      expect(await getTransaction(store, id)).toEqual(pendingTransaction(id));
    }
    // Stopped early: not every id was sent once the credentials were known to be wrong.
    expect(provider.calls.length).toBeLessThanOrEqual(4);
  });

  test('a rotated API key is re-read after a 401, and the retried batch succeeds', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id));
    secrets.setSecret(SECRET_ID, 'stale-key');
    const rotating = await loadConfirmBatch();

    await expect(rotating(batch([id]), lambdaContext())).rejects.toMatchObject({
      name: ERROR.SystemicFault,
    });
    expect(provider.callsFor(id)[0]).toMatchObject({ hasAuthorization: true, authorized: false });

    secrets.setSecret(SECRET_ID, API_KEY); // the operator fixes the secret
    expect(await rotating(batch([id]), lambdaContext())).toEqual(
      counts({ processed: 1, confirmed: 1 }),
    );
    expect(await getTransaction(store, id)).toMatchObject({ status: 'CONFIRMED' });
  });

  test('the API key is read lazily, once, and cached across invocations', async () => {
    const secretId = 'txconfirm/cached-key';
    secrets.setSecret(secretId, API_KEY);
    const cached = await loadConfirmBatch({ [ENV.PROVIDER_SECRET_ID]: secretId });
    expect(secrets.reads(secretId)).toBe(0);

    const ids = newIds(4);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id)),
    );
    await cached(batch(ids.slice(0, 2)), lambdaContext());
    await cached(batch(ids.slice(2)), lambdaContext());

    expect(secrets.reads(secretId)).toBe(1);
  });

  test('a missing secret is a systemic fault, no transaction touched', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id));
    const noSecret = await loadConfirmBatch({
      [ENV.PROVIDER_SECRET_ID]: 'txconfirm/does-not-exist',
    });

    await expect(noSecret(batch([id]), lambdaContext())).rejects.toMatchObject({
      name: ERROR.SystemicFault,
      message: expect.stringContaining('ResourceNotFoundException'),
    });
    expect(await getTransaction(store, id)).toEqual(pendingTransaction(id));
    expect(provider.calls).toHaveLength(0);
  });

  test('dry run: counts wouldProcess, calls no provider and changes nothing', async () => {
    const [a, b, bad, done] = newIds(4);
    const items = [
      pendingTransaction(a),
      pendingTransaction(b),
      pendingTransaction(bad, { currency: 'XXY' }),
      { ...pendingTransaction(done), status: 'CONFIRMED' }, // stale pendingShard, not repaired in a dry run
    ];
    await putTransactions(store, items);

    const result = await handler(batch([a, b, bad, done], true), lambdaContext());

    expect(result).toEqual(counts({ processed: 4, wouldProcess: 2, failed: 1, skipped: 1 }));
    expect(provider.calls).toHaveLength(0);
    for (const item of items) expect(await getTransaction(store, item.id as string)).toEqual(item);
  });

  test('dry run over more than 100 ids reads in chunks and sees every id', async () => {
    const ids = newIds(250);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id)),
    );
    expect(await handler(batch(ids, true), lambdaContext())).toEqual(
      counts({ processed: 250, wouldProcess: 250 }),
    );
  });

  test('crash after provider success: the retried batch is confirmed once, same idempotency key', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id));
    // The first attempt reached the provider and died before its DynamoDB write.
    const first = await fetch(`${provider.baseUrl}/v1/confirmations`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': id,
        Authorization: `Bearer ${API_KEY}`,
      },
      body: JSON.stringify({ transactionId: id, amount: 1250, currency: 'EUR' }),
    });
    expect(first.status).toBe(200);
    expect(await getTransaction(store, id)).toMatchObject({ status: 'PENDING' });

    const result = await handler(batch([id]), lambdaContext());

    expect(result).toEqual(counts({ processed: 1, confirmed: 1 }));
    expect(await getTransaction(store, id)).toMatchObject({
      status: 'CONFIRMED',
      providerRef: `ref-${id}`,
    });
    const calls = provider.callsFor(id);
    expect(calls.map((call) => call.idempotencyKey)).toEqual([id, id]);
    expect(calls[1].replayed).toBe(true);
    expect(provider.charges(id)).toBe(1);
  });

  test('a retried batch (Step Functions retry) changes nothing that is already terminal', async () => {
    const ids = newIds(3);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id)),
    );
    await handler(batch(ids), lambdaContext());
    const after = await Promise.all(ids.map((id) => getTransaction(store, id)));

    expect(await handler(batch(ids), lambdaContext())).toEqual(
      counts({ processed: 3, skipped: 3 }),
    );
    expect(await Promise.all(ids.map((id) => getTransaction(store, id)))).toEqual(after);
    for (const id of ids) expect(provider.charges(id)).toBe(1);
  });

  test('deadline: with too little time left no provider call starts; the ids stay PENDING, attempts unchanged', async () => {
    const ids = newIds(3);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id, { attempts: 2 })),
    );

    // PROVIDER_TIMEOUT_MS = 300: a call needs 300 ms + 2 s of margin.
    const result = await handler(batch(ids), lambdaContext(2200));

    expect(result).toEqual(counts({ processed: 3, deferred: 3 }));
    expect(provider.calls).toHaveLength(0);
    for (const id of ids)
      expect(await getTransaction(store, id)).toEqual(pendingTransaction(id, { attempts: 2 }));
  });

  test('in-batch parallelism bounds the provider calls in flight', async () => {
    const parallel = await loadConfirmBatch({ [ENV.IN_BATCH_PARALLELISM]: '2' });
    const ids = newIds(8);
    await putTransactions(
      store,
      ids.map((id) => pendingTransaction(id)),
    );
    let inFlight = 0;
    let maxInFlight = 0;
    provider.setDefault({
      delayMs: 0,
      before: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight -= 1;
      },
    });

    expect(await parallel(batch(ids), lambdaContext())).toEqual(
      counts({ processed: 8, confirmed: 8 }),
    );
    expect(maxInFlight).toBe(2);
  });

  test('duplicate ids in one batch are processed once', async () => {
    const [id] = newIds(1);
    await putTransaction(store, pendingTransaction(id));
    expect(await handler(batch([id, id]), lambdaContext())).toEqual(
      counts({ processed: 2, confirmed: 1, skipped: 1 }),
    );
    expect(provider.callsFor(id)).toHaveLength(1);
  });

  test('a malformed event is a wiring error (InvalidConfiguration), nothing happens', async () => {
    await expect(handler({ Items: [{ id: 'x' }] }, lambdaContext())).rejects.toMatchObject({
      name: ERROR.InvalidConfiguration,
      message: expect.stringContaining('BatchInput'),
    });
    expect(provider.calls).toHaveLength(0);
  });

  test('DynamoDB unreachable: SystemicFault, and the provider is not called', async () => {
    const down = await startStore();
    const [id] = newIds(1);
    await putTransaction(down, pendingTransaction(id));
    const unreachable = (
      await loadHandler(
        { ...env(), AWS_ENDPOINT_URL_DYNAMODB: down.endpoint },
        () => import('../../lambdas/handlers/confirm-batch'),
      )
    ).handler as Handler;
    await down.stop();

    await expect(unreachable(batch([id]), lambdaContext())).rejects.toMatchObject({
      name: ERROR.SystemicFault,
      message: expect.stringContaining('DynamoDB BatchGetItem'),
    });
    expect(provider.calls).toHaveLength(0);
  });
});
