import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { errorParts } from '../domain/errors';
import type { Log } from '../domain/ports';

/*
 * One instance of each tool for every handler (STYLE.md). Settings come from the standard
 * Powertools environment variables (POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_ENABLED,
 * POWERTOOLS_METRICS_DISABLED, ...), which the stack sets.
 */
export const SERVICE_NAME = 'txconfirm';
export const METRICS_NAMESPACE = 'txconfirm';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

type LogAttributes = Parameters<Logger['appendKeys']>[0];

/** The domain core's Log port on the shared Logger. */
export const domainLog: Log = {
  debug: (message, attributes) => logger.debug(message, (attributes ?? {}) as LogAttributes),
  info: (message, attributes) => logger.info(message, (attributes ?? {}) as LogAttributes),
  warn: (message, attributes) => logger.warn(message, (attributes ?? {}) as LogAttributes),
  error: (message, attributes) => logger.error(message, (attributes ?? {}) as LogAttributes),
};

/**
 * Wrap a handler with the Powertools plumbing: Lambda context in every log line, a `## name`
 * subsegment with cold-start annotation, the error recorded on the trace, stored metrics flushed
 * and per-invocation log keys cleared at the end. The thrown error propagates unchanged: its
 * `name` is what Step Functions matches in Retry/Catch.
 */
export function instrumented<E, R>(
  name: string,
  body: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.addContext(context);
    const tracing = tracer.isTracingEnabled();
    const segment = tracing ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${name}`);
    if (subsegment !== undefined) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await body(event, context);
    } catch (err) {
      const { name: errorName, message: errorMessage } = errorParts(err);
      tracer.addErrorAsMetadata(err as Error);
      logger.error(`${name} failed`, { errorName, errorMessage });
      throw err;
    } finally {
      subsegment?.close();
      if (segment !== undefined) tracer.setSegment(segment);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
