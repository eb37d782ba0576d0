/**
 * `npm run cost`: the AWS cost model (bench/cost-model/) for a stage (config/<stage>.json), fed by
 * the stage's synthesized template (synthesized here without bundling, ~3 s).
 *
 *   npm run cost -- [--stage dev|prod] [--latency-ms 50] [--transactions 1000000] [--json]
 *
 * Exit codes: 0 ok, 1 failure, 2 bad flags (the message names the flag).
 */
import { Command, CommanderError, Option } from 'commander';
import { stagesWithFiles } from '../lib/config';
import { synthesizeStackTemplate } from '../local/stack/stack-template';
import type { CfnTemplate } from '../local/stack/synthesized-definition';
import { integer } from '../cli/arg-parsers';
import { type Io, duration, json, processIo, table } from '../cli/io';
import {
  ASSUMPTIONS,
  PRICES,
  type CostReport,
  type DesignCost,
  type DrainEstimate,
  costConfigFromTemplate,
  costModel,
} from './cost-model';

export const DEFAULT_STAGE = 'prod';
export const DEFAULT_LATENCY_MS = 50;
export const DEFAULT_TRANSACTIONS = 1_000_000;

export interface CostOptions {
  stage: string;
  latencyMs: number;
  transactions: number;
  json?: boolean;
}

export interface CostDeps {
  io?: Io;
  /** The stage's synthesized template (default: synthesize it). */
  template?: (stage: string) => CfnTemplate;
}

export function buildCostProgram(io: Io, action: (options: CostOptions) => void): Command {
  return new Command('cost')
    .description(
      'AWS cost per million confirmations (Step Functions, Lambda, DynamoDB) and the time to drain a backlog, from the synthesized stack and list prices',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false)
    .addOption(
      new Option('--stage <name>', 'the stage to synthesize (a file of config/)')
        .choices(stagesWithFiles())
        .default(DEFAULT_STAGE),
    )
    .addOption(
      new Option('--latency-ms <n>', 'provider response time in ms (0..60000)')
        .argParser(integer('--latency-ms', 0, 60_000))
        .default(DEFAULT_LATENCY_MS),
    )
    .addOption(
      new Option('--transactions <n>', 'backlog size (1..1000000000)')
        .argParser(integer('--transactions', 1, 1_000_000_000))
        .default(DEFAULT_TRANSACTIONS),
    )
    .option('--json', 'print the whole report as JSON')
    .action((options: CostOptions) => action(options));
}

/** Runs `npm run cost` with these arguments; resolves to the exit code. */
export async function runCost(argv: readonly string[], deps: CostDeps = {}): Promise<number> {
  const io = deps.io ?? processIo;
  const synthesize = deps.template ?? ((stage: string) => synthesizeStackTemplate({ stage }));
  let options: CostOptions | undefined;
  try {
    await buildCostProgram(io, (o) => {
      options = o;
    }).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? 0 : 2;
    throw err;
  }
  if (options === undefined) return 0;
  try {
    const config = costConfigFromTemplate(synthesize(options.stage));
    const report = costModel(config, {
      transactions: options.transactions,
      latencyMs: options.latencyMs,
    });
    io.out(options.json === true ? json(report) : formatReport(report));
    return 0;
  } catch (err) {
    io.err(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    return 1;
  }
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const gb = (n: number | undefined) => `${(n ?? 0).toFixed(3)} GB`;
const usd = (n: number) => `$${n.toFixed(4)}`;
const ms = (n: number) => `${count(n)} ms`;

/** The report as the table and the formulas docs/performance.md quotes. */
export function formatReport(report: CostReport): string {
  const { config: c, batched, naive, scenario } = report;
  const fn = (name: string) => {
    const spec = c.functions[name];
    return spec === undefined ? '-' : `${spec.memoryMb} MB ${spec.architecture}`;
  };
  const t = c.transitions;
  const header = [
    `txconfirm AWS cost model: stage ${report.stage}, ${count(scenario.transactions)} transactions, provider latency ${scenario.latencyMs} ms`,
    `${report.region} list prices, on-demand, free tiers ignored; happy path (no retries, no cold starts)`,
    `From the synthesized template: pageSize ${c.pageSize}, batchSize ${c.batchSize}, MaxConcurrency ${c.maxConcurrency}, inBatchParallelism ${c.inBatchParallelism}, maxPagesPerExecution ${c.maxPagesPerExecution}, ${c.shardCount} shards, ${c.childExecutionType} children;`,
    `  confirm-batch ${fn('confirm-batch')}, fetch-page ${fn('fetch-page')}, start-run ${fn('start-run')}, finish-run ${fn('finish-run')}`,
    `Standard transitions walked in the ASL: ${t.executionStart} per execution start, ${t.page} per page, ${t.continueAsNew} per ContinueAsNew, ${t.finish} to finish, ${t.perChild} per child execution`,
    '',
  ].join('\n');

  const row = (label: string, pick: (d: DesignCost) => [string, number]) => {
    const [bu, bc] = pick(batched);
    const [nu, nc] = pick(naive);
    return [label, bu, usd(bc), nu, usd(nc)];
  };
  const rows = [
    row('Step Functions', (d) => ['', d.cost.stepFunctions]),
    row('  Standard transitions', (d) => [
      count(d.usage.standardTransitions),
      d.cost.standardTransitions,
    ]),
    row('  Express requests', (d) => [count(d.usage.expressRequests), d.cost.expressRequests]),
    row('  Express duration', (d) => [
      `${count(d.usage.expressGbSeconds)} GB-s`,
      d.cost.expressDuration,
    ]),
    row('Lambda', (d) => ['', d.cost.lambda]),
    row('  requests', (d) => [count(d.usage.lambdaRequests), d.cost.lambdaRequests]),
    row('  duration', (d) => [`${count(d.usage.lambdaGbSeconds)} GB-s`, d.cost.lambdaDuration]),
    row('DynamoDB', (d) => ['', d.cost.dynamodb]),
    row('  write units', (d) => [`${count(d.usage.writeUnits)} WRU`, d.cost.dynamodbWrites]),
    row('  read units', (d) => [`${count(d.usage.readUnits)} RRU`, d.cost.dynamodbReads]),
    row('S3 (page manifests)', (d) => [`${count(d.usage.s3Requests)} requests`, d.cost.s3Requests]),
    // Only a stage with `vpc: true` has these: the NAT gateways and endpoints process its traffic.
    ...(c.vpc
      ? [
          row('VPC data processing', (d) => ['', d.cost.vpc ?? 0]),
          row('  NAT gateways', (d) => [gb(d.usage.vpc?.natGb), d.cost.vpcNatData ?? 0]),
          row('  interface endpoints', (d) => [
            gb(d.usage.vpc?.endpointGb),
            d.cost.vpcEndpointData ?? 0,
          ]),
        ]
      : []),
    row(`total (${count(scenario.transactions)})`, (d) => ['', d.cost.total]),
    row('per 1M confirmations', (d) => ['', d.perMillion]),
  ];
  const costTable = table(
    ['component', 'batched: usage', 'batched', 'naive (1 Standard child/item): usage', 'naive'],
    rows,
  );

  const ratio = naive.perMillion / batched.perMillion;
  const empty = report.emptyRun;
  const footer = [
    `naive / batched: ${ratio.toFixed(1)}x`,
    `an empty run (nothing pending): ${usd(empty.cost)}` +
      (empty.perMonth === undefined
        ? ''
        : `; one every ${c.schedulePeriodSeconds} s for 30 days: $${empty.perMonth.toFixed(2)}` +
          (c.scheduleEnabled ? '' : ' (the schedule is created disabled in this stage)')),
    ...vpcLines(report),
    '',
    `Drain of ${count(scenario.transactions)} at ${scenario.latencyMs} ms provider latency:`,
    ...drainLines('batched', batched.drain, c, scenario, batched.usage),
    ...drainLines(
      'naive',
      naive.drain,
      { ...c, batchSize: 1, inBatchParallelism: 1 },
      scenario,
      naive.usage,
    ),
    ...targetLines(report),
    '',
  ].join('\n');
  return `${header}\n${costTable}${footer}`;
}

/** The network of a stage with `vpc: true`: what its data costs is in the table; this is why, and its hours. */
function vpcLines(report: CostReport): string[] {
  const { vpc } = report.config;
  const monthly = report.vpcMonthly;
  if (vpc === undefined || monthly === undefined) return [];
  const p = PRICES.vpc;
  const a = ASSUMPTIONS;
  const endpoints = vpc.interfaceEndpoints
    .map((e) => `${e.service} in ${e.availabilityZones} AZs`)
    .join(', ');
  const gateways = vpc.gatewayEndpoints.join(', ') || 'none';
  const reads = report.batched.usage.vpc?.secretReads ?? 0;
  return [
    `VPC: ${vpc.natGateways} NAT gateways; interface endpoints: ${endpoints || 'none'}; gateway endpoints (no charge): ${gateways}`,
    `  NAT data = ${count(report.scenario.transactions)} provider calls x ${count(a.providerCallBytes)} B at $${p.natGatewayGb}/GB; endpoint data = ${count(reads)} key reads (batched) x ${count(a.secretReadBytes)} B at $${p.interfaceEndpointGb}/GB`,
    `  fixed per month (${p.hoursPerMonth} h): NAT gateways ${monthly.natGateways} x $${p.natGatewayHour}/h = $${monthly.natGatewayHours.toFixed(2)}` +
      ` + interface endpoint AZs ${monthly.endpointAzs} x $${p.interfaceEndpointAzHour}/h = $${monthly.endpointAzHours.toFixed(2)}` +
      ` = $${monthly.total.toFixed(2)}`,
  ];
}

function drainLines(
  label: string,
  d: DrainEstimate,
  c: { batchSize: number; inBatchParallelism: number; maxConcurrency: number; pageSize: number },
  scenario: { latencyMs: number },
  usage: DesignCost['usage'],
): string[] {
  const a = ASSUMPTIONS;
  const pad = ' '.repeat(label.length + 4);
  const parallel = Math.min(c.inBatchParallelism, c.batchSize);
  return [
    `  ${label}: batch = ${a.batchFixedMs} + ceil(${c.batchSize} / ${parallel}) x (${scenario.latencyMs} + ${a.providerCallOverheadMs}) = ${ms(d.batchLambdaMs)}; child = ${a.childStartMs} + batch = ${ms(d.childMs)}`,
    `${pad}page = fetch-page (${a.handlerMs['fetch-page']} + ${a.fetchPageMsPerThousandIds} x ${count(Math.min(d.batchesPerPage * c.batchSize, c.pageSize) / 1_000)} thousand ids) + ${a.mapRunOverheadMs} + ceil(${d.batchesPerPage} batches / ${c.maxConcurrency}) x child = ${ms(d.pageMs)}`,
    `${pad}children in flight = min(${c.maxConcurrency}, ${d.batchesPerPage}) = ${d.childrenInFlight}; provider calls in flight = ${d.childrenInFlight} x ${parallel} = ${d.providerCallsInFlight} (configured ceiling ${c.maxConcurrency} x ${c.inBatchParallelism} = ${d.configuredProviderCallsInFlight})`,
    `${pad}drain = ${count(usage.pages)} pages x page + ${usage.executions} executions x (start-run + fetch-page) + ${usage.executions - usage.runs} x ContinueAsNew + ${usage.runs} x finish` +
      (usage.runs > 1 ? ` + ${usage.runs - 1} x half a schedule period` : '') +
      ` = ${duration(d.drainMs)} (${count(d.confirmationsPerSecond)} confirmations/s)`,
    `${pad}provider utilisation = ${count(d.confirmationsPerSecond)}/s x ${scenario.latencyMs + a.providerCallOverheadMs} ms / ${d.configuredProviderCallsInFlight} in flight = ${d.providerUtilisation.toFixed(2)}`,
    `${pad}limits (confirmations/s, lowest binds): ` +
      d.limits.map((l) => `${l.name} ${count(l.confirmationsPerSecond)}`).join('; '),
  ];
}

/** The drain targets of docs/performance.md, met or not, for the batched design. */
export const DRAIN_TARGETS = { secondsPerMillion: 360, providerUtilisation: 0.85 } as const;

function targetLines(report: CostReport): string[] {
  const d = report.batched.drain;
  const seconds = (DRAIN_TARGETS.secondsPerMillion * report.scenario.transactions) / 1_000_000;
  const met = (ok: boolean) => (ok ? 'met' : 'not met');
  return [
    `Targets (batched): drain.seconds ${Math.round(d.seconds)} <= ${Math.round(seconds)} (6 min per 1M): ${met(d.seconds <= seconds)};` +
      ` drain.providerUtilisation ${d.providerUtilisation.toFixed(2)} >= ${DRAIN_TARGETS.providerUtilisation}: ${met(d.providerUtilisation >= DRAIN_TARGETS.providerUtilisation)};` +
      ` binding limit: ${d.binding}`,
    ...d.limits.map((l) => `  ${l.name}: ${count(l.confirmationsPerSecond)}/s (${l.source})`),
  ];
}

if (require.main === module) {
  runCost(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
