/**
 * LocalStepFunctions: one synthesized state machine, run in-process with the Step Functions
 * execution API (StartExecution, DescribeExecution, ListExecutions, StopExecution) around
 * aws-local-stepfunctions. DESIGN.md §6.
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
 *   does on AWS), and waitForExecution resolves after it.
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
import { DistributedMapRunner, type MapChildCompleted } from './distributed-map';
import { InvalidAslDefinition, StepFunctionsApiError, cancelledError, errorOutput } from './errors';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  InMemoryExecutionStore,
} from './execution-store';
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
  private readonly roleArn: string;
  private readonly recovery: Promise<ExecutionRecord[]>;
  private closed = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const { definition, stateMachineArn, stateMachineName } = options.definition;
    this.stateMachineArn = stateMachineArn;
    this.stateMachineName = stateMachineName;
    const [, partition, , region, account] = stateMachineArn.split(':');
    this.arnPrefix = `arn:${partition}:states:${region}:${account}:execution:${stateMachineName}`;
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
    const execution: ActiveExecution = {
      record,
      scope: new CancellationScope(),
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
      drainEvents: true,
    });
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

  private finalize(
    execution: ActiveExecution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    fields: Partial<Pick<ExecutionRecord, 'output' | 'error' | 'cause'>>,
  ): void {
    if (execution.finalized) return;
    execution.finalized = true;
    execution.timer?.cancel();
    const { record } = execution;
    record.status = status;
    record.stopDate = new Date();
    Object.assign(record, fields);
    // Stops the library run, Distributed Map children and handlers (a no-op after success).
    execution.scope.abort(`execution ${status}`);
    const snapshot: ExecutionRecord = { ...record };
    void (async () => {
      await this.save(snapshot);
      await this.notify(snapshot);
      this.active.delete(record.executionArn);
      execution.resolveDone({ ...record });
    })();
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
    const handlers: [string, TaskHandler][] = [];
    for (const task of plan.tasks) {
      if (task.distributedMap) {
        const processor = this.compile(task.distributedMap.processor, deps);
        const runner = new DistributedMapRunner(
          task.stateName,
          task.distributedMap.mapState,
          (input, run) => ({ result: processor.run(input, run).result }),
          this.options.onMapChildCompleted,
        );
        handlers.push([task.stateName, async (input, run) => runner.run(input, run)]);
      } else {
        handlers.push([task.stateName, createTaskHandler(task.stateName, task.state, deps)]);
      }
    }
    return new CompiledMachine(plan, handlers, this.options.retryIntervalOverrides);
  }
}

/** One planned machine, ready to run many times (the library instance is reused). */
class CompiledMachine {
  private readonly machine: StateMachine;

  constructor(
    plan: MachinePlan,
    private readonly handlers: readonly [string, TaskHandler][],
    private readonly retryIntervalOverrides:
      Readonly<Record<string, number | number[]>> | undefined,
  ) {
    this.machine = new StateMachine(plan.definition as never, {
      validationOptions: { noValidate: true },
    });
  }

  /**
   * Runs once in `run`'s scope; aborting the scope aborts the run. Rejects once aborted.
   * `drainEvents` consumes the library's event log as it grows (a long execution would otherwise
   * keep every state's input and output until it ends); a short-lived Distributed Map child's
   * log is simply dropped with it.
   */
  run(
    input: unknown,
    run: RunScope,
    options: { drainEvents?: boolean } = {},
  ): { result: Promise<unknown> } {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, handler] of this.handlers) {
      taskResourceLocalHandlers[name] = (taskInput) => handler(taskInput, run);
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
    if (options.drainEvents) void drain(execution.eventLogs);
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
    return { result };
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

async function drain(events: AsyncGenerator<unknown>): Promise<void> {
  for (;;) {
    const { done } = await events.next();
    if (done) return;
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
