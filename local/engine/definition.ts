/**
 * Load-time checks and the mechanical transform that turn the ASL CDK synthesized into what
 * aws-local-stepfunctions runs. The engine never runs a hand-written copy of the workflow: it
 * runs this transform of the synthesized document, and nothing else.
 *
 * Checks (every state, nested ItemProcessor / Iterator / Branches included) — each failure is an
 * UnsupportedAslFeature naming the state and the field:
 * - QueryLanguage JSONata (top level or per state) and the JSONata / variables fields
 *   (Arguments, Output, Assign, Items);
 * - Map: ResultWriter, ToleratedFailurePercentagePath / ToleratedFailureCountPath; ItemReader,
 *   ItemBatcher or ToleratedFailure* on a Map that is not DISTRIBUTED (a DISTRIBUTED Map's
 *   ItemReader is checked by distributed-map-config.ts, when the engine compiles it);
 * - Task: `.waitForTaskToken` / `.sync` resources, Credentials, HeartbeatSeconds(Path), a
 *   lambda:invoke InvocationType other than RequestResponse, and any resource no adapter of
 *   resources.ts serves (DynamoDB resources also need the caller's DynamoDBClient);
 * - two states with one name where they share a run (the library keys task handlers by name).
 *
 * Transform (a new document; the input is never mutated):
 * 1. The top-level TimeoutSeconds is removed: the engine enforces it itself, so that a timed-out
 *    execution also cancels its task handlers and Distributed Map children, and so that no
 *    `setTimeout` overflows.
 * 2. Every Task gets TimeoutSeconds = min(its own, AWS's default 99,999,999) clamped to
 *    2,147,483 s (the largest `setTimeout` delay); the library's own default would be 60 s,
 *    which is not AWS's. A Task with TimeoutSecondsPath keeps it (evaluated by the library).
 * 3. Every Map whose ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED becomes a Task of the
 *    same name with the same InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch,
 *    Next / End, no Parameters, TimeoutSeconds 2,147,483 s (a Map has no timeout), and the
 *    resource DISTRIBUTED_MAP_RESOURCE, served by the engine's Distributed Map runner
 *    (distributed-map.ts) with the original Map state. Its ItemProcessor is planned as a
 *    machine of its own, run once per child execution.
 * 4. `ResultPath: "$"` (on a state or a Catcher) is dropped: it means "the result replaces the
 *    input", which is also the default, and the library would otherwise store the result under a
 *    key named "$".
 * 5. With a retry interval scale s ≠ 1 (fast tests), every Retrier's IntervalSeconds (default 1)
 *    and MaxDelaySeconds are multiplied by s: backoff and jitter keep their shape, just faster.
 */
import type { AslDefinition, AslState } from '../stack/synthesized-definition';
import { UnsupportedAslFeature } from './errors';
import { classifyResource } from './resources';

/** AWS's default (and maximum) Task TimeoutSeconds. */
export const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** The largest delay `setTimeout` accepts (2^31 - 1 ms), in whole seconds. */
export const MAX_TIMER_SECONDS = 2_147_483;
/** The resource of the Task that stands in for a DISTRIBUTED Map. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local-engine:distributedMap';

/** A Task state of a planned machine: what the engine must serve under its name. */
export interface TaskPlan {
  readonly stateName: string;
  /** The Task as the library runs it (TimeoutSeconds set). */
  readonly state: AslState;
  /** Present on the stand-in of a DISTRIBUTED Map: the original Map and its planned processor. */
  readonly distributedMap?: { readonly mapState: AslState; readonly processor: MachinePlan };
}

/** One machine the library runs: the top-level one, or a Distributed Map's ItemProcessor. */
export interface MachinePlan {
  /** The transformed document handed to the library. */
  readonly definition: AslDefinition;
  /** Every Task the library may call a handler for during one run (inline Map / Parallel included). */
  readonly tasks: readonly TaskPlan[];
  /** Names of the states with a Retry field (for retry interval overrides). */
  readonly retryStateNames: readonly string[];
  /** The top-level TimeoutSeconds, enforced by the engine. */
  readonly timeoutSeconds?: number;
}

export interface PlanOptions {
  /** Whether the caller passed a DynamoDBClient (DynamoDB resources need one). */
  readonly dynamoDbClientConfigured: boolean;
  /** Multiplies every retry interval. @default 1 (AWS-like) */
  readonly retryIntervalScale?: number;
}

/** Checks the definition and plans it for the library. Throws UnsupportedAslFeature. */
export function planStateMachine(definition: AslDefinition, options: PlanOptions): MachinePlan {
  if (definition.QueryLanguage === 'JSONata') {
    throw new UnsupportedAslFeature(
      undefined,
      'QueryLanguage',
      'QueryLanguage JSONata is not supported by the local runtime (JSONPath only)',
    );
  }
  const plan = planMachine(definition, options);
  return { ...plan, timeoutSeconds: definition.TimeoutSeconds };
}

interface MachineDocument {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

function planMachine(document: MachineDocument, options: PlanOptions): MachinePlan {
  const tasks: TaskPlan[] = [];
  const retryStateNames: string[] = [];
  const seen = new Set<string>();
  const definition = transformMachine(document, options, { tasks, retryStateNames, seen });
  return { definition: definition as AslDefinition, tasks, retryStateNames };
}

interface Collector {
  readonly tasks: TaskPlan[];
  readonly retryStateNames: string[];
  readonly seen: Set<string>;
}

function transformMachine(
  document: MachineDocument,
  options: PlanOptions,
  collector: Collector,
): MachineDocument {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(document.States)) {
    if (collector.seen.has(name)) {
      throw new UnsupportedAslFeature(
        name,
        'States',
        'the state name is used twice in one run (names must be unique across the whole state machine)',
      );
    }
    collector.seen.add(name);
    states[name] = transformState(name, state, options, collector);
  }
  const out: Record<string, unknown> = { StartAt: document.StartAt, States: states };
  if (document.Comment !== undefined) out.Comment = document.Comment;
  return out as unknown as MachineDocument;
}

function transformState(
  name: string,
  state: AslState,
  options: PlanOptions,
  collector: Collector,
): AslState {
  checkCommonFields(name, state);
  if (Array.isArray(state.Retry)) collector.retryStateNames.push(name);

  switch (state.Type) {
    case 'Task': {
      checkTask(name, state, options);
      const out = commonTransform(state, options);
      if (state.TimeoutSecondsPath === undefined) {
        out.TimeoutSeconds = effectiveTaskTimeoutSeconds(state.TimeoutSeconds);
      }
      collector.tasks.push({ stateName: name, state: out as AslState });
      return out as AslState;
    }
    case 'Map': {
      checkMap(name, state);
      if (isDistributedMap(state)) {
        const processor = planMachine(processorOf(state), options);
        const standIn = distributedMapStandIn(state, options);
        collector.tasks.push({
          stateName: name,
          state: standIn,
          distributedMap: { mapState: state, processor },
        });
        return standIn;
      }
      const out = commonTransform(state, options);
      if (state.ItemProcessor !== undefined) {
        out.ItemProcessor = transformMachine(processorOf(state), options, collector);
      } else if (state.Iterator !== undefined) {
        out.Iterator = transformMachine(state.Iterator as MachineDocument, options, collector);
      }
      return out as AslState;
    }
    case 'Parallel': {
      const out = commonTransform(state, options);
      out.Branches = ((state.Branches ?? []) as MachineDocument[]).map((branch) =>
        transformMachine(branch, options, collector),
      );
      return out as AslState;
    }
    default:
      return commonTransform(state, options) as AslState;
  }
}

/** min(own, AWS default) clamped to what a timer can wait. */
export function effectiveTaskTimeoutSeconds(own: unknown): number {
  const requested =
    typeof own === 'number' && own > 0
      ? Math.min(own, AWS_DEFAULT_TASK_TIMEOUT_SECONDS)
      : AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
  return Math.min(requested, MAX_TIMER_SECONDS);
}

export function isDistributedMap(state: AslState): boolean {
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
  return state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

function processorOf(state: AslState): MachineDocument {
  return (state.ItemProcessor ?? state.Iterator) as MachineDocument;
}

const STAND_IN_FIELDS = [
  'Comment',
  'InputPath',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Retry',
  'Catch',
  'Next',
  'End',
] as const;

function distributedMapStandIn(state: AslState, options: PlanOptions): AslState {
  const out: Record<string, unknown> = {
    Type: 'Task',
    Resource: DISTRIBUTED_MAP_RESOURCE,
    TimeoutSeconds: MAX_TIMER_SECONDS,
  };
  // Only the fields the Map has: the library tests presence (`'ResultSelector' in state`).
  for (const field of STAND_IN_FIELDS) {
    if (field in state) out[field] = state[field];
  }
  return commonTransform(out as AslState, options) as AslState;
}

/** ResultPath "$" → default, Retry scaling; a shallow copy. */
function commonTransform(state: AslState, options: PlanOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...state };
  if (out.ResultPath === '$') delete out.ResultPath;
  if (Array.isArray(state.Catch)) {
    out.Catch = (state.Catch as Record<string, unknown>[]).map((catcher) => {
      if (catcher.ResultPath !== '$') return catcher;
      const copy = { ...catcher };
      delete copy.ResultPath;
      return copy;
    });
  }
  const scale = options.retryIntervalScale ?? 1;
  if (Array.isArray(state.Retry) && scale !== 1) {
    out.Retry = (state.Retry as Record<string, unknown>[]).map((retrier) => {
      const copy: Record<string, unknown> = {
        ...retrier,
        IntervalSeconds: ((retrier.IntervalSeconds as number | undefined) ?? 1) * scale,
      };
      if (typeof retrier.MaxDelaySeconds === 'number') {
        copy.MaxDelaySeconds = retrier.MaxDelaySeconds * scale;
      }
      return copy;
    });
  }
  return out;
}

// ---- checks ------------------------------------------------------------------------------

const JSONATA_ONLY_FIELDS = ['Arguments', 'Output', 'Items'] as const;

function checkCommonFields(name: string, state: AslState): void {
  if (state.QueryLanguage === 'JSONata') {
    throw new UnsupportedAslFeature(
      name,
      'QueryLanguage',
      'QueryLanguage JSONata is not supported by the local runtime (JSONPath only)',
    );
  }
  for (const field of JSONATA_ONLY_FIELDS) {
    if (field in state) {
      throw new UnsupportedAslFeature(
        name,
        field,
        `${field} (JSONata) is not supported by the local runtime (JSONPath only)`,
      );
    }
  }
  if ('Assign' in state) {
    throw new UnsupportedAslFeature(
      name,
      'Assign',
      'Assign (workflow variables) is not supported by the local runtime',
    );
  }
}

function checkTask(name: string, state: AslState, options: PlanOptions): void {
  const resource = state.Resource;
  if (typeof resource !== 'string') {
    throw new UnsupportedAslFeature(name, 'Resource', 'a Task needs a string Resource');
  }
  if (resource.endsWith('.waitForTaskToken')) {
    throw new UnsupportedAslFeature(
      name,
      'Resource',
      `Resource ${resource}: the .waitForTaskToken (callback) pattern is not supported by the local runtime`,
    );
  }
  if (/\.sync(:\d+)?$/.test(resource)) {
    throw new UnsupportedAslFeature(
      name,
      'Resource',
      `Resource ${resource}: the .sync (run a job) pattern is not supported by the local runtime`,
    );
  }
  for (const field of ['Credentials', 'HeartbeatSeconds', 'HeartbeatSecondsPath'] as const) {
    if (field in state) {
      throw new UnsupportedAslFeature(
        name,
        field,
        `${field} is not supported by the local runtime`,
      );
    }
  }
  const kind = classifyResource(resource);
  if (kind.kind === 'unsupported') {
    throw new UnsupportedAslFeature(name, 'Resource', `Resource ${resource}: ${kind.reason}`);
  }
  if (kind.kind === 'dynamodb' && !options.dynamoDbClientConfigured) {
    throw new UnsupportedAslFeature(
      name,
      'Resource',
      `Resource ${resource} needs a DynamoDBClient: pass dynamoDbClient to the engine`,
    );
  }
  if (kind.kind === 'lambdaInvoke') {
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    const invocationType = parameters?.InvocationType;
    if (
      parameters &&
      ('InvocationType.$' in parameters ||
        (invocationType !== undefined && invocationType !== 'RequestResponse'))
    ) {
      throw new UnsupportedAslFeature(
        name,
        'Parameters.InvocationType',
        `InvocationType ${JSON.stringify(invocationType ?? parameters['InvocationType.$'])} is not supported by the local runtime (RequestResponse only)`,
      );
    }
  }
}

function checkMap(name: string, state: AslState): void {
  if ('ResultWriter' in state) {
    throw new UnsupportedAslFeature(
      name,
      'ResultWriter',
      'ResultWriter is not supported by the local runtime (results stay in the state output)',
    );
  }
  for (const field of ['ToleratedFailurePercentagePath', 'ToleratedFailureCountPath'] as const) {
    if (field in state) {
      throw new UnsupportedAslFeature(
        name,
        field,
        `${field} is not supported by the local runtime (use a static ${field.slice(0, -4)})`,
      );
    }
  }
  if (!isDistributedMap(state)) {
    for (const field of [
      'ItemReader',
      'ItemBatcher',
      'ToleratedFailurePercentage',
      'ToleratedFailureCount',
    ] as const) {
      if (field in state) {
        throw new UnsupportedAslFeature(
          name,
          field,
          `${field} is only valid on a Map whose ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED`,
        );
      }
    }
  }
  if (state.ItemProcessor === undefined && state.Iterator === undefined) {
    throw new UnsupportedAslFeature(name, 'ItemProcessor', 'a Map needs an ItemProcessor');
  }
}
