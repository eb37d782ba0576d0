import * as fs from 'node:fs';

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of unsorted samples (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `n` rounded to `digits` decimals. */
export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** What bench/peak-rss.cjs wrote at a child's exit (its file named by TXCONFIRM_BENCH_PEAK_RSS_FILE), in MB. */
export function readPeakRss(file: string): {
  peakRssMb: number;
  peakAnonMb: number;
  peakFileMb: number;
} {
  const peak = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    maxRssKb: number;
    anonKb: number;
    fileKb: number;
  };
  return {
    peakRssMb: round(peak.maxRssKb / 1024),
    peakAnonMb: round(peak.anonKb / 1024),
    peakFileMb: round(peak.fileKb / 1024),
  };
}
