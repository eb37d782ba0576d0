/**
 * The AWS cost model behind `npm run cost` (DESIGN.md §10): what one run that drains a backlog of
 * N transactions costs in Step Functions, Lambda and DynamoDB, next to a naive design (one Standard
 * child execution and one Lambda invocation per transaction), and how long the drain takes.
 *
 * Everything about the deployment comes from the synthesized template ({@link costConfigFromTemplate}):
 * the states a page, a run and a child execution pass through are walked in the ASL itself, the
 * batch size and MaxConcurrency come from the Distributed Map, memory and architecture from the
 * functions, PAGE_SIZE, MAX_PAGES_PER_EXECUTION, IN_BATCH_PARALLELISM and PENDING_SHARD_COUNT from
 * their environment. What a template cannot say (prices, item sizes, durations, how many DynamoDB
 * calls each handler makes) is in the three tables below: {@link PRICES}, {@link ASSUMPTIONS} and
 * {@link DYNAMODB_CALLS}. The model itself ({@link costModel}) is pure.
 */
import { ENV, STATE, type FetchPageResult, type StartRunResult } from '../lambdas/contracts';
import { DEFAULT_MAX_ITEMS } from '../lambdas/domain/execution-input';
import { shardKeyWidth } from '../lambdas/domain/pending-shard';
import { schedulePeriodSeconds } from '../lib/config';
import {
  type AslState,
  type CfnTemplate,
  type SynthesizedDefinition,
  synthesizedDefinition,
} from '../local/synthesized-definition';

// ---- the one price table -----------------------------------------------------------------------

/**
 * List prices in USD, us-east-1, on-demand, free tiers ignored. The ones DESIGN.md §10 gives are
 * marked so; the others are the published us-east-1 list prices at the time of writing — an
 * assumption to check against https://aws.amazon.com/<service>/pricing before quoting a number.
 */
export const PRICES = {
  region: 'us-east-1',
  stepFunctions: {
    /** Standard workflows, per state transition ($0.025 per 1,000; DESIGN.md §10). */
    standardTransition: 0.025 / 1_000,
    /** Express workflows, per request = per execution started ($1.00 per million; DESIGN.md §10). */
    expressRequest: 1.0 / 1_000_000,
    /**
     * Express duration per GB-second: $0.06 per GB-hour, the first tier (first 1,000 GB-hours a
     * month; $0.03 and $0.01642 beyond). ASSUMPTION: us-east-1 list price, not in DESIGN.md.
     */
    expressGbSecond: 0.06 / 3_600,
    /** Express memory is billed in 64 MB steps of (50 MB + definition + payload). */
    expressMemoryStepMb: 64,
    expressBaseMemoryMb: 50,
    /** Express duration is rounded up to 100 ms. */
    expressDurationStepMs: 100,
  },
  lambda: {
    /** Per request ($0.20 per million; DESIGN.md §10). */
    request: 0.2 / 1_000_000,
    /**
     * Per GB-second, first tier (first 7.5 / 6 billion GB-s a month). ASSUMPTION: us-east-1 list
     * prices, not in DESIGN.md; arm64 is 20% below x86_64.
     */
    gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 } as Record<Architecture, number>,
    /** Duration is billed per 1 ms. */
    durationStepMs: 1,
  },
  dynamodb: {
    /** On-demand write request unit ($0.625 per million; DESIGN.md §10). */
    writeUnit: 0.625 / 1_000_000,
    /** On-demand read request unit ($0.125 per million; DESIGN.md §10). */
    readUnit: 0.125 / 1_000_000,
    /** One WRU writes up to 1 KB; one RRU reads up to 4 KB strongly consistent, or twice that eventually consistent. */
    writeUnitBytes: 1_024,
    readUnitBytes: 4_096,
    /** DynamoDB counts this much on top of the keys for each index entry. */
    indexEntryOverheadBytes: 100,
  },
};

export type Prices = typeof PRICES;

// ---- what the template cannot say ---------------------------------------------------------------

export interface Assumptions {
  readonly transactionItemBytes: number;
  readonly transactionIdBytes: number;
  readonly createdAtBytes: number;
  readonly runsItemBytes: number;
  readonly providerCallOverheadMs: number;
  readonly batchFixedMs: number;
  readonly childStartMs: number;
  readonly mapRunOverheadMs: number;
  readonly continueAsNewMs: number;
  /** Billed duration of each handler but confirm-batch (whose duration is modelled), by handler name. */
  readonly handlerMs: Readonly<Record<string, number>>;
}

/**
 * Sizes and durations the model assumes (warm functions in us-east-1, happy path: no retries, no
 * cold starts, no provider errors). Change them here; the README lists them.
 */
export const ASSUMPTIONS: Assumptions = {
  /** A stored transaction before and after its terminal update (all attributes, names included): ≤ 1 KB. */
  transactionItemBytes: 600,
  /** A transaction id (a UUID). */
  transactionIdBytes: 36,
  /** `createdAt`, ISO-8601 with milliseconds. */
  createdAtBytes: 24,
  /** The lock item and a run record (totals included): ≤ 1 KB. */
  runsItemBytes: 700,
  /** Per provider call, beyond the provider's latency: the conditional UpdateItem, classification, a log line. */
  providerCallOverheadMs: 10,
  /** Per confirm-batch invocation: the strongly consistent BatchGetItem, handler set-up, metrics flush. */
  batchFixedMs: 25,
  /** Starting a child execution and its lambda:invoke; counted in an Express child's duration. */
  childStartMs: 40,
  /** Step Functions' own time per page: the Map Run's start and end, the Choice. */
  mapRunOverheadMs: 500,
  /** ContinueAsNew: StartExecution and the new execution's first state. */
  continueAsNewMs: 1_000,
  /** Billed durations of the control functions. */
  handlerMs: { 'start-run': 60, 'fetch-page': 120, 'finish-run': 60 },
};

/**
 * DynamoDB calls per step, read from the handler code (the template cannot say this). Each counts
 * units by the item sizes in {@link ASSUMPTIONS}.
 */
export const DYNAMODB_CALLS = {
  /** start-run, new run: PutItem lock (conditional) + PutItem run record (DynamoRunStore.acquireLock, putRun). */
  runStartWrites: 2,
  /** start-run after ContinueAsNew: UpdateItem lock handover + UpdateItem run record. */
  resumeWrites: 2,
  /** fetch-page, every invocation: UpdateItem lease renewal (DynamoRunStore.renewLock). */
  fetchPageWrites: 1,
  /** finish-run: DeleteItem lock + UpdateItem run record. */
  finishWrites: 2,
  /** confirm-batch, per transaction: one strongly consistent BatchGetItem read (getMany). */
  transactionReads: 1,
  /** confirm-batch, per transaction: one conditional UpdateItem (write) ... */
  transactionWrites: 1,
  /** ... that REMOVEs pendingShard, which deletes the pending-index entry: an index write. */
  indexWrites: 1,
} as const;

// ---- the configuration, from the synthesized template ------------------------------------------

export type Architecture = 'arm64' | 'x86_64';

export interface FunctionSpec {
  readonly memoryMb: number;
  readonly architecture: Architecture;
}

/** Lambda invocations, keyed by handler name (`confirm-batch`: the file under lambdas/handlers). */
export type Invocations = Readonly<Record<string, number>>;

/** A Distributed Map the walk entered. */
export interface DistributedMapShape {
  readonly state: string;
  readonly maxItemsPerBatch: number | undefined;
  readonly maxConcurrency: number;
  readonly executionType: 'EXPRESS' | 'STANDARD';
  /** States one child execution enters, and what it invokes. */
  readonly childStates: readonly string[];
  readonly childInvocations: Invocations;
  /** Size of the child's definition (counts towards Express billed memory). */
  readonly childDefinitionBytes: number;
}

/** One stretch of an execution: the states it enters, in order. */
export interface PathSegment {
  readonly states: readonly string[];
  readonly invocations: Invocations;
  readonly maps: readonly DistributedMapShape[];
}

/** The parent workflow, cut into the stretches a run is made of (walked in the ASL). */
export interface WorkflowShape {
  /** A new execution up to its first FetchPage (a new run, or one resumed by ContinueAsNew). */
  readonly executionStart: PathSegment;
  /** One page: FetchPage answers CONFIRM, ..., back to FetchPage. */
  readonly page: PathSegment;
  /** FetchPage answers CONTINUE: hand over to a new execution, end this one. */
  readonly continueAsNew: PathSegment;
  /** FetchPage answers FINISH: the run ends. */
  readonly finish: PathSegment;
}

export interface CostConfig {
  readonly stage: string;
  readonly pageSize: number;
  readonly maxPagesPerExecution: number;
  readonly inBatchParallelism: number;
  readonly shardCount: number;
  /** ItemBatcher.MaxItemsPerBatch of the page's Distributed Map (1 without an ItemBatcher). */
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly childExecutionType: 'EXPRESS' | 'STANDARD';
  /** The schedule's period (`rate(...)`), if it has one. */
  readonly schedulePeriodSeconds: number | undefined;
  /** The schedule is created enabled (dev creates it disabled). */
  readonly scheduleEnabled: boolean;
  /** By handler name. */
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly workflow: WorkflowShape;
  /** A run stops after this many transactions (the execution input's default maxItems). */
  readonly maxItemsPerRun: number;
}

export class CostModelError extends Error {
  override readonly name = 'CostModelError';
}

const FINISH: FetchPageResult['next'] = 'FINISH';
const CONFIRM: FetchPageResult['next'] = 'CONFIRM';
const CONTINUE: FetchPageResult['next'] = 'CONTINUE';
const STARTED: StartRunResult['status'] = 'STARTED';

/** Reads everything the model needs from a synthesized txconfirm template. */
export function costConfigFromTemplate(template: CfnTemplate): CostConfig {
  const synthesized = synthesizedDefinition(template);
  const workflow = workflowShape(synthesized);

  if (workflow.page.maps.length !== 1) {
    throw new CostModelError(
      `expected one Distributed Map per page, found ${workflow.page.maps.length}`,
    );
  }
  const map = workflow.page.maps[0];

  const functions: Record<string, FunctionSpec> = {};
  const environments: Record<string, Record<string, string>> = {};
  for (const fn of Object.values(synthesized.functionsByArn)) {
    const props = template.Resources[fn.logicalId]?.Properties ?? {};
    const architectures = props.Architectures as string[] | undefined;
    functions[handlerName(fn)] = {
      // 128 MB is Lambda's default when MemorySize is not set.
      memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
      architecture: architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64',
    };
    environments[handlerName(fn)] = fn.environment;
  }
  const envInt = (handler: string, name: string): number => {
    const raw = environments[handler]?.[name];
    const value = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new CostModelError(
        `the ${handler} function has no positive integer ${name} in its environment (got ${JSON.stringify(raw)})`,
      );
    }
    return value;
  };

  const schedule = scheduleOf(template);
  const stage = Object.values(environments).find((env) => env[ENV.STAGE] !== undefined)?.[
    ENV.STAGE
  ];
  return {
    stage: stage ?? 'unknown',
    pageSize: envInt('fetch-page', ENV.PAGE_SIZE),
    maxPagesPerExecution: envInt('fetch-page', ENV.MAX_PAGES_PER_EXECUTION),
    shardCount: envInt('fetch-page', ENV.SHARD_COUNT),
    inBatchParallelism: envInt('confirm-batch', ENV.IN_BATCH_PARALLELISM),
    batchSize: map.maxItemsPerBatch ?? 1,
    maxConcurrency: map.maxConcurrency,
    childExecutionType: map.executionType,
    schedulePeriodSeconds:
      schedule.expression === undefined ? undefined : schedulePeriodSeconds(schedule.expression),
    scheduleEnabled: schedule.enabled,
    functions,
    workflow,
    maxItemsPerRun: DEFAULT_MAX_ITEMS,
  };
}

function scheduleOf(template: CfnTemplate): { expression?: string; enabled: boolean } {
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Scheduler::Schedule') continue;
    const { ScheduleExpression: expression, State: state } = resource.Properties ?? {};
    return {
      ...(typeof expression === 'string' ? { expression } : {}),
      // CloudFormation's default State is ENABLED.
      enabled: state !== 'DISABLED',
    };
  }
  return { enabled: false };
}

/** `lambdas/handlers/confirm-batch.ts` -> `confirm-batch`; the function name when unknown. */
function handlerName(fn: { entry: string | undefined; functionName: string }): string {
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

// ---- the model ----------------------------------------------------------------------------------

export interface Scenario {
  /** Transactions in the backlog, all confirmed (one terminal write each). */
  readonly transactions: number;
  /** The provider's response time. */
  readonly latencyMs: number;
}

/** What a design uses and costs for the whole backlog. */
export interface DesignCost {
  readonly usage: {
    readonly runs: number;
    readonly executions: number;
    readonly pages: number;
    readonly childExecutions: number;
    readonly standardTransitions: number;
    readonly expressRequests: number;
    readonly expressGbSeconds: number;
    readonly lambdaInvocations: Invocations;
    readonly lambdaRequests: number;
    readonly lambdaGbSeconds: number;
    readonly writeUnits: number;
    readonly readUnits: number;
  };
  /** USD for the whole backlog. */
  readonly cost: {
    readonly standardTransitions: number;
    readonly expressRequests: number;
    readonly expressDuration: number;
    readonly stepFunctions: number;
    readonly lambdaRequests: number;
    readonly lambdaDuration: number;
    readonly lambda: number;
    readonly dynamodbWrites: number;
    readonly dynamodbReads: number;
    readonly dynamodb: number;
    readonly total: number;
  };
  /** USD per million confirmations. */
  readonly perMillion: number;
}

/** How long a run takes to drain the backlog (see the formula in the README). */
export interface DrainEstimate {
  /** One confirm-batch invocation: batchFixed + ceil(batchSize / parallelism) × (latency + callOverhead). */
  readonly batchLambdaMs: number;
  /** One child execution: childStart + batchLambda. */
  readonly childMs: number;
  readonly batchesPerPage: number;
  /** ceil(batchesPerPage / MaxConcurrency). */
  readonly wavesPerPage: number;
  /** fetch-page + mapRunOverhead + waves × child. */
  readonly pageMs: number;
  /** min(MaxConcurrency, batchesPerPage): a page cannot run more children than it has batches. */
  readonly childrenInFlight: number;
  /** childrenInFlight × min(inBatchParallelism, batchSize). */
  readonly providerCallsInFlight: number;
  /** MaxConcurrency × inBatchParallelism: the validated ceiling (providerMaxInFlight). */
  readonly configuredProviderCallsInFlight: number;
  readonly drainMs: number;
  readonly confirmationsPerSecond: number;
}

export interface CostReport {
  readonly stage: string;
  readonly region: string;
  readonly scenario: Scenario;
  readonly config: Omit<CostConfig, 'workflow'> & {
    readonly transitions: {
      readonly executionStart: number;
      readonly page: number;
      readonly continueAsNew: number;
      readonly finish: number;
      readonly perChild: number;
    };
  };
  readonly batched: DesignCost & { readonly drain: DrainEstimate };
  readonly naive: DesignCost & { readonly drain: DrainEstimate };
  /**
   * A run that finds nothing pending, and 30 days of them at the schedule's period (undefined
   * without a `rate(...)` period): what the schedule costs when there is nothing to do.
   */
  readonly emptyRun: { readonly cost: number; readonly perMonth: number | undefined };
}

/** The naive design: one Standard child execution and one Lambda invocation per transaction. */
export function naiveConfig(config: CostConfig): CostConfig {
  return { ...config, batchSize: 1, inBatchParallelism: 1, childExecutionType: 'STANDARD' };
}

/** Standard transitions charged per child: the Distributed Map bills one per child it starts, plus a Standard child's own states. */
export function transitionsPerChild(config: CostConfig): number {
  const child = pageMap(config);
  return 1 + (config.childExecutionType === 'STANDARD' ? child.childStates.length : 0);
}

function pageMap(config: CostConfig): DistributedMapShape {
  const map = config.workflow.page.maps[0];
  if (map === undefined) throw new CostModelError('the page path has no Distributed Map');
  return map;
}

export function costModel(
  config: CostConfig,
  scenario: Scenario,
  prices: Prices = PRICES,
  assumptions: Assumptions = ASSUMPTIONS,
): CostReport {
  if (!Number.isSafeInteger(scenario.transactions) || scenario.transactions < 1) {
    throw new CostModelError(
      `transactions must be a positive integer, got ${scenario.transactions}`,
    );
  }
  if (!(scenario.latencyMs >= 0)) {
    throw new CostModelError(`latencyMs must be >= 0, got ${scenario.latencyMs}`);
  }
  const { workflow } = config;
  const batched = design(config, scenario, prices, assumptions);
  const naive = design(naiveConfig(config), scenario, prices, assumptions);
  const empty = emptyRunCost(config, prices, assumptions);
  const period = config.schedulePeriodSeconds;
  const plain = Object.fromEntries(
    Object.entries(config).filter(([key]) => key !== 'workflow'),
  ) as Omit<CostConfig, 'workflow'>;
  return {
    stage: config.stage,
    region: prices.region,
    scenario,
    config: {
      ...plain,
      transitions: {
        executionStart: workflow.executionStart.states.length,
        page: workflow.page.states.length,
        continueAsNew: workflow.continueAsNew.states.length,
        finish: workflow.finish.states.length,
        perChild: transitionsPerChild(config),
      },
    },
    batched,
    naive,
    emptyRun: {
      cost: empty,
      perMonth: period === undefined ? undefined : (empty * 30 * 86_400) / period,
    },
  };
}

/** Items in each run: runs of maxItemsPerRun, the last one shorter. */
function runSizes(transactions: number, maxItemsPerRun: number): number[] {
  const sizes: number[] = [];
  for (let left = transactions; left > 0; left -= maxItemsPerRun) {
    sizes.push(Math.min(left, maxItemsPerRun));
  }
  return sizes;
}

/** Batches of a run: full pages of ceil(pageSize / batchSize) batches, then the last page. */
function batchesOf(items: number, pageSize: number, batchSize: number): number {
  const fullPages = Math.floor(items / pageSize);
  const rest = items % pageSize;
  return fullPages * Math.ceil(pageSize / batchSize) + Math.ceil(rest / batchSize);
}

function add(into: Record<string, number>, from: Invocations, times: number): void {
  for (const [name, count] of Object.entries(from)) into[name] = (into[name] ?? 0) + count * times;
}

/** Read units of one eventually consistent Query over `bytes` (at least half a unit). */
function queryReadUnits(bytes: number, prices: Prices): number {
  return Math.max(1, Math.ceil(bytes / prices.dynamodb.readUnitBytes)) * 0.5;
}

function units(bytes: number, unitBytes: number): number {
  return Math.max(1, Math.ceil(bytes / unitBytes));
}

/** One KEYS_ONLY pending-index entry: the table key, the index keys and DynamoDB's 100 bytes. */
export function indexEntryBytes(
  config: CostConfig,
  assumptions: Assumptions,
  prices: Prices,
): number {
  return (
    'id'.length +
    assumptions.transactionIdBytes +
    'pendingShard'.length +
    shardKeyWidth(config.shardCount) +
    'createdAt'.length +
    assumptions.createdAtBytes +
    prices.dynamodb.indexEntryOverheadBytes
  );
}

function functionSpec(config: CostConfig, handler: string): FunctionSpec {
  const spec = config.functions[handler];
  if (spec === undefined)
    throw new CostModelError(`no function for handler ${handler} in the template`);
  return spec;
}

function handlerMs(
  config: CostConfig,
  handler: string,
  scenario: Scenario,
  assumptions: Assumptions,
): number {
  if (handler === 'confirm-batch') return batchLambdaMs(config, scenario, assumptions);
  const ms = assumptions.handlerMs[handler];
  if (ms === undefined) {
    throw new CostModelError(
      `no assumed duration for handler ${handler}: add it to ASSUMPTIONS.handlerMs`,
    );
  }
  return ms;
}

/** confirm-batch: batchFixed + ceil(batchSize / parallelism) × (latency + callOverhead). */
export function batchLambdaMs(
  config: CostConfig,
  scenario: Scenario,
  assumptions: Assumptions,
): number {
  const rounds = Math.ceil(
    config.batchSize / Math.min(config.inBatchParallelism, config.batchSize),
  );
  return (
    assumptions.batchFixedMs + rounds * (scenario.latencyMs + assumptions.providerCallOverheadMs)
  );
}

function lambdaGbSeconds(config: CostConfig, handler: string, ms: number, prices: Prices): number {
  const billedMs = Math.ceil(ms / prices.lambda.durationStepMs) * prices.lambda.durationStepMs;
  return (functionSpec(config, handler).memoryMb / 1_024) * (billedMs / 1_000);
}

function design(
  config: CostConfig,
  scenario: Scenario,
  prices: Prices,
  assumptions: Assumptions,
): DesignCost & { drain: DrainEstimate } {
  const { workflow, pageSize, maxPagesPerExecution: perExecution } = config;
  const map = pageMap(config);
  const runs = runSizes(scenario.transactions, config.maxItemsPerRun);

  let executions = 0;
  let pages = 0;
  let children = 0;
  let transitions = 0;
  let readUnits = 0;
  let writeUnits = 0;
  let drainMs = 0;
  const invocations: Record<string, number> = {};
  const entryBytes = indexEntryBytes(config, assumptions, prices);
  const runsUnits = units(assumptions.runsItemBytes, prices.dynamodb.writeUnitBytes);
  const fetchPageMs = assumptions.handlerMs['fetch-page'] ?? 0;
  const childMs = assumptions.childStartMs + batchLambdaMs(config, scenario, assumptions);
  const pageTimeMs = (batches: number) =>
    fetchPageMs +
    assumptions.mapRunOverheadMs +
    Math.ceil(batches / config.maxConcurrency) * childMs;

  for (const items of runs) {
    const runPages = Math.ceil(items / pageSize);
    const runExecutions = Math.max(1, Math.ceil(runPages / perExecution));
    const runBatches = batchesOf(items, pageSize, config.batchSize);
    executions += runExecutions;
    pages += runPages;
    children += runBatches;

    transitions +=
      runExecutions * workflow.executionStart.states.length +
      runPages * workflow.page.states.length +
      (runExecutions - 1) * workflow.continueAsNew.states.length +
      workflow.finish.states.length;
    add(invocations, workflow.executionStart.invocations, runExecutions);
    add(invocations, workflow.page.invocations, runPages);
    add(invocations, workflow.continueAsNew.invocations, runExecutions - 1);
    add(invocations, workflow.finish.invocations, 1);

    // Runs table: the lock and the run record.
    writeUnits +=
      (DYNAMODB_CALLS.runStartWrites +
        (runExecutions - 1) * DYNAMODB_CALLS.resumeWrites +
        (runPages + runExecutions) * DYNAMODB_CALLS.fetchPageWrites +
        DYNAMODB_CALLS.finishWrites) *
      runsUnits;
    // Pending index: a Query per page, one more per shard it runs out of, and the 1-item query per
    // shard of the backlog-age metric at the run's first page.
    const fullPages = Math.floor(items / pageSize);
    const lastPage = items % pageSize;
    readUnits +=
      fullPages * queryReadUnits(pageSize * entryBytes, prices) +
      (lastPage > 0 ? queryReadUnits(lastPage * entryBytes, prices) : 0) +
      2 * config.shardCount * queryReadUnits(entryBytes, prices);

    drainMs +=
      fullPages * pageTimeMs(Math.ceil(pageSize / config.batchSize)) +
      (lastPage > 0 ? pageTimeMs(Math.ceil(lastPage / config.batchSize)) : 0) +
      runExecutions * ((assumptions.handlerMs['start-run'] ?? 0) + fetchPageMs) +
      (runExecutions - 1) * assumptions.continueAsNewMs +
      (assumptions.handlerMs['finish-run'] ?? 0);
  }
  // The next run starts at the next tick of the schedule: half a period on average.
  drainMs += ((runs.length - 1) * ((config.schedulePeriodSeconds ?? 0) * 1_000)) / 2;

  // Children: the Distributed Map bills a transition per child started; Standard children also
  // bill their own states, Express children a request and their duration.
  transitions += children * transitionsPerChild(config);
  add(invocations, map.childInvocations, children);
  const express = config.childExecutionType === 'EXPRESS';
  const expressRequests = express ? children : 0;
  const sfn = prices.stepFunctions;
  const payloadBytes = config.batchSize * (assumptions.transactionIdBytes + 10) + 200;
  const expressMemoryMb =
    Math.ceil(
      (sfn.expressBaseMemoryMb + (map.childDefinitionBytes + payloadBytes) / 2 ** 20) /
        sfn.expressMemoryStepMb,
    ) * sfn.expressMemoryStepMb;
  const expressBilledMs =
    Math.ceil(childMs / sfn.expressDurationStepMs) * sfn.expressDurationStepMs;
  const expressGbSeconds = express
    ? children * (expressMemoryMb / 1_024) * (expressBilledMs / 1_000)
    : 0;

  // Transactions: a strongly consistent read, the conditional update and its index deletion.
  const n = scenario.transactions;
  readUnits +=
    n *
    DYNAMODB_CALLS.transactionReads *
    units(assumptions.transactionItemBytes, prices.dynamodb.readUnitBytes);
  writeUnits +=
    n *
      DYNAMODB_CALLS.transactionWrites *
      units(assumptions.transactionItemBytes, prices.dynamodb.writeUnitBytes) +
    n * DYNAMODB_CALLS.indexWrites * units(entryBytes, prices.dynamodb.writeUnitBytes);

  let lambdaGb = 0;
  let lambdaRequests = 0;
  let lambdaDuration = 0;
  for (const [handler, count] of Object.entries(invocations)) {
    const ms = handlerMs(config, handler, scenario, assumptions);
    const gbSeconds = count * lambdaGbSeconds(config, handler, ms, prices);
    lambdaRequests += count;
    lambdaGb += gbSeconds;
    lambdaDuration +=
      gbSeconds * prices.lambda.gbSecond[functionSpec(config, handler).architecture];
  }

  const cost = {
    standardTransitions: transitions * sfn.standardTransition,
    expressRequests: expressRequests * sfn.expressRequest,
    expressDuration: expressGbSeconds * sfn.expressGbSecond,
    lambdaRequests: lambdaRequests * prices.lambda.request,
    lambdaDuration,
    dynamodbWrites: writeUnits * prices.dynamodb.writeUnit,
    dynamodbReads: readUnits * prices.dynamodb.readUnit,
  };
  const stepFunctions = cost.standardTransitions + cost.expressRequests + cost.expressDuration;
  const lambda = cost.lambdaRequests + cost.lambdaDuration;
  const dynamodb = cost.dynamodbWrites + cost.dynamodbReads;
  const total = stepFunctions + lambda + dynamodb;

  const batchesPerPage = Math.ceil(pageSize / config.batchSize);
  const childrenInFlight = Math.min(config.maxConcurrency, batchesPerPage);
  const parallel = Math.min(config.inBatchParallelism, config.batchSize);
  return {
    usage: {
      runs: runs.length,
      executions,
      pages,
      childExecutions: children,
      standardTransitions: transitions,
      expressRequests,
      expressGbSeconds,
      lambdaInvocations: invocations,
      lambdaRequests,
      lambdaGbSeconds: lambdaGb,
      writeUnits,
      readUnits,
    },
    cost: { ...cost, stepFunctions, lambda, dynamodb, total },
    perMillion: (total * 1_000_000) / n,
    drain: {
      batchLambdaMs: batchLambdaMs(config, scenario, assumptions),
      childMs,
      batchesPerPage,
      wavesPerPage: Math.ceil(batchesPerPage / config.maxConcurrency),
      pageMs: pageTimeMs(batchesPerPage),
      childrenInFlight,
      providerCallsInFlight: childrenInFlight * parallel,
      configuredProviderCallsInFlight: config.maxConcurrency * config.inBatchParallelism,
      drainMs,
      confirmationsPerSecond: n / (drainMs / 1_000),
    },
  };
}

/** A run that finds nothing: StartRun, one FetchPage (FINISH), FinishRun. */
function emptyRunCost(config: CostConfig, prices: Prices, assumptions: Assumptions): number {
  const { workflow } = config;
  const transitions = workflow.executionStart.states.length + workflow.finish.states.length;
  const invocations: Record<string, number> = {};
  add(invocations, workflow.executionStart.invocations, 1);
  add(invocations, workflow.finish.invocations, 1);
  let lambda = 0;
  for (const [handler, count] of Object.entries(invocations)) {
    const ms = assumptions.handlerMs[handler] ?? 0;
    lambda +=
      count *
      (prices.lambda.request +
        lambdaGbSeconds(config, handler, ms, prices) *
          prices.lambda.gbSecond[functionSpec(config, handler).architecture]);
  }
  const runsUnits = units(assumptions.runsItemBytes, prices.dynamodb.writeUnitBytes);
  const writes =
    (DYNAMODB_CALLS.runStartWrites + DYNAMODB_CALLS.fetchPageWrites + DYNAMODB_CALLS.finishWrites) *
    runsUnits;
  // Backlog age: one query per shard; then one empty query per shard.
  const reads = 2 * config.shardCount * 0.5;
  return (
    transitions * prices.stepFunctions.standardTransition +
    lambda +
    writes * prices.dynamodb.writeUnit +
    reads * prices.dynamodb.readUnit
  );
}
