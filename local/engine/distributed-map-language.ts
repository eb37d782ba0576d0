/**
 * Which fields a DISTRIBUTED Map has in each query language (guide, "Transforming data with
 * JSONata in Step Functions"): a JSONata Map has no ItemsPath, no `…Path` twin of a number field,
 * no InputPath, Parameters, ResultSelector, ResultPath, OutputPath or ItemReader.Parameters; it
 * has Items, Output and ItemReader.Arguments instead, which a JSONPath Map does not have; neither
 * has Arguments (a Task's and a Parallel's field). checkMapQueryLanguage refuses the others at
 * load with InvalidAslDefinition naming the state and the field. distributed-map-config.ts's
 * header has the fields of each language and what they take.
 */
import type { AslState } from '../stack/synthesized-definition';
import { InvalidAslDefinition } from './errors';
import type { QueryLanguage } from './asl/state-fields';

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
