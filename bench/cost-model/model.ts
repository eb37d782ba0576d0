/**
 * The model ({@link costModel}): both designs priced for a scenario, the empty run, and the
 * transitions the walk found. Pure: arithmetic on the configuration, the prices and the assumptions.
 */
import { design } from './design';
import { ASSUMPTIONS, type Assumptions, DYNAMODB_CALLS, PRICES, type Prices } from './prices';
import {
  add,
  functionSpec,
  lambdaGbSeconds,
  naiveConfig,
  transitionsPerChild,
  units,
} from './rules';
import { type CostConfig, CostModelError, type CostReport, type Scenario } from './types';
import { vpcMonthly } from './vpc';

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
    ...(config.vpc && { vpcMonthly: vpcMonthly(config.vpc, prices) }),
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
