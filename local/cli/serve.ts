/**
 * `txc local serve`: the embedded runtime behind a Step Functions-compatible endpoint on
 * loopback, so that the AWS SDK, the AWS CLI (`--endpoint-url`) and `txc --local` drive it like
 * the deployed stack. Runs until SIGINT/SIGTERM; stopping aborts what is running (the lock is
 * released as on AWS; the conditional writes lose nothing).
 *
 * With `--data-dir D` the schedule's state is kept in `D/schedule.json` (a paused schedule stays
 * paused across a restart, as on AWS), and the banner says what the restart did: executions a
 * killed process left RUNNING (now ABORTED) and pending-index entries repaired.
 *
 * The operator console (docs/console.md) is served on the same port under /console unless
 * `--no-console`; the banner and `--json`'s `consoleUrl` give its URL.
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { integer } from '../../cli/arg-parsers';
import { txcAction } from '../../ops/program';
import { txcCommand } from '../../ops/target-spec';
import {
  addProviderOptions,
  type ProviderFlags,
  providerFlagsProblem,
  providerKnobs,
  providerModes,
} from './options';
import { defaultServePort } from './endpoint';
import { plannedFaults, providerNow } from './provider';
import { StatusLine } from './status-line';
import { restartJson, restartLines } from './summary';
import type { ProviderModesUpdate } from '../fakes/provider-simulator/fault-modes';
import { LocalRuntime } from '../runtime/local-runtime';
import { DataDirUnusable, prepareDataDir } from '../runtime/data-dir';
import { LocalScheduler, readScheduleState, ScheduleStateUnreadable } from '../aws/scheduler';
import { startSfnEndpoint } from '../aws/sfn-endpoint';
import { providerState } from '../aws/sfn-endpoint/txconfirm-routes';
import { UsageError } from '../../ops/errors';
import { boundHeapGrowth } from '../runtime/heap-growth';
import { seedStore } from './seed';

export { DEFAULT_LOCAL_ENDPOINT_PORT } from './endpoint';

/** The schedule's state file in a data dir. */
export const SCHEDULE_STATE_FILE = 'schedule.json';

export interface ServeOptions {
  readonly port: number;
  readonly dataDir?: string;
  readonly schedule: boolean;
  /** Demo PENDING transactions to seed at start. */
  readonly transactions: number;
  /** Seed from this export instead (local/runtime/import-file.ts). */
  readonly importFile?: string;
  readonly provider: ReturnType<typeof providerKnobs>;
  /** Fault modes from the start (windows count from when the endpoint is up). */
  readonly providerModes?: ProviderModesUpdate;
  /**
   * Start with the simulated provider refusing connections: a provider outage to rehearse
   * offline (runs defer every call; `txc doctor --local` fails its provider check) until
   * `txc local provider recover`.
   */
  readonly providerDown?: boolean;
  /** In memory: keep the handler logs' temporary folder after stopping. */
  readonly keepLogs?: boolean;
  /** Serve the operator console under /console. @default true */
  readonly console?: boolean;
  readonly json: boolean;
  readonly out: (text: string) => void;
  /** Start-up steps (stderr). */
  readonly status?: StatusLine;
}

export interface Served {
  readonly url: string;
  readonly runtime: LocalRuntime;
  stop(): Promise<void>;
}

export async function serveLocal(options: ServeOptions): Promise<Served> {
  boundHeapGrowth();
  const status = options.status ?? new StatusLine(process.stderr, false);
  if (options.dataDir !== undefined) {
    // An unusable data dir, or a state file that is not one, fails now, not after the synth.
    const dataDir = prepareDataDir(options.dataDir).path;
    if (options.schedule) readScheduleState(path.join(dataDir, SCHEDULE_STATE_FILE));
  }
  const runtime = await LocalRuntime.start({
    dataDir: options.dataDir,
    keepLogs: options.keepLogs,
    provider: options.provider,
    onPhase: (phase) => status.phase(phase),
  });
  let scheduler: LocalScheduler | undefined;
  try {
    const seeded = await seedStore(runtime, options, status);
    const stateFile =
      runtime.dataDir === undefined ? undefined : path.join(runtime.dataDir, SCHEDULE_STATE_FILE);
    scheduler = options.schedule ? new LocalScheduler(runtime, { stateFile }) : undefined;
    const endpoint = await startSfnEndpoint({
      runtime,
      scheduler,
      port: options.port,
      console: options.console !== false,
    });
    // The fault modes' windows count from here: the endpoint is up.
    const modes = options.providerModes ?? {};
    const outages = modes.outages === undefined || modes.outages === 'off' ? [] : modes.outages;
    const provider = await runtime.provider.setModes({
      ...modes,
      outages: options.providerDown
        ? [...outages, { startInMs: 0, mode: 'refuse' as const }]
        : outages,
    });
    scheduler?.start();
    status.done();

    const local = { kind: 'local' as const, endpoint: endpoint.url };
    const scheduleState = scheduler?.state();
    const restart = restartLines(runtime.restart);
    const info = {
      stepFunctionsEndpoint: endpoint.url,
      consoleUrl: endpoint.consoleUrl ?? null,
      stateMachineArn: runtime.stack.definition.stateMachineArn,
      dynamodbEndpoint: runtime.dynamodbEndpoint,
      providerUrl: runtime.provider.url,
      providerDown: options.providerDown === true,
      provider: providerState(runtime, provider),
      tables: runtime.stack.tableNames,
      schedule: scheduler
        ? {
            expression: scheduler.expression,
            state: scheduleState,
            nextRun: scheduler.nextFireTime()?.toISOString(),
            stateFile: stateFile ?? null,
          }
        : null,
      dataDir: runtime.dataDir ?? null,
      restart: runtime.restart.reopened ? restartJson(runtime.restart) : null,
      handlerLogs: runtime.logFile,
      logsRemovedOnExit: runtime.logsRemovedOnClose,
      seeded,
    };
    if (options.json) {
      options.out(`${JSON.stringify(info)}\n`);
    } else {
      const schedule = !scheduler
        ? 'off (--no-schedule)'
        : scheduleState === 'DISABLED'
          ? `${scheduler.expression}, PAUSED (DISABLED${stateFile ? `, kept in ${stateFile}` : ''}) — resume: ${txcCommand(['schedule', 'resume'], local)}`
          : `${scheduler.expression}, ENABLED, next run ${info.schedule?.nextRun}`;
      options.out(
        [
          'txconfirm local endpoint (Ctrl-C to stop)',
          `  Step Functions endpoint: ${info.stepFunctionsEndpoint}`,
          `  console:                 ${info.consoleUrl ?? 'off (--no-console)'}`,
          `  state machine ARN:       ${info.stateMachineArn}`,
          `  DynamoDB endpoint:       ${info.dynamodbEndpoint}`,
          `  payment provider:        ${info.providerUrl} (simulated): ${providerNow(info.provider)}`,
          ...plannedFaults(info.provider).map((line) => `                           ${line}`),
          `  tables:                  ${info.tables.transactions}, ${info.tables.runs}`,
          `  schedule:                ${schedule}`,
          `  data dir:                ${info.dataDir ?? 'none (in memory)'}`,
          ...restart.map((line) => `  restart:                 ${line.replace(/^restart: /, '')}`),
          `  handler logs:            ${info.handlerLogs}${info.logsRemovedOnExit ? ' (removed on exit; --keep-logs keeps them)' : ''}`,
          `  seeded:                  ${info.seeded} ${options.importFile === undefined ? 'demo transactions' : `transactions from ${options.importFile}`}`,
          '',
          'Try:',
          `  ${txcCommand(['start', '--wait'], local)}`,
          `  aws stepfunctions list-executions --endpoint-url ${info.stepFunctionsEndpoint} --state-machine-arn ${info.stateMachineArn}`,
          'Break or fix the provider (docs/local-runtime.md, "The provider\'s fault modes"):',
          `  ${txcCommand(['local', 'provider', 'outage', '--for', '5m'], local)}`,
          `  ${txcCommand(['local', 'provider', 'recover'], local)}`,
          '',
        ].join('\n'),
      );
    }
    return {
      url: endpoint.url,
      runtime,
      stop: async () => {
        scheduler?.stop();
        await endpoint.stop();
        await runtime.close();
      },
    };
  } catch (error) {
    status.done();
    scheduler?.stop();
    await runtime.close();
    throw error;
  }
}

interface ServeFlags extends ProviderFlags {
  port?: number;
  console: boolean;
  dataDir?: string;
  schedule: boolean;
  transactions: number;
  import?: string;
  providerDown?: boolean;
  keepLogs?: boolean;
}

/**
 * `txc local serve` (registered under `txc local` by local/cli/local-command.ts). Runs until
 * SIGINT/SIGTERM, then stops the schedule, the endpoint and the runtime (running executions are
 * aborted; their lock released). An unusable `--data-dir` is a usage error (exit 2) at once.
 */
export function localServeSubcommand(
  out: (text: string) => void = (t) => process.stdout.write(t),
  env: NodeJS.ProcessEnv = process.env,
): Command {
  const serve = new Command('serve')
    .exitOverride()
    .description(
      'serve the synthesized workflow on loopback behind a Step Functions-compatible endpoint (with dynalite and the simulated provider)',
    )
    .addOption(
      new Option(
        '--port <port>',
        'port of the Step Functions endpoint (0: any free port; default: the port of $TXC_ENDPOINT, else 8083)',
      ).argParser(integer('--port', 0, 65535)),
    )
    .option(
      '--data-dir <dir>',
      'keep the store, executions, the schedule state and logs on disk here',
    )
    .option('--no-schedule', 'do not start executions on the stack schedule')
    .option(
      '--no-console',
      'do not serve the operator console (a browser UI at <endpoint>/console; docs/console.md)',
    )
    .addOption(
      new Option('--transactions <n>', 'demo PENDING transactions to seed at start')
        .argParser(integer('--transactions', 0, 1_000_000))
        .default(0),
    )
    .addOption(
      new Option(
        '--import <file>',
        'seed from this export instead (CSV or JSON Lines with id, amount, currency, createdAt, status; for other column names use `txc import --local` once it serves)',
      ).conflicts('transactions'),
    )
    .option(
      '--provider-down',
      'the simulated provider refuses connections from the start, until `txc local provider recover` (rehearse an outage; txc doctor fails its provider check)',
    )
    .option(
      '--keep-logs',
      'without --data-dir: keep the temporary folder of the handler logs after stopping',
    );
  addProviderOptions(serve).action(
    txcAction(async (o: ServeFlags, command: Command) => {
      const problem = providerFlagsProblem(o, o.providerDown === true);
      if (problem !== undefined) throw new UsageError(problem);
      const json = Boolean(command.optsWithGlobals().json);
      let served: Served;
      try {
        served = await serveLocal({
          port: o.port ?? defaultServePort(env),
          dataDir: o.dataDir,
          schedule: o.schedule,
          transactions: o.transactions,
          ...(o.import === undefined ? {} : { importFile: o.import }),
          provider: providerKnobs(o),
          providerModes: providerModes(o),
          providerDown: o.providerDown === true,
          keepLogs: o.keepLogs === true,
          console: o.console,
          json,
          out,
          status: new StatusLine(process.stderr, !json || process.stderr.isTTY === true),
        });
      } catch (error) {
        // Nothing started: a data dir or state file the user must fix first.
        if (error instanceof DataDirUnusable || error instanceof ScheduleStateUnreadable) {
          process.stderr.write(`${error.name}: ${error.message}\n`);
          return 2;
        }
        throw error;
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('stopping: running executions are aborted (nothing is lost)\n');
      await served.stop();
      if (o.keepLogs === true && o.dataDir === undefined) {
        process.stderr.write(`handler logs kept in ${served.runtime.logFile} (--keep-logs)\n`);
      }
      return 0;
    }),
  );
  return serve;
}
