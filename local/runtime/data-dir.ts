/**
 * The data dir and the temporary folder of the local runtime.
 *
 * `--data-dir` is checked before anything opens it: it must be (or become) a writable directory.
 * Node's recursive mkdir (`fs.mkdir(dir, { recursive: true })`) never returns for a path whose
 * parent exists but refuses children with ENOENT — any path under `/proc` or `/sys`, or a dangling
 * symbolic link on the way: it steps back to the parent on ENOENT, finds it (EEXIST) and tries the
 * child again, forever, at full CPU (the sync form blocks the event loop for good). So the dir is
 * created here one level at a time, without `recursive`, and every refusal becomes a
 * DataDirUnusable naming the path; a probe file then proves it is writable (root ignores mode
 * bits, read-only mounts do not).
 *
 * An in-memory runtime keeps its handler logs in a temporary folder, removed when the runtime
 * closes or, failing that, when the process exits (unless the caller keeps it: `--keep-logs`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataDirUnusable } from '../aws/dynalite-host';

export { DataDirUnusable };

export interface PreparedDataDir {
  /** Absolute. */
  readonly path: string;
  /** It already held a store (a restart), rather than being new or empty. */
  readonly reopened: boolean;
}

/**
 * Makes sure `dir` is a writable directory (creating it and its missing parents), or throws
 * DataDirUnusable saying why. Never hangs: no recursive mkdir.
 */
export function prepareDataDir(dir: string): PreparedDataDir {
  if (dir.trim() === '') throw new DataDirUnusable('the data dir must not be empty');
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let current = absolute; ;) {
    const stat = statOf(current, absolute);
    if (stat !== undefined) {
      if (!stat.isDirectory()) {
        throw new DataDirUnusable(
          current === absolute
            ? `${absolute} is not a directory; give a directory for the store`
            : `${absolute} cannot be created: ${current} is not a directory`,
        );
      }
      break;
    }
    if (lstatOf(current) !== undefined) {
      throw new DataDirUnusable(
        `${absolute} cannot be created: ${current} is a symbolic link to nothing`,
      );
    }
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing) {
    try {
      fs.mkdirSync(directory);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (err.code === 'EEXIST') continue;
      throw new DataDirUnusable(`${absolute} cannot be created: ${describe(err)}`, {
        cause: err,
      });
    }
  }
  const probe = path.join(absolute, `.txconfirm-write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (error) {
    throw new DataDirUnusable(`${absolute} is not writable: ${describe(error as Error)}`, {
      cause: error,
    });
  }
  return { path: absolute, reopened: fs.existsSync(path.join(absolute, 'dynamodb')) };
}

function statOf(file: string, dataDir: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return undefined;
    throw new DataDirUnusable(`${dataDir} cannot be used: ${describe(err)}`, { cause: err });
  }
}

function lstatOf(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOENT'
      ? ' (this file system does not let directories be created here)'
      : code === 'EROFS'
        ? ' (a read-only file system)'
        : code === 'EACCES' || code === 'EPERM'
          ? ' (no permission)'
          : '';
  return `${error.message}${hint}`;
}

/** Temporary folders still to remove when the process exits (closed runtimes remove their own). */
const temporaryFolders = new Set<string>();
let exitHookInstalled = false;

function removeNow(folder: string): void {
  try {
    fs.rmSync(folder, { recursive: true, force: true });
  } catch {
    // Best effort: a folder that cannot be removed is left in the system's temp dir.
  }
}

/**
 * A fresh temporary folder, removed by `remove()` (and when the process exits, unless `keep`).
 * With `keep`, it stays: the caller prints where.
 */
export function temporaryFolder(keep: boolean): { path: string; remove(): void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-'));
  if (keep) return { path: folder, remove: () => undefined };
  temporaryFolders.add(folder);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const f of temporaryFolders) removeNow(f);
    });
  }
  return {
    path: folder,
    remove: () => {
      temporaryFolders.delete(folder);
      removeNow(folder);
    },
  };
}
