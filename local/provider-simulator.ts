/**
 * The simulated payment provider (DESIGN.md §6): a real HTTP server on loopback that implements
 * exactly the provider API lambdas/adapters/http-payment-provider.ts calls (README "Provider API"):
 *
 *   POST /v1/confirmations
 *   Idempotency-Key: <transaction id>          (must equal body.transactionId, else 400)
 *   Authorization: Bearer <api key>            (anything else: 401)
 *   {"transactionId": "...", "amount": <integer minor units>, "currency": "EUR"}
 *   -> 200 {"status":"CONFIRMED","reference":"..."} | 200 {"status":"REJECTED","reason":"..."}
 *      | 402 {"reason":"..."} | 5xx, 429 + Retry-After (transient) | no answer (a timeout)
 *
 * Like a real provider it acts once per idempotency key: the first final outcome (confirmed or
 * rejected) for a key is stored and replayed, byte for byte, for every later call with that key.
 * Transient answers are not final, so a retry may then succeed; a call for a key that is still
 * being processed gets 409 (transient). A timed-out call has, by default, reached the provider and
 * acted (its answer is what got lost), which is the "crash after provider success" case that the
 * idempotency key exists for.
 *
 * Randomness is a pure function of (seed, idempotency key, attempt number for that key), so a run
 * is reproducible whatever order concurrent calls arrive in.
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';

const LOOPBACK = '127.0.0.1';
const ROUTE = '/v1/confirmations';
/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_BODY_BYTES = 64 * 1024;
const REJECTION_REASONS = ['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'DO_NOT_HONOR'] as const;

/** A knob of the simulator is out of range. */
export class InvalidSimulatorOption extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSimulatorOption';
  }
}

/** Writing the call log failed while the simulator ran (reported by stop()). */
export class CallLogFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallLogFailed';
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
   * The provider's own memory of final outcomes, kept in this JSON Lines file and reloaded at
   * start: a real provider outlives our process, so after a crash of the local runtime a retried
   * key must still get its first outcome (no double charge). Appended synchronously, before the
   * answer is sent.
   */
  readonly outcomeStoreFile?: string;
  /** Keep every call in memory for `calls()`; counters are kept either way. @default true */
  readonly recordCalls?: boolean;
}

/** What a call came to, as the simulator answered it. */
export type CallOutcome =
  | 'confirmed'
  | 'rejected'
  | 'transient'
  | 'timeout'
  | 'in-progress'
  | 'unauthorized'
  | 'bad-request'
  | 'not-found'
  | 'dropped'
  | 'other';

const CALL_OUTCOMES: readonly CallOutcome[] = [
  'confirmed',
  'rejected',
  'transient',
  'timeout',
  'in-progress',
  'unauthorized',
  'bad-request',
  'not-found',
  'dropped',
  'other',
];

interface CallBase {
  /** Arrival, ISO-8601. */
  at: string;
  /** An Authorization header was sent. */
  hasAuthorization: boolean;
  /** It carried the expected key. */
  authorized: boolean;
  /** The HTTP status answered; undefined when no answer was sent (timeout, dropped). */
  status: number | undefined;
  /** The answer replayed the key's stored final outcome. */
  replayed: boolean;
}

/** One call as the simulator saw and answered it. Final outcomes always name their key. */
export type SimulatedCall =
  | (CallBase & {
      outcome: 'confirmed';
      idempotencyKey: string;
      transactionId: string;
      amount: number;
      currency: string;
      /** The reference answered (replays included). */
      reference: string;
      reason?: undefined;
    })
  | (CallBase & {
      outcome: 'rejected';
      idempotencyKey: string;
      transactionId: string;
      amount: number;
      currency: string;
      reference?: undefined;
      /** The reason answered (replays included). */
      reason: string;
    })
  | (CallBase & {
      /** 'pending': arrived, not answered yet. */
      outcome: Exclude<CallOutcome, 'confirmed' | 'rejected'> | 'pending';
      idempotencyKey: string | undefined;
      /** `transactionId` of the body, when it was a string. */
      transactionId: string | undefined;
      /** Of a well-formed request. */
      amount?: number;
      currency?: string;
      reference?: undefined;
      reason?: undefined;
    });

/** A call while it is being answered. */
interface CallDraft extends CallBase {
  outcome: CallOutcome | 'pending';
  idempotencyKey: string | undefined;
  transactionId: string | undefined;
  amount?: number;
  currency?: string;
  reference?: string;
  reason?: string;
}

export interface ProviderSimulatorStats {
  /** Calls arrived (answered or not). */
  calls: number;
  /** Answered calls per outcome (replays included). */
  outcomes: Record<CallOutcome, number>;
  /** Idempotency keys of authorized, well-formed calls. */
  distinctKeys: number;
  /** Calls answered from a stored final outcome. */
  replays: number;
  /** Final outcomes produced (each at most once per key): charges and rejections. */
  finalOutcomes: { confirmed: number; rejected: number };
}

/** A scripted answer for one call (the per-id test hook). Fields left out fall back to the knobs. */
export interface ProviderStep {
  /** Answer as the knobs would for this outcome (the reference/reason they would give). */
  outcome?: 'confirmed' | 'rejected' | 'transient' | 'timeout';
  /** An explicit HTTP status. A 2xx without `body` is a confirmation; other statuses default to `{}`. */
  status?: number;
  /** JSON body for `status`. */
  body?: unknown;
  /** Sent as-is (text/plain) instead of JSON; never final. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Wait this much longer than the knobs' latency before answering. */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
  /** Runs (awaited) just before the answer is decided. */
  before?: () => Promise<void> | void;
}

export type DefaultStep = ProviderStep | ((transactionId: string) => ProviderStep);

/** The knobs that configure() may change while the simulator runs. */
export type ProviderSimulatorKnobs = Omit<
  ProviderSimulatorOptions,
  'apiKey' | 'port' | 'callLogFile' | 'recordCalls' | 'outcomeStoreFile'
>;

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
  finalOutcome(
    idempotencyKey: string,
  ):
    | { outcome: 'confirmed'; reference: string }
    | { outcome: 'rejected'; reason: string }
    | undefined;
  /** Changes knobs from now on (validated like at start; stored outcomes stay). */
  configure(knobs: ProviderSimulatorKnobs): void;
  /** Forgets calls, counters, stored outcomes, scripts and the default step. */
  reset(): void;
  /**
   * true: stops listening and closes every open connection, so calls fail with ECONNREFUSED (the
   * provider is down); false: listens again on the same port. Stored outcomes stay.
   */
  refuseConnections(refuse: boolean): Promise<void>;
  /** Closes every connection (held ones too), then the call log. Idempotent. */
  stop(): Promise<void>;
}

interface ResolvedOptions {
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

/** An answer ready to send (and, when final, to replay). */
interface Answer {
  status: number;
  text: string;
  headers: Record<string, string>;
  outcome: CallOutcome;
  /** Of a confirmation. */
  reference?: string;
  /** Of a rejection. */
  reason?: string;
}

interface StoredOutcome {
  answer: Answer;
  amount: number;
  currency: string;
  final: { outcome: 'confirmed'; reference: string } | { outcome: 'rejected'; reason: string };
}

/** What the knobs drew for one fresh call: all draws are made up front, in a fixed order. */
interface Draws {
  jitter: number;
  timeout: number;
  transient: number;
  transientPick: number;
  rejection: number;
  rejectionStyle: number;
  reasonPick: number;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

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
export function resolveSimulatorOptions(options: ProviderSimulatorOptions): ResolvedOptions {
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

// ---- deterministic randomness ------------------------------------------------------------------

/** FNV-1a over the key, mixed with the seed and the attempt (murmur3's finalizer). */
function hash32(seed: number, key: string, attempt: number): number {
  let h = 0x811c9dc5 ^ (seed | 0) ^ Math.floor(seed / 0x1_0000_0000);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.imul(attempt + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 64 bits of (seed, key, attempt): unique enough for every reference of a long run. */
function defaultReference(seed: number, key: string, attempt: number): string {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return `pr_${hex(hash32(seed, key, attempt + 0x5eed))}${hex(hash32(seed + 1, key, attempt))}`;
}

/** mulberry32: a small, fast PRNG; one stream per (seed, key, attempt). */
function drawsFor(seed: number, key: string, attempt: number): Draws {
  let state = hash32(seed, key, attempt);
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    jitter: next(),
    timeout: next(),
    transient: next(),
    transientPick: next(),
    rejection: next(),
    rejectionStyle: next(),
    reasonPick: next(),
  };
}

// ---- answers ---------------------------------------------------------------------------------

function jsonAnswer(
  status: number,
  body: unknown,
  outcome: CallOutcome,
  headers: Record<string, string> = {},
): Answer {
  const answer: Answer = {
    status,
    text: JSON.stringify(body),
    headers: { ...JSON_HEADERS, ...headers },
    outcome,
  };
  const { reference, reason } = (body ?? {}) as { reference?: unknown; reason?: unknown };
  if (outcome === 'confirmed') answer.reference = String(reference);
  if (outcome === 'rejected')
    answer.reason = typeof reason === 'string' ? reason : `HTTP ${status}`;
  return answer;
}

const NOT_FOUND = jsonAnswer(404, { reason: 'no such route' }, 'not-found');
const METHOD_NOT_ALLOWED = jsonAnswer(405, { reason: 'use POST' }, 'other', { Allow: 'POST' });
const UNAUTHORIZED = jsonAnswer(401, { reason: 'invalid api key' }, 'unauthorized');
const IN_PROGRESS = jsonAnswer(
  409,
  { reason: 'IDEMPOTENCY_IN_PROGRESS: a request with this key is still being processed' },
  'in-progress',
);
const badRequest = (reason: string) => jsonAnswer(400, { reason }, 'bad-request');

/** How the simulator itself reads an answer it was scripted to give. */
function outcomeOf(status: number, body: unknown, raw: boolean): CallOutcome {
  const bodyStatus = raw ? undefined : (body as { status?: unknown } | null)?.status;
  if (status >= 200 && status < 300) {
    if (bodyStatus === 'CONFIRMED') return 'confirmed';
    if (bodyStatus === 'REJECTED') return 'rejected';
    return 'other';
  }
  if (status === 402 || status === 422) return raw ? 'other' : 'rejected';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400) return 'bad-request';
  if (status === 404) return 'not-found';
  if (status === 409) return 'in-progress';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'other';
}

interface ValidRequest {
  key: string;
  transactionId: string;
  amount: number;
  currency: string;
}

/** The JSON body, or undefined when it is not JSON. */
function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return undefined;
  }
}

function validate(
  key: string | undefined,
  body: Record<string, unknown> | undefined,
): ValidRequest | Answer {
  if (body === undefined) return badRequest('body must be JSON');
  const { transactionId, amount, currency } = body;
  if (typeof transactionId !== 'string' || transactionId === '') {
    return badRequest('transactionId must be a non-empty string');
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    return badRequest('amount must be a positive integer (minor units)');
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    return badRequest('currency must be an ISO 4217 code');
  }
  if (key === undefined || key === '') return badRequest('the Idempotency-Key header is required');
  if (key !== transactionId) return badRequest('Idempotency-Key must equal transactionId');
  return { key, transactionId, amount, currency };
}

// ---- the server ------------------------------------------------------------------------------

/** Validates the knobs (InvalidSimulatorOption), then listens on loopback. */
export async function startProviderSimulator(
  options: ProviderSimulatorOptions,
): Promise<ProviderSimulator> {
  return startServer(options);
}

/** Final outcomes a previous process stored; a torn last line (a kill mid-append) is ignored. */
function loadOutcomeStore(file: string): Map<string, StoredOutcome> {
  const outcomes = new Map<string, StoredOutcome>();
  let text: string;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  } catch (err) {
    throw new InvalidSimulatorOption(
      `outcomeStoreFile ${file} cannot be read: ${(err as Error).message}`,
    );
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: ({ key: string } & StoredOutcome) | undefined;
    try {
      entry = JSON.parse(line) as { key: string } & StoredOutcome;
    } catch {
      continue;
    }
    if (typeof entry?.key === 'string' && !outcomes.has(entry.key)) {
      const { key, ...outcome } = entry;
      outcomes.set(key, outcome);
    }
  }
  return outcomes;
}

async function openCallLog(file: string): Promise<fs.WriteStream> {
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const stream = fs.createWriteStream(file, { flags: 'a' });
    await once(stream, 'open');
    return stream;
  } catch (err) {
    throw new InvalidSimulatorOption(
      `callLogFile ${file} cannot be written: ${(err as Error).message}`,
    );
  }
}

async function startServer(options: ProviderSimulatorOptions): Promise<ProviderSimulator> {
  let o = resolveSimulatorOptions(options);
  let current = options;
  const bearer = `Bearer ${o.apiKey}`;
  const stored = new Map<string, StoredOutcome>();
  const attempts = new Map<string, number>();
  /** Calls per key being processed right now. */
  const inFlight = new Map<string, number>();
  const scripts = new Map<string, ProviderStep[]>();
  let defaultStep: DefaultStep | undefined;
  let recorded: SimulatedCall[] = [];
  const counts = {} as Record<CallOutcome, number>;
  let calls = 0;
  let replays = 0;
  const finals = { confirmed: 0, rejected: 0 };
  const resetCounters = () => {
    for (const outcome of CALL_OUTCOMES) counts[outcome] = 0;
    calls = 0;
    replays = 0;
    finals.confirmed = 0;
    finals.rejected = 0;
  };
  resetCounters();

  const log = o.callLogFile === undefined ? undefined : await openCallLog(o.callLogFile);
  let logError: Error | undefined;
  log?.on('error', (err) => {
    logError ??= err;
  });

  const held = new Map<Socket, NodeJS.Timeout>();
  let stopping: Promise<void> | undefined;

  /** A call arrived: it is in calls() at once (outcome 'pending' until answered). */
  const arrived = (draft: CallDraft) => {
    calls += 1;
    // answered() fills reference/reason for final outcomes, which only well-formed calls reach.
    if (o.recordCalls) recorded.push(draft as SimulatedCall);
  };

  /** A call was answered (or given up on): count it and log it. */
  const record = (call: CallDraft) => {
    counts[call.outcome as CallOutcome] += 1;
    if (call.replayed) replays += 1;
    // Buffered and asynchronous: no per-request sync I/O.
    if (log !== undefined && logError === undefined && stopping === undefined)
      log.write(`${JSON.stringify(call)}\n`);
  };

  const answered = (call: CallDraft, answer: Answer) => {
    call.status = answer.status;
    call.outcome = answer.outcome;
    if (answer.reference !== undefined) call.reference = answer.reference;
    if (answer.reason !== undefined) call.reason = answer.reason;
  };

  const send = (res: ServerResponse, answer: Answer) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.text);
  };

  /** The answer the knobs give for an outcome (drawn or scripted). */
  const knobAnswer = (
    outcome: 'confirmed' | 'rejected' | 'transient',
    request: ValidRequest,
    attempt: number,
    draws: Draws,
  ): Answer => {
    if (outcome === 'transient') {
      const status =
        o.transientStatuses[Math.floor(draws.transientPick * o.transientStatuses.length)];
      return status === 429
        ? jsonAnswer(429, { reason: 'RATE_LIMITED' }, 'transient', {
            'Retry-After': String(o.retryAfterSeconds),
          })
        : jsonAnswer(status, { reason: 'PROVIDER_UNAVAILABLE' }, 'transient');
    }
    if (outcome === 'rejected') {
      const reason = REJECTION_REASONS[Math.floor(draws.reasonPick * REJECTION_REASONS.length)];
      const as402 =
        o.rejectionStyle === 'status402' ||
        (o.rejectionStyle === 'mixed' && draws.rejectionStyle < 0.5);
      return as402
        ? jsonAnswer(402, { reason }, 'rejected')
        : jsonAnswer(200, { status: 'REJECTED', reason }, 'rejected');
    }
    return jsonAnswer(
      200,
      { status: 'CONFIRMED', reference: o.reference(request.key, attempt) },
      'confirmed',
    );
  };

  const finalOf = (answer: Answer): StoredOutcome['final'] | undefined => {
    if (answer.outcome === 'confirmed') {
      return { outcome: 'confirmed', reference: answer.reference ?? '' };
    }
    if (answer.outcome === 'rejected') return { outcome: 'rejected', reason: answer.reason ?? '' };
    return undefined;
  };

  const store = (request: ValidRequest, answer: Answer) => {
    const final = finalOf(answer);
    if (final === undefined || stored.has(request.key)) return;
    const outcome: StoredOutcome = {
      answer,
      amount: request.amount,
      currency: request.currency,
      final,
    };
    stored.set(request.key, outcome);
    if (o.outcomeStoreFile !== undefined) {
      fs.appendFileSync(
        o.outcomeStoreFile,
        `${JSON.stringify({ key: request.key, ...outcome })}\n`,
      );
    }
    finals[final.outcome] += 1;
  };
  if (o.outcomeStoreFile !== undefined) {
    for (const [key, outcome] of loadOutcomeStore(o.outcomeStoreFile)) stored.set(key, outcome);
  }

  const hold = (res: ServerResponse) => {
    const socket = res.socket;
    if (socket === null || socket.destroyed) return;
    const timer = setTimeout(() => {
      held.delete(socket);
      socket.destroy();
    }, o.timeoutHoldMs);
    held.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      held.delete(socket);
    });
  };

  /** The answer of a fresh call; the draws and the step decide, the knobs fill in. */
  const answerFor = (
    step: ProviderStep | undefined,
    request: ValidRequest,
    attempt: number,
    draws: Draws,
  ): Answer | 'timeout' | 'drop' => {
    if (step?.drop) return 'drop';
    if (step?.rawBody !== undefined) {
      const status = step.status ?? 200;
      return {
        status,
        text: step.rawBody,
        headers: { 'Content-Type': 'text/plain', ...step.headers },
        outcome: outcomeOf(status, undefined, true),
      };
    }
    if (step?.status !== undefined || step?.body !== undefined) {
      const status = step.status ?? 200;
      const body =
        step.body ??
        (status >= 200 && status < 300
          ? { status: 'CONFIRMED', reference: o.reference(request.key, attempt) }
          : {});
      return jsonAnswer(status, body, outcomeOf(status, body, false), step.headers);
    }
    const drawn: NonNullable<ProviderStep['outcome']> =
      step?.outcome ??
      (draws.timeout < o.timeoutRate
        ? 'timeout'
        : draws.transient < o.transientErrorRate
          ? 'transient'
          : draws.rejection < o.rejectionRate
            ? 'rejected'
            : 'confirmed');
    if (drawn === 'timeout') {
      if (o.timeoutsAct) {
        const acted = draws.rejection < o.rejectionRate ? 'rejected' : 'confirmed';
        store(request, knobAnswer(acted, request, attempt, draws));
      }
      return 'timeout';
    }
    const answer = knobAnswer(drawn, request, attempt, draws);
    if (step?.headers) answer.headers = { ...answer.headers, ...step.headers };
    return answer;
  };

  /** A fresh call (no stored outcome yet): wait, decide, store, answer. */
  const decide = async (
    res: ServerResponse,
    call: CallDraft,
    request: ValidRequest,
  ): Promise<void> => {
    const attempt = attempts.get(request.key) ?? 0;
    attempts.set(request.key, attempt + 1);
    inFlight.set(request.key, (inFlight.get(request.key) ?? 0) + 1);
    const draws = drawsFor(o.seed, request.key, attempt);
    const queued = scripts.get(request.transactionId);
    const step: ProviderStep | undefined =
      queued?.shift() ??
      (typeof defaultStep === 'function' ? defaultStep(request.transactionId) : defaultStep);
    if (queued !== undefined && queued.length === 0) scripts.delete(request.transactionId);

    let answer: Answer | 'timeout' | 'drop';
    try {
      const delay = o.latencyMs + o.jitterMs * draws.jitter + (step?.delayMs ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      await step?.before?.();
      // A concurrent call with this key may have produced the final outcome meanwhile.
      const earlier = stored.get(request.key);
      if (earlier !== undefined) {
        call.replayed = true;
        answer = earlier.answer;
      } else {
        answer = answerFor(step, request, attempt, draws);
      }
    } finally {
      const left = (inFlight.get(request.key) ?? 1) - 1;
      if (left > 0) inFlight.set(request.key, left);
      else inFlight.delete(request.key);
    }

    if (answer === 'drop') {
      call.outcome = 'dropped';
      record(call);
      res.socket?.destroy();
      return;
    }
    if (answer === 'timeout') {
      call.outcome = 'timeout';
      record(call);
      hold(res);
      return;
    }
    // The provider has acted even if the caller already gave up waiting.
    if (!call.replayed && step?.rawBody === undefined) store(request, answer);
    answered(call, answer);
    record(call);
    send(res, answer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const key = req.headers['idempotency-key'];
    const authorization = req.headers.authorization;
    const call: CallDraft = {
      at: new Date().toISOString(),
      idempotencyKey: typeof key === 'string' ? key : undefined,
      transactionId: undefined,
      hasAuthorization: authorization !== undefined,
      authorized: authorization === bearer,
      status: undefined,
      outcome: 'pending',
      replayed: false,
    };
    arrived(call);
    const answerNow = (answer: Answer) => {
      answered(call, answer);
      record(call);
      send(res, answer);
    };

    const route = req.url === undefined ? '' : req.url.split('?', 1)[0];
    if (route !== ROUTE) return answerNow(NOT_FOUND);
    if (req.method !== 'POST') return answerNow(METHOD_NOT_ALLOWED);
    const body = parseBody(text);
    // Recorded even when the call is refused: a test can find a 401 by its transaction.
    if (typeof body?.transactionId === 'string') call.transactionId = body.transactionId;
    if (!call.authorized) return answerNow(UNAUTHORIZED);
    const request = validate(call.idempotencyKey, body);
    if ('status' in request) return answerNow(request);
    call.amount = request.amount;
    call.currency = request.currency;

    const previous = stored.get(request.key);
    if (previous !== undefined) {
      if (previous.amount !== request.amount || previous.currency !== request.currency) {
        return answerNow(
          badRequest(
            `IDEMPOTENCY_KEY_REUSED: this key was used with ${previous.amount} ${previous.currency}`,
          ),
        );
      }
      call.replayed = true;
      return answerNow(previous.answer);
    }
    if (o.conflictWhileInFlight && inFlight.has(request.key)) return answerNow(IN_PROGRESS);
    decide(res, call, request).catch((err: unknown) => {
      // A failing `before` hook (tests only): answer 500 rather than hang.
      answerNow(jsonAnswer(500, { reason: String(err) }, 'transient'));
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        send(res, jsonAnswer(413, { reason: 'body too large' }, 'other'));
        return;
      }
      handle(
        req,
        res,
        chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    });
  });
  // Keep-alive friendly: idle connections outlive the client's own pool timeout (undici: 4 s).
  server.keepAliveTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: NodeJS.ErrnoException) => {
    log?.end();
    throw err.code === 'EADDRINUSE'
      ? new InvalidSimulatorOption(`port ${o.port} is already in use on ${LOOPBACK}`)
      : err;
  });
  const listenPort = (server.address() as AddressInfo).port;
  const url = `http://${LOOPBACK}:${listenPort}`;

  return {
    url,
    calls: () => recorded,
    stats: () => ({
      calls,
      outcomes: { ...counts },
      distinctKeys: attempts.size,
      replays,
      finalOutcomes: { ...finals },
    }),
    script: (transactionId, ...steps) => {
      scripts.set(transactionId, [...(scripts.get(transactionId) ?? []), ...steps]);
    },
    setDefault: (step) => {
      defaultStep = step;
    },
    finalOutcome: (key) => stored.get(key)?.final,
    configure: (knobs) => {
      const next: ProviderSimulatorOptions = {
        ...current,
        ...knobs,
        // What shapes the server itself stays as started.
        apiKey: options.apiKey,
        port: options.port,
        callLogFile: options.callLogFile,
        recordCalls: options.recordCalls,
      };
      o = resolveSimulatorOptions(next);
      current = next;
    },
    reset: () => {
      stored.clear();
      attempts.clear();
      inFlight.clear();
      scripts.clear();
      defaultStep = undefined;
      recorded = [];
      resetCounters();
    },
    refuseConnections: async (refuse) => {
      if (refuse === !server.listening) return;
      if (refuse) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const [socket, timer] of held) {
          clearTimeout(timer);
          socket.destroy();
        }
        held.clear();
        server.closeAllConnections();
        await closed;
        return;
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenPort, LOOPBACK, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    stop: () => {
      stopping ??= (async () => {
        for (const [socket, timer] of held) {
          clearTimeout(timer);
          socket.destroy();
        }
        held.clear();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (log !== undefined) {
          log.end();
          if (!log.closed) await once(log, 'close').catch(() => undefined);
        }
        if (logError !== undefined) {
          throw new CallLogFailed(`the call log ${o.callLogFile} failed: ${logError.message}`);
        }
      })();
      return stopping;
    },
  };
}
