/**
 * The provider's memory of final outcomes: like a real provider it acts once per idempotency key,
 * so the first final outcome (confirmed or rejected) of a key is kept and replayed for every later
 * call with that key. Optionally kept in a JSON Lines file too: a real provider outlives our
 * process, so after a crash of the local runtime a retried key must still get its first outcome
 * (no double charge).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
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
 * A stored outcome as one compact string (a JSON array): a key's outcome is kept for the
 * simulator's whole life, so a backlog of N transactions keeps N of these; objects with nested
 * answer, headers and final took ~3x the memory (docs/performance.md, "Memory of a local run").
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

export class OutcomeStore {
  private readonly outcomes: Map<string, EncodedOutcome>;
  /** Final outcomes produced since start or reset (reloaded ones are not counted). */
  private readonly produced = { confirmed: 0, rejected: 0 };

  /** Reloads `file` when given (InvalidSimulatorOption when it cannot be read). */
  constructor(private readonly file: string | undefined) {
    this.outcomes = file === undefined ? new Map() : loadOutcomeStore(file);
  }

  get(key: string): StoredOutcome | undefined {
    const encoded = this.outcomes.get(key);
    return encoded === undefined ? undefined : decode(encoded);
  }

  has(key: string): boolean {
    return this.outcomes.has(key);
  }

  /**
   * Keeps `answer` as the key's outcome if it is final and the key has none yet; any other answer
   * is not an outcome, and a later final one never replaces the first. The file is appended
   * synchronously, before the answer is sent: a crash right after the answer cannot lose it.
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
    this.outcomes.set(request.key, encode(outcome));
    if (this.file !== undefined) {
      fs.appendFileSync(this.file, `${JSON.stringify({ key: request.key, ...outcome })}\n`);
    }
    this.produced[final.outcome] += 1;
  }

  /** Charges and rejections produced (each at most once per key). */
  finalOutcomes(): { confirmed: number; rejected: number } {
    return { ...this.produced };
  }

  /** Forgets the outcomes in memory; the file keeps them for the next start. */
  clear(): void {
    this.outcomes.clear();
    this.produced.confirmed = 0;
    this.produced.rejected = 0;
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
 * Final outcomes a previous process stored, read a chunk at a time (the file grows with every
 * transaction ever confirmed); a torn last line (a kill mid-append) is ignored.
 */
function loadOutcomeStore(file: string): Map<string, EncodedOutcome> {
  const outcomes = new Map<string, EncodedOutcome>();
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) return outcomes;
    forEachLine(file, (line) => {
      const outcome = parseLine(line);
      if (outcome !== undefined && !outcomes.has(outcome.key)) {
        outcomes.set(outcome.key, encode(outcome.stored));
      }
    });
  } catch (err) {
    throw new InvalidSimulatorOption(
      `outcomeStoreFile ${file} cannot be read: ${(err as Error).message}`,
    );
  }
  return outcomes;
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

/** Calls `onLine` for each line of `file`, reading 1 MiB at a time. */
function forEachLine(file: string, onLine: (line: string) => void): void {
  const fd = fs.openSync(file, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.alloc(2 ** 20);
    let rest = '';
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const lines = (rest + decoder.write(buffer.subarray(0, read))).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
    onLine(rest + decoder.end());
  } finally {
    fs.closeSync(fd);
  }
}
