/**
 * One design priced for the whole backlog ({@link design}): the runs, executions, pages and child
 * executions it takes, the Standard transitions, Express requests and duration, Lambda requests and
 * GB-seconds, DynamoDB units they bill, and how long the drain takes.
 */
import { type Assumptions, DYNAMODB_CALLS, type Prices, S3_CALLS } from './prices';
import {
  add,
  batchLambdaMs,
  batchesOf,
  functionSpec,
  handlerMs,
  indexEntryBytes,
  lambdaGbSeconds,
  pageMap,
  queryReadUnits,
  runSizes,
  transitionsPerChild,
  units,
} from './rules';
import type { CostConfig, DesignCost, DistributedMapShape, DrainEstimate, Scenario } from './types';
import { drainLimits, PROVIDER_BUDGET } from './limits';
import { vpcDataUsage } from './vpc';

/** How long a child execution and a page take. */
interface PageTiming {
  /** childStart + batchLambda. */
  readonly childMs: number;
  /** fetch-page + mapRunOverhead + ceil(batches / MaxConcurrency) × child. */
  readonly pageTimeMs: (batches: number) => number;
}

/** What the runs of a backlog use, summed as the runs are walked. */
interface Totals {
  executions: number;
  pages: number;
  children: number;
  transitions: number;
  readUnits: number;
  writeUnits: number;
  drainMs: number;
  readonly invocations: Record<string, number>;
}

export function design(
  config: CostConfig,
  scenario: Scenario,
  prices: Prices,
  assumptions: Assumptions,
): DesignCost & { drain: DrainEstimate } {
  const map = pageMap(config);
  const runs = runSizes(scenario.transactions, config.maxItemsPerRun);
  const entryBytes = indexEntryBytes(config, assumptions, prices);
  const timing = pageTiming(config, scenario, assumptions);
  const totals = runTotals(config, runs, timing, entryBytes, prices, assumptions);
  const { children, invocations } = totals;

  // Children: the Distributed Map bills a transition per child started; Standard children also
  // bill their own states, Express children a request and their duration.
  totals.transitions += children * transitionsPerChild(config);
  add(invocations, map.childInvocations, children);
  const { expressRequests, expressGbSeconds } = expressUsage(
    config,
    map,
    children,
    timing.childMs,
    prices,
    assumptions,
  );

  // Transactions: a strongly consistent read, the conditional update and its index deletion.
  const n = scenario.transactions;
  totals.readUnits +=
    n *
    DYNAMODB_CALLS.transactionReads *
    units(assumptions.transactionItemBytes, prices.dynamodb.readUnitBytes);
  totals.writeUnits +=
    n *
      DYNAMODB_CALLS.transactionWrites *
      units(assumptions.transactionItemBytes, prices.dynamodb.writeUnitBytes) +
    n * DYNAMODB_CALLS.indexWrites * units(entryBytes, prices.dynamodb.writeUnitBytes);

  const lambda = lambdaUsage(config, invocations, scenario, prices, assumptions);

  const sfn = prices.stepFunctions;
  const cost = {
    standardTransitions: totals.transitions * sfn.standardTransition,
    expressRequests: expressRequests * sfn.expressRequest,
    expressDuration: expressGbSeconds * sfn.expressGbSecond,
    lambdaRequests: lambda.requests * prices.lambda.request,
    lambdaDuration: lambda.duration,
    dynamodbWrites: totals.writeUnits * prices.dynamodb.writeUnit,
    dynamodbReads: totals.readUnits * prices.dynamodb.readUnit,
    s3Requests:
      totals.pages *
      (S3_CALLS.manifestPuts * prices.s3.putRequest + S3_CALLS.manifestGets * prices.s3.getRequest),
  };
  const stepFunctions = cost.standardTransitions + cost.expressRequests + cost.expressDuration;
  const lambdaCost = cost.lambdaRequests + cost.lambdaDuration;
  const dynamodb = cost.dynamodbWrites + cost.dynamodbReads;
  const drain = drainEstimate(
    { config, scenario, prices, assumptions, standardTransitions: totals.transitions },
    timing,
    totals.drainMs,
  );
  // With a VPC: what the NAT gateways and endpoints process for this backlog (keys absent without).
  const vpc = config.vpc && vpcDataUsage(config.vpc, scenario, drain, prices, assumptions);
  const vpcCost = vpc ? vpc.natCost + vpc.endpointCost : 0;
  const total = stepFunctions + lambdaCost + dynamodb + cost.s3Requests + vpcCost;

  return {
    usage: {
      runs: runs.length,
      executions: totals.executions,
      pages: totals.pages,
      childExecutions: children,
      standardTransitions: totals.transitions,
      expressRequests,
      expressGbSeconds,
      lambdaInvocations: invocations,
      lambdaRequests: lambda.requests,
      lambdaGbSeconds: lambda.gbSeconds,
      writeUnits: totals.writeUnits,
      readUnits: totals.readUnits,
      s3Requests: totals.pages * (S3_CALLS.manifestPuts + S3_CALLS.manifestGets),
      ...(vpc && {
        vpc: { natGb: vpc.natGb, secretReads: vpc.secretReads, endpointGb: vpc.endpointGb },
      }),
    },
    cost: {
      ...cost,
      stepFunctions,
      lambda: lambdaCost,
      dynamodb,
      ...(vpc && { vpcNatData: vpc.natCost, vpcEndpointData: vpc.endpointCost, vpc: vpcCost }),
      total,
    },
    perMillion: (total * 1_000_000) / n,
    drain,
  };
}

/** fetch-page for a page of `ids`: its fixed time and the index reads and manifest write per id. */
export function fetchPageMs(assumptions: Assumptions, ids: number): number {
  return (
    (assumptions.handlerMs['fetch-page'] ?? 0) +
    (assumptions.fetchPageMsPerThousandIds * ids) / 1_000
  );
}

function pageTiming(config: CostConfig, scenario: Scenario, assumptions: Assumptions): PageTiming {
  const childMs = assumptions.childStartMs + batchLambdaMs(config, scenario, assumptions);
  return {
    childMs,
    pageTimeMs: (batches: number) =>
      fetchPageMs(assumptions, Math.min(batches * config.batchSize, config.pageSize)) +
      assumptions.mapRunOverheadMs +
      Math.ceil(batches / config.maxConcurrency) * childMs,
  };
}

/**
 * Each run of the backlog: its executions, pages and batches, the parent's transitions and Lambda
 * invocations, the Runs table's writes and the pending index's reads, and its drain time; then the
 * wait for the schedule between runs.
 */
function runTotals(
  config: CostConfig,
  runs: readonly number[],
  timing: PageTiming,
  entryBytes: number,
  prices: Prices,
  assumptions: Assumptions,
): Totals {
  const { workflow, pageSize, maxPagesPerExecution: perExecution } = config;
  const { pageTimeMs } = timing;
  const totals: Totals = {
    executions: 0,
    pages: 0,
    children: 0,
    transitions: 0,
    readUnits: 0,
    writeUnits: 0,
    drainMs: 0,
    invocations: {},
  };
  const { invocations } = totals;
  const runsUnits = units(assumptions.runsItemBytes, prices.dynamodb.writeUnitBytes);
  const fetchPageMs = assumptions.handlerMs['fetch-page'] ?? 0;

  for (const items of runs) {
    const runPages = Math.ceil(items / pageSize);
    const runExecutions = Math.max(1, Math.ceil(runPages / perExecution));
    const runBatches = batchesOf(items, pageSize, config.batchSize);
    totals.executions += runExecutions;
    totals.pages += runPages;
    totals.children += runBatches;

    totals.transitions +=
      runExecutions * workflow.executionStart.states.length +
      runPages * workflow.page.states.length +
      (runExecutions - 1) * workflow.continueAsNew.states.length +
      workflow.finish.states.length;
    add(invocations, workflow.executionStart.invocations, runExecutions);
    add(invocations, workflow.page.invocations, runPages);
    add(invocations, workflow.continueAsNew.invocations, runExecutions - 1);
    add(invocations, workflow.finish.invocations, 1);

    // Runs table: the lock and the run record.
    totals.writeUnits +=
      (DYNAMODB_CALLS.runStartWrites +
        (runExecutions - 1) * DYNAMODB_CALLS.resumeWrites +
        (runPages + runExecutions) * DYNAMODB_CALLS.fetchPageWrites +
        DYNAMODB_CALLS.finishWrites) *
      runsUnits;
    // Pending index: a Query per page, one more per shard it runs out of, and the 1-item query per
    // shard of the backlog-age metric at the run's first page.
    const fullPages = Math.floor(items / pageSize);
    const lastPage = items % pageSize;
    totals.readUnits +=
      fullPages * queryReadUnits(pageSize * entryBytes, prices) +
      (lastPage > 0 ? queryReadUnits(lastPage * entryBytes, prices) : 0) +
      2 * config.shardCount * queryReadUnits(entryBytes, prices);

    totals.drainMs +=
      fullPages * pageTimeMs(Math.ceil(pageSize / config.batchSize)) +
      (lastPage > 0 ? pageTimeMs(Math.ceil(lastPage / config.batchSize)) : 0) +
      runExecutions * ((assumptions.handlerMs['start-run'] ?? 0) + fetchPageMs) +
      (runExecutions - 1) * assumptions.continueAsNewMs +
      (assumptions.handlerMs['finish-run'] ?? 0);
  }
  // The next run starts at the next tick of the schedule: half a period on average.
  totals.drainMs += ((runs.length - 1) * ((config.schedulePeriodSeconds ?? 0) * 1_000)) / 2;
  return totals;
}

/** Express children: a request each, and their billed memory × billed duration. */
function expressUsage(
  config: CostConfig,
  map: DistributedMapShape,
  children: number,
  childMs: number,
  prices: Prices,
  assumptions: Assumptions,
): { expressRequests: number; expressGbSeconds: number } {
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
  return { expressRequests, expressGbSeconds };
}

/** Lambda requests, GB-seconds and the duration's cost, by handler (each at its architecture's price). */
function lambdaUsage(
  config: CostConfig,
  invocations: Readonly<Record<string, number>>,
  scenario: Scenario,
  prices: Prices,
  assumptions: Assumptions,
): { requests: number; gbSeconds: number; duration: number } {
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
  return { requests: lambdaRequests, gbSeconds: lambdaGb, duration: lambdaDuration };
}

/** The drain's figures (see the formula in docs/performance.md). */
function drainEstimate(
  inputs: Omit<Parameters<typeof drainLimits>[0], 'workflowRate'>,
  timing: PageTiming,
  drainMs: number,
): DrainEstimate {
  const { config, scenario, assumptions } = inputs;
  const batchesPerPage = Math.ceil(config.pageSize / config.batchSize);
  const childrenInFlight = Math.min(config.maxConcurrency, batchesPerPage);
  const parallel = Math.min(config.inBatchParallelism, config.batchSize);
  const confirmationsPerSecond = scenario.transactions / (drainMs / 1_000);
  const limits = drainLimits({ ...inputs, workflowRate: confirmationsPerSecond });
  // Calls in flight on average (Little's law) over the budget = the rate over the budget's rate.
  const budget = limits.find((l) => l.name === PROVIDER_BUDGET)!;
  return {
    batchLambdaMs: batchLambdaMs(config, scenario, assumptions),
    childMs: timing.childMs,
    batchesPerPage,
    wavesPerPage: Math.ceil(batchesPerPage / config.maxConcurrency),
    pageMs: timing.pageTimeMs(batchesPerPage),
    childrenInFlight,
    providerCallsInFlight: childrenInFlight * parallel,
    configuredProviderCallsInFlight: config.maxConcurrency * config.inBatchParallelism,
    drainMs,
    seconds: drainMs / 1_000,
    confirmationsPerSecond,
    providerUtilisation: confirmationsPerSecond / budget.confirmationsPerSecond,
    limits,
    binding: limits[0].name,
  };
}
