/**
 * The simulator's own record of its calls: every call in memory for calls() (unless
 * `recordCalls` is off, for long runs), the counters of stats(), and an optional JSON Lines call
 * log, the evidence a rehearsal or the reliability suite reads back after the run.
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { CALL_OUTCOMES, type CallDraft, type CallOutcome, type SimulatedCall } from './calls';
import { InvalidSimulatorOption } from './options';

/** Writing the call log failed while the simulator ran (reported by stop()). */
export class CallLogFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallLogFailed';
  }
}

export class CallLog {
  private recorded: SimulatedCall[] = [];
  private readonly counts = {} as Record<CallOutcome, number>;
  private arrivals = 0;
  private replays = 0;
  /** Off once the simulator stops: a call answered after that is counted, not written. */
  private writing = true;
  private failure: Error | undefined;

  private constructor(
    private readonly recordCalls: boolean,
    private readonly file: string | undefined,
    private readonly stream: fs.WriteStream | undefined,
  ) {
    this.resetCounters();
    // Kept for stop(): a failing log must not take the simulator down mid-run.
    stream?.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /** Opens `file` for appending (its directory is created); InvalidSimulatorOption if it can't. */
  static async open(file: string | undefined, recordCalls: boolean): Promise<CallLog> {
    return new CallLog(recordCalls, file, file === undefined ? undefined : await openCallLog(file));
  }

  /** A call arrived: it is in calls() at once (outcome 'pending' until answered). */
  arrived(call: CallDraft): void {
    this.arrivals += 1;
    // The answer fills reference/reason for final outcomes, which only well-formed calls reach.
    if (this.recordCalls) this.recorded.push(call as SimulatedCall);
  }

  /**
   * A call was answered (or given up on): counts it and appends it to the file. Resolves once the
   * line is written (at once without a file; never rejects: a failed write is kept for close()),
   * so the HTTP layer sends an answer only after its record: a crash cannot lose the record of an
   * answer the caller saw. Asynchronous and batched by the stream: no per-request sync I/O.
   */
  answered(call: CallDraft): Promise<void> {
    this.counts[call.outcome as CallOutcome] += 1;
    if (call.replayed) this.replays += 1;
    const stream = this.stream;
    if (stream === undefined || this.failure !== undefined || !this.writing) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      stream.write(`${JSON.stringify(call)}\n`, () => resolve());
    });
  }

  /** Every call so far, oldest first: the live list, which later calls extend. */
  calls(): readonly SimulatedCall[] {
    return this.recorded;
  }

  counters(): { calls: number; outcomes: Record<CallOutcome, number>; replays: number } {
    return { calls: this.arrivals, outcomes: { ...this.counts }, replays: this.replays };
  }

  /** Forgets calls and counters; a list calls() returned before stays as it was. */
  reset(): void {
    this.recorded = [];
    this.resetCounters();
  }

  /** From now on calls are counted but no longer written (the simulator is stopping). */
  stopWriting(): void {
    this.writing = false;
  }

  /** Stops writing and closes the file; CallLogFailed if any write failed during the run. */
  async close(): Promise<void> {
    this.stopWriting();
    if (this.stream !== undefined) {
      this.stream.end();
      if (!this.stream.closed) await once(this.stream, 'close').catch(() => undefined);
    }
    if (this.failure !== undefined) {
      throw new CallLogFailed(`the call log ${this.file} failed: ${this.failure.message}`);
    }
  }

  private resetCounters(): void {
    for (const outcome of CALL_OUTCOMES) this.counts[outcome] = 0;
    this.arrivals = 0;
    this.replays = 0;
  }
}

async function openCallLog(file: string): Promise<fs.WriteStream> {
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const stream = fs.createWriteStream(file, { flags: 'a' });
    await once(stream, 'open');
    return stream;
  } catch (err) {
    throw new InvalidSimulatorOption(
      `callLogFile ${file} cannot be written: ${(err as Error).message}`,
    );
  }
}
