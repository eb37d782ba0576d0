/**
 * The metrics the handlers emitted, read back from the handler log file (`<logs>/handlers.log`,
 * where local/runtime/lambdas.ts routes Powertools): CloudWatch Embedded Metric Format lines,
 *
 *   {"_aws":{"Timestamp":1796097135141,"CloudWatchMetrics":[{"Namespace":"txconfirm",
 *     "Dimensions":[["service","stage"]],"Metrics":[{"Name":"RunDuration","Unit":"Milliseconds"}]}]},
 *    "service":"txconfirm","stage":"dev","RunDuration":1265}
 *
 * a metric's value being a number or an array of numbers (one data point each). Aggregated per
 * metric name, as `txc local metrics` shows them: sum, data points, max, min, first and last
 * timestamp, and the same within trailing windows ending at `now` (an alarm's period).
 *
 * Streaming (node:readline over a read stream): memory grows with the number of distinct metric
 * names, not with the file. Every other line is left alone: an ordinary JSON log line is counted as
 * such, a line that is not JSON or an EMF blob that cannot be read is counted as skipped — never
 * thrown. A missing file is an empty result (nothing was logged yet).
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';

/** The standard alarm period: the trailing window read when none is asked for. */
export const DEFAULT_WINDOW_MS = 5 * 60_000;

/** Sum, data points, max and min of some data points (max and min null without any). */
export interface EmfStats {
  sum: number;
  count: number;
  max: number | null;
  min: number | null;
}

/** One metric name across the log. */
export interface EmfMetric extends EmfStats {
  readonly name: string;
  /** The namespace of the directive that listed it (the last one seen). */
  namespace: string;
  /** Its unit as the directive declares it (`Count`, `Milliseconds`…; `None` if not declared). */
  unit: string;
  /** Epoch ms of its first and last data point (by time, not by position in the file). */
  firstTimestamp: number;
  lastTimestamp: number;
  /** The data points of each trailing window (keyed by the window's length in ms). */
  readonly windows: Map<number, EmfStats>;
}

export interface EmfReadOptions {
  /** Where the trailing windows end (epoch ms or a Date). @default now */
  readonly now?: number | Date;
  /** Lengths of the trailing windows, in ms: (now - length, now]. @default [DEFAULT_WINDOW_MS] */
  readonly windowsMs?: readonly number[];
  /** Leave out data points before this time (epoch ms or a Date). */
  readonly since?: number | Date;
}

export interface EmfReadResult {
  readonly file: string;
  /** false: no such file (yet); everything else is 0. */
  readonly exists: boolean;
  /** Non-empty lines read. */
  lines: number;
  /** EMF blobs counted (within `since`). */
  emfLines: number;
  /** EMF blobs before `since`, left out. */
  emfLinesBeforeSince: number;
  /** Ordinary JSON log lines (no `_aws`): not metrics, left alone. */
  logLines: number;
  /** Lines that are not JSON, or EMF blobs that cannot be read (bad timestamp, value or directive). */
  skippedLines: number;
  /** Per metric name. */
  readonly metrics: Map<string, EmfMetric>;
}

const epochMs = (value: number | Date | undefined, fallback: number): number =>
  value === undefined ? fallback : typeof value === 'number' ? value : value.getTime();

/** One EMF line's data points per metric name, or undefined if the blob cannot be read. */
interface EmfBlob {
  timestamp: number;
  points: { name: string; namespace: string; unit: string; values: number[] }[];
}

/**
 * The line as an EMF blob: undefined when it is an ordinary JSON log line, `null` when it is not
 * readable (not JSON, or an `_aws` that breaks the format).
 */
function parseLine(line: string): EmfBlob | undefined | null {
  // Only a line that mentions `_aws` is parsed: log lines far outnumber metric lines.
  if (!line.includes('"_aws"')) {
    return line.startsWith('{') && line.endsWith('}') ? undefined : null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  // `_aws` inside a message, not at the top: an ordinary log line.
  if (!('_aws' in record)) return undefined;
  const aws = record._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | null;
  if (typeof aws !== 'object' || aws === null) return null;
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return null;
  if (!Array.isArray(aws.CloudWatchMetrics)) return null;
  const points: EmfBlob['points'] = [];
  const seen = new Set<string>();
  for (const directive of aws.CloudWatchMetrics as unknown[]) {
    const d = directive as { Namespace?: unknown; Metrics?: unknown } | null;
    if (typeof d?.Namespace !== 'string' || !Array.isArray(d.Metrics)) return null;
    for (const definition of d.Metrics as unknown[]) {
      const m = definition as { Name?: unknown; Unit?: unknown } | null;
      if (typeof m?.Name !== 'string') return null;
      // A name in two directives (two dimension sets) is one value of this line, counted once.
      if (seen.has(m.Name)) continue;
      seen.add(m.Name);
      const raw = record[m.Name];
      const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
      if (values.length === 0) return null;
      if (!values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) {
        return null;
      }
      points.push({
        name: m.Name,
        namespace: d.Namespace,
        unit: typeof m.Unit === 'string' ? m.Unit : 'None',
        values,
      });
    }
  }
  return { timestamp, points };
}

const emptyStats = (): EmfStats => ({ sum: 0, count: 0, max: null, min: null });

function add(stats: EmfStats, values: readonly number[]): void {
  for (const v of values) {
    stats.sum += v;
    stats.count += 1;
    stats.max = stats.max === null ? v : Math.max(stats.max, v);
    stats.min = stats.min === null ? v : Math.min(stats.min, v);
  }
}

/** Reads the EMF metrics of a handler log file (see the file comment). */
export async function readEmfMetrics(
  file: string,
  options: EmfReadOptions = {},
): Promise<EmfReadResult> {
  const now = epochMs(options.now, Date.now());
  const since = epochMs(options.since, Number.NEGATIVE_INFINITY);
  const windows = [...new Set(options.windowsMs ?? [DEFAULT_WINDOW_MS])];
  const metrics = new Map<string, EmfMetric>();
  const result: EmfReadResult = {
    file,
    exists: true,
    lines: 0,
    emfLines: 0,
    emfLinesBeforeSince: 0,
    logLines: 0,
    skippedLines: 0,
    metrics,
  };

  const input = fs.createReadStream(file, { encoding: 'utf8' });
  // Opening fails asynchronously: a missing file is an empty result, anything else is thrown.
  const opened = new Promise<boolean>((resolve, reject) => {
    input.once('ready', () => resolve(true));
    input.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? resolve(false) : reject(error),
    );
  });
  if (!(await opened)) return { ...result, exists: false };

  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    result.lines += 1;
    const blob = parseLine(line);
    if (blob === undefined) {
      result.logLines += 1;
      continue;
    }
    if (blob === null) {
      result.skippedLines += 1;
      continue;
    }
    if (blob.timestamp < since) {
      result.emfLinesBeforeSince += 1;
      continue;
    }
    result.emfLines += 1;
    const inWindow = windows.filter((w) => blob.timestamp > now - w && blob.timestamp <= now);
    for (const point of blob.points) {
      let metric = metrics.get(point.name);
      if (metric === undefined) {
        metric = {
          name: point.name,
          namespace: point.namespace,
          unit: point.unit,
          ...emptyStats(),
          firstTimestamp: blob.timestamp,
          lastTimestamp: blob.timestamp,
          windows: new Map(windows.map((w) => [w, emptyStats()])),
        };
        metrics.set(point.name, metric);
      }
      metric.namespace = point.namespace;
      metric.unit = point.unit;
      metric.firstTimestamp = Math.min(metric.firstTimestamp, blob.timestamp);
      metric.lastTimestamp = Math.max(metric.lastTimestamp, blob.timestamp);
      add(metric, point.values);
      for (const w of inWindow) add(metric.windows.get(w) as EmfStats, point.values);
    }
  }
  return result;
}
