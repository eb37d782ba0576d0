/**
 * The Distributed Map runner: serves the Task that stands in for a DISTRIBUTED Map (see
 * definition.ts) and runs one child execution of the ItemProcessor per item or batch
 * (distributed-map-config.ts: the state's fields and how they make the children's inputs).
 * The tolerated-failure rule is distributed-map-failure-threshold.ts's, the children's ARNs and
 * context objects distributed-map-children.ts's.
 *
 * What it implements, as Step Functions does:
 * - MaxConcurrency(Path): children in flight at once; 0 or absent means AWS's ceiling, 10,000.
 * - ToleratedFailurePercentage(Path) / ToleratedFailureCount(Path), counted in items (every item
 *   of a failed batch counts as failed; a child that is aborted or times out counts as failed).
 *   Without either, no failure is tolerated. Once the failed items exceed a threshold (count: more
 *   than the count; percentage: more than that share of all items) the map fails with
 *   States.ExceedToleratedFailureThreshold, aborts the children still running (their task
 *   handlers see the abort) and starts no more. The `…Path` fields are read from the Map's
 *   effective input when the run starts, before its items are read (distributed-map-config.ts).
 * - ItemReader (S3 GetObject of a JSON / JSONL object): the object is read once per Map run
 *   through the ObjectReader the engine passes (resources.ts, over its S3Client), before any child
 *   starts; only the parsed items are kept (distributed-map-item-reader.ts: the object to read and
 *   its parsing). A missing object or bucket, an object that does not
 *   parse, or no S3 client configured fails the Map with States.ItemReaderFailed (Retry / Catch
 *   on the Map apply); stopping the execution while reading rejects as cancelled.
 * - Output: the children's outputs in item (batch) order; a failed child's slot holds its
 *   `{ Error, Cause }`. An output over 256 KiB fails with States.DataLimitExceeded (no ResultWriter).
 * - Children are EXPRESS or STANDARD per ProcessorConfig.ExecutionType. Locally the only
 *   difference is the child's execution ARN (`…:express:…` vs `…:execution:…`); both run with the
 *   same engine semantics (Express's at-least-once and 5-minute limit are not emulated).
 *
 * - A MapRunObserver (optional, per run) sees the Map Run: started (items, child executions,
 *   limits), every child started and settled, and how it ended (SUCCEEDED, FAILED, ABORTED). The
 *   engine passes one for its top-level executions only (history events, DescribeMapRun).
 *
 * Children's inputs are passed by reference: the interpreter never mutates a value, and a task
 * adapter hands its handler a copy. No event log is retained per child.
 */
import type { AslState } from '../stack/synthesized-definition';
import type { CancellationScope } from './cancellation';
import type { ChildInput } from './distributed-map-batching';
import { childArnFactory, childContext } from './distributed-map-children';
import { DistributedMapConfig, type MapRunSettings } from './distributed-map-config';
import type { MapRunEnv } from './distributed-map-env';
import { exceeded, thresholdFailure } from './distributed-map-failure-threshold';
import { type ItemReaderRequest, itemReaderFailure } from './distributed-map-item-reader';
import { type ErrorOutput, TaskFailure, cancelledError, errorOutput } from './errors';
import { MAX_PAYLOAD_BYTES, jsonBytesOverLimit } from './payload-limit';
import { type ObjectReader, type RunScope, sdkErrorDetail } from './resources';
import type { RunProgress, TaskProgress } from './asl/run-context';
import { VariableScope } from './asl/variables';

/** AWS's ceiling on child executions in flight (MaxConcurrency 0 or absent). */
export const MAX_CHILDREN_IN_FLIGHT = 10_000;

/** One finished child, reported to the engine's onMapChildCompleted hook. */
export interface MapChildCompleted {
  /** The execution that runs the Map state. */
  readonly executionArn: string;
  readonly stateName: string;
  /** Items this child processed (its batch size, 1 without ItemBatcher). */
  readonly items: number;
  readonly output?: unknown;
  readonly error?: ErrorOutput;
}

/** How a Map Run ended. */
export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** What a Map Run is, once its items are known (DescribeMapRun's configuration fields). */
export interface MapRunStart {
  readonly totalItems: number;
  /** Child executions (batches) the items make. */
  readonly childExecutions: number;
  /** MaxConcurrency as configured (0: no limit, as AWS reports it). */
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number;
}

/** A redriven Map Run: the earlier one, and what of it succeeded (not run again). */
export interface MapRunRedrive {
  readonly mapRunArn: string;
  readonly succeededItems: number;
  readonly succeededChildren: number;
}

/** Observes one Map Run (the engine: history events, DescribeMapRun / ListMapRuns). */
export interface MapRunObserver {
  /**
   * Before the first child starts; returns the Map Run's ARN. `redriveOf`: the execution was
   * redriven and this Map Run is the earlier one, run again for its unsuccessful children.
   */
  started(run: MapRunStart, redriveOf?: MapRunRedrive): string | undefined;
  /** A child execution of `items` items started. */
  childStarted(items: number): void;
  /** A child execution settled, before the Map Run decides what follows. */
  childSettled(items: number, outcome: 'succeeded' | 'failed' | 'timedOut'): void;
  /** Once: how the Map Run ended (children still running at that point were aborted). */
  finished(status: Exclude<MapRunStatus, 'RUNNING'>, error?: ErrorOutput): void;
}

/** A child execution started by the runner. */
export interface ChildExecution {
  /** Resolves with the child's output; rejects with what it failed with. */
  readonly result: Promise<unknown>;
}

/**
 * A STANDARD child's own run state, kept so that a redrive resumes it where it stopped (an
 * EXPRESS child is started afresh, as AWS reruns Express children with StartExecution).
 */
export interface ChildRun {
  readonly progress: RunProgress;
  readonly variables: VariableScope;
  readonly resume?: RunProgress;
}

/** Starts one child execution of the ItemProcessor (the engine wires the interpreter's run). */
export type StartChild = (input: unknown, run: RunScope, childRun?: ChildRun) => ChildExecution;

/**
 * What one Map Run leaves for a redrive of its execution (docs/local-engine.md "Redrive"): the
 * children's inputs, the outputs of those that succeeded (not run again), and for each STANDARD
 * child that did not succeed, its ARN, redrive count and run state (it resumes where it stopped).
 */
interface MapRunProgress {
  readonly kind: 'distributedMap';
  readonly children: readonly ChildInput[];
  readonly totalItems: number;
  readonly results: unknown[];
  readonly succeeded: boolean[];
  /** STANDARD children that started and have not succeeded, by index. */
  readonly stopped: Map<number, StoppedChild>;
  mapRunArn: string | undefined;
}

interface StoppedChild {
  readonly arn: string;
  readonly name: string;
  readonly redriveCount: number;
  readonly run: ChildRun;
}

function isMapRunProgress(value: unknown): value is MapRunProgress {
  return (value as MapRunProgress | undefined)?.kind === 'distributedMap';
}

export class DistributedMapRunner {
  private readonly config: DistributedMapConfig;

  constructor(
    private readonly stateName: string,
    mapState: AslState,
    private readonly startChild: StartChild,
    private readonly onChildCompleted: (event: MapChildCompleted) => void = () => undefined,
    /** Reads an ItemReader's object (none: a Map with an ItemReader fails, saying so). */
    private readonly readObject?: ObjectReader,
  ) {
    this.config = new DistributedMapConfig(stateName, mapState);
  }

  /**
   * Serves the stand-in Task: `input` is the Map's effective input (after InputPath; a JSONata
   * Map's input), `run.taskState` what its fields read besides (mapRunEnv). With
   * `progress.previous` from an earlier Map Run (a redrive) the same children run again, except
   * those that succeeded, and the Map Run is the earlier one, redriven.
   */
  async run(
    input: unknown,
    run: RunScope,
    observer?: MapRunObserver,
    progress?: TaskProgress,
  ): Promise<unknown[]> {
    if (run.cancellation.aborted) {
      return Promise.reject(cancelledError(run.cancellation.reason ?? 'cancelled'));
    }
    const settings = await this.config.runSettings(mapRunEnv(input, run));
    const previous = isMapRunProgress(progress?.previous) ? progress.previous : undefined;
    if (previous) return this.redrive(previous, run, settings, observer, progress);
    if (!this.config.readsItems) return this.start(input, run, settings, observer, progress);
    return this.readItems(input, run).then((items) => {
      if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'cancelled');
      return this.start(input, run, settings, observer, progress, items);
    });
  }

  /** The ItemReader's items: the object read once, parsed; only the items are kept. */
  private async readItems(input: unknown, run: RunScope): Promise<unknown[]> {
    const request = await this.config.readerRequest(mapRunEnv(input, run));
    if (!this.readObject) {
      throw itemReaderFailure(
        this.stateName,
        `ItemReader cannot read ${objectName(request)}: no S3 client (endpoint) is configured for the local engine; pass s3Client to LocalStepFunctions`,
      );
    }
    const scope = run.cancellation.child();
    let stopWatching: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      stopWatching = scope.whenAborted((reason) => reject(cancelledError(reason)));
    });
    let text: string;
    try {
      text = await Promise.race([this.readObject(request, scope.signal), aborted]);
    } catch (error) {
      if (scope.aborted) throw cancelledError(scope.reason ?? 'cancelled');
      throw itemReaderFailure(
        this.stateName,
        `ItemReader could not read ${objectName(request)}: ${s3ErrorText(error)}`,
      );
    } finally {
      stopWatching();
      scope.dispose();
    }
    return this.config.parseItems(text, request);
  }

  private async start(
    input: unknown,
    run: RunScope,
    settings: MapRunSettings,
    observer: MapRunObserver | undefined,
    progress: TaskProgress | undefined,
    readItems?: unknown[],
  ): Promise<unknown[]> {
    const { children, totalItems } = await this.config.prepare(mapRunEnv(input, run), readItems);
    const mapRun: MapRunProgress = {
      kind: 'distributedMap',
      children,
      totalItems,
      results: new Array<unknown>(children.length),
      succeeded: new Array<boolean>(children.length).fill(false),
      stopped: new Map(),
      mapRunArn: undefined,
    };
    return this.open(mapRun, settings, run, observer, progress, undefined);
  }

  /** A redrive: the earlier Map Run's children again, except those that succeeded. */
  private redrive(
    previous: MapRunProgress,
    run: RunScope,
    settings: MapRunSettings,
    observer: MapRunObserver | undefined,
    progress: TaskProgress | undefined,
  ): Promise<unknown[]> {
    const mapRun: MapRunProgress = {
      ...previous,
      results: previous.results.slice(),
      succeeded: previous.succeeded.slice(),
      stopped: new Map(),
    };
    return this.open(mapRun, settings, run, observer, progress, previous);
  }

  /**
   * Reports the Map Run started (or, for a redrive of one the observer saw, redriven), records
   * what it leaves for a later redrive, and runs its children.
   */
  private open(
    mapRun: MapRunProgress,
    settings: MapRunSettings,
    run: RunScope,
    observer: MapRunObserver | undefined,
    progress: TaskProgress | undefined,
    previous: MapRunProgress | undefined,
  ): Promise<unknown[]> {
    let redriveOf: MapRunRedrive | undefined;
    if (previous?.mapRunArn !== undefined) {
      let succeededItems = 0;
      let succeededChildren = 0;
      mapRun.children.forEach((child, index) => {
        if (!mapRun.succeeded[index]) return;
        succeededItems += child.size;
        succeededChildren += 1;
      });
      redriveOf = { mapRunArn: previous.mapRunArn, succeededItems, succeededChildren };
    }
    mapRun.mapRunArn = observer?.started(this.startOf(mapRun, settings), redriveOf);
    progress?.record(mapRun);
    return this.runChildren(mapRun, settings, run, observer, previous);
  }

  private startOf(mapRun: MapRunProgress, settings: MapRunSettings): MapRunStart {
    return {
      totalItems: mapRun.totalItems,
      childExecutions: mapRun.children.length,
      maxConcurrency: settings.maxConcurrency,
      toleratedFailurePercentage: settings.toleratedPercentage ?? 0,
      toleratedFailureCount: settings.toleratedCount ?? 0,
    };
  }

  /** Runs the Map Run's children that have not succeeded (all of them on a first run). */
  private runChildren(
    mapRun: MapRunProgress,
    settings: MapRunSettings,
    run: RunScope,
    observer: MapRunObserver | undefined,
    previous: MapRunProgress | undefined,
  ): Promise<unknown[]> {
    const { children, totalItems, results } = mapRun;
    const configured = settings.maxConcurrency;
    const maxConcurrency =
      configured === 0 ? MAX_CHILDREN_IN_FLIGHT : Math.min(configured, MAX_CHILDREN_IN_FLIGHT);
    const toRun = children.flatMap((_, index) => (mapRun.succeeded[index] ? [] : [index]));
    if (toRun.length === 0) {
      observer?.finished('SUCCEEDED');
      return Promise.resolve(results);
    }
    const mapScope = run.cancellation.child();
    const arns = childArnFactory(run.context, this.stateName, this.config.executionType);
    const standard = this.config.executionType === 'STANDARD';
    const parentContext = run.context;

    return new Promise<unknown[]>((resolve, reject) => {
      let next = 0;
      let active = 0;
      let failedItems = 0;
      let finished = false;

      const finish = (error?: Error, status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' = 'FAILED') => {
        finished = true;
        stopWatching();
        mapScope.dispose();
        if (error) {
          observer?.finished(status, errorOutput(error));
          reject(error);
        } else {
          observer?.finished('SUCCEEDED');
          resolve(results);
        }
      };
      // The execution was stopped (or its own Map was cancelled): stop everything below.
      const stopWatching = mapScope.whenAborted((reason) => {
        if (!finished) finish(cancelledError(reason), 'ABORTED');
      });

      const settle = (
        index: number,
        scope: CancellationScope,
        output: unknown,
        error?: ErrorOutput,
      ) => {
        active -= 1;
        scope.dispose();
        if (finished) return;
        const child = children[index];
        results[index] = error ?? output;
        if (error) {
          failedItems += child.size;
        } else {
          mapRun.succeeded[index] = true;
          mapRun.stopped.delete(index);
        }
        observer?.childSettled(
          child.size,
          error === undefined
            ? 'succeeded'
            : error.Error === 'States.Timeout'
              ? 'timedOut'
              : 'failed',
        );
        this.report({
          executionArn: run.executionArn,
          stateName: this.stateName,
          items: child.size,
          ...(error ? { error } : { output }),
        });
        if (error && exceeded(settings, failedItems, totalItems)) {
          finished = true;
          stopWatching();
          const failure = thresholdFailure(settings, failedItems, totalItems, error);
          // Before the abort: the children still running count as aborted by this failure.
          observer?.finished('FAILED', errorOutput(failure));
          mapScope.abort('States.ExceedToleratedFailureThreshold');
          mapScope.dispose();
          reject(failure);
          return;
        }
        launch();
      };

      const start = (index: number) => {
        const scope = mapScope.child();
        // A STANDARD child that stopped before is the same execution, redriven; an EXPRESS one
        // starts afresh.
        const earlier = previous?.stopped.get(index);
        const { arn, name } = earlier ?? arns();
        const redriveCount = earlier ? earlier.redriveCount + 1 : 0;
        let childRun: ChildRun | undefined;
        if (standard) {
          childRun = {
            progress: {},
            variables: earlier?.run.variables ?? new VariableScope(),
            ...(earlier ? { resume: earlier.run.progress } : {}),
          };
          mapRun.stopped.set(index, { arn, name, redriveCount, run: childRun });
        }
        const context = childContext(parentContext, this.stateName, {
          arn,
          name,
          input: children[index].input,
          redriveCount,
        });
        observer?.childStarted(children[index].size);
        let child: ChildExecution;
        try {
          child = this.startChild(
            children[index].input,
            { executionArn: arn, context, cancellation: scope },
            childRun,
          );
        } catch (error) {
          child = { result: Promise.reject(error) };
        }
        child.result.then(
          (output) => settle(index, scope, output),
          (error: unknown) => settle(index, scope, undefined, errorOutput(error)),
        );
      };

      const launch = () => {
        while (!finished && active < maxConcurrency && next < toRun.length) {
          active += 1;
          start(toRun[next]);
          next += 1;
        }
        if (!finished && active === 0 && next >= toRun.length) {
          finish(this.outputLimitFailure(results));
        }
      };

      launch();
    });
  }

  /** States.DataLimitExceeded when the Map's output is over 256 KiB (there is no ResultWriter). */
  private outputLimitFailure(results: unknown[]): TaskFailure | undefined {
    const size = jsonBytesOverLimit(results);
    if (size === undefined) return undefined;
    return new TaskFailure(
      'States.DataLimitExceeded',
      `State "${this.stateName}": the Map's output is ${size} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit of a state's data (the local runtime has no ResultWriter)`,
      { retryable: false },
    );
  }

  private report(event: MapChildCompleted): void {
    try {
      this.onChildCompleted(event);
    } catch {
      // A progress hook must never fail the map.
    }
  }
}

/**
 * What the Map's own fields read: the stand-in Task's input (the Map's effective input; a JSONata
 * Map has no Arguments, so that is its raw input) and, as the interpreter passes them, its
 * context object and the workflow variables in scope at the Map state.
 */
function mapRunEnv(input: unknown, run: RunScope): MapRunEnv {
  const state = run.taskState;
  if (!state) return { input, context: run.context };
  return {
    input,
    context: state.context as Record<string, unknown>,
    variables: state.variables,
  };
}

function objectName(request: ItemReaderRequest): string {
  const version = request.versionId === undefined ? '' : ` (version ${request.versionId})`;
  return `s3://${request.bucket}/${request.key}${version}`;
}

/** An S3 SDK error as a cause: `NoSuchKey: <message> (Service: S3, Status Code: 404, …)`. */
function s3ErrorText(error: unknown): string {
  const { exception, detail } = sdkErrorDetail('S3', error);
  return `${exception}: ${detail}`;
}
