/**
 * The parent state machine walked along each path a run takes ({@link workflowShape}): the states
 * entered (each one a Standard transition), the functions invoked, the Distributed Maps entered.
 */
import { STATE, type FetchPageResult, type StartRunResult } from '../../lambdas/contracts';
import type { AslState, SynthesizedDefinition } from '../../local/stack/synthesized-definition';
import {
  CostModelError,
  type DistributedMapShape,
  type PathSegment,
  type WorkflowShape,
} from './types';

const FINISH: FetchPageResult['next'] = 'FINISH';
const CONFIRM: FetchPageResult['next'] = 'CONFIRM';
const CONTINUE: FetchPageResult['next'] = 'CONTINUE';
const STARTED: StartRunResult['status'] = 'STARTED';

/** `lambdas/handlers/confirm-batch.ts` -> `confirm-batch`; the function name when unknown. */
export function handlerName(fn: { entry: string | undefined; functionName: string }): string {
  return fn.entry?.replace(/^.*\//, '').replace(/\.ts$/, '') ?? fn.functionName;
}

/** Walks the parent state machine along each path a run takes, as FetchPage and StartRun answer. */
export function workflowShape(synthesized: SynthesizedDefinition): WorkflowShape {
  const { definition } = synthesized;
  const byArn = (arn: string) => {
    const fn = synthesized.functionsByArn[arn];
    return fn === undefined ? undefined : handlerName(fn);
  };
  const walk = (from: string, facts: Record<string, string>, stopAt?: string) =>
    walkStates(definition.States, from, facts, byArn, stopAt);
  return {
    executionStart: walk(definition.StartAt, { '$.status': STARTED }, STATE.FetchPage),
    page: walk(STATE.FetchPage, { '$.next': CONFIRM }, STATE.FetchPage),
    continueAsNew: walk(STATE.FetchPage, { '$.next': CONTINUE }),
    finish: walk(STATE.FetchPage, { '$.next': FINISH }),
  };
}

/** Most states one path may enter before the walk gives up (a loop that never reaches `stopAt`). */
const MAX_PATH_STATES = 100;

/**
 * The states entered from `from` until `stopAt` comes round again (not counted) or the execution
 * ends (Succeed, Fail, `End`). A Choice takes the first rule whose `Variable` `StringEquals` the
 * value `facts` gives it, else its Default; other kinds of rule are refused, so that a change to the
 * workflow fails here rather than being priced wrong.
 */
export function walkStates(
  states: Readonly<Record<string, AslState>>,
  from: string,
  facts: Readonly<Record<string, string>>,
  functionOf: (arn: string) => string | undefined,
  stopAt?: string,
): PathSegment {
  const entered: string[] = [];
  const invocations: Record<string, number> = {};
  const maps: DistributedMapShape[] = [];
  let name: string | undefined = from;
  while (name !== undefined) {
    if (entered.length > 0 && name === stopAt) break;
    if (entered.length >= MAX_PATH_STATES) {
      throw new CostModelError(
        `the path from ${from} does not end within ${MAX_PATH_STATES} states: ${entered.slice(0, 8).join(' -> ')} ...`,
      );
    }
    const state: AslState | undefined = states[name];
    if (state === undefined)
      throw new CostModelError(`no state ${JSON.stringify(name)} in the ASL`);
    entered.push(name);

    const invoked = invokedFunction(state, functionOf);
    if (invoked !== undefined) invocations[invoked] = (invocations[invoked] ?? 0) + 1;
    if (state.Type === 'Map') {
      const map = distributedMap(name, state, functionOf);
      if (map !== undefined) maps.push(map);
    }

    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true) break;
    name =
      state.Type === 'Choice' ? choose(name, state, facts) : (state.Next as string | undefined);
    if (name === undefined)
      throw new CostModelError(`state ${entered.at(-1)} has no Next and no End`);
  }
  return { states: entered, invocations, maps };
}

function choose(name: string, state: AslState, facts: Readonly<Record<string, string>>): string {
  for (const rule of (state.Choices ?? []) as Record<string, unknown>[]) {
    const { Variable: variable, StringEquals: equals, Next: next } = rule;
    const kinds = Object.keys(rule).filter((key) => key !== 'Next');
    if (typeof variable !== 'string' || typeof equals !== 'string' || kinds.length !== 2) {
      throw new CostModelError(
        `Choice ${name}: only Variable + StringEquals rules are modelled, got ${JSON.stringify(rule)}`,
      );
    }
    if (facts[variable] === equals) return String(next);
  }
  if (typeof state.Default === 'string') return state.Default;
  throw new CostModelError(
    `Choice ${name}: no rule matches ${JSON.stringify(facts)} and there is no Default`,
  );
}

/** The handler a Task invokes (lambda:invoke integration or a plain function ARN), if any. */
function invokedFunction(
  state: AslState,
  functionOf: (arn: string) => string | undefined,
): string | undefined {
  if (state.Type !== 'Task' || typeof state.Resource !== 'string') return undefined;
  const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
  const arn = state.Resource.startsWith('arn:aws:states:::lambda:invoke')
    ? parameters.FunctionName
    : state.Resource;
  return typeof arn === 'string' ? functionOf(arn) : undefined;
}

function distributedMap(
  name: string,
  state: AslState,
  functionOf: (arn: string) => string | undefined,
): DistributedMapShape | undefined {
  const processor = (state.ItemProcessor ?? state.Iterator) as
    | {
        StartAt: string;
        States: Record<string, AslState>;
        ProcessorConfig?: Record<string, string>;
      }
    | undefined;
  if (processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') return undefined;
  const child = walkStates(processor.States, processor.StartAt, {}, functionOf);
  const batcher = state.ItemBatcher as { MaxItemsPerBatch?: number } | undefined;
  return {
    state: name,
    maxItemsPerBatch: batcher?.MaxItemsPerBatch,
    // Distributed Map's default: up to 10,000 child executions at once.
    maxConcurrency:
      typeof state.MaxConcurrency === 'number' && state.MaxConcurrency > 0
        ? state.MaxConcurrency
        : 10_000,
    executionType: processor.ProcessorConfig.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
    childStates: child.states,
    childInvocations: child.invocations,
    childDefinitionBytes: Buffer.byteLength(JSON.stringify(processor)),
  };
}
