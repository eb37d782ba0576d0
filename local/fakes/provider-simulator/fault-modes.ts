/**
 * The provider's fault modes: what the runbook's provider entries look like from our side, played
 * by the simulator on demand (flags of `npm start` / `txc local serve`, and at run time
 * `POST /txconfirm/provider` or `txc local provider …`). Pure: no timers, no I/O — every question
 * takes the time (epoch ms) it is asked at, so the decision module and the tests drive it alike.
 *
 * - a permanent 4xx for a share of transactions (`permanentErrorRate`): 400 with a reason, drawn
 *   once per transaction id (attempt-independent), so the item becomes FAILED `PROVIDER_HTTP_400`;
 * - wrong credentials (`authFailure` 401 or 403): every call answers it (the run's SystemicFault);
 * - outage windows with a start and an end (or none: until cleared): every call answers 503 with
 *   Retry-After (`503`), or the simulator stops listening so calls are refused (`refuse`);
 * - slow windows: the latency of each fresh call is raised for a while, then back to normal.
 *
 * The flag and body syntax (parseDuration, parseOutageSpec, parseSlowSpec):
 *   DURATION  a number and a unit: 250ms, 10s, 1.5m, 2h
 *   outage    DURATION[@START]                 30s@10s: 30 s long, starting 10 s from now
 *   slow      LATENCY[@START][+DURATION]       2000ms@0s+60s: 2 s per call from now for 60 s
 * START is counted from when the modes are applied (the run, or the endpoint, starting; the
 * request, at run time); no DURATION means until cleared.
 */

export type OutageMode = '503' | 'refuse';
export const OUTAGE_MODES: readonly OutageMode[] = ['503', 'refuse'];
export type AuthFailure = 401 | 403;

/** A mode (a flag, a body field, a spec) is malformed or out of range; the message names it. */
export class InvalidProviderMode extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidProviderMode';
  }
}

/** setTimeout's ceiling (~24.8 days): no window may start or last longer. */
const MAX_WINDOW_MS = 2_147_483_647;
/** A slow provider, not a dead one: above any client's timeout already. */
export const MAX_SLOW_LATENCY_MS = 600_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `10s`, `1.5m`, `2h` → milliseconds (rounded); `what` names the value in errors. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (match === null) {
    const hint = /^\d+(\.\d+)?$/.test(text.trim()) ? ` (add a unit: ${text.trim()}s)` : '';
    throw new InvalidProviderMode(
      `${what} must be a number with a unit (ms, s, m, h), e.g. 30s, got "${text}"${hint}`,
    );
  }
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2]]);
  if (ms > MAX_WINDOW_MS) {
    throw new InvalidProviderMode(`${what} must be at most 24 days, got "${text}"`);
  }
  return ms;
}

/** What an outage asks for, relative to when it is applied. */
export interface OutageSpec {
  readonly startInMs: number;
  /** undefined: until cleared. */
  readonly durationMs?: number;
  readonly mode: OutageMode;
}

/** What a slow window asks for, relative to when it is applied. */
export interface SlowSpec {
  readonly latencyMs: number;
  readonly startInMs: number;
  /** undefined: until cleared. */
  readonly durationMs?: number;
}

/** `DURATION[@START]`: `30s@10s` is 30 s long, starting 10 s from now; `5m` starts now. */
export function parseOutageSpec(
  text: string,
  mode: OutageMode = '503',
  what = 'outage',
): OutageSpec {
  const parts = text.trim().split('@');
  if (parts.length > 2 || parts[0] === '') {
    throw new InvalidProviderMode(
      `${what} must be DURATION[@START], e.g. 30s@10s (30 s long, starting 10 s after start), got "${text}"`,
    );
  }
  const durationMs = parseDuration(parts[0], `${what} duration`);
  if (durationMs === 0)
    throw new InvalidProviderMode(`${what} duration must be above 0, got "${text}"`);
  const startInMs = parts.length === 2 ? parseDuration(parts[1], `${what} start`) : 0;
  return { startInMs, durationMs, mode };
}

/** `LATENCY[@START][+DURATION]`: `2000ms@0s+60s`, `2s+1m` (from now), `2s` (until cleared). */
export function parseSlowSpec(text: string, what = 'slow'): SlowSpec {
  const match = /^([^@+]+)(?:@([^@+]+))?(?:\+([^@+]+))?$/.exec(text.trim());
  if (match === null) {
    throw new InvalidProviderMode(
      `${what} must be LATENCY[@START][+DURATION], e.g. 2000ms@0s+60s (2 s per call, from the start, for 60 s), got "${text}"`,
    );
  }
  const latencyMs = parseDuration(match[1], `${what} latency`);
  if (latencyMs > MAX_SLOW_LATENCY_MS) {
    throw new InvalidProviderMode(`${what} latency must be at most 10m, got "${match[1]}"`);
  }
  const startInMs = match[2] === undefined ? 0 : parseDuration(match[2], `${what} start`);
  if (match[3] === undefined) return { latencyMs, startInMs };
  const durationMs = parseDuration(match[3], `${what} duration`);
  if (durationMs === 0)
    throw new InvalidProviderMode(`${what} duration must be above 0, got "${text}"`);
  return { latencyMs, startInMs, durationMs };
}

/** A change of the modes; fields left out stay as they are. Windows are added to the planned ones. */
export interface ProviderModesUpdate {
  /** 0..1: share of transactions answered 400 (permanent). */
  readonly permanentErrorRate?: number;
  /** Every call answers this; null: credentials accepted again. */
  readonly authFailure?: AuthFailure | null;
  /** Windows to add; 'off' ends the current one and drops the planned ones. */
  readonly outages?: 'off' | readonly OutageSpec[];
  /** Windows to add; 'off' ends the current one and drops the planned ones. */
  readonly slow?: 'off' | readonly SlowSpec[];
}

export interface OutageWindow {
  /** Epoch ms. */
  readonly start: number;
  /** Epoch ms; undefined: until cleared. */
  readonly end: number | undefined;
  readonly mode: OutageMode;
}

export interface SlowWindow {
  readonly latencyMs: number;
  readonly start: number;
  readonly end: number | undefined;
}

/** The modes as shown (`GET /txconfirm/provider`): ended windows are left out. */
export interface ProviderModesSnapshot {
  permanentErrorRate: number;
  authFailure: AuthFailure | null;
  outages: { start: string; end: string | null; mode: OutageMode; active: boolean }[];
  slow: { latencyMs: number; start: string; end: string | null; active: boolean }[];
  /** The outage answering right now, if any. */
  outageNow: { mode: OutageMode; until: string | null } | null;
  /** The raised latency right now, if a slow window is active. */
  slowLatencyMsNow: number | null;
}

const within = (w: { start: number; end: number | undefined }, now: number) =>
  now >= w.start && (w.end === undefined || now < w.end);
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export class ProviderModes {
  private permanent = 0;
  private auth: AuthFailure | null = null;
  private outageWindows: OutageWindow[] = [];
  private slowWindows: SlowWindow[] = [];

  /** Validates the whole update first (InvalidProviderMode), then applies it at `now`. */
  apply(update: ProviderModesUpdate, now: number): void {
    checkUpdate(update);
    this.prune(now);
    if (update.permanentErrorRate !== undefined) this.permanent = update.permanentErrorRate;
    if (update.authFailure !== undefined) this.auth = update.authFailure;
    if (update.outages === 'off') this.outageWindows = [];
    else if (update.outages !== undefined) {
      for (const spec of update.outages) this.outageWindows.push(windowOf(spec, now));
    }
    if (update.slow === 'off') this.slowWindows = [];
    else if (update.slow !== undefined) {
      for (const spec of update.slow) {
        this.slowWindows.push({ latencyMs: spec.latencyMs, ...windowOf(spec, now) });
      }
    }
    // Shown in time order.
    this.outageWindows.sort((a, b) => a.start - b.start);
    this.slowWindows.sort((a, b) => a.start - b.start);
  }

  get permanentErrorRate(): number {
    return this.permanent;
  }

  get authFailure(): AuthFailure | null {
    return this.auth;
  }

  /** The outage window answering at `now` (a refusing one wins over a 503 one). */
  outageAt(now: number): OutageWindow | undefined {
    const active = this.outageWindows.filter((w) => within(w, now));
    return active.find((w) => w.mode === 'refuse') ?? active[0];
  }

  /** The raised latency at `now` (the highest active slow window), if any. */
  slowLatencyAt(now: number): number | undefined {
    const active = this.slowWindows.filter((w) => within(w, now));
    return active.length === 0 ? undefined : Math.max(...active.map((w) => w.latencyMs));
  }

  /** The next time after `now` a window starts or ends (for the simulator's timer). */
  nextChangeAfter(now: number): number | undefined {
    const times = [...this.outageWindows, ...this.slowWindows]
      .flatMap((w) => [w.start, w.end])
      .filter((t): t is number => t !== undefined && t > now);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Seconds until the outage answering at `now` ends (Retry-After), if it has an end. */
  retryAfterSeconds(now: number): number | undefined {
    const end = this.outageAt(now)?.end;
    return end === undefined ? undefined : Math.max(1, Math.ceil((end - now) / 1000));
  }

  snapshot(now: number): ProviderModesSnapshot {
    this.prune(now);
    const outage = this.outageAt(now);
    return {
      permanentErrorRate: this.permanent,
      authFailure: this.auth,
      outages: this.outageWindows.map((w) => ({
        start: iso(w.start)!,
        end: iso(w.end),
        mode: w.mode,
        active: within(w, now),
      })),
      slow: this.slowWindows.map((w) => ({
        latencyMs: w.latencyMs,
        start: iso(w.start)!,
        end: iso(w.end),
        active: within(w, now),
      })),
      outageNow: outage === undefined ? null : { mode: outage.mode, until: iso(outage.end) },
      slowLatencyMsNow: this.slowLatencyAt(now) ?? null,
    };
  }

  /** Forgets windows that have ended. */
  private prune(now: number): void {
    const live = (w: { end: number | undefined }) => w.end === undefined || w.end > now;
    this.outageWindows = this.outageWindows.filter(live);
    this.slowWindows = this.slowWindows.filter(live);
  }
}

function windowOf(
  spec: { startInMs: number; durationMs?: number; mode?: OutageMode },
  now: number,
): OutageWindow {
  const start = now + spec.startInMs;
  return {
    start,
    end: spec.durationMs === undefined ? undefined : start + spec.durationMs,
    mode: spec.mode ?? '503',
  };
}

const isDuration = (v: unknown, max = MAX_WINDOW_MS) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Every field of an update checked, so that a bad one changes nothing. */
function checkUpdate(update: ProviderModesUpdate): void {
  const { permanentErrorRate: rate, authFailure, outages, slow } = update;
  if (
    rate !== undefined &&
    (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1)
  ) {
    throw new InvalidProviderMode(`permanentErrorRate must be 0..1, got ${String(rate)}`);
  }
  if (
    authFailure !== undefined &&
    authFailure !== null &&
    authFailure !== 401 &&
    authFailure !== 403
  ) {
    throw new InvalidProviderMode(
      `authFailure must be 401, 403 or null, got ${String(authFailure)}`,
    );
  }
  if (outages !== undefined && outages !== 'off') {
    for (const o of outages) {
      if (
        !isDuration(o.startInMs) ||
        (o.durationMs !== undefined && (!isDuration(o.durationMs) || o.durationMs === 0)) ||
        !OUTAGE_MODES.includes(o.mode)
      ) {
        throw new InvalidProviderMode(`not a valid outage window: ${JSON.stringify(o)}`);
      }
    }
  }
  if (slow !== undefined && slow !== 'off') {
    for (const s of slow) {
      if (
        !isDuration(s.latencyMs, MAX_SLOW_LATENCY_MS) ||
        !isDuration(s.startInMs) ||
        (s.durationMs !== undefined && (!isDuration(s.durationMs) || s.durationMs === 0))
      ) {
        throw new InvalidProviderMode(`not a valid slow window: ${JSON.stringify(s)}`);
      }
    }
  }
}
