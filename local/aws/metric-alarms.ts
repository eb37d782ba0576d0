/**
 * The CloudWatch alarms of the synthesized stack, as the local runtime reads them from the
 * template (nothing re-declared from lib/monitoring/): what each watches — one metric, or a metric
 * math expression over several — with its threshold, comparison, statistic, period and runbook
 * entry, and the metrics the template's log metric filters publish (nothing emits those offline).
 * The local runtime does not evaluate alarms; `txc local metrics` shows the metrics they watch.
 */
import { type CfnTemplate, resolveIntrinsics } from '../stack/synthesized-definition';

/** One metric an alarm reads. */
export interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  /** `Sum`, `Maximum`, `p99`… */
  readonly statistic: string;
  readonly periodSeconds: number;
}

export interface StackAlarm {
  readonly logicalId: string;
  readonly alarmName: string;
  /** From `Runbook: docs/runbook.md#<entry>` at the end of its description. */
  readonly runbookEntry: string | null;
  readonly comparisonOperator: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly treatMissingData: string;
  /** Metric math: the expression that returns the alarm's data, and its metrics by id. */
  readonly expression?: string;
  /** By id for metric math; one entry (id `m`) for an alarm on one metric. */
  readonly metrics: Readonly<Record<string, AlarmMetric>>;
}

const RUNBOOK_ENTRY = /Runbook: docs\/runbook\.md#([A-Za-z0-9_-]+)\s*$/;

/** The id of the one metric of an alarm without metric math. */
export const SINGLE_METRIC_ID = 'm';

interface MetricStatProps {
  Metric?: { Namespace?: unknown; MetricName?: unknown };
  Period?: unknown;
  Stat?: unknown;
}

function alarmMetric(
  namespace: unknown,
  metricName: unknown,
  statistic: unknown,
  period: unknown,
): AlarmMetric | undefined {
  if (typeof namespace !== 'string' || typeof metricName !== 'string') return undefined;
  if (typeof statistic !== 'string' || typeof period !== 'number') return undefined;
  return { namespace, metricName, statistic, periodSeconds: period };
}

/**
 * Every AWS::CloudWatch::Alarm of the template that names its metric(s), in template order. An
 * alarm whose properties do not resolve offline, or that watches something else (an anomaly band,
 * a composite alarm), is left out.
 */
export function stackAlarms(template: CfnTemplate): StackAlarm[] {
  const alarms: StackAlarm[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    const raw = resource.Properties ?? {};
    let props: Record<string, unknown>;
    try {
      // Only what is read here: the actions name topics that need not resolve offline.
      props = resolveIntrinsics(template, {
        AlarmName: raw.AlarmName,
        AlarmDescription: raw.AlarmDescription,
        ComparisonOperator: raw.ComparisonOperator,
        Threshold: raw.Threshold,
        EvaluationPeriods: raw.EvaluationPeriods,
        TreatMissingData: raw.TreatMissingData,
        Namespace: raw.Namespace,
        MetricName: raw.MetricName,
        Statistic: raw.Statistic,
        ExtendedStatistic: raw.ExtendedStatistic,
        Period: raw.Period,
        Metrics: raw.Metrics,
      }) as Record<string, unknown>;
    } catch {
      continue;
    }
    const threshold = Number(props.Threshold);
    if (typeof props.ComparisonOperator !== 'string' || !Number.isFinite(threshold)) continue;
    const metrics: Record<string, AlarmMetric> = {};
    let expression: string | undefined;
    if (Array.isArray(props.Metrics)) {
      for (const query of props.Metrics as {
        Id?: unknown;
        Expression?: unknown;
        MetricStat?: MetricStatProps;
        ReturnData?: unknown;
      }[]) {
        if (typeof query.Id !== 'string') continue;
        if (typeof query.Expression === 'string') {
          if (query.ReturnData !== false) expression = query.Expression;
          continue;
        }
        const stat = query.MetricStat;
        const metric = alarmMetric(
          stat?.Metric?.Namespace,
          stat?.Metric?.MetricName,
          stat?.Stat,
          stat?.Period,
        );
        if (metric !== undefined) metrics[query.Id] = metric;
      }
      // A query returning one metric without math reads as that metric.
      if (expression === undefined && Object.keys(metrics).length !== 1) continue;
    } else {
      const metric = alarmMetric(
        props.Namespace,
        props.MetricName,
        props.Statistic ?? props.ExtendedStatistic,
        props.Period,
      );
      if (metric === undefined) continue;
      metrics[SINGLE_METRIC_ID] = metric;
    }
    if (Object.keys(metrics).length === 0) continue;
    const description = typeof props.AlarmDescription === 'string' ? props.AlarmDescription : '';
    alarms.push({
      logicalId,
      alarmName: typeof props.AlarmName === 'string' ? props.AlarmName : logicalId,
      runbookEntry: RUNBOOK_ENTRY.exec(description)?.[1] ?? null,
      comparisonOperator: props.ComparisonOperator,
      threshold,
      evaluationPeriods: Number(props.EvaluationPeriods ?? 1),
      treatMissingData:
        typeof props.TreatMissingData === 'string' ? props.TreatMissingData : 'missing',
      ...(expression === undefined ? {} : { expression }),
      metrics,
    });
  }
  return alarms;
}

/** `<namespace>/<name>` of every metric the template's AWS::Logs::MetricFilter resources publish. */
export function metricFilterMetrics(template: CfnTemplate): Set<string> {
  const found = new Set<string>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Logs::MetricFilter') continue;
    let transformations: unknown;
    try {
      transformations = resolveIntrinsics(template, resource.Properties?.MetricTransformations);
    } catch {
      continue;
    }
    if (!Array.isArray(transformations)) continue;
    for (const t of transformations as { MetricNamespace?: unknown; MetricName?: unknown }[]) {
      if (typeof t.MetricNamespace === 'string' && typeof t.MetricName === 'string') {
        found.add(`${t.MetricNamespace}/${t.MetricName}`);
      }
    }
  }
  return found;
}

/** Whether `value` crosses `threshold` by the alarm's operator; undefined for an operator it does not know. */
export function crosses(operator: string, value: number, threshold: number): boolean | undefined {
  switch (operator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      return undefined;
  }
}
