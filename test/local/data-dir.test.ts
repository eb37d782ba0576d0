// The data dir and the temporary folder of the local runtime: an unusable --data-dir fails at once
// with DataDirUnusable (no recursive mkdir: Node's loops forever under /proc), an in-memory
// runtime removes its logs folder when it closes (unless kept), and demo ids are the seed's.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { prepareDataDir } from '../../local/runtime/data-dir';
import { LocalRuntime } from '../../local/runtime/local-runtime';
import { startNpmStart } from '../support/npm-start';
import { serve } from '../ops/local-serve';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-datadir-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;
const ROOT = path.resolve(__dirname, '..', '..');
/** tsx's CommonJS hook: lets a plain `node -e` child require the TypeScript sources. */
const TSX_CJS = require.resolve('tsx/cjs');

describe('prepareDataDir', () => {
  it('creates a missing dir and its missing parents; a new one is not "reopened"', () => {
    const dir = path.join(tmp, 'a', 'b', 'c');
    expect(prepareDataDir(dir)).toEqual({ path: dir, reopened: false });
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.mkdirSync(path.join(dir, 'dynamodb'));
    expect(prepareDataDir(dir).reopened).toBe(true);
  });

  it.each<[string, () => string, RegExp]>([
    [
      'a path under /proc (where Node’s recursive mkdir never returns)',
      () => '/proc/txconfirm-data',
      /^\/proc\/txconfirm-data cannot be created: ENOENT: .*\(this file system does not let directories be created here\)$/,
    ],
    [
      'a deeper path under /proc',
      () => '/proc/x/y/z',
      /^\/proc\/x\/y\/z cannot be created: ENOENT/,
    ],
    [
      'a file',
      () => {
        const file = path.join(tmp, 'a-file');
        fs.writeFileSync(file, 'x');
        return file;
      },
      /is not a directory; give a directory for the store$/,
    ],
    ['a path under a file', () => path.join(tmp, 'a-file', 'sub'), /cannot be used: ENOTDIR/],
    [
      'a dangling symbolic link',
      () => {
        const link = path.join(tmp, 'dangling');
        fs.symlinkSync(path.join(tmp, 'nowhere', 'at-all'), link);
        return path.join(link, 'data');
      },
      /cannot be created: .*dangling is a symbolic link to nothing$/,
    ],
    [
      'an existing directory that cannot be written',
      () => '/proc/self',
      /^\/proc\/self is not writable: /,
    ],
    ['an empty path', () => '  ', /must not be empty/],
  ])('%s: DataDirUnusable at once, naming the path', (_what, dir, message) => {
    // At once: before the fix, Node's recursive mkdir looped forever under /proc (the test's
    // timeout would end it).
    const dirPath = dir();
    expect(() => prepareDataDir(dirPath)).toThrow(message);
    expect(() => prepareDataDir(dirPath)).toThrow(
      expect.objectContaining({ name: 'DataDirUnusable' }),
    );
  });

  it('a read-only directory (as an unprivileged user: root writes anyway)', () => {
    // World-readable parents, so that the unprivileged user reaches the directory.
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-readonly-'));
    fs.chmodSync(base, 0o755);
    const dir = path.join(base, 'read-only');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o555);
    try {
      const errors = isRoot
        ? prepareAsNobody([dir, path.join(dir, 'sub')])
        : [dir, path.join(dir, 'sub')].map((d) => {
            try {
              prepareDataDir(d);
              return 'no error';
            } catch (error) {
              return `${(error as Error).name}: ${(error as Error).message}`;
            }
          });
      expect(errors[0]).toMatch(/^DataDirUnusable: .* is not writable: EACCES.*\(no permission\)/);
      expect(errors[1]).toMatch(/^DataDirUnusable: .* cannot be created: EACCES/);
    } finally {
      fs.chmodSync(dir, 0o755);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

/** prepareDataDir of each dir in a child process running as `nobody` (uid 65534): its errors. */
function prepareAsNobody(dirs: string[]): string[] {
  const script = `
    const { prepareDataDir } = require(${JSON.stringify(path.join(ROOT, 'local', 'runtime', 'data-dir.ts'))});
    const out = ${JSON.stringify(dirs)}.map((d) => {
      try { prepareDataDir(d); return 'no error'; }
      catch (e) { return e.name + ': ' + e.message; }
    });
    process.stdout.write(JSON.stringify(out));`;
  const child = spawnSync(process.execPath, ['--require', TSX_CJS, '-e', script], {
    cwd: ROOT,
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json') },
  });
  if (child.status !== 0) throw new Error(`the child as nobody failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

describe('--data-dir on an unusable path: exit 2 at once, with the error named', () => {
  it('npm start -- --data-dir /proc/x', async () => {
    const r = await startNpmStart(['--data-dir', '/proc/x', '--transactions', '1']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^txconfirm-local: DataDirUnusable: \/proc\/x cannot be created: ENOENT/m,
    );
    expect(r.stdout).toBe('');
  });

  it('txc local serve --data-dir <a file>', async () => {
    const file = path.join(tmp, 'serve-file');
    fs.writeFileSync(file, '');
    await expect(serve(['--data-dir', file])).rejects.toThrow(
      /serve exited 2: .*DataDirUnusable: .*serve-file is not a directory/s,
    );
  });
});

describe('the temporary folder of an in-memory runtime', () => {
  it('is removed when the runtime closes; keepLogs keeps it', async () => {
    const removed = await LocalRuntime.start({ provider: { latencyMs: 0 } });
    const folder = path.dirname(removed.logFile);
    expect(fs.existsSync(folder)).toBe(true);
    expect(removed.logsRemovedOnClose).toBe(true);
    await removed.close();
    expect(fs.existsSync(folder)).toBe(false);

    const kept = await LocalRuntime.start({ provider: { latencyMs: 0 }, keepLogs: true });
    expect(kept.logsRemovedOnClose).toBe(false);
    await kept.close();
    expect(fs.existsSync(kept.logFile)).toBe(true);
    fs.rmSync(path.dirname(kept.logFile), { recursive: true, force: true });
  });
});

describe('--seed: demo ids and outcomes', () => {
  const isolate = (load: () => void) => jest.isolateModules(load);
  const provider = (seed: number) => ({
    latencyMs: 0,
    seed,
    rejectionRate: 0.2,
    transientErrorRate: 0.2,
    modes: { permanentErrorRate: 0.1 },
  });

  async function outcomes(seed: number): Promise<Map<string, string>> {
    const rt = await LocalRuntime.start({
      retryIntervalScale: 0,
      isolateModules: isolate,
      provider: provider(seed),
    });
    try {
      const ids = await rt.seedTransactions(120);
      expect(ids[0]).toBe(`demo-${seed}-0000001`);
      expect(ids.at(-1)).toBe(`demo-${seed}-0000120`);
      await rt.waitForRun(rt.startRun({}).executionArn);
      const items = await rt.ddb.send(
        new ScanCommand({ TableName: rt.stack.tableNames.transactions }),
      );
      return new Map((items.Items ?? []).map((item) => [item.id as string, item.status as string]));
    } finally {
      await rt.close();
    }
  }

  it('two runs with the same seed give every transaction the same outcome', async () => {
    const first = await outcomes(9);
    const second = await outcomes(9);
    expect(new Set(first.values()).size).toBeGreaterThanOrEqual(3);
    expect([...second.entries()].sort()).toEqual([...first.entries()].sort());
  });

  it('with a data dir, a second seeding continues the numbering (per seed)', async () => {
    const dataDir = path.join(tmp, 'seeded');
    let first: string[] = [];
    let rt = await LocalRuntime.start({ dataDir, isolateModules: isolate, provider: { seed: 4 } });
    try {
      first = await rt.seedTransactions(3);
      expect(await rt.seedTransactions(2)).toEqual(['demo-4-0000004', 'demo-4-0000005']);
    } finally {
      await rt.close();
    }
    expect(first).toEqual(['demo-4-0000001', 'demo-4-0000002', 'demo-4-0000003']);
    rt = await LocalRuntime.start({ dataDir, isolateModules: isolate, provider: { seed: 4 } });
    try {
      expect(await rt.seedTransactions(2)).toEqual(['demo-4-0000006', 'demo-4-0000007']);
    } finally {
      await rt.close();
    }
    rt = await LocalRuntime.start({ dataDir, isolateModules: isolate, provider: { seed: 5 } });
    try {
      expect(await rt.seedTransactions(1)).toEqual(['demo-5-0000001']);
    } finally {
      await rt.close();
    }
  });
});
