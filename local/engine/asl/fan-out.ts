/**
 * Parallel and inline Map states (docs/local-engine.md "States"). A DISTRIBUTED Map is not run
 * here: the engine plans it as a Task served by its Distributed Map runner (definition.ts).
 * - Parallel: every branch runs on the state's input (after Parameters / Arguments), each in a
 *   variable scope of its own; the result is the branches' outputs in order. The first branch
 *   to fail stops the others, and the state fails with its error.
 * - Map: ItemsPath (JSONPath; default `$`) or Items (JSONata; default the input) must give an
 *   array; each item becomes `$$.Map.Item.Value` (`Index` its position) for ItemSelector (or the
 *   legacy Parameters), and the processor runs once per item, at most MaxConcurrency at a time
 *   (0: no limit), in a variable scope of its own. The result is the outputs in item order; the
 *   first failure stops the rest and fails the state.
 */
import { InvalidAslDefinition, statesRuntimeError } from '../errors';
import { compileJsonataTemplate, queryEvaluationError } from './jsonata';
import type { MachineDocument } from './machine';
import { NON_NEGATIVE_INTEGER, type NumberField, compileNumberField } from './number-fields';
import { type Evaluator, compilePathField, compileTemplate } from './payload';
import { emit, type RunContext, type RunProgress, throwIfStopped } from './run-context';
import {
  type FieldEnv,
  type Finished,
  type JsonataEvaluator,
  type QueryLanguage,
  type StateFields,
  effectiveInput,
  finishState,
  workInput,
} from './state-fields';
import type { VariableScope } from './variables';

/** A compiled machine, as fan-out states run them (`resume`: a redrive). */
export interface SubMachine {
  run(input: unknown, run: RunContext, resume?: RunProgress): Promise<unknown>;
}

/**
 * What one attempt of a Parallel or inline Map leaves for a redrive: the outputs of the children
 * that succeeded (they are not run again), and for each other child that started, where it
 * stopped and its variable scope (it resumes there). Children that never started start afresh.
 */
interface FanOutProgress {
  readonly kind: 'fanOut';
  readonly outputs: unknown[];
  readonly succeeded: boolean[];
  readonly children: ({ progress: RunProgress; variables: VariableScope } | undefined)[];
}

function isFanOutProgress(value: unknown): value is FanOutProgress {
  return (value as FanOutProgress | undefined)?.kind === 'fanOut';
}

export type FanOut =
  | { readonly type: 'Parallel'; readonly branches: readonly SubMachine[] }
  | {
      readonly type: 'Map';
      readonly processor: SubMachine;
      readonly items?: Evaluator;
      readonly itemsPathText?: string;
      readonly itemsJsonata?: JsonataEvaluator;
      readonly itemSelector?: Evaluator;
      readonly itemSelectorJsonata?: JsonataEvaluator;
      readonly maxConcurrency: (
        effective: unknown,
        input: unknown,
        env: FieldEnv,
      ) => Promise<number>;
    };

export function compileFanOut(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
  compile: (document: MachineDocument) => SubMachine,
): FanOut {
  if (state.Type === 'Parallel') {
    if (!Array.isArray(state.Branches) || state.Branches.length === 0) {
      throw new InvalidAslDefinition(
        `State "${stateName}": a Parallel state needs a non-empty Branches array`,
      );
    }
    return { type: 'Parallel', branches: (state.Branches as MachineDocument[]).map(compile) };
  }
  const processor = (state.ItemProcessor ?? state.Iterator) as MachineDocument | undefined;
  if (!processor)
    throw new InvalidAslDefinition(`State "${stateName}": a Map state needs an ItemProcessor`);
  if ('ItemSelector' in state && 'Parameters' in state) {
    throw new InvalidAslDefinition(
      `State "${stateName}": ItemSelector and Parameters cannot be used together`,
    );
  }
  const where = (field: string) => ({ stateName, field });
  const selectorField = 'ItemSelector' in state ? 'ItemSelector' : 'Parameters';
  return {
    type: 'Map',
    processor: compile(processor),
    items: 'ItemsPath' in state ? compilePathField(state.ItemsPath, where('ItemsPath')) : undefined,
    itemsPathText: typeof state.ItemsPath === 'string' ? state.ItemsPath : undefined,
    itemsJsonata:
      'Items' in state ? compileJsonataTemplate(state.Items, where('Items')) : undefined,
    itemSelector:
      language === 'JSONPath' && selectorField in state
        ? compileTemplate(state[selectorField], where(selectorField))
        : undefined,
    itemSelectorJsonata:
      language === 'JSONata' && 'ItemSelector' in state
        ? compileJsonataTemplate(state.ItemSelector, where('ItemSelector'))
        : undefined,
    maxConcurrency: compileMaxConcurrency(stateName, state, language),
  };
}

/** MaxConcurrency(Path) or a JSONata expression; absent (or 0): no limit. */
function compileMaxConcurrency(
  stateName: string,
  state: Record<string, unknown>,
  language: QueryLanguage,
): NumberField {
  const field = compileNumberField(
    stateName,
    state,
    'MaxConcurrency',
    NON_NEGATIVE_INTEGER,
    language,
  );
  return field ?? (async () => 0);
}

export async function runFanOut(
  fanOut: FanOut,
  fields: StateFields,
  input: unknown,
  env: FieldEnv,
  run: RunContext,
  stateName: string,
  previousWork?: unknown,
): Promise<Finished> {
  const effective = effectiveInput(fields, input, env);
  const previous = isFanOutProgress(previousWork) ? previousWork : undefined;
  let result: unknown[];
  if (fanOut.type === 'Parallel') {
    const branchInput = await workInput(fields, input, effective, env);
    result = await runAll(fanOut.branches.length, 0, run, previous, (child, i, resume) =>
      fanOut.branches[i].run(branchInput, child, resume),
    );
  } else {
    const items = await mapItems(fanOut, input, effective, env);
    const limit = await fanOut.maxConcurrency(effective, input, env);
    result = await runAll(items.length, limit, run, previous, async (child, index, resume) => {
      const context = {
        ...(env.context as object),
        Map: { Item: { Index: index, Value: items[index] } },
      };
      let itemInput: unknown = items[index];
      if (fanOut.itemSelector) {
        itemInput = fanOut.itemSelector({ input: effective, context, variables: env.variables });
      } else if (fanOut.itemSelectorJsonata) {
        itemInput = await fanOut.itemSelectorJsonata({
          states: { input, context },
          variables: env.variables,
        });
      }
      emit(run, { type: 'MapIterationStarted', stateName, index });
      try {
        const output = await fanOut.processor.run(itemInput, child, resume);
        emit(run, { type: 'MapIterationSucceeded', stateName, index });
        return output;
      } catch (error) {
        if (!child.cancellation.aborted)
          emit(run, { type: 'MapIterationFailed', stateName, index });
        throw error;
      }
    });
  }
  return finishState(fields, input, effective, { value: result }, env);
}

async function mapItems(
  fanOut: Extract<FanOut, { type: 'Map' }>,
  input: unknown,
  effective: unknown,
  env: FieldEnv,
): Promise<unknown[]> {
  if (fanOut.itemsJsonata) {
    const items = await fanOut.itemsJsonata({
      states: { input, context: env.context },
      variables: env.variables,
    });
    if (!Array.isArray(items)) {
      throw queryEvaluationError(
        `The Items expression must give an array, got ${JSON.stringify(items) ?? 'nothing'}`,
      );
    }
    return items;
  }
  const source = fanOut.items
    ? fanOut.items({ input: effective, context: env.context, variables: env.variables })
    : effective;
  if (!Array.isArray(source)) {
    const path = fanOut.itemsPathText ?? '$';
    throw statesRuntimeError(
      source === undefined
        ? `Invalid path '${path}' : No results for path: ItemsPath`
        : `Map state input at ItemsPath '${path}' must be an array, got ${JSON.stringify(source)}`,
    );
  }
  return source;
}

/**
 * Runs `count` children, at most `limit` at a time (0: all), each in its own cancellation scope
 * and variable scope; the first failure stops the others and is rethrown once all have settled.
 * With `previous` (a redrive) a child that succeeded then is not run again (its output is
 * reused) and one that stopped resumes where it stopped, in its own variable scope. What this
 * attempt leaves is recorded in `run.progress`.
 */
async function runAll(
  count: number,
  limit: number,
  run: RunContext,
  previous: FanOutProgress | undefined,
  start: (child: RunContext, index: number, resume?: RunProgress) => Promise<unknown>,
): Promise<unknown[]> {
  const scope = run.cancellation.child();
  const results = new Array<unknown>(count);
  const progress: FanOutProgress = {
    kind: 'fanOut',
    outputs: results,
    succeeded: new Array<boolean>(count).fill(false),
    children: new Array(count),
  };
  if (run.progress) run.progress.work = progress;
  const pending: number[] = [];
  for (let index = 0; index < count; index += 1) {
    if (previous?.succeeded[index]) {
      results[index] = previous.outputs[index];
      progress.succeeded[index] = true;
    } else {
      pending.push(index);
    }
  }
  let failure: { error: unknown } | undefined;
  let nextPending = 0;
  const worker = async (): Promise<void> => {
    while (nextPending < pending.length && !failure) {
      const index = pending[nextPending++];
      const earlier = previous?.children[index];
      const stopped = { progress: {}, variables: earlier?.variables ?? run.variables.child() };
      progress.children[index] = stopped;
      const child: RunContext = { ...run, cancellation: scope.child(), ...stopped };
      try {
        results[index] = await start(child, index, earlier?.progress);
        progress.succeeded[index] = true;
        progress.children[index] = undefined;
      } catch (error) {
        if (!failure) {
          failure = { error };
          scope.abort('a sibling failed');
        }
      } finally {
        child.cancellation.dispose();
      }
    }
  };
  const workers = Math.max(1, Math.min(pending.length, limit > 0 ? limit : pending.length));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    scope.dispose();
  }
  throwIfStopped(run);
  if (failure) throw failure.error;
  return results;
}
