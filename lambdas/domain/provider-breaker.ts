import type { Classification, ProviderResponse } from './classification';
import type { BreakerRecord, Clock, Log, ProviderBreakerStore } from './ports';
import { silentLog } from './ports';

/**
 * The provider circuit breaker (docs/architecture.md §4, "The provider circuit breaker"): a
 * transaction's `attempts` count evidence about that transaction, never an outage of the provider.
 *
 * One breaker item is shared by every batch of every run. A batch that sees the provider down
 * (outage-class answers: no answer, a connection error, 408, 429, 5xx) opens it; from then on no
 * batch calls the provider, and the transactions they did not call, or whose call failed with an
 * outage-class answer, stay PENDING untouched (counted `unavailable`). Once `retryAt` has passed,
 * one batch claims the probe: its first answer that is not outage-class closes the breaker, outage
 * answers reopen it for a longer period.
 */
export const BREAKER = {
  /**
   * Evidence window: the last calls of this batch, in the order their answers came. A batch with
   * fewer calls than this never opens the breaker by itself (it obeys it all the same): a handful
   * of failures, even all of a small batch's, is no evidence of an outage (a few transactions the
   * provider keeps failing must still reach FAILED through maxAttempts).
   */
  windowCalls: 20,
  /** Share of a full window that must be outage-class to open the breaker: 19 of 20. */
  openShare: 0.95,
  /** CLOSED: after an outage-class failure, the breaker is read again at most this often. */
  rereadIntervalMs: 1000,
  /** A batch that lost the probe claim reads the breaker this often until the probe decides. */
  verdictPollMs: 250,
  /** Calls a probe makes (one at a time) before it gives up and reopens the breaker. */
  probeCalls: 3,
  /** The open period: first, then doubled per failed probe, capped. */
  openSeconds: 30,
  maxOpenSeconds: 300,
  /** The longest Retry-After honoured: a bogus header must not stop the backlog for days. */
  maxRetryAfterSeconds: 3600,
  /** Added to a probe claim's duration (probeCalls × the provider timeout). */
  probeMarginMs: 5000,
} as const;

/** What one outage-class answer says about the provider. */
export interface OutageEvidence {
  /** `HTTP 503`, `HTTP 429`, `TIMEOUT`, `ECONNREFUSED`, ... */
  label: string;
  /** From a Retry-After header (seconds; an HTTP date already converted). */
  retryAfterSeconds?: number;
}

/**
 * The outage evidence in a classified answer, or undefined for an answer about the transaction
 * (confirmed, rejected, permanent, 409, a 2xx without a final status): see the `outage` rows of
 * CLASSIFICATION_TABLE.
 */
export function outageEvidence(
  response: ProviderResponse,
  classification: Classification,
): OutageEvidence | undefined {
  if (classification.outcome !== 'transient' || classification.outage !== true) return undefined;
  if (response.kind === 'network') return { label: response.code };
  return {
    label: `HTTP ${response.status}`,
    ...(response.retryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds: response.retryAfterSeconds }),
  };
}

/** `HTTP 503 ×12, ECONNRESET ×3 of 15 calls`. */
export function describeEvidence(
  evidence: readonly (OutageEvidence | undefined)[],
  calls = 'calls',
): string {
  const counts = new Map<string, number>();
  for (const e of evidence) {
    if (e !== undefined) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  }
  const parts = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, n]) => `${label} ×${n}`);
  return `${parts.join(', ')} of ${evidence.length} ${calls}`;
}

/** The largest Retry-After among the evidence, if any. */
export function largestRetryAfter(
  evidence: readonly (OutageEvidence | undefined)[],
): number | undefined {
  let largest: number | undefined;
  for (const e of evidence) {
    if (e?.retryAfterSeconds !== undefined) {
      largest = Math.max(largest ?? 0, e.retryAfterSeconds);
    }
  }
  return largest;
}

/**
 * The last `size` calls of one batch. It trips when the window is full and at least
 * ceil(openShare × size) of it is outage-class.
 */
export class OutageWindow {
  private readonly calls: (OutageEvidence | undefined)[] = [];

  constructor(readonly size: number = BREAKER.windowCalls) {}

  record(evidence: OutageEvidence | undefined): void {
    this.calls.push(evidence);
    if (this.calls.length > this.size) this.calls.shift();
  }

  get outages(): number {
    return this.calls.filter((e) => e !== undefined).length;
  }

  get tripped(): boolean {
    return (
      this.size > 0 &&
      this.calls.length >= this.size &&
      this.outages >= Math.ceil(BREAKER.openShare * this.size)
    );
  }

  reason(): string {
    return describeEvidence(this.calls);
  }

  retryAfterSeconds(): number | undefined {
    return largestRetryAfter(this.calls);
  }
}

/** The open period after `opens` opens in a row: 30 s, 60 s, 120 s, 240 s, then 300 s. */
export function openPeriodSeconds(opens: number): number {
  const doublings = Math.max(0, Math.min(30, opens - 1));
  return Math.min(BREAKER.maxOpenSeconds, BREAKER.openSeconds * 2 ** doublings);
}

/** max(now + open period, now + Retry-After), Retry-After capped at maxRetryAfterSeconds. */
export function retryAtFor(now: Date, opens: number, retryAfterSeconds?: number): string {
  const honoured = Math.min(BREAKER.maxRetryAfterSeconds, Math.max(0, retryAfterSeconds ?? 0));
  const seconds = Math.max(openPeriodSeconds(opens), honoured);
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

/** OPEN with retryAt reached, or HALF_OPEN whose prober's claim has lapsed: a batch may probe. */
export function probeDue(record: BreakerRecord, now: Date): boolean {
  const at = now.toISOString();
  if (record.state === 'OPEN') return record.retryAt === undefined || record.retryAt <= at;
  if (record.state === 'HALF_OPEN') {
    return record.probeUntil === undefined || record.probeUntil < at;
  }
  return false;
}

export interface BatchCircuitDeps {
  breaker: ProviderBreakerStore;
  clock: Clock;
  log?: Log;
  /** Waiting for another batch's probe (tests may shorten it). */
  sleep?: (ms: number) => Promise<void>;
}

export interface BatchCircuitOptions {
  /** Names the batch in a probe claim. */
  batchId: string;
  providerTimeoutMs: number;
  /** True while the batch still has time for another provider call. */
  hasTime: () => boolean;
}

/**
 * - `closed`: calls go out in parallel; outage-class failures are held back, and the window may
 *   open the breaker;
 * - `probe`: this batch holds the probe claim and calls one at a time;
 * - `open`: no more calls.
 */
export type CircuitMode = 'closed' | 'probe' | 'open';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** At most this many reads while a batch decides how it starts (a guard, never reached in practice). */
const MAX_START_READS = 10_000;

/**
 * One batch's view of the breaker. confirm-batch asks it whether to call, tells it what each call
 * answered, and asks at the end whether the outage-class failures it held back are written
 * (`closed`: item-level evidence after all) or left untouched (`open`).
 */
export class BatchCircuit {
  mode: CircuitMode = 'closed';
  /** The breaker as last read (its reason and retryAt name the outage). */
  seen: BreakerRecord = { state: 'CLOSED' };
  private window = new OutageWindow();
  private lastReadMs = 0;
  private reading: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private readonly probeEvidence: OutageEvidence[] = [];
  private readonly log: Log;
  private readonly sleep: (ms: number) => Promise<void>;

  private constructor(
    private readonly deps: BatchCircuitDeps,
    private readonly options: BatchCircuitOptions,
  ) {
    this.log = deps.log ?? silentLog;
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /**
   * Reads the breaker: CLOSED → `closed`; OPEN with retryAt reached → claims the probe (`probe`);
   * another batch probing → waits for its verdict while there is time; otherwise `open`.
   */
  static async start(deps: BatchCircuitDeps, options: BatchCircuitOptions): Promise<BatchCircuit> {
    const circuit = new BatchCircuit(deps, options);
    await circuit.decideStart();
    return circuit;
  }

  private nowMs(): number {
    return this.deps.clock.now().getTime();
  }

  private async decideStart(): Promise<void> {
    const { breaker, clock } = this.deps;
    let record = await breaker.read();
    let waited = false;
    for (let reads = 1; reads < MAX_START_READS; reads += 1) {
      this.seen = record;
      this.lastReadMs = this.nowMs();
      if (record.state === 'CLOSED') {
        this.mode = 'closed';
        if (waited) this.log.info('provider circuit breaker closed by another batch: calling');
        return;
      }
      const now = clock.now();
      if (probeDue(record, now)) {
        const probeUntil = new Date(
          now.getTime() +
            BREAKER.probeCalls * this.options.providerTimeoutMs +
            BREAKER.probeMarginMs,
        ).toISOString();
        const claimed = await breaker.claimProbe(record, {
          probeBy: this.options.batchId,
          probeUntil,
          now: now.toISOString(),
        });
        if (claimed) {
          this.mode = 'probe';
          this.seen = {
            ...record,
            state: 'HALF_OPEN',
            probeBy: this.options.batchId,
            probeUntil,
          };
          this.log.info('provider circuit breaker: this batch probes the provider', {
            reason: record.reason,
            openedAt: record.openedAt,
          });
          return;
        }
        record = await breaker.read();
        continue;
      }
      if (record.state === 'HALF_OPEN' && this.options.hasTime()) {
        // Another batch is probing: its verdict decides whether this batch calls at all.
        waited = true;
        await this.sleep(BREAKER.verdictPollMs);
        record = await breaker.read();
        continue;
      }
      break;
    }
    this.mode = 'open';
    this.log.info('provider circuit breaker is open: no provider calls', {
      state: this.seen.state,
      reason: this.seen.reason,
      retryAt: this.seen.retryAt,
    });
  }

  /** Entering the parallel phase (after a probe that closed the breaker): a fresh evidence window. */
  enterClosed(): void {
    this.window = new OutageWindow();
  }

  /**
   * One call's answer: `undefined` for an answer about the transaction (the provider is up),
   * else the outage evidence. May change the mode.
   */
  async observe(evidence: OutageEvidence | undefined): Promise<void> {
    if (this.mode === 'probe') {
      await this.observeProbe(evidence);
      return;
    }
    if (this.mode !== 'closed') return;
    this.window.record(evidence);
    if (this.window.tripped) {
      this.opening ??= this.openBreaker();
      await this.opening;
      return;
    }
    if (evidence !== undefined && this.nowMs() - this.lastReadMs >= BREAKER.rereadIntervalMs) {
      this.reading ??= this.reread().finally(() => {
        this.reading = undefined;
      });
      await this.reading;
    }
  }

  /** Has another batch opened it meanwhile? */
  private async reread(): Promise<void> {
    this.lastReadMs = this.nowMs();
    const record = await this.deps.breaker.read();
    if (this.mode !== 'closed') return;
    if (record.state !== 'CLOSED') {
      this.seen = record;
      this.mode = 'open';
      this.log.warn('provider circuit breaker opened by another batch: this batch stops calling', {
        reason: record.reason,
        retryAt: record.retryAt,
      });
    }
  }

  private async openBreaker(): Promise<void> {
    if (this.mode !== 'closed') return;
    const now = this.deps.clock.now();
    const reason = this.window.reason();
    const retryAt = retryAtFor(now, 1, this.window.retryAfterSeconds());
    const opened = await this.deps.breaker.open({
      openedAt: now.toISOString(),
      retryAt,
      reason,
      opens: 1,
      now: now.toISOString(),
    });
    this.mode = 'open';
    if (opened) {
      this.seen = { state: 'OPEN', openedAt: now.toISOString(), retryAt, reason, opens: 1 };
      this.log.warn('provider circuit breaker opened: the provider looks unavailable', {
        reason,
        retryAt,
      });
    } else {
      this.seen = await this.deps.breaker.read();
      this.log.warn('provider circuit breaker already opened by another batch', {
        reason: this.seen.reason,
        retryAt: this.seen.retryAt,
      });
    }
  }

  private async observeProbe(evidence: OutageEvidence | undefined): Promise<void> {
    const now = this.deps.clock.now();
    if (evidence === undefined) {
      const closed = await this.deps.breaker.close(this.options.batchId, {
        now: now.toISOString(),
        ...(this.seen.reason === undefined ? {} : { lastReason: this.seen.reason }),
      });
      if (closed) {
        this.log.warn('provider answered the probe: circuit breaker closed', {
          outage: this.seen.reason,
          openedAt: this.seen.openedAt,
        });
        this.seen = { state: 'CLOSED' };
        this.mode = 'closed';
        return;
      }
      // The claim lapsed and someone else decided meanwhile: go by what the breaker says now.
      this.seen = await this.deps.breaker.read();
      this.mode = this.seen.state === 'CLOSED' ? 'closed' : 'open';
      return;
    }
    this.probeEvidence.push(evidence);
    if (this.probeEvidence.length >= BREAKER.probeCalls) await this.reopen();
  }

  /** The probe failed (or could not finish): OPEN again, for the next, longer period. */
  private async reopen(): Promise<void> {
    const now = this.deps.clock.now();
    this.mode = 'open';
    const failed = this.probeEvidence.length > 0;
    const opens = failed ? (this.seen.opens ?? 1) + 1 : (this.seen.opens ?? 1);
    // Without a single probe call (out of time) the claim is handed back, due at once.
    const retryAt = failed
      ? retryAtFor(now, opens, largestRetryAfter(this.probeEvidence))
      : now.toISOString();
    const reason = failed
      ? `probe: ${describeEvidence(this.probeEvidence)}`
      : (this.seen.reason ?? 'provider unavailable');
    const reopened = await this.deps.breaker.reopen(this.options.batchId, {
      retryAt,
      reason,
      opens,
      now: now.toISOString(),
    });
    if (reopened) {
      this.seen = { ...this.seen, state: 'OPEN', retryAt, reason, opens };
      delete this.seen.probeBy;
      delete this.seen.probeUntil;
      if (failed) {
        this.log.warn('provider failed the probe: circuit breaker reopened', { reason, retryAt });
      }
    } else {
      this.seen = await this.deps.breaker.read();
    }
  }

  /**
   * The end of the batch's calls: `closed` when the breaker stayed CLOSED throughout (the held
   * back failures are written, attempts + 1), `open` otherwise (they stay untouched). A batch that
   * still holds the probe claim without a verdict reopens the breaker (or hands the claim back).
   */
  async finish(heldBack: number): Promise<'closed' | 'open'> {
    await this.opening;
    await this.reading;
    if (this.mode === 'probe') await this.reopen();
    if (this.mode === 'closed' && heldBack > 0) {
      // Another batch may have opened it since the last read: its failures are outage evidence too.
      await (this.reading ??= this.reread());
    }
    return this.mode === 'closed' ? 'closed' : 'open';
  }
}

/**
 * A breaker kept in memory, with the conditions of the DynamoDB one: for a caller that has no
 * store (a benchmark of the call path: the breaker is then this batch's alone) and for tests.
 */
export function inMemoryBreakerStore(
  initial: BreakerRecord = { state: 'CLOSED' },
): ProviderBreakerStore & {
  current(): BreakerRecord;
} {
  let record: BreakerRecord = { ...initial };
  const same = (a: string | undefined, b: string | undefined) => a === b;
  return {
    current: () => ({ ...record }),
    read: () => Promise.resolve({ ...record }),
    open: (next) => {
      if (record.state !== 'CLOSED') return Promise.resolve(false);
      record = {
        state: 'OPEN',
        openedAt: next.openedAt,
        retryAt: next.retryAt,
        reason: next.reason,
        opens: next.opens,
        updatedAt: next.now,
      };
      return Promise.resolve(true);
    },
    claimProbe: (seen, claim) => {
      if (
        record.state !== seen.state ||
        seen.state === 'CLOSED' ||
        !same(record.retryAt, seen.retryAt) ||
        !same(record.probeBy, seen.probeBy) ||
        !same(record.probeUntil, seen.probeUntil)
      ) {
        return Promise.resolve(false);
      }
      record = {
        ...record,
        state: 'HALF_OPEN',
        probeBy: claim.probeBy,
        probeUntil: claim.probeUntil,
        updatedAt: claim.now,
      };
      return Promise.resolve(true);
    },
    close: (probeBy, closed) => {
      if (record.state !== 'HALF_OPEN' || record.probeBy !== probeBy) return Promise.resolve(false);
      record = {
        state: 'CLOSED',
        closedAt: closed.now,
        updatedAt: closed.now,
        ...(closed.lastReason === undefined ? {} : { lastReason: closed.lastReason }),
      };
      return Promise.resolve(true);
    },
    reopen: (probeBy, next) => {
      if (record.state !== 'HALF_OPEN' || record.probeBy !== probeBy) return Promise.resolve(false);
      const rest = { ...record };
      delete rest.probeBy;
      delete rest.probeUntil;
      record = {
        ...rest,
        state: 'OPEN',
        retryAt: next.retryAt,
        reason: next.reason,
        opens: next.opens,
        updatedAt: next.now,
      };
      return Promise.resolve(true);
    },
  };
}
