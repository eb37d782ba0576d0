/**
 * The shapes the cost model shares: the configuration read from the template (from-template.ts,
 * workflow-walk.ts), the scenario, and the report (model.ts, design.ts); and its error.
 */

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

/** The network of a stage with `vpc: true`, from its template. */
export interface VpcShape {
  readonly natGateways: number;
  /** Interface endpoints: the service (`secretsmanager`) and the availability zones it is in. */
  readonly interfaceEndpoints: readonly {
    readonly service: string;
    readonly availabilityZones: number;
  }[];
  /** Gateway endpoints (`dynamodb`): no charge, and their traffic skips the NAT gateways. */
  readonly gatewayEndpoints: readonly string[];
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
  /** The VPC, when the stage has one (`vpc: true`). */
  readonly vpc?: VpcShape;
  /** WarmThroughput write units/s in the template (absent: DynamoDB's default for a new table). */
  readonly warmWriteUnitsPerSecond?: { readonly table?: number; readonly pendingIndex?: number };
}

export class CostModelError extends Error {
  override readonly name = 'CostModelError';
}

// ---- the scenario and the report ----------------------------------------------------------------

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
    /** PutObject and GetObject of the page manifests. */
    readonly s3Requests: number;
    /** With a VPC: data through the NAT gateways and the interface endpoints. */
    readonly vpc?: {
      readonly natGb: number;
      readonly secretReads: number;
      readonly endpointGb: number;
    };
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
    /** The page manifests' PutObject and GetObject. */
    readonly s3Requests: number;
    /** With a VPC: NAT gateway and interface endpoint data processing (in `total`). */
    readonly vpcNatData?: number;
    readonly vpcEndpointData?: number;
    readonly vpc?: number;
    readonly total: number;
  };
  /** USD per million confirmations. */
  readonly perMillion: number;
}

/** How long a run takes to drain the backlog (see the formula in docs/performance.md). */
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
  /** drainMs / 1000. */
  readonly seconds: number;
  readonly confirmationsPerSecond: number;
  /**
   * Average provider calls in flight (confirmations/s × (latency + call overhead), Little's law)
   * over the configured ceiling MaxConcurrency × inBatchParallelism.
   */
  readonly providerUtilisation: number;
  /** Every limit on the rate, lowest first; the first one binds. */
  readonly limits: readonly DrainLimit[];
  /** The name of the binding limit. */
  readonly binding: string;
}

/** One bound on the drain rate. */
export interface DrainLimit {
  readonly name: string;
  readonly confirmationsPerSecond: number;
  /** Where the figure comes from: the template, the configuration or an assumption with its source. */
  readonly source: string;
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
  /** With a VPC: what it costs per month whether or not anything runs (hourly charges). */
  readonly vpcMonthly?: {
    readonly natGateways: number;
    readonly natGatewayHours: number;
    readonly endpointAzs: number;
    readonly endpointAzHours: number;
    readonly total: number;
  };
}
