/** Text for times, durations, counts and run totals (everything shown is text; Preact escapes it). */
import { OUTCOME_COUNTERS } from '../../../lambdas/contracts';

/** `2024-05-01T12:34:56Z` (UTC, to the second), or `-`. */
export function isoSeconds(iso: string | null | undefined): string {
  if (iso === undefined || iso === null || iso === '') return '-';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, `3 d 4 h`. */
export function duration(ms: number | null | undefined): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '-';
  const t = Math.max(0, ms);
  if (t < 1000) return `${Math.round(t)} ms`;
  if (t < 60_000) return `${(t / 1000).toFixed(1)} s`;
  const s = Math.floor(t / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** From start to stop (or to now while it runs). */
export function elapsed(start: string | undefined, stop: string | undefined, now: number): string {
  if (start === undefined) return '-';
  const from = Date.parse(start);
  const to = stop === undefined ? now : Date.parse(stop);
  return Number.isNaN(from) || Number.isNaN(to) ? '-' : duration(to - from);
}

/** `wouldProcess` → `would process`, `failedBatches` → `failed batches`. */
export function counterLabel(key: string): string {
  return key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/** The order counters are shown in: fetched, the outcomes, failed batches, pages, then any other. */
const TOTALS_ORDER: readonly string[] = ['fetched', ...OUTCOME_COUNTERS, 'failedBatches', 'pages'];

/** Every counter of a run's totals, in a stable order. */
export function totalsEntries(totals: Readonly<Record<string, unknown>>): [string, number][] {
  const entries = Object.entries(totals).filter(
    (e): e is [string, number] => typeof e[1] === 'number',
  );
  const rank = (key: string) => {
    const i = TOTALS_ORDER.indexOf(key);
    return i === -1 ? TOTALS_ORDER.length : i;
  };
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

/** `fetched 10 · confirmed 7 · rejected 2`: fetched, and every other counter that is not 0. */
export function totalsLine(totals: Readonly<Record<string, unknown>>): string {
  return totalsEntries(totals)
    .filter(([key, value]) => key === 'fetched' || value !== 0)
    .map(([key, value]) => `${counterLabel(key)} ${value}`)
    .join(' · ');
}

/** The execution's name from its ARN (`…:execution:<machine>:<name>`). */
export function nameOfArn(arn: string): string {
  const i = arn.lastIndexOf(':');
  return i === -1 ? arn : arn.slice(i + 1);
}

/** JSON text pretty-printed when it parses, else as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The statuses a redrive can resume (as `txc redrive` checks them: ops/commands/redrive.ts). */
const UNSUCCESSFUL: readonly string[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export function isUnsuccessful(status: string): boolean {
  return UNSUCCESSFUL.includes(status);
}
