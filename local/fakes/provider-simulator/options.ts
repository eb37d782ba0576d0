/**
 * The simulator's knobs and their validation: what a caller may ask for at start and change with
 * configure(), checked so that a bad value is an InvalidSimulatorOption naming it, never a
 * simulator that misbehaves quietly.
 */
import type { ProviderModesUpdate } from './fault-modes';
import { defaultReference } from './randomness';

/** setTimeout's ceiling: a longer delay would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A knob of the simulator is out of range. */
export class InvalidSimulatorOption extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSimulatorOption';
  }
}

export interface ProviderSimulatorOptions {
  /** The key callers must send as `Authorization: Bearer <apiKey>`. */
  readonly apiKey: string;
  /** Loopback port. @default 0 (a free port) */
  readonly port?: number;
  /** Time before each fresh (not replayed) call is answered. @default 0 */
  readonly latencyMs?: number;
  /** Up to this much more, uniformly drawn per call. @default 0 */
  readonly jitterMs?: number;
  /** Probability that a call is never answered in time (held `timeoutHoldMs`, then closed). @default 0 */
  readonly timeoutRate?: number;
  /** How long a timed-out call holds its socket; longer than the client's timeout. @default 30000 */
  readonly timeoutHoldMs?: number;
  /** A timed-out call has acted (the outcome is stored, only the answer is lost). @default true */
  readonly timeoutsAct?: boolean;
  /** Probability that an answered call gets a transient error (one of `transientStatuses`). @default 0 */
  readonly transientErrorRate?: number;
  /** Drawn uniformly for a transient error: 429 (with Retry-After) and/or 5xx. @default [429, 500, 502, 503] */
  readonly transientStatuses?: readonly number[];
  /** Retry-After of a 429, in seconds. @default 1 */
  readonly retryAfterSeconds?: number;
  /** Probability that a final outcome is a rejection (else a confirmation). @default 0 */
  readonly rejectionRate?: number;
  /** How a rejection is answered: 200 {status:'REJECTED'}, 402, or either (drawn). @default 'mixed' */
  readonly rejectionStyle?: 'body' | 'status402' | 'mixed';
  /**
   * A call whose key is still being processed (during its latency) gets 409, as real providers
   * answer; false processes it independently (scripted tests that model each call on its own).
   * Either way the first final outcome stored for a key is the one every later call gets.
   * @default true
   */
  readonly conflictWhileInFlight?: boolean;
  /** Seed of the pseudo-random draws. @default 1 */
  readonly seed?: number;
  /** The reference of a confirmation. @default `pr_<16 hex digits of (seed, key, attempt)>` */
  readonly reference?: (idempotencyKey: string, attempt: number) => string;
  /** Append every call to this JSON Lines file (the directory is created). */
  readonly callLogFile?: string;
  /**
   * The provider's own memory of final outcomes, kept in this JSON Lines file (appended
   * synchronously, before the answer is sent) and looked up through a LevelDB index next to it
   * (`<file>.index`), so memory holds only the keys of calls in progress: a real provider outlives
   * our process, so after a crash of the local runtime a retried key must still get its first
   * outcome (no double charge).
   */
  readonly outcomeStoreFile?: string;
  /** Keep every call in memory for `calls()`; counters are kept either way. @default true */
  readonly recordCalls?: boolean;
  /**
   * Fault modes from the start (windows count from it); `setModes()` changes them later
   * (fault-modes.ts). @default none
   */
  readonly modes?: ProviderModesUpdate;
}

/** The knobs that configure() may change while the simulator runs. */
export type ProviderSimulatorKnobs = Omit<
  ProviderSimulatorOptions,
  'apiKey' | 'port' | 'callLogFile' | 'recordCalls' | 'outcomeStoreFile' | 'modes'
>;

/** The options with every default filled in and every knob checked. */
export interface SimulatorSettings {
  apiKey: string;
  port: number;
  latencyMs: number;
  jitterMs: number;
  timeoutRate: number;
  timeoutHoldMs: number;
  timeoutsAct: boolean;
  transientErrorRate: number;
  transientStatuses: readonly number[];
  retryAfterSeconds: number;
  rejectionRate: number;
  rejectionStyle: 'body' | 'status402' | 'mixed';
  conflictWhileInFlight: boolean;
  seed: number;
  reference: (idempotencyKey: string, attempt: number) => string;
  callLogFile: string | undefined;
  outcomeStoreFile: string | undefined;
  recordCalls: boolean;
}

function rate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new InvalidSimulatorOption(`${name} must be 0..1, got ${String(value)}`);
  }
  return v;
}

function duration(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TIMER_MS) {
    throw new InvalidSimulatorOption(`${name} must be 0..${MAX_TIMER_MS} ms, got ${String(value)}`);
  }
  return v;
}

function integer(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new InvalidSimulatorOption(`${name} must be an integer 0..${max}, got ${String(value)}`);
  }
  return v;
}

/** Validates the knobs; throws InvalidSimulatorOption naming the first bad one. */
export function resolveSimulatorOptions(options: ProviderSimulatorOptions): SimulatorSettings {
  if (typeof options.apiKey !== 'string' || options.apiKey === '') {
    throw new InvalidSimulatorOption('apiKey must be a non-empty string');
  }
  const transientStatuses = options.transientStatuses ?? [429, 500, 502, 503];
  if (
    transientStatuses.length === 0 ||
    transientStatuses.some((s) => s !== 429 && !(Number.isInteger(s) && s >= 500 && s <= 599))
  ) {
    throw new InvalidSimulatorOption(
      `transientStatuses must be a non-empty list of 429 and 500..599, got ${JSON.stringify(transientStatuses)}`,
    );
  }
  const rejectionStyle = options.rejectionStyle ?? 'mixed';
  if (!['body', 'status402', 'mixed'].includes(rejectionStyle)) {
    throw new InvalidSimulatorOption(
      `rejectionStyle must be 'body', 'status402' or 'mixed', got ${JSON.stringify(rejectionStyle)}`,
    );
  }
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidSimulatorOption(`seed must be an integer, got ${String(options.seed)}`);
  }
  const timeoutHoldMs = duration('timeoutHoldMs', options.timeoutHoldMs, 30_000);
  const latencyMs = duration('latencyMs', options.latencyMs, 0);
  const jitterMs = duration('jitterMs', options.jitterMs, 0);
  if (latencyMs + jitterMs > MAX_TIMER_MS) {
    throw new InvalidSimulatorOption(
      `latencyMs + jitterMs must be at most ${MAX_TIMER_MS} ms, got ${latencyMs + jitterMs}`,
    );
  }
  return {
    apiKey: options.apiKey,
    port: integer('port', options.port, 0, 65_535),
    latencyMs,
    jitterMs,
    timeoutRate: rate('timeoutRate', options.timeoutRate),
    timeoutHoldMs,
    timeoutsAct: options.timeoutsAct ?? true,
    transientErrorRate: rate('transientErrorRate', options.transientErrorRate),
    transientStatuses: [...transientStatuses],
    retryAfterSeconds: integer('retryAfterSeconds', options.retryAfterSeconds, 1, 86_400),
    rejectionRate: rate('rejectionRate', options.rejectionRate),
    rejectionStyle,
    conflictWhileInFlight: options.conflictWhileInFlight ?? true,
    seed,
    reference: options.reference ?? ((key, attempt) => defaultReference(seed, key, attempt)),
    callLogFile: options.callLogFile,
    outcomeStoreFile: options.outcomeStoreFile,
    recordCalls: options.recordCalls ?? true,
  };
}
