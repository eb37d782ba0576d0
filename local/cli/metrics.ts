/**
 * `txc local metrics`: the metrics the handlers of a running `txc local serve` emitted (the EMF
 * lines of its handler log, `GET /txconfirm/metrics`), offline — so a runbook rehearsal can see
 * that an alarm's metric was emitted, and whether its last period is over the alarm's threshold:
 *
 *   npm run txc -- local metrics                 # every metric: last 5 min, total, its alarm
 *   npm run txc -- local metrics --since 15m     # only the data points of the last 15 minutes
 *   npm run txc -- local metrics --json          # the endpoint's answer (LocalMetricsReport)
 *
 * The local runtime does not evaluate alarms: "over threshold" compares the alarm's statistic
 * over its last period with its threshold, nothing more. The endpoint is `--endpoint URL`, else
 * `$TXC_ENDPOINT`, else http://127.0.0.1:8083. Exit codes as every txc command: 0 ok (whatever
 * the metrics say), 1 failure (no endpoint), 2 usage (a bad value, named).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { fields, hint, type Io, json, paragraph, processIo, table, widthOf } from '../../cli/io';
import { InvalidProviderMode, parseDuration } from '../fakes/provider-simulator/fault-modes';
import {
  LOCAL_METRICS_PATH,
  METRIC_FILTER_SOURCE,
  type LocalMetric,
  type LocalMetricAlarm,
  type LocalMetricsReport,
  type LocalMetricStats,
} from '../aws/local-endpoint-contract';
import { txcAction } from '../../ops/program';
import { txcCommand } from '../../ops/target-spec';
import { localCommandEndpoint, localRouteRequest, unexpectedAnswer } from './endpoint';

/** Reading a long handler log takes a while: longer than the other routes' wait. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface MetricsCommandDeps {
  io?: Io;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/** `--since`: a duration above 0 (usage error naming the flag). */
const sinceFlag = (value: string): string => {
  try {
    if (parseDuration(value, '--since') === 0) {
      throw new InvalidArgumentError(`--since must be above 0, got "${value}"`);
    }
  } catch (error) {
    if (error instanceof InvalidProviderMode) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value.trim();
};

/** `GET /txconfirm/metrics`; named errors for every way it can fail. */
export async function metricsRequest(
  endpoint: string,
  since: string | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<LocalMetricsReport> {
  const answer = await localRouteRequest(endpoint, LOCAL_METRICS_PATH, {
    ...(since === undefined ? {} : { query: `?since=${encodeURIComponent(since)}` }),
    fetch: fetchImpl,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  if (answer.status < 200 || answer.status > 299) {
    throw unexpectedAnswer(endpoint, LOCAL_METRICS_PATH, answer);
  }
  return answer.json as LocalMetricsReport;
}

/** `12`, `1,265`, `0.425`, `31.2`: integers whole, others to 3 significant digits. */
function number(value: number): string {
  return Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

const UNIT_SHORT: Record<string, string> = {
  Milliseconds: 'ms',
  Microseconds: 'µs',
  Seconds: 's',
  Bytes: 'B',
  Kilobytes: 'kB',
  Megabytes: 'MB',
  Percent: '%',
};

/** A count (or a unitless metric) shows its sum; a latency, an age or a size its maximum, with its unit. */
function shown(metric: LocalMetric, stats: LocalMetricStats): string {
  if (metric.unit === null || stats.count === 0) return '-';
  if (metric.unit === 'Count' || metric.unit === 'None' || stats.max === null) {
    return number(stats.sum);
  }
  return `${number(stats.max)} ${UNIT_SHORT[metric.unit] ?? metric.unit.toLowerCase()}`;
}

const OPERATOR: Record<string, [string, string]> = {
  GreaterThanThreshold: ['>', '≤'],
  GreaterThanOrEqualToThreshold: ['≥', '<'],
  LessThanThreshold: ['<', '≥'],
  LessThanOrEqualToThreshold: ['≤', '>'],
};

const STAT_SHORT: Record<string, string> = {
  Maximum: 'max',
  Minimum: 'min',
  Average: 'avg',
  SampleCount: 'samples',
};

/** `5 min`, `15 min`, `90 s`. */
const period = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/** The alarm's runbook entry, else its name. */
const entryOf = (alarm: { alarmName: string; runbookEntry: string | null }) =>
  alarm.runbookEntry ?? alarm.alarmName;

/**
 * `YES: 3 > 0`, `no: 0 ≤ 0`, `no data`, `not evaluated`: the alarm's value against its
 * threshold; `compact`, the comparison on a line of its own.
 */
export function overThresholdCell(alarm: LocalMetricAlarm, compact = false): string {
  if (alarm.notEvaluated !== undefined) return 'not evaluated';
  if (alarm.value === null || alarm.overThreshold === null) {
    return alarm.treatMissingData === 'breaching' ? 'no data (breaching)' : 'no data';
  }
  const [over, under] = OPERATOR[alarm.comparisonOperator] ?? ['?', '?'];
  const answer = `${alarm.overThreshold ? 'YES' : 'no'}: ${number(alarm.value)}`;
  const comparison = `${alarm.overThreshold ? over : under} ${number(alarm.threshold)}`;
  return `${answer}${compact ? '\n' : ' '}${comparison}`;
}

/** An id on lines of at most `max` characters, broken after hyphens (`provider-error-`, `rate`). */
function hyphenLines(id: string, max: number): string {
  const lines: string[] = [];
  let line = '';
  for (const part of id.split(/(?<=-)/)) {
    if (line !== '' && line.length + part.length > max) {
      lines.push(line);
      line = '';
    }
    line += part;
  }
  return [...lines, line].join('\n');
}

/** In a narrow table, a runbook entry's lines are at most this long. */
const COMPACT_ENTRY = 15;

/**
 * The alarm as the table names it: its runbook entry (else its name; `compact`, broken after
 * hyphens), and what it compares when that is not the sum of the last 5 minutes:
 * `(max, 15 min)`, `(metric math)`.
 */
export function alarmCell(alarm: LocalMetricAlarm, windowSeconds: number, compact = false): string {
  const notes = [
    alarm.expression !== null ? 'metric math' : undefined,
    alarm.expression === null && alarm.statistic !== 'Sum'
      ? (STAT_SHORT[alarm.statistic] ?? alarm.statistic)
      : undefined,
    alarm.periodSeconds !== windowSeconds ? period(alarm.periodSeconds) : undefined,
  ].filter((n) => n !== undefined);
  const entry = compact ? hyphenLines(entryOf(alarm), COMPACT_ENTRY) : entryOf(alarm);
  return `${entry}${notes.length > 0 ? `\n(${notes.join(', ')})` : ''}`;
}

/** The widest line of a cell. */
const cellWidth = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));

/** `hh:mm:ssZ` of an ISO time. */
const clock = (iso: string) => `${iso.slice(11, 19)}Z`;

/** The report as a human reads it, fitted to `width` (see the file comment). */
export function formatMetricsReport(
  report: LocalMetricsReport,
  width: number,
  sinceFlagValue?: string,
): string {
  const window = period(report.windowSeconds);
  const { lines } = report;
  const read = report.handlerLogExists
    ? `${number(lines.read)} lines: ${number(lines.emf)} metric (EMF), ${number(lines.logs)} logs, ${number(lines.skipped)} skipped${lines.emfBeforeSince > 0 ? `; ${number(lines.emfBeforeSince)} metric lines before --since` : ''}`
    : 'none yet (nothing logged)';
  const windowStart = new Date(Date.parse(report.now) - report.windowSeconds * 1000).toISOString();
  const about = fields(
    [
      ['handler log', report.handlerLog],
      ['read', read],
      [`last ${window}`, `${clock(windowStart)} → ${clock(report.now)}`],
      [
        'total',
        report.since === null
          ? 'the whole log'
          : `since ${clock(report.since)}${sinceFlagValue === undefined ? '' : ` (--since ${sinceFlagValue})`}`,
      ],
    ],
    width,
  );

  const alarmsByName = new Map(report.alarms.map((a) => [a.alarmName, a]));
  const head = ['metric', `last ${window}`, 'total', 'alarm (runbook entry)', 'over threshold'];
  const rowsOf = (compact: boolean) =>
    report.metrics.map((metric) => {
      const alarms = metric.alarms
        .map((name) => alarmsByName.get(name))
        .filter((a): a is LocalMetricAlarm => a !== undefined);
      return [
        metric.name,
        shown(metric, metric.lastWindow),
        shown(metric, metric.total),
        alarms.map((a) => alarmCell(a, report.windowSeconds, compact)).join('\n'),
        alarms.map((a) => overThresholdCell(a, compact)).join('\n'),
      ];
    });
  // One line per alarm when that fits; else (80 columns) the entries break after hyphens and the
  // comparisons go on lines of their own, so that metric names and numbers stay whole.
  const wide = rowsOf(false);
  const natural = head.map((h, i) => Math.max(...[h, ...wide.map((r) => r[i])].map(cellWidth)));
  const fits = natural.reduce((a, b) => a + b, 0) + 3 * head.length + 1 <= width;
  const body = table(head, fits ? wide : rowsOf(true), {
    width,
    // Metric names wrap anywhere but are never cut (on a terminal narrower than 80); a value
    // with its unit (`55.9 ms`), an entry's line and `YES: 0.425` keep a line each.
    columns: fits
      ? [{ wrap: 'char' }, {}, {}, { wrap: 'char' }, {}]
      : [{ wrap: 'char' }, { min: 7 }, { min: 7 }, { min: COMPACT_ENTRY }, { min: 10 }],
  });

  const notes = [
    paragraph(
      `Alarms are not evaluated offline: "over threshold" compares an alarm's statistic over its last period (the sum over ${window} unless noted) with its threshold. A count shows its sum, a latency or an age its maximum.`,
      width,
    ),
  ];
  if (report.notEmittedOffline.length > 0) {
    const entries = [...new Set(report.notEmittedOffline.map(entryOf))];
    const namespaces = [...new Set(report.notEmittedOffline.map((a) => a.source))].filter(
      (source) => source !== METRIC_FILTER_SOURCE,
    );
    const filters = report.notEmittedOffline.filter((a) => a.source === METRIC_FILTER_SOURCE);
    const what = [
      namespaces.length > 0 ? `${namespaces.join(', ')} metrics` : undefined,
      filters.length === 0
        ? undefined
        : filters.length === 1
          ? 'a log metric filter'
          : `${filters.length} log metric filters`,
    ].filter((w) => w !== undefined);
    notes.push(
      paragraph(
        `Not emitted offline: ${report.notEmittedOffline.length} alarms on ${what.join(' and ')} — ${entries.join(', ')}.`,
        width,
      ),
    );
  }
  return `${about}${body}${notes.join('')}`;
}

interface GlobalFlags {
  json?: boolean;
}

/** `txc local metrics` (registered under `txc local` by local/cli/local-command.ts). */
export function localMetricsCommand(deps: MetricsCommandDeps = {}): Command {
  const io = deps.io ?? processIo;
  const env = deps.env ?? process.env;
  return new Command('metrics')
    .description(
      'the metrics the handlers of a running `txc local serve` emitted (its handler log), with the alarms on them and their last period against the threshold (--endpoint URL, else $TXC_ENDPOINT, else http://127.0.0.1:8083)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .showHelpAfterError('(run with --help for usage)')
    .addOption(
      new Option(
        '--since <duration>',
        'only data points of the last <duration>, e.g. 15m (default: the whole log)',
      ).argParser(sinceFlag),
    )
    .action(
      txcAction(async (o: { since?: string }, command: Command) => {
        const endpoint = localCommandEndpoint(command, env, 'metrics');
        const report = await metricsRequest(endpoint, o.since, deps.fetch ?? fetch);
        if (command.optsWithGlobals<GlobalFlags>().json === true) {
          io.out(json(report));
          return 0;
        }
        const width = widthOf(io);
        io.out(formatMetricsReport(report, width, o.since));
        const over = report.alarms.filter((a) => a.overThreshold === true);
        if (over.length > 0) {
          io.out(
            paragraph(
              `Over threshold — what to do: ${over.map((a) => `docs/runbook.md#${entryOf(a)}`).join(', ')}`,
              width,
            ),
          );
        }
        if (report.metrics.every((m) => m.total.count === 0)) {
          io.out(
            hint(
              'No metrics yet: run once',
              txcCommand(['start', '--wait'], { kind: 'local', endpoint }),
              width,
            ),
          );
        }
        return 0;
      }),
    );
}
