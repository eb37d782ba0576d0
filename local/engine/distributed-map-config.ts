/**
 * A DISTRIBUTED Map state's fields, compiled once when the engine loads (an invalid value fails
 * the load with UnsupportedAslFeature, not an execution), and what they make of one run's input:
 * the children's inputs. As Step Functions does:
 * - ItemsPath (default `$`) on the state's effective input; it must select an array.
 * - ItemSelector (or the legacy Parameters) per item, with `$$.Map.Item.Value` / `$$.Map.Item.Index`
 *   and the rest of the execution's context object; applied before batching.
 * - ItemBatcher: MaxItemsPerBatch(Path) and MaxInputBytesPerBatch(Path), both optional, cut greedily
 *   in item order. Bytes are those of the child's input as UTF-8 JSON, `{"Items":[…],"BatchInput":…}`
 *   exactly as serialized (compact), and never more than 256 KiB (262,144 bytes), AWS's cap, whether
 *   or not MaxInputBytesPerBatch is set. An item that alone does not fit fails the map with
 *   States.DataLimitExceeded. BatchInput is evaluated once, against the state's input.
 * - MaxConcurrency(Path), ToleratedFailurePercentage / ToleratedFailureCount and
 *   ProcessorConfig.ExecutionType, which the runner (distributed-map.ts) applies.
 *
 * Cost per item: one ItemSelector evaluation (if any) and, when batching, one JSON.stringify for
 * the byte count; items are otherwise passed by reference.
 */
import type { AslState } from '../stack/synthesized-definition';
import { TaskFailure, UnsupportedAslFeature, statesRuntimeError } from './errors';
import {
  type PathEvaluator,
  type TemplateEvaluator,
  compilePath,
  compilePayloadTemplate,
  compileRequiredPath,
} from './payload-template';
import { MAX_PAYLOAD_BYTES } from './resources';

type NumberSource =
  { readonly value: number } | { readonly path: PathEvaluator; readonly pathText: string };

interface Batching {
  readonly maxItems?: NumberSource;
  readonly maxBytes?: NumberSource;
  readonly batchInput?: TemplateEvaluator;
}

/** One child execution's input: an item, or a batch of them. */
export interface ChildInput {
  readonly input: unknown;
  /** Index of the batch's first item. */
  readonly start: number;
  readonly size: number;
}

/** What one run of the Map is made of. */
export interface PreparedMapRun {
  readonly children: ChildInput[];
  readonly totalItems: number;
  /** MaxConcurrency as configured; 0 (or absent) means no limit of its own. */
  readonly configuredConcurrency: number;
}

export class DistributedMapConfig {
  private readonly itemsPath: PathEvaluator;
  private readonly selector?: TemplateEvaluator;
  private readonly batching?: Batching;
  private readonly maxConcurrency?: NumberSource;
  readonly toleratedPercentage?: number;
  readonly toleratedCount?: number;
  readonly executionType: 'STANDARD' | 'EXPRESS';

  constructor(
    private readonly stateName: string,
    mapState: AslState,
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

  /** The children of one run: `input` is the Map's effective input (after InputPath). */
  prepare(input: unknown, context: Record<string, unknown>): PreparedMapRun {
    const items = this.itemsPath(input, context);
    if (!Array.isArray(items)) {
      throw statesRuntimeError(
        `State "${this.stateName}": ItemsPath must select an array, got ${describe(items)}`,
      );
    }
    const selected = this.selectItems(items, input, context);
    const configuredConcurrency = this.configuredConcurrency(input, context);
    const children = this.batching
      ? this.batch(selected, this.batching, input, context)
      : selected.map((item, i) => ({ input: item, start: i, size: 1 }));
    return { children, totalItems: selected.length, configuredConcurrency };
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
}

function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  if (text === undefined) return 4; // undefined array elements serialize as null
  // Only non-ASCII text needs the exact UTF-8 count.
  return /[\u0080-\uffff]/.test(text) ? Buffer.byteLength(text) : text.length;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A field given as a number or as `<Field>Path` (a Path is evaluated on each run). */
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

/** A number given in the definition: checked at load, so a bad one is an UnsupportedAslFeature. */
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

/** A number for this run; a Path selecting a bad value fails the run (States.Runtime). */
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
