import { z } from 'zod';
import type { ResumeToken } from '../contracts';
import { InvalidExecutionInput } from './errors';
import { runTotalsSchema } from './totals';

/** The shape of a transaction id that operators may pass in `transactionIds`. */
export const TRANSACTION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_TRANSACTION_IDS = 1000;
export const MAX_ITEMS_LIMIT = 1_000_000;
export const DEFAULT_MAX_ITEMS = MAX_ITEMS_LIMIT;
/** runIds are `<YYYYMMDDTHHmmssZ>-<execution name>`, truncated to this length. */
export const MAX_RUN_ID_LENGTH = 80;

/** Short rendering of a rejected value for error messages. */
function shown(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const typed =
  (expected: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `must be ${expected}, got ${shown(issue.input)}`;

const integerIn = (min: number, max: number) =>
  z
    .number({ error: typed(`an integer ${min}..${max}`) })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      error: (issue) => `must be an integer ${min}..${max}, got ${shown(issue.input)}`,
    });

const isoDateTime = z
  .string({ error: typed('an ISO-8601 date-time') })
  .refine(
    (s) => z.iso.datetime({ offset: true }).safeParse(s).success && !Number.isNaN(Date.parse(s)),
    {
      error: (issue) =>
        typeof issue.input === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(issue.input)
          ? `must be an ISO-8601 date-time with a time zone (Z or ±hh:mm), got ${shown(issue.input)}`
          : `must be an ISO-8601 date-time, got ${shown(issue.input)}`,
    },
  );

const transactionId = z.string({ error: typed('a string') }).regex(TRANSACTION_ID_PATTERN, {
  error: (issue) => `must match ${TRANSACTION_ID_PATTERN.source}, got ${shown(issue.input)}`,
});

// The size is checked before the elements, so a 10,000-id list yields one clear message.
export const transactionIdsSchema = z
  .array(z.unknown(), { error: typed('an array of transaction ids') })
  .min(1, { error: 'at least 1 id, got 0 (omit the field to page the pending index)' })
  .max(MAX_TRANSACTION_IDS, {
    error: (issue) =>
      `at most ${MAX_TRANSACTION_IDS} ids, got ${(issue.input as unknown[]).length}`,
  })
  .pipe(z.array(transactionId))
  .superRefine((ids, ctx) => {
    const seen = new Set<string>();
    for (const [index, id] of ids.entries()) {
      if (seen.has(id)) {
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate id ${shown(id)}` });
        return;
      }
      seen.add(id);
    }
  });

export const cursorSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('index'),
      shard: z.number().int().min(0),
      lastKey: z.record(z.string(), z.string()).optional(),
    }),
    z.strictObject({ kind: z.literal('ids'), offset: z.number().int().min(0) }),
  ])
  .nullable();

export const runContextSchema = z.strictObject({
  runId: z.string().min(1).max(MAX_RUN_ID_LENGTH),
  cutoff: isoDateTime,
  startedAt: isoDateTime,
  dryRun: z.boolean(),
  maxItems: integerIn(1, MAX_ITEMS_LIMIT),
  transactionIds: transactionIdsSchema.optional(),
});

/** Internal: the token ContinueAsNew passes to the next execution. */
export const resumeTokenSchema = z.strictObject({
  run: runContextSchema,
  cursor: cursorSchema,
  totals: runTotalsSchema,
});

const OPERATOR_FIELDS = ['dryRun', 'transactionIds', 'maxItems', 'createdBefore'] as const;

/**
 * The execution input (docs/architecture.md §5). The schedule sends `{}`; operators may send the
 * fields below; `resume` and `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` are set by ContinueAsNew
 * only. Unknown fields are rejected (a typo such as `dryrun` must not silently start a real run).
 */
export const executionInputSchema = z
  .strictObject({
    dryRun: z
      .boolean({ error: typed('a boolean') })
      .optional()
      .describe('true: report what would be sent to the provider, change nothing. Default false.'),
    transactionIds: transactionIdsSchema
      .optional()
      .describe(
        `Process exactly these ids (1..${MAX_TRANSACTION_IDS}, unique) instead of paging the pending index.`,
      ),
    maxItems: integerIn(1, MAX_ITEMS_LIMIT)
      .optional()
      .describe(`Stop after this many transactions. Default ${DEFAULT_MAX_ITEMS}.`),
    createdBefore: isoDateTime
      .optional()
      .describe('Only transactions created before min(execution start, createdBefore).'),
    resume: resumeTokenSchema.optional().describe('Internal: set by ContinueAsNew.'),
    AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z
      .string({ error: typed('a string (an execution ARN)') })
      .min(1)
      .optional()
      .describe('Set by Step Functions when an execution starts another one.'),
  })
  .superRefine((input, ctx) => {
    if (input.resume === undefined) return;
    for (const name of OPERATOR_FIELDS) {
      if (input[name] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'cannot be combined with resume' });
      }
    }
    if (input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID'],
        message: 'is required with resume (only ContinueAsNew may resume a run)',
      });
    }
  });

export type ExecutionInputFields = z.infer<typeof executionInputSchema>;

export type ParsedExecutionInput =
  | {
      kind: 'new';
      dryRun: boolean;
      maxItems: number;
      transactionIds?: string[];
      /** Normalized to UTC as `Date.toISOString()` writes it. */
      createdBefore?: string;
    }
  | { kind: 'resume'; resume: ResumeToken; parentExecutionArn: string };

function pathOf(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    text += typeof part === 'number' ? `[${part}]` : `${text === '' ? '' : '.'}${String(part)}`;
  }
  return text === '' ? 'input' : text;
}

/** At most this many problems are listed in one error message. */
const MAX_LISTED_PROBLEMS = 5;

/** Validate the execution input; throws InvalidExecutionInput naming the field and the problem. */
export function parseExecutionInput(raw: unknown): ParsedExecutionInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidExecutionInput(`input: must be a JSON object, got ${shown(raw)}`);
  }
  const parsed = executionInputSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) =>
            issue.path.length === 0
              ? `unknown field ${JSON.stringify(key)}`
              : `${pathOf(issue.path)}: unknown field ${JSON.stringify(key)}`,
          )
        : [`${pathOf(issue.path)}: ${issue.message}`],
    );
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (problems.length > listed.length) listed.push(`… ${problems.length - listed.length} more`);
    throw new InvalidExecutionInput(listed.join('; '));
  }
  const input = parsed.data;
  if (input.resume !== undefined) {
    return {
      kind: 'resume',
      resume: input.resume,
      parentExecutionArn: input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID as string,
    };
  }
  return {
    kind: 'new',
    dryRun: input.dryRun ?? false,
    maxItems: input.maxItems ?? DEFAULT_MAX_ITEMS,
    ...(input.transactionIds === undefined ? {} : { transactionIds: input.transactionIds }),
    ...(input.createdBefore === undefined
      ? {}
      : { createdBefore: new Date(input.createdBefore).toISOString() }),
  };
}
