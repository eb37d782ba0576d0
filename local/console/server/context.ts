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
  /** Whether the endpoint answers RedriveExecution. */
  readonly redrive: boolean;
  /** How the Target is resolved from the endpoint's URL (default: `txc --local`'s). */
  readonly resolveTarget?: (url: string) => Promise<Target>;
  /** Where the browser app's sources are (default: local/console/app/). */
  readonly appDir?: string;
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
  readonly redrive: boolean;
  readonly assets: ConsoleAssets;
  readonly runs: RunLookup;
  /** The endpoint's URL, e.g. `http://127.0.0.1:8083`; throws before it listens. */
  url(): string;
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
  const resolve = options.resolveTarget ?? ((url: string) => resolveLocalTarget(url));
  let url: string | undefined;
  let hosts: ReadonlySet<string> = new Set();
  let target: Promise<Target> | undefined;
  let resolved: Target | undefined;
  let closed = false;

  const deps: ConsoleDeps = {
    token: newConsoleToken(),
    startedAt: new Date().toISOString(),
    stateMachineArn: definition.stateMachineArn,
    stateMachineName: definition.stateMachineName,
    region: definition.stateMachineArn.split(':')[3] ?? '',
    topLevelStates: new Set(Object.keys(definition.definition.States)),
    redrive: options.redrive,
    assets: new ConsoleAssets(options.runtime.stack, options.appDir),
    runs: new RunLookup(),
    url: () => {
      if (url === undefined) throw new Error('the console is not listening yet');
      return url;
    },
    hosts: () => hosts,
    target: () => {
      target ??= resolve(deps.url()).then(
        (t) => {
          resolved = t;
          // Stopped while resolving: nothing else will close it.
          if (closed) t.close();
          return t;
        },
        (error: unknown) => {
          target = undefined;
          throw error;
        },
      );
      return target;
    },
  };
  return {
    deps,
    listening: (listeningUrl) => {
      url = listeningUrl;
      hosts = loopbackHosts(listeningUrl);
    },
    close: () => {
      closed = true;
      resolved?.close();
    },
  };
}
