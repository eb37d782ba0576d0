/**
 * Where the engine keeps its executions (the ExecutionStore port), so that executions outlive
 * the process that ran them:
 * - InMemoryExecutionStore (the default): one process; sharing one instance between two engines
 *   behaves like a restart.
 * - FileExecutionStore: a directory with one JSON file per execution, each write to a temporary
 *   file then renamed over the old one (atomic on POSIX), writes of one execution in call order.
 *
 * The engine reads the store once, synchronously, when it is constructed (so names stay unique
 * across restarts and executions a killed process left RUNNING can be marked ABORTED at once),
 * then writes each record when an execution starts and when it ends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution, as DescribeExecution reports it (input and output as JSON values, not strings). */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** Times the execution was redriven (RedriveExecution); absent until the first. */
  readonly redriveCount?: number;
  /** When it was last redriven. */
  readonly redriveDate?: Date;
}

/** The engine's own copy of a record, updated in place as the execution goes (it hands out copies). */
export type MutableRecord = { -readonly [K in keyof ExecutionRecord]: ExecutionRecord[K] };

export interface ExecutionStore {
  /** Every stored execution. Called once, when an engine is constructed. */
  loadAll(): ExecutionRecord[];
  /** Creates or replaces one execution's record. Writes of one execution land in call order. */
  save(record: ExecutionRecord): Promise<void>;
}

export class InMemoryExecutionStore implements ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();

  loadAll(): ExecutionRecord[] {
    return [...this.records.values()].map((record) => ({ ...record }));
  }

  async save(record: ExecutionRecord): Promise<void> {
    this.records.set(record.executionArn, { ...record });
  }
}

export class FileExecutionStore implements ExecutionStore {
  private readonly writes = new Map<string, Promise<void>>();

  constructor(readonly directory: string) {
    fs.mkdirSync(directory, { recursive: true });
  }

  loadAll(): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const entry of fs.readdirSync(this.directory)) {
      const file = path.join(this.directory, entry);
      if (entry.endsWith('.tmp')) {
        // A write that a killed process never renamed: the previous version is still whole.
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      records.push(
        reviveRecord(JSON.parse(fs.readFileSync(file, 'utf8')) as SerializedRecord, file),
      );
    }
    return records;
  }

  save(record: ExecutionRecord): Promise<void> {
    const key = record.executionArn;
    const text = JSON.stringify(record);
    const previous = this.writes.get(key) ?? Promise.resolve();
    const write = previous.then(() => this.write(key, text));
    const settled = write.catch(() => undefined);
    this.writes.set(key, settled);
    void settled.then(() => {
      if (this.writes.get(key) === settled) this.writes.delete(key);
    });
    return write;
  }

  /** The file of one execution (its ARN, URI-encoded: ':' and '/' are not portable in names). */
  fileOf(executionArn: string): string {
    return path.join(this.directory, `${encodeURIComponent(executionArn)}.json`);
  }

  private async write(executionArn: string, text: string): Promise<void> {
    const file = this.fileOf(executionArn);
    // Unique across every store of this process (two engines may share a directory).
    writeSequence += 1;
    const temporary = `${file}.${process.pid}.${writeSequence}.tmp`;
    await fs.promises.writeFile(temporary, text, 'utf8');
    await fs.promises.rename(temporary, file);
  }
}

let writeSequence = 0;

type SerializedRecord = Omit<ExecutionRecord, 'startDate' | 'stopDate' | 'redriveDate'> & {
  startDate: string;
  stopDate?: string;
  redriveDate?: string;
};

function reviveRecord(value: SerializedRecord, file: string): ExecutionRecord {
  if (typeof value?.executionArn !== 'string' || typeof value.startDate !== 'string') {
    throw new Error(`${file} is not an execution record`);
  }
  const { startDate, stopDate, redriveDate, ...rest } = value;
  return {
    ...rest,
    startDate: new Date(startDate),
    ...(stopDate !== undefined ? { stopDate: new Date(stopDate) } : {}),
    ...(redriveDate !== undefined ? { redriveDate: new Date(redriveDate) } : {}),
  };
}
