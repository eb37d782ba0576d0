import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { connect, createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  startDynalite,
  STORE_LEVEL_OPTIONS,
  type DynaliteHost,
  type LevelOptions,
} from '../../local/aws/dynalite-host';
import { startSecretsEndpoint } from '../../local/aws/secrets-endpoint';
import { testStack } from '../support/template';

const REPO = path.resolve(__dirname, '../..');
const stackTables = () => [...testStack().tables];
const transactionsTable = () => testStack().tableNames.transactions;

let tmp: string;
const hosts: DynaliteHost[] = [];
const started = async (options: Parameters<typeof startDynalite>[0]) => {
  const host = await startDynalite(options);
  hosts.push(host);
  return host;
};

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-hosts-'));
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The error a start fails with (a host that starts after all is stopped, so nothing leaks). */
const startError = async (options: Parameters<typeof startDynalite>[0]): Promise<unknown> => {
  try {
    await started(options);
  } catch (err) {
    return err;
  }
  return new Error('expected startDynalite to fail, it started');
};

const put = (host: DynaliteHost, id: string, table = transactionsTable()) =>
  host.client.send(
    new PutItemCommand({ TableName: table, Item: { id: { S: id }, status: { S: 'PENDING' } } }),
  );
const get = async (host: DynaliteHost, id: string, table = transactionsTable()) =>
  (
    await host.client.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }),
    )
  ).Item;
const tableNames = async (host: DynaliteHost) =>
  ((await host.client.send(new ListTablesCommand({}))).TableNames ?? []).sort();

describe('dynalite host', () => {
  test('in memory: the stack tables and their GSIs are ACTIVE on a loopback endpoint', async () => {
    const host = await started({ tables: stackTables() });
    expect(host.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.dataDir).toBeUndefined();
    expect(await tableNames(host)).toEqual(
      stackTables()
        .map((t) => t.TableName)
        .sort(),
    );
    const { Table } = await host.client.send(
      new DescribeTableCommand({ TableName: transactionsTable() }),
    );
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      testStack().tableNames.pendingIndex,
    ]);
    expect(Table?.GlobalSecondaryIndexes?.every((index) => index.IndexStatus === 'ACTIVE')).toBe(
      true,
    );

    await put(host, 'tx-1');
    expect(await get(host, 'tx-1')).toEqual({ id: { S: 'tx-1' }, status: { S: 'PENDING' } });
    // Two in-memory hosts share nothing.
    const other = await started({ tables: stackTables() });
    expect(await get(other, 'tx-1')).toBeUndefined();
  });

  test('on disk: data survives a stop and restart; tables are created only once', async () => {
    const dataDir = path.join(tmp, 'restart', 'nested');
    const first = await started({ tables: stackTables(), dataDir });
    expect(first.dataDir).toBe(dataDir);
    await put(first, 'kept');
    await first.stop();
    await first.stop(); // idempotent

    const second = await started({ tables: stackTables(), dataDir });
    expect(await get(second, 'kept')).toBeDefined();
    expect(await tableNames(second)).toEqual(
      stackTables()
        .map((t) => t.TableName)
        .sort(),
    );
  });

  test("on disk: LevelDB gets the host's open options (dynalite patched to pass them)", async () => {
    // Observable without a large store: the write buffer's size decides when LevelDB writes its
    // first table file. 400 items of ~1 KB stay in the default 4 MiB buffer; a 64 KiB buffer (the
    // smallest LevelDB takes) has written several tables by then.
    const tablesAfter400Items = async (name: string, levelOptions?: LevelOptions) => {
      const dataDir = path.join(tmp, name);
      const host = await started({ tables: stackTables(), dataDir, levelOptions });
      const padding = 'x'.repeat(1000);
      for (let i = 0; i < 400; i += 1) {
        await host.client.send(
          new PutItemCommand({
            TableName: transactionsTable(),
            Item: { id: { S: `tx-${i}` }, status: { S: 'PENDING' }, note: { S: padding } },
          }),
        );
      }
      expect(await get(host, 'tx-399')).toBeDefined();
      await host.stop();
      return fs.readdirSync(dataDir).filter((f) => f.endsWith('.ldb')).length;
    };
    expect(await tablesAfter400Items('default-options')).toBe(0);
    expect(STORE_LEVEL_OPTIONS.writeBufferSize).toBeUndefined();
    expect(
      await tablesAfter400Items('small-buffer', { ...STORE_LEVEL_OPTIONS, writeBufferSize: 65536 }),
    ).toBeGreaterThanOrEqual(2);
  });

  test('on disk: a finished Query closes its LevelDB iterator, so compacted table files go (dynalite patched)', async () => {
    // dynalite 4 ended its read streams with iterator.return(), which abstract-level 3 iterators
    // do not have: every Query left an iterator open until the store closed, pinning the tables
    // (and the write buffers) it started on. Observable: LevelDB deletes a table file that a
    // compaction replaced only once no open iterator can read it.
    const dataDir = path.join(tmp, 'iterators');
    const host = await started({
      tables: stackTables(),
      dataDir,
      levelOptions: { ...STORE_LEVEL_OPTIONS, writeBufferSize: 65536 },
    });
    const padding = 'x'.repeat(1000);
    const putMany = async (prefix: string, count: number) => {
      for (let i = 0; i < count; i += 1) {
        await host.client.send(
          new PutItemCommand({
            TableName: transactionsTable(),
            Item: { id: { S: `${prefix}-${i}` }, status: { S: 'PENDING' }, note: { S: padding } },
          }),
        );
      }
    };
    const tableFiles = () => fs.readdirSync(dataDir).filter((f) => f.endsWith('.ldb'));
    await putMany('first', 300);
    const early = tableFiles();
    expect(early.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 20; i += 1) {
      const found = await host.client.send(
        new QueryCommand({
          TableName: transactionsTable(),
          KeyConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': { S: `first-${i}` } },
        }),
      );
      expect(found.Items).toHaveLength(1);
    }
    // Enough writes for LevelDB to compact the early files into new ones.
    await putMany('second', 1500);
    const deadline = Date.now() + 20_000;
    let kept = early.filter((f) => tableFiles().includes(f));
    while (kept.length > 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      kept = early.filter((f) => tableFiles().includes(f));
    }
    // LevelDB writes the first table straight to level 2 (nothing overlaps it yet), and no
    // compaction here reaches level 2: that one stays; every other early file was compacted.
    expect(kept.length).toBeLessThanOrEqual(1);
    expect(await get(host, 'first-0')).toBeDefined();
  });

  test('a store used by another host in this process: DataDirInUse, free again after stop', async () => {
    const dataDir = path.join(tmp, 'in-use');
    const holder = await started({ tables: stackTables(), dataDir });
    expect(await startError({ tables: stackTables(), dataDir })).toMatchObject({
      name: 'DataDirInUse',
      message: `${dataDir} is used by another txconfirm process`,
    });
    await put(holder, 'still-served');
    expect(await get(holder, 'still-served')).toBeDefined();
    await holder.stop();
    const next = await started({ tables: stackTables(), dataDir });
    expect(await get(next, 'still-served')).toBeDefined();
  });

  test('SIGKILL: another process holds the dir (DataDirInUse); after it is killed its writes are all there', async () => {
    const dataDir = path.join(tmp, 'killed');
    const ids = Array.from({ length: 50 }, (_, i) => `killed-${i}`);
    const child = spawnWriter(dataDir, ids);
    try {
      await waitForLine(child, 'WROTE');
      expect(await startError({ tables: stackTables(), dataDir })).toMatchObject({
        name: 'DataDirInUse',
        message: `${dataDir} is used by another txconfirm process`,
      });
    } finally {
      child.kill('SIGKILL');
    }
    const [, signal] = (await new Promise((resolve) =>
      child.once('exit', (...args) => resolve(args)),
    )) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');

    // The OS released the LevelDB locks with the process: no stale lock, no lost write.
    const host = await started({ tables: stackTables(), dataDir });
    for (const id of ids)
      expect(await get(host, id)).toEqual({
        id: { S: id },
        status: { S: 'PENDING' },
      });
  });

  test('a data dir that is a file, or under a file: DataDirUnusable', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'not a store');
    expect(await startError({ tables: stackTables(), dataDir: file })).toMatchObject({
      name: 'DataDirUnusable',
      message: `${file} is not a directory; give a directory for the store`,
    });
    expect(
      await startError({ tables: stackTables(), dataDir: path.join(file, 'below') }),
    ).toMatchObject({ name: 'DataDirUnusable' });
    expect(fs.readFileSync(file, 'utf8')).toBe('not a store');
  });

  test('a kept table with other keys than the stack defines: DataDirIncompatible, the dir stays usable', async () => {
    const dataDir = path.join(tmp, 'incompatible');
    const keyedBy = (attribute: string): CreateTableCommandInput => ({
      TableName: 'things',
      KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: attribute, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    await (await startDynalite({ tables: [keyedBy('id')], dataDir })).stop();
    expect(await startError({ tables: [keyedBy('pk')], dataDir })).toMatchObject({
      name: 'DataDirIncompatible',
      message: expect.stringContaining('table things in'),
    });
    const again = await started({ tables: [keyedBy('id')], dataDir });
    expect(await tableNames(again)).toEqual(['things']);
  });

  test('listens on the given port; a taken port is DynaliteStartFailed', async () => {
    const port = await freePort();
    const host = await started({ tables: [], port });
    expect(host.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(await startError({ tables: [], port })).toMatchObject({
      name: 'DynaliteStartFailed',
      message: expect.stringContaining(`127.0.0.1:${port} is already in use`),
    });
    // A failed start on disk leaves the dir free.
    const dataDir = path.join(tmp, 'port-taken');
    expect(await startError({ tables: [], port, dataDir })).toMatchObject({
      name: 'DynaliteStartFailed',
    });
    await started({ tables: [], dataDir });
  });

  test('a request the validations do not foresee, or one that breaks off, ends that request, not the process (dynalite patched)', async () => {
    const host = await started({ tables: stackTables() });
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
      'x-amz-date': '20260101T000000Z',
    };
    // A null attribute value (no SDK sends one): unpatched, an uncaught TypeError ends the process.
    const response = await fetch(host.endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ TableName: transactionsTable(), Item: { id: { S: 'x' }, bad: null } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      __type: 'com.amazon.coral.validate#ValidationException',
    });
    // A body cut off halfway.
    await new Promise<void>((resolve) => {
      const { port } = new URL(host.endpoint);
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 1000\r\n\r\n{"TableName":`,
        );
        socket.destroy();
        resolve();
      });
    });
    await put(host, 'tx-after');
    expect(await get(host, 'tx-after')).toEqual({
      id: { S: 'tx-after' },
      status: { S: 'PENDING' },
    });
  });

  test('after stop the endpoint refuses connections', async () => {
    const host = await startDynalite({ tables: [] });
    await host.stop();
    await expect(fetch(host.endpoint)).rejects.toThrow();
  });
});

describe('secrets endpoint (Secrets Manager stand-in)', () => {
  test('GetSecretValue for known ids, ResourceNotFoundException otherwise, nothing else served', async () => {
    const secrets = await startSecretsEndpoint({ 'provider/key': 'k-1' });
    const client = new SecretsManagerClient({ endpoint: secrets.url, maxAttempts: 1 });
    try {
      expect(secrets.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const value = await client.send(new GetSecretValueCommand({ SecretId: 'provider/key' }));
      expect(value.SecretString).toBe('k-1');
      secrets.setSecret('provider/key', 'k-2');
      expect(
        (await client.send(new GetSecretValueCommand({ SecretId: 'provider/key' }))).SecretString,
      ).toBe('k-2');
      expect(secrets.reads('provider/key')).toBe(2);

      await expect(
        client.send(new GetSecretValueCommand({ SecretId: 'nope' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(client.send(new ListSecretsCommand({}))).rejects.toMatchObject({
        name: 'UnknownOperationException',
      });
    } finally {
      client.destroy();
      await secrets.stop();
      await secrets.stop();
    }
    await expect(fetch(secrets.url)).rejects.toThrow();
  });

  test('DescribeSecret: metadata with the AWSCURRENT version, never the value, not a read', async () => {
    const secrets = await startSecretsEndpoint({ 'provider/key': 'k-secret-value' });
    const client = new SecretsManagerClient({ endpoint: secrets.url, maxAttempts: 1 });
    try {
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'provider/key' }));
      expect(described.Name).toBe('provider/key');
      expect(Object.values(described.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT']]);
      expect(described.LastChangedDate).toBeInstanceOf(Date);
      expect(JSON.stringify(described)).not.toContain('k-secret-value');
      expect(secrets.reads('provider/key')).toBe(0);
      await expect(
        client.send(new DescribeSecretCommand({ SecretId: 'nope' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      client.destroy();
      await secrets.stop();
    }
  });
});

/** A separate Node process that starts a host on `dataDir`, writes `ids`, says WROTE and waits. */
function spawnWriter(dataDir: string, ids: string[]): ChildProcess {
  const script = `
    const { PutItemCommand } = require('@aws-sdk/client-dynamodb');
    const { startDynalite } = require(${JSON.stringify(path.join(REPO, 'local/aws/dynalite-host.ts'))});
    (async () => {
      const host = await startDynalite({ tables: JSON.parse(process.env.TABLES), dataDir: process.env.DATA_DIR });
      for (const id of JSON.parse(process.env.IDS)) {
        await host.client.send(new PutItemCommand({
          TableName: process.env.TABLE, Item: { id: { S: id }, status: { S: 'PENDING' } } }));
      }
      console.log('WROTE');
      setInterval(() => undefined, 60000);
    })().catch((err) => { console.error(String(err)); process.exit(1); });
  `;
  return spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: REPO,
    env: {
      ...process.env,
      TABLES: JSON.stringify(stackTables()),
      TABLE: transactionsTable(),
      DATA_DIR: dataDir,
      IDS: JSON.stringify(ids),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`writer exited (${code}) before ${line}: ${err}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
