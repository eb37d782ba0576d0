/**
 * What the engine tells the outside about an execution's status: the record to the
 * ExecutionStore (at start and at the end), and onExecutionStatusChange after every terminal
 * transition (the runtime wires it to the lock-release handler, as the EventBridge rule does on
 * AWS). Neither may fail an execution or the engine: their errors go to onError.
 */
import type { ExecutionRecord, ExecutionStore } from './execution-store';

export interface StatusHooks {
  readonly onExecutionStatusChange?: (record: ExecutionRecord) => void | Promise<void>;
  /** @default a line on stderr */
  readonly onError?: (error: unknown, context: string) => void;
}

export class StatusReporter {
  constructor(
    private readonly store: ExecutionStore,
    private readonly hooks: StatusHooks,
  ) {}

  /** Saves a snapshot of the record without waiting (writes of one execution land in order). */
  persist(record: ExecutionRecord): void {
    void this.save({ ...record });
  }

  async save(record: ExecutionRecord): Promise<void> {
    try {
      await this.store.save(record);
    } catch (error) {
      this.reportError(error, `saving execution ${record.executionArn}`);
    }
  }

  async notify(record: ExecutionRecord): Promise<void> {
    try {
      await this.hooks.onExecutionStatusChange?.({ ...record });
    } catch (error) {
      this.reportError(
        error,
        `onExecutionStatusChange for ${record.executionArn} (${record.status})`,
      );
    }
  }

  private reportError(error: unknown, context: string): void {
    if (this.hooks.onError) {
      this.hooks.onError(error, context);
      return;
    }
    process.stderr.write(`local engine: ${context} failed: ${String(error)}\n`);
  }
}
