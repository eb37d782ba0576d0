/**
 * How `npm start` and `txc local serve` show a run and a restart, sized to the terminal:
 * - the summary table (cli-table3 with computed `colWidths` and `wordWrap`, so it fits
 *   `process.stdout.columns`, 80 when stdout is not a terminal);
 * - the next steps after a run that left work, each with commands that work when pasted;
 * - what a restart did to a data dir (executions marked ABORTED, pending-index entries repaired).
 */
import * as path from 'node:path';
import Table from 'cli-table3';
import { DEFAULT_COLUMNS, hint, paragraph } from '../../cli/io';
import { localServeCommand, shellWord } from '../../ops/target-spec';
import type { RestartReport } from '../runtime/local-runtime';
import { PROJECT_ROOT } from '../runtime/lambdas';

/** Borders of a two-column table: `│ a │ b │`. */
const BORDERS = 3;
/** cli-table3's padding, one space either side of a cell's content. */
const PADDING = 2;
/** The label column never gets narrower than this (content)… */
const MIN_LABEL = 12;
/** …nor than this share of the width. */
const LABEL_SHARE = 0.27;
/** Nothing useful fits below this. */
const MIN_COLUMNS = 40;

export interface SummaryLayout {
  /** The width to fit, borders included. */
  readonly columns: number;
  /** Colours (a terminal); plain otherwise. */
  readonly colour: boolean;
}

/** stdout's width when it is a terminal, else 80. */
export function stdoutLayout(): SummaryLayout {
  const tty = process.stdout.isTTY === true;
  return {
    columns: tty && process.stdout.columns > 0 ? process.stdout.columns : DEFAULT_COLUMNS,
    colour: tty,
  };
}

const width = (text: string) => Math.max(0, ...text.split('\n').map((line) => [...line].length));
const longestWordOf = (text: string) => Math.max(0, ...text.split(/\s+/).map(width));

/**
 * A two-column table (label, value) that fits `layout.columns`: both columns at their natural
 * width when that fits; otherwise the values keep theirs as far as possible (ids and paths read
 * better whole) and the labels wrap, down to MIN_LABEL; past that the values wrap too — at spaces,
 * or anywhere for a value without spaces (an id, a path), never cut.
 */
export function summaryTable(
  head: readonly [string, string],
  /** `[label, value]` each. */
  rows: readonly (readonly (string | number)[])[],
  layout: SummaryLayout,
): string {
  const cells = rows.map(([label, value]) => [String(label), String(value)] as const);
  const labelNeed = Math.max(width(head[0]), ...cells.map(([label]) => width(label)));
  const valueNeed = Math.max(width(head[1]), ...cells.map(([, value]) => width(value)));
  const budget = Math.max(MIN_COLUMNS, layout.columns) - BORDERS - 2 * PADDING;
  let labelWidth = labelNeed;
  let valueWidth = valueNeed;
  if (labelNeed + valueNeed > budget) {
    // The labels get what the values leave, at least about a quarter (long prose in a value, an
    // error, does not squeeze them further: it wraps anyway); the values' longest word (the run
    // id) stays whole when the labels can still have MIN_LABEL.
    const longestWord = Math.max(...cells.map(([, value]) => longestWordOf(value)));
    const labelFloor = Math.min(labelNeed, Math.max(MIN_LABEL, Math.floor(budget * LABEL_SHARE)));
    labelWidth = Math.min(labelNeed, Math.max(labelFloor, budget - valueNeed));
    if (budget - labelWidth < longestWord) {
      labelWidth = Math.max(Math.min(MIN_LABEL, labelNeed), budget - longestWord);
    }
    valueWidth = budget - labelWidth;
  }
  const table = new Table({
    head: [...head],
    colWidths: [labelWidth + PADDING, valueWidth + PADDING],
    wordWrap: true,
    wrapOnWordBoundary: true,
    ...(layout.colour ? {} : { style: { head: [], border: [] } }),
  });
  // A cell with a word longer than its column (an id, a path) is broken anywhere: cli-table3
  // would cut that word with `…` otherwise.
  const cell = (content: string, columnWidth: number) =>
    longestWordOf(content) > columnWidth ? { content, wrapOnWordBoundary: false } : content;
  for (const [label, value] of cells) {
    table.push([cell(label, labelWidth), cell(value, valueWidth)]);
  }
  return `${table.toString()}\n`;
}

/** What a run left behind, for the next steps. */
export interface LeftOver {
  readonly status: string;
  /** The run record's status when it differs from the execution's (PROVIDER_UNAVAILABLE). */
  readonly runStatus?: string;
  readonly deferred: number;
  readonly store: { readonly PENDING: number; readonly FAILED: number };
}

export interface NextStep {
  /** What and why, with the runbook entry. */
  readonly what: string;
  /** Commands to paste, in order (none: there is nothing to run). */
  readonly commands: readonly string[];
}

/** The runbook's entries (docs/runbook.md) the hints point to. */
const RUNBOOK = 'docs/runbook.md';

const count = (n: number) => n.toLocaleString('en-US');

/**
 * A path as a pasted command should carry it: relative to the project when it is inside it (npm
 * runs every script there), else absolute; quoted when the shell needs it.
 */
export function pathForCommand(dir: string): string {
  const absolute = path.resolve(dir);
  const relative = path.relative(PROJECT_ROOT, absolute);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  return shellWord(inside ? relative : absolute);
}

/**
 * The next steps after a run of `npm start`: what is still PENDING (run again), what is FAILED
 * (see why, requeue: through `txc local serve` on the same data dir). An in-memory store is gone
 * when the process exits, so then the only step is to keep the next one (`--data-dir`).
 * `txcLocal(args)` gives `npm run txc -- <args> <flags of the local endpoint>`; the pasted
 * `local serve` listens there (`--port` when it is not the default one), in any terminal.
 */
export function nextSteps(
  left: LeftOver,
  dataDir: string | undefined,
  txcLocal: (args: readonly string[]) => string,
  /** Where the pasted `local serve` must listen for those txc commands (`--port` if not 8083). */
  endpoint?: string,
): NextStep[] {
  const { PENDING: pending, FAILED: failed } = left.store;
  if (pending === 0 && failed === 0) return [];
  if (dataDir === undefined) {
    const parts = [
      pending > 0 ? `${count(pending)} still PENDING` : undefined,
      failed > 0 ? `${count(failed)} FAILED` : undefined,
    ].filter((p) => p !== undefined);
    return [
      {
        what: `${parts.join(' and ')}: this store was in memory and is gone when npm start exits; run with --data-dir DIR to keep unfinished work for the next run (docs/local-runtime.md)`,
        commands: [],
      },
    ];
  }
  const dir = pathForCommand(dataDir);
  const steps: NextStep[] = [];
  if (pending > 0) {
    const [why, entry] =
      left.runStatus === 'PROVIDER_UNAVAILABLE'
        ? [
            'the provider was unavailable; attempts unchanged, nothing to requeue',
            'provider-unavailable',
          ]
        : left.status === 'FAILED' || left.status === 'TIMED_OUT' || left.status === 'ABORTED'
          ? [`the run ended ${left.status}`, 'executions-failed']
          : left.deferred > 0
            ? ['the provider deferred them', 'provider-error-rate']
            : ['this run did not reach them', 'oldest-pending-age'];
    steps.push({
      what: `${count(pending)} still PENDING (${why}; ${RUNBOOK}#${entry}); run again`,
      commands: [`npm start -- --data-dir ${dir} --transactions 0`],
    });
  }
  if (failed > 0) {
    steps.push({
      what: `${count(failed)} FAILED (${RUNBOOK}#transactions-failed): serve the data dir, then in another terminal see why, and requeue them once the cause is fixed (stop the endpoint before running npm start again)`,
      commands: [
        `${endpoint === undefined ? 'npm run txc -- local serve' : localServeCommand(endpoint)} --data-dir ${dir} --no-schedule`,
        txcLocal(['failed']),
        txcLocal(['requeue', '--all-failed', '--reason', 'provider fixed']),
      ],
    });
  }
  return steps;
}

/** The next steps as text for a terminal of `columns`. */
export function formatNextSteps(steps: readonly NextStep[], columns: number): string {
  return steps
    .map((step) =>
      step.commands.length === 0
        ? paragraph(`Next: ${step.what}.`, columns)
        : hint(`Next: ${step.what}`, [...step.commands], columns),
    )
    .join('');
}

/** The first `n` names, then how many more. */
function firstFew(items: readonly string[], n = 5): string {
  const shown = items.slice(0, n).join(', ');
  return items.length > n ? `${shown}, … (${items.length - n} more)` : shown;
}

/**
 * What opening a data dir again did: the executions a killed process left RUNNING (now ABORTED,
 * their locks released) and the pending-index entries repaired. Nothing for a new data dir.
 */
export function restartLines(restart: RestartReport): string[] {
  if (!restart.reopened) return [];
  const lines: string[] = [];
  if (restart.aborted.length > 0) {
    const n = restart.aborted.length;
    lines.push(
      `restart: ${n} execution${n === 1 ? '' : 's'} a previous process left RUNNING marked ABORTED, lock released: ${firstFew(restart.aborted.map((e) => e.name))}`,
    );
  }
  if (restart.repairedIds.length > 0) {
    const n = restart.repairedIds.length;
    lines.push(
      `restart: ${n} pending-index entr${n === 1 ? 'y' : 'ies'} out of step repaired (docs/local-runtime.md, Restarts and crashes): ${firstFew(restart.repairedIds)}`,
    );
  }
  if (lines.length === 0) {
    lines.push(
      'restart: nothing to recover (no execution was left RUNNING, the pending index is in step)',
    );
  }
  return lines;
}

/** The restart as JSON (`txc local serve --json`, `npm start --json`). */
export function restartJson(restart: RestartReport) {
  return {
    reopened: restart.reopened,
    abortedExecutions: restart.aborted.map((e) => e.name),
    repairedIndexEntries: restart.repairedIds,
  };
}
