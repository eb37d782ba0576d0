/**
 * The histories and Map Runs the engine keeps: those of running executions, and of the most
 * recent finished ones. Histories live in memory only (not in the ExecutionStore), so a
 * long-running `txc local serve` must drop old ones: finished executions are retained oldest
 * first up to a count and a total of payload characters (the newest is always kept). An
 * execution whose history is not kept — dropped here, or run before a restart — reads as its
 * ExecutionStarted and terminal events, rebuilt from its record (docs/local-engine.md).
 */
import { StepFunctionsApiError } from './errors';
import type { ExecutionRecord } from './execution-store';
import {
  type ExecutionHistory,
  type HistoryEvent,
  executionStartedDetails,
  terminalEvent,
} from './history';
import { type MapRunRecord, copyMapRun } from './map-runs';
import type { RedrivePoint } from './redrive';

/** How many finished executions' histories are kept (LocalStepFunctionsOptions.historyRetention). */
export interface HistoryRetention {
  /** @default 1000 */
  readonly executions?: number;
  /** Input/output characters held by the retained histories. @default 64 Mi */
  readonly payloadChars?: number;
}

export class HistoryArchive {
  /** Histories of running executions and of the retained finished ones. */
  private readonly histories = new Map<string, ExecutionHistory>();
  /** Finished executions whose history is retained, oldest first. */
  private readonly retained: string[] = [];
  private retainedPayloadChars = 0;
  private readonly mapRuns = new Map<string, MapRunRecord>();
  private readonly mapRunsByExecution = new Map<string, string[]>();
  /** Where each retained unsuccessful execution stopped (redrive.ts), dropped with its history. */
  private readonly redrivePoints = new Map<string, RedrivePoint>();

  constructor(
    /** ExecutionStarted's roleArn, for histories rebuilt from a record. */
    private readonly roleArn: string,
    private readonly retention: HistoryRetention | undefined,
  ) {}

  /** A new execution's history, kept while it runs. */
  open(executionArn: string, history: ExecutionHistory): void {
    this.histories.set(executionArn, history);
  }

  /** A Map Run an execution started (served until the execution's history is dropped). */
  addMapRun(executionArn: string, mapRun: MapRunRecord): void {
    this.mapRuns.set(mapRun.mapRunArn, mapRun);
    const list = this.mapRunsByExecution.get(executionArn) ?? [];
    list.push(mapRun.mapRunArn);
    this.mapRunsByExecution.set(executionArn, list);
  }

  /** The execution finished (its history is complete): retain it, drop the oldest beyond the limits. */
  retain(executionArn: string): void {
    const history = this.histories.get(executionArn);
    if (!history) return;
    this.retained.push(executionArn);
    this.retainedPayloadChars += history.payloadChars;
    const maxExecutions = this.retention?.executions ?? 1000;
    const maxChars = this.retention?.payloadChars ?? 64 * 1024 * 1024;
    while (
      this.retained.length > maxExecutions ||
      (this.retainedPayloadChars > maxChars && this.retained.length > 1)
    ) {
      const dropped = this.retained.shift() as string;
      this.retainedPayloadChars -= this.histories.get(dropped)?.payloadChars ?? 0;
      this.histories.delete(dropped);
      this.redrivePoints.delete(dropped);
      for (const mapRunArn of this.mapRunsByExecution.get(dropped) ?? []) {
        this.mapRuns.delete(mapRunArn);
      }
      this.mapRunsByExecution.delete(dropped);
    }
  }

  /** Where an unsuccessful execution stopped, kept while its history is. */
  keepRedrivePoint(executionArn: string, point: RedrivePoint): void {
    if (this.histories.has(executionArn)) this.redrivePoints.set(executionArn, point);
  }

  /** The execution's redrive point and history, while both are kept. */
  redrivable(executionArn: string): { point: RedrivePoint; history: ExecutionHistory } | undefined {
    const point = this.redrivePoints.get(executionArn);
    const history = this.histories.get(executionArn);
    return point && history ? { point, history } : undefined;
  }

  /**
   * A redrive: the execution runs again, so its history is no longer a retained finished one
   * (retention must not drop it while it runs); it is reopened, and its redrive point is used up.
   */
  reopen(executionArn: string): ExecutionHistory | undefined {
    const history = this.histories.get(executionArn);
    if (!history) return undefined;
    const at = this.retained.indexOf(executionArn);
    if (at >= 0) {
      this.retained.splice(at, 1);
      this.retainedPayloadChars -= history.payloadChars;
    }
    this.redrivePoints.delete(executionArn);
    history.reopen();
    return history;
  }

  /** The stored record of a Map Run (not a copy: a redrive runs it again). */
  liveMapRun(mapRunArn: string): MapRunRecord | undefined {
    return this.mapRuns.get(mapRunArn);
  }

  /** The execution's events, oldest first; its start and terminal events when none is kept. */
  events(record: ExecutionRecord): HistoryEvent[] {
    const history = this.histories.get(record.executionArn);
    if (history) return history.events();
    const events: HistoryEvent[] = [
      {
        timestamp: record.startDate,
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: executionStartedDetails(record.input, this.roleArn),
      },
    ];
    if (record.status !== 'RUNNING') {
      const terminal = terminalEvent(record);
      events.push({
        timestamp: record.stopDate ?? record.startDate,
        type: terminal.type,
        id: 2,
        previousEventId: 1,
        ...(Object.keys(terminal.details).length > 0
          ? { [terminal.detailsKey]: terminal.details }
          : {}),
      });
    }
    return events;
  }

  /** The Map Runs an execution started, oldest first (copies). */
  listMapRuns(executionArn: string): MapRunRecord[] {
    return (this.mapRunsByExecution.get(executionArn) ?? []).flatMap((arn) => {
      const mapRun = this.mapRuns.get(arn);
      return mapRun ? [copyMapRun(mapRun)] : [];
    });
  }

  /** A copy; ResourceNotFound for an unknown (or no longer retained) Map Run. */
  describeMapRun(mapRunArn: string): MapRunRecord {
    const mapRun = this.mapRuns.get(mapRunArn);
    if (!mapRun) {
      throw new StepFunctionsApiError('ResourceNotFound', `Resource not found: '${mapRunArn}'`);
    }
    return copyMapRun(mapRun);
  }
}
