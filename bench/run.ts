/**
 * `npm run bench`: the store's ceiling, the cron-script baseline and the workflow, measured on this
 * machine in child processes of this one (each measurement in its own process, so its peak RSS is
 * its own), repeated `--runs` times; the medians go to a table and to bench/results/*.json.
 *
 * Not part of `npm test`: figures are measured here, never asserted as timings.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Table from 'cli-table3';
import { Command, InvalidArgumentError } from 'commander';
import { integer } from '../ops/arg-parsers';
import type { Measurement, MeasurementKind } from './measure';
import { median } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface BenchOptions {
  runs: number;
  latencies: number[];
  transactions: number;
  ceilingTransactions: number;
  baselineTransactions: number;
  baselineSeconds: number;
  out: string;
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
  ratios: {
    /** Workflow at 0 ms over the single-write ceiling (target >= 0.8). */
    workflowToCeiling: number | null;
    /** Workflow over baseline at 50 ms (target >= 30). */
    workflowToBaseline: number | null;
    byLatency: Record<string, { workflowToCeiling: number; workflowToBaseline: number }>;
  };
  targets: { workflowToCeiling: 0.8; workflowToBaseline: 30 };
}

/** Transactions for the baseline at a latency: about `seconds` of sequential work, 100 at least. */
export function baselineTransactions(latencyMs: number, options: BenchOptions): number {
  const perTransactionMs = latencyMs + 3;
  const fit = Math.round((options.baselineSeconds * 1000) / perTransactionMs);
  return Math.max(100, Math.min(options.baselineTransactions, fit));
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

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
  options: BenchOptions,
  startedAt: Date,
  finishedAt: Date,
): BenchResult {
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
  for (const latency of options.latencies) {
    baseline[latency] = summarize(of('baseline', latency));
    workflow[latency] = summarize(of('workflow', latency));
    byLatency[latency] = {
      workflowToCeiling: round(workflow[latency].txPerSecond / ceiling.txPerSecond, 3),
      workflowToBaseline: round(workflow[latency].txPerSecond / baseline[latency].txPerSecond, 1),
    };
  }
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
    },
    ceiling: {
      ...ceiling,
      writesPerSecond: ceiling.txPerSecond,
      readItemsPerSecond: round(median(ceilings.map((m) => m.readItemsPerSecond ?? 0)), 1),
      byConcurrency,
    },
    baseline,
    workflow,
    ratios: {
      workflowToCeiling: byLatency[0]?.workflowToCeiling ?? null,
      workflowToBaseline: byLatency[50]?.workflowToBaseline ?? null,
      byLatency,
    },
    targets: { workflowToCeiling: 0.8, workflowToBaseline: 30 },
  };
}

/** The table `npm run bench` prints (and the README's Performance section shows). */
export function renderTable(result: BenchResult): string {
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
  table.push(row('ceiling: conditional UpdateItem', '-', result.ceiling));
  for (const latency of result.options.latencies) {
    table.push(row('baseline: sequential script', `${latency} ms`, result.baseline[latency]));
    table.push(row('workflow: npm start path', `${latency} ms`, result.workflow[latency]));
  }
  const lines = [table.toString()];
  const concurrency = Object.entries(result.ceiling.byConcurrency)
    .map(([c, rate]) => `${c}: ${rate}`)
    .join(', ');
  lines.push(
    `ceiling writes/s by writes in flight: ${concurrency}; batched read (BatchGetItem of 100): ${result.ceiling.readItemsPerSecond.toLocaleString('en-US')} items/s`,
  );
  for (const [latency, r] of Object.entries(result.ratios.byLatency)) {
    lines.push(
      `at ${latency} ms: workflow / ceiling = ${r.workflowToCeiling}, workflow / baseline = ${r.workflowToBaseline}x`,
    );
  }
  const mark = (value: number | null, target: number) =>
    value === null
      ? 'not measured'
      : `${value} (target ${target}: ${value >= target ? 'met' : 'not met'})`;
  lines.push(
    `ratios.workflowToCeiling (0 ms) = ${mark(result.ratios.workflowToCeiling, result.targets.workflowToCeiling)}`,
    `ratios.workflowToBaseline (50 ms) = ${mark(result.ratios.workflowToBaseline, result.targets.workflowToBaseline)}`,
  );
  return lines.join('\n');
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
  const measurements: Measurement[] = [];
  const plan: { kind: MeasurementKind; transactions: number; latencyMs: number }[] = [];
  // Interleaved, so drift on the machine (heat, other load) spreads over every kind alike.
  for (let run = 0; run < options.runs; run += 1) {
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
  return assemble(measurements, options, startedAt, new Date());
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
    .option('--out <dir>', 'where result files go', path.join(ROOT, 'bench', 'results'))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse();
  const options = program.opts<BenchOptions>();
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
