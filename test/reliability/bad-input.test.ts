// Bad input through the real local runtime: malformed stored records in a full run (docs/architecture.md §4
// invariant 5) and malformed execution input, through the runtime and over the local Step
// Functions endpoint (docs/architecture.md §5). Every scenario ends with the §4 invariants read from the store.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCommand, NumberValue, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_KEY, RUN_PARTITION } from '../../lambdas/adapters/dynamo-run-store';
import { type BatchResult, ENV } from '../../lambdas/contracts';
import { MAX_TRANSACTION_IDS } from '../../lambdas/domain/execution-input';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { LocalRuntime, mergedFunctionEnvironment } from '../../local/runtime/local-runtime';
import { type SfnEndpoint, startSfnEndpoint } from '../../local/aws/sfn-endpoint';
import {
  allTransactions,
  expectInvariants,
  isolateModules,
  rawItem,
  scaled,
  withRuntime,
} from './support';

const TERMINAL_OK = ['CONFIRMED', 'REJECTED'];

/** A malformed record: changes to an otherwise valid PENDING item, and the field its reason names. */
interface BadRecord {
  readonly name: string;
  readonly field: string;
  readonly set?: Record<string, unknown>;
  readonly remove?: readonly string[];
  /** Replaces the generated id (ids the store accepts but an HTTP header cannot carry). */
  readonly id?: string;
}

// Paged by the scheduled run: they carry pendingShard and a createdAt (a string) that sorts before
// the run's cutoff, like their valid neighbours.
const PAGED: readonly BadRecord[] = [
  { name: 'amount missing', field: 'amount', remove: ['amount'] },
  { name: 'currency missing', field: 'currency', remove: ['currency'] },
  { name: 'status missing', field: 'status', remove: ['status'] },
  { name: 'status not a known value', field: 'status', set: { status: 'pending' } },
  { name: 'amount as a string', field: 'amount', set: { amount: '100' } },
  { name: 'amount as a map', field: 'amount', set: { amount: { value: 100 } } },
  { name: 'currency as a number', field: 'currency', set: { currency: 978 } },
  { name: 'negative amount', field: 'amount', set: { amount: -100 } },
  { name: 'zero amount', field: 'amount', set: { amount: 0 } },
  { name: 'non-integer amount', field: 'amount', set: { amount: 10.5 } },
  {
    name: 'amount 2^53 + 1 (beyond safe integers)',
    field: 'amount',
    set: { amount: NumberValue.from('9007199254740993') },
  },
  { name: 'amount 1e30', field: 'amount', set: { amount: NumberValue.from('1e30') } },
  { name: 'unknown currency', field: 'currency', set: { currency: 'XYZ' } },
  { name: 'lower-case currency', field: 'currency', set: { currency: 'eur' } },
  { name: 'oversize currency (3 KB)', field: 'currency', set: { currency: 'E'.repeat(3000) } },
  {
    name: 'createdAt without milliseconds',
    field: 'createdAt',
    set: { createdAt: '2020-01-01T00:00:00Z' },
  },
  {
    name: 'createdAt with an offset',
    field: 'createdAt',
    set: { createdAt: '2020-01-01T00:00:00.000+02:00' },
  },
  { name: 'attempts as a string', field: 'attempts', set: { attempts: '1' } },
  { name: 'attempts negative', field: 'attempts', set: { attempts: -1 } },
  // DynamoDB takes items up to 400 KB; the record limit is 2048 characters per string attribute.
  { name: 'a 300 KB note', field: 'note', set: { note: 'n'.repeat(300_000) } },
  // fetch would trim the Idempotency-Key header (the key would differ from the id) or refuse to
  // send it at all (a "network" failure on every attempt): the id is rejected up front.
  { name: 'id with a leading space', field: 'id', id: ' bad-leading-space' },
  { name: 'id with a newline', field: 'id', id: 'bad\nnewline' },
  { name: 'id with a non-Latin-1 character', field: 'id', id: 'bad-euro-€' },
];

// createdAt is the sort key of the sparse pending index: a record without it (or with a string
// that sorts after every cutoff, such as "yesterday") is never paged by a scheduled run. That is
// the writer's contract (docs/architecture.md §2), not something the confirmer can see without a table scan;
// such a record stays PENDING and untouched until an operator names it in `transactionIds`,
// which reads the item itself and marks it FAILED like any other malformed record.
const NOT_PAGED: readonly BadRecord[] = [
  { name: 'createdAt missing', field: 'createdAt', remove: ['createdAt'] },
  { name: 'createdAt "yesterday"', field: 'createdAt', set: { createdAt: 'yesterday' } },
];

describe('bad stored records through a full run (docs/architecture.md §4 invariant 5)', () => {
  it('each malformed record becomes FAILED with INVALID_RECORD naming its field; its batch neighbours are confirmed or rejected; invariants hold', async () => {
    const batches: (BatchResult | undefined)[] = [];
    await withRuntime(
      {
        provider: { latencyMs: 0, rejectionRate: 0.2, seed: 41 },
        onBatch: (result) => batches.push(result),
      },
      async (rt) => {
        const table = rt.stack.tableNames.transactions;
        const shardCount = Number(mergedFunctionEnvironment(rt.stack)[ENV.SHARD_COUNT]);
        const seededAt = new Date();
        const valid = await rt.seedTransactions(scaled(400), seededAt);

        // What the store itself refuses never reaches the confirmer: an id over DynamoDB's 2048-byte
        // key limit, a createdAt of the wrong type for the index key.
        const base = { status: 'PENDING', amount: 100, currency: 'EUR', attempts: 0 };
        const refused: [Record<string, unknown> & { id: string }, RegExp][] = [
          [
            { id: 'k'.repeat(10_240), createdAt: seededAt.toISOString() },
            /hashkey has exceeded the maximum size limit of ?2048 bytes/,
          ],
          [
            { id: 'bad-created-number', createdAt: seededAt.getTime() },
            /Type mismatch for Index Key createdAt/,
          ],
        ];
        for (const [item, message] of refused) {
          await expect(
            rt.ddb.send(
              new PutCommand({
                TableName: table,
                Item: { ...base, ...item, pendingShard: pendingShardFor(item.id, shardCount) },
              }),
            ),
          ).rejects.toThrow(message);
        }

        // Bad records are interleaved with the valid ones in createdAt (so in pages and batches).
        const idOf = new Map<BadRecord, string>();
        const all = [...PAGED, ...NOT_PAGED];
        for (const [i, bad] of all.entries()) {
          const id = bad.id ?? `bad-${String(i).padStart(2, '0')}`;
          idOf.set(bad, id);
          const offset = 1000 + Math.round(((i + 0.5) * valid.length) / all.length);
          const item: Record<string, unknown> = {
            id,
            ...base,
            createdAt: new Date(seededAt.getTime() - offset).toISOString(),
            pendingShard: pendingShardFor(id, shardCount),
            ...bad.set,
          };
          for (const field of bad.remove ?? []) delete item[field];
          await rt.ddb.send(new PutCommand({ TableName: table, Item: item }));
        }
        const seeded = [...valid, ...idOf.values()];

        const scheduled = await rt.waitForRun(rt.startRun({}).executionArn);
        expect(scheduled.final.status).toBe('SUCCEEDED');
        expect(scheduled.summary!.totals).toMatchObject({
          fetched: valid.length + PAGED.length,
          failed: PAGED.length,
          deferred: 0,
          failedBatches: 0,
        });
        expect(scheduled.summary!.totals.confirmed + scheduled.summary!.totals.rejected).toBe(
          valid.length,
        );
        // Not poisoned: batches holding a bad record confirmed their other items in the same call.
        const mixed = batches.filter((b) => b && b.failed > 0 && b.confirmed + b.rejected > 0);
        expect(mixed.length).toBeGreaterThan(0);
        expect(batches.every((b) => b !== undefined)).toBe(true);

        // The unpaged ones are still PENDING and untouched; an operator run by id fails them.
        const byId = () => allTransactions(rt).then((ts) => new Map(ts.map((t) => [t.id, t])));
        const afterScheduled = await byId();
        for (const bad of NOT_PAGED) {
          expect(afterScheduled.get(idOf.get(bad)!)).toMatchObject({
            status: 'PENDING',
            attempts: 0,
          });
        }
        const manual = await rt.waitForRun(
          rt.startRun({ transactionIds: NOT_PAGED.map((bad) => idOf.get(bad)!) }).executionArn,
        );
        expect(manual.summary!.totals).toMatchObject({
          fetched: NOT_PAGED.length,
          failed: NOT_PAGED.length,
        });

        const stored = await byId();
        const called = new Set(rt.provider.calls().map((call) => call.transactionId));
        for (const bad of all) {
          const id = idOf.get(bad)!;
          const t = stored.get(id);
          expect({ name: bad.name, status: t?.status, attempts: t?.attempts }).toEqual({
            name: bad.name,
            status: 'FAILED',
            attempts: bad.set?.attempts ?? 0,
          });
          expect(t?.lastError).toMatch(new RegExp(`^INVALID_RECORD: ${bad.field}: `));
          // A malformed record never reaches the provider.
          expect(called.has(id)).toBe(false);
        }
        for (const id of valid) expect(TERMINAL_OK).toContain(stored.get(id)?.status);

        const report = await expectInvariants(rt, seeded);
        expect(report.counts).toEqual({
          PENDING: 0,
          CONFIRMED: expect.any(Number),
          REJECTED: expect.any(Number),
          FAILED: all.length,
        });
        expect(report.counts.REJECTED).toBeGreaterThan(0);
      },
    );
  });

  it('an amount a JS number cannot hold (12345678901234567890.5) fails only its record, and the data dir still reopens with the number unchanged', async () => {
    // Regression: LocalRuntime.repairPendingIndex (run on every reopen of a data dir) read items
    // with the SDK's default number conversion, which throws for such a number: the data dir could
    // not be opened any more. It now reads and re-puts numbers as exact strings.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-bad-number-'));
    const amount = '12345678901234567890.5';
    const getAmount = async (rt: LocalRuntime) =>
      (await rawItem(rt, 'bad-unholdable-amount'))?.amount;
    try {
      let valid: string[] = [];
      await withRuntime({ dataDir, provider: { latencyMs: 0, seed: 2 } }, async (rt) => {
        const shardCount = Number(mergedFunctionEnvironment(rt.stack)[ENV.SHARD_COUNT]);
        const seededAt = new Date();
        valid = await rt.seedTransactions(scaled(60), seededAt);
        const id = 'bad-unholdable-amount';
        await rt.ddb.send(
          new PutCommand({
            TableName: rt.stack.tableNames.transactions,
            Item: {
              id,
              status: 'PENDING',
              amount: NumberValue.from(amount),
              currency: 'EUR',
              createdAt: new Date(seededAt.getTime() - 1500).toISOString(),
              pendingShard: pendingShardFor(id, shardCount),
            },
          }),
        );
        const outcome = await rt.waitForRun(rt.startRun({}).executionArn);
        expect(outcome.summary!.totals).toMatchObject({ failed: 1, failedBatches: 0 });
        expect(outcome.summary!.totals.confirmed).toBe(valid.length);
        const { Item } = await rt.ddb.send(
          new GetCommand({
            TableName: rt.stack.tableNames.transactions,
            Key: { id },
            ProjectionExpression: '#s, lastError, pendingShard',
            ExpressionAttributeNames: { '#s': 'status' },
          }),
        );
        expect(Item).toEqual({
          status: 'FAILED',
          lastError: expect.stringMatching(/^INVALID_RECORD: amount: /),
        });
      });
      await withRuntime({ dataDir, provider: { latencyMs: 0 } }, async (rt) => {
        expect(rt.indexRepairs).toBe(0);
        expect(await getAmount(rt)).toEqual({ N: amount });
        expect(await rt.storeCounts()).toEqual({
          PENDING: 0,
          CONFIRMED: valid.length,
          REJECTED: 0,
          FAILED: 1,
          OTHER: 0,
        });
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('bad execution input (docs/architecture.md §5)', () => {
  let rt: LocalRuntime;
  let seeded: string[];

  beforeAll(async () => {
    rt = await LocalRuntime.start({
      retryIntervalScale: 0,
      isolateModules,
      provider: { latencyMs: 0, rejectionRate: 0.2, seed: 13 },
    });
    seeded = await rt.seedTransactions(scaled(120));
  });
  afterAll(async () => {
    await rt?.close();
  });

  /** Nothing was processed and no lock or run record was left behind. */
  async function expectUntouched(): Promise<void> {
    await rt.engine.idle?.();
    const { runs } = rt.stack.tableNames;
    expect((await rt.ddb.send(new GetCommand({ TableName: runs, Key: LOCK_KEY }))).Item).toBe(
      undefined,
    );
    const records = await rt.ddb.send(
      new QueryCommand({
        TableName: runs,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RUN_PARTITION },
      }),
    );
    expect(records.Items).toEqual([]);
    expect(rt.provider.stats().calls).toBe(0);
    expect(await rt.storeCounts()).toMatchObject({ PENDING: seeded.length });
  }

  const tenThousand = Array.from({ length: 10_000 }, (_, i) => `tx-${i}`);
  const cases: [string, unknown, RegExp][] = [
    ['unknown field (a typo)', { dryrun: true }, /^unknown field "dryrun"$/],
    ['unknown field next to a valid one', { dryRun: true, force: 1 }, /^unknown field "force"$/],
    ['dryRun "yes"', { dryRun: 'yes' }, /^dryRun: must be a boolean, got "yes"$/],
    ['dryRun 1', { dryRun: 1 }, /^dryRun: must be a boolean, got 1$/],
    ['maxItems -1', { maxItems: -1 }, /^maxItems: must be an integer 1\.\.1000000, got -1$/],
    ['maxItems 0', { maxItems: 0 }, /^maxItems: must be an integer 1\.\.1000000, got 0$/],
    ['maxItems 1.5', { maxItems: 1.5 }, /^maxItems: must be an integer 1\.\.1000000, got 1\.5$/],
    ['maxItems "10"', { maxItems: '10' }, /^maxItems: must be an integer 1\.\.1000000, got "10"$/],
    ['maxItems above the limit', { maxItems: 1_000_001 }, /^maxItems: .*got 1000001$/],
    [
      'transactionIds with 10,000 ids',
      { transactionIds: tenThousand },
      new RegExp(`^transactionIds: at most ${MAX_TRANSACTION_IDS} ids, got 10000$`),
    ],
    [
      'transactionIds one over the limit',
      { transactionIds: tenThousand.slice(0, MAX_TRANSACTION_IDS + 1) },
      new RegExp(
        `^transactionIds: at most ${MAX_TRANSACTION_IDS} ids, got ${MAX_TRANSACTION_IDS + 1}$`,
      ),
    ],
    ['transactionIds empty', { transactionIds: [] }, /^transactionIds: at least 1 id, got 0/],
    ['an empty id', { transactionIds: [''] }, /^transactionIds\[0\]: must match .*, got ""$/],
    ['an id with a space', { transactionIds: ['a', 'b c'] }, /^transactionIds\[1\]: must match/],
    ['a numeric id', { transactionIds: [7] }, /^transactionIds\[0\]: must be a string, got 7$/],
    ['a duplicate id', { transactionIds: ['a', 'a'] }, /^transactionIds\[1\]: duplicate id "a"$/],
    ['transactionIds a string', { transactionIds: 'a' }, /^transactionIds: must be an array/],
    [
      'createdBefore "yesterday"',
      { createdBefore: 'yesterday' },
      /^createdBefore: must be an ISO-8601 date-time, got "yesterday"$/,
    ],
    [
      'createdBefore month 13',
      { createdBefore: '2026-13-01T00:00:00Z' },
      /^createdBefore: must be an ISO-8601 date-time/,
    ],
    [
      'createdBefore 30 February',
      { createdBefore: '2026-02-30T00:00:00Z' },
      /^createdBefore: must be an ISO-8601 date-time/,
    ],
    [
      'createdBefore without a time zone',
      { createdBefore: '2026-01-01T00:00:00' },
      /^createdBefore: must be an ISO-8601 date-time with a time zone \(Z or ±hh:mm\)/,
    ],
    [
      'createdBefore a date only',
      { createdBefore: '2026-01-01' },
      /^createdBefore: must be an ISO-8601 date-time/,
    ],
    [
      'createdBefore epoch millis',
      { createdBefore: 1767225600000 },
      /^createdBefore: must be an ISO-8601 date-time, got 1767225600000$/,
    ],
    ['an array instead of an object', [], /^input: must be a JSON object, got an array$/],
    ['a JSON string instead of an object', '"{}"', /^input: must be a JSON object, got "\{\}"$/],
    ['a resume token from an operator', { resume: {} }, /^resume\.run: /],
    [
      'several problems at once',
      { dryRun: 'no', maxItems: -1, bogus: true },
      /(?=.*unknown field "bogus")(?=.*dryRun: must be a boolean)(?=.*maxItems: must be an integer)/,
    ],
  ];

  it.each(cases)(
    '%s: the execution fails with InvalidExecutionInput naming the field; nothing processed, no lock held',
    async (_name, input, message) => {
      const outcome = await rt.waitForRun(rt.startRun(input).executionArn);
      expect(outcome.executions).toHaveLength(1);
      expect(outcome.final).toMatchObject({ status: 'FAILED', error: 'InvalidExecutionInput' });
      const cause = JSON.parse(outcome.final.cause ?? '{}') as Record<string, unknown>;
      expect(cause.errorType).toBe('InvalidExecutionInput');
      expect(cause.errorMessage).toMatch(message);
      await expectUntouched();
    },
  );

  it('over the local Step Functions endpoint: input that is not JSON is refused with HTTP 400 InvalidExecutionInput, and the endpoint keeps serving', async () => {
    const endpoint: SfnEndpoint = await startSfnEndpoint({ runtime: rt });
    const sfn = new SFNClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const stateMachineArn = rt.engine.stateMachineArn;
    const before = rt.engine.listExecutions({}).length;
    try {
      for (const input of ['{"dryRun": tru', 'dryRun=true', "{'dryRun': true}", '']) {
        const error = await sfn.send(new StartExecutionCommand({ stateMachineArn, input })).then(
          () => undefined,
          (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
        );
        expect({ input, name: error?.name, status: error?.$metadata?.httpStatusCode }).toEqual({
          input,
          name: 'InvalidExecutionInput',
          status: 400,
        });
        expect(error?.message).toMatch(/not JSON/);
      }
      // A request body that is not JSON at all, and an input that is not a string.
      const raw = (body: string) =>
        fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'AWSStepFunctions.StartExecution',
          },
          body,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { __type?: string } }));
      for (const body of [
        'not json',
        JSON.stringify({ stateMachineArn, input: { dryRun: true } }),
      ]) {
        const answer = await raw(body);
        expect(answer.status).toBe(400);
        expect(answer.body.__type).toMatch(/#SerializationException$/);
      }
      // None of those started an execution.
      expect(rt.engine.listExecutions({})).toHaveLength(before);

      // Still serving: a JSON input that fails the schema starts an execution that fails by name.
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: '{"maxItems": "all"}' }),
      );
      let described: DescribeExecutionCommandOutput;
      do {
        await new Promise((resolve) => setTimeout(resolve, 10));
        described = await sfn.send(
          new DescribeExecutionCommand({ executionArn: started.executionArn }),
        );
      } while (described.status === 'RUNNING');
      expect(described).toMatchObject({ status: 'FAILED', error: 'InvalidExecutionInput' });
      expect(described.cause).toContain('maxItems: must be an integer');
      const listed = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED', maxResults: 1 }),
      );
      expect(listed.executions?.[0]?.executionArn).toBe(started.executionArn);
      await expectUntouched();
    } finally {
      sfn.destroy();
      await endpoint.stop();
    }
  });

  it('accepted controls: an offset createdBefore is valid; after every refusal the lock is free and a plain run processes everything', async () => {
    const dry = await rt.waitForRun(
      rt.startRun({ dryRun: true, createdBefore: '2000-01-01T02:00:00+02:00' }).executionArn,
    );
    expect(dry.final.status).toBe('SUCCEEDED');
    expect(dry.summary!.totals.fetched).toBe(0);
    expect(rt.provider.stats().calls).toBe(0);

    const run = await rt.waitForRun(rt.startRun({}).executionArn);
    expect(run.skippedBy).toBeUndefined();
    expect(run.final.status).toBe('SUCCEEDED');
    expect(run.summary!.totals.confirmed + run.summary!.totals.rejected).toBe(seeded.length);
    const report = await expectInvariants(rt, seeded);
    expect(report.counts.PENDING).toBe(0);
  });
});
