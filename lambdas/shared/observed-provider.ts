import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import {
  classifyProviderResponse,
  type Outcome,
  type ProviderResponse,
} from '../domain/classification';
import type { PaymentProvider } from '../domain/ports';
import { METRIC, SERVICE_NAME } from '../contracts';
import type { InvocationMetrics } from './powertools';

/** The subsegment of one provider call. */
export const PROVIDER_SUBSEGMENT = '## provider.confirm';

/** Outcomes that count as a provider error (ProviderErrors). */
const ERROR_OUTCOMES: ReadonlySet<Outcome> = new Set(['transient', 'permanent', 'systemic']);

/** What this module needs of the Tracer (a fake in unit tests). */
export type ProviderTracer = Pick<Tracer, 'isTracingEnabled' | 'getSegment'>;

type Segment = NonNullable<ReturnType<Tracer['getSegment']>>;
type Subsegment = ReturnType<Segment['addNewSubsegment']>;

/**
 * The provider as operators see it: per call ProviderCalls, ProviderLatency and, when the answer
 * classifies as transient / permanent / systemic, ProviderErrors; and, when tracing is on, a
 * `## provider.confirm` subsegment annotated with the transaction id, the HTTP status (or network
 * error) and the outcome. Never the amount, the currency or the API key.
 *
 * Powertools' own HTTP instrumentation (captureHTTPsGlobal on node:http/https) adds the plain
 * HTTP subsegment named after the host; this one carries what it cannot know. It is added to the
 * handler's subsegment without becoming the active segment: up to IN_BATCH_PARALLELISM calls run
 * at once, and one active segment for all of them would nest them wrongly.
 */
export function observedProvider(
  provider: PaymentProvider,
  tools: { tracer: ProviderTracer; metrics: Pick<InvocationMetrics, 'count' | 'record'> },
): PaymentProvider {
  return {
    async confirm(request) {
      const parent = tools.tracer.isTracingEnabled() ? tools.tracer.getSegment() : undefined;
      const subsegment = parent?.addNewSubsegment(PROVIDER_SUBSEGMENT);
      subsegment?.addAnnotation('transactionId', request.transactionId);
      const started = performance.now();
      let response: ProviderResponse;
      try {
        response = await provider.confirm(request);
      } catch (err) {
        // No call was made (the API key could not be read): a systemic fault, thrown on.
        subsegment?.close(err as Error);
        throw err;
      }
      const { outcome, rule } = classifyProviderResponse(response);
      const latencyMs = performance.now() - started;
      tools.metrics.record(METRIC.ProviderLatency, MetricUnit.Milliseconds, latencyMs);
      tools.metrics.count(METRIC.ProviderCalls);
      if (ERROR_OUTCOMES.has(outcome)) tools.metrics.count(METRIC.ProviderErrors);
      if (subsegment !== undefined) {
        describeCall(subsegment, response, outcome, rule);
        subsegment.close();
      }
      return response;
    },
    credentialsRejected: () => provider.credentialsRejected?.(),
  };
}

function describeCall(
  subsegment: Subsegment,
  response: ProviderResponse,
  outcome: Outcome,
  rule: string,
): void {
  subsegment.addAnnotation('providerOutcome', outcome);
  if (response.kind === 'network') {
    subsegment.addAnnotation('providerNetworkError', response.code);
    const error = new Error(`payment provider unreachable: ${response.code}`);
    error.name = 'ProviderNetworkError';
    subsegment.addError(error, true);
  } else {
    subsegment.addAnnotation('providerStatus', response.status);
    if (response.status === 429) subsegment.addThrottleFlag();
    if (response.status >= 500) subsegment.addFaultFlag();
    else if (ERROR_OUTCOMES.has(outcome)) subsegment.addErrorFlag();
  }
  subsegment.addMetadata(
    'provider',
    {
      rule,
      outcome,
      ...(response.kind === 'http'
        ? {
            status: response.status,
            ...(response.retryAfterSeconds === undefined
              ? {}
              : { retryAfterSeconds: response.retryAfterSeconds }),
          }
        : { networkError: response.code }),
    },
    SERVICE_NAME,
  );
}
