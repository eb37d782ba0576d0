/**
 * Flags of `npm start` (bin/txconfirm-local.ts), parsed with commander. Every bad flag is a
 * usage error (exit code 2) with a message naming the flag; nothing runs.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { integer, rate } from '../../cli/arg-parsers';
import {
  type AuthFailure,
  InvalidProviderMode,
  type OutageMode,
  OUTAGE_MODES,
  parseOutageSpec,
  parseSlowSpec,
  type ProviderModesUpdate,
} from '../fakes/provider-simulator/fault-modes';

export interface LocalRunOptions extends ProviderFlags {
  transactions: number;
  /** Seed from this export (CSV or JSON Lines, txconfirm's column names) instead of demo transactions. */
  import?: string;
  dataDir?: string;
  json: boolean;
  schedule: boolean;
  /** In memory: keep the temporary folder of the handler logs (printed) instead of removing it. */
  keepLogs: boolean;
}

export const DEFAULT_TRANSACTIONS = 10_000;
export const MAX_TRANSACTIONS = 1_000_000;

/** The simulated provider's flags, shared by `npm start` and `txc local serve`. */
export interface ProviderFlags {
  providerLatencyMs: number;
  providerJitterMs: number;
  failureRate: number;
  rejectionRate: number;
  timeoutRate: number;
  seed: number;
  /** The fault modes (docs/local-runtime.md, "The provider's fault modes"). */
  permanentErrorRate: number;
  authFailure?: AuthFailure;
  /** `DURATION[@START]` each, as typed (checked when parsed). */
  outage: string[];
  outageMode?: OutageMode;
  /** `LATENCY[@START][+DURATION]` each, as typed (checked when parsed). */
  slow: string[];
}

/** A fault-mode flag's value through its parser; its error names the flag (usage error, exit 2). */
const modeFlag =
  <T>(flag: string, parse: (text: string, what: string) => T) =>
  (value: string, previous: string[] = []): string[] => {
    try {
      parse(value, flag);
    } catch (error) {
      if (error instanceof InvalidProviderMode) throw new InvalidArgumentError(error.message);
      throw error;
    }
    return [...previous, value];
  };

const SEED_HELP =
  'seed of the simulated provider and of the demo ids (demo-<seed>-0000001, …): the same seed and flags give every transaction the same outcome in every run; timings, tx/s and run ids vary, and with --data-dir a new seeding continues the numbering (new ids, new draws)';

export function addProviderOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--provider-latency-ms <ms>', 'simulated provider latency per call')
        .argParser(integer('--provider-latency-ms', 0, 60_000))
        .default(20),
    )
    .addOption(
      new Option('--provider-jitter-ms <ms>', 'random extra latency, 0..ms')
        .argParser(integer('--provider-jitter-ms', 0, 60_000))
        .default(0),
    )
    .addOption(
      new Option('--failure-rate <r>', 'share of provider calls failing transiently (5xx/429)')
        .argParser(rate('--failure-rate'))
        .default(0),
    )
    .addOption(
      new Option('--rejection-rate <r>', 'share of transactions the provider rejects')
        .argParser(rate('--rejection-rate'))
        .default(0.05),
    )
    .addOption(
      new Option('--timeout-rate <r>', 'share of provider calls that never answer in time')
        .argParser(rate('--timeout-rate'))
        .default(0),
    )
    .addOption(
      new Option('--seed <n>', SEED_HELP).argParser(integer('--seed', 0, 2 ** 31 - 1)).default(1),
    )
    .addOption(
      new Option(
        '--permanent-error-rate <r>',
        'share of transactions the provider refuses for good (400 with a reason: FAILED PROVIDER_HTTP_400)',
      )
        .argParser(rate('--permanent-error-rate'))
        .default(0),
    )
    .addOption(
      new Option(
        '--auth-failure <status>',
        'wrong credentials: every provider call answers 401 or 403 (the run fails with SystemicFault)',
      )
        .choices(['401', '403'])
        .argParser((value) => {
          if (value !== '401' && value !== '403') {
            throw new InvalidArgumentError(`--auth-failure must be 401 or 403, got "${value}"`);
          }
          return Number(value) as AuthFailure;
        }),
    )
    .addOption(
      new Option(
        '--outage <window>',
        'an outage DURATION[@START], e.g. 30s@10s (30 s long, 10 s after the run starts); repeatable; every call answers 503 + Retry-After (or see --outage-mode)',
      )
        .argParser(modeFlag('--outage', (text, what) => parseOutageSpec(text, '503', what)))
        .default([], 'none'),
    )
    .addOption(
      new Option(
        '--outage-mode <mode>',
        'during --outage windows: 503 (answer 503 + Retry-After) or refuse (refuse connections)',
      ).choices(OUTAGE_MODES as string[]),
    )
    .addOption(
      new Option(
        '--slow <window>',
        'slow then recovering: LATENCY[@START][+DURATION], e.g. 2000ms@0s+60s (2 s per call for the first minute, then --provider-latency-ms again); repeatable',
      )
        .argParser(modeFlag('--slow', parseSlowSpec))
        .default([], 'none'),
    );
}

/**
 * The fault modes those flags ask for, relative to when they are applied (the run or the endpoint
 * starting). Flags are checked when parsed, so this does not throw for parsed flags.
 */
export function providerModes(flags: ProviderFlags): ProviderModesUpdate {
  const mode = flags.outageMode ?? '503';
  return {
    permanentErrorRate: flags.permanentErrorRate,
    authFailure: flags.authFailure ?? null,
    outages: flags.outage.map((text) => parseOutageSpec(text, mode, '--outage')),
    slow: flags.slow.map((text) => parseSlowSpec(text, '--slow')),
  };
}

/** A usage problem of the fault-mode flags together (one flag alone is checked when parsed). */
export function providerFlagsProblem(
  flags: ProviderFlags,
  providerDown = false,
): string | undefined {
  if (flags.outageMode !== undefined && flags.outage.length === 0 && !providerDown) {
    return '--outage-mode goes with --outage (it says how the outage windows answer)';
  }
  return undefined;
}

/** The simulator options those flags stand for. */
export function providerKnobs(flags: ProviderFlags) {
  return {
    latencyMs: flags.providerLatencyMs,
    jitterMs: flags.providerJitterMs,
    transientErrorRate: flags.failureRate,
    rejectionRate: flags.rejectionRate,
    timeoutRate: flags.timeoutRate,
    seed: flags.seed,
    // The CLI reads the simulator's counters only: a list of every call would grow with the
    // backlog (docs/performance.md, "Memory of a local run").
    recordCalls: false,
  };
}

export function buildCommand(): Command {
  return addProviderOptions(new Command('txconfirm-local'))
    .description(
      'Runs the synthesized txconfirm workflow on this machine: dynalite store, simulated payment provider, in-process handlers.',
    )
    .addOption(
      new Option('--transactions <n>', 'demo PENDING transactions to seed (0 seeds nothing)')
        .argParser(integer('--transactions', 0, MAX_TRANSACTIONS))
        .default(DEFAULT_TRANSACTIONS),
    )
    .addOption(
      new Option(
        '--import <file>',
        'seed from this export instead (CSV or JSON Lines with id, amount, currency, createdAt, status; as `txc import`)',
      ).conflicts('transactions'),
    )
    .option(
      '--data-dir <dir>',
      'keep the store, executions and logs on disk here (survives restarts; resumes what is pending)',
    )
    .option('--json', 'print the summary as JSON on stdout (progress stays on stderr)', false)
    .option(
      '--keep-logs',
      'without --data-dir: keep the temporary folder of the handler logs (its path is printed) instead of removing it on exit',
      false,
    )
    .option(
      '--schedule',
      "start executions on the stack's schedule expression until Ctrl-C (graceful stop)",
      false,
    )
    .allowExcessArguments(false)
    .showHelpAfterError('(run with --help for usage)');
}

export type ParseResult =
  { kind: 'run'; options: LocalRunOptions } | { kind: 'exit'; code: number };

/**
 * Parses argv (without node and script). Help and version print and return `exit 0`; a usage
 * error prints commander's message and returns `exit 2`.
 */
export function parseLocalRunArgs(
  argv: readonly string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): ParseResult {
  const command = buildCommand()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
        return { kind: 'exit', code: 0 };
      }
      return { kind: 'exit', code: 2 };
    }
    throw error;
  }
  const o = command.opts<LocalRunOptions>();
  if (o.dataDir !== undefined && o.dataDir.trim() === '') {
    io.err('error: --data-dir must not be empty\n');
    return { kind: 'exit', code: 2 };
  }
  const modesProblem = providerFlagsProblem(o);
  if (modesProblem !== undefined) {
    io.err(`error: ${modesProblem}\n`);
    return { kind: 'exit', code: 2 };
  }
  if (o.failureRate + o.timeoutRate > 1) {
    io.err(
      `error: --failure-rate + --timeout-rate must be at most 1, got ${o.failureRate} + ${o.timeoutRate}\n`,
    );
    return { kind: 'exit', code: 2 };
  }
  return { kind: 'run', options: { ...o } };
}
