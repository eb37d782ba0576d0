// The EMF reader of the handler log (local/runtime/emf-metrics.ts) on real files: metric lines
// among JSON logs and garbage, array values, trailing windows, `since`, a missing file, and a
// 200k-line file summed exactly (streamed: what it keeps grows with the metric names only). Plus
// the metric math the stack's alarms use (local/aws/metric-math.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateMetricMath, UnsupportedMetricMath } from '../../local/aws/metric-math';
import { DEFAULT_WINDOW_MS, readEmfMetrics } from '../../local/runtime/emf-metrics';

const NOW = Date.parse('2026-05-02T12:00:00.000Z');
const MIN = 60_000;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emf-metrics-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One EMF line as Powertools writes it. */
function emf(
  timestamp: number,
  values: Record<string, number | number[]>,
  units: Record<string, string> = {},
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: 'txconfirm',
          Dimensions: [['service', 'stage']],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: units[Name] ?? 'Count' })),
        },
      ],
    },
    service: 'txconfirm',
    stage: 'dev',
    ...values,
  });
}

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('readEmfMetrics', () => {
  it('sums EMF lines, leaves JSON logs alone and counts garbage as skipped', async () => {
    const file = write('mixed.log', [
      JSON.stringify({ level: 'INFO', message: 'batch done', runId: 'r1' }),
      emf(NOW - 20 * MIN, { TransactionsConfirmed: 10, TransactionsFailed: 0 }),
      'not json at all',
      emf(NOW - 2 * MIN, { TransactionsConfirmed: 5, TransactionsFailed: 2 }),
      emf(
        NOW - MIN,
        { ProviderLatency: [12, 30, 7], ProviderCalls: 3 },
        { ProviderLatency: 'Milliseconds' },
      ),
      '{"level":"DEBUG","message":"mentions \\"_aws\\" in a message"}',
      '{"_aws": {"Timestamp": "yesterday", "CloudWatchMetrics": []}}',
      '{"_aws": ',
      emf(NOW - MIN, { RunDuration: Number.NaN }).replace('null', '"slow"'),
      '',
      '   ',
      emf(NOW - 3 * MIN, { OldestPendingAgeSeconds: 42 }, { OldestPendingAgeSeconds: 'Seconds' }),
    ]);
    const result = await readEmfMetrics(file, { now: NOW });
    expect(result).toMatchObject({
      exists: true,
      lines: 10,
      emfLines: 4,
      emfLinesBeforeSince: 0,
      logLines: 2,
      skippedLines: 4,
    });
    expect(result.metrics.get('TransactionsConfirmed')).toMatchObject({
      namespace: 'txconfirm',
      unit: 'Count',
      sum: 15,
      count: 2,
      max: 10,
      min: 5,
      firstTimestamp: NOW - 20 * MIN,
      lastTimestamp: NOW - 2 * MIN,
    });
    // The default window is the last 5 minutes: the line of 20 minutes ago is not in it.
    expect(result.metrics.get('TransactionsConfirmed')?.windows.get(DEFAULT_WINDOW_MS)).toEqual({
      sum: 5,
      count: 1,
      max: 5,
      min: 5,
    });
    expect(result.metrics.get('TransactionsFailed')).toMatchObject({ sum: 2, count: 2, max: 2 });
    // An array is one data point per value.
    expect(result.metrics.get('ProviderLatency')).toMatchObject({
      unit: 'Milliseconds',
      sum: 49,
      count: 3,
      max: 30,
      min: 7,
    });
    expect(result.metrics.get('OldestPendingAgeSeconds')).toMatchObject({
      sum: 42,
      unit: 'Seconds',
    });
    expect(result.metrics.has('RunDuration')).toBe(false);
  });

  it('several windows, a since, data points after now', async () => {
    const file = write('windows.log', [
      emf(NOW - 14 * MIN, { RunsFailed: 1 }),
      emf(NOW - 6 * MIN, { RunsFailed: 1 }),
      emf(NOW - 4 * MIN, { RunsFailed: 1 }),
      emf(NOW, { RunsFailed: 1 }),
      emf(NOW + MIN, { RunsFailed: 1 }),
    ]);
    const all = await readEmfMetrics(file, { now: NOW, windowsMs: [5 * MIN, 15 * MIN] });
    const failed = all.metrics.get('RunsFailed');
    expect(failed?.sum).toBe(5);
    expect(failed?.windows.get(5 * MIN)?.sum).toBe(2);
    expect(failed?.windows.get(15 * MIN)?.sum).toBe(4);

    const recent = await readEmfMetrics(file, { now: NOW, since: new Date(NOW - 5 * MIN) });
    expect(recent).toMatchObject({ emfLines: 3, emfLinesBeforeSince: 2 });
    expect(recent.metrics.get('RunsFailed')).toMatchObject({
      sum: 3,
      firstTimestamp: NOW - 4 * MIN,
    });
  });

  it('a name listed by two directives of one line counts once', async () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          { Namespace: 'txconfirm', Dimensions: [['service']], Metrics: [{ Name: 'RunsSkipped' }] },
          { Namespace: 'txconfirm', Dimensions: [['stage']], Metrics: [{ Name: 'RunsSkipped' }] },
        ],
      },
      RunsSkipped: 1,
    });
    const result = await readEmfMetrics(write('two-directives.log', [line]), { now: NOW });
    expect(result.metrics.get('RunsSkipped')).toMatchObject({ sum: 1, count: 1, unit: 'None' });
  });

  it('a missing file is an empty result; an empty file too', async () => {
    const missing = await readEmfMetrics(path.join(dir, 'nope', 'handlers.log'));
    expect(missing).toMatchObject({ exists: false, lines: 0, skippedLines: 0 });
    expect(missing.metrics.size).toBe(0);
    const empty = path.join(dir, 'empty.log');
    fs.writeFileSync(empty, '');
    expect(await readEmfMetrics(empty)).toMatchObject({ exists: true, lines: 0 });
  });

  it('a directory is an error, not an empty result', async () => {
    await expect(readEmfMetrics(dir)).rejects.toThrow(/EISDIR/);
  });

  it('200k lines: exact sums, arrays included', async () => {
    const file = path.join(dir, 'big.log');
    const out = fs.createWriteStream(file);
    let confirmed = 0;
    let latencySum = 0;
    let latencyCount = 0;
    let inWindow = 0;
    const LINES = 200_000;
    for (let i = 0; i < LINES; i++) {
      let line: string;
      if (i % 4 === 0) {
        line = JSON.stringify({ level: 'INFO', message: `line ${i}`, transactionId: `tx-${i}` });
      } else if (i % 997 === 0) {
        line = `garbage ${i}`;
      } else {
        // Spread over the last 40 minutes, oldest first.
        const timestamp = NOW - Math.floor(((LINES - i) / LINES) * 40 * MIN);
        const n = i % 7;
        const latencies = [i % 50, (i * 3) % 100];
        confirmed += n;
        latencySum += latencies[0] + latencies[1];
        latencyCount += 2;
        if (timestamp > NOW - DEFAULT_WINDOW_MS) inWindow += n;
        line = emf(
          timestamp,
          { TransactionsConfirmed: n, ProviderLatency: latencies },
          { ProviderLatency: 'Milliseconds' },
        );
      }
      if (!out.write(`${line}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));

    const result = await readEmfMetrics(file, { now: NOW });
    const garbage = Array.from({ length: LINES }, (_, i) => i).filter(
      (i) => i % 4 !== 0 && i % 997 === 0,
    ).length;
    expect(result.lines).toBe(LINES);
    expect(result.logLines).toBe(LINES / 4);
    expect(result.skippedLines).toBe(garbage);
    expect(result.emfLines).toBe(LINES - LINES / 4 - garbage);
    expect(result.metrics.size).toBe(2);
    expect(result.metrics.get('TransactionsConfirmed')).toMatchObject({
      sum: confirmed,
      count: result.emfLines,
      max: 6,
      min: 0,
    });
    expect(result.metrics.get('TransactionsConfirmed')?.windows.get(DEFAULT_WINDOW_MS)?.sum).toBe(
      inWindow,
    );
    expect(result.metrics.get('ProviderLatency')).toMatchObject({
      sum: latencySum,
      count: latencyCount,
      max: 99,
      min: 0,
    });
  });
});

describe('evaluateMetricMath', () => {
  const RATE = 'IF(calls >= 20, errors / calls, 0)';

  it('the provider error rate: IF, comparison, division', () => {
    expect(evaluateMetricMath(RATE, { calls: 100, errors: 25 })).toBe(0.25);
    expect(evaluateMetricMath(RATE, { calls: 10, errors: 10 })).toBe(0);
    // No data point for calls: no value (CloudWatch has none either).
    expect(evaluateMetricMath(RATE, { calls: null, errors: null })).toBeNull();
  });

  it('FILL, precedence, parentheses, unary minus', () => {
    expect(
      evaluateMetricMath('FILL(a, 0) + FILL(b, 0) + FILL(c, 0)', { a: 1, b: null, c: 2 }),
    ).toBe(3);
    expect(evaluateMetricMath('a + b * 2', { a: 1, b: 3 })).toBe(7);
    expect(evaluateMetricMath('(a + b) * 2', { a: 1, b: 3 })).toBe(8);
    expect(evaluateMetricMath('-a + 10 / 4', { a: 1 })).toBe(1.5);
    expect(evaluateMetricMath('a / b', { a: 1, b: 0 })).toBeNull();
    expect(evaluateMetricMath('IF(a > 1, 5)', { a: 0 })).toBeNull();
  });

  it('what it does not read is named, never guessed', () => {
    expect(() => evaluateMetricMath('RATE(a)', { a: 1 })).toThrow(UnsupportedMetricMath);
    expect(() => evaluateMetricMath('a AND b', { a: 1, b: 1 })).toThrow(/after the expression/);
    expect(() => evaluateMetricMath('a + x', { a: 1 })).toThrow(/no metric "x"/);
    expect(() => evaluateMetricMath('FILL(a, REPEAT)', { a: 1 })).toThrow(/REPEAT/);
    expect(() => evaluateMetricMath('a $ b', { a: 1, b: 1 })).toThrow(/cannot read/);
  });
});
