/**
 * Starting and operating the simulator: it wires the options, the call log, the outcome store,
 * the decision module and the HTTP layer together behind a loopback server, and gives the caller
 * the ProviderSimulator handle (knobs, scripts, fault modes, the provider going down, stop).
 *
 * The only timer here follows the fault modes' windows: when a `refuse` outage starts the server
 * stops listening (calls get ECONNREFUSED), when it ends it listens again on the same port; every
 * other mode is read by the decision module at each call.
 */
import { createServer } from 'node:http';
import { listenOnLoopback, LOOPBACK_HOST, type LoopbackListener } from '../../http/loopback-server';
import { CallLog } from './call-log';
import type { ProviderSimulatorStats, SimulatedCall } from './calls';
import { type DefaultStep, ProviderDecisions, type ProviderStep } from './decisions';
import { ProviderModes, type ProviderModesSnapshot, type ProviderModesUpdate } from './fault-modes';
import { ProviderHttpLayer } from './http-layer';
import {
  InvalidSimulatorOption,
  type ProviderSimulatorKnobs,
  type ProviderSimulatorOptions,
  resolveSimulatorOptions,
} from './options';
import { type FinalOutcome, OutcomeStore } from './outcome-store';

export interface ProviderSimulator {
  /** `http://127.0.0.1:<port>`, for PROVIDER_BASE_URL. */
  readonly url: string;
  /** Every call so far, oldest first (empty when `recordCalls` is false). */
  calls(): readonly SimulatedCall[];
  stats(): ProviderSimulatorStats;
  /** Answers for the next fresh calls with this transaction id, in order. */
  script(transactionId: string, ...steps: ProviderStep[]): void;
  /** The step for unscripted fresh calls (undefined: the knobs decide). */
  setDefault(step: DefaultStep | undefined): void;
  /** The stored final outcome of a key, if any. */
  finalOutcome(idempotencyKey: string): Promise<FinalOutcome | undefined>;
  /** Changes knobs from now on (validated like at start; stored outcomes stay). */
  configure(knobs: ProviderSimulatorKnobs): void;
  /** The knobs now (latency, rates, seed). */
  knobs(): ProviderKnobValues;
  /** The fault modes now, and whether the server listens. */
  modes(): ProviderModeState;
  /**
   * Changes the fault modes from now on (windows start relative to now); InvalidProviderMode
   * (nothing changed) for a bad update. Resolves once the server listens or refuses as they say.
   */
  setModes(update: ProviderModesUpdate): Promise<ProviderModeState>;
  /** Forgets calls, counters, stored outcomes (until a restart reads their file), scripts and the default step. */
  reset(): Promise<void>;
  /**
   * true: stops listening and closes every open connection, so calls fail with ECONNREFUSED (the
   * provider is down); false: listens again on the same port, unless a `refuse` outage window is
   * active (it listens again when that ends). Stored outcomes stay.
   */
  refuseConnections(refuse: boolean): Promise<void>;
  /** Closes every connection (held ones too), then the call log and the outcome store. Idempotent. */
  stop(): Promise<void>;
}

/** The knobs as `knobs()` shows them. */
export interface ProviderKnobValues {
  latencyMs: number;
  jitterMs: number;
  transientErrorRate: number;
  rejectionRate: number;
  timeoutRate: number;
  seed: number;
}

/** The fault modes as `modes()` shows them. */
export interface ProviderModeState extends ProviderModesSnapshot {
  /** false while the provider refuses connections (a `refuse` outage, or refuseConnections). */
  listening: boolean;
}

/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2_147_483_647;

/** Validates the knobs (InvalidSimulatorOption), then listens on loopback. */
export async function startProviderSimulator(
  options: ProviderSimulatorOptions,
): Promise<ProviderSimulator> {
  let settings = resolveSimulatorOptions(options);
  let current = options;
  const faultModes = new ProviderModes();
  if (options.modes !== undefined) faultModes.apply(options.modes, Date.now());
  const callLog = await CallLog.open(settings.callLogFile, settings.recordCalls);
  let outcomes: OutcomeStore;
  try {
    outcomes = await OutcomeStore.open(settings.outcomeStoreFile);
  } catch (err) {
    await callLog.close().catch(() => undefined);
    throw err;
  }
  const decisions = new ProviderDecisions(settings, outcomes, faultModes);
  const http = new ProviderHttpLayer(settings.apiKey, () => settings, decisions, outcomes, callLog);
  const server = createServer(http.onRequest);
  // Keep-alive friendly: idle connections outlive the client's own pool timeout (undici: 4 s).
  server.keepAliveTimeout = 10_000;

  let listener: LoopbackListener;
  try {
    listener = await listenOnLoopback(server, settings.port);
  } catch (err) {
    await callLog.close().catch(() => undefined);
    await outcomes.close().catch(() => undefined);
    throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? new InvalidSimulatorOption(`port ${settings.port} is already in use on ${LOOPBACK_HOST}`)
      : err;
  }

  // Listening follows refuseConnections() and the `refuse` outage windows; one change at a time.
  let refusedByCaller = false;
  let stopped = false;
  let windowTimer: NodeJS.Timeout | undefined;
  let changes: Promise<void> = Promise.resolve();
  const follow = (): Promise<void> => {
    const change = changes.then(async () => {
      if (stopped) return;
      const now = Date.now();
      const refuse = refusedByCaller || faultModes.outageAt(now)?.mode === 'refuse';
      if (refuse && server.listening) {
        http.releaseHeld();
        await listener.close();
      } else if (!refuse && !server.listening) {
        // The same port: the caller's PROVIDER_BASE_URL stays valid.
        listener = await listenOnLoopback(server, listener.port);
      }
      if (windowTimer !== undefined) clearTimeout(windowTimer);
      windowTimer = undefined;
      const next = faultModes.nextChangeAfter(now);
      if (next !== undefined) {
        windowTimer = setTimeout(() => void follow(), Math.min(next - now, MAX_TIMER_MS));
        windowTimer.unref();
      }
    });
    // A failed change (the port taken meanwhile) is the caller's to see; the next one still runs.
    changes = change.catch(() => undefined);
    return change;
  };
  const modeState = (): ProviderModeState => ({
    ...faultModes.snapshot(Date.now()),
    listening: server.listening,
  });
  await follow();

  let stopping: Promise<void> | undefined;
  return {
    url: listener.url,
    calls: () => callLog.calls(),
    stats: () => {
      const { calls, outcomes: answered, replays } = callLog.counters();
      return {
        calls,
        outcomes: answered,
        distinctKeys: decisions.distinctKeys(),
        replays,
        finalOutcomes: outcomes.finalOutcomes(),
      };
    },
    script: (transactionId, ...steps) => decisions.script(transactionId, steps),
    setDefault: (step) => decisions.setDefault(step),
    finalOutcome: (key) => decisions.finalOutcome(key),
    configure: (knobs) => {
      const next: ProviderSimulatorOptions = {
        ...current,
        ...knobs,
        // What shapes the server itself stays as started.
        apiKey: options.apiKey,
        port: options.port,
        callLogFile: options.callLogFile,
        outcomeStoreFile: options.outcomeStoreFile,
        recordCalls: options.recordCalls,
      };
      settings = resolveSimulatorOptions(next);
      current = next;
      decisions.configure(settings);
    },
    knobs: () => ({
      latencyMs: settings.latencyMs,
      jitterMs: settings.jitterMs,
      transientErrorRate: settings.transientErrorRate,
      rejectionRate: settings.rejectionRate,
      timeoutRate: settings.timeoutRate,
      seed: settings.seed,
    }),
    modes: modeState,
    setModes: async (update) => {
      faultModes.apply(update, Date.now());
      await follow();
      return modeState();
    },
    reset: async () => {
      callLog.reset();
      await decisions.reset();
    },
    refuseConnections: async (refuse) => {
      refusedByCaller = refuse;
      await follow();
    },
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        if (windowTimer !== undefined) clearTimeout(windowTimer);
        await changes;
        callLog.stopWriting();
        http.releaseHeld();
        await listener.close();
        try {
          await callLog.close();
        } finally {
          await outcomes.close();
        }
      })();
      return stopping;
    },
  };
}
