/** Output of `txc`: an injectable writer (tests capture it), tables and small formatters. */
import Table from 'cli-table3';

export interface Io {
  /** Results: tables, or one JSON document with --json. */
  out(text: string): void;
  /** Errors, hints and progress; never part of a --json result. */
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A plain table (no colours, so captured output and pipes stay clean). */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) t.push(row.map((cell) => String(cell)));
  return `${t.toString()}\n`;
}

/** Keys up to this long line up across blocks. */
const FIELD_WIDTH = 17;

/** `key: value` lines, aligned; entries whose value is undefined are left out. */
export function fields(entries: [string, string | number | undefined][]): string {
  const shown = entries.filter((e): e is [string, string | number] => e[1] !== undefined);
  const width = Math.max(FIELD_WIDTH, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}\n`).join('');
}

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`, `850ms`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${Math.round(rest)}ms`;
  rest = Math.floor(rest / 1000);
  const d = Math.floor(rest / 86400);
  const h = Math.floor((rest % 86400) / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  if (m > 0) return `${sign}${m}m ${s}s`;
  return `${sign}${s}s`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Milliseconds from an ISO timestamp to `now`; NaN when the text is not a date. */
export function ageMs(iso: string | undefined, now: Date): number {
  if (iso === undefined) return Number.NaN;
  return now.getTime() - Date.parse(iso);
}
