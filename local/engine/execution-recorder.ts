/**
 * Records one top-level execution's history (history.ts) and Map Runs (map-runs.ts).
 *
 * Where the events come from:
 * - the engine: ExecutionStarted when StartExecution is called, and the terminal event
 *   (ExecutionSucceeded / ExecutionFailed / ExecutionAborted / ExecutionTimedOut) when the
 *   execution's status changes;
 * - the interpreter's events of the top-level run (onEvent, synchronous):
 *   `<Type>StateEntered` / `<Type>StateExited` named after the state's ASL type (the Task that
 *   stands in for a DISTRIBUTED Map is a Map here), `MapIteration*` of inline Maps, and
 *   TaskTimedOut / LambdaFunctionTimedOut when a state's TimeoutSeconds passed;
 * - the top-level run's task handlers, wrapped: TaskScheduled (the handler's input as
 *   `parameters`) / TaskStarted / TaskSucceeded (its raw result) / TaskFailed — LambdaFunction*
 *   for a Task whose resource is a Lambda function ARN, as AWS records it — and MapStateStarted,
 *   MapStateSucceeded / MapStateFailed around a Distributed Map; TaskStateAborted /
 *   MapStateAborted for what was in flight when the execution was stopped or timed out;
 * - the Distributed Map runner (MapRunObserver, a MapRunTracker): MapRunStarted /
 *   MapRunSucceeded / MapRunFailed / MapRunAborted and the Map Run's counts.
 * Distributed Map children keep no history (on AWS they are executions of their own; here they
 * are runs without a recorder), so a run of 10,000+ items adds a handful of events per page, not
 * per item. Events arrive in order: the interpreter emits StateEntered before it calls a handler.
 */
import type { InterpreterEvent } from './asl/run-context';
import { errorOutput } from './errors';
import type { MapRunObserver } from './distributed-map';
import { type Details, type ExecutionHistory, payloadFields } from './history';
import { type MapRunOptions, MapRunTracker } from './map-runs';

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

export interface ExecutionRecorderOptions extends MapRunOptions {
  readonly region: string;
  readonly history: ExecutionHistory;
  /** Every Task state the top-level run may call a handler for (not the Distributed Map stand-ins). */
  readonly tasks: ReadonlyMap<string, TaskResourceInfo>;
  /** Names of the DISTRIBUTED Map states (their stand-in Tasks) of the top-level run. */
  readonly distributedMaps: ReadonlySet<string>;
}

interface Invocation {
  readonly stateName: string;
  readonly task?: TaskResourceInfo;
  readonly mapRun?: MapRunTracker;
  done: boolean;
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

  /** Wraps one call of a Task state's handler in the top-level run. */
  async task(stateName: string, input: unknown, invoke: () => Promise<unknown>): Promise<unknown> {
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

  /** The execution ended and its hooks are about to run: the history is complete. */
  seal(): void {
    this.options.history.seal();
    this.inFlight.clear();
  }

  /** An event of the top-level run (asl/run-context.ts); returns the history event id it got. */
  onEvent(event: InterpreterEvent): number | undefined {
    if (this.ended) return undefined;
    const history = this.options.history;
    switch (event.type) {
      case 'StateEntered':
      case 'StateExited': {
        const kind = this.options.distributedMaps.has(event.stateName) ? 'Map' : event.stateType;
        if (event.type === 'StateEntered') {
          history.add(`${kind}StateEntered`, 'stateEnteredEventDetails', {
            name: event.stateName,
            ...payloadFields('input', event.input),
          });
        } else {
          history.add(`${kind}StateExited`, 'stateExitedEventDetails', {
            name: event.stateName,
            ...payloadFields('output', event.output),
          });
        }
        return history.length;
      }
      case 'TaskTimedOut': {
        // The state's TimeoutSeconds passed while its handler was still running.
        const invocation = [...this.inFlight].find(
          (i) => !i.done && i.task && i.stateName === event.stateName,
        );
        if (!invocation?.task) return undefined;
        invocation.done = true;
        const { resourceType, resource, lambdaFunction } = invocation.task;
        if (lambdaFunction) {
          history.add('LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', {
            error: 'States.Timeout',
          });
        } else {
          history.add('TaskTimedOut', 'taskTimedOutEventDetails', {
            resourceType,
            resource,
            error: 'States.Timeout',
          });
        }
        return history.length;
      }
      default: {
        const detailsKey = `${event.type[0].toLowerCase()}${event.type.slice(1)}EventDetails`;
        history.add(event.type, detailsKey, { name: event.stateName, index: event.index });
        return history.length;
      }
    }
  }
}

function isCancellation(error: unknown): boolean {
  return error instanceof Error && error.name === 'States.Cancelled';
}
