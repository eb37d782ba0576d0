/**
 * Execution history and Map Runs of the engine's top-level executions, in Step Functions' own
 * shapes: GetExecutionHistory's `HistoryEvent` (`{ timestamp, type, id, previousEventId,
 * <type>EventDetails }`) and DescribeMapRun's item and execution counts.
 *
 * Where the events come from:
 * - the engine: ExecutionStarted when StartExecution is called, and the terminal event
 *   (ExecutionSucceeded / ExecutionFailed / ExecutionAborted / ExecutionTimedOut) when the
 *   execution's status changes;
 * - the library's event log of the top-level run (`eventLogs`, consumed as it grows):
 *   `<Type>StateEntered` / `<Type>StateExited` named after the state's ASL type (the Task that
 *   stands in for a DISTRIBUTED Map is a Map here), `MapIteration*` of inline Maps, and
 *   TaskTimedOut when the library's own task timer failed a state;
 * - the top-level run's task handlers, wrapped: TaskScheduled (the handler's input as
 *   `parameters`) / TaskStarted / TaskSucceeded (its raw result) / TaskFailed — LambdaFunction*
 *   for a Task whose resource is a Lambda function ARN, as AWS records it — and MapStateStarted,
 *   MapStateSucceeded / MapStateFailed around a Distributed Map; TaskStateAborted /
 *   MapStateAborted for what was in flight when the execution was stopped or timed out;
 * - the Distributed Map runner (MapRunObserver): MapRunStarted / MapRunSucceeded / MapRunFailed /
 *   MapRunAborted and the Map Run's counts.
 * Distributed Map children keep no history (on AWS they are executions of their own; here they
 * are nested library runs whose event logs are dropped), so a run of 10,000+ items adds a
 * handful of events per page, not per item.
 *
 * Ordering: the library dispatches its events into an async generator and calls a task handler
 * synchronously right after dispatching StateEntered, so the consumer is a few microtasks behind
 * when the handler starts. A wrapped handler therefore waits one macrotask (the consumer has then
 * caught up) before it records TaskScheduled; its result is recorded before the library can
 * dispatch StateExited. The terminal event is always the last one: events the consumer still
 * delivers after the execution ended (they happened before it) are numbered before it.
 * `previousEventId` is the event before (the engine's histories are sequential).
 *
 * Limit: as on AWS, 25,000 events. When an event other than the terminal one would be the
 * 25,000th, the history calls `onFull` (the engine fails the execution with States.Runtime) and
 * ExecutionFailed becomes that last event.
 */
import { type ErrorOutput, errorOutput } from './errors';
import type { MapRunObserver, MapRunStart, MapRunStatus } from './distributed-map';

/** AWS's hard limit of events in one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
/** AWS truncates a payload in a history event beyond 256 KiB (`<field>Details.truncated`). */
const MAX_EVENT_PAYLOAD_BYTES = 262_144;

/** One event of an execution's history, as GetExecutionHistory returns it. */
export interface HistoryEvent {
  readonly timestamp: Date;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  /** The `<type>EventDetails` member (e.g. `stateEnteredEventDetails`), when the type has one. */
  readonly [details: string]: unknown;
}

type Details = Readonly<Record<string, unknown>>;

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
    private readonly onFull: () => void = () => undefined,
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

  /** Nothing is added any more (the library's event log of the run has closed). */
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
  if (
    text.length > MAX_EVENT_PAYLOAD_BYTES / 3 &&
    Buffer.byteLength(text) > MAX_EVENT_PAYLOAD_BYTES
  ) {
    text = Buffer.from(text).subarray(0, MAX_EVENT_PAYLOAD_BYTES).toString('utf8');
    truncated = true;
  }
  return { [field]: text, [`${field}Details`]: { truncated } };
}

// ---- Map Runs ---------------------------------------------------------------------------------

/** DescribeMapRun's `itemCounts` / `executionCounts`. */
export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  /** Always 0: the local runtime has no ResultWriter. */
  resultsWritten: number;
}

/** One Map Run of a Distributed Map state (DescribeMapRun / ListMapRuns). */
export interface MapRunRecord {
  readonly mapRunArn: string;
  /** The execution that ran the Map state. */
  readonly executionArn: string;
  /** The Map's own "state machine": `<stateMachineArn>/<Map state name>`, as on AWS. */
  readonly stateMachineArn: string;
  readonly stateName: string;
  readonly status: MapRunStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** As configured; 0 means no limit of its own. */
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number;
  /** Counted in items (a batch counts all its items). */
  readonly itemCounts: Readonly<MapRunCounts>;
  /** Counted in child executions (one per item or batch). */
  readonly executionCounts: Readonly<MapRunCounts>;
  readonly error?: string;
  readonly cause?: string;
}

type MutableMapRun = {
  -readonly [K in keyof MapRunRecord]: MapRunRecord[K];
} & { itemCounts: MapRunCounts; executionCounts: MapRunCounts };

/** A copy of a Map Run record (counts included). */
export function copyMapRun(record: MapRunRecord): MapRunRecord {
  return {
    ...record,
    itemCounts: { ...record.itemCounts },
    executionCounts: { ...record.executionCounts },
  };
}

function counts(total: number): MapRunCounts {
  return {
    pending: total,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    aborted: 0,
    total,
    resultsWritten: 0,
  };
}

/** Tracks one Map Run for the recorder (history events) and the engine (DescribeMapRun). */
class MapRunTracker implements MapRunObserver {
  record: MutableMapRun | undefined;

  constructor(
    private readonly recorder: ExecutionRecorder,
    private readonly stateName: string,
  ) {}

  started(start: MapRunStart): void {
    if (this.record) return;
    const options = this.recorder.options;
    const record: MutableMapRun = {
      mapRunArn: options.newMapRunArn(this.stateName),
      executionArn: options.executionArn,
      stateMachineArn: `${options.stateMachineArn}/${this.stateName}`,
      stateName: this.stateName,
      status: 'RUNNING',
      startDate: new Date(),
      maxConcurrency: start.maxConcurrency,
      toleratedFailurePercentage: start.toleratedFailurePercentage,
      toleratedFailureCount: start.toleratedFailureCount,
      itemCounts: counts(start.totalItems),
      executionCounts: counts(start.childExecutions),
    };
    this.record = record;
    options.onMapRun(record);
    this.recorder.add('MapStateStarted', 'mapStateStartedEventDetails', {
      length: start.totalItems,
    });
    this.recorder.add('MapRunStarted', 'mapRunStartedEventDetails', {
      mapRunArn: record.mapRunArn,
    });
  }

  childStarted(items: number): void {
    const record = this.record;
    if (!record || record.status !== 'RUNNING') return;
    record.itemCounts.pending -= items;
    record.itemCounts.running += items;
    record.executionCounts.pending -= 1;
    record.executionCounts.running += 1;
  }

  childSettled(items: number, outcome: 'succeeded' | 'failed' | 'timedOut'): void {
    const record = this.record;
    if (!record || record.status !== 'RUNNING') return;
    record.itemCounts.running -= items;
    record.itemCounts[outcome] += items;
    record.executionCounts.running -= 1;
    record.executionCounts[outcome] += 1;
  }

  finished(status: Exclude<MapRunStatus, 'RUNNING'>, error?: ErrorOutput): void {
    const record = this.record;
    if (!record || record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = new Date();
    // Children still running when the Map Run ends are aborted (never-started ones stay pending).
    for (const c of [record.itemCounts, record.executionCounts]) {
      c.aborted += c.running;
      c.running = 0;
    }
    if (status === 'SUCCEEDED') {
      this.recorder.add('MapRunSucceeded');
    } else if (status === 'FAILED') {
      record.error = error?.Error;
      record.cause = error?.Cause;
      this.recorder.add('MapRunFailed', 'mapRunFailedEventDetails', {
        ...(error ? { error: error.Error, cause: error.Cause } : {}),
      });
    } else {
      this.recorder.add('MapRunAborted');
    }
  }
}

// ---- the recorder -------------------------------------------------------------------------------

/** How a Task state's resource shows in its events. */
export interface TaskResourceInfo {
  /** e.g. `lambda` (for `arn:aws:states:::lambda:invoke`), `aws-sdk:dynamodb`, `states`. */
  readonly resourceType: string;
  /** e.g. `invoke`, `putItem`, `startExecution`; the function ARN for a Lambda ARN resource. */
  readonly resource: string;
  /** The resource is a Lambda function ARN: AWS records LambdaFunction* events. */
  readonly lambdaFunction: boolean;
  readonly timeoutInSeconds?: number;
}

/** `arn:<partition>:states:::<type>:<action>` → `{ resourceType, resource }`. */
export function taskResourceInfo(resourceArn: string, timeoutInSeconds?: number): TaskResourceInfo {
  const integration = /^arn:[a-z-]+:states:::(.+):([^:]+)$/.exec(resourceArn);
  if (integration) {
    return {
      resourceType: integration[1],
      resource: integration[2],
      lambdaFunction: false,
      timeoutInSeconds,
    };
  }
  return {
    resourceType: 'lambda',
    resource: resourceArn,
    lambdaFunction: /^arn:[a-z-]+:lambda:/.test(resourceArn),
    timeoutInSeconds,
  };
}

export interface ExecutionRecorderOptions {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly region: string;
  readonly history: ExecutionHistory;
  /** Every Task state the top-level run may call a handler for (not the Distributed Map stand-ins). */
  readonly tasks: ReadonlyMap<string, TaskResourceInfo>;
  /** Names of the DISTRIBUTED Map states (their stand-in Tasks) of the top-level run. */
  readonly distributedMaps: ReadonlySet<string>;
  readonly newMapRunArn: (stateName: string) => string;
  /** A Map Run started (the engine keeps it for DescribeMapRun / ListMapRuns). */
  readonly onMapRun: (record: MapRunRecord) => void;
}

interface Invocation {
  readonly stateName: string;
  readonly task?: TaskResourceInfo;
  readonly mapRun?: MapRunTracker;
  done: boolean;
}

/** What the library's event log carries (its types are not exported). */
interface LibraryEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly parentState?: { readonly name: string };
  readonly index?: number;
  readonly Error?: string;
  readonly Cause?: unknown;
}

/** Records one top-level execution's history (see the file header). */
export class ExecutionRecorder {
  private readonly inFlight = new Set<Invocation>();
  private ended = false;

  constructor(readonly options: ExecutionRecorderOptions) {}

  get history(): ExecutionHistory {
    return this.options.history;
  }

  /** An event from a handler or the Map runner: ignored once the execution ended. */
  add(type: string, detailsKey?: string, details?: Details): void {
    if (this.ended) return;
    this.options.history.add(type, detailsKey, details);
  }

  /** Consumes the library's event log of the top-level run until it closes. */
  async consume(events: AsyncGenerator<unknown>): Promise<void> {
    for (;;) {
      const { done, value } = await events.next();
      if (done) return;
      try {
        this.onLibraryEvent(value as LibraryEvent);
      } catch {
        // A history problem never fails the execution.
      }
    }
  }

  /** Wraps one call of a Task state's handler in the top-level run. */
  async task(stateName: string, input: unknown, invoke: () => Promise<unknown>): Promise<unknown> {
    await nextMacrotask();
    const task = this.options.tasks.get(stateName);
    if (this.ended || !task) return invoke();
    const invocation: Invocation = { stateName, task, done: false };
    this.inFlight.add(invocation);
    const { resourceType, resource } = task;
    if (task.lambdaFunction) {
      this.add('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
        resource,
        ...payloadFields('input', input),
        ...(task.timeoutInSeconds !== undefined ? { timeoutInSeconds: task.timeoutInSeconds } : {}),
      });
      this.add('LambdaFunctionStarted');
    } else {
      this.add('TaskScheduled', 'taskScheduledEventDetails', {
        resourceType,
        resource,
        region: this.options.region,
        parameters: payloadFields('parameters', input).parameters,
        ...(task.timeoutInSeconds !== undefined ? { timeoutInSeconds: task.timeoutInSeconds } : {}),
      });
      this.add('TaskStarted', 'taskStartedEventDetails', { resourceType, resource });
    }
    try {
      const output = await invoke();
      if (!invocation.done) {
        if (task.lambdaFunction) {
          this.add('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
            ...payloadFields('output', output),
          });
        } else {
          this.add('TaskSucceeded', 'taskSucceededEventDetails', {
            resourceType,
            resource,
            ...payloadFields('output', output),
          });
        }
      }
      return output;
    } catch (error) {
      if (!invocation.done && !isCancellation(error)) {
        const { Error: name, Cause: cause } = errorOutput(error);
        if (task.lambdaFunction) {
          this.add('LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', {
            error: name,
            cause,
          });
        } else {
          this.add('TaskFailed', 'taskFailedEventDetails', {
            resourceType,
            resource,
            error: name,
            cause,
          });
        }
      }
      throw error;
    } finally {
      invocation.done = true;
      this.inFlight.delete(invocation);
    }
  }

  /** Wraps one run of a Distributed Map (its stand-in Task's handler) in the top-level run. */
  async distributedMap(
    stateName: string,
    invoke: (observer: MapRunObserver | undefined) => Promise<unknown>,
  ): Promise<unknown> {
    await nextMacrotask();
    if (this.ended) return invoke(undefined);
    const mapRun = new MapRunTracker(this, stateName);
    const invocation: Invocation = { stateName, mapRun, done: false };
    this.inFlight.add(invocation);
    try {
      const output = await invoke(mapRun);
      if (!invocation.done) {
        mapRun.finished('SUCCEEDED');
        this.add('MapStateSucceeded');
      }
      return output;
    } catch (error) {
      if (!invocation.done && !isCancellation(error)) {
        mapRun.finished('FAILED', errorOutput(error));
        this.add('MapStateFailed');
      }
      throw error;
    } finally {
      invocation.done = true;
      this.inFlight.delete(invocation);
    }
  }

  /**
   * The execution's terminal event. With `abortInFlight` (stopped, timed out, or failed by the
   * engine itself) the states still running are recorded as aborted first.
   */
  end(
    type: string,
    detailsKey: string,
    details: Details,
    timestamp: Date,
    abortInFlight: boolean,
  ): void {
    if (this.ended) return;
    if (abortInFlight) {
      for (const invocation of this.inFlight) {
        if (invocation.done) continue;
        invocation.done = true;
        if (invocation.mapRun) {
          invocation.mapRun.finished('ABORTED');
          this.add('MapStateAborted');
        } else {
          this.add('TaskStateAborted');
        }
      }
    }
    this.ended = true;
    this.options.history.end(type, detailsKey, details, timestamp);
  }

  /** The library's event log closed: the history is complete. */
  seal(): void {
    this.options.history.seal();
    this.inFlight.clear();
  }

  private onLibraryEvent(event: LibraryEvent): void {
    const history = this.options.history;
    const timestamp = new Date(event.timestamp);
    switch (event.type) {
      case 'StateEntered':
      case 'StateExited': {
        const state = event.state;
        if (!state) return;
        const kind = this.options.distributedMaps.has(state.name) ? 'Map' : state.type;
        if (event.type === 'StateEntered') {
          history.add(
            `${kind}StateEntered`,
            'stateEnteredEventDetails',
            { name: state.name, ...payloadFields('input', state.input) },
            timestamp,
          );
        } else {
          history.add(
            `${kind}StateExited`,
            'stateExitedEventDetails',
            { name: state.name, ...payloadFields('output', state.output) },
            timestamp,
          );
        }
        return;
      }
      case 'StateFailed': {
        // The library's task timer failed the state while its handler was still running.
        if (event.Error !== 'States.Timeout' || !event.state) return;
        const invocation = [...this.inFlight].find(
          (i) => !i.done && i.task && i.stateName === event.state?.name,
        );
        if (!invocation?.task) return;
        invocation.done = true;
        const { resourceType, resource, lambdaFunction } = invocation.task;
        const cause = typeof event.Cause === 'string' ? event.Cause : String(event.Cause ?? '');
        if (lambdaFunction) {
          history.add(
            'LambdaFunctionTimedOut',
            'lambdaFunctionTimedOutEventDetails',
            { error: event.Error, cause },
            timestamp,
          );
        } else {
          history.add(
            'TaskTimedOut',
            'taskTimedOutEventDetails',
            { resourceType, resource, error: event.Error, cause },
            timestamp,
          );
        }
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const detailsKey = `${event.type[0].toLowerCase()}${event.type.slice(1)}EventDetails`;
        history.add(
          event.type,
          detailsKey,
          { name: event.parentState?.name, index: event.index },
          timestamp,
        );
        return;
      }
      default:
        // Execution* events come from the engine; retries and catches have no events of their own.
        return;
    }
  }
}

function isCancellation(error: unknown): boolean {
  return error instanceof Error && error.name === 'States.Cancelled';
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
