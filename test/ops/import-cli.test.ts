// `txc import` as a user runs it: a child process against `txc local serve`, the report file, exit
// codes, and a run that confirms what was imported; Ctrl-C and kill -9 in the middle, then a re-run.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, serve, TXC, type Served, txc } from './local-serve';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-import-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Summary {
  read: number;
  imported: number;
  unchanged: number;
  rejected: number;
  conflict: number;
  skippedNotPending: number;
  interrupted: boolean;
  exitCode: number;
}

const pendingTotal = async (served: Served) => {
  const pending = await txc(served.info.stepFunctionsEndpoint, ['pending', '--json']);
  expect(pending.code).toBe(0);
  return (JSON.parse(pending.stdout) as { total: number }).total;
};

/** A CSV of `count` valid PENDING rows. */
function bigCsv(name: string, count: number): string {
  const file = path.join(tmp, `${name}.csv`);
  const lines = ['id,amount,currency,createdAt,status'];
  for (let i = 1; i <= count; i += 1) {
    lines.push(
      `${name}-${String(i).padStart(5, '0')},${100 + i},EUR,2026-11-30T08:00:00.000Z,PENDING`,
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

let served: Served;
beforeAll(async () => {
  served = await serve(['--no-schedule']);
});
afterAll(async () => {
  await served?.stop();
});

describe('txc import against txc local serve', () => {
  test('the sample imports (exit 0, --json summary, empty report) and the next run confirms it', async () => {
    const report = path.join(tmp, 'sample-report.csv');
    const imported = await txc(served.info.stepFunctionsEndpoint, [
      'import',
      'examples/sample.csv',
      '--json',
      '--report',
      report,
    ]);
    expect(imported.code).toBe(0);
    const summary = JSON.parse(imported.stdout) as Summary;
    expect(summary).toMatchObject({ read: 50, imported: 50, rejected: 0, exitCode: 0 });
    expect(fs.readFileSync(report, 'utf8')).toBe('row,line,outcome,id,field,reason\n');
    expect(await pendingTotal(served)).toBe(50);

    const run = await txc(served.info.stepFunctionsEndpoint, ['start', '--wait', '--json']);
    expect(run.code).toBe(0);
    expect(await pendingTotal(served)).toBe(0);

    // Imported again after the run: every row is there, finished; nothing is written.
    const again = await txc(served.info.stepFunctionsEndpoint, [
      'import',
      'examples/sample.csv',
      '--json',
      '--report',
      report,
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, unchanged: 50, terminal: 50 });
    expect(await pendingTotal(served)).toBe(0);
  });

  test('the legacy example with its mapping file: the pending rows imported, the others reported, exit 0', async () => {
    const report = path.join(tmp, 'legacy-report.csv');
    const result = await txc(served.info.stepFunctionsEndpoint, [
      'import',
      'examples/legacy-export.csv',
      '--mapping',
      'examples/legacy-mapping.json',
      '--report',
      report,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^imported: +20$/m);
    expect(result.stdout).toMatch(/^not pending: +10$/m);
    expect(
      fs
        .readFileSync(report, 'utf8')
        .split('\n')
        .filter((l) => l.includes(',skipped,')),
    ).toHaveLength(10);
  });

  test('a file with rejected rows exits 1 and lists them; --accept-rejects exits 0', async () => {
    const file = path.join(tmp, 'bad.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({
          id: 'cli-ok',
          amount: 5,
          currency: 'EUR',
          createdAt: '2026-11-30T08:00:00Z',
          status: 'PENDING',
        }),
        '{"id": "cli-broken"',
        JSON.stringify({
          id: 'cli-neg',
          amount: -5,
          currency: 'EUR',
          createdAt: '2026-11-30T08:00:00Z',
          status: 'PENDING',
        }),
      ].join('\n'),
    );
    const report = path.join(tmp, 'bad-report.csv');
    const first = await txc(served.info.stepFunctionsEndpoint, [
      'import',
      file,
      '--report',
      report,
    ]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(
      '2 rows rejected: fix them and import again, or pass --accept-rejects.',
    );
    expect(fs.readFileSync(report, 'utf8')).toContain('2,2,rejected,,row,"INVALID: not JSON: ');
    const accepted = await txc(served.info.stepFunctionsEndpoint, [
      'import',
      file,
      '--report',
      report,
      '--accept-rejects',
    ]);
    expect(accepted.code).toBe(0);
  });
});

describe('an interrupted import', () => {
  /** `txc import` as a child, killed with `signal` once it has written some rows. */
  async function interrupted(file: string, signal: NodeJS.Signals, base: number) {
    const child = spawn(
      process.execPath,
      [
        TXC,
        'import',
        file,
        '--json',
        '--rate',
        '400',
        '--report',
        `${file}.report`,
        '--endpoint',
        served.info.stepFunctionsEndpoint,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    );
    // Some rows are in: the store counts them.
    let exited = false;
    void closed.then(() => (exited = true));
    while (!exited && (await pendingTotal(served)) - base < 400) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (exited) throw new Error(`txc import ended before it was stopped: ${stderr}`);
    child.kill(signal);
    return { code: await closed, stdout, stderr };
  }

  /** Importing the whole file again writes the rest: all 3,000 rows are in, `written` of them unchanged. */
  async function expectRerunFinishes(file: string, base: number, written: number) {
    const rerun = await txc(served.info.stepFunctionsEndpoint, [
      'import',
      file,
      '--json',
      '--report',
      `${file}.report`,
    ]);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      read: 3000,
      unchanged: written,
      imported: 3000 - written,
    });
    expect((await pendingTotal(served)) - base).toBe(3000);
  }

  test('Ctrl-C stops after the writes in flight (exit 130, summary marked interrupted); a re-run finishes', async () => {
    const base = await pendingTotal(served);
    const file = bigCsv('sigint', 3000);
    const stopped = await interrupted(file, 'SIGINT', base);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('interrupted: finishing the writes in flight');
    const first = JSON.parse(stopped.stdout) as Summary;
    expect(first.interrupted).toBe(true);
    expect(first.imported).toBeGreaterThan(0);
    expect(first.imported).toBeLessThan(3000);
    // What the summary says was written is what the store holds.
    expect((await pendingTotal(served)) - base).toBe(first.imported);

    await expectRerunFinishes(file, base, first.imported);
  });

  test('kill -9 loses nothing a re-run does not finish', async () => {
    const base = await pendingTotal(served);
    const file = bigCsv('sigkill', 3000);
    const killed = await interrupted(file, 'SIGKILL', base);
    expect(killed.code).toBeNull();
    const written = (await pendingTotal(served)) - base;
    expect(written).toBeGreaterThan(0);
    await expectRerunFinishes(file, base, written);
  });
});
