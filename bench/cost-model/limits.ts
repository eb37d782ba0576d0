/**
 * What bounds a drain besides the workflow's own shape: each limit as the confirmations per second
 * it would allow, taken from the template where it says so and otherwise an assumption with its
 * source (docs/performance.md, "What bounds the drain"). The lowest one binds.
 */
import { type Assumptions, DYNAMODB_CALLS, type Prices } from './prices';
import { batchLambdaMs, indexEntryBytes, units } from './rules';
import type { CostConfig, DrainLimit, Scenario } from './types';

/** AWS quotas the template cannot say (defaults of a single account and Region). */
export const QUOTAS = {
  /**
   * Warm write throughput of a new on-demand table, and of each of its GSIs (DynamoDB developer
   * guide, "Understanding DynamoDB warm throughput in different scenarios").
   */
  dynamodbWarmWriteUnitsPerSecond: 4_000,
  /**
   * Standard workflows' StateTransition refill rate in us-east-1, us-west-2 and eu-west-1 (Step
   * Functions developer guide, "Quotas related to state throttling"; new accounts start lower).
   */
  standardTransitionsPerSecond: 5_000,
  /** Lambda concurrent executions per account and Region (Lambda developer guide, "Lambda quotas"). */
  lambdaConcurrency: 1_000,
} as const;

/** The name of the limit set by the provider's calls in flight (utilisation is measured against it). */
export const PROVIDER_BUDGET = 'provider budget';

export interface LimitInputs {
  readonly config: CostConfig;
  readonly scenario: Scenario;
  readonly prices: Prices;
  readonly assumptions: Assumptions;
  /** Standard transitions the whole drain bills (the parent's and one per child). */
  readonly standardTransitions: number;
  /** The workflow's own modelled rate (its shape: pages, waves, overheads). */
  readonly workflowRate: number;
}

/** Every limit, lowest (binding) first. */
export function drainLimits(inputs: LimitInputs): DrainLimit[] {
  const { config, scenario, prices, assumptions } = inputs;
  const callMs = scenario.latencyMs + assumptions.providerCallOverheadMs;
  const budget = config.maxConcurrency * Math.min(config.inBatchParallelism, config.batchSize);
  const itemUnits =
    DYNAMODB_CALLS.transactionWrites *
    units(assumptions.transactionItemBytes, prices.dynamodb.writeUnitBytes);
  const entryUnits =
    DYNAMODB_CALLS.indexWrites *
    units(indexEntryBytes(config, assumptions, prices), prices.dynamodb.writeUnitBytes);
  const tableWarm = config.warmWriteUnitsPerSecond?.table;
  const indexWarm = config.warmWriteUnitsPerSecond?.pendingIndex;
  const transitionsPerConfirmation = inputs.standardTransitions / scenario.transactions;
  const batchSeconds = batchLambdaMs(config, scenario, assumptions) / 1_000;

  const limits: DrainLimit[] = [
    {
      name: 'workflow shape',
      confirmationsPerSecond: inputs.workflowRate,
      source: 'the drain model above (pages, waves, Map Run and child overheads)',
    },
    {
      name: PROVIDER_BUDGET,
      confirmationsPerSecond: (budget * 1_000) / callMs,
      source: `MaxConcurrency ${config.maxConcurrency} x inBatchParallelism ${config.inBatchParallelism} = ${budget} calls in flight (<= providerMaxInFlight, validated) / ${callMs} ms per call`,
    },
    {
      name: 'DynamoDB table writes',
      confirmationsPerSecond: (tableWarm ?? QUOTAS.dynamodbWarmWriteUnitsPerSecond) / itemUnits,
      source:
        tableWarm === undefined
          ? `assumed: a new on-demand table's warm throughput, ${QUOTAS.dynamodbWarmWriteUnitsPerSecond} write units/s (set warmWriteUnitsPerSecond to raise it) / ${itemUnits} per confirmation`
          : `the template's WarmThroughput ${tableWarm} write units/s / ${itemUnits} per confirmation`,
    },
    {
      name: 'pending index writes',
      confirmationsPerSecond: (indexWarm ?? QUOTAS.dynamodbWarmWriteUnitsPerSecond) / entryUnits,
      source:
        indexWarm === undefined
          ? `assumed: a new on-demand index's warm throughput, ${QUOTAS.dynamodbWarmWriteUnitsPerSecond} write units/s / ${entryUnits} per confirmation`
          : `the template's WarmThroughput ${indexWarm} write units/s / ${entryUnits} per confirmation`,
    },
    {
      name: 'Standard state transitions',
      confirmationsPerSecond: QUOTAS.standardTransitionsPerSecond / transitionsPerConfirmation,
      source: `assumed: ${QUOTAS.standardTransitionsPerSecond}/s refill (us-east-1 default) / ${transitionsPerConfirmation.toFixed(4)} per confirmation`,
    },
    {
      name: 'Lambda concurrency',
      confirmationsPerSecond: (QUOTAS.lambdaConcurrency * config.batchSize) / batchSeconds,
      source: `assumed: ${QUOTAS.lambdaConcurrency} concurrent executions per account, all confirm-batch, ${config.batchSize} per ${Math.round(batchSeconds * 1_000)} ms invocation`,
    },
  ];
  return limits.sort((a, b) => a.confirmationsPerSecond - b.confirmationsPerSecond);
}
