/**
 * The ids an import has read so far, and the row of each: a duplicate id inside the file is found
 * whatever the file's size. They live in a LevelDB in a temporary folder (classic-level, as the
 * simulated provider's outcome index), not in memory, so a file of ten million rows costs disk, not
 * RAM; the folder is removed when the import ends.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { LEVELDB_FEWEST_OPEN_FILES } from '../../local/aws/leveldb';

const SEEN_IDS_OPTIONS = {
  maxOpenFiles: LEVELDB_FEWEST_OPEN_FILES,
  writeBufferSize: 2 ** 20,
  maxFileSize: 2 ** 20,
};

export interface SeenIds {
  /**
   * Records the rows of `entries` (in file order) and returns, for each, the earlier row that had
   * the same id (in an earlier call or earlier in this one), or undefined.
   */
  see(entries: readonly { id: string; row: number }[]): Promise<(number | undefined)[]>;
  /** Closes and removes the store. */
  close(): Promise<void>;
}

export async function openSeenIds(): Promise<SeenIds> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'txc-import-ids-'));
  const db = new ClassicLevel<string, string>(dir, SEEN_IDS_OPTIONS);
  try {
    await db.open();
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    see: async (entries) => {
      if (entries.length === 0) return [];
      const stored = await db.getMany(entries.map((e) => e.id));
      const earlier = new Map<string, number>();
      const result = entries.map((entry, i) => {
        const before = stored[i] === undefined ? earlier.get(entry.id) : Number(stored[i]);
        if (before === undefined) earlier.set(entry.id, entry.row);
        return before;
      });
      await db.batch(
        [...earlier].map(([key, row]) => ({ type: 'put' as const, key, value: String(row) })),
      );
      return result;
    },
    close: async () => {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
