/**
 * `GET /txconfirm/metrics`: what the handlers emitted (their EMF lines in the handler log,
 * local/runtime/emf-metrics.ts) next to the synthesized stack's alarms that watch those metrics
 * (./metric-alarms.ts): each alarm's statistic over its last period, and whether that value
 * crosses its threshold — a plain comparison, not an alarm state (no evaluation periods, no
 * datapoints-to-alarm, no missing-data rule applied): the local runtime does not evaluate alarms,
 * it shows their metrics. Alarms on AWS metrics (AWS/States, AWS/Lambda…) and on log metric
 * filters are listed as not emitted offline.
 */
import { METRICS_NAMESPACE } from '../../lambdas/contracts';
import {
  DEFAULT_WINDOW_MS,
  type EmfMetric,
  type EmfStats,
  readEmfMetrics,
} from '../runtime/emf-metrics';
import type { CfnTemplate } from '../stack/synthesized-definition';
import {
  type LocalMetric,
  type LocalMetricAlarm,
  type LocalMetricStats,
  type LocalMetricsReport,
  METRIC_FILTER_SOURCE,
} from './local-endpoint-contract';
import {
  type AlarmMetric,
  crosses,
  metricFilterMetrics,
  type StackAlarm,
  stackAlarms,
} from './metric-alarms';
import { evaluateMetricMath, UnsupportedMetricMath } from './metric-math';

export interface MetricsReportInput {
  readonly template: CfnTemplate;
  readonly logFile: string;
  /** @default now */
  readonly now?: Date;
  /** Leave out data points before it. */
  readonly since?: Date;
}

const EMPTY: LocalMetricStats = { sum: 0, count: 0, max: null, min: null };

/** The statistic of some data points; null without any (or for one not computed here). */
function statistic(stats: EmfStats, name: string): number | null | undefined {
  if (stats.count === 0) return null;
  switch (name) {
    case 'Sum':
      return stats.sum;
    case 'Maximum':
      return stats.max;
    case 'Minimum':
      return stats.min;
    case 'Average':
      return stats.sum / stats.count;
    case 'SampleCount':
      return stats.count;
    default:
      // Percentiles (p99…) and the like need every data point: not kept.
      return undefined;
  }
}

/** Where an alarm's metrics come from offline; undefined: the handlers emit them all. */
function notEmittedSource(alarm: StackAlarm, filtered: Set<string>): string | undefined {
  for (const m of Object.values(alarm.metrics)) {
    if (filtered.has(`${m.namespace}/${m.metricName}`)) return METRIC_FILTER_SOURCE;
    if (m.namespace !== METRICS_NAMESPACE) return m.namespace;
  }
  return undefined;
}

/** The alarm's value over its last period and how it compares. */
function evaluate(
  alarm: StackAlarm,
  metrics: ReadonlyMap<string, EmfMetric>,
): Pick<LocalMetricAlarm, 'value' | 'overThreshold' | 'notEvaluated'> {
  const values: Record<string, number | null> = {};
  for (const [id, m] of Object.entries(alarm.metrics)) {
    const window = metrics.get(m.metricName)?.windows.get(m.periodSeconds * 1000) ?? EMPTY;
    const value = statistic(window, m.statistic);
    if (value === undefined) {
      return {
        value: null,
        overThreshold: null,
        notEvaluated: `${m.statistic} is not computed offline`,
      };
    }
    values[id] = value;
  }
  let value: number | null;
  if (alarm.expression === undefined) {
    value = Object.values(values)[0];
  } else {
    try {
      value = evaluateMetricMath(alarm.expression, values);
    } catch (error) {
      if (!(error instanceof UnsupportedMetricMath)) throw error;
      return { value: null, overThreshold: null, notEvaluated: error.message };
    }
  }
  if (value === null) return { value: null, overThreshold: null };
  const over = crosses(alarm.comparisonOperator, value, alarm.threshold);
  return over === undefined
    ? {
        value,
        overThreshold: null,
        notEvaluated: `${alarm.comparisonOperator} is not compared offline`,
      }
    : { value, overThreshold: over };
}

const stats = (s: EmfStats | undefined): LocalMetricStats =>
  s === undefined ? { ...EMPTY } : { sum: s.sum, count: s.count, max: s.max, min: s.min };

const iso = (ms: number) => new Date(ms).toISOString();

/** The report (see the file comment). */
export async function localMetricsReport(input: MetricsReportInput): Promise<LocalMetricsReport> {
  const now = input.now ?? new Date();
  const filtered = metricFilterMetrics(input.template);
  const alarms: StackAlarm[] = [];
  const notEmittedOffline: LocalMetricsReport['notEmittedOffline'] = [];
  for (const alarm of stackAlarms(input.template)) {
    const source = notEmittedSource(alarm, filtered);
    if (source === undefined) alarms.push(alarm);
    else
      notEmittedOffline.push({
        alarmName: alarm.alarmName,
        runbookEntry: alarm.runbookEntry,
        source,
      });
  }
  const alarmMetrics = (alarm: StackAlarm): AlarmMetric[] => Object.values(alarm.metrics);
  const periods = alarms.flatMap((a) => alarmMetrics(a).map((m) => m.periodSeconds * 1000));
  const read = await readEmfMetrics(input.logFile, {
    now,
    since: input.since,
    windowsMs: [DEFAULT_WINDOW_MS, ...periods],
  });

  const names = new Set([
    ...read.metrics.keys(),
    ...alarms.flatMap((a) => alarmMetrics(a).map((m) => m.metricName)),
  ]);
  const metrics: LocalMetric[] = [...names].sort().map((name) => {
    const emitted = read.metrics.get(name);
    return {
      name,
      namespace: emitted?.namespace ?? METRICS_NAMESPACE,
      unit: emitted?.unit ?? null,
      total: stats(emitted),
      lastWindow: stats(emitted?.windows.get(DEFAULT_WINDOW_MS)),
      firstTimestamp: emitted ? iso(emitted.firstTimestamp) : null,
      lastTimestamp: emitted ? iso(emitted.lastTimestamp) : null,
      alarms: alarms
        .filter((a) => alarmMetrics(a).some((m) => m.metricName === name))
        .map((a) => a.alarmName),
    };
  });

  return {
    now: now.toISOString(),
    since: input.since === undefined ? null : input.since.toISOString(),
    windowSeconds: DEFAULT_WINDOW_MS / 1000,
    handlerLog: input.logFile,
    handlerLogExists: read.exists,
    lines: {
      read: read.lines,
      emf: read.emfLines,
      emfBeforeSince: read.emfLinesBeforeSince,
      logs: read.logLines,
      skipped: read.skippedLines,
    },
    metrics,
    alarms: alarms.map((alarm) => {
      const used = alarmMetrics(alarm);
      return {
        alarmName: alarm.alarmName,
        runbookEntry: alarm.runbookEntry,
        metrics: [...new Set(used.map((m) => m.metricName))],
        expression: alarm.expression ?? null,
        statistic: [...new Set(used.map((m) => m.statistic))].join(', '),
        periodSeconds: Math.max(...used.map((m) => m.periodSeconds)),
        evaluationPeriods: alarm.evaluationPeriods,
        comparisonOperator: alarm.comparisonOperator,
        threshold: alarm.threshold,
        treatMissingData: alarm.treatMissingData,
        ...evaluate(alarm, read.metrics),
      };
    }),
    notEmittedOffline,
  };
}
