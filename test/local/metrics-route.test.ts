// `GET /txconfirm/metrics` and `txc local metrics` against a served local runtime: before any run
// (the stack's alarms, no data, a hint), then after one run whose provider refuses part of the
// transactions for good — the metrics the handlers emitted equal the run's summary, and the
// transactions-failed and provider-error-rate alarms are over their thresholds; the human table
// fits 80 columns; bad flags and a missing endpoint; and once as a user runs it (bin/txc.js).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { LocalMetricsReport } from '../../local/aws/local-endpoint-contract';
import { startSfnEndpoint, type SfnEndpoint } from '../../local/aws/sfn-endpoint';
import { localCommand } from '../../local/cli/local-command';
import { LocalRuntime } from '../../local/runtime/local-runtime';
import { buildTxcProgram, runTxc } from '../../ops/program';

const ROOT = path.resolve(__dirname, '..', '..');

let runtime: LocalRuntime;
let endpoint: SfnEndpoint;
let url: string;

beforeAll(async () => {
  runtime = await LocalRuntime.start({
    retryIntervalScale: 0,
    isolateModules: (load) => jest.isolateModules(load),
    provider: { latencyMs: 0, rejectionRate: 0, seed: 7 },
  });
  endpoint = await startSfnEndpoint({ runtime });
  url = endpoint.url;
});

afterAll(async () => {
  await endpoint?.stop();
  await runtime?.close();
});

/** `txc <argv>` in-process, as bin/txc.ts builds it, at 80 columns. */
async function txc(argv: string[], env: NodeJS.ProcessEnv = {}, columns = 80) {
  let out = '';
  let err = '';
  const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), columns };
  const program = buildTxcProgram({ io, env });
  program.addCommand(localCommand({ io, env }));
  const code = await runTxc(argv, { io, env }, program);
  return { code, out, err };
}

async function report(args: string[] = []): Promise<LocalMetricsReport> {
  const { code, out, err } = await txc(['local', 'metrics', '--json', '--endpoint', url, ...args]);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return JSON.parse(out) as LocalMetricsReport;
}

const alarm = (r: LocalMetricsReport, entry: string) =>
  r.alarms.find((a) => a.runbookEntry === entry);
const metric = (r: LocalMetricsReport, name: string) => r.metrics.find((m) => m.name === name);

const expectFits = (text: string, width: number) => {
  for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
};

describe('before any run', () => {
  it("lists the stack's alarms on the app metrics, with no data, and the ones not emitted offline", async () => {
    const r = await report();
    expect(r.handlerLog).toBe(runtime.logFile);
    expect(r.windowSeconds).toBe(300);
    expect(r.since).toBeNull();
    expect(r.lines.emf).toBe(0);
    expect(r.alarms.map((a) => a.runbookEntry).sort()).toEqual([
      'oldest-pending-age',
      'provider-error-rate',
      'provider-unavailable',
      'transactions-failed',
    ]);
    expect(alarm(r, 'oldest-pending-age')).toMatchObject({
      metrics: ['OldestPendingAgeSeconds'],
      expression: null,
      statistic: 'Maximum',
      periodSeconds: 900,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 900,
      value: null,
      overThreshold: null,
    });
    expect(alarm(r, 'provider-error-rate')).toMatchObject({
      metrics: expect.arrayContaining(['ProviderCalls', 'ProviderErrors']),
      expression: 'IF(calls >= 20, errors / calls, 0)',
      threshold: 0.2,
      evaluationPeriods: 2,
    });
    // Every metric an alarm watches has a row, emitted or not.
    expect(metric(r, 'TransactionsFailed')).toMatchObject({
      unit: null,
      total: { sum: 0, count: 0 },
      alarms: ['txconfirm-dev-transactions-failed'],
    });
    const offline = new Map(r.notEmittedOffline.map((a) => [a.runbookEntry, a.source]));
    expect(offline.get('executions-failed')).toBe('AWS/States');
    expect(offline.get('function-errors-and-throttles')).toBe('AWS/Lambda');
    expect(offline.get('dynamodb-throttles')).toBe('AWS/DynamoDB');
    expect(offline.get('tolerated-failure-threshold-exceeded')).toBe('log metric filter');
  });

  it('the human output says there is nothing yet and how to get some', async () => {
    const { code, out } = await txc(['local', 'metrics', '--endpoint', url]);
    expect(code).toBe(0);
    expect(out).toContain('No metrics yet: run once:');
    expect(out).toContain(`npm run txc -- start --wait --local --endpoint ${url}`);
    expectFits(out, 80);
  });
});

describe('after a run with permanent provider errors', () => {
  let confirmed: number;
  let failed: number;

  beforeAll(async () => {
    await runtime.provider.setModes({ permanentErrorRate: 0.5 });
    await runtime.seedTransactions(40);
    const outcome = await runtime.waitForRun(runtime.startRun().executionArn);
    expect(outcome.final.status).toBe('SUCCEEDED');
    confirmed = outcome.summary?.totals.confirmed ?? -1;
    failed = outcome.summary?.totals.failed ?? -1;
    expect(failed).toBeGreaterThan(0);
    expect(confirmed + failed).toBe(40);
  });

  it('--json: the emitted metrics equal the run, and the alarms compare their last period', async () => {
    const r = await report();
    expect(r.lines.emf).toBeGreaterThan(0);
    expect(r.lines.skipped).toBe(0);
    expect(metric(r, 'TransactionsConfirmed')).toMatchObject({
      namespace: 'txconfirm',
      unit: 'Count',
      total: { sum: confirmed },
      lastWindow: { sum: confirmed },
    });
    expect(metric(r, 'TransactionsFailed')?.total.sum).toBe(failed);
    expect(metric(r, 'ProviderCalls')?.total.sum).toBe(40);
    expect(metric(r, 'ProviderErrors')?.total.sum).toBe(failed);
    expect(metric(r, 'RunsSucceeded')?.total.sum).toBe(1);
    expect(metric(r, 'ProviderLatency')).toMatchObject({
      unit: 'Milliseconds',
      total: { count: 40 },
    });
    expect(Date.parse(metric(r, 'RunDuration')?.lastTimestamp ?? '')).toBeLessThanOrEqual(
      Date.parse(r.now),
    );

    expect(alarm(r, 'transactions-failed')).toMatchObject({
      value: failed,
      overThreshold: true,
      threshold: 0,
    });
    expect(alarm(r, 'provider-unavailable')).toMatchObject({ value: null, overThreshold: null });
    expect(alarm(r, 'provider-error-rate')).toMatchObject({
      value: failed / 40,
      overThreshold: failed / 40 > 0.2,
    });
    const age = alarm(r, 'oldest-pending-age');
    expect(age?.value).toBe(metric(r, 'OldestPendingAgeSeconds')?.total.max);
    expect(age?.overThreshold).toBe(false);
  });

  it('the human table fits 80 columns and names the runbook entries over threshold', async () => {
    const { code, out, err } = await txc(['local', 'metrics', '--endpoint', url]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expectFits(out, 80);
    // At 80 columns the headers wrap, entries break after hyphens, comparisons take two lines.
    expect(out).toMatch(/│ metric\s+│ last 5\s+│ total\s+│ alarm \(runbook\s+│ over\s+│/);
    const rows = out.split('\n');
    const at = rows.findIndex((l) => l.includes('TransactionsFailed'));
    expect(rows[at]).toMatch(
      new RegExp(`│ ${failed}\\s+│ ${failed}\\s+│ transactions-\\s+│ YES: ${failed}\\s+│`),
    );
    expect(rows[at + 1]).toMatch(/│ failed\s+│ > 0\s+│$/);
    expect(rows.find((l) => l.includes('OldestPendingAgeSeconds'))).toMatch(
      /│ oldest-pending-\s+│ no: /,
    );
    expect(out).toContain('Over threshold — what to do: docs/runbook.md#transactions-failed');
    expect(out).toContain('Not emitted offline');
    expect(out).not.toContain('No metrics yet');
  });

  it('on a wide terminal every alarm takes one line', async () => {
    const { out } = await txc(['local', 'metrics', '--endpoint', url], {}, 140);
    expectFits(out, 140);
    expect(out.split('\n').find((l) => l.includes('TransactionsFailed'))).toMatch(
      new RegExp(`│ transactions-failed\\s+│ YES: ${failed} > 0\\s+│$`),
    );
    expect(out).toMatch(
      /│ oldest-pending-age\s+│ no: [\d.]+ ≤ 900\s+│\n.*│ \(max, 15 min\)\s+│\s+│/,
    );
  });

  it('--since: data points of the last DURATION; a bad one is a usage error naming the flag', async () => {
    const r = await report(['--since', '10m']);
    expect(Date.parse(r.now) - Date.parse(r.since ?? '')).toBe(600_000);
    expect(metric(r, 'TransactionsConfirmed')?.total.sum).toBe(confirmed);

    const bad = await txc(['local', 'metrics', '--since', '30', '--endpoint', url]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since must be a number with a unit');
    expect(bad.err).toContain('(add a unit: 30s)');

    const response = await fetch(`${url}/txconfirm/metrics?since=yesterday`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BadRequest', message: /since/ });
    expect((await fetch(`${url}/txconfirm/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('a stack flag is a usage error; no endpoint is EndpointUnreachable', async () => {
    const stack = await txc(['local', 'metrics', '--stage', 'prod']);
    expect(stack.code).toBe(2);
    expect(stack.err).toContain('txc local metrics acts on a local endpoint: drop --stage');

    const none = await txc(['local', 'metrics'], { TXC_ENDPOINT: 'http://127.0.0.1:9' });
    expect(none.code).toBe(1);
    expect(none.err).toContain('EndpointUnreachable: nothing answers at http://127.0.0.1:9');
  });

  it('as a user runs it: bin/txc.js into a pipe (80 columns)', async () => {
    const child = spawn(process.execPath, ['bin/txc.js', 'local', 'metrics', '--endpoint', url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('TransactionsConfirmed');
    expectFits(stdout, 80);
  });
});
