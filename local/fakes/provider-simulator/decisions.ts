/**
 * What the simulated provider answers, without any HTTP: given the knobs, the seeded draws, the
 * idempotency memory (attempts per key, keys in flight, stored final outcomes) and a well-formed
 * request, it decides the answer. The HTTP layer (http-layer.ts) only parses, authenticates,
 * waits and writes what this module decided, so every rule of the provider's behaviour is here:
 *
 * - a key with a stored final outcome gets it replayed, byte for byte (a different amount or
 *   currency with the same key is a 400: the key was reused);
 * - a key still being processed gets 409 (transient), unless `conflictWhileInFlight` is off;
 * - otherwise the call is fresh: a script step or the knobs decide, and a final answer is stored
 *   before it is sent. A timeout has, by default, acted: its outcome is stored, only the answer is
 *   lost, which is the "crash after provider success" case the idempotency key exists for.
 *
 * A fresh call is decided in two steps, admit() then decide(), because the latency between them
 * is what lets concurrent calls with the same key meet (409, or a replay of what the first
 * stored meanwhile).
 *
 * The fault modes (fault-modes.ts) come first: gate() answers every call during an outage (503,
 * or "refuse": the connection is dropped while the server stops listening) and while the
 * credentials are "wrong" (401/403), before the key, the request or the memory are looked at; a
 * slow window raises a fresh call's latency; a transaction drawn under `permanentErrorRate` gets
 * a 400 on every fresh call (not a final outcome: the provider did not act).
 */
import {
  type Answer,
  badRequest,
  FORBIDDEN,
  IN_PROGRESS,
  jsonAnswer,
  outageAnswer,
  outcomeOf,
  PERMANENT_REFUSAL,
  REJECTION_REASONS,
  UNAUTHORIZED,
} from './answers';
import type { ProviderModes } from './fault-modes';
import type { SimulatorSettings } from './options';
import type { FinalOutcome, OutcomeStore } from './outcome-store';
import { type Draws, drawsFor, transactionDraw } from './randomness';
import type { ValidRequest } from './request';

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

/** A fresh call, admitted and in flight until release(). */
export interface FreshCall {
  readonly request: ValidRequest;
  /** How many fresh calls with this key came before (0 for the first). */
  readonly attempt: number;
  readonly draws: Draws;
  /** The script's or the default step, if any. */
  readonly step: ProviderStep | undefined;
  /** How long to wait before decide(): the knobs' latency, the drawn jitter, the step's delay. */
  readonly delayMs: number;
}

/** Send this answer now; `replayed`: it is the key's stored final outcome. */
export interface Reply {
  readonly kind: 'answer';
  readonly answer: Answer;
  readonly replayed: boolean;
}

/** What admit() makes of a request: an answer at once, or a fresh call to wait for. */
export type Admission = Reply | { readonly kind: 'fresh'; readonly call: FreshCall };

/** What a fresh call gets: an answer, no answer (the socket is held), or a broken connection. */
export type Decision = Reply | { readonly kind: 'timeout' } | { readonly kind: 'drop' };

const reply = (answer: Answer, replayed = false): Reply => ({ kind: 'answer', answer, replayed });

export class ProviderDecisions {
  /**
   * Fresh calls so far per key without a final outcome: the attempt number that seeds each call's
   * draws. A key with a stored outcome is only ever replayed, so its entry is dropped (memory
   * stays bounded by the keys still undecided, not by the backlog).
   */
  private readonly attempts = new Map<string, number>();
  /** Keys that had a fresh call (counted once each). */
  private keysCalled = 0;
  /** Calls per key being processed right now. */
  private readonly inFlight = new Map<string, number>();
  private readonly scripts = new Map<string, ProviderStep[]>();
  private defaultStep: DefaultStep | undefined;

  constructor(
    private settings: SimulatorSettings,
    private readonly outcomes: OutcomeStore,
    /** The fault modes (outages, wrong credentials, slow windows, permanent refusals). */
    private readonly modes: ProviderModes,
    /** The clock the modes' windows are read with (epoch ms). */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * What every call to the route gets before anything else, while a fault mode says so: an
   * outage's 503 (Retry-After: until the window ends, else the knob), 'refuse' (drop the
   * connection: the server is about to stop listening), or the auth failure's 401/403.
   */
  gate(): Answer | 'refuse' | undefined {
    const now = this.now();
    const outage = this.modes.outageAt(now);
    if (outage?.mode === 'refuse') return 'refuse';
    if (outage !== undefined) {
      return outageAnswer(this.modes.retryAfterSeconds(now) ?? this.settings.retryAfterSeconds);
    }
    if (this.modes.authFailure === 401) return UNAUTHORIZED;
    if (this.modes.authFailure === 403) return FORBIDDEN;
    return undefined;
  }

  /** The knobs from now on; stored outcomes, attempts and scripts stay. */
  configure(settings: SimulatorSettings): void {
    this.settings = settings;
  }

  /** Answers for the next fresh calls with this transaction id, in order. */
  script(transactionId: string, steps: readonly ProviderStep[]): void {
    this.scripts.set(transactionId, [...(this.scripts.get(transactionId) ?? []), ...steps]);
  }

  setDefault(step: DefaultStep | undefined): void {
    this.defaultStep = step;
  }

  async finalOutcome(idempotencyKey: string): Promise<FinalOutcome | undefined> {
    return (await this.outcomes.lookup(idempotencyKey))?.final;
  }

  /** Idempotency keys that had a fresh call. */
  distinctKeys(): number {
    return this.keysCalled;
  }

  /** Forgets stored outcomes, attempts, scripts and the default step. */
  async reset(): Promise<void> {
    this.attempts.clear();
    this.keysCalled = 0;
    this.inFlight.clear();
    this.scripts.clear();
    this.defaultStep = undefined;
    await this.outcomes.clear();
  }

  /**
   * A replay, a refusal, or a fresh call (in flight until release()). The caller holds the key in
   * the outcome store (OutcomeStore.hold) from before admit() until after release().
   */
  admit(request: ValidRequest): Admission {
    const previous = this.outcomes.get(request.key);
    if (previous !== undefined) {
      if (previous.amount !== request.amount || previous.currency !== request.currency) {
        return reply(
          badRequest(
            `IDEMPOTENCY_KEY_REUSED: this key was used with ${previous.amount} ${previous.currency}`,
          ),
        );
      }
      return reply(previous.answer, true);
    }
    if (this.settings.conflictWhileInFlight && this.inFlight.has(request.key)) {
      return reply(IN_PROGRESS);
    }
    return { kind: 'fresh', call: this.begin(request) };
  }

  /**
   * The answer of a fresh call once its delay is over; a final answer is stored before it is
   * returned (the provider has acted even if the caller already gave up waiting).
   */
  decide(call: FreshCall): Decision {
    // A concurrent call with this key may have produced the final outcome meanwhile.
    const earlier = this.outcomes.get(call.request.key);
    if (earlier !== undefined) return reply(earlier.answer, true);
    const decision = this.answerFor(call);
    // A raw body is the provider misbehaving, never an outcome to replay.
    if (decision.kind === 'answer' && call.step?.rawBody === undefined) {
      this.outcomes.record(call.request, decision.answer);
    }
    return decision;
  }

  /** The fresh call is over (answered or failed): its key is no longer in flight. */
  release(call: FreshCall): void {
    const key = call.request.key;
    const left = (this.inFlight.get(key) ?? 1) - 1;
    if (left > 0) this.inFlight.set(key, left);
    else this.inFlight.delete(key);
    if (this.outcomes.has(key)) this.attempts.delete(key);
  }

  /** Counts the attempt, marks the key in flight, draws, and takes the call's step. */
  private begin(request: ValidRequest): FreshCall {
    const attempt = this.attempts.get(request.key) ?? 0;
    if (attempt === 0) this.keysCalled += 1;
    this.attempts.set(request.key, attempt + 1);
    this.inFlight.set(request.key, (this.inFlight.get(request.key) ?? 0) + 1);
    const draws = drawsFor(this.settings.seed, request.key, attempt);
    const queued = this.scripts.get(request.transactionId);
    const step: ProviderStep | undefined =
      queued?.shift() ??
      (typeof this.defaultStep === 'function'
        ? this.defaultStep(request.transactionId)
        : this.defaultStep);
    if (queued !== undefined && queued.length === 0) this.scripts.delete(request.transactionId);
    const { jitterMs } = this.settings;
    // A slow window replaces the knob's latency while it lasts.
    const latencyMs = this.modes.slowLatencyAt(this.now()) ?? this.settings.latencyMs;
    const delayMs = latencyMs + jitterMs * draws.jitter + (step?.delayMs ?? 0);
    return { request, attempt, draws, step, delayMs };
  }

  /** The answer of a fresh call; the draws and the step decide, the knobs fill in. */
  private answerFor({ step, request, attempt, draws }: FreshCall): Decision {
    const o = this.settings;
    if (step?.drop) return { kind: 'drop' };
    if (step?.rawBody !== undefined) {
      const status = step.status ?? 200;
      return reply({
        status,
        text: step.rawBody,
        headers: { 'Content-Type': 'text/plain', ...step.headers },
        outcome: outcomeOf(status, undefined, true),
      });
    }
    if (step?.status !== undefined || step?.body !== undefined) {
      const status = step.status ?? 200;
      const body =
        step.body ??
        (status >= 200 && status < 300
          ? { status: 'CONFIRMED', reference: o.reference(request.key, attempt) }
          : {});
      return reply(jsonAnswer(status, body, outcomeOf(status, body, false), step.headers));
    }
    // A transaction the provider refuses for good: every fresh call gets the same 400.
    if (
      step?.outcome === undefined &&
      transactionDraw(o.seed, request.key) < this.modes.permanentErrorRate
    ) {
      return reply(PERMANENT_REFUSAL);
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
        this.outcomes.record(request, this.knobAnswer(acted, request, attempt, draws));
      }
      return { kind: 'timeout' };
    }
    const answer = this.knobAnswer(drawn, request, attempt, draws);
    if (step?.headers) answer.headers = { ...answer.headers, ...step.headers };
    return reply(answer);
  }

  /** The answer the knobs give for an outcome (drawn or scripted). */
  private knobAnswer(
    outcome: 'confirmed' | 'rejected' | 'transient',
    request: ValidRequest,
    attempt: number,
    draws: Draws,
  ): Answer {
    const o = this.settings;
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
  }
}
