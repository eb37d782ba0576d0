/**
 * The local DynamoDB: dynalite started in-process on loopback (docs/architecture.md §6), in
 * memory or on disk (LevelDB) so that a local run survives a restart — including a SIGKILL, since
 * every write dynalite acknowledges has already been handed to the OS.
 *
 * The tables are the synthesized stack's (local/stack/stack-template.ts): this module creates the ones
 * that are missing and leaves existing ones (and their data) alone.
 */
import * as fs from 'node:fs/promises';
import type { Server } from 'node:http';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClientConfig,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { listenOnLoopback, LOOPBACK_HOST, type LoopbackListener } from '../http/loopback-server';
import { LEVELDB_FEWEST_OPEN_FILES } from './leveldb';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

/** The part of abstract-level's API used here (the `level` package dynalite itself opens). */
interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}
type LevelConstructor = new (location: string) => LevelDatabase;

/**
 * dynalite's own `level`, so that the lock checks below use the very LevelDB binding dynalite
 * will open (it is dynalite's dependency, not ours).
 */
function levelOfDynalite(): LevelConstructor {
  const fromDynalite = path.dirname(require.resolve('dynalite/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const level = require(require.resolve('level', { paths: [fromDynalite] })) as {
    Level: LevelConstructor;
  };
  return level.Level;
}

/** A LevelDB of its own inside the data dir, held open while a host runs: the ownership lock. */
const OWNER_LOCK = 'txconfirm.lock';
const TABLES_ACTIVE_TIMEOUT_MS = 10_000;

/** Another process (a txconfirm host, or anything else holding its LevelDB lock) uses the data dir. */
export class DataDirInUse extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataDirInUse';
  }
}

/** The data dir cannot hold a store: a file, unwritable, not a LevelDB, corrupt. */
export class DataDirUnusable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataDirUnusable';
  }
}

/** A table that already exists in the data dir does not have the keys the stack defines. */
export class DataDirIncompatible extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirIncompatible';
  }
}

/** The host could not start: port taken, tables never became ACTIVE. */
export class DynaliteStartFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynaliteStartFailed';
  }
}

export interface DynaliteHostOptions {
  /** CreateTable inputs, normally `localStack(template).tables`. */
  readonly tables: readonly CreateTableCommandInput[];
  /** Keep the data on disk here (a LevelDB directory, created if missing). @default in memory */
  readonly dataDir?: string;
  /** Loopback port. @default 0 (a free port) */
  readonly port?: number;
  /** Overrides for the returned client (endpoint, region and dummy credentials are set already). */
  readonly clientConfig?: Omit<DynamoDBClientConfig, 'endpoint'>;
  /** LevelDB open options for a `dataDir` store (classic-level's names). @default STORE_LEVEL_OPTIONS */
  readonly levelOptions?: LevelOptions;
}

/** The classic-level open options this host sets (passed through by patches/dynalite+4.0.0.patch). */
export interface LevelOptions {
  /** Table files LevelDB keeps open, and so memory-mapped: each is up to `maxFileSize`. */
  readonly maxOpenFiles?: number;
  /** Size at which LevelDB starts a new table file. @default 2 MiB */
  readonly maxFileSize?: number;
  /** Size of the in-memory write buffer before it is written out as a table. @default 4 MiB */
  readonly writeBufferSize?: number;
}

/**
 * LevelDB maps each table file it keeps open into memory; by default it keeps 1,000 open (about
 * 2 GB of 2 MiB files), so a store on disk showed in the process's resident memory more and more
 * as it grew. 74 open files (the fewest LevelDB allows: 64 tables and 10 others) bound that part to
 * about 130 MB at any backlog (docs/performance.md, Memory of a local run).
 */
export const STORE_LEVEL_OPTIONS: LevelOptions = { maxOpenFiles: LEVELDB_FEWEST_OPEN_FILES };

export interface DynaliteHost {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** A client on this host (the caller must not destroy it; stop() does). */
  readonly client: DynamoDBClient;
  /** The absolute data dir, or undefined in memory. */
  readonly dataDir: string | undefined;
  /** Closes connections, the store (flushing LevelDB) and its locks. Idempotent. */
  stop(): Promise<void>;
}

export async function startDynalite(options: DynaliteHostOptions): Promise<DynaliteHost> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new DynaliteStartFailed(`port must be an integer 0..65535, got ${port}`);
  }
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const ownerLock = dataDir === undefined ? undefined : await claimDataDir(dataDir);

  let server: Server | undefined;
  let listener: LoopbackListener | undefined;
  let client: DynamoDBClient | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      client?.destroy();
      if (server !== undefined) {
        // dynalite opens its LevelDB at creation but closes it only through a listening server's
        // close(): after a failed listen, listen anywhere for a moment to be able to close it.
        listener ??= await listenOnLoopback(server);
        // dynalite's close also closes its LevelDB (waiting for the writes in flight).
        await listener.close();
      }
      await ownerLock?.close();
    })();
    return stopping;
  };

  try {
    server = dynalite({
      ...(dataDir === undefined
        ? {}
        : { path: dataDir, levelOptions: options.levelOptions ?? STORE_LEVEL_OPTIONS }),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    listener = await listen(server, port);
    const endpoint = listener.url;
    client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...options.clientConfig,
      endpoint,
    });
    await ensureTables(client, options.tables, dataDir);
    return { endpoint, client, dataDir, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Takes the data dir for this host, or explains why it can't. dynalite itself reports a LevelDB
 * that another process holds only as an uncaught "Database is closed" on its first request, so the
 * checks happen here, before dynalite opens the directory:
 *  1. the ownership lock (a small LevelDB inside the dir, held until stop()) excludes every other
 *     txconfirm host, in this process or another one; the OS releases it when a process dies, even
 *     by SIGKILL, so a crash never leaves a stale lock;
 *  2. opening and closing the store's own LevelDB proves nobody else (another dynalite) holds it
 *     and that it is readable.
 */
async function claimDataDir(dataDir: string): Promise<LevelDatabase> {
  const stat = await fs.stat(dataDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new DataDirUnusable(`${dataDir} cannot be read: ${err.message}`, { cause: err });
  });
  if (stat !== undefined && !stat.isDirectory()) {
    throw new DataDirUnusable(`${dataDir} is not a directory; give a directory for the store`);
  }
  await fs.mkdir(dataDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new DataDirUnusable(`${dataDir} cannot be created: ${err.message}`, { cause: err });
  });

  const Level = levelOfDynalite();
  const owner = new Level(path.join(dataDir, OWNER_LOCK));
  try {
    await owner.open();
  } catch (err) {
    throw levelOpenError(err, dataDir, `${dataDir} is used by another txconfirm process`);
  }
  try {
    const store = new Level(dataDir);
    try {
      await store.open();
    } catch (err) {
      throw levelOpenError(
        err,
        dataDir,
        `${dataDir} is used by another process (its LevelDB lock is held)`,
      );
    }
    await store.close();
  } catch (err) {
    await owner.close().catch(() => undefined);
    throw err;
  }
  return owner;
}

function levelOpenError(err: unknown, dataDir: string, inUseMessage: string): Error {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause?.code === 'LEVEL_LOCKED') return new DataDirInUse(inUseMessage, { cause: err });
  const detail = typeof cause?.message === 'string' ? cause.message : String(err);
  return new DataDirUnusable(`${dataDir} cannot be opened as a store: ${detail}`, { cause: err });
}

/** Listens on loopback; a port that is taken is a DynaliteStartFailed saying what to do. */
async function listen(server: Server, port: number): Promise<LoopbackListener> {
  try {
    return await listenOnLoopback(server, port);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    throw new DynaliteStartFailed(
      err.code === 'EADDRINUSE'
        ? `${LOOPBACK_HOST}:${port} is already in use; choose another port (0 picks a free one)`
        : `dynalite could not listen on ${LOOPBACK_HOST}:${port}: ${err.message}`,
      { cause: err },
    );
  }
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/** Creates the missing tables, checks the existing ones, then waits until all are ACTIVE. */
async function ensureTables(
  client: DynamoDBClient,
  tables: readonly CreateTableCommandInput[],
  dataDir: string | undefined,
): Promise<void> {
  for (const table of tables) {
    const existing = await describeTable(client, table.TableName!);
    if (existing === undefined) {
      await client.send(new CreateTableCommand(table));
    } else {
      assertCompatible(existing, table, dataDir);
    }
  }
  const deadline = Date.now() + TABLES_ACTIVE_TIMEOUT_MS;
  for (const table of tables) {
    for (;;) {
      const described = await describeTable(client, table.TableName!);
      const indexesActive = (described?.GlobalSecondaryIndexes ?? []).every(
        (index) => index.IndexStatus === 'ACTIVE',
      );
      if (described?.TableStatus === 'ACTIVE' && indexesActive) break;
      if (Date.now() > deadline) {
        throw new DynaliteStartFailed(
          `table ${table.TableName} is not ACTIVE after ${TABLES_ACTIVE_TIMEOUT_MS} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

const keysOf = (schema: readonly { AttributeName?: string; KeyType?: string }[] | undefined) =>
  JSON.stringify((schema ?? []).map((key) => [key.AttributeName, key.KeyType]));

/** A kept data dir from another version of the stack would silently misbehave: say so instead. */
function assertCompatible(
  existing: TableDescription,
  wanted: CreateTableCommandInput,
  dataDir: string | undefined,
): void {
  const where = dataDir ?? 'memory';
  const name = wanted.TableName!;
  if (keysOf(existing.KeySchema) !== keysOf(wanted.KeySchema)) {
    throw new DataDirIncompatible(
      `table ${name} in ${where} has keys ${keysOf(existing.KeySchema)}, the stack defines ${keysOf(wanted.KeySchema)}; use another data dir or delete this one`,
    );
  }
  const existingIndexes = new Map(
    (existing.GlobalSecondaryIndexes ?? []).map((index) => [
      index.IndexName,
      keysOf(index.KeySchema),
    ]),
  );
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (existingIndexes.get(index.IndexName) !== keysOf(index.KeySchema)) {
      throw new DataDirIncompatible(
        `table ${name} in ${where} lacks the index ${index.IndexName} as the stack defines it (${keysOf(index.KeySchema)}); use another data dir or delete this one`,
      );
    }
  }
}
