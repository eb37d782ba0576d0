/**
 * A DISTRIBUTED Map's ItemReader: compiled at load (compileItemReader: only S3 GetObject of a JSON
 * or JSONL object, Parameters or Arguments with Bucket, Key and optional VersionId,
 * ReaderConfig.InputType and MaxItems(Path); anything else is an UnsupportedAslFeature naming the
 * field), then for each run the object to read (itemReaderRequest: the parameters and MaxItems
 * evaluated on the Map's input) and, once the runner (distributed-map.ts) has read it, its items
 * (parseReadItems). What cannot be read or parsed fails the Map with States.ItemReaderFailed
 * (catchable). The fields, their values and the local decisions (MaxItemsPath, a MaxItems
 * expression) are in distributed-map-config.ts's header, whose DistributedMapConfig compiles the
 * ItemReader with the Map's other fields.
 *
 * Cost: a read object's text is parsed once (JSONL line by line, without splitting the text) and
 * dropped; only the items are kept.
 */
import { TaskFailure, UnsupportedAslFeature } from './errors';
import {
  type Evaluate,
  MAP_JSONATA,
  type MapRunEnv,
  checkNumberOrExpression,
  jsonataEnv,
  pathEnv,
  payload,
} from './distributed-map-env';
import { compileJsonataTemplate, isJsonataExpression, queryEvaluationError } from './asl/jsonata';
import {
  NON_NEGATIVE_INTEGER,
  type NumberRule,
  type NumberSource,
  numberSource,
  refersTo,
  selectedNumber,
} from './asl/number-fields';
import type { JsonataEvaluator, QueryLanguage } from './asl/state-fields';

/** ReaderConfig.MaxItems: a number or a MaxItemsPath (JSONPath), or an expression (JSONata). */
type ReaderMaxItems = NumberSource | { readonly expression: JsonataEvaluator };

/** A DISTRIBUTED Map's ItemReader, compiled. */
export interface ItemReaderSpec {
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

/** The ItemReader resources the local runtime serves. */
const S3_GET_OBJECT = /^arn:[a-z-]+:states:::s3:getObject$/;
const ITEM_READER_INPUT_TYPES = ['JSON', 'JSONL'] as const;
/** AWS's cap on ReaderConfig.MaxItems ("after which the Distributed Map stops reading items"). */
const MAX_READER_ITEMS = 100_000_000;
/** ReaderConfig.MaxItems: 0 reads every item (MaxItemsPath is checked when read). */
const READER_MAX_ITEMS: NumberRule = {
  ...NON_NEGATIVE_INTEGER,
  max: MAX_READER_ITEMS,
  staticText: `an integer in 1..${MAX_READER_ITEMS}, or 0 for no limit`,
};
const READER_PARAMETERS = new Set(['Bucket', 'Key', 'VersionId']);
const SUPPORTED_READERS =
  'supported: Resource arn:aws:states:::s3:getObject with ReaderConfig.InputType JSON or JSONL';

/** The ItemReader, checked at load: only S3 GetObject of a JSON or JSONL object. */
export function compileItemReader(
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
  checkNumberOrExpression(stateName, field, value, language);
  if (language === 'JSONata' && typeof value === 'string') {
    return { expression: compileJsonataTemplate(value, { stateName, field }, MAP_JSONATA) };
  }
  return numberSource(stateName, readerConfig, 'MaxItems', READER_MAX_ITEMS, field);
}

/**
 * The object one run reads (ItemReader's Parameters or Arguments and MaxItems(Path), on the
 * Map's input). A Path that selects nothing fails with States.Runtime; a MaxItemsPath value
 * that is not a non-negative integer, or a Bucket or Key that is not a string, with
 * States.ItemReaderFailed.
 */
export async function itemReaderRequest(
  stateName: string,
  language: QueryLanguage,
  reader: ItemReaderSpec,
  env: MapRunEnv,
): Promise<ItemReaderRequest> {
  const field = language === 'JSONata' ? 'Arguments' : 'Parameters';
  const given = await reader.parameters(env);
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw itemReaderFailure(
      stateName,
      `ItemReader ${field} must give an object with Bucket and Key, got ${describe(given)}`,
    );
  }
  const parameters = given as Record<string, unknown>;
  for (const key of Object.keys(parameters)) {
    // Only an expression can give another key (a template's are checked at load).
    if (!READER_PARAMETERS.has(key)) {
      throw itemReaderFailure(
        stateName,
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
        stateName,
        `ItemReader ${field}.${name} must be a non-empty string, got ${describe(value)}`,
      );
    }
  }
  if (versionId !== undefined && typeof versionId !== 'string') {
    throw itemReaderFailure(
      stateName,
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
export function parseReadItems(
  stateName: string,
  text: string,
  request: ItemReaderRequest,
): unknown[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const limit = request.maxItems ?? Number.MAX_SAFE_INTEGER;
  const fail = (reason: string) =>
    itemReaderFailure(
      stateName,
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

/** States.ItemReaderFailed: the Map could not read its items (catchable, as on AWS). */
export function itemReaderFailure(stateName: string, reason: string): TaskFailure {
  return new TaskFailure('States.ItemReaderFailed', `State "${stateName}": ${reason}`);
}

/** A value as an error message quotes it (at most 80 characters). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
