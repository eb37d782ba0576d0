// The AWS cost model of `npm run cost` (bench/cost-model.ts, bench/cost.ts), fed by the synthesized
// dev stack. No timing: every number here is arithmetic on the template and the model's tables.
import { STATE } from '../../lambdas/contracts';
import { dev } from '../../lib/stages';
import type { AslState, SynthesizedDefinition } from '../../local/synthesized-definition';
import { runCost } from '../../bench/cost';
import {
  ASSUMPTIONS,
  type Assumptions,
  type CostConfig,
  CostModelError,
  PRICES,
  costConfigFromTemplate,
  costModel,
  workflowShape,
} from '../../bench/cost-model';
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
  it('reads the Distributed Map, the functions and their environment, not lib/stages.ts', () => {
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
    // 2 + 3 + 4 + 20 for the dev stack as it is today.
    expect(report.batched.usage.standardTransitions).toBe(29);
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
    expect(d.pageMs).toBe(200 + 500 + 3 * 1_070); // 3,910
    expect(d.childrenInFlight).toBe(8);
    expect(d.providerCallsInFlight).toBe(40);
    expect(d.drainMs).toBe(5 * 3_910 + 3 * (100 + 200) + 2 * 1_000 + 100); // 22,550
    expect(d.confirmationsPerSecond).toBeCloseTo(5_000 / 22.55, 6);
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
    const wide = costModel({ ...config, maxConcurrency: 40 }, million).batched.drain;
    expect(wide.configuredProviderCallsInFlight).toBe(40 * config.inBatchParallelism);
    expect(wide.childrenInFlight).toBe(Math.ceil(config.pageSize / config.batchSize));
    expect(wide.providerCallsInFlight).toBe(wide.childrenInFlight * config.inBatchParallelism);
  });

  it('rejects a scenario without transactions', () => {
    expect(() => costModel(config, { transactions: 0, latencyMs: 50 })).toThrow(CostModelError);
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
    await expect(runCost(['--json', '--transactions', '2000'], { io, template })).resolves.toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.scenario).toEqual({ transactions: 2000, latencyMs: 50 });
    expect(report.batched.usage.pages).toBe(2);
    expect(report.naive.perMillion).toBeGreaterThan(report.batched.perMillion);
  });
});
