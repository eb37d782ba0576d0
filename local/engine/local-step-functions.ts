/**
 * LocalStepFunctions: one synthesized state machine, run in-process with the Step Functions
 * execution API (StartExecution, DescribeExecution, ListExecutions, StopExecution,
 * RedriveExecution, GetExecutionHistory, DescribeMapRun, ListMapRuns,
 * DescribeStateMachineForExecution, ValidateStateMachineDefinition, TestState) around its own ASL
 * interpreter (asl/). docs/architecture.md §6.
 *
 * This class is the facade: it owns the execution records and answers the API; the work is
 * done by
 * - compiled-machine.ts: construction checks the definition (UnsupportedAslFeature naming the
 *   state and field, then asl-validator), plans it (definition.ts: the mechanical transform) and
 *   compiles every Task into a handler (resources.ts adapters, the Distributed Map runner);
 * - execution-runner.ts: one run per execution — startExecution returns at once, RUNNING →
 *   SUCCEEDED | FAILED | TIMED_OUT | ABORTED, stopping cancels everything in flight;
 * - status-hooks.ts: records go to the ExecutionStore at start and end; onExecutionStatusChange
 *   runs after every terminal transition (the runtime wires it to the lock-release handler, as
 *   the EventBridge rule does on AWS), and waitForExecution resolves after it;
 * - recovery.ts: executions a killed process left RUNNING become ABORTED at construction;
 * - history-archive.ts: each top-level execution keeps its history (history.ts: Step Functions'
 *   event shapes, at most 25,000 events, in memory; the most recent finished ones are retained)
 *   and its Map Runs (map-runs.ts).
 *
 * Deviations from AWS that the engine knows of are listed in docs/local-engine.md.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AslDefinition, SynthesizedDefinition } from '../stack/synthesized-definition';
import { compileMachine, loadDefinition } from './compiled-machine';
import type { MapChildCompleted } from './distributed-map';
import { StepFunctionsApiError } from './errors';
import { normalizeInput } from './execution-input';
import { checkExecutionName } from './execution-name';
import { ExecutionRunner } from './execution-runner';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  InMemoryExecutionStore,
  type MutableRecord,
} from './execution-store';
import type { HistoryEvent } from './history';
import { HistoryArchive, type HistoryRetention } from './history-archive';
import type { MapRunRecord } from './map-runs';
import { loadStored, reportRecovered } from './recovery';
import { type AdapterDependencies, LambdaRegistry, type LocalLambda } from './resources';
import {
  NOT_REDRIVABLE,
  RedriveClientTokens,
  type RedrivePoint,
  type RedriveStatus,
  notRedrivable,
  redriveStatus,
} from './redrive';
import { StatusReporter } from './status-hooks';
import { type TestStateRequest, type TestStateResult, testState } from './test-state';
import {
  type ValidateDefinitionRequest,
  type ValidateDefinitionResult,
  validateStateMachineDefinition,
} from './validate-definition';

export interface LocalStepFunctionsOptions {
  /** The state machine as CDK synthesized it (local/stack/synthesized-definition.ts). */
  readonly definition: Pick<
    SynthesizedDefinition,
    'stateMachineArn' | 'stateMachineName' | 'definition'
  >;
  /** The functions Task states invoke, run in-process. */
  readonly lambdas?: readonly LocalLambda[];
  /** For DynamoDB resources (pointing at dynalite). */
  readonly dynamoDbClient?: DynamoDBClient;
  /**
   * For a Distributed Map's ItemReader (s3:getObject; pointing at the local S3 endpoint). Without
   * it such a Map fails with States.ItemReaderFailed.
   */
  readonly s3Client?: S3Client;
  /** @default a new InMemoryExecutionStore */
  readonly executionStore?: ExecutionStore;
  /** `$$.Execution.RoleArn`. @default arn:<partition>:iam::<account>:role/<machine>-role */
  readonly roleArn?: string;
  /** Multiplies every Retry interval (and MaxDelaySeconds); 0 retries at once. @default 1 (AWS-like) */
  readonly retryIntervalScale?: number;
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
  readonly historyRetention?: HistoryRetention;
}

export interface StartExecutionRequest {
  /**
   * 1..80 characters, none of them white space, a control character or one of
   * < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / (execution-input.ts: AWS's rule). @default a UUID
   */
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
  /** Only executions redriven at least once (REDRIVEN), or never (NOT_REDRIVEN). */
  readonly redriveFilter?: 'REDRIVEN' | 'NOT_REDRIVEN';
}

export interface RedriveExecutionRequest {
  /**
   * Makes a repeated request idempotent: the last 10 tokens of a successful redrive answer with
   * that redrive's date for 15 minutes, and do nothing else.
   */
  readonly clientToken?: string;
}

/** DescribeStateMachineForExecution: the state machine an execution ran. */
export interface StateMachineForExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  /** The definition as given to the engine (not the transform the interpreter runs). */
  readonly definition: AslDefinition;
  readonly roleArn: string;
  /** The machine is never updated locally: when this engine was created. */
  readonly updateDate: Date;
}

export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** What the interpreter runs: the transform of the synthesized definition (definition.ts); a frozen copy. */
  readonly transformedDefinition: AslDefinition;
  /** `$$.Execution.RoleArn` and the ExecutionStarted event's roleArn. */
  readonly roleArn: string;
  /** When this engine was created (DescribeStateMachine's creationDate, locally). */
  readonly creationDate = new Date();

  private readonly records = new Map<string, MutableRecord>();
  private readonly runner: ExecutionRunner;
  private readonly archive: HistoryArchive;
  private readonly reporter: StatusReporter;
  /** Task handlers' work (resources.ts `track`): close() waits for it. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly arnPrefix: string;
  private readonly recovery: Promise<ExecutionRecord[]>;
  private readonly redriveTokens = new RedriveClientTokens();
  /** The Task adapters (executions' and TestState's). */
  private readonly adapters: AdapterDependencies;
  private closed = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const { definition, stateMachineArn, stateMachineName } = options.definition;
    this.stateMachineArn = stateMachineArn;
    this.stateMachineName = stateMachineName;
    const [, partition, , region, account] = stateMachineArn.split(':');
    this.arnPrefix = `arn:${partition}:states:${region}:${account}:execution:${stateMachineName}`;
    this.roleArn =
      options.roleArn ?? `arn:${partition}:iam::${account}:role/${stateMachineName}-role`;

    const { plan, transformedDefinition } = loadDefinition(definition, {
      dynamoDbClientConfigured: options.dynamoDbClient !== undefined,
      validate: options.validateDefinition ?? true,
    });
    this.transformedDefinition = transformedDefinition;
    const deps: AdapterDependencies = {
      lambdas: new LambdaRegistry(options.lambdas ?? []),
      dynamoDbClient: options.dynamoDbClient,
      s3Client: options.s3Client,
      stateMachineArn,
      startExecution: (request) => this.startExecution(request),
      track: (work) => this.track(work),
    };
    this.adapters = deps;
    const machine = compileMachine(plan, deps, options);

    const store = options.executionStore ?? new InMemoryExecutionStore();
    this.reporter = new StatusReporter(store, options);
    this.archive = new HistoryArchive(this.roleArn, options.historyRetention);
    this.runner = new ExecutionRunner({
      stateMachineArn,
      stateMachineName,
      roleArn: this.roleArn,
      region,
      mapRunArnPrefix: `arn:${partition}:states:${region}:${account}:mapRun:${stateMachineName}`,
      plan,
      machine,
      archive: this.archive,
      reporter: this.reporter,
      maxHistoryEvents: options.maxHistoryEvents,
    });
    // Synchronously: names stay unique across restarts before the first StartExecution.
    this.recovery = reportRecovered(
      loadStored(store, stateMachineArn, this.records),
      this.reporter,
    );
  }

  /** StartExecution: returns at once; the run starts on the next turn of the event loop. */
  startExecution(request: StartExecutionRequest = {}): ExecutionRecord {
    this.refuseWhenClosed();
    const name = request.name ?? randomUUID();
    checkExecutionName(name);
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
    this.records.set(executionArn, record);
    this.runner.start(record, inputText);
    this.reporter.persist(record);
    return { ...record };
  }

  /** DescribeExecution. */
  describeExecution(executionArn: string): ExecutionRecord {
    return { ...this.recordOf(executionArn) };
  }

  /** ListExecutions, newest first. */
  listExecutions(request: ListExecutionsRequest = {}): ExecutionRecord[] {
    const redriven = request.redriveFilter;
    return [...this.records.values()]
      .filter((r) => request.statusFilter === undefined || r.status === request.statusFilter)
      .filter(
        (r) => redriven === undefined || (r.redriveCount ?? 0) > 0 === (redriven === 'REDRIVEN'),
      )
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map((r) => ({ ...r }));
  }

  /** StopExecution: ABORTED at once; a finished execution is left as it is. */
  stopExecution(executionArn: string, request: StopExecutionRequest = {}): ExecutionRecord {
    const record = this.recordOf(executionArn);
    const execution = this.runner.get(executionArn);
    if (execution) {
      this.runner.abort(execution, {
        ...(request.error !== undefined ? { error: request.error } : {}),
        ...(request.cause !== undefined ? { cause: request.cause } : {}),
      });
    }
    return { ...record };
  }

  /**
   * Whether the execution can be redriven now (DescribeExecution's redriveStatus and
   * redriveStatusReason): AWS's rules (redrive.ts), and locally, only while the engine still
   * holds where it stopped.
   */
  redriveStatus(executionArn: string): RedriveStatus {
    return this.redrivable(executionArn).status;
  }

  /**
   * RedriveExecution: the FAILED, TIMED_OUT or ABORTED execution runs again from the state it
   * stopped in, with that state's input and the variables it had; Parallel branches and inline
   * Map iterations that succeeded, and Distributed Map children that succeeded, are not run
   * again. ExecutionNotRedrivable otherwise (redrive.ts), ExecutionDoesNotExist for an unknown
   * execution. Resolves with the redrive's date once the execution is RUNNING again.
   */
  async redriveExecution(
    executionArn: string,
    request: RedriveExecutionRequest = {},
  ): Promise<{ redriveDate: Date }> {
    this.refuseWhenClosed();
    const record = this.recordOf(executionArn);
    const token = request.clientToken;
    const earlier =
      token === undefined ? undefined : this.redriveTokens.earlier(executionArn, token);
    if (earlier) return { redriveDate: earlier };
    // A terminal execution whose status hook is still running: redrive after it ran.
    const finishing = this.runner.get(executionArn);
    if (finishing && record.status !== 'RUNNING') {
      await finishing.done;
      this.refuseWhenClosed();
    }
    const { status, point } = this.redrivable(executionArn);
    if (status.status === 'NOT_REDRIVABLE' || point === undefined) {
      throw notRedrivable(
        status.status === 'NOT_REDRIVABLE' ? status.reason : NOT_REDRIVABLE.notRetained,
      );
    }
    const redriveDate = new Date();
    record.status = 'RUNNING';
    delete record.stopDate;
    delete record.output;
    delete record.error;
    delete record.cause;
    record.redriveCount = (record.redriveCount ?? 0) + 1;
    record.redriveDate = redriveDate;
    this.runner.redrive(record, point);
    this.reporter.persist(record);
    if (token !== undefined) this.redriveTokens.used(executionArn, token, redriveDate);
    return { redriveDate };
  }

  /**
   * GetExecutionHistory: the execution's events, oldest first. An execution whose history is not
   * kept (it ran before a restart, or was dropped by historyRetention) reads as its
   * ExecutionStarted and terminal events.
   */
  getExecutionHistory(executionArn: string): HistoryEvent[] {
    return this.archive.events(this.recordOf(executionArn));
  }

  /** ListMapRuns: the Map Runs an execution started, oldest first (copies). */
  listMapRuns(executionArn: string): MapRunRecord[] {
    this.recordOf(executionArn);
    return this.archive.listMapRuns(executionArn);
  }

  /** DescribeMapRun (a copy); ResourceNotFound for an unknown (or no longer retained) Map Run. */
  describeMapRun(mapRunArn: string): MapRunRecord {
    return this.archive.describeMapRun(mapRunArn);
  }

  /**
   * DescribeStateMachineForExecution: the one machine every execution of this engine ran;
   * ExecutionDoesNotExist for an unknown execution.
   */
  describeStateMachineForExecution(executionArn: string): StateMachineForExecution {
    this.recordOf(executionArn);
    return {
      stateMachineArn: this.stateMachineArn,
      name: this.stateMachineName,
      definition: structuredClone(this.options.definition.definition),
      roleArn: this.roleArn,
      updateDate: this.creationDate,
    };
  }

  /**
   * ValidateStateMachineDefinition: whether `definition` (ASL as JSON text) would load in the local
   * engine, as AWS's result (OK | FAIL) and diagnostics (validate-definition.ts).
   */
  validateStateMachineDefinition(request: ValidateDefinitionRequest): ValidateDefinitionResult {
    return validateStateMachineDefinition(request);
  }

  /**
   * TestState: runs one state (or `stateName` of a whole machine) once, with this engine's Task
   * resources and without Retry; its status, output, next state and inspection data
   * (test-state.ts).
   */
  async testState(request: TestStateRequest): Promise<TestStateResult> {
    this.refuseWhenClosed();
    return testState(request, { adapters: this.adapters, stateMachineName: this.stateMachineName });
  }

  /** Resolves with the execution's final record, after onExecutionStatusChange ran. */
  async waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const record = this.recordOf(executionArn);
    const execution = this.runner.get(executionArn);
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
  idle(): Promise<void> {
    return this.runner.idle();
  }

  /** Stops every running execution (ABORTED), waits for them and their handlers; refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.recovery;
    this.runner.abortAll({ cause: 'local runtime closed' });
    await this.idle();
    if (this.inFlight.size > 0) {
      // A handler that ignores its abort signal cannot hold close() up for ever.
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.closeGraceMs ?? 5000);
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
      clearTimeout(timer);
    }
  }

  /** Whether the execution can be redriven, and from where (the redrive point, while kept). */
  private redrivable(executionArn: string): { status: RedriveStatus; point?: RedrivePoint } {
    const record = this.recordOf(executionArn);
    const kept = this.archive.redrivable(executionArn);
    const status = redriveStatus(record, {
      pointKept: kept !== undefined,
      historyRoom: kept?.history.room ?? 0,
    });
    return kept ? { status, point: kept.point } : { status };
  }

  private refuseWhenClosed(): void {
    if (this.closed) {
      throw new StepFunctionsApiError('EngineClosed', 'The local runtime is closed');
    }
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
}
