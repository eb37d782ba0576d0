/**
 * The pricing rules the model applies: how a backlog splits into runs, pages and batches, the
 * DynamoDB units of an item or a query, a handler's billed duration and GB-seconds, and the naive
 * design the batched one is compared with.
 */
import { shardKeyWidth } from '../../lambdas/domain/pending-shard';
import type { Assumptions, Prices } from './prices';
import {
  type CostConfig,
  CostModelError,
  type DistributedMapShape,
  type FunctionSpec,
  type Invocations,
  type Scenario,
} from './types';

/** The naive design: one Standard child execution and one Lambda invocation per transaction. */
export function naiveConfig(config: CostConfig): CostConfig {
  return { ...config, batchSize: 1, inBatchParallelism: 1, childExecutionType: 'STANDARD' };
}

/** Standard transitions charged per child: the Distributed Map bills one per child it starts, plus a Standard child's own states. */
export function transitionsPerChild(config: CostConfig): number {
  const child = pageMap(config);
  return 1 + (config.childExecutionType === 'STANDARD' ? child.childStates.length : 0);
}

export function pageMap(config: CostConfig): DistributedMapShape {
  const map = config.workflow.page.maps[0];
  if (map === undefined) throw new CostModelError('the page path has no Distributed Map');
  return map;
}

/** Items in each run: runs of maxItemsPerRun, the last one shorter. */
export function runSizes(transactions: number, maxItemsPerRun: number): number[] {
  const sizes: number[] = [];
  for (let left = transactions; left > 0; left -= maxItemsPerRun) {
    sizes.push(Math.min(left, maxItemsPerRun));
  }
  return sizes;
}

/** Batches of a run: full pages of ceil(pageSize / batchSize) batches, then the last page. */
export function batchesOf(items: number, pageSize: number, batchSize: number): number {
  const fullPages = Math.floor(items / pageSize);
  const rest = items % pageSize;
  return fullPages * Math.ceil(pageSize / batchSize) + Math.ceil(rest / batchSize);
}

export function add(into: Record<string, number>, from: Invocations, times: number): void {
  for (const [name, count] of Object.entries(from)) into[name] = (into[name] ?? 0) + count * times;
}

/** Read units of one eventually consistent Query over `bytes` (at least half a unit). */
export function queryReadUnits(bytes: number, prices: Prices): number {
  return Math.max(1, Math.ceil(bytes / prices.dynamodb.readUnitBytes)) * 0.5;
}

export function units(bytes: number, unitBytes: number): number {
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

export function functionSpec(config: CostConfig, handler: string): FunctionSpec {
  const spec = config.functions[handler];
  if (spec === undefined)
    throw new CostModelError(`no function for handler ${handler} in the template`);
  return spec;
}

export function handlerMs(
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

export function lambdaGbSeconds(
  config: CostConfig,
  handler: string,
  ms: number,
  prices: Prices,
): number {
  const billedMs = Math.ceil(ms / prices.lambda.durationStepMs) * prices.lambda.durationStepMs;
  return (functionSpec(config, handler).memoryMb / 1_024) * (billedMs / 1_000);
}
