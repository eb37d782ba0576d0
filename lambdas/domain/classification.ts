/**
 * How a payment provider response maps to an outcome (docs/architecture.md §4). This table is the
 * single source of truth: the code below evaluates it top to bottom (first match wins) and the
 * docs/architecture.md quotes it (`describe` of every row).
 */

/** What the provider adapter observed for one confirmation call. */
export type ProviderResponse =
  | {
      kind: 'http';
      status: number;
      /** Parsed JSON when the body was JSON, otherwise the raw text (possibly empty). */
      body: unknown;
      retryAfterSeconds?: number;
    }
  | {
      kind: 'network';
      /** `TIMEOUT`, or the socket error code: `ECONNREFUSED`, `ECONNRESET`, `EPIPE`, ... */
      code: string;
    };

export type Outcome = 'confirmed' | 'rejected' | 'transient' | 'permanent' | 'systemic';

export type Classification =
  | { outcome: 'confirmed'; rule: string; providerRef: string }
  | { outcome: 'rejected'; rule: string; reason: string }
  | {
      outcome: 'transient';
      rule: string;
      error: string;
      retryAfterSeconds?: number;
      /** The provider as a whole looks unavailable (the circuit breaker's evidence), not this transaction. */
      outage?: true;
    }
  | { outcome: 'permanent'; rule: string; error: string }
  | { outcome: 'systemic'; rule: string; error: string };

export interface ClassificationRule {
  /** Stable name of the row (also recorded in logs). */
  rule: string;
  /** The response this row matches, for people. */
  response: string;
  outcome: Outcome;
  /** What happens to the transaction, for people. */
  effect: string;
  /**
   * Outage class: the answer says the provider is unavailable, not that something is wrong with
   * this transaction. Such failures are the evidence of the provider circuit breaker
   * (lambdas/domain/provider-breaker.ts) and are written only if it stays CLOSED.
   */
  outage?: true;
  matches(resp: ProviderResponse): boolean;
  classify(resp: ProviderResponse): Verdict;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A classification before the matching row's name is attached. */
type Verdict = DistributiveOmit<Classification, 'rule'>;

/** Longest provider-supplied text copied into a transaction (keeps records far below 2 KiB). */
const MAX_REASON_LENGTH = 200;
/** Longest provider reference accepted (the stored-record limit for strings). */
const MAX_REFERENCE_LENGTH = 2048;

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

/** A printable, bounded excerpt of provider-supplied text. */
function clip(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return printable.length > MAX_REASON_LENGTH
    ? `${printable.slice(0, MAX_REASON_LENGTH)}…`
    : printable;
}

function providerReason(body: unknown): string | undefined {
  for (const name of ['reason', 'message', 'error']) {
    const value = field(body, name);
    if (typeof value === 'string' && value.trim() !== '') return clip(value);
  }
  return undefined;
}

const isHttp = (resp: ProviderResponse): resp is Extract<ProviderResponse, { kind: 'http' }> =>
  resp.kind === 'http';
const httpStatus = (resp: ProviderResponse): number => (isHttp(resp) ? resp.status : 0);
const is2xx = (resp: ProviderResponse) => isHttp(resp) && resp.status >= 200 && resp.status < 300;
const withReason = (prefix: string, resp: ProviderResponse) => {
  const reason = isHttp(resp) ? providerReason(resp.body) : undefined;
  return reason === undefined ? prefix : `${prefix}: ${reason}`;
};

export const CLASSIFICATION_TABLE: readonly ClassificationRule[] = [
  {
    rule: 'confirmed',
    response: '2xx with body.status "CONFIRMED" and a string body.reference',
    outcome: 'confirmed',
    effect: 'CONFIRMED; body.reference stored as providerRef',
    matches: (resp) => {
      const reference = isHttp(resp) ? field(resp.body, 'reference') : undefined;
      return (
        is2xx(resp) &&
        isHttp(resp) &&
        field(resp.body, 'status') === 'CONFIRMED' &&
        typeof reference === 'string' &&
        reference.length > 0 &&
        reference.length <= MAX_REFERENCE_LENGTH
      );
    },
    classify: (resp) => ({
      outcome: 'confirmed',
      providerRef: field(isHttp(resp) ? resp.body : undefined, 'reference') as string,
    }),
  },
  {
    rule: 'rejected',
    response: '2xx with body.status "REJECTED"',
    outcome: 'rejected',
    effect: 'REJECTED; lastError = body.reason',
    matches: (resp) => is2xx(resp) && isHttp(resp) && field(resp.body, 'status') === 'REJECTED',
    classify: (resp) => ({
      outcome: 'rejected',
      reason: (isHttp(resp) && providerReason(resp.body)) || 'REJECTED',
    }),
  },
  {
    rule: 'bad-2xx',
    response: '2xx with any other body (missing/unknown status, no reference, not JSON)',
    outcome: 'transient',
    effect:
      'outcome unknown: stays PENDING, attempts + 1, retried later with the same idempotency key',
    matches: is2xx,
    classify: (resp) => ({
      outcome: 'transient',
      error: `PROVIDER_BAD_RESPONSE: HTTP ${httpStatus(resp)} without a final status`,
    }),
  },
  {
    rule: 'unauthorized',
    response: '401 or 403',
    outcome: 'systemic',
    effect:
      'our credentials are wrong: the batch fails with SystemicFault, no transaction is touched',
    matches: (resp) => httpStatus(resp) === 401 || httpStatus(resp) === 403,
    classify: (resp) => ({
      outcome: 'systemic',
      error: `provider rejected our credentials (HTTP ${httpStatus(resp)})`,
    }),
  },
  {
    rule: 'declined',
    response: '402 or 422',
    outcome: 'rejected',
    effect: 'REJECTED; lastError = body.reason (or the HTTP status)',
    matches: (resp) => httpStatus(resp) === 402 || httpStatus(resp) === 422,
    classify: (resp) => ({
      outcome: 'rejected',
      reason: (isHttp(resp) && providerReason(resp.body)) || `HTTP ${httpStatus(resp)}`,
    }),
  },
  {
    rule: 'in-progress',
    response: '409 (idempotency conflict: the same key is still being processed)',
    outcome: 'transient',
    effect: 'stays PENDING, attempts + 1, retried later with the same idempotency key',
    matches: (resp) => httpStatus(resp) === 409,
    classify: () => ({
      outcome: 'transient',
      error: 'PROVIDER_IN_PROGRESS: HTTP 409',
    }),
  },
  {
    rule: 'rate-limited',
    response: '429',
    outcome: 'transient',
    effect:
      'outage class: stays PENDING, attempts + 1 unless the circuit breaker opens (then untouched); Retry-After recorded in lastError and honoured by the breaker',
    outage: true,
    matches: (resp) => httpStatus(resp) === 429,
    classify: (resp) => {
      const retryAfterSeconds = isHttp(resp) ? resp.retryAfterSeconds : undefined;
      return {
        outcome: 'transient',
        error:
          retryAfterSeconds === undefined
            ? 'PROVIDER_RATE_LIMITED: HTTP 429'
            : `PROVIDER_RATE_LIMITED: HTTP 429, retry after ${retryAfterSeconds} s`,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      };
    },
  },
  {
    rule: 'request-timeout',
    response: '408 (the provider timed out reading our request)',
    outcome: 'transient',
    effect:
      'outage class: stays PENDING, attempts + 1 unless the circuit breaker opens (then untouched)',
    outage: true,
    matches: (resp) => httpStatus(resp) === 408,
    classify: () => ({
      outcome: 'transient',
      error: 'PROVIDER_TIMEOUT: HTTP 408',
    }),
  },
  {
    rule: 'server-error',
    response: '5xx',
    outcome: 'transient',
    effect:
      'outage class: stays PENDING, attempts + 1 unless the circuit breaker opens (then untouched); a Retry-After is honoured by the breaker',
    outage: true,
    matches: (resp) => httpStatus(resp) >= 500 && httpStatus(resp) <= 599,
    classify: (resp) => {
      const retryAfterSeconds = isHttp(resp) ? resp.retryAfterSeconds : undefined;
      return {
        outcome: 'transient',
        error: `PROVIDER_UNAVAILABLE: HTTP ${httpStatus(resp)}`,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      };
    },
  },
  {
    rule: 'client-error',
    response: '400, 404 and any other 4xx',
    outcome: 'permanent',
    effect: 'FAILED; lastError = PROVIDER_HTTP_<status>: body.reason',
    matches: (resp) => httpStatus(resp) >= 400 && httpStatus(resp) <= 499,
    classify: (resp) => ({
      outcome: 'permanent',
      error: withReason(`PROVIDER_HTTP_${httpStatus(resp)}`, resp),
    }),
  },
  {
    rule: 'timeout',
    response: 'no response within PROVIDER_TIMEOUT_MS',
    outcome: 'transient',
    effect:
      'outcome unknown, outage class: stays PENDING, attempts + 1 unless the circuit breaker opens (then untouched); retried with the same idempotency key',
    outage: true,
    matches: (resp) => resp.kind === 'network' && resp.code === 'TIMEOUT',
    classify: () => ({ outcome: 'transient', error: 'PROVIDER_TIMEOUT' }),
  },
  {
    rule: 'network',
    response: 'connection error (ECONNREFUSED, ECONNRESET, EPIPE, DNS failure, ...)',
    outcome: 'transient',
    effect:
      'outcome unknown, outage class: stays PENDING, attempts + 1 unless the circuit breaker opens (then untouched); retried with the same idempotency key',
    outage: true,
    matches: (resp) => resp.kind === 'network',
    classify: (resp) => ({
      outcome: 'transient',
      error: `PROVIDER_NETWORK: ${resp.kind === 'network' ? clip(resp.code) : 'unknown'}`,
    }),
  },
  {
    rule: 'unexpected-status',
    response: 'any other status (1xx, 3xx: a redirect means a wrong base URL)',
    outcome: 'systemic',
    effect: 'our configuration is wrong: the batch fails with SystemicFault, nothing is touched',
    matches: () => true,
    classify: (resp) => ({
      outcome: 'systemic',
      error: `provider answered with unexpected HTTP ${httpStatus(resp)}`,
    }),
  },
];

export function classifyProviderResponse(resp: ProviderResponse): Classification {
  for (const row of CLASSIFICATION_TABLE) {
    if (row.matches(resp)) {
      return {
        ...row.classify(resp),
        rule: row.rule,
        ...(row.outage === true ? { outage: true } : {}),
      } as Classification;
    }
  }
  // Unreachable: the last row matches everything.
  throw new Error('classification table has no catch-all row');
}
