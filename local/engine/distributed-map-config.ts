/**
 * A DISTRIBUTED Map state's fields, compiled once when the engine loads (an invalid value fails
 * the load with InvalidAslDefinition naming the field, what the local runtime cannot read with
 * UnsupportedAslFeature; never an execution), and what they make of one run's input:
 * the run's settings and the children's inputs. Every field is evaluated by the parent execution,
 * with the Map state's input, its context object and the workflow variables in scope at the Map
 * state (`$name` in a JSONPath field, `$name` in a JSONata expression: a MapRunEnv). The children
 * start from an empty variable scope: each is an execution of its own (guide, "Passing data
 * between states with variables", "Variable scope"; asl/variables.ts). This file compiles the
 * fields (DistributedMapConfig) and makes each run's settings and children's inputs; the
 * ItemReader is distributed-map-item-reader.ts's, the ItemBatcher distributed-map-batching.ts's,
 * which fields each query language has distributed-map-language.ts's, and what the fields read
 * in a run (MapRunEnv) distributed-map-env.ts's. This header is the one list of the fields, their
 * values and the local decisions for all of them. As Step Functions does:
 * - ItemsPath (default `$`) on the state's effective input; it must select an array, else the
 *   run fails with States.Runtime in the inline Map's words (asl/fan-out.ts), `Invalid path
 *   '<path>' : No results for path: ItemsPath` or `Map state input at ItemsPath '<path>' must be
 *   an array, got <value>`. (JSONata: Items, below.)
 * - or ItemReader (not both, as CDK requires): Resource `arn:<partition>:states:::s3:getObject`,
 *   ReaderConfig.InputType `JSON` (the object is one JSON array) or `JSONL` (one JSON value per
 *   non-empty line), ReaderConfig.MaxItems(Path) (the first N items only), Parameters `Bucket`,
 *   `Key` (static or `.$`) and optional `VersionId`, evaluated on the state's effective input.
 *   Other readers (CSV, MANIFEST, PARQUET, listObjectsV2) are an UnsupportedAslFeature. The runner
 *   (distributed-map.ts) reads the object, distributed-map-item-reader.ts compiles the ItemReader,
 *   evaluates its request and parses the object; what cannot be read or parsed fails the Map with
 *   States.ItemReaderFailed (catchable). Read items go through ItemSelector and ItemBatcher
 *   exactly as an array from ItemsPath does.
 * - ItemSelector (or the legacy Parameters, not both, as the inline Map) per item, with
 *   `$$.Map.Item.Value` / `$$.Map.Item.Index` and the rest of the execution's context object;
 *   applied before batching.
 * - ItemBatcher: MaxItemsPerBatch(Path) and MaxInputBytesPerBatch(Path), at least one of them (the
 *   guide, "ItemBatcher (Map)": "You must specify one of these values to batch items"), cut
 *   greedily in item order. Bytes are those of the child's input as UTF-8 JSON,
 *   `{"Items":[…],"BatchInput":…}` exactly as serialized (compact), and never more than 256 KiB
 *   (262,144 bytes), AWS's cap, whether or not MaxInputBytesPerBatch is set. An item that alone
 *   does not fit fails the map with States.DataLimitExceeded. BatchInput is evaluated once, against
 *   the state's input (distributed-map-batching.ts).
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
 *   items exactly (in binary floating point 18.4 × 375 is 6899.999…;
 *   distributed-map-failure-threshold.ts).
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
 *   the field (checkMapQueryLanguage, distributed-map-language.ts), as Items, Output and
 *   ItemReader.Arguments are in a JSONPath Map. `Arguments` is refused on a Map in either
 *   language: it is a Task's and a Parallel's field, not a Map's (CDK's DistributedMapJsonataProps
 *   and asl-validator's Map schema have none).
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
 * (JSONL line by line, without splitting the text) and dropped; only the items are kept
 * (distributed-map-item-reader.ts).
 */
import type { AslState } from '../stack/synthesized-definition';
import { InvalidAslDefinition, statesRuntimeError } from './errors';
import {
  type Batching,
  type ChildInput,
  batchItems,
  compileBatching,
} from './distributed-map-batching';
import {
  type Evaluate,
  type MapRunEnv,
  numberField,
  pathEnv,
  payload,
  readNumber,
} from './distributed-map-env';
import {
  type ItemReaderRequest,
  type ItemReaderSpec,
  compileItemReader,
  itemReaderRequest,
  parseReadItems,
} from './distributed-map-item-reader';
import { queryEvaluationError } from './asl/jsonata';
import { NON_NEGATIVE_INTEGER, type NumberField, PERCENTAGE } from './asl/number-fields';
import { compilePathField } from './asl/payload';
import { type QueryLanguage, checkExclusive } from './asl/state-fields';

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

// ---- the configuration --------------------------------------------------------------------

export class DistributedMapConfig {
  private readonly language: QueryLanguage;
  /** ItemsPath (JSONPath) or Items (JSONata); absent: the Map's input is the array. */
  private readonly items?: Evaluate;
  /** ItemsPath as written, for its errors. */
  private readonly itemsPath: string;
  private readonly reader?: ItemReaderSpec;
  /** ItemSelector (or the legacy Parameters), per item. */
  private readonly selector?: Evaluate;
  private readonly batching?: Batching;
  private readonly maxConcurrency?: NumberField;
  private readonly toleratedPercentage?: NumberField;
  private readonly toleratedCount?: NumberField;
  readonly executionType: 'STANDARD' | 'EXPRESS';

  /**
   * `mapState` is the Map as definition.ts planned it: its QueryLanguage written in when it
   * inherits JSONata, and its fields of the other query language already refused there
   * (checkMapQueryLanguage, before the stand-in Task is compiled).
   */
  constructor(
    private readonly stateName: string,
    mapState: AslState,
  ) {
    const language: QueryLanguage = mapState.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
    this.language = language;
    const at = (field: string) => ({ stateName, field });
    const fields = mapState as Record<string, unknown>;
    const itemsField = language === 'JSONata' ? 'Items' : 'ItemsPath';
    const items = fields[itemsField];
    if (mapState.ItemReader !== undefined) {
      if (items !== undefined) {
        throw new InvalidAslDefinition(
          `${itemsField} cannot be used with an ItemReader (the items are those of the object read)`,
          at(itemsField),
        );
      }
      this.reader = compileItemReader(stateName, mapState.ItemReader, language);
    }
    this.itemsPath = typeof items === 'string' && language === 'JSONPath' ? items : '$';
    if (items !== undefined) {
      if (language === 'JSONata') {
        this.items = payload(items, at('Items'), language);
      } else {
        const read = compilePathField(items, at('ItemsPath'));
        this.items = (env) => read(pathEnv(env));
      }
    }
    checkExclusive(stateName, fields, ['ItemSelector', 'Parameters']);
    const selectorField = fields.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters';
    if (fields[selectorField] !== undefined) {
      this.selector = payload(fields[selectorField], at(selectorField), language);
    }
    if (mapState.ItemBatcher !== undefined) {
      this.batching = compileBatching(
        stateName,
        mapState.ItemBatcher as Record<string, unknown>,
        language,
      );
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
   * Map's input): distributed-map-item-reader.ts, itemReaderRequest.
   */
  async readerRequest(env: MapRunEnv): Promise<ItemReaderRequest> {
    const reader = this.reader;
    if (!reader) throw new Error(`State "${this.stateName}" has no ItemReader`);
    return itemReaderRequest(this.stateName, this.language, reader, env);
  }

  /** The items of an object read for `request`: distributed-map-item-reader.ts, parseReadItems. */
  parseItems(text: string, request: ItemReaderRequest): unknown[] {
    return parseReadItems(this.stateName, text, request);
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
      ? await batchItems(this.stateName, selected, this.batching, env)
      : selected.map((item, i) => ({ input: item, start: i, size: 1 }));
    return { children, totalItems: selected.length };
  }

  /** ItemsPath's or Items' array (no ItemReader); its errors are the inline Map's (asl/fan-out.ts). */
  private async givenItems(env: MapRunEnv): Promise<unknown[]> {
    const jsonata = this.language === 'JSONata';
    const items = this.items ? await this.items(env) : env.input;
    if (Array.isArray(items)) return items;
    if (jsonata && this.items) {
      throw queryEvaluationError(
        `The Items expression must give an array, got ${JSON.stringify(items) ?? 'nothing'}`,
      );
    }
    throw statesRuntimeError(
      items === undefined
        ? `Invalid path '${this.itemsPath}' : No results for path: ItemsPath`
        : `Map state input at ItemsPath '${this.itemsPath}' must be an array, got ${JSON.stringify(items)}`,
    );
  }

  /** ItemSelector per item, with `$$.Map.Item` (`$states.context.Map.Item`) set to it. */
  private async selectItems(items: unknown[], env: MapRunEnv): Promise<unknown[]> {
    const selector = this.selector;
    if (!selector) return items;
    const selected = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i += 1) {
      const context = { ...env.context, Map: { Item: { Index: i, Value: items[i] } } };
      selected[i] = await selector({ ...env, context });
    }
    return selected;
  }
}
