/**
 * Which target a `txc` invocation acts on, decided from the flags and `$TXC_ENDPOINT` before
 * anything is resolved, and the `npm run txc -- …` commands that reach the same target again
 * (the next-step hints every command prints, `txc local serve`'s banner, the doctor's actions).
 *
 * No AWS SDK here: `local/cli/serve.ts` imports `txcCommand` to print its hints.
 *
 * The rule (docs/txc.md#targets):
 * - `--endpoint URL` → that local endpoint; `--local` → `$TXC_ENDPOINT`, else the default one.
 * - `--stage/--region/--profile` → the stack, even when `$TXC_ENDPOINT` is set (explicit flags win;
 *   a one-line note says `$TXC_ENDPOINT` was ignored).
 * - no target flag → `$TXC_ENDPOINT` set (non-empty): that local endpoint; else stack `Txconfirm-dev`.
 */
import { UsageError } from './errors';

export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:8083';
export const LOCAL_ENDPOINT_ENV = 'TXC_ENDPOINT';
export const DEFAULT_STAGE = 'dev';

/** The target flags as commander parsed them (undefined: not given). */
export interface TargetOptions {
  local?: boolean;
  endpoint?: string;
  stage?: string;
  region?: string;
  profile?: string;
}

/** A target, decided: what a hint repeats and what `resolveTarget` resolves. */
export type TargetSpec =
  | { kind: 'local'; endpoint: string }
  | { kind: 'aws'; stage: string; region?: string; profile?: string };

export interface TargetSelection {
  spec: TargetSpec;
  /** Set when `$TXC_ENDPOINT` was ignored because a stack flag was given (printed on stderr). */
  note?: string;
}

/** `http(s)://…` without trailing slashes; undefined when it is not an http(s) URL. */
export function normalEndpoint(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return value.replace(/\/+$/, '');
}

function endpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[LOCAL_ENDPOINT_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const endpoint = normalEndpoint(raw.trim());
  if (endpoint === undefined) {
    throw new UsageError(
      `${LOCAL_ENDPOINT_ENV} must be an http(s) URL, got ${JSON.stringify(raw)} — fix or unset it`,
    );
  }
  return endpoint;
}

const stackFlagsOf = (o: TargetOptions): string[] =>
  [
    o.stage === undefined ? undefined : '--stage',
    o.region === undefined ? undefined : '--region',
    o.profile === undefined ? undefined : '--profile',
  ].filter((f): f is string => f !== undefined);

/** The target of these flags in this environment (the rule above). Throws for a bad `$TXC_ENDPOINT` it would use. */
export function selectTarget(options: TargetOptions, env: NodeJS.ProcessEnv): TargetSelection {
  if (options.endpoint !== undefined) {
    return {
      spec: { kind: 'local', endpoint: normalEndpoint(options.endpoint) ?? options.endpoint },
    };
  }
  const stackFlags = stackFlagsOf(options);
  if (options.local === true || stackFlags.length === 0) {
    const fromEnv = endpointFromEnv(env);
    if (fromEnv !== undefined) return { spec: { kind: 'local', endpoint: fromEnv } };
    if (options.local === true)
      return { spec: { kind: 'local', endpoint: DEFAULT_LOCAL_ENDPOINT } };
  }
  const spec: TargetSpec = {
    kind: 'aws',
    stage: options.stage ?? DEFAULT_STAGE,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  const ignored = env[LOCAL_ENDPOINT_ENV];
  if (stackFlags.length > 0 && ignored !== undefined && ignored.trim() !== '') {
    return {
      spec,
      note: `note: ${stackFlags.join('/')} given, so ${LOCAL_ENDPOINT_ENV}=${ignored.trim()} is ignored: acting on stack Txconfirm-${spec.stage}`,
    };
  }
  return { spec };
}

/** The options that select exactly this target whatever the environment says. */
export function optionsOf(spec: TargetSpec): TargetOptions {
  return spec.kind === 'local'
    ? { local: true, endpoint: spec.endpoint }
    : {
        stage: spec.stage,
        ...(spec.region === undefined ? {} : { region: spec.region }),
        ...(spec.profile === undefined ? {} : { profile: spec.profile }),
      };
}

/**
 * The target flags a hint carries: `--local`, plus `--endpoint URL` unless it is the default
 * endpoint; or `--stage NAME` (always, so `$TXC_ENDPOINT` cannot divert it), plus `--region` and
 * `--profile` when they were given.
 */
export function targetArgs(spec: TargetSpec): string[] {
  if (spec.kind === 'local') {
    const endpoint = normalEndpoint(spec.endpoint) ?? spec.endpoint;
    return endpoint === DEFAULT_LOCAL_ENDPOINT ? ['--local'] : ['--local', '--endpoint', endpoint];
  }
  return [
    '--stage',
    spec.stage,
    ...(spec.region === undefined ? [] : ['--region', spec.region]),
    ...(spec.profile === undefined ? [] : ['--profile', spec.profile]),
  ];
}

/** A word as a POSIX shell reads it back unchanged (quoted only when it has to be). */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9._:/=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The prefix of every printed command (the project's npm script runs bin/txc.js). */
export const TXC_PREFIX = 'npm run txc --';

/**
 * `npm run txc -- <args> <target flags>`: a command that, pasted into a shell in the project,
 * acts on `spec`. `args` is the command and its own flags, as words (or one string of words
 * separated by spaces, none of which needs quoting).
 */
export function txcCommand(args: readonly string[] | string, spec: TargetSpec): string {
  const words = typeof args === 'string' ? args.split(/\s+/).filter((w) => w !== '') : args;
  return [TXC_PREFIX, ...[...words, ...targetArgs(spec)].map(shellWord)].join(' ');
}

/**
 * `npm run txc -- local serve`, with `--port N` when `endpoint` is a loopback one on another port
 * than the default: the command that starts an endpoint where `endpoint` points.
 */
export function localServeCommand(endpoint: string): string {
  const base = `${TXC_PREFIX} local serve`;
  const port = loopbackHttpPort(endpoint);
  return port !== undefined && port !== DEFAULT_LOCAL_ENDPOINT_PORT
    ? `${base} --port ${port}`
    : base;
}

/** The port of the default local endpoint (8083). */
export const DEFAULT_LOCAL_ENDPOINT_PORT = Number(new URL(DEFAULT_LOCAL_ENDPOINT).port);

/**
 * The port an `http://` loopback URL names (80 when it names none): where `txc local serve` would
 * listen for it. Undefined for any other URL, or for text that is not one.
 */
export function loopbackHttpPort(endpoint: string): number | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'http:' || !loopback) return undefined;
  return url.port === '' ? 80 : Number(url.port);
}

/** Builds the hints of one invocation: `npm run txc -- <args>` on its target. */
export type TxcCommandFor = (args: readonly string[] | string) => string;

export const txcCommandFor =
  (spec: TargetSpec): TxcCommandFor =>
  (args) =>
    txcCommand(args, spec);
