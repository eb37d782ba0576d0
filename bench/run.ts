/**
 * `npm run bench`: the store's ceiling, the cron-script baseline and the workflow, measured on this
 * machine in child processes of this one (each measurement in its own process, so its peak RSS is
 * its own), repeated `--runs` times; the medians go to a table and to bench/results/*.json. Then
 * the scale part (bench/scale.ts) and the import part (bench/import.ts), each once.
 *
 * Not part of `npm test`: figures are measured here, never asserted as timings.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Table from 'cli-table3';
import { Command, InvalidArgumentError } from 'commander';
import { integer } from '../cli/arg-parsers';
import { IMPORT_BASE, type ImportResult, measureImportPart, renderImport } from './import';
import type { Measurement, MeasurementKind } from './measure';
import { measureScale, type ScalePoint } from './scale';
import { median, round } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface BenchOptions {
  runs: number;
  latencies: number[];
  transactions: number;
  ceilingTransactions: number;
  baselineTransactions: number;
  baselineSeconds: number;
  /** The large backlog of the scale part (0: skip it); the small one is SCALE_BASE. */
  scale: number;
  /** Only the scale part (with --import-only: the scale and the import parts). */
  scaleOnly: boolean;
  /** The import part (`--no-import` skips it). */
  import: boolean;
  /** The large file of the import part (0: skip it); the small one is IMPORT_BASE rows. */
  importLarge: number;
  /** Only the import part (with --scale-only: the scale and the import parts). */
  importOnly: boolean;
  out: string;
}

/** The parts a bench run measures: --scale-only and --import-only select theirs. */
export function partsOf(options: Omit<BenchOptions, 'out'>): {
  main: boolean;
  scale: boolean;
  import: boolean;
} {
  const only = options.scaleOnly || options.importOnly;
  return {
    main: !only,
    scale: options.scale > 0 && (!only || options.scaleOnly),
    import: options.import && (!only || options.importOnly),
  };
}

/** The small backlog the scale part compares the large one with. */
export const SCALE_BASE = 10_000;

export const TARGETS = {
  workflowToCeiling: 0.8,
  workflowToBaseline: 30,
  latencyHiding: 0.9,
  rssGrowth: 1.15,
  throughputAtScale: 0.9,
  importToBatchWrite: 0.8,
  importRssGrowth: 1.15,
} as const;

/** `npm start --data-dir` at SCALE_BASE and at --scale transactions. */
export interface ScaleResult {
  base: ScalePoint;
  large: ScalePoint;
}

export interface Summary {
  transactions: number;
  txPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  /** tx/s of every run, in order. */
  runs: number[];
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; memoryGb: number };
  options: Omit<BenchOptions, 'out'>;
  ceiling: Summary & {
    writesPerSecond: number;
    readItemsPerSecond: number;
    byConcurrency: Record<string, number>;
  };
  baseline: Record<string, Summary>;
  workflow: Record<string, Summary>;
  scale: ScaleResult | null;
  import: ImportResult | null;
  ratios: {
    /** Workflow at 0 ms over the single-write ceiling (target >= 0.8). */
    workflowToCeiling: number | null;
    /** Workflow over baseline at 50 ms (target >= 30). */
    workflowToBaseline: number | null;
    /** Workflow tx/s at 50 ms over workflow tx/s at 0 ms, same bench run (target >= 0.9). */
    latencyHiding: number | null;
    /** Peak RSS of the large backlog over the small one's (target <= 1.15). */
    rssGrowth: number | null;
    /** tx/s of the large backlog over the small one's (target >= 0.9). */
    throughputAtScale: number | null;
    /** Peak anonymous RSS of the large backlog over the small one's (no target: rssGrowth without the mapped store files). */
    anonGrowth: number | null;
    /** Import rows/s of IMPORT_BASE rows over the store's BatchWriteItem items/s (target >= 0.8). */
    importToBatchWrite: number | null;
    /** The importer's peak RSS at --import-large rows over at IMPORT_BASE (target <= 1.15). */
    importRssGrowth: number | null;
    byLatency: Record<string, { workflowToCeiling: number; workflowToBaseline: number }>;
  };
  targets: typeof TARGETS;
}

/** Transactions for the baseline at a latency: about `seconds` of sequential work, 100 at least. */
export function baselineTransactions(latencyMs: number, options: BenchOptions): number {
  const perTransactionMs = latencyMs + 3;
  const fit = Math.round((options.baselineSeconds * 1000) / perTransactionMs);
  return Math.max(100, Math.min(options.baselineTransactions, fit));
}

export function summarize(measurements: readonly Measurement[]): Summary {
  return {
    transactions: measurements[0]?.transactions ?? 0,
    txPerSecond: round(median(measurements.map((m) => m.txPerSecond)), 1),
    p50Ms: round(median(measurements.map((m) => m.p50Ms)), 2),
    p99Ms: round(median(measurements.map((m) => m.p99Ms)), 2),
    peakRssMb: round(Math.max(...measurements.map((m) => m.peakRssMb)), 1),
    runs: measurements.map((m) => m.txPerSecond),
  };
}

/** Medians and ratios from every measurement of a bench run. */
export function assemble(
  measurements: readonly Measurement[],
  scale: ScaleResult | null,
  options: BenchOptions,
  startedAt: Date,
  finishedAt: Date,
  imports: ImportResult | null = null,
): BenchResult {
  const parts = partsOf(options);
  const of = (kind: MeasurementKind, latencyMs?: number) =>
    measurements.filter(
      (m) => m.kind === kind && (latencyMs === undefined || m.latencyMs === latencyMs),
    );
  const ceilings = of('ceiling');
  const ceiling = summarize(ceilings);
  const byConcurrency: Record<string, number> = {};
  for (const key of Object.keys(ceilings[0]?.writesPerSecondByConcurrency ?? {})) {
    byConcurrency[key] = round(
      median(ceilings.map((m) => m.writesPerSecondByConcurrency?.[key] ?? 0)),
      1,
    );
  }
  const baseline: Record<string, Summary> = {};
  const workflow: Record<string, Summary> = {};
  const byLatency: BenchResult['ratios']['byLatency'] = {};
  for (const latency of parts.main ? options.latencies : []) {
    baseline[latency] = summarize(of('baseline', latency));
    workflow[latency] = summarize(of('workflow', latency));
    byLatency[latency] = {
      workflowToCeiling: round(workflow[latency].txPerSecond / ceiling.txPerSecond, 3),
      workflowToBaseline: round(workflow[latency].txPerSecond / baseline[latency].txPerSecond, 1),
    };
  }
  const ratio = (a: number | undefined, b: number | undefined, digits = 3) =>
    a === undefined || b === undefined || b === 0 ? null : round(a / b, digits);
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    },
    options: {
      runs: options.runs,
      latencies: options.latencies,
      transactions: options.transactions,
      ceilingTransactions: options.ceilingTransactions,
      baselineTransactions: options.baselineTransactions,
      baselineSeconds: options.baselineSeconds,
      scale: options.scale,
      scaleOnly: options.scaleOnly,
      import: options.import,
      importLarge: options.importLarge,
      importOnly: options.importOnly,
    },
    ceiling: {
      ...ceiling,
      writesPerSecond: ceiling.txPerSecond,
      readItemsPerSecond: round(median(ceilings.map((m) => m.readItemsPerSecond ?? 0)), 1),
      byConcurrency,
    },
    baseline,
    workflow,
    scale,
    import: imports,
    ratios: {
      workflowToCeiling: byLatency[0]?.workflowToCeiling ?? null,
      workflowToBaseline: byLatency[50]?.workflowToBaseline ?? null,
      latencyHiding: ratio(workflow[50]?.txPerSecond, workflow[0]?.txPerSecond),
      rssGrowth: ratio(scale?.large.peakRssMb, scale?.base.peakRssMb),
      throughputAtScale: ratio(scale?.large.txPerSecond, scale?.base.txPerSecond),
      anonGrowth: ratio(scale?.large.peakAnonMb, scale?.base.peakAnonMb),
      importToBatchWrite: ratio(imports?.base.rowsPerSecond, imports?.ceiling.itemsPerSecond),
      importRssGrowth: ratio(imports?.large?.peakRssMb, imports?.base.peakRssMb),
      byLatency,
    },
    targets: TARGETS,
  };
}

/** The table `npm run bench` prints (and docs/performance.md shows). */
export function renderTable(result: BenchResult): string {
  const { main } = partsOf(result.options);
  const table = new Table({
    head: [
      'measurement',
      'provider latency',
      'transactions',
      'tx/s (median)',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
      'tx/s per run',
    ],
    style: { head: [], border: [] },
  });
  const row = (name: string, latency: string, s: Summary) => [
    name,
    latency,
    s.transactions.toLocaleString('en-US'),
    s.txPerSecond.toLocaleString('en-US'),
    s.p50Ms,
    s.p99Ms,
    s.peakRssMb,
    s.runs.join(' / '),
  ];
  if (main) table.push(row('ceiling: conditional UpdateItem', '-', result.ceiling));
  for (const latency of main ? result.options.latencies : []) {
    table.push(row('baseline: sequential script', `${latency} ms`, result.baseline[latency]));
    table.push(row('workflow: npm start path', `${latency} ms`, result.workflow[latency]));
  }
  const lines = main ? [table.toString()] : [];
  if (result.scale !== null) lines.push(renderScale(result.scale));
  if (result.import !== null) lines.push(renderImport(result.import));
  const concurrency = Object.entries(result.ceiling.byConcurrency)
    .map(([c, rate]) => `${c}: ${rate}`)
    .join(', ');
  if (main) {
    lines.push(
      `ceiling writes/s by writes in flight: ${concurrency}; batched read (BatchGetItem of 100): ${result.ceiling.readItemsPerSecond.toLocaleString('en-US')} items/s`,
    );
  }
  for (const [latency, r] of Object.entries(result.ratios.byLatency)) {
    lines.push(
      `at ${latency} ms: workflow / ceiling = ${r.workflowToCeiling}, workflow / baseline = ${r.workflowToBaseline}x`,
    );
  }
  const { ratios, targets } = result;
  lines.push(
    `ratios.workflowToCeiling (0 ms) = ${mark(ratios.workflowToCeiling, targets.workflowToCeiling)}`,
    `ratios.workflowToBaseline (50 ms) = ${mark(ratios.workflowToBaseline, targets.workflowToBaseline)}`,
    `ratios.latencyHiding (50 ms / 0 ms) = ${mark(ratios.latencyHiding, targets.latencyHiding)}`,
    `ratios.rssGrowth (peak RSS large / small) = ${mark(ratios.rssGrowth, targets.rssGrowth, 'at most')}`,
    `ratios.throughputAtScale (tx/s large / small) = ${mark(ratios.throughputAtScale, targets.throughputAtScale)}`,
    `ratios.anonGrowth (anonymous RSS large / small, no target) = ${ratios.anonGrowth ?? 'not measured'}`,
    `ratios.importToBatchWrite (import rows/s / BatchWriteItem items/s) = ${mark(ratios.importToBatchWrite, targets.importToBatchWrite)}`,
    `ratios.importRssGrowth (importer peak RSS large / ${IMPORT_BASE.toLocaleString('en-US')} rows) = ${mark(ratios.importRssGrowth, targets.importRssGrowth, 'at most')}`,
  );
  return lines.join('\n');
}

/** A ratio against its target: met or not (or not measured in this bench run). */
export function mark(
  value: number | null,
  target: number,
  bound: 'at least' | 'at most' = 'at least',
): string {
  if (value === null) return 'not measured';
  const met = bound === 'at least' ? value >= target : value <= target;
  return `${value} (target ${bound === 'at least' ? '>=' : '<='} ${target}: ${met ? 'met' : 'not met'})`;
}

function renderScale(scale: ScaleResult): string {
  const table = new Table({
    head: [
      'scale: npm start --data-dir',
      'transactions',
      'tx/s',
      'run s',
      'wall s',
      'peak RSS MB',
      'anonymous MB',
      'file-backed MB',
    ],
    style: { head: [], border: [] },
  });
  for (const [name, p] of [
    ['small', scale.base],
    ['large', scale.large],
  ] as const) {
    table.push([
      name,
      p.transactions.toLocaleString('en-US'),
      p.txPerSecond.toLocaleString('en-US'),
      p.runSeconds,
      p.wallSeconds,
      p.peakRssMb,
      p.peakAnonMb,
      p.peakFileMb,
    ]);
  }
  return table.toString();
}

function runMeasurement(
  kind: MeasurementKind,
  transactions: number,
  latencyMs: number,
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'measure.ts'),
        '--kind',
        kind,
        '--transactions',
        String(transactions),
        '--latency-ms',
        String(latencyMs),
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${kind} at ${latencyMs} ms failed: ${stderr.trim() || error.message}`));
          return;
        }
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as Measurement);
        } catch {
          reject(new Error(`${kind} at ${latencyMs} ms printed no result: ${stdout}${stderr}`));
        }
      },
    );
  });
}

export async function bench(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<BenchResult> {
  const startedAt = new Date();
  const parts = partsOf(options);
  const measurements: Measurement[] = [];
  const plan: { kind: MeasurementKind; transactions: number; latencyMs: number }[] = [];
  // Interleaved, so drift on the machine (heat, other load) spreads over every kind alike.
  for (let run = 0; run < (parts.main ? options.runs : 0); run += 1) {
    plan.push({ kind: 'ceiling', transactions: options.ceilingTransactions, latencyMs: 0 });
    for (const latencyMs of options.latencies) {
      plan.push({
        kind: 'baseline',
        transactions: baselineTransactions(latencyMs, options),
        latencyMs,
      });
      plan.push({ kind: 'workflow', transactions: options.transactions, latencyMs });
    }
  }
  for (const [i, step] of plan.entries()) {
    const m = await runMeasurement(step.kind, step.transactions, step.latencyMs);
    progress(
      `[${i + 1}/${plan.length}] ${step.kind} at ${step.latencyMs} ms: ${m.transactions} tx in ${m.seconds} s = ${m.txPerSecond} tx/s (peak RSS ${m.peakRssMb} MB)`,
    );
    measurements.push(m);
  }
  let scale: ScaleResult | null = null;
  if (parts.scale) {
    const points: ScalePoint[] = [];
    for (const size of [SCALE_BASE, options.scale]) {
      const p = await measureScale(size);
      progress(
        `[scale] npm start --data-dir with ${size}: ${p.txPerSecond} tx/s, run ${p.runSeconds} s, wall ${p.wallSeconds} s, peak RSS ${p.peakRssMb} MB`,
      );
      points.push(p);
    }
    scale = { base: points[0], large: points[1] };
  }
  const imports = parts.import ? await measureImportPart(options.importLarge, progress) : null;
  return assemble(measurements, scale, options, startedAt, new Date(), imports);
}

const latencyList = (value: string): number[] => {
  const parse = integer('--latencies', 0, 10_000);
  const list = value.split(',').map((part) => parse(part.trim()));
  if (new Set(list).size !== list.length) {
    throw new InvalidArgumentError(`--latencies must not repeat a value, got "${value}"`);
  }
  return list;
};

async function main(): Promise<void> {
  const program = new Command('npm run bench --')
    .description(
      'Measure the store ceiling, the cron-script baseline and the workflow on this machine.',
    )
    .option(
      '--runs <n>',
      'repetitions of every measurement (the median is reported)',
      integer('--runs', 1, 20),
      3,
    )
    .option(
      '--latencies <ms,...>',
      'provider latencies to measure baseline and workflow at',
      latencyList,
      [0, 50],
    )
    .option(
      '--transactions <n>',
      'transactions per workflow run',
      integer('--transactions', 100, 1_000_000),
      10_000,
    )
    .option(
      '--ceiling-transactions <n>',
      'writes per concurrency level of the ceiling',
      integer('--ceiling-transactions', 100, 1_000_000),
      5_000,
    )
    .option(
      '--baseline-transactions <n>',
      'most transactions per baseline run',
      integer('--baseline-transactions', 100, 1_000_000),
      2_000,
    )
    .option(
      '--baseline-seconds <s>',
      'about how long one baseline run may take',
      integer('--baseline-seconds', 1, 3600),
      15,
    )
    .option(
      '--scale <n>',
      `the large backlog of the scale part (npm start --data-dir at ${SCALE_BASE.toLocaleString('en-US')} and at n; 0 skips it)`,
      integer('--scale', 0, 10_000_000),
      100_000,
    )
    .option('--scale-only', 'measure only the scale part', false)
    .option(
      '--import-large <n>',
      `the large file of the import part (the importer's peak RSS at ${IMPORT_BASE.toLocaleString('en-US')} rows and at n; 0 skips it)`,
      integer('--import-large', 0, 10_000_000),
      1_000_000,
    )
    .option('--import-only', 'measure only the import part', false)
    .option('--no-import', 'skip the import part (txc import against the store ceiling)')
    .option('--out <dir>', 'where result files go', path.join(ROOT, 'bench', 'results'))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse();
  const options = program.opts<BenchOptions>();
  if (options.scaleOnly && options.scale === 0) {
    process.stderr.write('--scale-only needs a --scale above 0\n');
    process.exit(2);
  }
  if (options.importOnly && !options.import) {
    process.stderr.write('--import-only and --no-import exclude each other\n');
    process.exit(2);
  }
  const result = await bench(options, (line) => process.stderr.write(`${line}\n`));
  fs.mkdirSync(options.out, { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const file = path.join(options.out, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, text);
  fs.writeFileSync(path.join(options.out, 'latest.json'), text);
  process.stdout.write(
    `${renderTable(result)}\nwritten: ${path.relative(process.cwd(), file)} and latest.json\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
