import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ENV, METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from '../contracts';
import { errorParts, InvalidConfiguration } from '../domain/errors';
import type { Log } from '../domain/ports';
import { metricDimensions } from './metric-dimensions';

/*
 * One instance of each tool for every handler (no handler builds its own). Settings come from the standard
 * Powertools environment variables (POWERTOOLS_LOG_LEVEL, POWERTOOLS_LOGGER_SAMPLE_RATE,
 * POWERTOOLS_TRACE_ENABLED, POWERTOOLS_METRICS_DISABLED, ...), which the stack sets per stage;
 * nothing here overrides them.
 */
/**
 * Log keys whose values never reach a log line (docs/architecture.md §7: no secrets or PII in
 * logs). Matched at any depth of a log item, case-insensitively and ignoring `-` and `_` (so
 * `Authorization`, `API_KEY` and `card_number` match too). Amounts are not secret, but a log is no
 * place for payment data: the transaction id is enough to look a transaction up.
 */
export const REDACTED_LOG_KEYS = [
  'authorization',
  'apiKey',
  'api_key',
  'secret',
  'password',
  'token',
  'cardNumber',
  'pan',
  'cvv',
  'iban',
  'amount',
] as const;

export const REDACTED = '[REDACTED]';

const normalizeKey = (key: string) => key.toLowerCase().replace(/[-_]/g, '');
const redactedKeys = new Set<string>(REDACTED_LOG_KEYS.map(normalizeKey));

/** The Logger's JSON replacer: the value of a sensitive key becomes "[REDACTED]". */
export function redactSensitive(key: string, value: unknown): unknown {
  return key !== '' && redactedKeys.has(normalizeKey(key)) ? REDACTED : value;
}

export const logger = new Logger({ serviceName: SERVICE_NAME, jsonReplacerFn: redactSensitive });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/**
 * The stage every metric is published under (dimension `stage`, lambdas/shared/metric-dimensions.ts):
 * the alarms of a stage watch `{ service, stage }`, so two stages in one account never set off each
 * other's alarms. lib/ sets STAGE on every function, and the local runtime copies it from the
 * synthesized template.
 */
const stage = process.env[ENV.STAGE]?.trim() || undefined;

/** Powertools Metrics that can say whether it publishes (its isDisabled() is protected). */
class StageMetrics extends Metrics {
  get publishes(): boolean {
    return !this.isDisabled();
  }
}

export const metrics = new StageMetrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  ...(stage !== undefined && { defaultDimensions: metricDimensions(stage) }),
});

// Without STAGE the metrics would be published under `service` alone, where no alarm looks: the
// stage's alarms would stay silent while transactions fail. A cold start that fails names the
// variable (and sets off the function's Lambda Errors alarm, which needs no stage dimension);
// `unknown` as a stand-in would hide the same misconfiguration. With metrics off (handler tests,
// POWERTOOLS_METRICS_DISABLED=true) nothing is published, so nothing needs the stage.
if (stage === undefined && metrics.publishes) {
  throw new InvalidConfiguration(
    `${ENV.STAGE} is required while metrics are published (it is the stage dimension every alarm filters on)`,
  );
}

type LogAttributes = Parameters<Logger['appendKeys']>[0];

/** The domain core's Log port on the shared Logger. */
export const domainLog: Log = {
  debug: (message, attributes) => logger.debug(message, (attributes ?? {}) as LogAttributes),
  info: (message, attributes) => logger.info(message, (attributes ?? {}) as LogAttributes),
  warn: (message, attributes) => logger.warn(message, (attributes ?? {}) as LogAttributes),
  error: (message, attributes) => logger.error(message, (attributes ?? {}) as LogAttributes),
};

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * The metrics of one invocation, kept apart until the invocation ends. The local runtime runs
 * many invocations at once in one process with the one shared Metrics instance, whose store is
 * process-wide (outside Lambda's concurrent mode): added directly, one invocation's publish would
 * carry another's half-finished counts. Sums would still be right, but an EMF blob would no
 * longer be one invocation. Here everything is added and published in one synchronous block.
 */
export class InvocationMetrics {
  private readonly counts = new Map<MetricName, number>();
  private readonly values: { name: MetricName; unit: Unit; value: number }[] = [];

  /** Add to a Count metric (emitted once per invocation, summed). */
  count(name: MetricName, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  /** One more sample of a non-Count metric (latency, age, ...). */
  record(name: MetricName, unit: Unit, value: number): void {
    this.values.push({ name, unit, value });
  }

  /** Add everything to the shared instance and publish it, without yielding in between. */
  publish(): void {
    for (const [name, value] of this.counts) metrics.addMetric(name, MetricUnit.Count, value);
    for (const { name, unit, value } of this.values) metrics.addMetric(name, unit, value);
    this.counts.clear();
    this.values.length = 0;
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}

/** What `instrumented` gives a handler body besides the event and the context. */
export interface Invocation {
  metrics: InvocationMetrics;
}

/** X-Ray annotation values are limited; ARNs and run ids are far below this. */
const MAX_ANNOTATION_LENGTH = 500;

/**
 * Correlation ids of this invocation: appended to every log line until it ends (`correlation_id`
 * is the run id, the one id that spans all executions and batches of a run) and annotated on
 * the handler's `## name` subsegment, so that traces can be searched by run.
 */
export function correlate(ids: { runId?: string; executionArn?: string }): void {
  const keys: Record<string, string> = {};
  if (ids.runId !== undefined) keys.runId = ids.runId;
  if (ids.executionArn !== undefined) keys.executionArn = ids.executionArn;
  logger.appendKeys(keys);
  if (ids.runId !== undefined) logger.setCorrelationId(ids.runId);
  if (!tracer.isTracingEnabled()) return;
  const annotations: Record<string, string> = { ...keys };
  // arn:aws:states:<region>:<account>:execution:<state machine>:<execution name>
  const executionName = ids.executionArn?.split(':').at(-1);
  if (executionName !== undefined && executionName !== '') {
    annotations.executionName = executionName;
  }
  for (const [key, value] of Object.entries(annotations)) {
    tracer.putAnnotation(key, value.slice(0, MAX_ANNOTATION_LENGTH));
  }
}

/**
 * Wrap a handler with the Powertools plumbing: Lambda context in every log line, the debug-log
 * sampling decision renewed per invocation (POWERTOOLS_LOGGER_SAMPLE_RATE; Powertools does this
 * in injectLambdaContext, which we do not use), a `## name` subsegment with cold-start and service
 * annotations, the error recorded on the trace, the invocation's metrics published (failed
 * invocations included) and per-invocation log keys cleared at the end. The thrown error
 * propagates unchanged: its `name` is what Step Functions matches in Retry/Catch.
 */
export function instrumented<E, R>(
  name: string,
  body: (event: E, context: Context, invocation: Invocation) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    const invocation: Invocation = { metrics: new InvocationMetrics() };
    const tracing = tracer.isTracingEnabled();
    const segment = tracing ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${name}`);
    if (subsegment !== undefined) tracer.setSegment(subsegment);
    if (subsegment !== undefined) {
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      return await body(event, context, invocation);
    } catch (err) {
      const { name: errorName, message: errorMessage } = errorParts(err);
      if (subsegment !== undefined) tracer.addErrorAsMetadata(err as Error);
      logger.error(`${name} failed`, { errorName, errorMessage });
      throw err;
    } finally {
      subsegment?.close();
      if (segment !== undefined) tracer.setSegment(segment);
      invocation.metrics.publish();
      logger.resetKeys();
    }
  };
}
