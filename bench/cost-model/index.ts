/**
 * The AWS cost model behind `npm run cost` (docs/architecture.md §10): what one run that drains a backlog of
 * N transactions costs in Step Functions, Lambda and DynamoDB, next to a naive design (one Standard
 * child execution and one Lambda invocation per transaction), and how long the drain takes.
 *
 * Everything about the deployment comes from the synthesized template ({@link costConfigFromTemplate},
 * from-template.ts): the states a page, a run and a child execution pass through are walked in the
 * ASL itself (workflow-walk.ts), the batch size and MaxConcurrency come from the Distributed Map,
 * memory and architecture from the functions, PAGE_SIZE, MAX_PAGES_PER_EXECUTION,
 * IN_BATCH_PARALLELISM and PENDING_SHARD_COUNT from their environment. What a template cannot say
 * (prices, item sizes, durations, how many DynamoDB calls each handler makes) is in the three tables
 * of prices.ts: {@link PRICES}, {@link ASSUMPTIONS} and {@link DYNAMODB_CALLS}. The model itself
 * ({@link costModel}: model.ts, design.ts, rules.ts) is pure. A stage with `vpc: true` is also
 * priced for its NAT gateways and interface endpoints (vpc.ts), read from the template too.
 */
export { costConfigFromTemplate } from './from-template';
export { costModel } from './model';
export { ASSUMPTIONS, type Assumptions, DYNAMODB_CALLS, PRICES, type Prices } from './prices';
export { batchLambdaMs, indexEntryBytes, naiveConfig, transitionsPerChild } from './rules';
export {
  type Architecture,
  type CostConfig,
  CostModelError,
  type CostReport,
  type DesignCost,
  type DistributedMapShape,
  type DrainEstimate,
  type FunctionSpec,
  type Invocations,
  type PathSegment,
  type Scenario,
  type VpcShape,
  type WorkflowShape,
} from './types';
export { vpcDataUsage, vpcMonthly } from './vpc';
export { walkStates, workflowShape } from './workflow-walk';
