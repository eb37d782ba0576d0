/**
 * A DISTRIBUTED Map state's fields, compiled once when the engine loads (an invalid value fails
 * the load with InvalidAslDefinition naming the field, what the local runtime cannot read with
 * UnsupportedAslFeature; never an execution), and what they make of one run's input:
 * the run's settings and the children's inputs. Every field is evaluated by the parent execution,
 * with the Map state's input, its context object and the workflow variables in scope at the Map
 * state (`$name` in a JSONPath field, `$name` in a JSONata expression: a MapRunEnv). The children
 * start from an empty variable scope: each is an execution of its own (guide, "Passing data
 * between states with variables", "Variable scope"; asl/variables.ts). As Step Functions does:
 * - ItemsPath (default `$`) on the state's effective input; it must select an array.
 *   (JSONata: Items, below.)
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
 *   when the run starts; the context object (`$$`) and the variables (`$name`) are readable too.
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
 * In a JSONata Map (QueryLanguage JSONata on the state or the machine; guide, "Transforming data
 * with JSONata in Step Functions", and the JSONata examples of "ItemReader (Map)" / "ItemBatcher
 * (Map)"), the same fields take JSONata, every `{% %}` expression seeing `$states.input` (the
 * state's input), `$states.context` and the variables:
 * - Items (a JSON array whose leaves may be expressions, or an expression; default: the state's
 *   input) instead of ItemsPath; what it gives must be an array (else States.QueryEvaluationError,
 *   the inline Map's wording). Not with an ItemReader, as ItemsPath.
 * - ItemSelector: a JSONata template, with `$states.context.Map.Item.Index` / `.Value` per item.
 * - ItemReader.Arguments (an object whose leaves may be expressions, or an expression giving one)
 *   instead of Parameters; ReaderConfig.MaxItems a number or an expression.
 * - ItemBatcher.BatchInput a JSONata template; MaxItemsPerBatch / MaxInputBytesPerBatch,
 *   MaxConcurrency, ToleratedFailurePercentage / ToleratedFailureCount a number or an expression.
 * - No `…Path` twin, no InputPath / Parameters / ResultSelector / ResultPath / OutputPath /
 *   ItemReader.Parameters: each is refused at load with InvalidAslDefinition naming the state and
 *   the field (checkMapQueryLanguage), as Items, Output and ItemReader.Arguments are in a JSONPath
 *   Map. `Arguments` is refused on a Map in either language: it is a Task's and a Parallel's
 *   field, not a Map's (CDK's DistributedMapJsonataProps and asl-validator's Map schema have none).
 *   Output and Assign (with `$states.result`, the Map's result) are the interpreter's, on the
 *   stand-in Task (definition.ts).
 * - Whatever goes wrong while evaluating an expression is States.QueryEvaluationError (the guide,
 *   "Handling expression errors"; retried and caught like any error): a number expression that
 *   gives what the field does not take fails with `The <Field> expression must give <what>, got
 *   <value>` (the interpreter's wording for an inline Map's MaxConcurrency and a Task's
 *   TimeoutSeconds, asl/number-fields.ts). A string that is not a `{% %}` expression where a number
 *   is due is refused at load. Local decision for ReaderConfig.MaxItems: a non-integer or negative
 *   value is a QueryEvaluationError too; 0 reads every item, more than 100,000,000 reads
 *   100,000,000, as for MaxItemsPath.
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
  type PathEnv,
  type PathEvaluator,
  type TemplateEvaluator,
  compilePayloadTemplate,
  compileRequiredPath,
} from './payload-template';
import { MAX_PAYLOAD_BYTES } from './payload-limit';
import {
  type JsonataCompileOptions,
  type JsonataEnv,
  compileJsonataTemplate,
  isJsonataExpression,
  queryEvaluationError,
} from './asl/jsonata';
import {
  NON_NEGATIVE_INTEGER,
  type NumberField,
  type NumberRule,
  type NumberSource,
  PERCENTAGE,
  POSITIVE_INTEGER,
  compileNumberField,
  numberSource,
  refersTo,
  selectedNumber,
} from './asl/number-fields';
import type { FieldEnv, JsonataEvaluator, QueryLanguage } from './asl/state-fields';
import { VariableScope } from './asl/variables';

/** MaxInputBytesPerBatch: at most 256 KiB; a larger MaxInputBytesPerBatchPath is held to it. */
const BATCH_BYTES: NumberRule = { ...POSITIVE_INTEGER, max: MAX_PAYLOAD_BYTES };

/** What the Map's fields read in one run (the runner builds it from the stand-in Task's call). */
export interface MapRunEnv {
  /** The Map's effective input: JSONPath's `$` (after InputPath); a JSONata Map's input. */
  readonly input: unknown;
  /** The state's raw input, `$states.input` of a JSONata Map. @default input */
  readonly stateInput?: unknown;
  /** The context object as the Map state sees it (`$$`, `$states.context`). */
  readonly context: Record<string, unknown>;
  /** The workflow variables in scope at the Map state (`$name`). @default none */
  readonly variables?: VariableScope;
}

/** No variables: what a MapRunEnv without any reads. Never assigned to. */
const NO_VARIABLES = new VariableScope();

/** `$states` may read the input and the context in a Map's fields, nothing else. */
const MAP_JSONATA: JsonataCompileOptions = { statesFields: ['input', 'context'] };

interface Batching {
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

/** A payload (ItemSelector, BatchInput, ItemReader Parameters / Arguments) for one run. */
type Evaluate = (env: MapRunEnv) => unknown;

/** ReaderConfig.MaxItems: a number or a MaxItemsPath (JSONPath), or an expression (JSONata). */
type ReaderMaxItems = NumberSource | { readonly expression: JsonataEvaluator };

/** A DISTRIBUTED Map's ItemReader, compiled. */
interface ItemReaderSpec {
  readonly inputType: 'JSON' | 'JSONL';
  /** Parameters (JSONPath) or Arguments (JSONata), evaluated. */
  readonly parameters: Evaluate;
  readonly maxItems?: ReaderMaxItems;
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

/** Where the items come from without an ItemReader. */
type ItemsSource =
  | { readonly language: 'JSONPath'; readonly read: PathEvaluator }
  /** Items; undefined: the state's input. */
  | { readonly language: 'JSONata'; readonly evaluate?: JsonataEvaluator };

/** ItemSelector (or the legacy Parameters), per item. */
type Selector =
  | { readonly language: 'JSONPath'; readonly evaluate: TemplateEvaluator }
  | { readonly language: 'JSONata'; readonly evaluate: JsonataEvaluator };

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

// ---- the query language's fields ----------------------------------------------------------

/** Fields a JSONata Map does not have, and what it uses instead. */
const JSONPATH_ONLY: readonly (readonly [field: string, instead: string])[] = [
  ['InputPath', '$states.input in its expressions'],
  ['Parameters', 'ItemSelector'],
  ['ResultSelector', 'Output'],
  ['ResultPath', 'Output or Assign'],
  ['OutputPath', 'Output'],
  ['ItemsPath', 'Items'],
  ['MaxConcurrencyPath', 'MaxConcurrency with a {% %} expression'],
  ['ToleratedFailurePercentagePath', 'ToleratedFailurePercentage with a {% %} expression'],
  ['ToleratedFailureCountPath', 'ToleratedFailureCount with a {% %} expression'],
  ['ItemBatcher.MaxItemsPerBatchPath', 'ItemBatcher.MaxItemsPerBatch with a {% %} expression'],
  [
    'ItemBatcher.MaxInputBytesPerBatchPath',
    'ItemBatcher.MaxInputBytesPerBatch with a {% %} expression',
  ],
  ['ItemReader.Parameters', 'ItemReader.Arguments'],
  [
    'ItemReader.ReaderConfig.MaxItemsPath',
    'ItemReader.ReaderConfig.MaxItems with a {% %} expression',
  ],
];
/** Fields only a JSONata Map has. */
const JSONATA_ONLY = ['Items', 'Output', 'ItemReader.Arguments'];

/** The value at a dotted field path (`ItemBatcher.MaxItemsPerBatchPath`), if any. */
function fieldAt(state: Record<string, unknown>, path: string): unknown {
  let value: unknown = state;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Refuses, with InvalidAslDefinition naming the state and the field, a DISTRIBUTED Map's field
 * that its query language does not have: a JSONPath field (ItemsPath, any `…Path`, InputPath,
 * Parameters, ResultSelector, ResultPath, OutputPath, ItemReader.Parameters) in a JSONata Map, a
 * JSONata field (Items, Output, ItemReader.Arguments) in a JSONPath Map, and Arguments in either
 * (a Map has none). definition.ts calls it when it plans the Map, before the stand-in Task exists.
 */
export function checkMapQueryLanguage(
  stateName: string,
  mapState: AslState,
  language: QueryLanguage,
): void {
  const state = mapState as Record<string, unknown>;
  const refuse = (field: string, detail: string): never => {
    throw new InvalidAslDefinition(detail, { stateName, field });
  };
  if (state.Arguments !== undefined) {
    refuse(
      'Arguments',
      'Arguments is not a field of a Map state (a Map takes its items from Items, ItemsPath or ItemReader, and ItemSelector shapes each child input)',
    );
  }
  if (language === 'JSONata') {
    for (const [field, instead] of JSONPATH_ONLY) {
      if (fieldAt(state, field) !== undefined) {
        refuse(field, `${field} is a JSONPath field; a JSONata Map uses ${instead} instead`);
      }
    }
    return;
  }
  for (const field of JSONATA_ONLY) {
    if (fieldAt(state, field) !== undefined) {
      refuse(
        field,
        `${field} is a JSONata field; set "QueryLanguage": "JSONata" on the state or the state machine to use it`,
      );
    }
  }
}

// ---- the configuration --------------------------------------------------------------------

export class DistributedMapConfig {
  private readonly language: QueryLanguage;
  private readonly items: ItemsSource;
  private readonly reader?: ItemReaderSpec;
  private readonly selector?: Selector;
  private readonly batching?: Batching;
  private readonly maxConcurrency?: NumberField;
  private readonly toleratedPercentage?: NumberField;
  private readonly toleratedCount?: NumberField;
  readonly executionType: 'STANDARD' | 'EXPRESS';

  /**
   * `mapState` is the Map as written; its QueryLanguage, when absent, is the machine's (definition.ts
   * writes the inherited JSONata into the copy it plans).
   */
  constructor(
    private readonly stateName: string,
    mapState: AslState,
  ) {
    const language: QueryLanguage = mapState.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
    this.language = language;
    checkMapQueryLanguage(stateName, mapState, language);
    const at = (field: string) => ({ stateName, field });
    const fields = mapState as Record<string, unknown>;
    const itemsField = language === 'JSONata' ? 'Items' : 'ItemsPath';
    if (mapState.ItemReader !== undefined) {
      if (fields[itemsField] !== undefined) {
        throw new InvalidAslDefinition(
          `${itemsField} cannot be used with an ItemReader (the items are those of the object read)`,
          at(itemsField),
        );
      }
      this.reader = compileItemReader(stateName, mapState.ItemReader, language);
    }
    this.items =
      language === 'JSONata'
        ? {
            language,
            evaluate:
              fields.Items === undefined
                ? undefined
                : compileJsonataTemplate(fields.Items, at('Items'), MAP_JSONATA),
          }
        : {
            language,
            read: compileRequiredPath(
              typeof mapState.ItemsPath === 'string' ? mapState.ItemsPath : '$',
              at('ItemsPath'),
            ),
          };
    const selector = mapState.ItemSelector ?? mapState.Parameters;
    if (selector !== undefined) {
      const field = mapState.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters';
      this.selector =
        language === 'JSONata'
          ? {
              language,
              evaluate: compileJsonataTemplate(selector, at(field), MAP_JSONATA),
            }
          : { language, evaluate: compilePayloadTemplate(selector, at(field)) };
    }
    const batcher = mapState.ItemBatcher as Record<string, unknown> | undefined;
    if (batcher !== undefined) {
      if (!BATCH_LIMITS.some((field) => batcher[field] !== undefined)) {
        throw new InvalidAslDefinition(
          'ItemBatcher needs MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path) or both ("You must specify one of these values to batch items")',
          at('ItemBatcher'),
        );
      }
      this.batching = {
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
            : payload(batcher.BatchInput, at('ItemBatcher.BatchInput'), language),
      };
    }
    this.maxConcurrency = numberField(
      stateName,
      fields,
      'MaxConcurrency',
      NON_NEGATIVE_INTEGER,
      language,
    );
    this.toleratedPercentage = numberField(
      stateName,
      fields,
      'ToleratedFailurePercentage',
      PERCENTAGE,
      language,
    );
    this.toleratedCount = numberField(
      stateName,
      fields,
      'ToleratedFailureCount',
      NON_NEGATIVE_INTEGER,
      language,
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
   * One run's numbers, read from the Map's input (a `…Path`: the effective input) before its
   * items are read or selected: MaxConcurrency and ToleratedFailurePercentage / Count. A Path
   * that selects nothing or a value the field does not take fails with States.Runtime; an
   * expression that fails or gives such a value with States.QueryEvaluationError.
   */
  async runSettings(env: MapRunEnv): Promise<MapRunSettings> {
    const read = (field: NumberField | undefined) =>
      field === undefined ? undefined : readNumber(field, env);
    const toleratedPercentage = await read(this.toleratedPercentage);
    const toleratedCount = await read(this.toleratedCount);
    return {
      maxConcurrency: (await read(this.maxConcurrency)) ?? 0,
      ...(toleratedPercentage === undefined ? {} : { toleratedPercentage }),
      ...(toleratedCount === undefined ? {} : { toleratedCount }),
    };
  }

  /**
   * The object one run reads (ItemReader's Parameters or Arguments and MaxItems(Path), on the
   * Map's input). A Path that selects nothing fails with States.Runtime; a MaxItemsPath value
   * that is not a non-negative integer, or a Bucket or Key that is not a string, with
   * States.ItemReaderFailed.
   */
  async readerRequest(env: MapRunEnv): Promise<ItemReaderRequest> {
    const reader = this.reader;
    if (!reader) throw new Error(`State "${this.stateName}" has no ItemReader`);
    const field = this.language === 'JSONata' ? 'Arguments' : 'Parameters';
    const given = await reader.parameters(env);
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw itemReaderFailure(
        this.stateName,
        `ItemReader ${field} must give an object with Bucket and Key, got ${describe(given)}`,
      );
    }
    const parameters = given as Record<string, unknown>;
    for (const key of Object.keys(parameters)) {
      // Only an expression can give another key (a template's are checked at load).
      if (!READER_PARAMETERS.has(key)) {
        throw itemReaderFailure(
          this.stateName,
          `ItemReader ${field}.${key} is not supported by the local runtime (Bucket, Key and VersionId are)`,
        );
      }
    }
    const { Bucket: bucket, Key: key, VersionId: versionId } = parameters;
    for (const [name, value] of [
      ['Bucket', bucket],
      ['Key', key],
    ] as const) {
      if (typeof value !== 'string' || value === '') {
        throw itemReaderFailure(
          this.stateName,
          `ItemReader ${field}.${name} must be a non-empty string, got ${describe(value)}`,
        );
      }
    }
    if (versionId !== undefined && typeof versionId !== 'string') {
      throw itemReaderFailure(
        this.stateName,
        `ItemReader ${field}.VersionId must be a string, got ${describe(versionId)}`,
      );
    }
    const maxItems = reader.maxItems && (await readerMaxItems(reader.maxItems, env));
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
   * The children of one run. `readItems` are the items an ItemReader read (parseItems); without
   * an ItemReader, ItemsPath (JSONPath) or Items (JSONata) gives them.
   */
  async prepare(env: MapRunEnv, readItems?: unknown[]): Promise<PreparedMapRun> {
    if (this.reader && readItems === undefined) {
      throw new Error(`State "${this.stateName}": the ItemReader's items must be read first`);
    }
    const items = readItems ?? (await this.givenItems(env));
    const selected = await this.selectItems(items, env);
    const children = this.batching
      ? await this.batch(selected, this.batching, env)
      : selected.map((item, i) => ({ input: item, start: i, size: 1 }));
    return { children, totalItems: selected.length };
  }

  /** ItemsPath's or Items' array (no ItemReader). */
  private async givenItems(env: MapRunEnv): Promise<unknown[]> {
    const source = this.items;
    if (source.language === 'JSONPath') {
      const items = source.read(pathEnv(env));
      if (!Array.isArray(items)) {
        throw statesRuntimeError(
          `State "${this.stateName}": ItemsPath must select an array, got ${describe(items)}`,
        );
      }
      return items;
    }
    if (!source.evaluate) {
      const items = stateInput(env);
      if (!Array.isArray(items)) {
        throw statesRuntimeError(
          `State "${this.stateName}": the Map state input must be an array when Items is not given, got ${describe(items)}`,
        );
      }
      return items;
    }
    const items = await source.evaluate(jsonataEnv(env));
    if (!Array.isArray(items)) {
      throw queryEvaluationError(
        `The Items expression must give an array, got ${JSON.stringify(items) ?? 'nothing'}`,
      );
    }
    return items;
  }

  private async selectItems(items: unknown[], env: MapRunEnv): Promise<unknown[]> {
    const selector = this.selector;
    if (!selector) return items;
    const selected = new Array<unknown>(items.length);
    if (selector.language === 'JSONPath') {
      // One context object for the whole map; only `Map` changes per item.
      const itemContext: Record<string, unknown> = { ...env.context };
      const itemEnv: PathEnv = { ...pathEnv(env), context: itemContext };
      for (let i = 0; i < items.length; i += 1) {
        itemContext.Map = { Item: { Index: i, Value: items[i] } };
        selected[i] = selector.evaluate(itemEnv);
      }
      return selected;
    }
    const input = stateInput(env);
    const variables = env.variables ?? NO_VARIABLES;
    for (let i = 0; i < items.length; i += 1) {
      const context = { ...env.context, Map: { Item: { Index: i, Value: items[i] } } };
      selected[i] = await selector.evaluate({ states: { input, context }, variables });
    }
    return selected;
  }

  private async batch(items: unknown[], batching: Batching, env: MapRunEnv): Promise<ChildInput[]> {
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

// ---- evaluation -----------------------------------------------------------------------------

/** What a JSONPath field reads: the effective input, the context object, the variables. */
function pathEnv(env: MapRunEnv): PathEnv {
  return { input: env.input, context: env.context, variables: env.variables };
}

/** `$states.input`: the state's raw input. */
function stateInput(env: MapRunEnv): unknown {
  return 'stateInput' in env ? env.stateInput : env.input;
}

/** What a JSONata expression reads: `$states.input`, `$states.context`, the variables. */
function jsonataEnv(env: MapRunEnv): JsonataEnv {
  return {
    states: { input: stateInput(env), context: env.context },
    variables: env.variables ?? NO_VARIABLES,
  };
}

function fieldEnv(env: MapRunEnv): FieldEnv {
  return { context: env.context, variables: env.variables ?? NO_VARIABLES };
}

function readNumber(field: NumberField, env: MapRunEnv): Promise<number> {
  return field(env.input, stateInput(env), fieldEnv(env));
}

/** A payload template (JSONPath) or a JSONata template, as one evaluator. */
function payload(
  template: unknown,
  where: { stateName: string; field: string },
  language: QueryLanguage,
): Evaluate {
  if (language === 'JSONPath') {
    const evaluate = compilePayloadTemplate(template, where);
    return (env) => evaluate(pathEnv(env));
  }
  const evaluate = compileJsonataTemplate(template, where, MAP_JSONATA);
  return (env) => evaluate(jsonataEnv(env));
}

/**
 * A number field (MaxConcurrency, ToleratedFailure*, the ItemBatcher limits): a number, its
 * `…Path` twin (JSONPath) or a `{% %}` expression (JSONata); a JSONata Map's string that is not
 * an expression is refused at load.
 */
function numberField(
  stateName: string,
  holder: Record<string, unknown>,
  field: string,
  rule: NumberRule,
  language: QueryLanguage,
): NumberField | undefined {
  const value = holder[field];
  if (language === 'JSONata' && typeof value === 'string' && !isJsonataExpression(value)) {
    throw new InvalidAslDefinition(
      `${field} must be a number or a JSONata expression ({% … %}), got ${JSON.stringify(value)}`,
      { stateName, field },
    );
  }
  return compileNumberField(stateName, holder, field, rule, language);
}

// ---- ItemReader ---------------------------------------------------------------------------

/** The ItemReader, checked at load: only S3 GetObject of a JSON or JSONL object. */
function compileItemReader(
  stateName: string,
  value: unknown,
  language: QueryLanguage,
): ItemReaderSpec {
  const unsupported = (field: string, detail: string) =>
    new UnsupportedAslFeature(stateName, field, `${detail} (${SUPPORTED_READERS})`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw unsupported('ItemReader', 'ItemReader must be an object');
  }
  const reader = value as Record<string, unknown>;
  // Parameters (JSONPath) or Arguments (JSONata): the other one was refused by its language.
  const parametersField = language === 'JSONata' ? 'Arguments' : 'Parameters';
  for (const field of Object.keys(reader)) {
    if (field !== 'Resource' && field !== 'ReaderConfig' && field !== parametersField) {
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
    if (field !== 'InputType' && field !== 'MaxItems' && field !== 'MaxItemsPath') {
      throw unsupported(
        `ItemReader.ReaderConfig.${field}`,
        `ItemReader.ReaderConfig.${field} is not supported by the local runtime`,
      );
    }
  }
  const where = { stateName, field: `ItemReader.${parametersField}` };
  const parameters = reader[parametersField];
  const expression = language === 'JSONata' && isJsonataExpression(parameters);
  if (
    !expression &&
    (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters))
  ) {
    throw unsupported(
      where.field,
      `an ItemReader needs ${parametersField} with Bucket and Key${language === 'JSONata' ? ' (an object, or a {% %} expression giving one)' : ''}`,
    );
  }
  if (!expression) {
    // A JSONPath key `Bucket.$` is Bucket's path; a JSONata key is its own name.
    const given = new Set(
      Object.keys(parameters as object).map((key) =>
        language === 'JSONPath' ? key.replace(/\.\$$/, '') : key,
      ),
    );
    for (const field of given) {
      if (!READER_PARAMETERS.has(field)) {
        throw unsupported(
          `${where.field}.${field}`,
          `${where.field}.${field} is not supported by the local runtime (Bucket, Key and VersionId are)`,
        );
      }
    }
    for (const field of ['Bucket', 'Key']) {
      if (!given.has(field)) {
        throw unsupported(
          `${where.field}.${field}`,
          `an ItemReader needs ${parametersField}.${field}${language === 'JSONPath' ? ` (or ${field}.$)` : ''}`,
        );
      }
    }
  }
  return {
    inputType: inputType as 'JSON' | 'JSONL',
    parameters: payload(parameters, where, language),
    maxItems: readerMaxItemsField(stateName, readerConfig, language),
  };
}

/** ReaderConfig.MaxItems: a number, MaxItemsPath (JSONPath) or an expression (JSONata). */
function readerMaxItemsField(
  stateName: string,
  readerConfig: Record<string, unknown>,
  language: QueryLanguage,
): ReaderMaxItems | undefined {
  const field = 'ItemReader.ReaderConfig.MaxItems';
  const value = readerConfig.MaxItems;
  if (language === 'JSONata' && typeof value === 'string') {
    if (!isJsonataExpression(value)) {
      throw new InvalidAslDefinition(
        `${field} must be a number or a JSONata expression ({% … %}), got ${JSON.stringify(value)}`,
        { stateName, field },
      );
    }
    return { expression: compileJsonataTemplate(value, { stateName, field }, MAP_JSONATA) };
  }
  return numberSource(stateName, readerConfig, 'MaxItems', READER_MAX_ITEMS, field);
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
 * 100,000,000. A MaxItemsPath value that is not a non-negative integer fails the Map with
 * States.ItemReaderFailed (catchable); an expression's with States.QueryEvaluationError.
 */
async function readerMaxItems(source: ReaderMaxItems, env: MapRunEnv): Promise<number | undefined> {
  if ('value' in source) return source.value === 0 ? undefined : source.value;
  let value: unknown;
  if ('expression' in source) {
    value = await source.expression(jsonataEnv(env));
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw queryEvaluationError(
        `The MaxItems expression must give a non-negative integer, got ${JSON.stringify(value) ?? 'nothing'}`,
      );
    }
  } else {
    value = selectedNumber(source, pathEnv(env));
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new TaskFailure('States.ItemReaderFailed', refersTo(source, value, 'a valid integer'));
    }
    if (value < 0)
      throw new TaskFailure('States.ItemReaderFailed', 'field MaxItems must be positive');
  }
  return value === 0 ? undefined : Math.min(value, MAX_READER_ITEMS);
}
