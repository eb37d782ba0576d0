/**
 * Execution history in Step Functions' own shape: GetExecutionHistory's `HistoryEvent`
 * (`{ timestamp, type, id, previousEventId, <type>EventDetails }`), and one execution's bounded
 * list of them. Who adds which events is execution-recorder.ts; the Map Runs are map-runs.ts.
 *
 * The terminal event (ExecutionSucceeded / ExecutionFailed / ExecutionAborted /
 * ExecutionTimedOut) is kept apart so it is always the last one.
 * `previousEventId` is the event before (the engine's histories are sequential).
 *
 * Limit: as on AWS, 25,000 events. When an event other than the terminal one would be the
 * 25,000th, the history calls `onFull` (the engine fails the execution with States.Runtime) and
 * ExecutionFailed becomes that last event.
 */
import type { ExecutionRecord } from './execution-store';
import { MAX_PAYLOAD_BYTES, bytesOverLimit } from './payload-limit';

/** AWS's hard limit of events in one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

/** One event of an execution's history, as GetExecutionHistory returns it. */
export interface HistoryEvent {
  readonly timestamp: Date;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  /** The `<type>EventDetails` member (e.g. `stateEnteredEventDetails`), when the type has one. */
  readonly [details: string]: unknown;
}

/** A `<type>EventDetails` member. */
export type Details = Readonly<Record<string, unknown>>;

interface PendingEvent {
  readonly timestamp: Date;
  readonly type: string;
  readonly detailsKey?: string;
  readonly details?: Details;
}

/** One execution's events, bounded; the terminal event is kept apart so it is always the last. */
export class ExecutionHistory {
  private readonly entries: HistoryEvent[] = [];
  private terminal: PendingEvent | undefined;
  private full = false;
  private sealed = false;
  /** Payload characters held (inputs, outputs, parameters): what the engine's retention counts. */
  payloadChars = 0;

  constructor(
    readonly limit: number = MAX_HISTORY_EVENTS,
    /** Called once, when the history is full (the execution it belongs to fails). */
    public onFull: () => void = () => undefined,
  ) {}

  get ended(): boolean {
    return this.terminal !== undefined;
  }

  get length(): number {
    return this.entries.length + (this.terminal ? 1 : 0);
  }

  /** Appends an event; false when the history is sealed or full (onFull was called). */
  add(type: string, detailsKey?: string, details?: Details, timestamp = new Date()): boolean {
    if (this.sealed) return false;
    if (this.entries.length >= this.limit - 1) {
      if (!this.full) {
        this.full = true;
        this.onFull();
      }
      return false;
    }
    const id = this.entries.length + 1;
    this.entries.push(toEvent({ timestamp, type, detailsKey, details }, id));
    if (details) {
      for (const value of Object.values(details)) {
        if (typeof value === 'string') this.payloadChars += value.length;
      }
    }
    return true;
  }

  /** Sets the terminal event (once); it stays the last event whatever is added after. */
  end(type: string, detailsKey?: string, details?: Details, timestamp = new Date()): void {
    if (this.terminal) return;
    this.terminal = { timestamp, type, detailsKey, details };
  }

  /** Events that can still be added (the terminal one included). */
  get room(): number {
    return this.full ? 0 : this.limit - this.length;
  }

  /**
   * A redrive: the terminal event becomes an ordinary one (AWS keeps ExecutionFailed and the
   * rest of the earlier attempt in the history) and events are added again.
   */
  reopen(): void {
    if (this.terminal) {
      this.entries.push(toEvent(this.terminal, this.entries.length + 1));
      this.terminal = undefined;
    }
    this.sealed = false;
  }

  /** Nothing is added any more (the execution ended). */
  seal(): void {
    this.sealed = true;
  }

  /** The events, oldest first (a new array). */
  events(): HistoryEvent[] {
    const events = this.entries.slice();
    if (this.terminal) events.push(toEvent(this.terminal, events.length + 1));
    return events;
  }
}

function toEvent(event: PendingEvent, id: number): HistoryEvent {
  return {
    timestamp: event.timestamp,
    type: event.type,
    id,
    previousEventId: id - 1,
    ...(event.detailsKey && event.details && Object.keys(event.details).length > 0
      ? { [event.detailsKey]: event.details }
      : {}),
  };
}

/** `{ <field>: JSON text, <field>Details: { truncated } }`, cut at 256 KiB as AWS does. */
export function payloadFields(field: string, value: unknown): Record<string, unknown> {
  let text = JSON.stringify(value === undefined ? null : value) ?? 'null';
  let truncated = false;
  if (bytesOverLimit(text) !== undefined) {
    text = Buffer.from(text).subarray(0, MAX_PAYLOAD_BYTES).toString('utf8');
    truncated = true;
  }
  return { [field]: text, [`${field}Details`]: { truncated } };
}

/** ExecutionStarted's details (shared by live histories and those rebuilt from a record). */
export function executionStartedDetails(input: unknown, roleArn: string): Record<string, unknown> {
  return { ...payloadFields('input', input), roleArn };
}

/** The terminal history event of a finished execution (shared by live and stored executions). */
export function terminalEvent(record: ExecutionRecord): {
  type: string;
  detailsKey: string;
  details: Record<string, unknown>;
} {
  const failure = {
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
  switch (record.status) {
    case 'SUCCEEDED':
      return {
        type: 'ExecutionSucceeded',
        detailsKey: 'executionSucceededEventDetails',
        details: payloadFields('output', record.output),
      };
    case 'TIMED_OUT':
      return {
        type: 'ExecutionTimedOut',
        detailsKey: 'executionTimedOutEventDetails',
        details: failure,
      };
    case 'ABORTED':
      return {
        type: 'ExecutionAborted',
        detailsKey: 'executionAbortedEventDetails',
        details: failure,
      };
    default:
      return {
        type: 'ExecutionFailed',
        detailsKey: 'executionFailedEventDetails',
        details: failure,
      };
  }
}
