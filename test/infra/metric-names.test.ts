// The alarms and the dashboard watch the metrics that the handlers emit, under the names of
// lambdas/contracts.ts and the dimensions of lambdas/shared/metric-dimensions.ts (service and
// stage), and nothing spells those names anywhere else.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ENV,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  TOLERATED_FAILURE_METRIC,
} from '../../lambdas/contracts';
import { STAGE_DIMENSION } from '../../lambdas/shared/metric-dimensions';
import { toleratedFailureMetricName } from '../../lib/monitoring/metrics';
import { testStack } from '../support/template';
import { dashboardWidgets } from './synth';

const ROOT = path.join(__dirname, '..', '..');
const { template } = testStack();
const resources = Object.values(template.Resources);

/** A metric of the app namespace as a consumer names it: `<name> [<dimension>=<value>...]`. */
interface Watched {
  where: string;
  metricName: string;
  dimensions: string[];
}

/** Every app-namespace metric the alarms watch (plain or inside a metric math expression). */
function watchedByAlarms(): Watched[] {
  type Metric = {
    Namespace?: string;
    MetricName?: string;
    Dimensions?: { Name: string; Value: unknown }[];
  };
  const found: Watched[] = [];
  for (const alarm of resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
    const props = alarm.Properties as Metric & {
      AlarmName: string;
      Metrics?: { MetricStat?: { Metric: Metric } }[];
    };
    const metrics = [props, ...(props.Metrics ?? []).map((m) => m.MetricStat?.Metric ?? {})];
    for (const m of metrics) {
      if (m.Namespace !== METRICS_NAMESPACE) continue;
      found.push({
        where: `alarm ${props.AlarmName}`,
        metricName: m.MetricName!,
        dimensions: (m.Dimensions ?? []).map((d) => `${d.Name}=${String(d.Value)}`),
      });
    }
  }
  return found;
}

/** Every app-namespace metric the dashboard plots: a line is [namespace, name, ...dimensions, options]. */
function watchedByDashboard(): Watched[] {
  const found: Watched[] = [];
  for (const widget of dashboardWidgets(template)) {
    const lines = (widget.properties.metrics ?? []) as unknown[][];
    for (const line of lines) {
      // CloudWatch's "same as the line above" shorthand would hide a name from this test.
      expect(['.', '...']).not.toContain(line[0]);
      if (line[0] !== METRICS_NAMESPACE) continue;
      const dims = line.slice(2).filter((part) => typeof part === 'string') as string[];
      found.push({
        where: `widget ${String(widget.properties.title)}`,
        metricName: String(line[1]),
        dimensions: dims.flatMap((d, i) => (i % 2 === 0 ? [`${d}=${dims[i + 1]}`] : [])),
      });
    }
  }
  return found;
}

/** The TypeScript files under `dir` (relative to the project root). */
function sources(dir: string): { file: string; text: string }[] {
  return (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
}

/**
 * The STAGE each handler function is given: its metrics' `stage` dimension. Handler functions are
 * the ones running Powertools (POWERTOOLS_LOG_LEVEL); a custom resource's function is not one.
 */
function stagesOfFunctions(): string[] {
  return resources
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => (r.Properties?.Environment as { Variables?: Record<string, string> })?.Variables)
    .filter((variables) => variables?.POWERTOOLS_LOG_LEVEL !== undefined)
    .map((variables) => variables?.[ENV.STAGE] ?? '(none)');
}

const HANDLER_METRICS = Object.values(METRIC) as string[];
const ALL_METRICS = [...HANDLER_METRICS, TOLERATED_FAILURE_METRIC];
const CONTRACT = path.join('lambdas', 'contracts.ts');

describe('metric names', () => {
  const byAlarms = watchedByAlarms();
  const byDashboard = watchedByDashboard();
  const watched = [...byAlarms, ...byDashboard];

  it('finds the app metrics of the alarms and the dashboard', () => {
    expect(byAlarms.length).toBeGreaterThanOrEqual(4);
    expect(byDashboard.length).toBeGreaterThanOrEqual(15);
  });

  const stages = [...new Set(stagesOfFunctions())];

  it('every function publishes under one stage, the stack’s', () => {
    expect(stagesOfFunctions()).toHaveLength(5);
    expect(stages).toEqual(['dev']);
  });

  it('every app metric watched is a metric of the contract, with the dimensions it is emitted with', () => {
    const [stage] = stages;
    const wrong = watched.filter((w) => {
      // The metric filter's metric: one per stage by name, no dimension (lib/monitoring/metrics.ts).
      if (w.metricName === toleratedFailureMetricName(stage)) return w.dimensions.length > 0;
      // Powertools adds the service dimension to every handler metric, and the stage as a
      // default dimension (lambdas/shared/powertools.ts): exactly these two, in any order.
      const emitted = [`service=${SERVICE_NAME}`, `${STAGE_DIMENSION}=${stage}`];
      return (
        !HANDLER_METRICS.includes(w.metricName) ||
        [...w.dimensions].sort().join() !== emitted.sort().join()
      );
    });
    expect(wrong).toEqual([]);
    // Something was checked against the stage: not every watched metric is dimensionless.
    expect(watched.filter((w) => w.dimensions.includes(`stage=${stage}`)).length).toBeGreaterThan(
      15,
    );
  });

  it('every handler metric is emitted by lambdas/ through the contract constant', () => {
    const used = new Set(
      sources('lambdas')
        .filter((s) => s.file !== CONTRACT)
        .flatMap((s) => [...s.text.matchAll(/\bMETRIC\.(\w+)\b/g)].map((m) => m[1])),
    );
    expect(Object.keys(METRIC).filter((key) => !used.has(key))).toEqual([]);
  });

  it('the tolerated-failure metric is emitted by a metric filter on the state machine log', () => {
    const filters = resources.filter((r) => r.Type === 'AWS::Logs::MetricFilter');
    expect(filters.map((f) => f.Properties?.MetricTransformations)).toContainEqual([
      {
        MetricNamespace: METRICS_NAMESPACE,
        MetricName: toleratedFailureMetricName(stages[0]),
        MetricValue: '1',
      },
    ]);
    expect(toleratedFailureMetricName('dev')).toBe(`${TOLERATED_FAILURE_METRIC}-dev`);
  });

  it('every metric the handlers emit is on the dashboard', () => {
    const plotted = new Set(byDashboard.map((w) => w.metricName));
    expect(HANDLER_METRICS.filter((name) => !plotted.has(name))).toEqual([]);
  });

  it('no file of lambdas/ or lib/ spells a metric name: only lambdas/contracts.ts does', () => {
    const literal = new RegExp(`(['"\`])(${ALL_METRICS.join('|')})\\1`);
    const spelled = [...sources('lambdas'), ...sources('lib')]
      .filter((s) => s.file !== CONTRACT && literal.test(s.text))
      .map((s) => `${s.file}: ${literal.exec(s.text)?.[0]}`);
    expect(spelled).toEqual([]);
  });
});
