// `npm start` as a user runs it, for what it prints around a run: the status lines while it
// starts, the summary within 80 columns (stdout is not a terminal), the next steps after a run
// that left work — and every printed command, pasted into a shell as is, works.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startNpmStart } from '../support/npm-start';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-hints-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A free loopback port (for $TXC_ENDPOINT: the pasted `local serve` must not need 8083). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The commands of the `Next:` hints: indented lines, ` \` continuations joined. */
function printedCommands(stdout: string): string[] {
  const commands: string[] = [];
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (current !== undefined) {
      current += `\n${line}`;
      if (!line.endsWith(' \\')) {
        commands.push(current);
        current = undefined;
      }
      continue;
    }
    if (/^ {2}npm /.test(line)) {
      if (line.endsWith(' \\')) current = line.trim();
      else commands.push(line.trim());
    }
  }
  return commands;
}

interface Shell {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A printed command, through a shell, in the project (where npm runs its scripts). */
function sh(
  command: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<Shell> } {
  const child = spawn('sh', ['-c', command], {
    cwd: ROOT,
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a long-running command (local serve) is stopped with its children.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Shell>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe('npm start: status lines, an 80-column summary, next steps that work when pasted', () => {
  it('a run that leaves PENDING and FAILED work in a data dir: each printed command runs', async () => {
    const dataDir = path.join(tmp, 'data');
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    // The user's shell has it set (startNpmStart passes this process's environment on).
    process.env.TXC_ENDPOINT = endpoint;
    const run = startNpmStart([
      '--data-dir',
      dataDir,
      '--transactions',
      '80',
      '--provider-latency-ms',
      '0',
      '--failure-rate',
      '0.4',
      '--permanent-error-rate',
      '0.15',
      '--seed',
      '5',
    ]);
    delete process.env.TXC_ENDPOINT;
    const first = await run.done;
    expect(first.code).toBe(0);

    // Start-up said what it was doing (plain lines: stderr is not a terminal).
    for (const step of [
      'synthesizing the stack…',
      `opening the store in ${dataDir}…`,
      'seeding 80 demo transactions…',
    ]) {
      expect(first.stderr).toContain(`${step}\n`);
    }
    expect(first.stderr).not.toContain('\x1b[2K');

    // Everything on stdout fits 80 columns.
    for (const line of first.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(first.stdout).toMatch(/^Next: \d+ still PENDING \(the provider deferred them;/m);
    expect(first.stdout).toMatch(/^Next: \d+ FAILED \(docs\/runbook\.md#transactions-failed\)/m);

    const commands = printedCommands(first.stdout);
    // As one line each (a long one is printed on several, with ` \` continuations).
    expect(commands.map((c) => c.replace(/ \\\n\s+/g, ' '))).toEqual([
      `npm start -- --data-dir ${dataDir} --transactions 0`,
      `npm run txc -- local serve --port ${new URL(endpoint).port} --data-dir ${dataDir} --no-schedule`,
      `npm run txc -- failed --local --endpoint ${endpoint}`,
      `npm run txc -- requeue --all-failed --reason 'provider fixed' --local --endpoint ${endpoint}`,
    ]);

    // 1. Run again: what was PENDING is done (the provider is not failing any more).
    const again = await sh(commands[0], {}).done;
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/^Next: .*still PENDING/m);

    // 2. Serve the data dir (on $TXC_ENDPOINT's port, which the hint names), 3. see why, 4. requeue.
    // In a fresh terminal: every hint names its endpoint, none relies on $TXC_ENDPOINT.
    const served = sh(commands[1], {});
    let banner = '';
    served.child.stdout?.on('data', (d: Buffer) => (banner += d.toString()));
    try {
      const deadline = Date.now() + 120_000;
      while (!banner.includes(`Step Functions endpoint: ${endpoint}`)) {
        if (Date.now() > deadline || served.child.exitCode !== null) {
          throw new Error(`local serve did not start: ${banner}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const failed = await sh(commands[2], {}).done;
      expect(failed.code).toBe(0);
      expect(failed.stdout).toMatch(/demo-5-\d{7}/);
      expect(failed.stdout).toContain('PROVIDER_HTTP_400');
      const requeued = await sh(commands[3], {}).done;
      expect(requeued.code).toBe(0);
      expect(requeued.stdout).toMatch(/requeued [1-9]\d*, skipped 0, errors 0/);
    } finally {
      if (served.child.pid !== undefined && served.child.exitCode === null) {
        process.kill(-served.child.pid, 'SIGTERM');
      }
      await served.done;
    }
  });

  it('an in-memory run: no command to paste, its temporary folder is gone after exit', async () => {
    const r = await startNpmStart([
      '--transactions',
      '40',
      '--provider-latency-ms',
      '0',
      '--permanent-error-rate',
      '0.5',
    ]).done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/handler logs +│ removed on exit \(--keep-logs keeps/);
    expect(r.stdout).toMatch(/^Next: \d+ FAILED: this store was in memory and is gone/m);
    expect(printedCommands(r.stdout)).toEqual([]);
    for (const line of r.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('the temporary folder is removed on exit; --keep-logs keeps it and prints where', async () => {
    const removed = await startNpmStart([
      '--transactions',
      '5',
      '--provider-latency-ms',
      '0',
      '--json',
    ]).done;
    expect(removed.code).toBe(0);
    const report = JSON.parse(removed.stdout.trim()) as {
      logFile: string;
      logsRemovedOnExit: boolean;
    };
    expect(report.logsRemovedOnExit).toBe(true);
    expect(fs.existsSync(path.dirname(report.logFile))).toBe(false);

    const r = await startNpmStart([
      '--transactions',
      '5',
      '--provider-latency-ms',
      '0',
      '--keep-logs',
    ]).done;
    expect(r.code).toBe(0);
    const kept = /Handler logs kept in (\S+handlers\.log) \(--keep-logs\)/.exec(r.stderr)?.[1];
    expect(kept).toBeDefined();
    expect(fs.existsSync(kept!)).toBe(true);
    expect(r.stdout).toContain(kept!.slice(0, 20));
    fs.rmSync(path.dirname(kept!), { recursive: true, force: true });
  });
});
