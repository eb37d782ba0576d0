/**
 * `txc local provider …`: the simulated provider's fault modes of a running `txc local serve`,
 * shown and changed at run time (`GET` / `POST /txconfirm/provider`), so a runbook rehearsal can
 * break the provider and "fix" it without a restart:
 *
 *   npm run txc -- local provider                      # show (the default)
 *   npm run txc -- local provider outage --for 5m      # 503 + Retry-After for 5 minutes, from now
 *   npm run txc -- local provider outage --mode refuse # refused connections until recover
 *   npm run txc -- local provider outage --in 10s --for 30s
 *   npm run txc -- local provider slow 2s --for 1m     # 2 s per call for a minute
 *   npm run txc -- local provider auth-failure 401     # wrong credentials (… off: accepted again)
 *   npm run txc -- local provider permanent-errors 0.1 # 10% of transactions refused for good
 *   npm run txc -- local provider recover              # every mode off: the provider is fixed
 *
 * The endpoint is `--endpoint URL`, else `$TXC_ENDPOINT`, else http://127.0.0.1:8083. Exit codes
 * as every txc command: 0 ok, 1 failure (no endpoint), 2 usage (a bad value, named).
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { duration as formatDuration, fields, hint, type Io, json, processIo } from '../../cli/io';
import {
  InvalidProviderMode,
  OUTAGE_MODES,
  parseDuration,
  parseSlowSpec,
} from '../fakes/provider-simulator/fault-modes';
import {
  LOCAL_PROVIDER_PATH,
  type LocalProviderModesBody,
  type LocalProviderState,
} from '../aws/local-endpoint-contract';
import { UsageError } from '../../ops/errors';
import { txcAction } from '../../ops/program';
import { txcCommand } from '../../ops/target-spec';
import { localCommandEndpoint, localRouteRequest, unexpectedAnswer } from './endpoint';

export interface ProviderCommandDeps {
  io?: Io;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/** A duration flag, checked at parse time (usage error naming the flag). */
const durationFlag = (flag: string) => (value: string) => {
  try {
    if (parseDuration(value, flag) === 0) {
      throw new InvalidArgumentError(`${flag} must be above 0, got "${value}"`);
    }
  } catch (error) {
    if (error instanceof InvalidProviderMode) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
};

const rateArgument = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError(`the rate must be a number 0..1, got "${value}"`);
  }
  return n;
};

/** `hh:mm:ssZ` of an ISO time (the day is today's in a rehearsal). */
const clock = (iso: string) => `${iso.slice(11, 19)}Z`;

/** `until 10:05:00Z (4m 58s)`, or `until cleared`. */
function until(end: string | null, now: string): string {
  if (end === null) return 'until cleared';
  return `until ${clock(end)} (${formatDuration(Date.parse(end) - Date.parse(now))})`;
}

/** One line: how the provider answers right now. */
export function providerNow(state: LocalProviderState): string {
  const outage = state.outageNow;
  if (!state.listening) {
    return `DOWN: refusing connections ${outage ? until(outage.until, state.now) : 'until recovered'}`;
  }
  if (outage !== null) {
    return `DOWN: every call answers 503 + Retry-After ${until(outage.until, state.now)}`;
  }
  if (state.authFailure !== null) {
    return `every call answers ${state.authFailure} (wrong credentials: runs fail with SystemicFault)`;
  }
  const slow = state.slow.find((w) => w.active);
  const notes = [
    slow ? `slow: ${slow.latencyMs} ms per call ${until(slow.end, state.now)}` : undefined,
    state.permanentErrorRate > 0
      ? `${Math.round(state.permanentErrorRate * 1000) / 10}% of transactions refused for good`
      : undefined,
  ].filter((n) => n !== undefined);
  return notes.length === 0 ? 'up, answering normally' : `up; ${notes.join('; ')}`;
}

/** Whether any fault mode is set or planned (recover would change something). */
export function anyMode(state: LocalProviderState): boolean {
  return (
    !state.listening ||
    state.outages.length > 0 ||
    state.slow.length > 0 ||
    state.authFailure !== null ||
    state.permanentErrorRate > 0
  );
}

/** The windows set or planned, one line each (`outage 10:00:10Z → 10:00:40Z, 503 + Retry-After`). */
export function plannedFaults(state: LocalProviderState): string[] {
  const end = (e: string | null) => (e === null ? 'until cleared' : clock(e));
  return [
    ...state.outages.map(
      (w) =>
        `outage ${clock(w.start)} → ${end(w.end)}, ${w.mode === 'refuse' ? 'connections refused' : '503 + Retry-After'}${w.active ? ' (now)' : ''}`,
    ),
    ...state.slow.map(
      (w) =>
        `slow ${w.latencyMs} ms per call ${clock(w.start)} → ${end(w.end)}${w.active ? ' (now)' : ''}`,
    ),
  ];
}

/** The state as `key: value` lines. */
export function formatProviderState(state: LocalProviderState, width?: number): string {
  const window = (w: { start: string; end: string | null; active: boolean }) =>
    `${clock(w.start)} → ${w.end === null ? 'until cleared' : clock(w.end)}${w.active ? ' (now)' : ''}`;
  return fields(
    [
      ['provider', `${state.providerUrl} (simulated)`],
      ['now', providerNow(state)],
      [
        'outages',
        state.outages.length === 0
          ? 'none'
          : state.outages
              .map((w) => `${window(w)} ${w.mode === 'refuse' ? 'refused' : '503'}`)
              .join('; '),
      ],
      [
        'slow windows',
        state.slow.length === 0
          ? 'none'
          : state.slow.map((w) => `${w.latencyMs} ms ${window(w)}`).join('; '),
      ],
      [
        'credentials',
        state.authFailure === null ? 'accepted' : `every call answers ${state.authFailure}`,
      ],
      [
        'permanent errors',
        state.permanentErrorRate === 0
          ? 'none'
          : `${Math.round(state.permanentErrorRate * 1000) / 10}% of transactions answer 400`,
      ],
      [
        'latency now',
        `${state.latencyMsNow} ms (knob ${state.knobs.latencyMs} ms, jitter ${state.knobs.jitterMs} ms)`,
      ],
    ],
    width,
  );
}

/** `GET` or `POST` the provider route; named errors for every way it can fail. */
export async function providerRequest(
  endpoint: string,
  body: LocalProviderModesBody | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<LocalProviderState> {
  const answer = await localRouteRequest(endpoint, LOCAL_PROVIDER_PATH, {
    ...(body === undefined ? {} : { body }),
    fetch: fetchImpl,
  });
  if (answer.status === 400)
    throw new InvalidProviderMode(answer.message ?? answer.text.slice(0, 300));
  if (answer.status < 200 || answer.status > 299) {
    throw unexpectedAnswer(endpoint, LOCAL_PROVIDER_PATH, answer);
  }
  return answer.json as LocalProviderState;
}

interface GlobalFlags {
  endpoint?: string;
  json?: boolean;
}

/** `txc local provider` (registered under `txc local` by local/cli/local-command.ts). */
export function localProviderCommand(deps: ProviderCommandDeps = {}): Command {
  const io = deps.io ?? processIo;
  const env = deps.env ?? process.env;

  /** The endpoint this invocation acts on; a stack flag is a usage error (this is local only). */
  const endpointOf = (command: Command): string => localCommandEndpoint(command, env, 'provider');

  /** Sends (or only reads, without a body), prints the state, returns the exit code. */
  const act = async (command: Command, body: LocalProviderModesBody | undefined) => {
    const endpoint = endpointOf(command);
    let state: LocalProviderState;
    try {
      state = await providerRequest(endpoint, body, deps.fetch ?? fetch);
    } catch (error) {
      if (error instanceof InvalidProviderMode) {
        io.err(`${error.name}: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    if (command.optsWithGlobals<GlobalFlags>().json === true) {
      io.out(json(state));
      return 0;
    }
    const width = io.columns ?? 80;
    io.out(formatProviderState(state, width));
    const spec = { kind: 'local' as const, endpoint };
    if (anyMode(state)) {
      io.out(
        hint(
          'Fix the provider (every mode off)',
          txcCommand(['local', 'provider', 'recover'], spec),
          width,
        ),
      );
    }
    return 0;
  };

  const provider = new Command('provider')
    .description(
      "the simulated provider's fault modes on a running `txc local serve` (--endpoint URL, else $TXC_ENDPOINT, else http://127.0.0.1:8083): show, outage, slow, auth-failure, permanent-errors, recover",
    )
    .exitOverride()
    // Before the subcommands: they copy it (usage errors go where the rest goes).
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .showHelpAfterError('(run with --help for usage)');

  provider
    .command('show', { isDefault: true })
    .description('how the provider answers now, and every mode set or planned')
    .action(txcAction(async (_options: unknown, command: Command) => act(command, undefined)));

  provider
    .command('outage')
    .description(
      'an outage: every call answers 503 + Retry-After (or refused connections with --mode refuse), from now or --in, for --for (else until `recover`)',
    )
    .addOption(
      new Option('--for <duration>', 'how long, e.g. 5m (default: until recover)').argParser(
        durationFlag('--for'),
      ),
    )
    .addOption(
      new Option('--in <duration>', 'start later, e.g. 10s (needs --for)').argParser(
        durationFlag('--in'),
      ),
    )
    .addOption(
      new Option('--mode <mode>', '503 (answer 503 + Retry-After) or refuse (refuse connections)')
        .choices(OUTAGE_MODES as string[])
        .default('503'),
    )
    .action(
      txcAction(
        async (o: { for?: string; in?: string; mode: '503' | 'refuse' }, command: Command) => {
          if (o.in !== undefined && o.for === undefined) {
            throw new UsageError('--in needs --for (a planned outage has an end)');
          }
          const body: LocalProviderModesBody =
            o.in === undefined
              ? { outage: 'now', ...(o.for === undefined ? {} : { for: o.for }) }
              : { outage: `${o.for}@${o.in}` };
          return act(command, { ...body, outageMode: o.mode });
        },
      ),
    );

  provider
    .command('slow')
    .description(
      'slow calls: each fresh call takes <latency> (e.g. 2s), from now or --in, for --for (else until `recover`); `slow off` ends them',
    )
    .argument('<latency>', 'e.g. 2000ms or 2s; off: normal latency again')
    .addOption(
      new Option('--for <duration>', 'how long, e.g. 1m (default: until recover)').argParser(
        durationFlag('--for'),
      ),
    )
    .addOption(
      new Option('--in <duration>', 'start later, e.g. 10s').argParser(durationFlag('--in')),
    )
    .action(
      txcAction(async (latency: string, o: { for?: string; in?: string }, command: Command) => {
        if (latency === 'off') {
          if (o.for !== undefined || o.in !== undefined) {
            throw new UsageError('slow off takes no --for or --in');
          }
          return act(command, { slow: 'off' });
        }
        const spec = `${latency}${o.in === undefined ? '' : `@${o.in}`}${o.for === undefined ? '' : `+${o.for}`}`;
        try {
          parseSlowSpec(spec, 'slow');
        } catch (error) {
          if (error instanceof InvalidProviderMode) throw new UsageError(error.message);
          throw error;
        }
        return act(command, { slow: spec });
      }),
    );

  provider
    .command('auth-failure')
    .description(
      'wrong credentials: every call answers 401 or 403 (runs fail with SystemicFault); off: accepted again',
    )
    .addArgument(new Argument('<status>', '401, 403 or off').choices(['401', '403', 'off']))
    .action(
      txcAction(async (status: '401' | '403' | 'off', _o: unknown, command: Command) =>
        act(command, { authFailure: status === 'off' ? null : (Number(status) as 401 | 403) }),
      ),
    );

  provider
    .command('permanent-errors')
    .description(
      'the share of transactions the provider refuses for good (400: FAILED PROVIDER_HTTP_400); 0 ends it',
    )
    .argument('<rate>', '0..1, e.g. 0.1', rateArgument)
    .action(
      txcAction(async (rate: number, _o: unknown, command: Command) =>
        act(command, { permanentErrorRate: rate }),
      ),
    );

  provider
    .command('recover')
    .description(
      'the provider is fixed: outages and slow windows end (planned ones dropped), credentials accepted, no permanent errors',
    )
    .action(
      txcAction(async (_options: unknown, command: Command) =>
        act(command, { outage: 'off', slow: 'off', authFailure: null, permanentErrorRate: 0 }),
      ),
    );

  return provider;
}
