/**
 * Load-time checks and the mechanical transform that plan the ASL CDK synthesized for the
 * engine's interpreter (asl/machine.ts). The engine never runs a hand-written copy of the
 * workflow: it runs this transform of the synthesized document, and nothing else.
 *
 * Checks (every state, nested ItemProcessor / Iterator / Branches included) — each failure is an
 * UnsupportedAslFeature naming the state and the field (the interpreter itself refuses what is
 * not valid ASL when it compiles the plan):
 * - Map: ResultWriter; ItemReader, ItemBatcher or ToleratedFailure* on a Map that is not
 *   DISTRIBUTED (a DISTRIBUTED Map's ItemReader is checked by distributed-map-item-reader.ts, when
 *   the engine compiles it). A DISTRIBUTED Map's fields of the other query language (ItemsPath or any
 *   `…Path` in a JSONata Map, Items or Output in a JSONPath one, Arguments in either) are
 *   InvalidAslDefinition naming the field (distributed-map-language.ts, checkMapQueryLanguage);
 * - Task: `.waitForTaskToken` / `.sync` resources, Credentials, HeartbeatSeconds(Path), a
 *   lambda:invoke InvocationType other than RequestResponse, and any resource no adapter of
 *   resources.ts serves (DynamoDB resources also need the caller's DynamoDBClient);
 * - two states with one name where they share a run (task handlers are keyed by name).
 *
 * Transform (a new document; the input is never mutated):
 * 1. The top-level TimeoutSeconds is removed: the engine enforces it itself, so that a timed-out
 *    execution also cancels its task handlers and Distributed Map children.
 * 2. Every Map whose ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED becomes a Task of the
 *    same name with the same QueryLanguage, InputPath, ResultSelector, ResultPath, OutputPath,
 *    Output, Assign, Retry, Catch, Next / End, no Parameters or Arguments, and the resource
 *    DISTRIBUTED_MAP_RESOURCE, served by the engine's Distributed Map runner (distributed-map.ts)
 *    with the original Map state. The Task's input is what the runner works on: the Map's
 *    effective input (JSONPath), or its input (JSONata: `$states.input`); its result is the
 *    Map's, for ResultSelector / ResultPath / OutputPath or Output, and for Assign. Its
 *    ItemProcessor is planned as a machine of its own, run once per child execution, whose
 *    states take the state machine's QueryLanguage when they give none (its document gets
 *    `"QueryLanguage": "JSONata"` in a JSONata machine), as asl-validator reads them too: a
 *    JSONata Map in a JSONPath machine has JSONPath children unless they say JSONata. The copy
 *    of the Map handed to the runner gets `"QueryLanguage": "JSONata"` when the machine's gave it.
 */
import type { AslDefinition, AslState } from '../stack/synthesized-definition';
import { checkMapQueryLanguage } from './distributed-map-language';
import { UnsupportedAslFeature } from './errors';
import { classifyResource } from './resources';

/** The resource of the Task that stands in for a DISTRIBUTED Map. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local-engine:distributedMap';

/** A Task state of a planned machine: what the engine must serve under its name. */
export interface TaskPlan {
  readonly stateName: string;
  /** The Task as the interpreter runs it. */
  readonly state: AslState;
  /**
   * Present on the stand-in of a DISTRIBUTED Map: the original Map (with `"QueryLanguage":
   * "JSONata"` written in when it inherits JSONata) and its planned processor.
   */
  readonly distributedMap?: { readonly mapState: AslState; readonly processor: MachinePlan };
}

/** One machine the interpreter runs: the top-level one, or a Distributed Map's ItemProcessor. */
export interface MachinePlan {
  /** The transformed document the interpreter compiles. */
  readonly definition: AslDefinition;
  /** Every Task the interpreter may call a handler for during one run (inline Map / Parallel included). */
  readonly tasks: readonly TaskPlan[];
  /** The top-level TimeoutSeconds, enforced by the engine. */
  readonly timeoutSeconds?: number;
}

export interface PlanOptions {
  /** Whether the caller passed a DynamoDBClient (DynamoDB resources need one). */
  readonly dynamoDbClientConfigured: boolean;
}

/** Checks the definition and plans it for the interpreter. Throws UnsupportedAslFeature. */
export function planStateMachine(definition: AslDefinition, options: PlanOptions): MachinePlan {
  const plan = planMachine(definition, options, definition.QueryLanguage === 'JSONata');
  return { ...plan, timeoutSeconds: definition.TimeoutSeconds };
}

interface MachineDocument {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

/** `machineJsonata`: the state machine's top-level QueryLanguage is JSONata. */
function planMachine(
  document: MachineDocument,
  options: PlanOptions,
  machineJsonata: boolean,
): MachinePlan {
  const tasks: TaskPlan[] = [];
  const seen = new Set<string>();
  const definition = transformMachine(
    document,
    options,
    { tasks, seen, machineJsonata },
    machineJsonata,
  );
  return { definition: definition as AslDefinition, tasks };
}

interface Collector {
  readonly tasks: TaskPlan[];
  readonly seen: Set<string>;
  /** The state machine's top-level QueryLanguage is JSONata. */
  readonly machineJsonata: boolean;
}

function transformMachine(
  document: MachineDocument,
  options: PlanOptions,
  collector: Collector,
  jsonata: boolean,
): MachineDocument {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(document.States ?? {})) {
    if (collector.seen.has(name)) {
      throw new UnsupportedAslFeature(
        name,
        'States',
        'the state name is used twice in one run (names must be unique across the whole state machine)',
      );
    }
    collector.seen.add(name);
    states[name] = transformState(name, state, options, collector, jsonata);
  }
  const out: Record<string, unknown> = { ...document, States: states };
  delete out.TimeoutSeconds;
  return out as unknown as MachineDocument;
}

function transformState(
  name: string,
  state: AslState,
  options: PlanOptions,
  collector: Collector,
  inheritedJsonata: boolean,
): AslState {
  const jsonata =
    state.QueryLanguage === undefined ? inheritedJsonata : state.QueryLanguage === 'JSONata';

  switch (state.Type) {
    case 'Task': {
      checkTask(name, state, options);
      collector.tasks.push({ stateName: name, state });
      return state;
    }
    case 'Map': {
      checkMap(name, state);
      if (isDistributedMap(state)) {
        // Before the stand-in exists: a field of the other language is named as the Map's.
        checkMapQueryLanguage(name, state, jsonata ? 'JSONata' : 'JSONPath');
        // Its states take the machine's QueryLanguage unless they give their own (guide,
        // "State machine structure": "If not provided for the state machine, the default value
        // for each state is JSONPath"), not the Map's.
        const processorDocument = processorOf(state);
        const processor = planMachine(
          collector.machineJsonata
            ? { ...processorDocument, QueryLanguage: 'JSONata' }
            : processorDocument,
          options,
          collector.machineJsonata,
        );
        const standIn = distributedMapStandIn(state);
        const mapState: AslState =
          jsonata && state.QueryLanguage === undefined
            ? { ...state, QueryLanguage: 'JSONata' }
            : state;
        collector.tasks.push({
          stateName: name,
          state: standIn,
          distributedMap: { mapState, processor },
        });
        return standIn;
      }
      const out: Record<string, unknown> = { ...state };
      if (state.ItemProcessor !== undefined) {
        out.ItemProcessor = transformMachine(processorOf(state), options, collector, jsonata);
      } else if (state.Iterator !== undefined) {
        out.Iterator = transformMachine(
          state.Iterator as MachineDocument,
          options,
          collector,
          jsonata,
        );
      }
      return out as AslState;
    }
    case 'Parallel': {
      const out: Record<string, unknown> = { ...state };
      out.Branches = ((state.Branches ?? []) as MachineDocument[]).map((branch) =>
        transformMachine(branch, options, collector, jsonata),
      );
      return out as AslState;
    }
    default:
      return state;
  }
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
  'QueryLanguage',
  'InputPath',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Output',
  'Assign',
  'Retry',
  'Catch',
  'Next',
  'End',
] as const;

function distributedMapStandIn(state: AslState): AslState {
  const out: Record<string, unknown> = { Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE };
  for (const field of STAND_IN_FIELDS) {
    if (field in state) out[field] = state[field];
  }
  return out as AslState;
}

// ---- checks ------------------------------------------------------------------------------

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
  if (!isDistributedMap(state)) {
    // ToleratedFailure*(Path) are read by the Distributed Map runner (distributed-map-config.ts).
    for (const field of [
      'ItemReader',
      'ItemBatcher',
      'ToleratedFailurePercentage',
      'ToleratedFailurePercentagePath',
      'ToleratedFailureCount',
      'ToleratedFailureCountPath',
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
