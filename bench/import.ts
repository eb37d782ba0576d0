/**
 * The `import` part of `npm run bench`: `txc import --local` of a generated CSV export, run as a
 * user runs it (`node bin/txc.js import FILE --local --endpoint URL --json`), next to the store's
 * own BatchWriteItem ceiling measured the same way: a client process writing to a store process.
 *
 * The store is the real `txc local serve --data-dir <fresh folder> --no-schedule` (dynalite on
 * LevelDB on disk), one per measurement, so every measurement writes into empty tables and the
 * store's memory is never the importer's. The importer's throughput comes from its `--json`
 * summary; its peak RSS from bench/peak-rss.cjs, preloaded into the importer's process only.
 *
 * The ceiling's client runs in its own child process too (this file, `--ceiling`): it resolves the
 * endpoint as `txc --local` does (ops/target.ts, so the same DynamoDB client configuration), makes
 * the same PENDING items (newPendingTransaction) and writes them with BatchWriteItem of 25,
 * retrying UnprocessedItems, with a few writes in flight (the best level is the ceiling).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import Table from 'cli-table3';
import { Command } from 'commander';
import { integer } from '../cli/arg-parsers';
import { newPendingTransaction, type NewPendingInput } from '../lambdas/domain/new-pending';
import { resolveLocalTarget } from '../ops/target';
import { readPeakRss, round } from './stats';

const ROOT = path.resolve(__dirname, '..');
const TXC = path.join(ROOT, 'bin', 'txc.js');

/** The file size the rate and the ceiling are compared at (the 100,000 rows). */
export const IMPORT_BASE = 100_000;
/** Writes (BatchWriteItem of 25) in flight tried for the ceiling; the best is kept. */
export const IMPORT_CEILING_CONCURRENCY = [4, 8, 16];
/** BatchWriteItem's limit. */
export const BATCH_WRITE_ITEMS = 25;

/** The store's BatchWriteItem rate: the best of IMPORT_CEILING_CONCURRENCY. */
export interface ImportCeiling {
  items: number;
  itemsPerSecond: number;
  seconds: number;
  /** Writes in flight of the best level. */
  concurrency: number;
  /** items/s of every level tried. */
  byConcurrency: Record<string, number>;
  /** The highest peak RSS of the ceiling's client processes. */
  peakRssMb: number;
}

/** One `txc import --local` of a generated file. */
export interface ImportPoint {
  rows: number;
  imported: number;
  /** The importer's own figures (its --json summary). */
  rowsPerSecond: number;
  seconds: number;
  /** The importer's process from spawn to exit (start-up and target resolution included). */
  wallSeconds: number;
  fileMb: number;
  /** The importer's process only (not the store's). */
  peakRssMb: number;
  peakAnonMb: number;
  peakFileMb: number;
  /** rows/s of every run, in order (the point is the fastest run's). */
  runs: number[];
}

export interface ImportResult {
  ceiling: ImportCeiling;
  /** IMPORT_BASE rows: the fastest of one import after each ceiling level. */
  base: ImportPoint;
  /** --import-large rows (null: not measured). */
  large: ImportPoint | null;
}

/** What the ceiling's child process prints. */
export interface CeilingRun {
  concurrency: number;
  items: number;
  seconds: number;
  itemsPerSecond: number;
  peakRssMb: number;
}

const mb = (kb: number) => round(kb / 1024);

// ---- the data -------------------------------------------------------------------------------

const CREATED_FROM = Date.UTC(2025, 0, 1);

/** Row i of a generated export, and of the ceiling's items: the same transactions. */
export function benchTransaction(i: number): NewPendingInput & { createdAt: string } {
  return {
    id: `bench_${String(i).padStart(9, '0')}`,
    amount: 100 + (i % 99_900),
    currency: i % 3 === 0 ? 'USD' : 'EUR',
    createdAt: new Date(CREATED_FROM + i * 1000).toISOString(),
  };
}

/** Writes a CSV export of `rows` PENDING rows (txconfirm's column names), streamed to disk. */
export async function writeExport(file: string, rows: number): Promise<void> {
  const out = fs.createWriteStream(file);
  const done = once(out, 'close');
  out.write('id,amount,currency,createdAt,status\n');
  for (let from = 0; from < rows; from += 1000) {
    let chunk = '';
    for (let i = from; i < Math.min(rows, from + 1000); i += 1) {
      const t = benchTransaction(i);
      chunk += `${t.id},${t.amount},${t.currency},${t.createdAt},PENDING\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await done;
}

// ---- child processes ------------------------------------------------------------------------

interface Store {
  /** What `txc --local --endpoint` takes (its DynamoDB endpoint is found from there). */
  stepFunctionsEndpoint: string;
  stop(): Promise<void>;
}

/** `txc local serve --port 0 --json --no-schedule --data-dir DIR`: the store process. */
async function startStore(dataDir: string): Promise<Store> {
  const child: ChildProcess = spawn(
    process.execPath,
    [TXC, 'local', 'serve', '--port', '0', '--json', '--no-schedule', '--data-dir', dataDir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const line = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    child.on('exit', (code) => reject(new Error(`txc local serve exited ${code}: ${stderr}`)));
  });
  const info = JSON.parse(line) as { stepFunctionsEndpoint: string };
  return {
    stepFunctionsEndpoint: info.stepFunctionsEndpoint,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A fresh folder, a store on a data dir in it, `body`, then the store stopped and the folder gone. */
async function withStore<T>(body: (store: Store) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-bench-import-'));
  try {
    const store = await startStore(path.join(dir, 'data'));
    try {
      return await body(store);
    } finally {
      await store.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function node(
  args: string[],
  what: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: ROOT,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${what} failed: ${stderr.trim() || error.message}${stdout}`));
        else resolve({ stdout, seconds: (performance.now() - started) / 1000 });
      },
    );
  });
}

/** The ceiling at one level of writes in flight, against a fresh store. */
export async function measureCeilingRun(items: number, concurrency: number): Promise<CeilingRun> {
  return withStore(async (store) => {
    const { stdout } = await node(
      [
        '--import',
        'tsx',
        __filename,
        '--ceiling',
        '--endpoint',
        store.stepFunctionsEndpoint,
        '--items',
        String(items),
        '--concurrency',
        String(concurrency),
      ],
      `the BatchWriteItem ceiling at ${concurrency} in flight`,
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as CeilingRun;
  });
}

/** The best of IMPORT_CEILING_CONCURRENCY (each against its own fresh store). */
export function ceilingOf(runs: readonly CeilingRun[]): ImportCeiling {
  const best = runs.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  return {
    items: best.items,
    itemsPerSecond: best.itemsPerSecond,
    seconds: best.seconds,
    concurrency: best.concurrency,
    byConcurrency: Object.fromEntries(runs.map((r) => [String(r.concurrency), r.itemsPerSecond])),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
  };
}

/** A fresh folder with a generated export of `rows` rows in it, for `body`. */
async function withExport<T>(rows: number, body: (file: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-bench-export-'));
  try {
    const file = path.join(dir, `export-${rows}.csv`);
    await writeExport(file, rows);
    return await body(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `txc import FILE --local` of a generated export of `rows` rows, against a fresh store. */
async function importOnce(file: string, rows: number): Promise<ImportPoint> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-bench-importer-'));
  try {
    const rssFile = path.join(dir, 'peak-rss');
    const { stdout, seconds } = await withStore((store) =>
      node(
        [
          '--require',
          path.join(__dirname, 'peak-rss.cjs'),
          TXC,
          'import',
          file,
          '--local',
          '--endpoint',
          store.stepFunctionsEndpoint,
          '--json',
          '--no-progress',
          '--report',
          path.join(dir, 'report.csv'),
        ],
        `txc import of ${rows} rows`,
        { TXCONFIRM_BENCH_PEAK_RSS_FILE: rssFile },
      ),
    );
    const summary = JSON.parse(stdout) as {
      imported: number;
      seconds: number;
      rowsPerSecond: number;
      exitCode: number;
    };
    if (summary.exitCode !== 0 || summary.imported !== rows) {
      throw new Error(
        `txc import of ${rows} rows imported ${summary.imported} (exit code ${summary.exitCode})`,
      );
    }
    return {
      rows,
      imported: summary.imported,
      rowsPerSecond: summary.rowsPerSecond,
      seconds: summary.seconds,
      wallSeconds: round(seconds),
      fileMb: round(fs.statSync(file).size / 1024 ** 2),
      ...readPeakRss(rssFile),
      runs: [summary.rowsPerSecond],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One import of a generated export of `rows` rows (written before the store starts). */
export function measureImport(rows: number): Promise<ImportPoint> {
  return withExport(rows, (file) => importOnce(file, rows));
}

/** The fastest of several imports of the same file, with every run's rows/s. */
export function fastestImport(points: readonly ImportPoint[]): ImportPoint {
  const best = points.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
  return { ...best, runs: points.map((p) => p.rowsPerSecond) };
}

/**
 * The whole part. The ceiling at each level of IMPORT_CEILING_CONCURRENCY, each followed by an
 * import of the same `base` rows (interleaved, so drift on the machine reaches both alike; the best
 * of each is compared, the ceiling's best level against the importer's best run), then one import
 * of `large` rows for the importer's peak RSS.
 */
export async function measureImportPart(
  large: number,
  progress: (line: string) => void,
  base = IMPORT_BASE,
): Promise<ImportResult> {
  const say = (p: ImportPoint) =>
    progress(
      `[import] txc import --local of ${p.rows} rows: ${p.rowsPerSecond} rows/s, ${p.seconds} s (wall ${p.wallSeconds} s), peak RSS ${p.peakRssMb} MB`,
    );
  const ceilings: CeilingRun[] = [];
  const imports: ImportPoint[] = [];
  await withExport(base, async (file) => {
    for (const concurrency of IMPORT_CEILING_CONCURRENCY) {
      const run = await measureCeilingRun(base, concurrency);
      progress(
        `[import] ceiling: BatchWriteItem of ${BATCH_WRITE_ITEMS}, ${concurrency} in flight: ${run.items} items in ${run.seconds} s = ${run.itemsPerSecond} items/s`,
      );
      ceilings.push(run);
      imports.push(await importOnce(file, base));
      say(imports[imports.length - 1]);
    }
  });
  let largePoint: ImportPoint | null = null;
  if (large > 0) {
    largePoint = await measureImport(large);
    say(largePoint);
  }
  return { ceiling: ceilingOf(ceilings), base: fastestImport(imports), large: largePoint };
}

// ---- rendering ------------------------------------------------------------------------------

/** The import part's table and the ceiling's levels, as `npm run bench` prints them. */
export function renderImport(result: ImportResult): string {
  const table = new Table({
    head: [
      'import: into txc local serve --data-dir',
      'rows',
      'rows/s',
      'seconds',
      'wall s',
      'peak RSS MB',
      'anonymous MB',
      'file-backed MB',
      'rows/s per run',
    ],
    style: { head: [], border: [] },
  });
  const c = result.ceiling;
  const rates = (list: number[]) => list.map((r) => r.toLocaleString('en-US')).join(' / ');
  table.push([
    `ceiling: BatchWriteItem of ${BATCH_WRITE_ITEMS}, ${c.concurrency} in flight`,
    c.items.toLocaleString('en-US'),
    c.itemsPerSecond.toLocaleString('en-US'),
    c.seconds,
    '-',
    c.peakRssMb,
    '-',
    '-',
    rates(Object.values(c.byConcurrency)),
  ]);
  for (const p of [result.base, result.large]) {
    if (p === null) continue;
    table.push([
      'txc import --local (CSV)',
      p.rows.toLocaleString('en-US'),
      p.rowsPerSecond.toLocaleString('en-US'),
      p.seconds,
      p.wallSeconds,
      p.peakRssMb,
      p.peakAnonMb,
      p.peakFileMb,
      rates(p.runs),
    ]);
  }
  const levels = Object.entries(c.byConcurrency)
    .map(([n, rate]) => `${n}: ${rate.toLocaleString('en-US')}`)
    .join(', ');
  return `${table.toString()}\nimport ceiling items/s by writes in flight: ${levels}; the ${result.base.rows.toLocaleString('en-US')}-row import ran after each level (its fastest run is compared)`;
}

// ---- the ceiling's child process ------------------------------------------------------------

async function ceilingChild(endpoint: string, items: number, concurrency: number) {
  const target = await resolveLocalTarget(endpoint);
  try {
    const table = target.names.transactionsTable;
    const batches: Record<string, unknown>[][] = [];
    for (let from = 0; from < items; from += BATCH_WRITE_ITEMS) {
      const batch: Record<string, unknown>[] = [];
      for (let i = from; i < Math.min(items, from + BATCH_WRITE_ITEMS); i += 1) {
        batch.push({ ...newPendingTransaction(benchTransaction(i), target.names) });
      }
      batches.push(batch);
    }
    let next = 0;
    const writer = async () => {
      while (next < batches.length) {
        const batch = batches[next];
        next += 1;
        let requests = batch.map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 0; requests.length > 0; attempt += 1) {
          if (attempt === 10) throw new Error('UnprocessedItems after 10 attempts');
          if (attempt > 0) await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
          const response = await target.ddb.send(
            new BatchWriteCommand({ RequestItems: { [table]: requests } }),
          );
          requests = (response.UnprocessedItems?.[table] ?? []) as typeof requests;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, writer));
    const seconds = (performance.now() - started) / 1000;
    const run: CeilingRun = {
      concurrency,
      items,
      seconds: round(seconds, 3),
      itemsPerSecond: round(items / seconds),
      peakRssMb: mb(process.resourceUsage().maxRSS),
    };
    return run;
  } finally {
    target.close();
  }
}

if (require.main === module) {
  const program = new Command('bench-import')
    .requiredOption('--ceiling', 'measure the BatchWriteItem ceiling (the only mode)')
    .requiredOption('--endpoint <url>', 'a `txc local serve` endpoint')
    .requiredOption('--items <n>', 'items to write', integer('--items', 1, 10_000_000))
    .requiredOption('--concurrency <n>', 'writes in flight', integer('--concurrency', 1, 256))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse();
  const o = program.opts<{ endpoint: string; items: number; concurrency: number }>();
  ceilingChild(o.endpoint, o.items, o.concurrency).then(
    (run) => {
      process.stdout.write(`${JSON.stringify(run)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
