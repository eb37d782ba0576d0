/**
 * LocalStepFunctions: one synthesized state machine, run in-process with the Step Functions
 * execution API (StartExecution, DescribeExecution, ListExecutions, StopExecution,
 * GetExecutionHistory, DescribeMapRun, ListMapRuns) around aws-local-stepfunctions. DESIGN.md §6.
 *
 * Construction checks the definition (UnsupportedAslFeature naming the state and field, then
 * asl-validator), plans it (definition.ts: the mechanical transform) and compiles every Task into
 * a handler (resources.ts adapters, the Distributed Map runner). Executions:
 * - startExecution returns at once; the run starts on the next turn of the event loop;
 * - RUNNING → SUCCEEDED | FAILED (error, cause) | TIMED_OUT (the definition's TimeoutSeconds,
 *   enforced here) | ABORTED (stopExecution, close(), or a restart found it RUNNING);
 * - stopping cancels the library run, every Distributed Map child and every task handler in
 *   flight (they see their AbortSignal); nothing new starts;
 * - records go to the ExecutionStore at start and end; onExecutionStatusChange runs after every
 *   terminal transition (the lead wires it to the lock-release handler, as the EventBridge rule
 *   does on AWS), and waitForExecution resolves after it;
 * - each top-level execution keeps its history (history.ts: Step Functions' event shapes, at most
 *   25,000 events, in memory; the most recent finished ones are retained) and its Map Runs.
 *
 * Deviations from AWS that the engine knows of are listed in local/engine/README.md.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, SynthesizedDefinition } from '../synthesized-definition';
import { CancellationScope } from './cancellation';
import { type MachinePlan, MAX_TIMER_SECONDS, planStateMachine } from './definition';
import {
  DistributedMapRunner,
  type MapChildCompleted,
  type MapRunObserver,
} from './distributed-map';
import { InvalidAslDefinition, StepFunctionsApiError, cancelledError, errorOutput } from './errors';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  InMemoryExecutionStore,
} from './execution-store';
import {
  ExecutionHistory,
  ExecutionRecorder,
  type HistoryEvent,
  MAX_HISTORY_EVENTS,
  type MapRunRecord,
  type TaskResourceInfo,
  copyMapRun,
  payloadFields,
  taskResourceInfo,
} from './history';
import {
  type AdapterDependencies,
  LambdaRegistry,
  type LocalLambda,
  MAX_PAYLOAD_BYTES,
  type RunScope,
  type TaskHandler,
  createTaskHandler,
} from './resources';

export interface LocalStepFunctionsOptions {
  /** The state machine as CDK synthesized it (local/synthesized-definition.ts). */
  readonly definition: Pick<
    SynthesizedDefinition,
    'stateMachineArn' | 'stateMachineName' | 'definition'
  >;
  /** The functions Task states invoke, run in-process. */
  readonly lambdas?: readonly LocalLambda[];
  /** For DynamoDB resources (pointing at dynalite). */
  readonly dynamoDbClient?: DynamoDBClient;
  /** @default a new InMemoryExecutionStore */
  readonly executionStore?: ExecutionStore;
  /** `$$.Execution.RoleArn`. @default arn:<partition>:iam::<account>:role/<machine>-role */
  readonly roleArn?: string;
  /** Multiplies every Retry interval (and MaxDelaySeconds); 0 retries at once. @default 1 (AWS-like) */
  readonly retryIntervalScale?: number;
  /** Fixed retry waits in ms per state name (the library's override; wins over the scale). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  /** Runs the definition through asl-validator first. @default true */
  readonly validateDefinition?: boolean;
  /** After every terminal transition (SUCCEEDED, FAILED, TIMED_OUT, ABORTED), and for each recovered execution. */
  readonly onExecutionStatusChange?: (record: ExecutionRecord) => void | Promise<void>;
  /** After every Distributed Map child (live progress). */
  readonly onMapChildCompleted?: (event: MapChildCompleted) => void;
  /** A status hook or the store failed; the engine goes on. @default a line on stderr */
  readonly onError?: (error: unknown, context: string) => void;
  /** How long close() waits for task handlers that ignore their abort signal. @default 5000 */
  readonly closeGraceMs?: number;
  /**
   * Events in one execution's history; reaching it fails the execution (States.Runtime), as on
   * AWS. @default 25,000
   */
  readonly maxHistoryEvents?: number;
  /**
   * Histories (and Map Runs) kept for finished executions, oldest dropped first: at most
   * `executions` of them and `payloadChars` characters of inputs/outputs in all (the newest is
   * always kept). A dropped or pre-restart history reads as its start and end events only.
   * @default { executions: 1000, payloadChars: 64 Mi }
   */
  readonly historyRetention?: { readonly executions?: number; readonly payloadChars?: number };
}

export interface StartExecutionRequest {
  /** 1..80 of [A-Za-z0-9-_]. @default a UUID */
  readonly name?: string;
  /** A JSON value, or JSON text (as the Step Functions API takes it). @default {} */
  readonly input?: unknown;
}

export interface StopExecutionRequest {
  readonly error?: string;
  readonly cause?: string;
}

export interface ListExecutionsRequest {
  readonly statusFilter?: ExecutionStatus;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

type MutableRecord = { -readonly [K in keyof ExecutionRecord]: ExecutionRecord[K] };

interface ActiveExecution {
  readonly record: MutableRecord;
  readonly scope: CancellationScope;
  readonly recorder: ExecutionRecorder;
  /** Settles when the library's event log of the run closed (the history is complete). */
  historyDone?: Promise<void>;
  /** JSON text of the input: each run gets its own parse, the record keeps its own. */
  readonly inputText: string;
  started: boolean;
  finalized: boolean;
  timer?: { cancel(): void };
  readonly done: Promise<ExecutionRecord>;
  resolveDone(record: ExecutionRecord): void;
}

export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** What the library runs: the transform of the synthesized definition (definition.ts); a frozen copy. */
  readonly transformedDefinition: AslDefinition;

  private readonly plan: MachinePlan;
  private readonly root: CompiledMachine;
  private readonly store: ExecutionStore;
  private readonly records = new Map<string, MutableRecord>();
  private readonly active = new Map<string, ActiveExecution>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly arnPrefix: string;
  private readonly mapRunArnPrefix: string;
  private readonly region: string;
  private readonly recovery: Promise<ExecutionRecord[]>;
  private closed = false;
  /** Histories of running executions and of the retained finished ones. */
  private readonly histories = new Map<string, ExecutionHistory>();
  /** Finished executions whose history is retained, oldest first. */
  private readonly retainedHistories: string[] = [];
  private retainedPayloadChars = 0;
  private readonly mapRuns = new Map<string, MapRunRecord>();
  private readonly mapRunsByExecution = new Map<string, string[]>();
  /** The top-level run's Task states and DISTRIBUTED Maps, as their history events show them. */
  private readonly topLevelTasks = new Map<string, TaskResourceInfo>();
  private readonly topLevelDistributedMaps = new Set<string>();

  /** `$$.Execution.RoleArn` and the ExecutionStarted event's roleArn. */
  readonly roleArn: string;
  /** When this engine was created (DescribeStateMachine's creationDate, locally). */
  readonly creationDate = new Date();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const { definition, stateMachineArn, stateMachineName } = options.definition;
    this.stateMachineArn = stateMachineArn;
    this.stateMachineName = stateMachineName;
    const [, partition, , region, account] = stateMachineArn.split(':');
    this.arnPrefix = `arn:${partition}:states:${region}:${account}:execution:${stateMachineName}`;
    this.mapRunArnPrefix = `arn:${partition}:states:${region}:${account}:mapRun:${stateMachineName}`;
    this.region = region;
    this.roleArn =
      options.roleArn ?? `arn:${partition}:iam::${account}:role/${stateMachineName}-role`;

    this.plan = planStateMachine(definition, {
      dynamoDbClientConfigured: options.dynamoDbClient !== undefined,
      retryIntervalScale: options.retryIntervalScale,
    });
    if (options.validateDefinition ?? true) validateAsl(definition);
    this.transformedDefinition = deepFreeze(structuredClone(this.plan.definition));

    const deps: AdapterDependencies = {
      lambdas: new LambdaRegistry(options.lambdas ?? []),
      dynamoDbClient: options.dynamoDbClient,
      stateMachineArn,
      startExecution: (request) => this.startExecution(request),
      track: (work) => this.track(work),
    };
    this.root = this.compile(this.plan, deps);
    for (const task of this.plan.tasks) {
      if (task.distributedMap) {
        this.topLevelDistributedMaps.add(task.stateName);
      } else {
        const timeout = task.state.TimeoutSeconds;
        this.topLevelTasks.set(
          task.stateName,
          taskResourceInfo(
            String(task.state.Resource),
            typeof timeout === 'number' ? timeout : undefined,
          ),
        );
      }
    }

    this.store = options.executionStore ?? new InMemoryExecutionStore();
    this.recovery = this.reportRecovered(this.loadStored());
  }

  // ---- the execution API --------------------------------------------------------------------

  /** StartExecution: returns at once; the run starts on the next turn of the event loop. */
  startExecution(request: StartExecutionRequest = {}): ExecutionRecord {
    if (this.closed) {
      throw new StepFunctionsApiError('EngineClosed', 'The local runtime is closed');
    }
    const name = request.name ?? randomUUID();
    if (!NAME.test(name)) {
      throw new StepFunctionsApiError(
        'InvalidName',
        `Invalid Name: ${JSON.stringify(name)} (1..80 characters of A-Z, a-z, 0-9, - and _)`,
      );
    }
    const inputText = normalizeInput(request.input);
    const executionArn = `${this.arnPrefix}:${name}`;
    const existing = this.records.get(executionArn);
    if (existing) {
      // Step Functions: the same name and input while RUNNING is the same request (idempotent).
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === inputText) {
        return { ...existing };
      }
      throw new StepFunctionsApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }

    const record: MutableRecord = {
      executionArn,
      stateMachineArn: this.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input: JSON.parse(inputText) as unknown,
    };
    let resolveDone!: (record: ExecutionRecord) => void;
    const done = new Promise<ExecutionRecord>((resolve) => (resolveDone = resolve));
    // Room for ExecutionStarted and the terminal event at least.
    const limit = Math.max(2, this.options.maxHistoryEvents ?? MAX_HISTORY_EVENTS);
    const history = new ExecutionHistory(limit, () =>
      this.finalize(
        execution,
        'FAILED',
        {
          error: 'States.Runtime',
          cause: `The execution reached the maximum number of events in its history (${history.limit})`,
        },
        true,
      ),
    );
    history.add(
      'ExecutionStarted',
      'executionStartedEventDetails',
      { ...payloadFields('input', record.input), roleArn: this.roleArn },
      record.startDate,
    );
    this.histories.set(executionArn, history);
    const execution: ActiveExecution = {
      record,
      scope: new CancellationScope(),
      recorder: new ExecutionRecorder({
        executionArn,
        stateMachineArn: this.stateMachineArn,
        region: this.region,
        history,
        tasks: this.topLevelTasks,
        distributedMaps: this.topLevelDistributedMaps,
        newMapRunArn: (stateName) => `${this.mapRunArnPrefix}/${stateName}:${randomUUID()}`,
        onMapRun: (mapRun) => {
          this.mapRuns.set(mapRun.mapRunArn, mapRun);
          const list = this.mapRunsByExecution.get(executionArn) ?? [];
          list.push(mapRun.mapRunArn);
          this.mapRunsByExecution.set(executionArn, list);
        },
      }),
      inputText,
      started: false,
      finalized: false,
      done,
      resolveDone,
    };
    this.records.set(executionArn, record);
    this.active.set(executionArn, execution);
    this.persist(record);
    setImmediate(() => this.begin(execution));
    return { ...record };
  }

  /** DescribeExecution. */
  describeExecution(executionArn: string): ExecutionRecord {
    return { ...this.recordOf(executionArn) };
  }

  /** ListExecutions, newest first. */
  listExecutions(request: ListExecutionsRequest = {}): ExecutionRecord[] {
    return [...this.records.values()]
      .filter((r) => request.statusFilter === undefined || r.status === request.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map((r) => ({ ...r }));
  }

  /** StopExecution: ABORTED at once; a finished execution is left as it is. */
  stopExecution(executionArn: string, request: StopExecutionRequest = {}): ExecutionRecord {
    const record = this.recordOf(executionArn);
    const execution = this.active.get(executionArn);
    if (execution && !execution.finalized) {
      this.finalize(execution, 'ABORTED', {
        ...(request.error !== undefined ? { error: request.error } : {}),
        ...(request.cause !== undefined ? { cause: request.cause } : {}),
      });
    }
    return { ...record };
  }

  /**
   * GetExecutionHistory: the execution's events, oldest first. An execution whose history is not
   * kept (it ran before a restart, or was dropped by historyRetention) reads as its
   * ExecutionStarted and terminal events.
   */
  getExecutionHistory(executionArn: string): HistoryEvent[] {
    const record = this.recordOf(executionArn);
    const history = this.histories.get(executionArn);
    if (history) return history.events();
    const events: HistoryEvent[] = [
      {
        timestamp: record.startDate,
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: {
          ...payloadFields('input', record.input),
          roleArn: this.roleArn,
        },
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

  /** ListMapRuns: the Map Runs an execution started, oldest first (copies). */
  listMapRuns(executionArn: string): MapRunRecord[] {
    this.recordOf(executionArn);
    return (this.mapRunsByExecution.get(executionArn) ?? []).flatMap((arn) => {
      const mapRun = this.mapRuns.get(arn);
      return mapRun ? [copyMapRun(mapRun)] : [];
    });
  }

  /** DescribeMapRun (a copy); ResourceNotFound for an unknown (or no longer retained) Map Run. */
  describeMapRun(mapRunArn: string): MapRunRecord {
    const mapRun = this.mapRuns.get(mapRunArn);
    if (!mapRun) {
      throw new StepFunctionsApiError('ResourceNotFound', `Resource not found: '${mapRunArn}'`);
    }
    return copyMapRun(mapRun);
  }

  /** Resolves with the execution's final record, after onExecutionStatusChange ran. */
  async waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const record = this.recordOf(executionArn);
    const execution = this.active.get(executionArn);
    return execution ? execution.done : { ...record };
  }

  /**
   * Resolves when every execution a previous process left RUNNING is ABORTED (stopDate: this
   * start, cause "local runtime restarted"), stored, and reported through onExecutionStatusChange.
   * The work starts at construction; this only waits for it.
   */
  recover(): Promise<ExecutionRecord[]> {
    return this.recovery;
  }

  /** Resolves when no execution is running (and every status hook has run). */
  async idle(): Promise<void> {
    while (this.active.size > 0) {
      await Promise.all([...this.active.values()].map((e) => e.done));
    }
  }

  /** Stops every running execution (ABORTED), waits for them and their handlers; refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.recovery;
    for (const execution of [...this.active.values()]) {
      if (!execution.finalized) {
        this.finalize(execution, 'ABORTED', { cause: 'local runtime closed' });
      }
    }
    await this.idle();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.closeGraceMs ?? 5000);
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
      clearTimeout(timer);
    }
  }

  // ---- running ------------------------------------------------------------------------------

  private begin(execution: ActiveExecution): void {
    if (execution.finalized) return;
    execution.started = true;
    const { record } = execution;
    const run: RunScope = {
      executionArn: record.executionArn,
      context: {
        // The library sets its own Input and StartTime; these serve the paths the engine
        // evaluates itself (ItemSelector, BatchInput, ...).
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          Input: record.input,
          StartTime: record.startDate.toISOString(),
          RoleArn: this.roleArn,
          RedriveCount: 0,
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
      },
      cancellation: execution.scope,
    };
    const timeoutSeconds = this.plan.timeoutSeconds;
    if (timeoutSeconds !== undefined) {
      execution.timer = longTimeout(timeoutSeconds * 1000, () =>
        this.finalize(execution, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: `The execution ran longer than its TimeoutSeconds (${timeoutSeconds} s)`,
        }),
      );
    }
    const started = this.root.run(JSON.parse(execution.inputText) as unknown, run, {
      recorder: execution.recorder,
    });
    execution.historyDone = started.events;
    started.result.then(
      (output) => {
        if (execution.scope.aborted) return;
        const text = JSON.stringify(output ?? null);
        if (text.length > MAX_PAYLOAD_BYTES / 3 && Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
          this.finalize(execution, 'FAILED', {
            error: 'States.DataLimitExceeded',
            cause: `The execution output is ${Buffer.byteLength(text)} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
          });
          return;
        }
        this.finalize(execution, 'SUCCEEDED', { output: output ?? null });
      },
      (error: unknown) => this.finalize(execution, 'FAILED', failureFields(error)),
    );
  }

  /** `byEngine`: the engine ends it (not the library run): what is in flight was aborted. */
  private finalize(
    execution: ActiveExecution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    fields: Partial<Pick<ExecutionRecord, 'output' | 'error' | 'cause'>>,
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
    // Stops the library run, Distributed Map children and handlers (a no-op after success).
    execution.scope.abort(`execution ${status}`);
    const snapshot: ExecutionRecord = { ...record };
    void (async () => {
      await this.historyComplete(execution);
      await this.save(snapshot);
      await this.notify(snapshot);
      this.active.delete(record.executionArn);
      execution.resolveDone({ ...record });
    })();
  }

  /** Waits (briefly) for the library's event log to close, then seals and retains the history. */
  private async historyComplete(execution: ActiveExecution): Promise<void> {
    if (execution.historyDone) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      });
      await Promise.race([execution.historyDone, grace]);
      clearTimeout(timer);
    }
    execution.recorder.seal();
    const executionArn = execution.record.executionArn;
    const history = this.histories.get(executionArn);
    if (!history) return;
    this.retainedHistories.push(executionArn);
    this.retainedPayloadChars += history.payloadChars;
    const retention = this.options.historyRetention;
    const maxExecutions = retention?.executions ?? 1000;
    const maxChars = retention?.payloadChars ?? 64 * 1024 * 1024;
    while (
      this.retainedHistories.length > maxExecutions ||
      (this.retainedPayloadChars > maxChars && this.retainedHistories.length > 1)
    ) {
      const dropped = this.retainedHistories.shift() as string;
      this.retainedPayloadChars -= this.histories.get(dropped)?.payloadChars ?? 0;
      this.histories.delete(dropped);
      for (const mapRunArn of this.mapRunsByExecution.get(dropped) ?? []) {
        this.mapRuns.delete(mapRunArn);
      }
      this.mapRunsByExecution.delete(dropped);
    }
  }

  /** Loads the store; executions left RUNNING become ABORTED (in memory, at once). */
  private loadStored(): ExecutionRecord[] {
    const now = new Date();
    const recovered: ExecutionRecord[] = [];
    for (const stored of this.store.loadAll()) {
      if (stored.stateMachineArn !== this.stateMachineArn) continue;
      const record: MutableRecord = { ...stored };
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.stopDate = now;
        record.cause = 'local runtime restarted';
        recovered.push({ ...record });
      }
      this.records.set(record.executionArn, record);
    }
    return recovered;
  }

  /** Stores and reports the recovered executions (what recover() waits for). */
  private async reportRecovered(recovered: ExecutionRecord[]): Promise<ExecutionRecord[]> {
    await Promise.resolve();
    for (const record of recovered) {
      await this.save(record);
      await this.notify(record);
    }
    return recovered;
  }

  private persist(record: MutableRecord): void {
    void this.save({ ...record });
  }

  private async save(record: ExecutionRecord): Promise<void> {
    try {
      await this.store.save(record);
    } catch (error) {
      this.reportError(error, `saving execution ${record.executionArn}`);
    }
  }

  private async notify(record: ExecutionRecord): Promise<void> {
    try {
      await this.options.onExecutionStatusChange?.({ ...record });
    } catch (error) {
      this.reportError(
        error,
        `onExecutionStatusChange for ${record.executionArn} (${record.status})`,
      );
    }
  }

  private reportError(error: unknown, context: string): void {
    if (this.options.onError) {
      this.options.onError(error, context);
      return;
    }
    process.stderr.write(`local engine: ${context} failed: ${String(error)}\n`);
  }

  private recordOf(executionArn: string): MutableRecord {
    const record = this.records.get(executionArn);
    if (!record) {
      throw new StepFunctionsApiError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${executionArn}'`,
      );
    }
    return record;
  }

  private track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }

  // ---- compiling ----------------------------------------------------------------------------

  private compile(plan: MachinePlan, deps: AdapterDependencies): CompiledMachine {
    const handlers: CompiledHandler[] = [];
    for (const task of plan.tasks) {
      if (task.distributedMap) {
        const processor = this.compile(task.distributedMap.processor, deps);
        const runner = new DistributedMapRunner(
          task.stateName,
          task.distributedMap.mapState,
          (input, run) => ({ result: processor.run(input, run).result }),
          this.options.onMapChildCompleted,
        );
        handlers.push({
          name: task.stateName,
          distributedMap: true,
          serve: async (input, run, observer) => runner.run(input, run, observer),
        });
      } else {
        const serve: TaskHandler = createTaskHandler(task.stateName, task.state, deps);
        handlers.push({ name: task.stateName, distributedMap: false, serve });
      }
    }
    return new CompiledMachine(plan, handlers, this.options.retryIntervalOverrides);
  }
}

/** What a Task state of a planned machine is served by. */
interface CompiledHandler {
  readonly name: string;
  /** The stand-in of a DISTRIBUTED Map (served by the Distributed Map runner). */
  readonly distributedMap: boolean;
  readonly serve: (input: unknown, run: RunScope, observer?: MapRunObserver) => Promise<unknown>;
}

/** The terminal history event of a finished execution (shared by live and stored executions). */
function terminalEvent(record: ExecutionRecord): {
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

/** One planned machine, ready to run many times (the library instance is reused). */
class CompiledMachine {
  private readonly machine: StateMachine;

  constructor(
    plan: MachinePlan,
    private readonly handlers: readonly CompiledHandler[],
    private readonly retryIntervalOverrides:
      Readonly<Record<string, number | number[]>> | undefined,
  ) {
    this.machine = new StateMachine(plan.definition as never, {
      validationOptions: { noValidate: true },
    });
  }

  /**
   * Runs once in `run`'s scope; aborting the scope aborts the run. Rejects once aborted.
   * With a `recorder` (top-level executions) the library's event log is consumed as it grows
   * into the execution's history (a long execution would otherwise keep every state's input and
   * output in the library until it ends) and the task handlers are wrapped to record their task
   * events; `events` settles when the log closed. A short-lived Distributed Map child's log is
   * simply dropped with it.
   */
  run(
    input: unknown,
    run: RunScope,
    options: { recorder?: ExecutionRecorder } = {},
  ): { result: Promise<unknown>; events?: Promise<void> } {
    const recorder = options.recorder;
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const handler of this.handlers) {
      const { name, serve } = handler;
      if (!recorder) {
        taskResourceLocalHandlers[name] = (taskInput) => serve(taskInput, run);
      } else if (handler.distributedMap) {
        taskResourceLocalHandlers[name] = (taskInput) =>
          recorder.distributedMap(name, (observer) => serve(taskInput, run, observer));
      } else {
        taskResourceLocalHandlers[name] = (taskInput) =>
          recorder.task(name, taskInput, () => serve(taskInput, run));
      }
    }
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        ...(this.retryIntervalOverrides
          ? { retryIntervalOverrides: { ...this.retryIntervalOverrides } }
          : {}),
      },
      context: run.context,
      noThrowOnAbort: true,
    });
    const events = recorder
      ? recorder.consume(execution.eventLogs).catch(() => undefined)
      : undefined;
    const unsubscribe = run.cancellation.whenAborted(() => execution.abort());
    const result = execution.result.then(
      (output) => {
        unsubscribe();
        if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'aborted');
        return output as unknown;
      },
      (error: unknown) => {
        unsubscribe();
        throw error;
      },
    );
    return { result, events };
  }
}

/** The input as JSON text: a JSON value, or JSON text as the API takes it. */
function normalizeInput(input: unknown): string {
  let text: string | undefined;
  if (input === undefined) {
    text = '{}';
  } else if (typeof input === 'string') {
    try {
      text = JSON.stringify(JSON.parse(input));
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: the input string is not JSON (${(error as Error).message})`,
      );
    }
  } else {
    try {
      text = JSON.stringify(input);
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: not serializable as JSON (${(error as Error).message})`,
      );
    }
    if (text === undefined) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: ${typeof input} is not a JSON value`,
      );
    }
  }
  if (text.length > MAX_PAYLOAD_BYTES / 3 && Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new StepFunctionsApiError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: ${Buffer.byteLength(text)} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
    );
  }
  return text;
}

const FAIL_STATE_DEFAULTS = {
  name: 'FailStateError',
  message: 'Execution failed because of a Fail state',
};

/** What an execution failed with: the library wraps the state's error (ExecutionError.cause). */
function failureFields(error: unknown): { error?: string; cause?: string } {
  const failure =
    error instanceof Error && error.name === 'ExecutionError' && error.cause !== undefined
      ? error.cause
      : error;
  const { Error: name, Cause: cause } = errorOutput(failure);
  // A Fail state without Error / Cause: the library fills in placeholders, AWS reports none.
  return {
    ...(name !== FAIL_STATE_DEFAULTS.name ? { error: name } : {}),
    ...(cause !== FAIL_STATE_DEFAULTS.message ? { cause } : {}),
  };
}

function validateAsl(definition: AslDefinition): void {
  try {
    new StateMachine(definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
  } catch (error) {
    throw new InvalidAslDefinition((error as Error).message);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** setTimeout for any delay (chained below the 2^31-1 ms limit). */
function longTimeout(ms: number, callback: () => void): { cancel(): void } {
  const limit = MAX_TIMER_SECONDS * 1000;
  let timer: NodeJS.Timeout;
  const arm = (remaining: number) => {
    timer = setTimeout(
      () => (remaining > limit ? arm(remaining - limit) : callback()),
      Math.min(remaining, limit),
    );
  };
  arm(ms);
  return { cancel: () => clearTimeout(timer) };
}
