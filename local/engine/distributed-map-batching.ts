/**
 * A DISTRIBUTED Map's ItemBatcher (guide, "ItemBatcher (Map)"): compiled at load (compileBatching:
 * MaxItemsPerBatch(Path) and MaxInputBytesPerBatch(Path), at least one of them, and BatchInput),
 * and for each run the selected items cut into the children's inputs (batchItems): greedily in
 * item order, each `{"Items":[…],"BatchInput":…}` holding at most the run's MaxItemsPerBatch items
 * and MaxInputBytesPerBatch bytes of compact UTF-8 JSON, and never more than 256 KiB; an item that
 * alone does not fit fails the Map with States.DataLimitExceeded. The values each field takes and
 * the local decisions are in distributed-map-config.ts's header, whose DistributedMapConfig
 * compiles the ItemBatcher with the Map's other fields.
 *
 * Cost per item: one JSON.stringify for the byte count; items are otherwise passed by reference.
 */
import { InvalidAslDefinition, TaskFailure } from './errors';
import {
  type Evaluate,
  type MapRunEnv,
  numberField,
  payload,
  readNumber,
} from './distributed-map-env';
import { MAX_PAYLOAD_BYTES } from './payload-limit';
import { type NumberField, type NumberRule, POSITIVE_INTEGER } from './asl/number-fields';
import type { QueryLanguage } from './asl/state-fields';

/** MaxInputBytesPerBatch: at most 256 KiB; a larger MaxInputBytesPerBatchPath is held to it. */
const BATCH_BYTES: NumberRule = { ...POSITIVE_INTEGER, max: MAX_PAYLOAD_BYTES };

/** An ItemBatcher, compiled. */
export interface Batching {
  readonly maxItems?: NumberField;
  readonly maxBytes?: NumberField;
  readonly batchInput?: Evaluate;
}

/** One child execution's input: an item, or a batch of them. */
export interface ChildInput {
  readonly input: unknown;
  /** Index of the batch's first item. */
  readonly start: number;
  readonly size: number;
}

/** The ItemBatcher fields of which at least one must be given. */
const BATCH_LIMITS = [
  'MaxItemsPerBatch',
  'MaxItemsPerBatchPath',
  'MaxInputBytesPerBatch',
  'MaxInputBytesPerBatchPath',
];

/** The ItemBatcher, checked at load: at least one limit; a static MaxInputBytesPerBatch ≤ 256 KiB. */
export function compileBatching(
  stateName: string,
  batcher: Record<string, unknown>,
  language: QueryLanguage,
): Batching {
  if (!BATCH_LIMITS.some((field) => batcher[field] !== undefined)) {
    throw new InvalidAslDefinition(
      'ItemBatcher needs MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path) or both ("You must specify one of these values to batch items")',
      { stateName, field: 'ItemBatcher' },
    );
  }
  return {
    maxItems: numberField(stateName, batcher, 'MaxItemsPerBatch', POSITIVE_INTEGER, language),
    // A static value is held to 256 KiB at load; a Path or an expression is held to it later.
    maxBytes: numberField(
      stateName,
      batcher,
      'MaxInputBytesPerBatch',
      typeof batcher.MaxInputBytesPerBatch === 'number' ? BATCH_BYTES : POSITIVE_INTEGER,
      language,
    ),
    batchInput:
      batcher.BatchInput === undefined
        ? undefined
        : payload(batcher.BatchInput, { stateName, field: 'ItemBatcher.BatchInput' }, language),
  };
}

/** One run's children: the selected items cut into batches, in item order. */
export async function batchItems(
  stateName: string,
  items: unknown[],
  batching: Batching,
  env: MapRunEnv,
): Promise<ChildInput[]> {
  const maxItems = batching.maxItems
    ? await readNumber(batching.maxItems, env)
    : Number.MAX_SAFE_INTEGER;
  // A MaxInputBytesPerBatch(Path) over 256 KiB is held to it (a static one is refused at load).
  const maxBytes = Math.min(
    batching.maxBytes ? await readNumber(batching.maxBytes, env) : MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_BYTES,
  );
  const batchInput = await batching.batchInput?.(env);
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
        `State "${stateName}": item ${start} does not fit in a batch of at most ${maxBytes} bytes (it needs ${emptyBytes + jsonBytes(items[start])})`,
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

function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  if (text === undefined) return 4; // undefined array elements serialize as null
  // Only non-ASCII text needs the exact UTF-8 count.
  return /[\u0080-\uffff]/.test(text) ? Buffer.byteLength(text) : text.length;
}
