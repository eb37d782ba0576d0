/**
 * Running the engine's top-level executions, one interpreter run each (docs/architecture.md §6):
 * - a run starts on the turn of the event loop after StartExecution, so StartExecution returns
 *   at once, as on AWS;
 * - RUNNING → SUCCEEDED | FAILED (error, cause) | TIMED_OUT (the definition's TimeoutSeconds,
 *   enforced here, so that it also cancels what is in flight) | ABORTED (stop, close);
 * - ending an execution aborts its cancellation scope, which stops the run, every
 *   Distributed Map child and every task handler in flight (they see their AbortSignal);
 * - once the history is complete the record is stored, onExecutionStatusChange runs, and only
 *   then does waitForExecution resolve, so a caller never sees the hook's work still pending.
 */
import { randomUUID } from 'node:crypto';
import { CancellationScope } from './cancellation';
import type { CompiledMachine } from './compiled-machine';
import type { MachinePlan } from './definition';
import { longTimeout } from './long-timeout';
import { errorOutput } from './errors';
import { ExecutionRecorder, type TaskResourceInfo, taskResourceInfo } from './execution-recorder';
import type { ExecutionRecord, ExecutionStatus, MutableRecord } from './execution-store';
import {
  ExecutionHistory,
  MAX_HISTORY_EVENTS,
  executionStartedDetails,
  terminalEvent,
} from './history';
import type { HistoryArchive } from './history-archive';
import type { RedrivePoint } from './redrive';
import type { RunProgress } from './asl/run-context';
import { VariableScope } from './asl/variables';
import { MAX_PAYLOAD_BYTES, jsonBytesOverLimit } from './payload-limit';
import type { RunScope } from './resources';
import type { StatusReporter } from './status-hooks';

/** An execution from StartExecution until its status hook ran. */
export interface ActiveExecution {
  readonly record: MutableRecord;
  readonly scope: CancellationScope;
  readonly recorder: ExecutionRecorder;
  /** JSON text of the input: each run gets its own parse, the record keeps its own. */
  readonly inputText: string;
  /** Where the run is (kept as its redrive point if it does not succeed) and its variables. */
  readonly progress: RunProgress;
  readonly variables: VariableScope;
  /** A redrive: where the earlier attempt stopped. */
  readonly resume?: RunProgress;
  finalized: boolean;
  timer?: { cancel(): void };
  /** Resolves with the final record after onExecutionStatusChange ran. */
  readonly done: Promise<ExecutionRecord>;
  resolveDone(record: ExecutionRecord): void;
}

export interface ExecutionRunnerOptions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly roleArn: string;
  readonly region: string;
  /** `arn:<partition>:states:<region>:<account>:mapRun:<machine>` */
  readonly mapRunArnPrefix: string;
  readonly plan: MachinePlan;
  readonly machine: CompiledMachine;
  readonly archive: HistoryArchive;
  readonly reporter: StatusReporter;
  /** @default MAX_HISTORY_EVENTS */
  readonly maxHistoryEvents?: number;
}

type TerminalStatus = Exclude<ExecutionStatus, 'RUNNING'>;
type TerminalFields = Partial<Pick<ExecutionRecord, 'output' | 'error' | 'cause'>>;

export class ExecutionRunner {
  private readonly active = new Map<string, ActiveExecution>();
  /** The top-level run's Task states and DISTRIBUTED Maps, as their history events show them. */
  private readonly tasks = new Map<string, TaskResourceInfo>();
  private readonly distributedMaps = new Set<string>();

  constructor(private readonly options: ExecutionRunnerOptions) {
    for (const task of options.plan.tasks) {
      if (task.distributedMap) {
        this.distributedMaps.add(task.stateName);
      } else {
        const timeout = task.state.TimeoutSeconds;
        this.tasks.set(
          task.stateName,
          taskResourceInfo(
            String(task.state.Resource),
            typeof timeout === 'number' ? timeout : undefined,
          ),
        );
      }
    }
  }

  /** The execution, while it runs or its status hook has not yet run. */
  get(executionArn: string): ActiveExecution | undefined {
    return this.active.get(executionArn);
  }

  /** Opens the execution's history and starts its run on the next turn of the event loop. */
  start(record: MutableRecord, inputText: string): void {
    // Room for ExecutionStarted and the terminal event at least.
    const limit = Math.max(2, this.options.maxHistoryEvents ?? MAX_HISTORY_EVENTS);
    const history = new ExecutionHistory(limit);
    history.add(
      'ExecutionStarted',
      'executionStartedEventDetails',
      executionStartedDetails(record.input, this.options.roleArn),
      record.startDate,
    );
    this.options.archive.open(record.executionArn, history);
    this.launch(record, inputText, history, { progress: {}, variables: new VariableScope() });
  }

  /**
   * RedriveExecution (the caller checked it is redrivable): the same execution runs again from
   * where it stopped, its history continued after an ExecutionRedriven event.
   */
  redrive(record: MutableRecord, point: RedrivePoint): void {
    const history = this.options.archive.reopen(record.executionArn);
    if (!history) throw new Error(`No history is kept for ${record.executionArn}`);
    history.add('ExecutionRedriven', 'executionRedrivenEventDetails', {
      redriveCount: record.redriveCount ?? 0,
    });
    this.launch(record, JSON.stringify(record.input), history, {
      progress: {},
      variables: point.variables,
      resume: point.progress,
    });
  }

  private launch(
    record: MutableRecord,
    inputText: string,
    history: ExecutionHistory,
    run: Pick<ActiveExecution, 'progress' | 'variables' | 'resume'>,
  ): void {
    const { executionArn } = record;
    let resolveDone!: (record: ExecutionRecord) => void;
    const done = new Promise<ExecutionRecord>((resolve) => (resolveDone = resolve));
    history.onFull = () =>
      this.finalize(
        execution,
        'FAILED',
        {
          error: 'States.Runtime',
          cause: `The execution reached the maximum number of events in its history (${history.limit})`,
        },
        true,
      );
    const execution: ActiveExecution = {
      record,
      scope: new CancellationScope(),
      recorder: new ExecutionRecorder({
        executionArn,
        stateMachineArn: this.options.stateMachineArn,
        region: this.options.region,
        history,
        tasks: this.tasks,
        distributedMaps: this.distributedMaps,
        newMapRunArn: (stateName) => `${this.options.mapRunArnPrefix}/${stateName}:${randomUUID()}`,
        onMapRun: (mapRun) => this.options.archive.addMapRun(executionArn, mapRun),
        findMapRun: (mapRunArn) => this.options.archive.liveMapRun(mapRunArn),
      }),
      inputText,
      ...run,
      finalized: false,
      done,
      resolveDone,
    };
    this.active.set(executionArn, execution);
    setImmediate(() => this.begin(execution));
  }

  /** StopExecution / close(): ABORTED at once; a finished execution is left as it is. */
  abort(execution: ActiveExecution, fields: Pick<TerminalFields, 'error' | 'cause'>): void {
    if (!execution.finalized) this.finalize(execution, 'ABORTED', fields);
  }

  /** Aborts every execution still running. */
  abortAll(fields: Pick<TerminalFields, 'error' | 'cause'>): void {
    for (const execution of [...this.active.values()]) this.abort(execution, fields);
  }

  /** Resolves when no execution is running (and every status hook has run). */
  async idle(): Promise<void> {
    while (this.active.size > 0) {
      await Promise.all([...this.active.values()].map((e) => e.done));
    }
  }

  private begin(execution: ActiveExecution): void {
    if (execution.finalized) return;
    const { record } = execution;
    const { roleArn, stateMachineArn, stateMachineName } = this.options;
    const run: RunScope = {
      executionArn: record.executionArn,
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          Input: record.input,
          StartTime: record.startDate.toISOString(),
          RoleArn: roleArn,
          RedriveCount: record.redriveCount ?? 0,
          ...(record.redriveDate ? { RedriveTime: record.redriveDate.toISOString() } : {}),
        },
        StateMachine: { Id: stateMachineArn, Name: stateMachineName },
      },
      cancellation: execution.scope,
    };
    const timeoutSeconds = this.options.plan.timeoutSeconds;
    if (timeoutSeconds !== undefined) {
      execution.timer = longTimeout(timeoutSeconds * 1000, () =>
        this.finalize(execution, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: `The execution ran longer than its TimeoutSeconds (${timeoutSeconds} s)`,
        }),
      );
    }
    const started = this.options.machine.run(JSON.parse(execution.inputText) as unknown, run, {
      recorder: execution.recorder,
      progress: execution.progress,
      variables: execution.variables,
      ...(execution.resume ? { resume: execution.resume } : {}),
    });
    started.result.then(
      (output) => {
        if (execution.scope.aborted) return;
        const bytes = jsonBytesOverLimit(output ?? null);
        if (bytes !== undefined) {
          this.finalize(execution, 'FAILED', {
            error: 'States.DataLimitExceeded',
            cause: `The execution output is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
          });
          return;
        }
        this.finalize(execution, 'SUCCEEDED', { output: output ?? null });
      },
      (error: unknown) => this.finalize(execution, 'FAILED', failureFields(error)),
    );
  }

  /** `byEngine`: the engine ends it (not the run itself): what is in flight was aborted. */
  private finalize(
    execution: ActiveExecution,
    status: TerminalStatus,
    fields: TerminalFields,
    byEngine = false,
  ): void {
    if (execution.finalized) return;
    execution.finalized = true;
    execution.timer?.cancel();
    const { record } = execution;
    record.status = status;
    record.stopDate = new Date();
    Object.assign(record, fields);
    const terminal = terminalEvent(record);
    execution.recorder.end(
      terminal.type,
      terminal.detailsKey,
      terminal.details,
      record.stopDate,
      byEngine || status === 'ABORTED' || status === 'TIMED_OUT',
    );
    // Stops the run, Distributed Map children and handlers (a no-op after success).
    execution.scope.abort(`execution ${status}`);
    const snapshot: ExecutionRecord = { ...record };
    // Whatever the stopped run still does is not recorded: the recorder ended.
    this.historyComplete(execution);
    if (status !== 'SUCCEEDED') {
      this.options.archive.keepRedrivePoint(record.executionArn, {
        progress: execution.progress,
        variables: execution.variables,
      });
    }
    void (async () => {
      await this.options.reporter.save(snapshot);
      await this.options.reporter.notify(snapshot);
      this.active.delete(record.executionArn);
      execution.resolveDone({ ...record });
    })();
  }

  /** Seals and retains the history. */
  private historyComplete(execution: ActiveExecution): void {
    execution.recorder.seal();
    this.options.archive.retain(execution.record.executionArn);
  }
}

/** What an execution failed with; a Fail state without Error or Cause reports none. */
function failureFields(error: unknown): { error?: string; cause?: string } {
  const { Error: name, Cause: cause, hasError } = errorOutput(error);
  return {
    ...(hasError === false ? {} : { error: name }),
    ...(cause !== undefined ? { cause } : {}),
  };
}
