/**
 * Flags of `npm start` (bin/txconfirm-local.ts), parsed with commander. Every bad flag is a
 * usage error (exit code 2) with a message naming the flag; nothing runs.
 */
import { Command, CommanderError, Option } from 'commander';
import { integer, rate } from '../ops/arg-parsers';

export interface LocalRunOptions extends ProviderFlags {
  transactions: number;
  dataDir?: string;
  json: boolean;
  schedule: boolean;
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
}

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
      new Option('--seed <n>', 'seed of the simulated provider (reproducible outcomes)')
        .argParser(integer('--seed', 0, 2 ** 31 - 1))
        .default(1),
    );
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
    .option(
      '--data-dir <dir>',
      'keep the store, executions and logs on disk here (survives restarts; resumes what is pending)',
    )
    .option('--json', 'print the summary as JSON on stdout (progress stays on stderr)', false)
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
  if (o.failureRate + o.timeoutRate > 1) {
    io.err(
      `error: --failure-rate + --timeout-rate must be at most 1, got ${o.failureRate} + ${o.timeoutRate}\n`,
    );
    return { kind: 'exit', code: 2 };
  }
  return { kind: 'run', options: { ...o } };
}
