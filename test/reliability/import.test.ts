// An import followed by runs keeps docs/architecture.md §4: nothing the file held is lost or
// doubled, whatever the provider does; importing the same file again after the run changes
// nothing. `npm start --import` and `txc local serve --import` seed from a file as a user runs them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importIntoRuntime } from '../../local/runtime/import-file';
import { startNpmStart } from '../support/npm-start';
import { serve, txc } from '../ops/local-serve';
import { expectInvariants, runUntilDrained, scaled, withRuntime } from './support';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-import-rel-'));
const cwd = process.cwd();
beforeAll(() => process.chdir(tmp)); // the import's report goes to the working folder
afterAll(() => {
  process.chdir(cwd);
  // npm start and txc local serve run in the project: their reports land there.
  for (const report of ['sample.import-report.csv', 'bad.import-report.csv']) {
    fs.rmSync(path.join(cwd, report), { force: true });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function exportFile(name: string, count: number): { file: string; ids: string[] } {
  const ids = Array.from({ length: count }, (_, i) => `imp-${String(i + 1).padStart(5, '0')}`);
  const file = path.join(tmp, name);
  fs.writeFileSync(
    file,
    [
      'id,amount,currency,createdAt,status',
      ...ids.map((id, i) => `${id},${(i % 900) + 100},EUR,2026-11-30T08:00:00.000Z,PENDING`),
    ].join('\n'),
  );
  return { file, ids };
}

test('imported transactions are confirmed exactly once under provider failures; a second import is all unchanged', async () => {
  const { file, ids } = exportFile('backlog.csv', scaled(300));
  await withRuntime(
    { provider: { transientErrorRate: 0.2, rejectionRate: 0.1, timeoutRate: 0.05, seed: 5 } },
    async (runtime) => {
      const first = await importIntoRuntime(runtime, file);
      expect(first).toMatchObject({ read: ids.length, imported: ids.length });
      await runUntilDrained(runtime);
      const report = await expectInvariants(runtime, ids);
      expect(report.counts.PENDING).toBe(0);

      const again = await importIntoRuntime(runtime, file);
      expect(again).toMatchObject({ imported: 0, unchanged: ids.length, terminal: ids.length });
      // Nothing went back to PENDING, nothing was written twice.
      await expectInvariants(runtime, ids);
    },
  );
});

test('npm start --import FILE runs the workflow over the file instead of demo transactions', async () => {
  const run = await startNpmStart([
    '--import',
    path.join(cwd, 'examples', 'sample.csv'),
    '--json',
    '--failure-rate',
    '0',
  ]).done;
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as { seeded: number; store: Record<string, number> };
  expect(report.seeded).toBe(50);
  expect(report.store.PENDING).toBe(0);
  expect(report.store.CONFIRMED + report.store.REJECTED).toBe(50);
});

test('npm start --import with rejected rows runs nothing and names the report; --import with --transactions is a usage error', async () => {
  const bad = path.join(tmp, 'bad.csv');
  fs.writeFileSync(
    bad,
    'id,amount,currency,createdAt,status\nok-1,5,EUR,2026-11-30T08:00:00Z,PENDING\nbad-1,-5,EUR,2026-11-30T08:00:00Z,PENDING\n',
  );
  const run = await startNpmStart(['--import', bad]).done;
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('ImportIncomplete:');
  expect(run.stderr).toContain(
    `1 rejected and 0 in conflict of 2 rows (listed in ${path.join(cwd, 'bad.import-report.csv')}); nothing was run`,
  );
  const both = await startNpmStart(['--import', bad, '--transactions', '5']).done;
  expect(both.code).toBe(2);
  expect(both.stderr).toContain(
    "option '--import <file>' cannot be used with option '--transactions <n>'",
  );
});

test('txc local serve --import FILE serves a store seeded from the file', async () => {
  const served = await serve([
    '--no-schedule',
    '--import',
    path.join(cwd, 'examples', 'sample.csv'),
  ]);
  try {
    const pending = await txc(served.info.stepFunctionsEndpoint, ['pending', '--json']);
    expect(JSON.parse(pending.stdout)).toMatchObject({ total: 50 });
  } finally {
    await served.stop();
  }
});
