import { z } from 'zod';

/** Every status a transaction can have. PENDING is the only non-terminal one. */
export const TRANSACTION_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'FAILED'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];
export const TERMINAL_STATUSES = ['CONFIRMED', 'REJECTED', 'FAILED'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminalStatus(value: unknown): value is TerminalStatus {
  return (TERMINAL_STATUSES as readonly unknown[]).includes(value);
}

/** Longest string attribute a record may carry; longer ones make the record invalid (oversize). */
export const MAX_STRING_ATTRIBUTE_LENGTH = 2048;

/** `createdAt` must be exactly what `Date.prototype.toISOString()` emits, so that it sorts as text. */
const ISO_UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function isCanonicalIsoTimestamp(value: string): boolean {
  if (!ISO_UTC_MILLIS.test(value)) return false;
  const parsed = new Date(value);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === value;
}

let currencies: ReadonlySet<string> | undefined;
/** ISO 4217 codes known to the runtime's ICU data. */
export function isKnownCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

/** Short, log-safe rendering of a rejected value (never used for amounts). */
function shown(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function typeError(expected: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? 'is missing' : `must be ${expected}, got ${shown(issue.input)}`;
}

const boundedString = (what: string) =>
  z.string({ error: typeError(what) }).max(MAX_STRING_ATTRIBUTE_LENGTH, {
    error: `oversize (more than ${MAX_STRING_ATTRIBUTE_LENGTH} characters)`,
  });

/**
 * The id is sent as the provider's `Idempotency-Key` header, which must carry it unchanged: HTTP
 * strips leading/trailing spaces and tabs of a header value (another transaction's key, or a key
 * that no longer equals the id), and HTTP clients refuse control and non-ASCII characters (every
 * call fails before it is sent). Visible ASCII, inner spaces allowed, is what survives any HTTP stack byte for byte.
 */
const HEADER_SAFE_ID = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * A stored transaction as the confirmer needs it. Unknown extra attributes are tolerated (other
 * systems own the table too); only the fields below are checked.
 */
export const transactionSchema = z.looseObject({
  id: boundedString('a string')
    .min(1, { error: 'must not be empty' })
    .regex(HEADER_SAFE_ID, {
      error: (issue) =>
        `must be visible ASCII without leading or trailing spaces (it is the Idempotency-Key header), got ${shown(issue.input)}`,
    }),
  status: z.enum(TRANSACTION_STATUSES, {
    error: (issue) =>
      issue.input === undefined
        ? 'is missing'
        : `must be one of ${TRANSACTION_STATUSES.join(', ')}, got ${shown(issue.input)}`,
  }),
  // Amounts are never echoed into reasons: they end up in lastError and in logs.
  amount: z
    .number({ error: (issue) => (issue.input === undefined ? 'is missing' : 'must be a number') })
    .refine((n) => Number.isSafeInteger(n) && n > 0, {
      error: 'must be a positive integer number of minor units',
    }),
  currency: boundedString('a string').refine(isKnownCurrency, {
    error: (issue) => `unknown ISO 4217 currency ${shown(issue.input)}`,
  }),
  createdAt: boundedString('a string').refine(isCanonicalIsoTimestamp, {
    error: (issue) =>
      `must be an ISO-8601 UTC timestamp as Date.toISOString() writes it, got ${shown(issue.input)}`,
  }),
  attempts: z
    .number({ error: typeError('a number') })
    .refine((n) => Number.isSafeInteger(n) && n >= 0, { error: 'must be a non-negative integer' })
    .optional(),
  pendingShard: boundedString('a string').optional(),
  lastError: boundedString('a string').optional(),
  providerRef: boundedString('a string').optional(),
});

export type Transaction = z.infer<typeof transactionSchema>;

export type ParseTransactionResult = { ok: true; tx: Transaction } | { ok: false; reason: string };

/** What is wrong with a record: the first field at fault and what is wrong with it. */
export interface RecordIssue {
  /** The attribute's name, or `record` for the record as a whole. */
  readonly field: string;
  readonly message: string;
}

/**
 * Checks a record against the transaction schema; the first issue, or the transaction. The one
 * check behind parseTransaction (handlers), newPendingTransaction (writers) and `txc import`.
 */
export function checkTransaction(
  raw: unknown,
): { ok: true; tx: Transaction } | { ok: false; issue: RecordIssue } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issue: { field: 'record', message: 'must be an object' } };
  }
  // Any string attribute, known or not, counts: an oversize record is rejected as a whole.
  for (const [field, value] of Object.entries(raw)) {
    if (typeof value === 'string' && value.length > MAX_STRING_ATTRIBUTE_LENGTH) {
      return {
        ok: false,
        issue: { field, message: `oversize (more than ${MAX_STRING_ATTRIBUTE_LENGTH} characters)` },
      };
    }
  }
  const parsed = transactionSchema.safeParse(raw);
  if (parsed.success) return { ok: true, tx: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'record';
  return { ok: false, issue: { field, message: issue.message } };
}

/**
 * Validate a stored record. A malformed record becomes FAILED with the returned reason
 * (`INVALID_RECORD: <field>: <what is wrong>`, docs/architecture.md §4 invariant 5) instead of
 * poisoning its batch.
 */
export function parseTransaction(raw: unknown): ParseTransactionResult {
  const checked = checkTransaction(raw);
  if (checked.ok) return checked;
  return { ok: false, reason: `INVALID_RECORD: ${checked.issue.field}: ${checked.issue.message}` };
}
