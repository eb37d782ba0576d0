/**
 * The request the provider API accepts (docs/architecture.md §4): `POST /v1/confirmations` with a
 * JSON body and an Idempotency-Key equal to its transaction id. Anything else is a 400 answered
 * before any action, as a real provider refuses a malformed charge without acting on it.
 */
import { type Answer, badRequest } from './answers';

/** A well-formed confirmation request. */
export interface ValidRequest {
  key: string;
  transactionId: string;
  amount: number;
  currency: string;
}

/** The JSON body, or undefined when it is not JSON. */
export function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return undefined;
  }
}

/** The request, or the 400 answer that names its first fault. */
export function validateRequest(
  key: string | undefined,
  body: Record<string, unknown> | undefined,
): ValidRequest | Answer {
  if (body === undefined) return badRequest('body must be JSON');
  const { transactionId, amount, currency } = body;
  if (typeof transactionId !== 'string' || transactionId === '') {
    return badRequest('transactionId must be a non-empty string');
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    return badRequest('amount must be a positive integer (minor units)');
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    return badRequest('currency must be an ISO 4217 code');
  }
  if (key === undefined || key === '') return badRequest('the Idempotency-Key header is required');
  if (key !== transactionId) return badRequest('Idempotency-Key must equal transactionId');
  return { key, transactionId, amount, currency };
}
