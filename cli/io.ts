/** Output of the command-line tools (txc, npm run cost): an injectable writer (tests capture it), tables and small formatters. */
import Table from 'cli-table3';

export interface Io {
  /** Results: tables, or one JSON document with --json. */
  out(text: string): void;
  /** Errors, hints and progress; never part of a --json result. */
  err(text: string): void;
  /** How wide the output may be (the terminal's columns). @default DEFAULT_COLUMNS */
  readonly columns?: number;
}

/** The width output fits when it does not go to a terminal (a pipe, a file, a test). */
export const DEFAULT_COLUMNS = 80;
/** A screenful: `txc` summarises a longer list unless asked for all of it (`--verbose`). */
export const LIST_ROWS = 20;
/** Narrower terminals get this width anyway: below it, nothing useful fits. */
const MIN_COLUMNS = 40;

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  get columns() {
    return process.stdout.isTTY === true && process.stdout.columns > 0
      ? process.stdout.columns
      : DEFAULT_COLUMNS;
  },
};

/**
 * A reader that goes away (`txc runs | head -3`) ends the output, not the process with an
 * unhandled EPIPE and a stack trace: the command exits with the code it had so far, as a tool
 * killed by SIGPIPE would stop. Called once by each bin.
 */
export function endQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}

/** The width to lay output out in for this writer. */
export function widthOf(io: Io): number {
  return Math.max(MIN_COLUMNS, io.columns ?? DEFAULT_COLUMNS);
}

/** How a column is narrowed when the table does not fit. */
export interface ColumnLayout {
  /**
   * `word` (the default): wrapped at spaces, a single word longer than the column is cut with
   * `…`; `char`: wrapped anywhere (ids, which must stay whole); `none`: never narrowed.
   */
  wrap?: 'word' | 'char' | 'none';
  /** The narrowest the column's content gets. @default its longest header word */
  min?: number;
  /** When the table must be narrowed, the widest this column gets while others still wrap. */
  max?: number;
}

export interface TableLayout {
  /** The table's total width, borders included, at most. */
  width: number;
  /** Per column, in order; missing ones are `{ wrap: 'word' }`. */
  columns?: ColumnLayout[];
}

/** Borders and padding: one border per column plus one, one space of padding either side. */
const PADDING = 2;

const textWidth = (text: string) => Math.max(0, ...text.split('\n').map((l) => [...l].length));

/**
 * Content widths that fit `budget`: every column its natural width if they all fit. Otherwise the
 * `none` columns keep theirs and the others start at their minimum, then share what is left —
 * first the `char` columns (ids, which read badly when broken), then every column up to its
 * `max`, then up to its natural width; within each round the narrow ones first get all they need
 * (a short column is never wrapped to widen a long one).
 */
function fitWidths(
  natural: number[],
  columns: ColumnLayout[],
  mins: number[],
  budget: number,
): number[] {
  if (natural.reduce((a, b) => a + b, 0) <= budget) return natural;
  const fixed = columns.map((c) => c.wrap === 'none');
  const widths = natural.map((n, i) => (fixed[i] ? n : Math.min(n, mins[i])));
  let extra = budget - widths.reduce((a, b) => a + b, 0);
  const capped = (i: number) => Math.min(natural[i], columns[i].max ?? natural[i]);
  const rounds: ((i: number) => number)[] = [
    (i) => (columns[i].wrap === 'char' ? capped(i) : widths[i]),
    capped,
    (i) => natural[i],
  ];
  for (const cap of rounds) {
    for (;;) {
      const needy = widths
        .map((_, i) => i)
        .filter((i) => !fixed[i] && widths[i] < cap(i))
        .sort((a, b) => cap(a) - widths[a] - (cap(b) - widths[b]));
      if (extra <= 0 || needy.length === 0) break;
      const share = Math.max(1, Math.floor(extra / needy.length));
      for (const i of needy) {
        const give = Math.min(cap(i) - widths[i], share, extra);
        widths[i] += give;
        extra -= give;
        if (extra === 0) break;
      }
    }
  }
  return widths;
}

/**
 * A plain table (no colours, so captured output and pipes stay clean). With a layout, the
 * columns are sized to fit `layout.width` and cli-table3 wraps the cells (`wordWrap` with
 * computed `colWidths`); without one, every column is as wide as its content.
 */
export function table(head: string[], rows: (string | number)[][], layout?: TableLayout): string {
  const style = { head: [], border: [], compact: true };
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  if (layout === undefined) {
    const t = new Table({ head, style });
    for (const row of cells) t.push(row);
    return `${t.toString()}\n`;
  }
  const columns = head.map((_, i) => layout.columns?.[i] ?? {});
  const natural = head.map((h, i) =>
    Math.max(textWidth(h), ...cells.map((row) => textWidth(row[i] ?? ''))),
  );
  const mins = head.map((h, i) =>
    Math.min(natural[i], columns[i].min ?? Math.max(...h.split(/\s+/).map((w) => w.length))),
  );
  const budget = layout.width - (head.length + 1) - PADDING * head.length;
  const widths = fitWidths(natural, columns, mins, budget);
  const t = new Table({
    head,
    style,
    colWidths: widths.map((w) => w + PADDING),
    wordWrap: true,
    wrapOnWordBoundary: true,
  });
  for (const row of cells) {
    t.push(
      row.map((content, i) =>
        columns[i].wrap === 'char'
          ? { content, wordWrap: true, wrapOnWordBoundary: false }
          : content,
      ),
    );
  }
  return `${t.toString()}\n`;
}

/**
 * `text` wrapped at spaces into lines of at most `width` characters; a word longer than a line
 * is split. Newlines in `text` are kept.
 */
export function wrapText(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      let rest = word;
      if (line !== '' && line.length + 1 + rest.length <= max) {
        line += ` ${rest}`;
        continue;
      }
      if (line !== '') lines.push(line);
      while (rest.length > max) {
        lines.push(rest.slice(0, max));
        rest = rest.slice(max);
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines;
}

/** `text` wrapped to `width`, continuation lines indented by `indent` spaces, with a final newline. */
export function paragraph(text: string, width: number, indent = 0): string {
  const lines = wrapText(text, width - indent);
  return `${lines.map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l)).join('\n')}\n`;
}

/** Keys up to this long line up across blocks. */
const FIELD_WIDTH = 17;

/**
 * `key: value` lines, aligned; entries whose value is undefined are left out. With a width, a
 * longer value wraps under itself (a hanging indent).
 */
export function fields(entries: [string, string | number | undefined][], width?: number): string {
  const shown = entries.filter((e): e is [string, string | number] => e[1] !== undefined);
  const keyWidth = Math.max(FIELD_WIDTH, ...shown.map(([k]) => k.length)) + 2;
  return shown
    .map(([k, v]) => {
      const key = `${k}:`.padEnd(keyWidth);
      const value = String(v);
      if (width === undefined) return `${key}${value}\n`;
      const lines = wrapText(value, width - keyWidth);
      return `${key}${lines.join(`\n${' '.repeat(keyWidth)}`)}\n`;
    })
    .join('');
}

/**
 * A shell command on lines of at most `width` characters, indented by `indent`: broken at spaces
 * with ` \` continuations (a POSIX shell reads the lines back as one command), so it still works
 * when pasted. A single word longer than a line stays whole.
 */
export function commandLines(command: string, width: number, indent = 2): string[] {
  const lines: string[] = [];
  // Shell words: a quoted part never splits (a continuation inside quotes would be literal).
  const shellWords = command.match(/(?:[^\s'\\]+|'[^']*'|\\.)+/g) ?? [];
  // A flag stays on the line of its value.
  const units: string[] = [];
  shellWords.forEach((word, k) => {
    const previous = shellWords[k - 1];
    if (previous?.startsWith('--') === true && !word.startsWith('--')) {
      units[units.length - 1] += ` ${word}`;
    } else {
      units.push(word);
    }
  });
  const [first = '', ...words] = units;
  let line = ' '.repeat(indent) + first;
  words.forEach((word, k) => {
    // Room for the word, and for ` \` after it unless it ends the command.
    const room = k === words.length - 1 ? 0 : 2;
    if (line.length + 1 + word.length + room <= width) {
      line += ` ${word}`;
    } else {
      lines.push(`${line} \\`);
      line = ' '.repeat(indent + 2) + word;
    }
  });
  lines.push(line);
  return lines;
}

/** A next step: `label:` then the command(s) on their own indented lines, ready to paste. */
export function hint(label: string, commands: string | string[], width: number): string {
  const list = typeof commands === 'string' ? [commands] : commands;
  return `${paragraph(`${label}:`, width)}${list.map((c) => `${commandLines(c, width).join('\n')}\n`).join('')}`;
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

/** The first `n` items one per line, then `… (k more)` when there are more: ids in a table cell. */
export function idLines(items: readonly string[], n: number): string {
  const more = items.length > n ? [`… (${items.length - n} more)`] : [];
  return [...items.slice(0, n), ...more].join('\n');
}

/** The first `n` items joined with `, `, then `… (k more)` when there are more. */
export function firstFew(items: readonly string[], n: number): string {
  const shown = items.slice(0, n).join(', ');
  return items.length > n ? `${shown}, … (${items.length - n} more)` : shown;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Milliseconds from an ISO timestamp to `now`; NaN when the text is not a date. */
export function ageMs(iso: string | undefined, now: Date): number {
  if (iso === undefined) return Number.NaN;
  return now.getTime() - Date.parse(iso);
}
