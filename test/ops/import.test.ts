// `txc import` against dynalite with the stack's tables, reached as `txc --local` reaches them:
// conditional transactional writes, re-runs, conflicts, mapping, bad rows and the report.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'csv-parse/sync';
import { newPendingTransaction } from '../../lambdas/domain/new-pending';
import { DEFAULT_MAPPING } from '../../ops/import/mapping';
import { openReport } from '../../ops/import/report-file';
import { runImport } from '../../ops/import/run-import';
import { transactionWriter } from '../../ops/import/store-writer';
import { startStoreFaultProxy } from '../../local/fakes/store-fault-proxy';
import { getTransaction, putTransactions, TEST_SHARD_COUNT } from '../support/fixtures';
import { startStore, type Store } from '../support/store';
import { storeEndpoint, txc } from './support';

let store: Store;
let endpoint: Awaited<ReturnType<typeof storeEndpoint>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-import-'));

beforeAll(async () => {
  store = await startStore();
  endpoint = await storeEndpoint(store);
});
afterAll(async () => {
  await endpoint?.close();
  await store?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

let files = 0;
/** A file in the test's folder; its report goes next to it. */
function file(name: string, content: string): { path: string; report: string } {
  files += 1;
  const dir = path.join(tmp, String(files));
  fs.mkdirSync(dir);
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return { path: p, report: path.join(dir, 'report.csv') };
}

interface Summary {
  read: number;
  imported: number;
  unchanged: number;
  terminal: number;
  conflict: number;
  rejected: number;
  skippedNotPending: number;
  interrupted: boolean;
  dryRun: boolean;
  exitCode: number;
  error?: { name: string; message: string };
}

async function importJson(f: { path: string; report: string }, ...flags: string[]) {
  const result = await txc([
    'import',
    f.path,
    '--report',
    f.report,
    '--no-progress',
    '--json',
    '--endpoint',
    endpoint.url,
    ...flags,
  ]);
  const summary = result.out === '' ? undefined : (JSON.parse(result.out) as Summary);
  if (summary !== undefined) {
    // Every row read ends in exactly one count.
    expect(summary.read).toBe(
      summary.imported +
        summary.unchanged +
        summary.conflict +
        summary.rejected +
        summary.skippedNotPending,
    );
  }
  return { ...result, summary: summary! };
}

function reportOf(f: { report: string }): Record<string, string>[] {
  return parse(fs.readFileSync(f.report), { columns: true }) as Record<string, string>[];
}

const getItem = (id: string) => getTransaction(store, id);

const HEADER = 'id,amount,currency,createdAt,status';
const csvRow = (id: string, amount = 100, status = 'PENDING') =>
  `${id},${amount},EUR,2026-01-01T00:00:00.000Z,${status}`;

describe('txc import on DynamoDB', () => {
  test('a CSV becomes PENDING items as newPendingTransaction makes them, in the pending index; a re-run is all unchanged', async () => {
    const ids = ['csv-1', 'csv-2', 'csv-3'];
    const f = file('export.csv', [HEADER, ...ids.map((id, i) => csvRow(id, 100 + i))].join('\n'));
    const first = await importJson(f);
    expect(first.code).toBe(0);
    expect(first.summary).toMatchObject({ read: 3, imported: 3, unchanged: 0, exitCode: 0 });
    for (const [i, id] of ids.entries()) {
      expect(await getItem(id)).toEqual(
        newPendingTransaction(
          { id, amount: 100 + i, currency: 'EUR', createdAt: '2026-01-01T00:00:00.000Z' },
          { shardCount: TEST_SHARD_COUNT },
        ),
      );
    }
    expect(reportOf(f)).toEqual([]);

    const again = await importJson(f);
    expect(again.code).toBe(0);
    expect(again.summary).toMatchObject({ read: 3, imported: 0, unchanged: 3, terminal: 0 });
  });

  test('JSON Lines with a mapping: other column names, major units, the old statuses', async () => {
    const mapping = path.join(tmp, 'mapping.json');
    fs.writeFileSync(
      mapping,
      JSON.stringify({
        columns: {
          id: 'tx_id',
          amount: 'total',
          currency: 'ccy',
          createdAt: 'created_at',
          status: 'state',
        },
        pendingStatuses: ['open', 'retrying'],
        amountScale: 2,
      }),
    );
    const rows = [
      {
        tx_id: 'jl-1',
        total: '19.99',
        ccy: 'EUR',
        created_at: '2026-01-31 10:30:00+01',
        state: 'open',
      },
      {
        tx_id: 'jl-2',
        total: 5,
        ccy: 'USD',
        created_at: '2026-01-31T09:30:00Z',
        state: 'RETRYING',
      },
      {
        tx_id: 'jl-3',
        total: '7.00',
        ccy: 'EUR',
        created_at: '2026-01-31T09:30:00Z',
        state: 'settled',
      },
    ];
    const f = file('export.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    const { code, summary } = await importJson(f, '--mapping', mapping);
    expect(summary).toMatchObject({ read: 3, imported: 2, skippedNotPending: 1, rejected: 0 });
    expect(code).toBe(0);
    expect(await getItem('jl-1')).toMatchObject({
      amount: 1999,
      createdAt: '2026-01-31T09:30:00.000Z',
      status: 'PENDING',
    });
    expect(await getItem('jl-2')).toMatchObject({ amount: 500, currency: 'USD' });
    expect(await getItem('jl-3')).toBeUndefined();
    expect(reportOf(f)).toEqual([
      {
        row: '3',
        line: '3',
        outcome: 'skipped',
        id: 'jl-3',
        field: 'status',
        reason: 'NOT_PENDING: status "settled" is not one of open, retrying',
      },
    ]);
  });

  test('an id already there with other content is a conflict and left alone; a finished one is never touched', async () => {
    await putTransactions(store, [
      {
        ...newPendingTransaction(
          { id: 'cf-1', amount: 999, currency: 'EUR', createdAt: '2026-01-01T00:00:00.000Z' },
          { shardCount: TEST_SHARD_COUNT },
        ),
      },
      {
        id: 'cf-2',
        status: 'CONFIRMED',
        amount: 100,
        currency: 'EUR',
        createdAt: '2026-01-01T00:00:00.000Z',
        attempts: 0,
        providerRef: 'ref-2',
        terminalWrites: 1,
      },
    ]);
    const before1 = await getItem('cf-1');
    const before2 = await getItem('cf-2');
    const f = file(
      'export.csv',
      [HEADER, csvRow('cf-1', 100), csvRow('cf-2', 100), csvRow('cf-3')].join('\n'),
    );
    const { code, summary } = await importJson(f);
    expect(code).toBe(1);
    expect(summary).toMatchObject({ imported: 1, conflict: 1, unchanged: 1, terminal: 1 });
    expect(await getItem('cf-1')).toEqual(before1);
    // Not back in the pending index: no pendingShard, still CONFIRMED.
    expect(await getItem('cf-2')).toEqual(before2);
    const [conflict] = reportOf(f);
    expect(conflict).toMatchObject({ outcome: 'conflict', id: 'cf-1', field: 'amount' });
    // Amounts are never written into reports.
    expect(conflict.reason).not.toMatch(/999|100/);
  });

  test('bad rows are rejected with the field and the reason; the good ones around them are imported', async () => {
    const f = file(
      'mixed.csv',
      [
        HEADER,
        csvRow('mx-1'),
        'mx-2,12.5,EUR,2026-01-01T00:00:00Z,PENDING',
        'mx-3,100,EURO,2026-01-01T00:00:00Z,PENDING',
        'mx-4,100,EUR,yesterday,PENDING',
        ' mx-5,100,EUR,2026-01-01T00:00:00Z,PENDING',
        csvRow('mx-1', 200),
        'mx-6,100,EUR',
        csvRow('mx-7', 100, 'CONFIRMED'),
        csvRow('mx-8'),
      ].join('\r\n'),
    );
    const { code, summary } = await importJson(f);
    expect(code).toBe(1);
    expect(summary).toMatchObject({ read: 9, imported: 2, rejected: 6, skippedNotPending: 1 });
    expect(reportOf(f).map((r) => [r.row, r.outcome, r.id, r.field])).toEqual([
      ['2', 'rejected', 'mx-2', 'amount'],
      ['3', 'rejected', 'mx-3', 'currency'],
      ['4', 'rejected', 'mx-4', 'createdAt'],
      ['5', 'rejected', ' mx-5', 'id'],
      ['6', 'rejected', 'mx-1', 'id'],
      ['7', 'rejected', '', 'row'],
      ['8', 'skipped', 'mx-7', 'status'],
    ]);
    expect(reportOf(f)[4].reason).toBe('DUPLICATE_ID: the file has it on row 1 too');
    // The first of the duplicates is the one imported.
    expect(await getItem('mx-1')).toMatchObject({ amount: 100 });
    expect(await getItem('mx-8')).toMatchObject({ status: 'PENDING' });

    const accepted = await importJson(f, '--accept-rejects');
    expect(accepted.code).toBe(0);
    expect(accepted.summary).toMatchObject({ unchanged: 2, rejected: 6 });
  });

  test('--dry-run compares with the table and writes nothing', async () => {
    await putTransactions(store, [
      {
        ...newPendingTransaction(
          { id: 'dr-1', amount: 100, currency: 'EUR', createdAt: '2026-01-01T00:00:00.000Z' },
          { shardCount: TEST_SHARD_COUNT },
        ),
      },
      {
        ...newPendingTransaction(
          { id: 'dr-2', amount: 555, currency: 'EUR', createdAt: '2026-01-01T00:00:00.000Z' },
          { shardCount: TEST_SHARD_COUNT },
        ),
      },
    ]);
    const f = file('dry.csv', [HEADER, csvRow('dr-1'), csvRow('dr-2'), csvRow('dr-3')].join('\n'));
    const { code, summary } = await importJson(f, '--dry-run');
    expect(summary).toMatchObject({ dryRun: true, imported: 1, unchanged: 1, conflict: 1 });
    expect(code).toBe(1);
    expect(await getItem('dr-3')).toBeUndefined();
  });

  test('a header without a mapped column stops before anything is written', async () => {
    const f = file(
      'cols.csv',
      ['id,amount,currency,created,status', 'hc-1,1,EUR,2026-01-01T00:00:00Z,PENDING'].join('\n'),
    );
    const { code, summary } = await importJson(f);
    expect(code).toBe(1);
    expect(summary).toMatchObject({ read: 0, error: { name: 'MissingColumn' } });
    expect(summary.error?.message).toContain('no column "createdAt"');
    expect(await getItem('hc-1')).toBeUndefined();
  });

  test('usage errors name the problem and read nothing (exit 2); a missing file is named (exit 1)', async () => {
    const txt = file('export.txt', `${HEADER}\n`);
    const unknown = await txc(['import', txt.path, '--endpoint', endpoint.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('UsageError: cannot tell the format of');
    const badMap = await txc([
      'import',
      txt.path,
      '--format',
      'csv',
      '--map',
      'amout=x',
      '--endpoint',
      endpoint.url,
    ]);
    expect(badMap.code).toBe(2);
    expect(badMap.err).toContain('--map takes FIELD=COLUMN pairs');
    const scale = await txc([
      'import',
      txt.path,
      '--amount-scale',
      '12',
      '--endpoint',
      endpoint.url,
    ]);
    expect(scale.code).toBe(2);
    expect(scale.err).toContain('--amount-scale must be an integer 0..8');
    const missing = path.join(tmp, 'missing.csv');
    const gone = await txc([
      'import',
      missing,
      '--endpoint',
      endpoint.url,
      '--report',
      path.join(tmp, 'r.csv'),
    ]);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(`ImportFileUnreadable: ${missing} does not exist`);
    expect(fs.existsSync(path.join(tmp, 'r.csv'))).toBe(false);
  });

  test('--rate bounds the rows written per second', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => csvRow(`rt-${i}`));
    const f = file('rate.csv', [HEADER, ...rows].join('\n'));
    const started = Date.now();
    const { summary } = await importJson(f, '--rate', '100');
    expect(summary.imported).toBe(150);
    // 100 rows at once, the other 50 only once the next second's 100 are allowed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('faults of the store', () => {
  test('throttled and lost answers are retried: every row ends imported or unchanged, once', async () => {
    let transactions = 0;
    const proxy = await startStoreFaultProxy(store.endpoint, (request) => {
      if (request.operation !== 'TransactWriteItems') return undefined;
      transactions += 1;
      if (transactions === 2)
        return { kind: 'error', status: 400, type: 'ProvisionedThroughputExceededException' };
      if (transactions === 4) return { kind: 'dropAfter' };
      return undefined;
    });
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: proxy.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
    );
    const ids = Array.from({ length: 450 }, (_, i) => `ft-${String(i).padStart(3, '0')}`);
    const f = file('faults.csv', [HEADER, ...ids.map((id) => csvRow(id))].join('\n'));
    try {
      const summary = await runImport({
        file: f.path,
        format: 'csv',
        mapping: DEFAULT_MAPPING,
        shardCount: TEST_SHARD_COUNT,
        writer: transactionWriter(ddb, store.tableNames.transactions, { backoffMs: 1 }),
        openReport: () => openReport(f.report),
        concurrency: 1,
      });
      expect(summary.error).toBeUndefined();
      // The lost answer's rows were written; its retry found them there, the same.
      expect(summary).toMatchObject({ read: 450, imported: 350, unchanged: 100, conflict: 0 });
    } finally {
      await proxy.stop();
    }
    const { Items } = await store.ddb.send(
      new ScanCommand({
        TableName: store.tableNames.transactions,
        FilterExpression: 'begins_with(id, :p)',
        ExpressionAttributeValues: { ':p': 'ft-' },
      }),
    );
    expect((Items ?? []).map((i) => i.id).sort()).toEqual(ids);
  });

  test('a store that stays down stops the import with ImportWriteFailed; a re-run finishes it', async () => {
    let transactions = 0;
    const proxy = await startStoreFaultProxy(store.endpoint, (request) => {
      if (request.operation !== 'TransactWriteItems') return undefined;
      transactions += 1;
      return transactions > 2 ? { kind: 'drop' } : undefined;
    });
    const client = (url: string) =>
      DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: url,
          region: 'us-east-1',
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
          maxAttempts: 1,
        }),
      );
    const ids = Array.from({ length: 500 }, (_, i) => `dn-${String(i).padStart(3, '0')}`);
    const f = file('down.csv', [HEADER, ...ids.map((id) => csvRow(id))].join('\n'));
    const options = {
      file: f.path,
      format: 'csv' as const,
      mapping: DEFAULT_MAPPING,
      shardCount: TEST_SHARD_COUNT,
      openReport: () => openReport(f.report),
      concurrency: 1,
    };
    let first;
    try {
      first = await runImport({
        ...options,
        writer: transactionWriter(client(proxy.url), store.tableNames.transactions, {
          attempts: 3,
          backoffMs: 1,
        }),
      });
    } finally {
      await proxy.stop();
    }
    expect(first.error).toMatchObject({ name: 'ImportWriteFailed' });
    expect(first.imported).toBe(200);
    const second = await runImport({
      ...options,
      writer: transactionWriter(client(store.endpoint), store.tableNames.transactions),
    });
    expect(second).toMatchObject({ read: 500, imported: 300, unchanged: 200 });
    expect(second.error).toBeUndefined();
  });
});
