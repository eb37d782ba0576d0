// The AWS cost model of `npm run cost` (bench/cost-model/, bench/cost.ts), fed by the synthesized
// dev stack. No timing: every number here is arithmetic on the template and the model's tables.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE } from '../../lambdas/contracts';
import { dev, devWith } from '../support/stages';
import { synthesizeStackTemplate } from '../../local/stack/stack-template';
import type { AslState, SynthesizedDefinition } from '../../local/stack/synthesized-definition';
import { DEFAULT_STAGE, runCost } from '../../bench/cost';
import {
  ASSUMPTIONS,
  type Assumptions,
  type CostConfig,
  CostModelError,
  PRICES,
  costConfigFromTemplate,
  costModel,
  vpcDataUsage,
  workflowShape,
} from '../../bench/cost-model';
import { formatReport } from '../../bench/cost';
import { testStack } from '../support/template';

const stack = testStack();
const config = costConfigFromTemplate(stack.template);
const million = { transactions: 1_000_000, latencyMs: 50 };

/** The dev definition with `edit` applied to a deep copy of its states. */
function editedDefinition(edit: (states: Record<string, AslState>) => void): SynthesizedDefinition {
  const definition = structuredClone(stack.definition.definition);
  edit(definition.States as Record<string, AslState>);
  return { ...stack.definition, definition };
}

describe('costConfigFromTemplate (dev stack)', () => {
  it('reads the Distributed Map, the functions and their environment, not config/', () => {
    const map = stack.definition.definition.States[STATE.ConfirmPage] as Record<string, unknown>;
    expect(config.batchSize).toBe(
      (map.ItemBatcher as { MaxItemsPerBatch: number }).MaxItemsPerBatch,
    );
    expect(config.maxConcurrency).toBe(map.MaxConcurrency);
    // ... which are the stage's values, as synthesized.
    expect(config).toMatchObject({
      stage: 'dev',
      batchSize: dev.batchSize,
      maxConcurrency: dev.maxConcurrency,
      pageSize: dev.pageSize,
      maxPagesPerExecution: dev.maxPagesPerExecution,
      inBatchParallelism: dev.inBatchParallelism,
      shardCount: dev.shardCount,
      childExecutionType: 'EXPRESS',
      scheduleEnabled: dev.scheduleEnabled,
      schedulePeriodSeconds: 300,
    });
    expect(config.functions['confirm-batch']).toEqual({
      memoryMb: dev.confirmBatchMemoryMb,
      architecture: 'arm64',
    });
  });

  it('walks one page through the ASL: FetchPage, the Choice on CONFIRM, ConfirmPage, back to FetchPage', () => {
    const states = stack.definition.definition.States;
    // The same path, followed by hand through the synthesized ASL.
    const choice = states[states[STATE.FetchPage].Next as string];
    const rule = (choice.Choices as { StringEquals: string; Next: string }[]).find(
      (r) => r.StringEquals === 'CONFIRM',
    );
    const map = states[rule!.Next];
    expect(map.Next).toBe(STATE.FetchPage);
    const byHand = [STATE.FetchPage, states[STATE.FetchPage].Next, rule!.Next];

    expect(config.workflow.page.states).toEqual(byHand);
    expect(config.workflow.page.invocations).toEqual({ 'fetch-page': 1 });
    expect(config.workflow.page.maps[0].childInvocations).toEqual({ 'confirm-batch': 1 });
    expect(config.workflow.executionStart.invocations).toEqual({ 'start-run': 1 });
    expect(config.workflow.finish.invocations).toEqual({ 'fetch-page': 1, 'finish-run': 1 });
  });

  it('counts the transitions of a one-page run from the walked ASL, one more per child execution', () => {
    const report = costModel(config, { transactions: config.pageSize, latencyMs: 50 });
    const w = config.workflow;
    const batches = Math.ceil(config.pageSize / config.batchSize);
    expect(report.batched.usage.standardTransitions).toBe(
      w.executionStart.states.length + w.page.states.length + w.finish.states.length + batches,
    );
    // 2 + 3 + 4 + 160 for the dev stack as it is today (pages of 20 × 50 × 8 ids).
    expect(report.batched.usage.standardTransitions).toBe(169);
    expect(report.config.transitions).toEqual({
      executionStart: 2,
      page: 3,
      continueAsNew: 4,
      finish: 4,
      perChild: 1,
    });
  });

  it('follows a change to the workflow: a state added to the page loop costs one transition per page', () => {
    const definition = editedDefinition((states) => {
      states.Pause = { Type: 'Pass', Next: STATE.FetchPage };
      states[STATE.ConfirmPage].Next = 'Pause';
    });
    const changed: CostConfig = { ...config, workflow: workflowShape(definition) };
    expect(changed.workflow.page.states).toEqual([...config.workflow.page.states, 'Pause']);
    const before = costModel(config, million).batched.usage.standardTransitions;
    const after = costModel(changed, million).batched.usage.standardTransitions;
    expect(after - before).toBe(million.transactions / config.pageSize);
  });

  it('refuses a Choice it cannot evaluate instead of pricing a guess', () => {
    const definition = editedDefinition((states) => {
      states[STATE.NextStep].Choices = [
        { Variable: '$.count', NumericGreaterThan: 0, Next: STATE.ConfirmPage },
      ];
      delete states[STATE.NextStep].Default;
    });
    expect(() => workflowShape(definition)).toThrow(CostModelError);
    expect(() => workflowShape(definition)).toThrow(/NextStep\?: only Variable \+ StringEquals/);
  });
});

describe('costModel', () => {
  const report = costModel(config, million);

  it('doubling batchSize halves the Express requests and roughly halves the Lambda requests', () => {
    const doubled = costModel({ ...config, batchSize: config.batchSize * 2 }, million);
    expect(doubled.batched.cost.expressRequests).toBeCloseTo(
      report.batched.cost.expressRequests / 2,
      10,
    );
    const lambdaRatio = doubled.batched.cost.lambdaRequests / report.batched.cost.lambdaRequests;
    expect(lambdaRatio).toBeGreaterThan(0.5);
    expect(lambdaRatio).toBeLessThan(0.56);
    expect(doubled.batched.cost.stepFunctions).toBeLessThan(
      report.batched.cost.stepFunctions * 0.6,
    );
  });

  it('never prices DynamoDB writes below the floor of one write unit per transaction', () => {
    const perMillion = (report.batched.cost.dynamodbWrites * 1_000_000) / million.transactions;
    expect(perMillion).toBeGreaterThanOrEqual(0.625);
    // The terminal update also deletes the pending-index entry: a second write unit.
    expect(report.batched.usage.writeUnits).toBeGreaterThanOrEqual(2 * million.transactions);
    // ... and DynamoDB, not orchestration, is the largest share.
    expect(report.batched.cost.dynamodb).toBeGreaterThan(report.batched.cost.stepFunctions);
    expect(report.batched.cost.dynamodb).toBeGreaterThan(report.batched.cost.lambda);
  });

  it('prices the naive design (a Standard child and a Lambda invocation per item) far above the batched one', () => {
    expect(report.naive.usage.childExecutions).toBe(million.transactions);
    expect(report.naive.usage.lambdaInvocations['confirm-batch']).toBe(million.transactions);
    expect(report.naive.usage.expressRequests).toBe(0);
    expect(report.naive.perMillion).toBeGreaterThan(10 * report.batched.perMillion);
    // Same DynamoDB work either way: the difference is orchestration.
    expect(report.naive.cost.dynamodb).toBeCloseTo(report.batched.cost.dynamodb, 10);
  });

  it('computes the drain time and Express billing from the stated formula (hand-computed example)', () => {
    const assumptions: Assumptions = {
      ...ASSUMPTIONS,
      providerCallOverheadMs: 10,
      batchFixedMs: 30,
      childStartMs: 40,
      mapRunOverheadMs: 500,
      continueAsNewMs: 1_000,
      handlerMs: { 'start-run': 100, 'fetch-page': 200, 'finish-run': 100 },
      fetchPageMsPerThousandIds: 15,
    };
    const small: CostConfig = {
      ...config,
      pageSize: 1_000,
      batchSize: 50,
      inBatchParallelism: 5,
      maxConcurrency: 8,
      maxPagesPerExecution: 2,
    };
    // 5,000 items: 5 pages, 3 executions (2 + 2 + 1 pages), 2 ContinueAsNew.
    const r = costModel(small, { transactions: 5_000, latencyMs: 90 }, PRICES, assumptions);
    const d = r.batched.drain;
    expect(d.batchLambdaMs).toBe(30 + 10 * (90 + 10)); // 1,030
    expect(d.childMs).toBe(1_070);
    expect(d.wavesPerPage).toBe(3); // 20 batches / 8
    // fetch-page: 200 ms + 15 ms per 1,000 ids of the page.
    expect(d.pageMs).toBe(200 + 15 + 500 + 3 * 1_070); // 3,925
    expect(d.childrenInFlight).toBe(8);
    expect(d.providerCallsInFlight).toBe(40);
    expect(d.drainMs).toBe(5 * 3_925 + 3 * (100 + 200) + 2 * 1_000 + 100); // 22,625
    expect(d.confirmationsPerSecond).toBeCloseTo(5_000 / 22.625, 6);
    // Express: 100 children x 64 MB x 1.1 s (1,070 ms rounded up to 100 ms).
    expect(r.batched.usage.expressGbSeconds).toBeCloseTo(100 * (64 / 1024) * 1.1, 10);
    expect(r.batched.usage.executions).toBe(3);
    expect(r.batched.usage.lambdaInvocations).toEqual({
      'start-run': 3,
      'fetch-page': 8,
      'finish-run': 1,
      'confirm-batch': 100,
    });
  });

  it('caps provider calls in flight at the batches a page has, below MaxConcurrency x inBatchParallelism', () => {
    // A page of 1,000 ids is 20 batches: 40 child slots cannot all be used.
    const wide = costModel({ ...config, pageSize: 1000, maxConcurrency: 40 }, million).batched
      .drain;
    expect(wide.configuredProviderCallsInFlight).toBe(40 * config.inBatchParallelism);
    expect(wide.childrenInFlight).toBe(Math.ceil(1000 / config.batchSize));
    expect(wide.providerCallsInFlight).toBe(wide.childrenInFlight * config.inBatchParallelism);
  });

  it('rejects a scenario without transactions', () => {
    expect(() => costModel(config, { transactions: 0, latencyMs: 50 })).toThrow(CostModelError);
  });
});

describe('what bounds the drain', () => {
  const report = costModel(config, million);
  const d = report.batched.drain;
  const limit = (r: typeof report, name: string) =>
    r.batched.drain.limits.find((l) => l.name === name)!;

  it('lists every limit lowest first and names the lowest as binding', () => {
    const rates = d.limits.map((l) => l.confirmationsPerSecond);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    expect(d.binding).toBe(d.limits[0].name);
    expect(d.limits.map((l) => l.name).sort()).toEqual([
      'DynamoDB table writes',
      'Lambda concurrency',
      'Standard state transitions',
      'pending index writes',
      'provider budget',
      'workflow shape',
    ]);
    expect(limit(report, 'workflow shape').confirmationsPerSecond).toBe(d.confirmationsPerSecond);
  });

  it('derives the provider budget and the utilisation from the configured calls in flight', () => {
    const inFlight = config.maxConcurrency * config.inBatchParallelism;
    const callMs = million.latencyMs + ASSUMPTIONS.providerCallOverheadMs;
    expect(limit(report, 'provider budget').confirmationsPerSecond).toBeCloseTo(
      (inFlight * 1_000) / callMs,
      6,
    );
    expect(d.providerUtilisation).toBeCloseTo(
      (d.confirmationsPerSecond * callMs) / 1_000 / inFlight,
      9,
    );
    expect(d.seconds).toBe(d.drainMs / 1_000);
  });

  it('assumes a new on-demand table and index (4,000 write units/s each) unless the template sets warm throughput', () => {
    expect(config.warmWriteUnitsPerSecond).toBeUndefined();
    expect(limit(report, 'DynamoDB table writes').confirmationsPerSecond).toBe(4_000);
    expect(limit(report, 'DynamoDB table writes').source).toMatch(/^assumed: /);
    const warm = costConfigFromTemplate(
      synthesizeStackTemplate({ config: devWith({ warmWriteUnitsPerSecond: 12_000 }) }),
    );
    expect(warm.warmWriteUnitsPerSecond).toEqual({ table: 12_000, pendingIndex: 12_000 });
    const warmReport = costModel(warm, million);
    expect(limit(warmReport, 'DynamoDB table writes').confirmationsPerSecond).toBe(12_000);
    expect(limit(warmReport, 'pending index writes').source).toMatch(
      /^the template's WarmThroughput 12000/,
    );
  });

  it('the modelled rate never exceeds the provider budget: one call in flight at 1 s latency', () => {
    const narrow = costModel(
      { ...config, maxConcurrency: 1, inBatchParallelism: 1 },
      { transactions: 1_000, latencyMs: 1_000 },
    ).batched.drain;
    expect(narrow.binding).toBe('workflow shape');
    // The budget is 1 call per 1,010 ms: the workflow's modelled rate cannot exceed it.
    expect(
      narrow.limits.find((l) => l.name === 'provider budget')!.confirmationsPerSecond,
    ).toBeCloseTo(1_000 / 1_010, 9);
    expect(narrow.confirmationsPerSecond).toBeLessThan(1_000 / 1_010);
    expect(narrow.providerUtilisation).toBeLessThan(1);
  });
});

describe('npm run cost', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
  }
  const template = jest.fn(() => stack.template);

  it.each([
    [['--latency-ms', 'fast'], /--latency-ms must be an integer 0\.\.60000, got "fast"/],
    [['--transactions', '0'], /--transactions must be an integer 1\.\.1000000000, got "0"/],
    [['--transactions', '1e6'], /--transactions must be an integer/],
    [['--stage', 'qa'], /--stage.*qa.*Allowed choices are dev, prod/],
    [['--region', 'eu-west-1'], /unknown option '--region'/],
    [['extra'], /too many arguments/],
  ])('exits 2 on %j, naming the flag, before synthesizing', async (argv, message) => {
    const { io, out, err } = capture();
    template.mockClear();
    await expect(runCost(argv, { io, template })).resolves.toBe(2);
    expect(err.join('')).toMatch(message);
    expect(out.join('')).toBe('');
    expect(template).not.toHaveBeenCalled();
  });

  it('prints the table for the stage it synthesizes', async () => {
    const { io, out } = capture();
    template.mockClear();
    await expect(runCost(['--stage', 'dev', '--latency-ms', '80'], { io, template })).resolves.toBe(
      0,
    );
    expect(template).toHaveBeenCalledWith('dev');
    const text = out.join('');
    expect(text).toContain('stage dev, 1,000,000 transactions, provider latency 80 ms');
    expect(text).toMatch(/per 1M confirmations\s+│\s+│ \$\d+\.\d{4} │/);
    expect(text).toContain('provider calls in flight = 20 x 5 = 100');
  });

  it('--json prints the whole report', async () => {
    const { io, out } = capture();
    await expect(runCost(['--json', '--transactions', '20000'], { io, template })).resolves.toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.scenario).toEqual({ transactions: 20000, latencyMs: 50 });
    // Pages of 8,000 (dev): 8,000 + 8,000 + 4,000; a PutObject and a GetObject each.
    expect(report.batched.usage.pages).toBe(3);
    expect(report.batched.usage.s3Requests).toBe(6);
    expect(report.naive.perMillion).toBeGreaterThan(report.batched.perMillion);
    expect(report.batched.drain).toMatchObject({
      seconds: expect.any(Number),
      providerUtilisation: expect.any(Number),
      binding: expect.any(String),
    });
    expect(report.batched.perMillion).toBeGreaterThan(0);
  });

  it('marks the drain targets met or not (6 min per 1M, utilisation 0.85) and names the binding limit', async () => {
    const { io, out } = capture();
    await expect(runCost([], { io, template })).resolves.toBe(0);
    expect(out.join('')).toMatch(
      /Targets \(batched\): drain\.seconds \d+ <= 360 \(6 min per 1M\): (met|not met); drain\.providerUtilisation \d\.\d\d >= 0\.85: (met|not met); binding limit: \w/,
    );
  });
});

describe('a stage with vpc: true', () => {
  const vpcConfig = costConfigFromTemplate(
    synthesizeStackTemplate({ config: devWith({ vpc: true }) }),
  );
  const report = costModel(vpcConfig, million);
  const gb = 2 ** 30;

  it('reads the NAT gateways and endpoints from the template; a stage without a VPC has none', () => {
    expect(vpcConfig.vpc).toEqual({
      natGateways: 2,
      interfaceEndpoints: [{ service: 'secretsmanager', availabilityZones: 2 }],
      gatewayEndpoints: ['dynamodb', 's3'],
    });
    expect(config.vpc).toBeUndefined();
  });

  it('prices the hours of every NAT gateway and endpoint zone per month (us-east-1 list prices)', () => {
    expect(report.vpcMonthly).toEqual({
      natGateways: 2,
      natGatewayHours: expect.closeTo(2 * 730 * 0.045, 10),
      endpointAzs: 2,
      endpointAzHours: expect.closeTo(2 * 730 * 0.01, 10),
      total: expect.closeTo(65.7 + 14.6, 10),
    });
  });

  it('prices the data: each provider call through NAT, the key reads through the endpoint, in the total', () => {
    const { usage, cost, drain } = report.batched;
    const reads = drain.childrenInFlight * Math.ceil(drain.drainMs / 300_000);
    expect(usage.vpc).toEqual({
      natGb: (million.transactions * ASSUMPTIONS.providerCallBytes) / gb,
      secretReads: reads,
      endpointGb: (reads * ASSUMPTIONS.secretReadBytes) / gb,
    });
    expect(cost.vpcNatData).toBeCloseTo(usage.vpc!.natGb * PRICES.vpc.natGatewayGb, 10);
    expect(cost.vpc).toBeCloseTo(cost.vpcNatData! + cost.vpcEndpointData!, 12);
    expect(cost.total).toBeCloseTo(
      cost.stepFunctions + cost.lambda + cost.dynamodb + cost.s3Requests + cost.vpc!,
      12,
    );
    // The same backlog without the VPC costs exactly that much less.
    expect(cost.total - costModel(config, million).batched.cost.total).toBeCloseTo(cost.vpc!, 10);
  });

  it('sends the key reads through NAT when there is no Secrets Manager endpoint', () => {
    const drain = { childrenInFlight: 10, drainMs: 600_000 };
    const usage = vpcDataUsage(
      { natGateways: 1, interfaceEndpoints: [], gatewayEndpoints: ['dynamodb'] },
      { transactions: 1_000, latencyMs: 50 },
      drain,
      PRICES,
      ASSUMPTIONS,
    );
    expect(usage.secretReads).toBe(20);
    expect(usage.endpointGb).toBe(0);
    expect(usage.natGb).toBeCloseTo(
      (1_000 * ASSUMPTIONS.providerCallBytes + 20 * ASSUMPTIONS.secretReadBytes) / gb,
      15,
    );
  });

  it('shows the VPC rows and lines only for a stage that has one', () => {
    const text = formatReport(report);
    expect(text).toMatch(/│ VPC data processing +│ +│ \$\d+\.\d{4} │/);
    expect(text).toContain('  NAT data = 1,000,000 provider calls x 1,500 B at $0.045/GB');
    expect(text).toContain(
      'fixed per month (730 h): NAT gateways 2 x $0.045/h = $65.70 + interface endpoint AZs 2 x $0.01/h = $14.60 = $80.30',
    );
    const without = formatReport(costModel(config, million));
    expect(without).not.toMatch(/VPC|NAT/);
    expect(JSON.stringify(costModel(config, million))).not.toMatch(/vpc/i);
  });
});

describe('docs/performance.md', () => {
  it('shows what `npm run cost` prints for prod today (rerun it and paste when the stack changes)', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined };
    const prodTemplate = () =>
      synthesizeStackTemplate({ stage: DEFAULT_STAGE }) as typeof stack.template;
    await expect(runCost([], { io, template: prodTemplate })).resolves.toBe(0);
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'performance.md'), 'utf8');
    const shown = /The output for prod at 50 ms:\n\n```text\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(shown).toBeDefined();
    expect(shown!.trimEnd()).toBe(out.join('').trimEnd());
  });
});
