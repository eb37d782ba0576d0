// `txc local serve` and `txc` as child processes, as a user runs them (test/ops/txc-local.test.ts,
// test/ops/doctor-local.test.ts, test/local/serve-restart.test.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TXC = path.join(ROOT, 'bin', 'txc.js');

/** The first line `txc local serve --json` prints. */
export interface ServeInfo {
  stepFunctionsEndpoint: string;
  /** The operator console's URL; null with --no-console. */
  consoleUrl: string | null;
  stateMachineArn: string;
  dynamodbEndpoint: string;
  providerUrl: string;
  providerDown?: boolean;
  /** The simulated provider's fault modes at start (GET /txconfirm/provider's shape). */
  provider?: { listening: boolean; outages: unknown[]; slow: unknown[] };
  tables: { transactions: string; runs: string; pendingIndex: string };
  schedule: {
    expression: string;
    state: string;
    nextRun?: string;
    stateFile?: string | null;
  } | null;
  dataDir?: string | null;
  /** What reopening the data dir did; null for a new one or in memory. */
  restart?: {
    reopened: boolean;
    abortedExecutions: string[];
    repairedIndexEntries: string[];
  } | null;
  handlerLogs?: string;
  logsRemovedOnExit?: boolean;
}

export interface Served {
  child: ChildProcess;
  info: ServeInfo;
  stop(): Promise<void>;
}

export interface ServeChildOptions {
  /** Extra environment (e.g. TXC_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
}

/** Starts `txc local serve --port 0 --json <args>` and waits for its description. */
export async function serve(args: string[], options: ServeChildOptions = {}): Promise<Served> {
  const { child, exited, firstOutput } = spawnServe(['--port', '0', '--json', ...args], options);
  const info = JSON.parse(
    (await firstOutput((out) => out.includes('\n'))).split('\n')[0],
  ) as ServeInfo;
  return { child, info, stop: () => stopChild(child, exited) };
}

/** The human banner of `txc local serve --port 0 <args>` and the endpoint it names. */
export interface ServedHuman {
  child: ChildProcess;
  banner: string;
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts `txc local serve --port 0 <args>` (no --json) and waits for its whole banner. */
export async function serveHuman(
  args: string[],
  options: ServeChildOptions = {},
): Promise<ServedHuman> {
  const { child, exited, firstOutput } = spawnServe(['--port', '0', ...args], options);
  // The banner ends with the "Break or fix the provider" commands and an empty line.
  const banner = await firstOutput((out) => /local provider recover.*\n\n?$/s.test(out));
  const endpoint = /Step Functions endpoint: (\S+)/.exec(banner)?.[1];
  if (endpoint === undefined) throw new Error(`no endpoint in the banner:\n${banner}`);
  return { child, banner, endpoint, stop: () => stopChild(child, exited) };
}

function spawnServe(args: string[], options: ServeChildOptions) {
  const child = spawn(process.execPath, [TXC, 'local', 'serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const firstOutput = (done: (out: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (done(stdout)) resolve(stdout);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
  return { child, exited, firstOutput };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `txc <args> --endpoint <endpoint>` as a child process. */
export function txc(endpoint: string, args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [TXC, ...args, '--endpoint', endpoint], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
