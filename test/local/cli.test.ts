// `npm start` as a user runs it: a child process, its exit codes, its --json summary, and a
// SIGKILL in the middle of a run followed by a restart on the same data dir.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { dev } from '../../lib/stages';
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

  it('SIGKILL mid-run with --data-dir: the restart marks the execution ABORTED, frees the lock and finishes the job', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-cli-'));
    const callLog = path.join(dataDir, 'provider-calls.jsonl');
    const first = start([
      '--transactions',
      '2000',
      '--provider-latency-ms',
      '5',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    const deadline = Date.now() + 60_000;
    while (!(fs.existsSync(callLog) && fs.statSync(callLog).size > 20_000)) {
      if (Date.now() > deadline) throw new Error('the first run never called the provider');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    const second = await run(['--transactions', '0', '--data-dir', dataDir, '--json']);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout.trim()) as {
      status: string;
      store: Record<string, number>;
    };
    // Not SKIPPED: the killed execution's lock was released at start, as the AWS rule would.
    expect(report.status).toBe('SUCCEEDED');
    expect(report.store.PENDING).toBe(0);
    expect(report.store.CONFIRMED + report.store.REJECTED + report.store.FAILED).toBe(2000);
    expect(report.store.OTHER).toBe(0);

    // No double charge across the crash: every key the provider saw (in both processes) kept one
    // final outcome, and every transaction got exactly one.
    const finals = new Map<string, Set<string>>();
    for (const line of fs.readFileSync(callLog, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let call: { idempotencyKey?: string; outcome?: string; reference?: string };
      try {
        call = JSON.parse(line) as typeof call;
      } catch {
        continue; // the killed process may have torn its last line
      }
      if (call.outcome !== 'confirmed' && call.outcome !== 'rejected') continue;
      const set = finals.get(call.idempotencyKey!) ?? new Set<string>();
      set.add(`${call.outcome}:${call.reference ?? ''}`);
      finals.set(call.idempotencyKey!, set);
    }
    expect(finals.size).toBe(2000);
    expect([...finals.values()].filter((set) => set.size !== 1)).toEqual([]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
