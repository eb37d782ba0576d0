/**
 * The `scale` part of `npm run bench`: `npm start`'s own entry point (bin/txconfirm-local.ts) with
 * `--data-dir` on a fresh folder, at a small and a large backlog, each in its own process. Its
 * throughput comes from the run's `--json` report; its peak RSS from the process itself, written
 * at exit by bench/peak-rss.cjs (preloaded with --require), so nothing in the CLI is bench-only.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPeakRss, round } from './stats';
import type { RunReport } from '../local/cli/run';

const ROOT = path.resolve(__dirname, '..');

/** One backlog size run through `npm start --data-dir`. */
export interface ScalePoint {
  transactions: number;
  txPerSecond: number;
  /** The run's own time (seeding excluded), as the report gives it. */
  runSeconds: number;
  /** The whole process: start, seeding, run, summary. */
  wallSeconds: number;
  peakRssMb: number;
  /** The highest anonymous (heap, native allocations) and file-backed (mapped store files) RSS seen. */
  peakAnonMb: number;
  peakFileMb: number;
}

/**
 * Runs `npm start -- --data-dir <fresh> --transactions N --json` (every other flag at npm start's
 * default, the simulated provider's latency included) and reads what it printed.
 */
export async function measureScale(transactions: number): Promise<ScalePoint> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-bench-scale-'));
  const rssFile = path.join(dir, 'peak-rss');
  const started = Date.now();
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          '--require',
          path.join(__dirname, 'peak-rss.cjs'),
          '--import',
          'tsx',
          path.join(ROOT, 'bin', 'txconfirm-local.ts'),
          '--data-dir',
          path.join(dir, 'data'),
          '--transactions',
          String(transactions),
          '--json',
        ],
        {
          cwd: ROOT,
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, NODE_NO_WARNINGS: '1', TXCONFIRM_BENCH_PEAK_RSS_FILE: rssFile },
        },
        (error, out, stderr) => {
          if (error) {
            reject(
              new Error(`npm start with ${transactions} failed: ${stderr.trim() || error.message}`),
            );
          } else {
            resolve(out);
          }
        },
      );
    });
    const report = JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunReport;
    if (report.status !== 'SUCCEEDED' || report.store.PENDING !== 0) {
      throw new Error(
        `npm start with ${transactions} ended ${report.status} with ${report.store.PENDING} still PENDING`,
      );
    }
    return {
      transactions,
      txPerSecond: report.txPerSecond,
      runSeconds: round(report.durationMs / 1000),
      wallSeconds: round((Date.now() - started) / 1000),
      ...readPeakRss(rssFile),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
