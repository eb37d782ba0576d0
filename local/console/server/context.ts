/**
 * What the console's handler works with, for one endpoint process: the token, the start time,
 * the state machine, its files, and the Target every API answer is read through — resolved as
 * `txc --local` resolves it (ops/target.ts resolveLocalTarget on the endpoint's own URL: the
 * Step Functions API of this very server, the store it describes), lazily, once the server
 * listens. So the console and `txc` read the runtime by one code path.
 */
import type { LocalRuntime } from '../../runtime/local-runtime';
import { resolveLocalTarget, type Target } from '../../../ops/target';
import { ConsoleAssets } from './assets';
import { RunLookup } from './run-lookup';
import { loopbackHosts, newConsoleToken } from './security';

export interface ConsoleOptions {
  readonly runtime: LocalRuntime;
}

export interface ConsoleDeps {
  readonly token: string;
  /** When this process's console started (the app reloads its token when it changes). */
  readonly startedAt: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly region: string;
  /** The names of the top-level states (the graph highlights those an execution entered). */
  readonly topLevelStates: ReadonlySet<string>;
  readonly assets: ConsoleAssets;
  readonly runs: RunLookup;
  /** The Host headers that name this server. */
  hosts(): ReadonlySet<string>;
  /** The Target (resolved at the first call; a failed resolution is tried again next time). */
  target(): Promise<Target>;
}

export interface OperatorConsole {
  readonly deps: ConsoleDeps;
  /** Called once the endpoint listens at `url`. */
  listening(url: string): void;
  /** Closes the Target's clients. */
  close(): void;
}

export function createConsole(options: ConsoleOptions): OperatorConsole {
  const { definition } = options.runtime.stack;
  let url: string | undefined;
  let hosts: ReadonlySet<string> = new Set();
  let target: Promise<Target> | undefined;

  const deps: ConsoleDeps = {
    token: newConsoleToken(),
    startedAt: new Date().toISOString(),
    stateMachineArn: definition.stateMachineArn,
    stateMachineName: definition.stateMachineName,
    region: definition.stateMachineArn.split(':')[3] ?? '',
    topLevelStates: new Set(Object.keys(definition.definition.States)),
    assets: new ConsoleAssets(options.runtime.stack),
    runs: new RunLookup(),
    hosts: () => hosts,
    target: () => {
      if (url === undefined) throw new Error('the console is not listening yet');
      target ??= resolveLocalTarget(url).catch((error: unknown) => {
        target = undefined;
        throw error;
      });
      return target;
    },
  };
  return {
    deps,
    listening: (listeningUrl) => {
      url = listeningUrl;
      hosts = loopbackHosts(listeningUrl);
    },
    // A Target still resolving is closed once it is resolved.
    close: () =>
      void target?.then(
        (t) => t.close(),
        () => undefined,
      ),
  };
}
