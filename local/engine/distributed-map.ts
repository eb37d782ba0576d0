/**
 * The Distributed Map runner: serves the Task that stands in for a DISTRIBUTED Map (see
 * definition.ts) and runs one child execution of the ItemProcessor per item or batch.
 *
 * What it implements, as Step Functions does:
 * - ItemsPath (default `$`) on the state's effective input; it must select an array.
 * - ItemSelector (or the legacy Parameters) per item, with `$$.Map.Item.Value` / `$$.Map.Item.Index`
 *   and the rest of the execution's context object; applied before batching.
 * - ItemBatcher: MaxItemsPerBatch(Path) and MaxInputBytesPerBatch(Path), both optional, cut greedily
 *   in item order. Bytes are those of the child's input as UTF-8 JSON, `{"Items":[…],"BatchInput":…}`
 *   exactly as serialized (compact), and never more than 256 KiB (262,144 bytes), AWS's cap, whether
 *   or not MaxInputBytesPerBatch is set. An item that alone does not fit fails the map with
 *   States.DataLimitExceeded. BatchInput is evaluated once, against the state's input.
 * - MaxConcurrency(Path): children in flight at once; 0 or absent means AWS's ceiling, 10,000.
 * - ToleratedFailurePercentage / ToleratedFailureCount, counted in items (every item of a failed
 *   batch counts as failed; a child that is aborted or times out counts as failed). Without either,
 *   no failure is tolerated. Once the failed items exceed a threshold (count: more than the count;
 *   percentage: more than that share of all items) the map fails with
 *   States.ExceedToleratedFailureThreshold, aborts the children still running (their task
 *   handlers see the abort) and starts no more.
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
 * Cost per item: one ItemSelector evaluation (if any) and, when batching, one JSON.stringify for
 * the byte count; items are otherwise passed by reference (the library clones each child's input
 * once, as JSON semantics require). No event log is retained per child.
 */
import { randomUUID } from 'node:crypto';
import type { AslState } from '../synthesized-definition';
import type { CancellationScope } from './cancellation';
import {
  type ErrorOutput,
  TaskFailure,
  UnsupportedAslFeature,
  cancelledError,
  errorOutput,
  statesRuntimeError,
} from './errors';
import {
  type PathEvaluator,
  type TemplateEvaluator,
  compilePath,
  compilePayloadTemplate,
  compileRequiredPath,
} from './payload-template';
import { MAX_PAYLOAD_BYTES, type RunScope } from './resources';

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

/** Observes one Map Run (the engine: history events, DescribeMapRun / ListMapRuns). */
export interface MapRunObserver {
  /** Before the first child starts. */
  started(run: MapRunStart): void;
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

/** Starts one child execution of the ItemProcessor (the engine wires the library run). */
export type StartChild = (input: unknown, run: RunScope) => ChildExecution;

type NumberSource =
  { readonly value: number } | { readonly path: PathEvaluator; readonly pathText: string };

interface Batching {
  readonly maxItems?: NumberSource;
  readonly maxBytes?: NumberSource;
  readonly batchInput?: TemplateEvaluator;
}

export class DistributedMapRunner {
  private readonly itemsPath: PathEvaluator;
  private readonly selector?: TemplateEvaluator;
  private readonly batching?: Batching;
  private readonly maxConcurrency?: NumberSource;
  private readonly toleratedPercentage?: number;
  private readonly toleratedCount?: number;
  private readonly executionType: 'STANDARD' | 'EXPRESS';

  constructor(
    private readonly stateName: string,
    mapState: AslState,
    private readonly startChild: StartChild,
    private readonly onChildCompleted: (event: MapChildCompleted) => void = () => undefined,
  ) {
    const at = (field: string) => ({ stateName, field });
    this.itemsPath = compileRequiredPath(
      typeof mapState.ItemsPath === 'string' ? mapState.ItemsPath : '$',
      at('ItemsPath'),
    );
    const selector = mapState.ItemSelector ?? mapState.Parameters;
    if (selector !== undefined) {
      this.selector = compilePayloadTemplate(
        selector,
        at(mapState.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters'),
      );
    }
    const batcher = mapState.ItemBatcher as Record<string, unknown> | undefined;
    if (batcher !== undefined) {
      this.batching = {
        maxItems: numberSource(stateName, batcher, 'MaxItemsPerBatch', 1, Number.MAX_SAFE_INTEGER),
        maxBytes: numberSource(stateName, batcher, 'MaxInputBytesPerBatch', 1, MAX_PAYLOAD_BYTES),
        batchInput:
          batcher.BatchInput === undefined
            ? undefined
            : compilePayloadTemplate(batcher.BatchInput, at('ItemBatcher.BatchInput')),
      };
    }
    this.maxConcurrency = numberSource(
      stateName,
      mapState as Record<string, unknown>,
      'MaxConcurrency',
      0,
      Number.MAX_SAFE_INTEGER,
    );
    this.toleratedPercentage = staticNumber(
      stateName,
      mapState,
      'ToleratedFailurePercentage',
      0,
      100,
    );
    this.toleratedCount = staticNumber(
      stateName,
      mapState,
      'ToleratedFailureCount',
      0,
      Number.MAX_SAFE_INTEGER,
    );
    const processor = mapState.ItemProcessor as
      { ProcessorConfig?: { ExecutionType?: string } } | undefined;
    this.executionType =
      processor?.ProcessorConfig?.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
  }

  /** Serves the stand-in Task: `input` is the Map's effective input (after InputPath). */
  run(input: unknown, run: RunScope, observer?: MapRunObserver): Promise<unknown[]> {
    if (run.cancellation.aborted) {
      return Promise.reject(cancelledError(run.cancellation.reason ?? 'cancelled'));
    }
    const context = run.context;
    const items = this.itemsPath(input, context);
    if (!Array.isArray(items)) {
      throw statesRuntimeError(
        `State "${this.stateName}": ItemsPath must select an array, got ${describe(items)}`,
      );
    }
    const selected = this.selectItems(items, input, context);
    const configuredConcurrency = this.configuredConcurrency(input, context);
    const maxConcurrency =
      configuredConcurrency === 0
        ? MAX_CHILDREN_IN_FLIGHT
        : Math.min(configuredConcurrency, MAX_CHILDREN_IN_FLIGHT);
    const children = this.batching
      ? this.batch(selected, this.batching, input, context)
      : selected.map((item, i) => ({ input: item, start: i, size: 1 }));
    observer?.started({
      totalItems: selected.length,
      childExecutions: children.length,
      maxConcurrency: configuredConcurrency,
      toleratedFailurePercentage: this.toleratedPercentage ?? 0,
      toleratedFailureCount: this.toleratedCount ?? 0,
    });
    return this.runChildren(children, selected.length, maxConcurrency, run, observer);
  }

  private selectItems(
    items: unknown[],
    input: unknown,
    context: Record<string, unknown>,
  ): unknown[] {
    const selector = this.selector;
    if (!selector) return items;
    // One context object for the whole map; only `Map` changes per item.
    const itemContext: Record<string, unknown> = { ...context };
    const selected = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i += 1) {
      itemContext.Map = { Item: { Index: i, Value: items[i] } };
      selected[i] = selector(input, itemContext);
    }
    return selected;
  }

  /** MaxConcurrency as configured; 0 (or absent) means no limit of its own. */
  private configuredConcurrency(input: unknown, context: unknown): number {
    return this.maxConcurrency
      ? resolveNumber(this.stateName, this.maxConcurrency, input, context, 0)
      : 0;
  }

  private batch(
    items: unknown[],
    batching: Batching,
    input: unknown,
    context: Record<string, unknown>,
  ): ChildInput[] {
    const maxItems = batching.maxItems
      ? resolveNumber(this.stateName, batching.maxItems, input, context, 1)
      : Number.MAX_SAFE_INTEGER;
    const maxBytes = Math.min(
      batching.maxBytes
        ? resolveNumber(this.stateName, batching.maxBytes, input, context, 1)
        : MAX_PAYLOAD_BYTES,
      MAX_PAYLOAD_BYTES,
    );
    const batchInput = batching.batchInput?.(input, context);
    // {"Items":[],"BatchInput":…}: every item adds its own bytes, plus a comma after the first.
    const emptyBytes = Buffer.byteLength(
      JSON.stringify(
        batchInput === undefined ? { Items: [] } : { Items: [], BatchInput: batchInput },
      ),
    );
    const batches: ChildInput[] = [];
    let start = 0;
    while (start < items.length) {
      let end = start;
      let bytes = emptyBytes;
      while (end < items.length && end - start < maxItems) {
        const itemBytes = jsonBytes(items[end]) + (end > start ? 1 : 0);
        if (bytes + itemBytes > maxBytes) break;
        bytes += itemBytes;
        end += 1;
      }
      if (end === start) {
        throw new TaskFailure(
          'States.DataLimitExceeded',
          `State "${this.stateName}": item ${start} does not fit in a batch of at most ${maxBytes} bytes (it needs ${emptyBytes + jsonBytes(items[start])})`,
          { retryable: false },
        );
      }
      const batchItems = items.slice(start, end);
      batches.push({
        input:
          batchInput === undefined
            ? { Items: batchItems }
            : { Items: batchItems, BatchInput: batchInput },
        start,
        size: end - start,
      });
      start = end;
    }
    return batches;
  }

  private runChildren(
    children: ChildInput[],
    totalItems: number,
    maxConcurrency: number,
    run: RunScope,
    observer: MapRunObserver | undefined,
  ): Promise<unknown[]> {
    const results = new Array<unknown>(children.length);
    if (children.length === 0) {
      observer?.finished('SUCCEEDED');
      return Promise.resolve(results);
    }
    const mapScope = run.cancellation.child();
    const arns = childArnFactory(run.context, this.stateName, this.executionType);
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
        if (error) failedItems += child.size;
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
        if (error && this.exceeded(failedItems, totalItems)) {
          finished = true;
          stopWatching();
          const failure = new TaskFailure(
            'States.ExceedToleratedFailureThreshold',
            `The specified tolerated failure threshold was exceeded: ${failedItems} of ${totalItems} items failed (${this.thresholdText()}); last failure: ${error.Error}`,
          );
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
        const { arn, name } = arns();
        const context: Record<string, unknown> = {
          Execution: {
            Id: arn,
            Name: name,
            Input: children[index].input,
            StartTime: new Date().toISOString(),
            RoleArn: (parentContext.Execution as { RoleArn?: string } | undefined)?.RoleArn,
            RedriveCount: 0,
          },
          StateMachine: childStateMachine(parentContext, this.stateName),
        };
        observer?.childStarted(children[index].size);
        let child: ChildExecution;
        try {
          child = this.startChild(children[index].input, {
            executionArn: arn,
            context,
            cancellation: scope,
          });
        } catch (error) {
          child = { result: Promise.reject(error) };
        }
        child.result.then(
          (output) => settle(index, scope, output),
          (error: unknown) => settle(index, scope, undefined, errorOutput(childFailure(error))),
        );
      };

      const launch = () => {
        while (!finished && active < maxConcurrency && next < children.length) {
          active += 1;
          start(next);
          next += 1;
        }
        if (!finished && active === 0 && next >= children.length) {
          const size = outputBytesOver(results);
          if (size !== undefined) {
            finish(
              new TaskFailure(
                'States.DataLimitExceeded',
                `State "${this.stateName}": the Map's output is ${size} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit of a state's data (the local runtime has no ResultWriter)`,
                { retryable: false },
              ),
            );
          } else {
            finish();
          }
        }
      };

      launch();
    });
  }

  private exceeded(failedItems: number, totalItems: number): boolean {
    const { toleratedCount: count, toleratedPercentage: percentage } = this;
    if (count === undefined && percentage === undefined) return failedItems > 0;
    if (count !== undefined && failedItems > count) return true;
    return percentage !== undefined && failedItems * 100 > percentage * totalItems;
  }

  private thresholdText(): string {
    const parts: string[] = [];
    if (this.toleratedPercentage !== undefined)
      parts.push(`ToleratedFailurePercentage ${this.toleratedPercentage}`);
    if (this.toleratedCount !== undefined)
      parts.push(`ToleratedFailureCount ${this.toleratedCount}`);
    return parts.length ? parts.join(', ') : 'no failure tolerated';
  }

  private report(event: MapChildCompleted): void {
    try {
      this.onChildCompleted(event);
    } catch {
      // A progress hook must never fail the map.
    }
  }
}

interface ChildInput {
  readonly input: unknown;
  /** Index of the batch's first item. */
  readonly start: number;
  readonly size: number;
}

/** The child's failure: the library wraps it (ExecutionError.cause). */
function childFailure(error: unknown): unknown {
  if (error instanceof Error && error.name === 'ExecutionError' && error.cause !== undefined) {
    return error.cause;
  }
  return error;
}

function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  if (text === undefined) return 4; // undefined array elements serialize as null
  // Only non-ASCII text needs the exact UTF-8 count.
  return /[\u0080-\uffff]/.test(text) ? Buffer.byteLength(text) : text.length;
}

function outputBytesOver(results: unknown[]): number | undefined {
  const text = JSON.stringify(results);
  if (text.length <= MAX_PAYLOAD_BYTES / 3) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > MAX_PAYLOAD_BYTES ? bytes : undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The child's `$$.StateMachine`: the parent's, with the Map's name appended, as on AWS. */
function childStateMachine(
  parent: Record<string, unknown>,
  stateName: string,
): Record<string, unknown> {
  const sm = (parent.StateMachine ?? {}) as { Id?: string; Name?: string };
  return { Id: `${sm.Id ?? ''}/${stateName}`, Name: `${sm.Name ?? ''}/${stateName}` };
}

/** Child execution ARNs: `arn:…:execution:<machine>/<map>:<id>` (EXPRESS: `…:express:…:<id>:<id>`). */
function childArnFactory(
  parent: Record<string, unknown>,
  stateName: string,
  type: 'STANDARD' | 'EXPRESS',
): () => { arn: string; name: string } {
  const parentArn = String((parent.Execution as { Id?: string } | undefined)?.Id ?? '');
  const [arn = 'arn', partition = 'aws', service = 'states', region = '', account = ''] =
    parentArn.split(':');
  const machine = String((parent.StateMachine as { Name?: string } | undefined)?.Name ?? '');
  const prefix = `${arn}:${partition}:${service}:${region}:${account}:${type === 'EXPRESS' ? 'express' : 'execution'}:${machine}/${stateName}`;
  return () => {
    const name = randomUUID();
    return {
      arn: type === 'EXPRESS' ? `${prefix}:${name}:${randomUUID()}` : `${prefix}:${name}`,
      name,
    };
  };
}

function numberSource(
  stateName: string,
  holder: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): NumberSource | undefined {
  const pathField = `${field}Path`;
  if (holder[pathField] !== undefined) {
    const pathText = String(holder[pathField]);
    return { path: compilePath(pathText, { stateName, field: pathField }), pathText };
  }
  const value = staticNumber(stateName, holder, field, min, max);
  return value === undefined ? undefined : { value };
}

function staticNumber(
  stateName: string,
  holder: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = holder[field];
  if (value === undefined) return undefined;
  const integer = field !== 'ToleratedFailurePercentage';
  if (
    typeof value !== 'number' ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new UnsupportedAslFeature(
      stateName,
      field,
      `${field} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function resolveNumber(
  stateName: string,
  source: NumberSource,
  input: unknown,
  context: unknown,
  min: number,
): number {
  if ('value' in source) return source.value;
  const value = source.path(input, context);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw statesRuntimeError(
      `State "${stateName}": ${source.pathText} must select an integer >= ${min}, got ${describe(value)}`,
    );
  }
  return value;
}
