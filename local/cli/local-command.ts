/**
 * `txc local …` (registered by bin/txc.ts): the embedded local runtime.
 * - `txc local serve` (serve.ts): the runtime behind a Step Functions-compatible endpoint;
 * - `txc local provider …` (provider.ts): the simulated provider's fault modes of a running one;
 * - `txc local metrics` (metrics.ts): the metrics its handlers emitted and the alarms on them.
 */
import { Command } from 'commander';
import { type Io, processIo } from '../../cli/io';
import { localMetricsCommand } from './metrics';
import { localProviderCommand } from './provider';
import { localServeSubcommand } from './serve';

export interface LocalCommandDeps {
  /** Where output goes (default: stdout/stderr). */
  io?: Io;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export function localCommand(deps: LocalCommandDeps = {}): Command {
  const io = deps.io ?? processIo;
  const env = deps.env ?? process.env;
  // exitOverride: usage errors reach runTxc (exit code 2), like every other txc command.
  const local = new Command('local')
    .description('the embedded local runtime')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });
  local.addCommand(localServeSubcommand((text) => io.out(text), env));
  local.addCommand(localProviderCommand({ io, env, ...(deps.fetch ? { fetch: deps.fetch } : {}) }));
  local.addCommand(localMetricsCommand({ io, env, ...(deps.fetch ? { fetch: deps.fetch } : {}) }));
  return local;
}
