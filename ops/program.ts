/**
 * `txc`, the operator CLI (commander). Every command takes the target flags (`--local
 * [--endpoint URL]` or `--stage NAME [--region R] [--profile P]`) and `--json`. Exit codes: 0 ok,
 * 1 failure, 2 usage error (the message names the flag). Errors print as `Name: message`.
 *
 * bin/txc.ts builds the program here and may register more commands on it (`local serve`) before
 * running it with `runTxc`: subcommands inherit the output and exit handling, and an action
 * wrapped in `txcAction` sets the exit code by returning it.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DOCTOR_TIMEOUT_SECONDS, doctorCommand } from './commands/doctor';
import { DEFAULT_FAILED_LIMIT, failedCommand } from './commands/failed';
import { importCommand, type ImportOptions, prepareImport } from './commands/import';
import { pendingCommand } from './commands/pending';
import { requeueCommand, checkRequeueOptions } from './commands/requeue';
import { runsCommand } from './commands/runs';
import { SCHEDULE_ACTIONS, scheduleCommand, type ScheduleAction } from './commands/schedule';
import { prepareStart, startCommand, type StartOptions } from './commands/start';
import { redriveCommand, type RedriveOptions } from './commands/redrive';
import { statusCommand } from './commands/status';
import { integer } from '../cli/arg-parsers';
import { IMPORT_FORMATS } from './import/source';
import { MAX_AMOUNT_SCALE } from './import/mapping';
import { DEFAULT_IMPORT_CONCURRENCY } from './import/run-import';
import { formatError, isUsageError } from './errors';
import { type Io, LIST_ROWS, processIo, widthOf } from '../cli/io';
import type { NetworkProbe } from './doctor/probes';
import { resolveTarget, stackNameOf, type Target } from './target';
import {
  DEFAULT_LOCAL_ENDPOINT,
  DEFAULT_STAGE,
  LOCAL_ENDPOINT_ENV,
  normalEndpoint,
  optionsOf,
  selectTarget,
  type TargetOptions,
  type TargetSpec,
  type TxcCommandFor,
  txcCommandFor,
} from './target-spec';

export interface TxcDeps {
  /** Where output goes (default: stdout/stderr). */
  io?: Io;
  env?: NodeJS.ProcessEnv;
  /**
   * How a target becomes a Target (default: ops/target.ts resolveTarget). It is given the options
   * of the target already chosen (ops/target-spec.ts selectTarget: flags, then $TXC_ENDPOINT).
   */
  resolveTarget?: (options: TargetOptions) => Promise<Target>;
  fetch?: typeof fetch;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** DescribeExecution interval of `start --wait`. @default 500 */
  pollMs?: number;
  /** DNS and TLS/TCP probes of `doctor` (default: node:dns, node:tls, node:net). */
  probe?: NetworkProbe;
}

/** The global flags every command sees (`command.optsWithGlobals()`). */
export interface GlobalOptions extends TargetOptions {
  json?: boolean;
}

const DEFAULT_POLL_MS = 500;

const exitCodes = new WeakMap<Command, number>();

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/**
 * Wraps an action that returns its exit code. Commander passes the command itself as the last
 * argument; the code is kept for `runTxc`.
 */
export function txcAction<A extends unknown[]>(
  fn: (...args: [...A, Command]) => Promise<number>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const code = await fn(...(args as [...A, Command]));
    exitCodes.set(rootOf(command), code);
  };
}

const endpointUrl = (value: string): string => {
  const endpoint = normalEndpoint(value);
  if (endpoint === undefined) {
    throw new InvalidArgumentError(`--endpoint must be an http(s) URL, got "${value}"`);
  }
  return endpoint;
};

const stageName = (value: string): string => {
  // The stack is Txconfirm-<stage>: CloudFormation allows letters, digits and hyphens.
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,100}$/.test(value)) {
    throw new InvalidArgumentError(`--stage must be letters, digits and hyphens, got "${value}"`);
  }
  return value;
};

const nonEmpty = (flag: string) => (value: string) => {
  if (value.trim() === '') throw new InvalidArgumentError(`${flag} must not be empty`);
  return value;
};

/** What every action gets: its target (resolved on demand), how to print hints, the output width. */
interface ActionContext {
  spec: TargetSpec;
  target: () => Promise<Target>;
  /** `npm run txc -- …` on this target (ops/target-spec.ts txcCommand). */
  txc: TxcCommandFor;
  json: boolean;
  width: number;
}

export function buildTxcProgram(deps: TxcDeps = {}): Command {
  const io = deps.io ?? processIo;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const env = deps.env ?? process.env;
  const resolve =
    deps.resolveTarget ??
    ((options: TargetOptions) =>
      resolveTarget(options, { env, ...(deps.fetch ? { fetch: deps.fetch } : {}) }));

  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();
  /** The target of this invocation (flags, then $TXC_ENDPOINT); a note when that was ignored. */
  const contextOf = (command: Command): ActionContext => {
    const o = globals(command);
    const { spec, note } = selectTarget(
      {
        ...(o.local === undefined ? {} : { local: o.local }),
        ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
        ...(o.stage === undefined ? {} : { stage: o.stage }),
        ...(o.region === undefined ? {} : { region: o.region }),
        ...(o.profile === undefined ? {} : { profile: o.profile }),
      },
      env,
    );
    if (note !== undefined) io.err(`${note}\n`);
    return {
      spec,
      target: () => resolve(optionsOf(spec)),
      txc: txcCommandFor(spec),
      json: o.json === true,
      width: widthOf(io),
    };
  };

  const program = new Command('txc')
    .description(
      'Operator CLI of txconfirm: start and follow runs, inspect the backlog, requeue FAILED transactions, pause the schedule, check a deployment.',
    )
    // Output and exit handling first: subcommands copy them when they are created.
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false)
    .addOption(
      new Option(
        '--local',
        `act on the local endpoint (\`npm run txc -- local serve\`) instead of a deployed stack`,
      ).conflicts(['stage', 'region', 'profile']),
    )
    .addOption(
      new Option(
        '--endpoint <url>',
        `the local endpoint (implies --local; default $${LOCAL_ENDPOINT_ENV} or ${DEFAULT_LOCAL_ENDPOINT})`,
      )
        .argParser(endpointUrl)
        .conflicts(['stage', 'region', 'profile']),
    )
    .addOption(
      new Option(
        '--stage <name>',
        `the deployed stage: stack Txconfirm-<stage> (default: ${DEFAULT_STAGE}; without any target flag, $${LOCAL_ENDPOINT_ENV} when set means --local)`,
      ).argParser(stageName),
    )
    .addOption(
      new Option('--region <region>', 'AWS region (default: the SDK chain)').argParser(
        nonEmpty('--region'),
      ),
    )
    .addOption(
      new Option('--profile <name>', 'AWS profile (default: the SDK chain)').argParser(
        nonEmpty('--profile'),
      ),
    )
    .option('--json', 'print the result as JSON on stdout (for scripts)');

  program
    .command('start')
    .description(
      "start an execution; the input is validated with the workflow's own schema before it is sent",
    )
    .option(
      '--ids <ids>',
      'comma-separated transaction ids to process instead of paging the pending index',
    )
    .option('--dry-run', 'classify and count, call no provider, write nothing to transactions')
    .option('--max-items <n>', 'stop after this many transactions (1..1000000)')
    .option(
      '--created-before <time>',
      'only transactions created before this ISO-8601 time (with zone)',
    )
    .option('--name <name>', 'the execution name (default: generated by Step Functions)')
    .option('--wait', 'wait for the run to end (following continue-as-new) and print its summary')
    .action(
      txcAction(async (options: StartOptions, command: Command) => {
        const start = prepareStart(options);
        const c = contextOf(command);
        return startCommand(await c.target(), start, {
          io,
          json: c.json,
          pollMs: deps.pollMs ?? DEFAULT_POLL_MS,
          sleep,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('status')
    .description(
      'an execution: status, run record and totals, SKIPPED holder, page progress, the lock',
    )
    .argument('<execution>', 'execution ARN, or its name (in the target state machine)')
    .action(
      txcAction(async (ref: string, _options: unknown, command: Command) => {
        const c = contextOf(command);
        return statusCommand(await c.target(), ref, {
          io,
          json: c.json,
          now,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('redrive')
    .description(
      'redrive a FAILED, TIMED_OUT or ABORTED execution from where it stopped — only when it stopped in StartRun, before taking the run lock; otherwise says why a new run is the recovery (--force redrives anyway)',
    )
    .argument('<execution>', 'execution ARN, or its name (in the target state machine)')
    .option('--force', 'redrive even when it stopped after StartRun')
    .option('--wait', 'wait for the redriven execution to end')
    .action(
      txcAction(async (ref: string, options: RedriveOptions, command: Command) => {
        const c = contextOf(command);
        return redriveCommand(await c.target(), ref, options, {
          io,
          json: c.json,
          pollMs: deps.pollMs ?? DEFAULT_POLL_MS,
          sleep,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('runs')
    .description('recent runs, newest first, with status and totals')
    .addOption(
      new Option('--limit <n>', 'how many runs (1..1000)')
        .argParser(integer('--limit', 1, 1000))
        .default(20),
    )
    .action(
      txcAction(async (options: { limit: number }, command: Command) => {
        const c = contextOf(command);
        return runsCommand(await c.target(), options, {
          io,
          json: c.json,
          now,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('pending')
    .description('the backlog: PENDING transactions per shard of the pending index, and the oldest')
    .option('--verbose', `every shard (default: beyond ${LIST_ROWS}, those with the oldest items)`)
    .action(
      txcAction(async (options: { verbose?: boolean }, command: Command) => {
        const c = contextOf(command);
        return pendingCommand(await c.target(), options, {
          io,
          json: c.json,
          now,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('failed')
    .description('FAILED transactions with their last error, attempts and time')
    .addOption(
      new Option('--limit <n>', 'show at most this many (1..10000)')
        .argParser(integer('--limit', 1, 10_000))
        .default(DEFAULT_FAILED_LIMIT),
    )
    .option(
      '--verbose',
      `a row per transaction (default: beyond ${LIST_ROWS}, a summary by kind of error)`,
    )
    .action(
      txcAction(async (options: { limit: number; verbose?: boolean }, command: Command) => {
        const c = contextOf(command);
        return failedCommand(await c.target(), options, {
          io,
          json: c.json,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('requeue')
    .description(
      'put FAILED transactions back to PENDING (attempts 0, back in the pending index, audit fields kept); others are skipped untouched',
    )
    .argument('[ids...]', 'transaction ids')
    .option('--all-failed', 'every FAILED transaction')
    .option('--reason <text>', 'why (stored as requeueReason)')
    .option('--verbose', `a row per id (default: beyond ${LIST_ROWS} ids, a summary per outcome)`)
    .action(
      txcAction(
        async (
          ids: string[],
          options: { allFailed?: boolean; reason?: string; verbose?: boolean },
          command: Command,
        ) => {
          const requeueOptions = { ids, ...options };
          checkRequeueOptions(requeueOptions);
          const c = contextOf(command);
          return requeueCommand(await c.target(), requeueOptions, {
            io,
            json: c.json,
            now,
            txc: c.txc,
            width: c.width,
          });
        },
      ),
    );

  program
    .command('import')
    .description(
      "import an old database's export (CSV or JSON Lines) as new PENDING transactions: conditional writes (never overwrites), safe to run again; a report file lists every row not imported",
    )
    .argument('<file>', 'the export: .csv (with a header row) or .jsonl, UTF-8')
    .addOption(
      new Option('--format <format>', 'csv | jsonl (default: from the extension)').choices(
        IMPORT_FORMATS,
      ),
    )
    .option(
      '--map <FIELD=COLUMN,...>',
      "the export's column of a field (id, amount, currency, createdAt, status); repeatable",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--mapping <file>', 'a JSON mapping file: {columns, pendingStatuses, amountScale}')
    .option(
      '--pending-status <values>',
      'comma-separated status values that mean pending (default: PENDING; case is ignored)',
    )
    .addOption(
      new Option(
        '--amount-scale <digits>',
        `decimal places of the export's amounts (2: 12.34 is 1234 minor units; default 0)`,
      ).argParser(integer('--amount-scale', 0, MAX_AMOUNT_SCALE)),
    )
    .option('--report <file>', 'where the report goes (default: <file name>.import-report.csv)')
    .option('--dry-run', 'read, check and compare with the table; write nothing')
    .option('--accept-rejects', 'exit 0 even when rows were rejected (conflicts still exit 1)')
    .addOption(
      new Option('--rate <rows>', 'rows written per second at most (default: no limit)').argParser(
        integer('--rate', 1, 1_000_000),
      ),
    )
    .addOption(
      new Option('--concurrency <n>', 'writes of up to 100 rows in flight (1..64)')
        .argParser(integer('--concurrency', 1, 64))
        .default(DEFAULT_IMPORT_CONCURRENCY),
    )
    .option('--no-progress', 'no progress lines on stderr')
    .action(
      txcAction(async (file: string, options: ImportOptions, command: Command) => {
        const prepared = prepareImport(file, options);
        const c = contextOf(command);
        return importCommand(await c.target(), prepared, options, {
          io,
          json: c.json,
          txc: c.txc,
          width: c.width,
        });
      }),
    );

  program
    .command('schedule')
    .description('show, pause or resume the schedule that starts runs')
    .addArgument(
      new Argument('[action]', 'show | pause | resume').choices(SCHEDULE_ACTIONS).default('show'),
    )
    .action(
      txcAction(async (action: ScheduleAction, _options: unknown, command: Command) => {
        const c = contextOf(command);
        return scheduleCommand(await c.target(), action, { io, json: c.json, width: c.width });
      }),
    );

  program
    .command('doctor')
    .description(
      'preflight: stack, provider secret and endpoint, schedule, alarm routing, run lock, dead-letter queues, backlog; exit 1 on any fail',
    )
    .addOption(
      new Option('--timeout <seconds>', 'bound of the whole run (1..300)')
        .argParser(integer('--timeout', 1, 300))
        .default(DOCTOR_TIMEOUT_SECONDS),
    )
    .action(
      txcAction(async (options: { timeout: number }, command: Command) => {
        const c = contextOf(command);
        const { spec } = c;
        return doctorCommand({
          io,
          json: c.json,
          now,
          resolve: c.target,
          requested:
            spec.kind === 'local'
              ? { kind: 'local', label: `local endpoint ${spec.endpoint}`, stage: DEFAULT_STAGE }
              : { kind: 'aws', label: `stack ${stackNameOf(spec.stage)}`, stage: spec.stage },
          txc: c.txc,
          timeoutMs: options.timeout * 1000,
          ...(deps.probe === undefined ? {} : { probe: deps.probe }),
        });
      }),
    );

  return program;
}

/** `Name: message` (ops/errors.ts; kept here for the callers of this module). */
export { formatError };

/**
 * Parses argv (without node and script), runs the command and returns the exit code: 0 ok, 1
 * failure, 2 usage error. Nothing is thrown.
 */
export async function runTxc(
  argv: readonly string[],
  deps: TxcDeps = {},
  program: Command = buildTxcProgram(deps),
): Promise<number> {
  const io = deps.io ?? processIo;
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return 2;
    }
    io.err(`${formatError(err)}\n`);
    return isUsageError(err) ? 2 : 1;
  }
  return exitCodes.get(program) ?? 0;
}
