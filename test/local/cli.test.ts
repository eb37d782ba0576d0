// `npm start` as a user runs it: a child process, its exit codes, its --json summary and
// --schedule. SIGKILL mid-run and the restart are in test/reliability/restart.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { dev } from '../support/stages';
import { startNpmStart } from '../support/npm-start';

const start = startNpmStart;

const run = (args: string[]) => start(args).done;

describe('npm start (bin/txconfirm-local.ts)', () => {
  it('--help lists the flags and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--transactions',
      '--provider-latency-ms',
      '--failure-rate',
      '--rejection-rate',
      '--data-dir',
      '--json',
      '--schedule',
      '--keep-logs',
      '--permanent-error-rate',
      '--auth-failure',
      '--outage',
      '--outage-mode',
      '--slow',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it.each([
    [['--transactions', '-1'], /--transactions/],
    [['--transactions', 'ten'], /--transactions must be an integer/],
    [['--failure-rate', '2'], /--failure-rate must be a number 0\.\.1, got "2"/],
    [['--rejection-rate', 'x'], /--rejection-rate/],
    [['--no-such-flag'], /unknown option/],
    [['--outage', '30'], /--outage duration must be a number with a unit .*\(add a unit: 30s\)/],
    [['--outage', '30s@@1s'], /--outage must be DURATION\[@START\]/],
    [['--slow', 'fast'], /--slow latency must be a number with a unit/],
    [['--auth-failure', '500'], /--auth-failure must be 401 or 403, got "500"/],
    [['--outage-mode', 'drop'], /--outage-mode/],
    [['--outage-mode', 'refuse'], /--outage-mode goes with --outage/],
    [['--permanent-error-rate', '2'], /--permanent-error-rate must be a number 0\.\.1, got "2"/],
    [['surplus'], /too many arguments|unknown command|excess/i],
  ])('usage error %j exits 2 with a message naming the problem', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--json prints this run and the store-wide counts; every seeded transaction is terminal', async () => {
    const r = await run([
      '--transactions',
      '300',
      '--provider-latency-ms',
      '0',
      '--rejection-rate',
      '0.2',
      '--json',
      // Read below: without it, the temporary folder is gone when the process exits.
      '--keep-logs',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.trim()) as Record<string, unknown> & {
      store: Record<string, number>;
    };
    expect(report).toMatchObject({ status: 'SUCCEEDED', seeded: 300, deferred: 0, failed: 0 });
    for (const key of [
      'confirmed',
      'rejected',
      'failed',
      'deferred',
      'durationMs',
      'txPerSecond',
    ]) {
      expect(typeof report[key]).toBe('number');
    }
    expect((report.confirmed as number) + (report.rejected as number)).toBe(300);
    expect(report.rejected).toBeGreaterThan(20);
    expect(report.store).toEqual({
      PENDING: 0,
      CONFIRMED: report.confirmed,
      REJECTED: report.rejected,
      FAILED: 0,
      OTHER: 0,
    });
    // Handler logs went to the file (structured, with correlation keys), not over the output.
    const logLines = fs
      .readFileSync(report.logFile as string, 'utf8')
      .trim()
      .split('\n');
    const completed = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.message === 'transaction completed');
    expect(completed.length).toBe(300);
    expect(completed[0]).toMatchObject({ transactionId: expect.any(String) });
    expect(r.stdout).not.toContain('transaction completed');
    expect(report.logsRemovedOnExit).toBe(false);
    fs.rmSync(path.dirname(report.logFile as string), { recursive: true, force: true });
  });

  it('--schedule runs on the stack schedule until Ctrl-C, then stops gracefully with exit 0', async () => {
    const scheduled = start([
      '--schedule',
      '--transactions',
      '100',
      '--provider-latency-ms',
      '0',
      '--json',
    ]);
    let out = '';
    scheduled.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('\n')) {
      if (Date.now() > deadline) throw new Error('no run summary from --schedule');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    scheduled.child.kill('SIGINT');
    const r = await scheduled.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Schedule ${dev.scheduleExpression}`);
    const reports = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { status: string; store: Record<string, number> });
    expect(reports[0]).toMatchObject({ status: 'SUCCEEDED', store: { PENDING: 0 } });
  });
});
