/**
 * The answers the simulator sends, as ready-to-write HTTP responses. A final answer (confirmed or
 * rejected) is also what the outcome store keeps and replays byte for byte, hence the exact text.
 */
import type { CallOutcome } from './calls';

export const REJECTION_REASONS = ['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'DO_NOT_HONOR'] as const;

/** An answer ready to send (and, when final, to replay). */
export interface Answer {
  status: number;
  text: string;
  headers: Record<string, string>;
  outcome: CallOutcome;
  /** Of a confirmation. */
  reference?: string;
  /** Of a rejection. */
  reason?: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export function jsonAnswer(
  status: number,
  body: unknown,
  outcome: CallOutcome,
  headers: Record<string, string> = {},
): Answer {
  const answer: Answer = {
    status,
    text: JSON.stringify(body),
    headers: { ...JSON_HEADERS, ...headers },
    outcome,
  };
  const { reference, reason } = (body ?? {}) as { reference?: unknown; reason?: unknown };
  if (outcome === 'confirmed') answer.reference = String(reference);
  if (outcome === 'rejected')
    answer.reason = typeof reason === 'string' ? reason : `HTTP ${status}`;
  return answer;
}

export const NOT_FOUND = jsonAnswer(404, { reason: 'no such route' }, 'not-found');
export const METHOD_NOT_ALLOWED = jsonAnswer(405, { reason: 'use POST' }, 'other', {
  Allow: 'POST',
});
export const UNAUTHORIZED = jsonAnswer(401, { reason: 'invalid api key' }, 'unauthorized');
/** The fault mode "wrong credentials" as 403: the key is known but no longer allowed. */
export const FORBIDDEN = jsonAnswer(
  403,
  { reason: 'FORBIDDEN: this api key is not allowed to confirm payments' },
  'unauthorized',
);
/** The fault mode "permanent 4xx": the provider refuses this transaction for good. */
export const PERMANENT_REFUSAL = jsonAnswer(
  400,
  { reason: 'INVALID_TRANSACTION: the provider refuses this transaction' },
  'bad-request',
);
/** During an outage window: 503 with Retry-After (seconds until the window ends). */
export const outageAnswer = (retryAfterSeconds: number) =>
  jsonAnswer(503, { reason: 'PROVIDER_UNAVAILABLE: outage' }, 'transient', {
    'Retry-After': String(retryAfterSeconds),
  });
export const IN_PROGRESS = jsonAnswer(
  409,
  { reason: 'IDEMPOTENCY_IN_PROGRESS: a request with this key is still being processed' },
  'in-progress',
);
/** The body of a call was over the simulator's cap; such a call is not recorded. */
export const BODY_TOO_LARGE = jsonAnswer(413, { reason: 'body too large' }, 'other');
export const badRequest = (reason: string) => jsonAnswer(400, { reason }, 'bad-request');

/** How the simulator itself reads an answer it was scripted to give. */
export function outcomeOf(status: number, body: unknown, raw: boolean): CallOutcome {
  const bodyStatus = raw ? undefined : (body as { status?: unknown } | null)?.status;
  if (status >= 200 && status < 300) {
    if (bodyStatus === 'CONFIRMED') return 'confirmed';
    if (bodyStatus === 'REJECTED') return 'rejected';
    return 'other';
  }
  if (status === 402 || status === 422) return raw ? 'other' : 'rejected';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400) return 'bad-request';
  if (status === 404) return 'not-found';
  if (status === 409) return 'in-progress';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'other';
}
