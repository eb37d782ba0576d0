/**
 * The provider's memory of final outcomes: like a real provider it acts once per idempotency key,
 * so the first final outcome (confirmed or rejected) of a key is kept and replayed for every later
 * call with that key.
 *
 * Two homes, one behaviour:
 * - in memory (no file given): every outcome in a Map, for tests and in-memory runs;
 * - on disk (a file): a real provider outlives our process, so after a crash of the local runtime
 *   a retried key must still get its first outcome (no double charge). The JSON Lines file is the
 *   record: a line is appended synchronously before the answer is sent, so a crash right after
 *   the answer cannot lose it. Lookups go through a LevelDB index next to it (`<file>.index`),
 *   because a backlog of N keeps N outcomes: held in memory that grew a local run by ~260 B per
 *   transaction (docs/performance.md, "Memory of a local run"). Only the keys of calls in progress
 *   are in memory: the HTTP layer holds a key (loading its outcome) before the decision module
 *   reads it and releases it after. The index records how much of the file it covers; at start
 *   the lines after that (a kill can leave the last few unindexed) are indexed first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ClassicLevel } from 'classic-level';
import { LEVELDB_FEWEST_OPEN_FILES } from '../../aws/leveldb';
import type { Answer } from './answers';
import { InvalidSimulatorOption } from './options';
import type { ValidRequest } from './request';

/** The final outcome of a key, as finalOutcome() reports it. */
export type FinalOutcome =
  { outcome: 'confirmed'; reference: string } | { outcome: 'rejected'; reason: string };

/** One key's first final outcome: the answer to replay and the request it answered. */
export interface StoredOutcome {
  answer: Answer;
  amount: number;
  currency: string;
  final: FinalOutcome;
}

/**
 * LevelDB's options for the index: its table files are memory-mapped while open, so the fewest
 * open files LevelDB takes (64 tables) of its smallest size (1 MiB) bound that part to 64 MiB
 * whatever the store's size; lookups are one key each, so few open files cost little. Its write
 * buffer (two of them at once while one is written out) is 1 MiB instead of 4: the default
 * filled up only past ~30,000 outcomes, and so grew a run's memory by 8 MB between 10,000 and
 * 100,000 transactions.
 */
const OUTCOME_INDEX_OPTIONS = {
  maxOpenFiles: LEVELDB_FEWEST_OPEN_FILES,
  maxFileSize: 2 ** 20,
  writeBufferSize: 2 ** 20,
} as const;

/** The index of an outcome file. */
const outcomeIndexDir = (file: string) => `${file}.index`;

/**
 * The index's own entry: the length of the file's prefix whose every line is indexed. Outcome
 * keys are transaction ids, visible ASCII, so a key starting with NUL cannot be one.
 */
const INDEXED_UP_TO = '\u0000indexedUpTo';

/**
 * A stored outcome as one compact string (a JSON array); objects with nested answer, headers and
 * final took ~3x the memory, and on disk it is the value as it is.
 */
type EncodedOutcome = string;

const DEFAULT_HEADERS = JSON.stringify({ 'Content-Type': 'application/json' });

function encode(o: StoredOutcome): EncodedOutcome {
  const headers = JSON.stringify(o.answer.headers);
  const detail = o.final.outcome === 'confirmed' ? o.final.reference : o.final.reason;
  const fields = [o.answer.status, o.final.outcome, o.amount, o.currency, detail, o.answer.text];
  return JSON.stringify(headers === DEFAULT_HEADERS ? fields : [...fields, o.answer.headers]);
}

function decode(encoded: EncodedOutcome): StoredOutcome {
  const [status, outcome, amount, currency, detail, text, headers] = JSON.parse(encoded) as [
    number,
    FinalOutcome['outcome'],
    number,
    string,
    string,
    string,
    Record<string, string> | undefined,
  ];
  const answer: Answer = {
    status,
    text,
    headers: headers ?? (JSON.parse(DEFAULT_HEADERS) as Record<string, string>),
    outcome,
  };
  if (outcome === 'confirmed') {
    answer.reference = detail;
    return { answer, amount, currency, final: { outcome, reference: detail } };
  }
  answer.reason = detail;
  return { answer, amount, currency, final: { outcome, reason: detail } };
}

type OutcomeDb = ClassicLevel<string, string>;

/** The file and its index, when the store is on disk. */
interface OnDisk {
  readonly file: string;
  readonly index: OutcomeDb;
  /** Bytes of the file so far. */
  size: number;
  /** Lines appended whose index write is under way or done, in file order. */
  readonly appended: { end: number; indexed: boolean }[];
  /** Every line before this offset is indexed (0 after clear(): the next start reads them all). */
  indexedUpTo: number;
  /** false after clear(): the index no longer has the lines before it. */
  followsFile: boolean;
}

export class OutcomeStore {
  /** Every outcome (in memory), or those of the keys held now or still being indexed (on disk). */
  private readonly outcomes = new Map<string, EncodedOutcome>();
  /** On disk: the keys held by calls in progress, and their loading. */
  private readonly holds = new Map<string, { count: number; loaded: Promise<void> }>();
  /** On disk: keys whose index write is under way. */
  private readonly indexing = new Map<string, Promise<void>>();
  /** Final outcomes produced since start or reset (reloaded ones are not counted). */
  private readonly produced = { confirmed: 0, rejected: 0 };

  private constructor(private readonly disk: OnDisk | undefined) {}

  /** Every outcome in memory, for as long as the simulator runs. */
  static inMemory(): OutcomeStore {
    return new OutcomeStore(undefined);
  }

  /**
   * In memory without a file; otherwise opens the file's index (creating both) and indexes the
   * lines it does not cover yet (a previous version's file: all of them). InvalidSimulatorOption
   * when it cannot.
   */
  static async open(file: string | undefined): Promise<OutcomeStore> {
    if (file === undefined) return OutcomeStore.inMemory();
    let index: OutcomeDb | undefined;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      endLastLine(file);
      index = new ClassicLevel<string, string>(outcomeIndexDir(file), OUTCOME_INDEX_OPTIONS);
      await index.open({ createIfMissing: true });
      const size = await indexFrom(index, file);
      return new OutcomeStore({
        file,
        index,
        size,
        appended: [],
        indexedUpTo: size,
        followsFile: true,
      });
    } catch (err) {
      await index?.close().catch(() => undefined);
      throw new InvalidSimulatorOption(
        `outcomeStoreFile ${file} cannot be used: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Before a call with `key` is decided: on disk, loads the key's outcome into memory until
   * release(); rejects if the index cannot be read. In memory there is nothing to do.
   */
  hold(key: string): Promise<void> {
    if (this.disk === undefined) return Promise.resolve();
    const held = this.holds.get(key);
    if (held !== undefined) {
      held.count += 1;
      return held.loaded;
    }
    const loaded = this.disk.index.get(key).then((encoded) => {
      // Stored while this was loading: the one in memory is the same or newer.
      if (encoded !== undefined && !this.outcomes.has(key)) this.outcomes.set(key, encoded);
    });
    this.holds.set(key, { count: 1, loaded });
    return loaded;
  }

  /** The call with `key` is over: on disk, its outcome leaves memory once nobody holds it. */
  release(key: string): void {
    const held = this.holds.get(key);
    if (held === undefined) return;
    held.count -= 1;
    if (held.count > 0) return;
    this.holds.delete(key);
    // A key still being indexed is forgotten when its index write is done (record()).
    if (!this.indexing.has(key)) this.outcomes.delete(key);
  }

  /** The key's outcome; on disk, only for a held key (the decision module's reads). */
  get(key: string): StoredOutcome | undefined {
    const encoded = this.outcomes.get(key);
    return encoded === undefined ? undefined : decode(encoded);
  }

  has(key: string): boolean {
    return this.outcomes.has(key);
  }

  /** Any key's outcome, held or not (reads the index). */
  async lookup(key: string): Promise<StoredOutcome | undefined> {
    const encoded = this.outcomes.get(key) ?? (await this.disk?.index.get(key));
    return encoded === undefined ? undefined : decode(encoded);
  }

  /**
   * Keeps `answer` as the key's outcome if it is final and the key has none yet; any other answer
   * is not an outcome, and a later final one never replaces the first. On disk the line is
   * appended synchronously, before the answer is sent; the index write follows.
   */
  record(request: ValidRequest, answer: Answer): void {
    const final = finalOf(answer);
    if (final === undefined || this.outcomes.has(request.key)) return;
    const outcome: StoredOutcome = {
      answer,
      amount: request.amount,
      currency: request.currency,
      final,
    };
    const encoded = encode(outcome);
    this.outcomes.set(request.key, encoded);
    if (this.disk !== undefined) {
      const line = `${JSON.stringify({ key: request.key, ...outcome })}\n`;
      fs.appendFileSync(this.disk.file, line);
      this.disk.size += Buffer.byteLength(line);
      this.index(request.key, encoded);
    }
    this.produced[final.outcome] += 1;
  }

  /** Charges and rejections produced (each at most once per key). */
  finalOutcomes(): { confirmed: number; rejected: number } {
    return { ...this.produced };
  }

  /**
   * Forgets the outcomes (the index too) and the counters; the file keeps them, and the next
   * start indexes them again.
   */
  async clear(): Promise<void> {
    await this.indexed();
    this.outcomes.clear();
    this.produced.confirmed = 0;
    this.produced.rejected = 0;
    if (this.disk !== undefined) {
      this.disk.appended.length = 0;
      this.disk.indexedUpTo = 0;
      this.disk.followsFile = false;
      await this.disk.index.clear();
    }
  }

  /** Resolves once the index writes under way now are done (failed ones too). */
  async indexed(): Promise<void> {
    await Promise.allSettled(this.indexing.values());
  }

  /** Waits for the index writes under way, records how far it goes, closes it. Idempotent. */
  async close(): Promise<void> {
    const disk = this.disk;
    if (disk === undefined || disk.index.status === 'closed') return;
    await this.indexed();
    if (disk.index.status === 'open') {
      await disk.index.put(INDEXED_UP_TO, String(disk.indexedUpTo)).catch(() => undefined);
    }
    await disk.index.close();
  }

  /**
   * Writes the key to the index with how far the index goes (as known now: a little behind is
   * safe, the next start re-reads from there). Until it is written the outcome stays in memory;
   * a failed write keeps it there for this run (the file has it for the next one).
   */
  private index(key: string, encoded: EncodedOutcome): void {
    const disk = this.disk as OnDisk;
    const line = { end: disk.size, indexed: false };
    disk.appended.push(line);
    const write = disk.index.batch([
      { type: 'put', key, value: encoded },
      { type: 'put', key: INDEXED_UP_TO, value: String(disk.indexedUpTo) },
    ]);
    this.indexing.set(key, write);
    write.then(
      () => {
        this.indexing.delete(key);
        line.indexed = true;
        while (disk.followsFile && disk.appended[0]?.indexed) {
          disk.indexedUpTo = (disk.appended.shift() as typeof line).end;
        }
        if (!this.holds.has(key)) this.outcomes.delete(key);
      },
      // Left in `indexing`: the outcome stays in memory for this run, the file has it for the next.
      () => undefined,
    );
  }
}

function finalOf(answer: Answer): FinalOutcome | undefined {
  if (answer.outcome === 'confirmed') {
    return { outcome: 'confirmed', reference: answer.reference ?? '' };
  }
  if (answer.outcome === 'rejected') return { outcome: 'rejected', reason: answer.reason ?? '' };
  return undefined;
}

/**
 * Creates the file if missing; ends a torn last line (a kill mid-append) so that the next line
 * appended is a line of its own (the torn one is skipped when read).
 */
function endLastLine(file: string): void {
  const fd = fs.openSync(file, 'a+');
  try {
    const { size } = fs.fstatSync(fd);
    const last = Buffer.alloc(1);
    if (size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) {
      fs.writeSync(fd, '\n');
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Keys per batch while indexing lines at start. */
const INDEX_BATCH = 1000;

/**
 * Indexes the file's lines after the offset the index covers (a key already indexed keeps its
 * outcome: the first one wins) and returns the file's size. A torn last line (a kill mid-append)
 * is skipped.
 */
async function indexFrom(index: OutcomeDb, file: string): Promise<number> {
  const covered = Number((await index.get(INDEXED_UP_TO)) ?? 0);
  const size = fs.statSync(file).size;
  const from = Number.isSafeInteger(covered) && covered <= size ? covered : 0;
  // Covering nothing of the file (new, a previous version's, or cleared by reset()): the index is
  // rebuilt from the file, the record, so the first line of a key wins.
  if (from === 0) await index.clear();
  let batch = new Map<string, EncodedOutcome>();
  const flush = async () => {
    const keys = [...batch.keys()];
    const stored = keys.length === 0 ? [] : await index.getMany(keys);
    const fresh = keys.filter((_, i) => stored[i] === undefined);
    await index.batch(fresh.map((key) => ({ type: 'put', key, value: batch.get(key) ?? '' })));
    batch = new Map();
  };
  for (const line of linesOf(file, from)) {
    const outcome = parseLine(line);
    if (outcome === undefined || batch.has(outcome.key)) continue;
    batch.set(outcome.key, encode(outcome.stored));
    if (batch.size >= INDEX_BATCH) await flush();
  }
  await flush();
  await index.put(INDEXED_UP_TO, String(size));
  return size;
}

function parseLine(line: string): { key: string; stored: StoredOutcome } | undefined {
  if (line.trim() === '') return undefined;
  try {
    const { key, ...stored } = JSON.parse(line) as { key: unknown } & StoredOutcome;
    if (typeof key !== 'string' || typeof stored.answer?.status !== 'number') return undefined;
    if (stored.final?.outcome !== 'confirmed' && stored.final?.outcome !== 'rejected') {
      return undefined;
    }
    return { key, stored };
  } catch {
    return undefined;
  }
}

/** The lines of `file` from byte `start`, read 1 MiB at a time. */
function* linesOf(file: string, start: number): Generator<string> {
  const fd = fs.openSync(file, 'r');
  let position = start;
  try {
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.alloc(2 ** 20);
    let rest = '';
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      position += read;
      const lines = (rest + decoder.write(buffer.subarray(0, read))).split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
    }
    yield rest + decoder.end();
  } finally {
    fs.closeSync(fd);
  }
}
