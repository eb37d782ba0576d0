/**
 * A DISTRIBUTED Map state's fields, compiled once when the engine loads (an invalid value fails
 * the load with InvalidAslDefinition naming the field, what the local runtime cannot read with
 * UnsupportedAslFeature; never an execution), and what they make of one run's input:
 * the run's settings and the children's inputs. As Step Functions does:
 * - ItemsPath (default `$`) on the state's effective input; it must select an array.
 * - or ItemReader (not both, as CDK requires): Resource `arn:<partition>:states:::s3:getObject`,
 *   ReaderConfig.InputType `JSON` (the object is one JSON array) or `JSONL` (one JSON value per
 *   non-empty line), ReaderConfig.MaxItems(Path) (the first N items only), Parameters `Bucket`,
 *   `Key` (static or `.$`) and optional `VersionId`, evaluated on the state's effective input.
 *   Other readers (CSV, MANIFEST, PARQUET, listObjectsV2) are an UnsupportedAslFeature. The runner
 *   (distributed-map.ts) reads the object; what cannot be read or parsed fails the Map with
 *   States.ItemReaderFailed (catchable). Read items go through ItemSelector and ItemBatcher
 *   exactly as an array from ItemsPath does.
 * - ItemSelector (or the legacy Parameters) per item, with `$$.Map.Item.Value` / `$$.Map.Item.Index`
 *   and the rest of the execution's context object; applied before batching.
 * - ItemBatcher: MaxItemsPerBatch(Path) and MaxInputBytesPerBatch(Path), at least one of them (the
 *   guide, "ItemBatcher (Map)": "You must specify one of these values to batch items"), cut
 *   greedily in item order. Bytes are those of the child's input as UTF-8 JSON,
 *   `{"Items":[…],"BatchInput":…}` exactly as serialized (compact), and never more than 256 KiB
 *   (262,144 bytes), AWS's cap, whether or not MaxInputBytesPerBatch is set. An item that alone
 *   does not fit fails the map with States.DataLimitExceeded. BatchInput is evaluated once, against
 *   the state's input.
 * - MaxConcurrency(Path), ToleratedFailurePercentage(Path) / ToleratedFailureCount(Path) and
 *   ProcessorConfig.ExecutionType, which the runner (distributed-map.ts) applies. The numbers of
 *   one run (`runSettings`) are resolved before its items are read or selected.
 *
 * Values, as the developer guide gives them ("Distributed Map state fields", "Setting failure
 * thresholds for Distributed Map states", "ItemBatcher (Map)", "ItemReader (Map)"):
 * - MaxConcurrency: a non-negative integer, 0 (or absent) meaning no limit of its own (10,000).
 * - ToleratedFailurePercentage: a number between 0 and 100, fractions included ("You must specify
 *   a value between zero and 100"; UpdateMapRun / DescribeMapRun type it as a Float 0..100).
 * - ToleratedFailureCount: a non-negative integer.
 * - MaxItemsPerBatch: a positive integer. MaxInputBytesPerBatch: 1..262,144 ("up to 256 KiB").
 * - ReaderConfig.MaxItems: 1..100,000,000 ("You can specify a limit of up to 100,000,000 after
 *   which the Distributed Map stops reading items"), or 0 (see below).
 * - A field and its `…Path` twin cannot both be given ("You can specify either … but not both").
 * - Every `…Path` is a reference path on the Map state's effective input (after InputPath), read
 *   when the run starts; the context object (`$$`) is readable too.
 *
 * Where the guide is silent, the local runtime decides as follows (a careful user's expectation;
 * "LocalStack" marks a behaviour LocalStack's own AWS-validated tests record, not the guide):
 * - A `…Path` that selects nothing fails the run with States.Runtime,
 *   `Invalid path '<path>' : No results for path: <Field>Path` (the interpreter's wording for the
 *   inline Map's MaxConcurrencyPath, asl/fan-out.ts).
 * - A `…Path` value that is not a JSON number of the kind the field takes fails with
 *   States.Runtime (not retried, not caught, as every States.Runtime): a non-integer where an
 *   integer is needed `The <Field>Path field refers to value "<value>" which is not a valid
 *   integer: <path>` (LocalStack records this text for MaxConcurrencyPath); out of range
 *   `The <Field>Path field refers to value "<value>" which is not <what it must be>: <path>`.
 *   A string holding digits (`"5"`) is not a number. The guide's two wordings for
 *   ToleratedFailurePercentagePath ("a field whose value is between zero and 100" and "a positive
 *   integer between 0 and 100") are read as the static field's range: any number 0..100. Its two
 *   for ToleratedFailureCountPath ("non-negative integer", "positive integer") as the static
 *   field's: 0 tolerates no failure. A negative MaxConcurrencyPath fails (LocalStack notes AWS
 *   stalls instead).
 * - ReaderConfig.MaxItemsPath (LocalStack): a negative value fails the Map with
 *   States.ItemReaderFailed (`field MaxItems must be positive`), as does a non-integer; 0 reads
 *   every item and a value over 100,000,000 reads 100,000,000. MaxItems 0 reads every item too.
 * - MaxInputBytesPerBatchPath over 262,144 is held to 262,144 (the cap applies anyway).
 * - A percentage threshold is compared at 12 significant digits, so that 18.4% of 375 items is 69
 *   items exactly (in binary floating point 18.4 × 375 is 6899.999…).
 *
 * Cost per item: one ItemSelector evaluation (if any) and, when batching, one JSON.stringify for
 * the byte count; items are otherwise passed by reference. A read object's text is parsed once
 * (JSONL line by line, without splitting the text) and dropped; only the items are kept.
 */
import type { AslState } from '../stack/synthesized-definition';
import {
  InvalidAslDefinition,
  TaskFailure,
  UnsupportedAslFeature,
  statesRuntimeError,
} from './errors';
import {
  type PathEvaluator,
  type TemplateEvaluator,
  compilePayloadTemplate,
  compileRequiredPath,
} from './payload-template';
import { MAX_PAYLOAD_BYTES } from './payload-limit';
import {
  NON_NEGATIVE_INTEGER,
  type NumberRule,
  type NumberSource,
  PERCENTAGE,
  POSITIVE_INTEGER,
  numberSource,
  refersTo,
  resolveNumber,
  selectedNumber,
} from './asl/number-fields';

/** MaxInputBytesPerBatch: at most 256 KiB; a larger MaxInputBytesPerBatchPath is held to it. */
const BATCH_BYTES: NumberRule = { ...POSITIVE_INTEGER, max: MAX_PAYLOAD_BYTES };

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

/** A DISTRIBUTED Map's ItemReader, compiled. */
interface ItemReaderSpec {
  readonly inputType: 'JSON' | 'JSONL';
  readonly parameters: TemplateEvaluator;
  readonly maxItems?: NumberSource;
}

/** The object one run reads its items from (ItemReader's Parameters, evaluated). */
export interface ItemReaderRequest {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly inputType: 'JSON' | 'JSONL';
  /** ReaderConfig.MaxItems(Path): read only the first `maxItems` items (absent: all of them). */
  readonly maxItems?: number;
}

/** The ItemReader resources the local runtime serves. */
const S3_GET_OBJECT = /^arn:[a-z-]+:states:::s3:getObject$/;
const ITEM_READER_INPUT_TYPES = ['JSON', 'JSONL'] as const;
/** AWS's cap on ReaderConfig.MaxItems ("after which the Distributed Map stops reading items"). */
const MAX_READER_ITEMS = 100_000_000;
/** ReaderConfig.MaxItems: 0 reads every item (MaxItemsPath is checked when read). */
const READER_MAX_ITEMS: NumberRule = {
  ...POSITIVE_INTEGER,
  min: 0,
  max: MAX_READER_ITEMS,
  staticText: `an integer in 1..${MAX_READER_ITEMS}, or 0 for no limit`,
};
/** The ItemBatcher fields of which at least one must be given. */
const BATCH_LIMITS = [
  'MaxItemsPerBatch',
  'MaxItemsPerBatchPath',
  'MaxInputBytesPerBatch',
  'MaxInputBytesPerBatchPath',
];
const ITEM_READER_FIELDS = new Set(['Resource', 'ReaderConfig', 'Parameters']);
const READER_CONFIG_FIELDS = new Set(['InputType', 'MaxItems', 'MaxItemsPath']);
const READER_PARAMETERS = new Set(['Bucket', 'Key', 'VersionId']);
const SUPPORTED_READERS =
  'supported: Resource arn:aws:states:::s3:getObject with ReaderConfig.InputType JSON or JSONL';

/** What one run of the Map is made of. */
export interface PreparedMapRun {
  readonly children: ChildInput[];
  readonly totalItems: number;
}

/** One run's numbers: the fields, or what their `…Path` read from the run's input. */
export interface MapRunSettings {
  /** MaxConcurrency as configured; 0 (or absent) means no limit of its own. */
  readonly maxConcurrency: number;
  /** ToleratedFailurePercentage(Path); absent when neither is given. */
  readonly toleratedPercentage?: number;
  /** ToleratedFailureCount(Path); absent when neither is given. */
  readonly toleratedCount?: number;
}

export class DistributedMapConfig {
  private readonly itemsPath: PathEvaluator;
  private readonly reader?: ItemReaderSpec;
  private readonly selector?: TemplateEvaluator;
  private readonly batching?: Batching;
  private readonly maxConcurrency?: NumberSource;
  private readonly toleratedPercentage?: NumberSource;
  private readonly toleratedCount?: NumberSource;
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
    if (mapState.ItemReader !== undefined) {
      if (mapState.ItemsPath !== undefined) {
        throw new InvalidAslDefinition(
          'ItemsPath cannot be used with an ItemReader (the items are those of the object read)',
          { stateName, field: 'ItemsPath' },
        );
      }
      this.reader = compileItemReader(stateName, mapState.ItemReader);
    }
    const selector = mapState.ItemSelector ?? mapState.Parameters;
    if (selector !== undefined) {
      this.selector = compilePayloadTemplate(
        selector,
        at(mapState.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters'),
      );
    }
    const batcher = mapState.ItemBatcher as Record<string, unknown> | undefined;
    if (batcher !== undefined) {
      if (!BATCH_LIMITS.some((field) => batcher[field] !== undefined)) {
        throw new InvalidAslDefinition(
          'ItemBatcher needs MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path) or both ("You must specify one of these values to batch items")',
          { stateName, field: 'ItemBatcher' },
        );
      }
      this.batching = {
        maxItems: numberSource(stateName, batcher, 'MaxItemsPerBatch', POSITIVE_INTEGER),
        maxBytes: numberSource(stateName, batcher, 'MaxInputBytesPerBatch', BATCH_BYTES),
        batchInput:
          batcher.BatchInput === undefined
            ? undefined
            : compilePayloadTemplate(batcher.BatchInput, at('ItemBatcher.BatchInput')),
      };
    }
    const fields = mapState as Record<string, unknown>;
    this.maxConcurrency = numberSource(stateName, fields, 'MaxConcurrency', NON_NEGATIVE_INTEGER);
    this.toleratedPercentage = numberSource(
      stateName,
      fields,
      'ToleratedFailurePercentage',
      PERCENTAGE,
    );
    this.toleratedCount = numberSource(
      stateName,
      fields,
      'ToleratedFailureCount',
      NON_NEGATIVE_INTEGER,
    );
    const processor = mapState.ItemProcessor as
      { ProcessorConfig?: { ExecutionType?: string } } | undefined;
    this.executionType =
      processor?.ProcessorConfig?.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
  }

  /** Whether the items come from an ItemReader (the runner reads them, then calls prepare). */
  get readsItems(): boolean {
    return this.reader !== undefined;
  }

  /**
   * One run's numbers, read from the Map's effective input (after InputPath) before its items are
   * read or selected: MaxConcurrency(Path) and ToleratedFailurePercentage / Count(Path). A Path
   * that selects nothing or a value the field does not take fails with States.Runtime.
   */
  runSettings(input: unknown, context: Record<string, unknown>): MapRunSettings {
    const read = (source: NumberSource | undefined, rule: NumberRule) =>
      source === undefined ? undefined : resolveNumber(source, { input, context }, rule);
    const toleratedPercentage = read(this.toleratedPercentage, PERCENTAGE);
    const toleratedCount = read(this.toleratedCount, NON_NEGATIVE_INTEGER);
    return {
      maxConcurrency: read(this.maxConcurrency, NON_NEGATIVE_INTEGER) ?? 0,
      ...(toleratedPercentage === undefined ? {} : { toleratedPercentage }),
      ...(toleratedCount === undefined ? {} : { toleratedCount }),
    };
  }

  /**
   * The object one run reads (ItemReader's Parameters and MaxItems(Path) on the Map's effective
   * input). A Path that selects nothing fails with States.Runtime; a MaxItemsPath value that is
   * not a non-negative integer, or a Bucket or Key that is not a string, with
   * States.ItemReaderFailed.
   */
  readerRequest(input: unknown, context: Record<string, unknown>): ItemReaderRequest {
    const reader = this.reader;
    if (!reader) throw new Error(`State "${this.stateName}" has no ItemReader`);
    const parameters = reader.parameters(input, context) as Record<string, unknown>;
    const { Bucket: bucket, Key: key, VersionId: versionId } = parameters;
    for (const [field, value] of [
      ['Bucket', bucket],
      ['Key', key],
    ] as const) {
      if (typeof value !== 'string' || value === '') {
        throw itemReaderFailure(
          this.stateName,
          `ItemReader Parameters.${field} must be a non-empty string, got ${describe(value)}`,
        );
      }
    }
    if (versionId !== undefined && typeof versionId !== 'string') {
      throw itemReaderFailure(
        this.stateName,
        `ItemReader Parameters.VersionId must be a string, got ${describe(versionId)}`,
      );
    }
    const maxItems = reader.maxItems && readerMaxItems(reader.maxItems, input, context);
    return {
      bucket: bucket as string,
      key: key as string,
      ...(versionId === undefined ? {} : { versionId }),
      inputType: reader.inputType,
      ...(maxItems ? { maxItems } : {}),
    };
  }

  /**
   * The items of an object read for `request`: a JSON array, or one JSON value per non-empty line
   * (JSONL), cut to the first `maxItems`. What does not parse fails with States.ItemReaderFailed,
   * naming the object and, for JSONL, the line.
   */
  parseItems(text: string, request: ItemReaderRequest): unknown[] {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const limit = request.maxItems ?? Number.MAX_SAFE_INTEGER;
    const fail = (reason: string) =>
      itemReaderFailure(
        this.stateName,
        `ItemReader could not read the items of s3://${request.bucket}/${request.key} (InputType ${request.inputType}): ${reason}`,
      );
    if (request.inputType === 'JSON') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (error) {
        throw fail(`the object is not valid JSON (${(error as Error).message})`);
      }
      if (!Array.isArray(parsed)) {
        throw fail(`the object's JSON is ${kindOf(parsed)}, not an array`);
      }
      if (parsed.length > limit) parsed.length = limit; // in place: no copy
      return parsed;
    }
    const items: unknown[] = [];
    let start = 0;
    let line = 0;
    while (start <= body.length && items.length < limit) {
      const newline = body.indexOf('\n', start);
      const end = newline === -1 ? body.length : newline;
      line += 1;
      const lineText = body.slice(start, end);
      if (lineText.trim() !== '') {
        try {
          items.push(JSON.parse(lineText));
        } catch (error) {
          throw fail(`line ${line} is not valid JSON (${(error as Error).message})`);
        }
      }
      if (newline === -1) break;
      start = newline + 1;
    }
    return items;
  }

  /**
   * The children of one run: `input` is the Map's effective input (after InputPath). `readItems`
   * are the items an ItemReader read (parseItems); without an ItemReader, ItemsPath selects them.
   */
  prepare(input: unknown, context: Record<string, unknown>, readItems?: unknown[]): PreparedMapRun {
    if (this.reader && readItems === undefined) {
      throw new Error(`State "${this.stateName}": the ItemReader's items must be read first`);
    }
    const items = readItems ?? this.itemsPath(input, context);
    if (!Array.isArray(items)) {
      throw statesRuntimeError(
        `State "${this.stateName}": ItemsPath must select an array, got ${describe(items)}`,
      );
    }
    const selected = this.selectItems(items, input, context);
    const children = this.batching
      ? this.batch(selected, this.batching, input, context)
      : selected.map((item, i) => ({ input: item, start: i, size: 1 }));
    return { children, totalItems: selected.length };
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

  private batch(
    items: unknown[],
    batching: Batching,
    input: unknown,
    context: Record<string, unknown>,
  ): ChildInput[] {
    const maxItems = batching.maxItems
      ? resolveNumber(batching.maxItems, { input, context }, POSITIVE_INTEGER)
      : Number.MAX_SAFE_INTEGER;
    // A MaxInputBytesPerBatchPath over 256 KiB is held to it (a static one is refused at load).
    const maxBytes = Math.min(
      batching.maxBytes
        ? resolveNumber(batching.maxBytes, { input, context }, POSITIVE_INTEGER)
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

/** The ItemReader, checked at load: only S3 GetObject of a JSON or JSONL object. */
function compileItemReader(stateName: string, value: unknown): ItemReaderSpec {
  const unsupported = (field: string, detail: string) =>
    new UnsupportedAslFeature(stateName, field, `${detail} (${SUPPORTED_READERS})`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw unsupported('ItemReader', 'ItemReader must be an object');
  }
  const reader = value as Record<string, unknown>;
  for (const field of Object.keys(reader)) {
    if (!ITEM_READER_FIELDS.has(field)) {
      throw unsupported(
        `ItemReader.${field}`,
        `ItemReader.${field} is not supported by the local runtime`,
      );
    }
  }
  const resource = reader.Resource;
  if (typeof resource !== 'string' || !S3_GET_OBJECT.test(resource)) {
    throw unsupported(
      'ItemReader.Resource',
      `ItemReader Resource ${JSON.stringify(resource)} is not supported by the local runtime`,
    );
  }
  const config = reader.ReaderConfig;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw unsupported(
      'ItemReader.ReaderConfig',
      'an ItemReader with s3:getObject needs a ReaderConfig with InputType',
    );
  }
  const readerConfig = config as Record<string, unknown>;
  const inputType = readerConfig.InputType;
  if (!ITEM_READER_INPUT_TYPES.includes(inputType as 'JSON')) {
    throw unsupported(
      'ItemReader.ReaderConfig.InputType',
      `ItemReader InputType ${JSON.stringify(inputType)} is not supported by the local runtime`,
    );
  }
  for (const field of Object.keys(readerConfig)) {
    if (!READER_CONFIG_FIELDS.has(field)) {
      throw unsupported(
        `ItemReader.ReaderConfig.${field}`,
        `ItemReader.ReaderConfig.${field} is not supported by the local runtime`,
      );
    }
  }
  const parameters = reader.Parameters;
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw unsupported(
      'ItemReader.Parameters',
      'an ItemReader needs Parameters with Bucket and Key',
    );
  }
  const given = new Set(Object.keys(parameters).map((key) => key.replace(/\.\$$/, '')));
  for (const field of given) {
    if (!READER_PARAMETERS.has(field)) {
      throw unsupported(
        `ItemReader.Parameters.${field}`,
        `ItemReader.Parameters.${field} is not supported by the local runtime (Bucket, Key and VersionId are)`,
      );
    }
  }
  for (const field of ['Bucket', 'Key']) {
    if (!given.has(field)) {
      throw unsupported(
        `ItemReader.Parameters.${field}`,
        `an ItemReader needs Parameters.${field} (or ${field}.$)`,
      );
    }
  }
  return {
    inputType: inputType as 'JSON' | 'JSONL',
    parameters: compilePayloadTemplate(parameters, {
      stateName,
      field: 'ItemReader.Parameters',
    }),
    maxItems: numberSource(
      stateName,
      readerConfig,
      'MaxItems',
      READER_MAX_ITEMS,
      'ItemReader.ReaderConfig.MaxItems',
    ),
  };
}

/** States.ItemReaderFailed: the Map could not read its items (catchable, as on AWS). */
export function itemReaderFailure(stateName: string, reason: string): TaskFailure {
  return new TaskFailure('States.ItemReaderFailed', `State "${stateName}": ${reason}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
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

/**
 * ReaderConfig.MaxItems(Path) for this run: 0 reads every item, more than 100,000,000 reads
 * 100,000,000; a MaxItemsPath value that is not a non-negative integer fails the Map with
 * States.ItemReaderFailed (catchable).
 */
function readerMaxItems(
  source: NumberSource,
  input: unknown,
  context: unknown,
): number | undefined {
  if ('value' in source) return source.value === 0 ? undefined : source.value;
  const value = selectedNumber(source, { input, context });
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TaskFailure('States.ItemReaderFailed', refersTo(source, value, 'a valid integer'));
  }
  if (value < 0)
    throw new TaskFailure('States.ItemReaderFailed', 'field MaxItems must be positive');
  return value === 0 ? undefined : Math.min(value, MAX_READER_ITEMS);
}
