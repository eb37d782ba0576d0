// npm run bench's pieces: statistics, the plan, the result file's shape and the printed table; and
// each kind of measurement run for real (small counts) as the child process the bench starts.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  benchTransaction,
  ceilingOf,
  fastestImport,
  type ImportResult,
  measureCeilingRun,
  measureImport,
  renderImport,
  writeExport,
} from '../../bench/import';
import type { Measurement } from '../../bench/measure';
import {
  assemble,
  type BenchOptions,
  baselineTransactions,
  mark,
  partsOf,
  renderTable,
} from '../../bench/run';
import { checkNewPending } from '../../lambdas/domain/new-pending';
import { DEFAULT_MAPPING, mapRow } from '../../ops/import/mapping';
import { measureScale } from '../../bench/scale';
import { median, percentile } from '../../bench/stats';

const ROOT = path.resolve(__dirname, '../..');

const options: BenchOptions = {
  runs: 3,
  latencies: [0, 50],
  transactions: 10_000,
  ceilingTransactions: 5_000,
  baselineTransactions: 2_000,
  baselineSeconds: 15,
  scale: 100_000,
  scaleOnly: false,
  import: true,
  importLarge: 1_000_000,
  importOnly: false,
  out: '/unused',
};

const point = (transactions: number, txPerSecond: number, peakRssMb: number) => ({
  transactions,
  txPerSecond,
  runSeconds: transactions / txPerSecond,
  wallSeconds: transactions / txPerSecond + 5,
  peakRssMb,
  peakAnonMb: peakRssMb * 0.8,
  peakFileMb: peakRssMb * 0.1,
});

const m = (kind: Measurement['kind'], latencyMs: number, txPerSecond: number): Measurement => ({
  kind,
  latencyMs,
  transactions: 1000,
  seconds: 1000 / txPerSecond,
  txPerSecond,
  p50Ms: txPerSecond / 100,
  p99Ms: txPerSecond / 10,
  peakRssMb: txPerSecond / 2,
  ...(kind === 'ceiling'
    ? {
        writesPerSecondByConcurrency: { '1': txPerSecond / 2, '64': txPerSecond },
        readItemsPerSecond: 20_000,
      }
    : {}),
});

describe('bench statistics', () => {
  it('percentile is nearest-rank; median averages the middle pair', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 10)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('the baseline runs about baselineSeconds of sequential work, within 100..baselineTransactions', () => {
    expect(baselineTransactions(0, options)).toBe(2000);
    expect(baselineTransactions(50, options)).toBe(283);
    expect(baselineTransactions(5000, options)).toBe(100);
  });
});

const importPoint = (rows: number, rowsPerSecond: number, peakRssMb: number) => ({
  rows,
  imported: rows,
  rowsPerSecond,
  seconds: rows / rowsPerSecond,
  wallSeconds: rows / rowsPerSecond + 2,
  fileMb: rows / 16_000,
  peakRssMb,
  peakAnonMb: peakRssMb * 0.7,
  peakFileMb: peakRssMb * 0.3,
  runs: [rowsPerSecond],
});

const imports: ImportResult = {
  ceiling: ceilingOf([
    { concurrency: 4, items: 100_000, seconds: 25, itemsPerSecond: 4000, peakRssMb: 150 },
    { concurrency: 8, items: 100_000, seconds: 20, itemsPerSecond: 5000, peakRssMb: 160 },
    { concurrency: 16, items: 100_000, seconds: 22.2, itemsPerSecond: 4500, peakRssMb: 170 },
  ]),
  base: fastestImport([
    importPoint(100_000, 3700, 210),
    importPoint(100_000, 3900, 200),
    importPoint(100_000, 3800, 205),
  ]),
  large: importPoint(1_000_000, 3800, 240),
};

describe('bench parts', () => {
  it('runs every part by default; --scale-only and --import-only select theirs; --no-import skips it', () => {
    expect(partsOf(options)).toEqual({ main: true, scale: true, import: true });
    expect(partsOf({ ...options, scaleOnly: true })).toEqual({
      main: false,
      scale: true,
      import: false,
    });
    expect(partsOf({ ...options, importOnly: true })).toEqual({
      main: false,
      scale: false,
      import: true,
    });
    expect(partsOf({ ...options, scaleOnly: true, importOnly: true })).toEqual({
      main: false,
      scale: true,
      import: true,
    });
    expect(partsOf({ ...options, import: false, scale: 0 })).toEqual({
      main: true,
      scale: false,
      import: false,
    });
  });
});

describe('bench result', () => {
  const runs: Measurement[] = [];
  for (const [ceiling, b0, w0, b50, w50] of [
    [1000, 300, 700, 18, 600],
    [1200, 320, 900, 19, 650],
    [1100, 310, 800, 17, 700],
  ]) {
    runs.push(m('ceiling', 0, ceiling), m('baseline', 0, b0), m('workflow', 0, w0));
    runs.push(m('baseline', 50, b50), m('workflow', 50, w50));
  }
  const scale = { base: point(10_000, 400, 800), large: point(100_000, 380, 1000) };
  const result = assemble(runs, scale, options, new Date(0), new Date(1000));

  it('carries the medians and the ratios the issue names', () => {
    expect(result.ceiling.writesPerSecond).toBe(1100);
    expect(result.ceiling.runs).toEqual([1000, 1200, 1100]);
    expect(result.ceiling.byConcurrency).toEqual({ '1': 550, '64': 1100 });
    expect(result.baseline[50].txPerSecond).toBe(18);
    expect(result.workflow[0].txPerSecond).toBe(800);
    expect(result.workflow[50].txPerSecond).toBe(650);
    expect(result.ratios.workflowToCeiling).toBeCloseTo(800 / 1100, 3);
    expect(result.ratios.workflowToBaseline).toBeCloseTo(650 / 18, 1);
    // Peak RSS is the worst run, not the median.
    expect(result.workflow[0].peakRssMb).toBe(450);
    expect(result.ratios.latencyHiding).toBeCloseTo(650 / 800, 3);
    expect(result.ratios.rssGrowth).toBe(1.25);
    expect(result.ratios.throughputAtScale).toBe(0.95);
    expect(result.ratios.anonGrowth).toBe(1.25);
    expect(result.scale).toEqual(scale);
  });

  it('the import ratios: 100,000 rows/s over the best BatchWriteItem level, peak RSS large over 100,000', () => {
    const withImport = assemble(runs, scale, options, new Date(0), new Date(1000), imports);
    expect(withImport.import).toEqual(imports);
    expect(imports.ceiling).toMatchObject({
      itemsPerSecond: 5000,
      concurrency: 8,
      seconds: 20,
      byConcurrency: { '4': 4000, '8': 5000, '16': 4500 },
      peakRssMb: 170,
    });
    // The fastest import run, with its own peak RSS, and every run's rate.
    expect(imports.base).toMatchObject({ rowsPerSecond: 3900, peakRssMb: 200 });
    expect(imports.base.runs).toEqual([3700, 3900, 3800]);
    expect(withImport.ratios.importToBatchWrite).toBe(0.78);
    expect(withImport.ratios.importRssGrowth).toBe(1.2);
    expect(withImport.targets).toMatchObject({ importToBatchWrite: 0.8, importRssGrowth: 1.15 });
    const text = renderTable(withImport);
    expect(text).toContain(
      'ratios.importToBatchWrite (import rows/s / BatchWriteItem items/s) = 0.78 (target >= 0.8: not met)',
    );
    expect(text).toContain(
      'ratios.importRssGrowth (importer peak RSS large / 100,000 rows) = 1.2 (target <= 1.15: not met)',
    );
    expect(text).toMatch(/│ ceiling: BatchWriteItem of 25, 8 in flight +│ 100,000 +│ 5,000 +│ 20 /);
    expect(text).toMatch(/│ txc import --local \(CSV\) +│ 1,000,000 +│ 3,800 /);
  });

  it('without the large import its ratio is not measured; an import-only run prints only that part', () => {
    const only = { ...options, importOnly: true };
    const result = assemble([], null, only, new Date(0), new Date(1000), {
      ...imports,
      base: importPoint(100_000, 4000, 200),
      large: null,
    });
    expect(result.ratios).toMatchObject({ importToBatchWrite: 0.8, importRssGrowth: null });
    expect(result.workflow).toEqual({});
    const text = renderTable(result);
    expect(text).not.toContain('ceiling: conditional UpdateItem');
    expect(text).toContain(
      'ratios.importToBatchWrite (import rows/s / BatchWriteItem items/s) = 0.8 (target >= 0.8: met)',
    );
    expect(text).toContain(
      'ratios.importRssGrowth (importer peak RSS large / 100,000 rows) = not measured',
    );
    expect(text.match(/txc import --local/g)).toHaveLength(1);
  });

  it('without the scale part its ratios are null, not 0', () => {
    const without = assemble(runs, null, { ...options, scale: 0 }, new Date(0), new Date(1000));
    expect(without.ratios).toMatchObject({ rssGrowth: null, throughputAtScale: null });
    expect(renderTable(without)).toContain(
      'ratios.rssGrowth (peak RSS large / small) = not measured',
    );
  });

  it('marks a lower bound met at or above it, an upper bound met at or below it', () => {
    expect(mark(0.9, 0.9)).toBe('0.9 (target >= 0.9: met)');
    expect(mark(0.89, 0.9)).toBe('0.89 (target >= 0.9: not met)');
    expect(mark(1.15, 1.15, 'at most')).toBe('1.15 (target <= 1.15: met)');
    expect(mark(1.2, 1.15, 'at most')).toBe('1.2 (target <= 1.15: not met)');
    expect(mark(null, 1)).toBe('not measured');
  });

  it('prints every measurement, the ratios and whether each target was met', () => {
    const text = renderTable(result);
    expect(text).toContain('ceiling: conditional UpdateItem');
    expect(text.match(/workflow: npm start path/g)).toHaveLength(2);
    expect(text).toContain('ratios.workflowToCeiling (0 ms) = 0.727 (target >= 0.8: not met)');
    expect(text).toContain('ratios.workflowToBaseline (50 ms) = 36.1 (target >= 30: met)');
    expect(text).toContain('ratios.latencyHiding (50 ms / 0 ms) = 0.813 (target >= 0.9: not met)');
    expect(text).toContain(
      'ratios.rssGrowth (peak RSS large / small) = 1.25 (target <= 1.15: not met)',
    );
    expect(text).toContain(
      'ratios.throughputAtScale (tx/s large / small) = 0.95 (target >= 0.9: met)',
    );
    expect(text).toMatch(/│ large +│ 100,000 +│ 380 /);
  });
});

describe('bench import part: the table', () => {
  it('shows the ceiling, each import, every run and the ceiling by writes in flight', () => {
    const text = renderImport(imports);
    expect(text).toMatch(
      /│ ceiling: BatchWriteItem of 25, 8 in flight .*│ 4,000 \/ 5,000 \/ 4,500 +│/,
    );
    expect(text).toMatch(/│ 100,000 .*│ 3,700 \/ 3,900 \/ 3,800 +│/);
    expect(text).toMatch(
      /│ txc import --local \(CSV\) +│ 100,000 +│ 3,900 +│ [\d.]+ +│ [\d.]+ +│ 200 +│ 140 +│ 60 +│/,
    );
    expect(text).toContain(
      'import ceiling items/s by writes in flight: 4: 4,000, 8: 5,000, 16: 4,500; the 100,000-row import ran after each level (its fastest run is compared)',
    );
    expect(renderImport({ ...imports, large: null }).match(/txc import --local/g)).toHaveLength(1);
  });
});

function measure(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench/measure.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('bench measurements (child processes, small counts)', () => {
  it.each([
    ['ceiling', 200, 0],
    ['baseline', 60, 0],
    ['workflow', 300, 0],
  ])(
    '%s over %i transactions prints one result that adds up',
    async (kind, transactions, latency) => {
      const r = await measure([
        '--kind',
        kind,
        '--transactions',
        String(transactions),
        '--latency-ms',
        String(latency),
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout.trim()) as Measurement;
      expect(result).toMatchObject({ kind, transactions, latencyMs: latency });
      expect(result.txPerSecond).toBeCloseTo(transactions / result.seconds, -1);
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
      expect(result.peakRssMb).toBeGreaterThan(0);
      if (kind === 'workflow')
        expect((result.confirmed ?? 0) + (result.rejected ?? 0)).toBe(transactions);
      if (kind === 'ceiling')
        expect(Object.keys(result.writesPerSecondByConcurrency ?? {})).toHaveLength(4);
    },
  );

  it('a bad flag is a usage error (exit 2) naming the flag', async () => {
    const r = await measure(['--kind', 'ceiling', '--transactions', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--transactions must be an integer');
  });
});

describe('bench scale part (npm start --data-dir in a child process)', () => {
  it('reads the run report and the peak RSS the preload wrote at exit', async () => {
    const p = await measureScale(300);
    expect(p.transactions).toBe(300);
    expect(p.txPerSecond).toBeGreaterThan(0);
    expect(p.wallSeconds).toBeGreaterThanOrEqual(p.runSeconds);
    // A node process running dynalite and the workflow: well above an empty node's ~40 MB.
    expect(p.peakRssMb).toBeGreaterThan(100);
    // Sampled parts of it: each below the peak, the anonymous part most of it.
    expect(p.peakAnonMb).toBeGreaterThan(50);
    expect(p.peakAnonMb).toBeLessThanOrEqual(p.peakRssMb);
    expect(p.peakFileMb).toBeGreaterThan(0);
    expect(p.peakFileMb).toBeLessThanOrEqual(p.peakRssMb);
  });
});

describe('bench import part (txc local serve, txc import and the ceiling in child processes)', () => {
  it("generates an export whose rows are the ceiling's PENDING transactions, streamed to disk", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-test-'));
    try {
      const file = path.join(dir, 'export.csv');
      await writeExport(file, 2500);
      const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(2501);
      expect(lines[0]).toBe('id,amount,currency,createdAt,status');
      const ids = new Set<string>();
      for (const [i, line] of lines.slice(1).entries()) {
        const [id, amount, currency, createdAt, status] = line.split(',');
        const mapped = mapRow({ id, amount, currency, createdAt, status }, DEFAULT_MAPPING);
        expect(mapped).toEqual({ kind: 'pending', id, input: benchTransaction(i) });
        if (mapped.kind === 'pending') {
          expect(checkNewPending(mapped.input, { shardCount: 8 }).ok).toBe(true);
        }
        ids.add(id);
      }
      expect(ids.size).toBe(2500);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ceiling writes every item with BatchWriteItem from its own process', async () => {
    const run = await measureCeilingRun(300, 4);
    expect(run).toMatchObject({ concurrency: 4, items: 300 });
    expect(run.itemsPerSecond).toBeCloseTo(300 / run.seconds, -1);
    expect(run.peakRssMb).toBeGreaterThan(50);
  });

  it("the import reads the summary of `txc import --json` and the importer's own peak RSS", async () => {
    const p = await measureImport(300);
    expect(p).toMatchObject({ rows: 300, imported: 300 });
    expect(p.rowsPerSecond).toBeGreaterThan(0);
    expect(p.wallSeconds).toBeGreaterThanOrEqual(p.seconds);
    // The importer alone (node, tsx, the SDK): well below the store's process, above an empty node.
    expect(p.peakRssMb).toBeGreaterThan(60);
    expect(p.peakAnonMb).toBeLessThanOrEqual(p.peakRssMb);
    expect(p.peakFileMb).toBeLessThanOrEqual(p.peakRssMb);
  });
});
