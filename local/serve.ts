/**
 * `txc local serve`: the embedded runtime behind a Step Functions-compatible endpoint on
 * loopback, so that the AWS SDK, the AWS CLI (`--endpoint-url`) and `txc --local` drive it like
 * the deployed stack. Runs until SIGINT/SIGTERM; stopping aborts what is running (the lock is
 * released as on AWS; the conditional writes lose nothing).
 */
import { Command, Option } from 'commander';
import { integer } from '../ops/arg-parsers';
import { addProviderOptions, type ProviderFlags, providerKnobs } from './cli-options';
import { LocalRuntime } from './runtime';
import { LocalScheduler } from './scheduler';
import { startSfnEndpoint } from './sfn-endpoint';

export const DEFAULT_LOCAL_ENDPOINT_PORT = 8083;

export interface ServeOptions {
  readonly port: number;
  readonly dataDir?: string;
  readonly schedule: boolean;
  /** Demo PENDING transactions to seed at start. */
  readonly transactions: number;
  readonly provider: ReturnType<typeof providerKnobs>;
  readonly json: boolean;
  readonly out: (text: string) => void;
}

export interface Served {
  readonly url: string;
  readonly runtime: LocalRuntime;
  stop(): Promise<void>;
}

export async function serveLocal(options: ServeOptions): Promise<Served> {
  const runtime = await LocalRuntime.start({
    dataDir: options.dataDir,
    provider: options.provider,
  });
  let scheduler: LocalScheduler | undefined;
  try {
    if (options.transactions > 0) await runtime.seedTransactions(options.transactions);
    scheduler = options.schedule ? new LocalScheduler(runtime) : undefined;
    const endpoint = await startSfnEndpoint({ runtime, scheduler, port: options.port });
    scheduler?.start();
    const info = {
      stepFunctionsEndpoint: endpoint.url,
      stateMachineArn: runtime.stack.definition.stateMachineArn,
      dynamodbEndpoint: runtime.dynamodbEndpoint,
      providerUrl: runtime.provider.url,
      tables: runtime.stack.tableNames,
      schedule: scheduler
        ? {
            expression: scheduler.expression,
            state: scheduler.state(),
            nextRun: scheduler.nextFireTime()?.toISOString(),
          }
        : null,
      dataDir: options.dataDir ?? null,
      handlerLogs: runtime.logFile,
      seeded: options.transactions,
    };
    if (options.json) {
      options.out(`${JSON.stringify(info)}\n`);
    } else {
      options.out(
        [
          'txconfirm local endpoint (Ctrl-C to stop)',
          `  Step Functions endpoint: ${info.stepFunctionsEndpoint}`,
          `  state machine ARN:       ${info.stateMachineArn}`,
          `  DynamoDB endpoint:       ${info.dynamodbEndpoint}`,
          `  payment provider:        ${info.providerUrl} (simulated)`,
          `  tables:                  ${info.tables.transactions}, ${info.tables.runs}`,
          `  schedule:                ${info.schedule ? `${info.schedule.expression}, next run ${info.schedule.nextRun}` : 'off (--no-schedule)'}`,
          `  handler logs:            ${info.handlerLogs}`,
          `  seeded:                  ${info.seeded} demo transactions`,
          '',
          `Try: npm run txc -- start --local --wait   |   aws stepfunctions list-executions --endpoint-url ${info.stepFunctionsEndpoint} --state-machine-arn ${info.stateMachineArn}`,
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
    scheduler?.stop();
    await runtime.close();
    throw error;
  }
}

/**
 * `txc local serve` (registered by bin/txc.ts). Runs until SIGINT/SIGTERM, then stops the
 * schedule, the endpoint and the runtime (running executions are aborted; their lock released).
 */
export function localServeCommand(
  out: (text: string) => void = (t) => process.stdout.write(t),
): Command {
  // exitOverride: usage errors reach runTxc (exit code 2), like every other txc command.
  const local = new Command('local').description('the embedded local runtime').exitOverride();
  const serve = local
    .command('serve')
    .exitOverride()
    .description(
      'serve the synthesized workflow on loopback behind a Step Functions-compatible endpoint (with dynalite and the simulated provider)',
    )
    .addOption(
      new Option('--port <port>', 'port of the Step Functions endpoint (0: any free port)')
        .argParser(integer('--port', 0, 65535))
        .default(DEFAULT_LOCAL_ENDPOINT_PORT),
    )
    .option('--data-dir <dir>', 'keep the store, executions and logs on disk here')
    .option('--no-schedule', 'do not start executions on the stack schedule')
    .addOption(
      new Option('--transactions <n>', 'demo PENDING transactions to seed at start')
        .argParser(integer('--transactions', 0, 1_000_000))
        .default(0),
    );
  addProviderOptions(serve).action(
    async (
      o: ProviderFlags & {
        port: number;
        dataDir?: string;
        schedule: boolean;
        transactions: number;
      },
      command: Command,
    ) => {
      const json = Boolean(command.optsWithGlobals().json);
      const served = await serveLocal({
        port: o.port,
        dataDir: o.dataDir,
        schedule: o.schedule,
        transactions: o.transactions,
        provider: providerKnobs(o),
        json,
        out,
      });
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
    },
  );
  return local;
}
