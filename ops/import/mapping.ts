/**
 * From an old export's row to a new PENDING transaction: which column holds each field, which
 * status values mean "pending", and the scale of the amounts. Defaults read a file that already
 * has txconfirm's names (id, amount in minor units, currency, createdAt, status PENDING).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { NewPendingInput } from '../../lambdas/domain/new-pending';
import { InvalidMapping } from './errors';

export const MAPPED_FIELDS = ['id', 'amount', 'currency', 'createdAt', 'status'] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

export interface ImportMapping {
  /** The export's column (CSV) or key (JSON Lines) of each field. */
  readonly columns: Readonly<Record<MappedField, string>>;
  /** Status values that mean pending (compared after trimming, ignoring case). */
  readonly pendingStatuses: readonly string[];
  /** Decimal places of the export's amounts: 2 turns `12.34` into 1234 minor units. */
  readonly amountScale: number;
}

export const DEFAULT_MAPPING: ImportMapping = {
  columns: {
    id: 'id',
    amount: 'amount',
    currency: 'currency',
    createdAt: 'createdAt',
    status: 'status',
  },
  pendingStatuses: ['PENDING'],
  amountScale: 0,
};

/** Largest --amount-scale: beyond it no amount of minor units stays a safe integer. */
export const MAX_AMOUNT_SCALE = 8;

/** A mapping file (JSON): every key optional, unknown keys refused. */
const mappingFileSchema = z.strictObject({
  columns: z
    .strictObject(
      Object.fromEntries(MAPPED_FIELDS.map((f) => [f, z.string().min(1).optional()])) as Record<
        MappedField,
        z.ZodOptional<z.ZodString>
      >,
    )
    .optional(),
  pendingStatuses: z.array(z.string().trim().min(1)).min(1).optional(),
  amountScale: z.number().int().min(0).max(MAX_AMOUNT_SCALE).optional(),
});

/** What the flags say (each overrides the mapping file). */
export interface MappingFlags {
  /** `--mapping FILE`. */
  readonly mapping?: string;
  /** `--map id=tx_id,amount=amt` (repeatable). */
  readonly map?: readonly string[];
  /** `--pending-status pending,open`. */
  readonly pendingStatus?: string;
  /** `--amount-scale 2`. */
  readonly amountScale?: number;
}

function parseMapFlag(values: readonly string[]): Partial<Record<MappedField, string>> {
  const columns: Partial<Record<MappedField, string>> = {};
  for (const pair of values.flatMap((v) => v.split(','))) {
    const match = /^\s*([A-Za-z]+)\s*=(.*)$/.exec(pair);
    const field = match?.[1] as MappedField | undefined;
    if (match === null || field === undefined || !MAPPED_FIELDS.includes(field)) {
      throw new InvalidMapping(
        `--map takes FIELD=COLUMN pairs, FIELD one of ${MAPPED_FIELDS.join(', ')}; got "${pair}"`,
      );
    }
    const column = match[2].trim();
    if (column === '') throw new InvalidMapping(`--map ${field}= names no column`);
    columns[field] = column;
  }
  return columns;
}

function readMappingFile(file: string): z.infer<typeof mappingFileSchema> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidMapping(
      `--mapping ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidMapping(`--mapping ${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = mappingFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidMapping(
      `--mapping ${file}: ${issue.path.map(String).join('.') || 'file'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** The mapping of these flags: defaults, then the mapping file, then the flags. */
export function mappingOf(flags: MappingFlags): ImportMapping {
  const file = flags.mapping === undefined ? {} : readMappingFile(flags.mapping);
  const columns = {
    ...DEFAULT_MAPPING.columns,
    ...file.columns,
    ...parseMapFlag(flags.map ?? []),
  } as Record<MappedField, string>;
  const pendingStatuses =
    flags.pendingStatus !== undefined
      ? flags.pendingStatus.split(',').map((s) => s.trim())
      : (file.pendingStatuses ?? DEFAULT_MAPPING.pendingStatuses);
  if (pendingStatuses.some((s) => s === '')) {
    throw new InvalidMapping(`--pending-status has an empty value: "${flags.pendingStatus}"`);
  }
  const seen = new Map<string, MappedField>();
  for (const field of MAPPED_FIELDS) {
    const other = seen.get(columns[field]);
    if (other !== undefined) {
      throw new InvalidMapping(
        `${other} and ${field} are both mapped to column "${columns[field]}"`,
      );
    }
    seen.set(columns[field], field);
  }
  return {
    columns,
    pendingStatuses,
    amountScale: flags.amountScale ?? file.amountScale ?? DEFAULT_MAPPING.amountScale,
  };
}

/** The columns of `mapping` that `header` lacks. */
export function missingColumns(mapping: ImportMapping, header: readonly string[]): string[] {
  return MAPPED_FIELDS.map((f) => mapping.columns[f]).filter((c) => !header.includes(c));
}

export type MappedRow =
  | { readonly kind: 'pending'; readonly id: string; readonly input: NewPendingInput }
  | { readonly kind: 'not-pending'; readonly id: string; readonly status: string }
  | {
      readonly kind: 'invalid';
      readonly id?: string;
      readonly field: string;
      readonly reason: string;
    };

/** A text field as written: JSON Lines may hold ids and statuses as numbers. */
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * Minor units of a decimal amount with `scale` places: exact (decimal text, never a float product),
 * so `19.99` at scale 2 is 1999. More places than the scale is an error, not a rounding.
 */
export function minorUnits(value: unknown, scale: number): number | string {
  const raw = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  if (typeof raw !== 'string') return 'must be a number';
  const match = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(raw);
  if (match === null) return `must be a decimal number, got ${JSON.stringify(raw.slice(0, 40))}`;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) {
    return scale === 0
      ? 'must be a whole number of minor units (pass --amount-scale for major units)'
      : `has more than ${scale} decimal places`;
  }
  const digits = `${match[1]}${fraction.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  const minor = Number(digits);
  if (!Number.isSafeInteger(minor)) return 'is too large';
  return minor;
}

const ZONED_TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * The canonical createdAt of an export's time: ISO-8601 (or SQL's space instead of T) with a zone;
 * a time without a zone is ambiguous and refused.
 */
export function canonicalTime(value: unknown): string | { error: string } {
  if (typeof value !== 'string') return { error: 'must be a text time' };
  const match = ZONED_TIME.exec(value.trim());
  if (match === null) {
    return {
      error: `must be an ISO-8601 time with a zone (2026-01-31T09:30:00Z or +01:00), got ${JSON.stringify(value.slice(0, 40))}`,
    };
  }
  const [, date, time, fraction = '', zone] = match;
  const offset = /^[+-]\d{2}$/.test(zone)
    ? `${zone}:00`
    : /^[+-]\d{4}$/.test(zone)
      ? `${zone.slice(0, 3)}:${zone.slice(3)}`
      : zone.toUpperCase();
  const seconds = time.length === 5 ? `${time}:00` : time;
  const millis = fraction.slice(0, 3).padEnd(3, '0');
  const [year, month, day] = date.split('-').map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const parsed = new Date(`${date}T${seconds}.${millis}${offset}`);
  // Date accepts 2026-02-30 (as 2026-03-02): the calendar date must exist as written.
  if (
    Number.isNaN(parsed.getTime()) ||
    calendar.getUTCDate() !== day ||
    calendar.getUTCMonth() !== month - 1
  ) {
    return { error: `is not a real time, got ${JSON.stringify(value.slice(0, 40))}` };
  }
  return parsed.toISOString();
}

/** One export row, mapped: a pending transaction's input, a row that is not pending, or what is wrong. */
export function mapRow(
  fields: Readonly<Record<string, unknown>>,
  mapping: ImportMapping,
): MappedRow {
  const { columns } = mapping;
  const idValue = fields[columns.id];
  const id = text(idValue);
  const invalid = (field: string, reason: string): MappedRow => ({
    kind: 'invalid',
    ...(id === undefined || id === '' ? {} : { id }),
    field,
    reason,
  });
  if (id === undefined) {
    return invalid(
      'id',
      idValue === undefined ? `is missing (column "${columns.id}")` : 'must be a text',
    );
  }
  const status = text(fields[columns.status]);
  if (status === undefined) return invalid('status', `is missing (column "${columns.status}")`);
  const wanted = status.trim().toUpperCase();
  if (!mapping.pendingStatuses.some((s) => s.trim().toUpperCase() === wanted)) {
    return { kind: 'not-pending', id, status };
  }
  const amount = minorUnits(fields[columns.amount], mapping.amountScale);
  if (typeof amount === 'string') return invalid('amount', amount);
  const createdAt = canonicalTime(fields[columns.createdAt]);
  if (typeof createdAt !== 'string') return invalid('createdAt', createdAt.error);
  const currency = fields[columns.currency];
  if (typeof currency !== 'string') {
    return invalid(
      'currency',
      currency === undefined ? `is missing (column "${columns.currency}")` : 'must be a text',
    );
  }
  return { kind: 'pending', id, input: { id, amount, currency, createdAt } };
}
