/**
 * Map Runs of the engine's top-level executions, in DescribeMapRun's shape: what each Distributed
 * Map run was configured with, how it ended, and its item and child-execution counts. A
 * MapRunTracker is the Distributed Map runner's observer (distributed-map.ts) for one run: it
 * keeps the record the engine serves and adds the Map Run's events to the execution's history.
 */
import type { ErrorOutput } from './errors';
import type { MapRunObserver, MapRunRedrive, MapRunStart, MapRunStatus } from './distributed-map';
import type { Details } from './history';

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
  /** Times the Map Run was redriven (with its execution); 0 until then. */
  readonly redriveCount: number;
  /** When it was last redriven. */
  readonly redriveDate?: Date;
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

/** What a Map Run needs to know of its execution (ExecutionRecorderOptions has these). */
export interface MapRunOptions {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly newMapRunArn: (stateName: string) => string;
  /** A Map Run started (the engine keeps it for DescribeMapRun / ListMapRuns). */
  readonly onMapRun: (record: MapRunRecord) => void;
  /** The engine's record of an earlier Map Run of this execution (a redrive runs it again). */
  readonly findMapRun?: (mapRunArn: string) => MapRunRecord | undefined;
}

/**
 * Where a tracker records its events: the execution's recorder (execution-recorder.ts), which
 * drops them once the execution ended.
 */
export interface MapRunRecorder {
  readonly options: MapRunOptions;
  add(type: string, detailsKey?: string, details?: Details): void;
}

/** Tracks one Map Run for the recorder (history events) and the engine (DescribeMapRun). */
export class MapRunTracker implements MapRunObserver {
  record: MutableMapRun | undefined;

  constructor(
    private readonly recorder: MapRunRecorder,
    private readonly stateName: string,
  ) {}

  started(start: MapRunStart, redriveOf?: MapRunRedrive): string | undefined {
    if (this.record) return this.record.mapRunArn;
    const options = this.recorder.options;
    const earlier = redriveOf ? options.findMapRun?.(redriveOf.mapRunArn) : undefined;
    if (redriveOf && earlier) return this.redriven(earlier as MutableMapRun, start, redriveOf);
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
      redriveCount: 0,
    };
    this.record = record;
    options.onMapRun(record);
    this.recorder.add('MapStateStarted', 'mapStateStartedEventDetails', {
      length: start.totalItems,
    });
    this.recorder.add('MapRunStarted', 'mapRunStartedEventDetails', {
      mapRunArn: record.mapRunArn,
    });
    return record.mapRunArn;
  }

  /**
   * The earlier Map Run runs again: RUNNING, its redrive count up, the children that succeeded
   * counted as before and every other one pending again.
   */
  private redriven(record: MutableMapRun, start: MapRunStart, redriveOf: MapRunRedrive): string {
    this.record = record;
    record.status = 'RUNNING';
    delete record.stopDate;
    delete record.error;
    delete record.cause;
    record.redriveCount += 1;
    record.redriveDate = new Date();
    record.itemCounts = counts(start.totalItems);
    record.itemCounts.pending -= redriveOf.succeededItems;
    record.itemCounts.succeeded = redriveOf.succeededItems;
    record.executionCounts = counts(start.childExecutions);
    record.executionCounts.pending -= redriveOf.succeededChildren;
    record.executionCounts.succeeded = redriveOf.succeededChildren;
    this.recorder.add('MapStateStarted', 'mapStateStartedEventDetails', {
      length: start.totalItems,
    });
    this.recorder.add('MapRunRedriven', 'mapRunRedrivenEventDetails', {
      mapRunArn: record.mapRunArn,
      redriveCount: record.redriveCount,
    });
    return record.mapRunArn;
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
