import { ERROR } from '../../lambdas/contracts';
import { InvalidExecutionInput } from '../../lambdas/domain/errors';
import { executionInputSchema, parseExecutionInput } from '../../lambdas/domain/execution-input';
import { emptyTotals } from '../../lambdas/domain/totals';

function errorOf(raw: unknown): InvalidExecutionInput {
  try {
    parseExecutionInput(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidExecutionInput);
    return err as InvalidExecutionInput;
  }
  throw new Error('expected InvalidExecutionInput');
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `tx-${i}`);

const resume = {
  run: {
    runId: '20240501T100000Z-exec',
    cutoff: '2024-05-01T10:00:00.000Z',
    startedAt: '2024-05-01T10:00:00.000Z',
    dryRun: false,
    maxItems: 1000,
  },
  cursor: {
    kind: 'index',
    shard: 3,
    lastKey: { id: 'a', pendingShard: '03', createdAt: '2024-01-01T00:00:00.000Z' },
  },
  totals: emptyTotals(),
};
const parent = 'arn:aws:states:us-east-1:000000000000:execution:sm:parent';

describe('parseExecutionInput', () => {
  test('the schedule sends {}: defaults apply', () => {
    expect(parseExecutionInput({})).toEqual({ kind: 'new', dryRun: false, maxItems: 1_000_000 });
  });

  test('an operator input is accepted and createdBefore normalized to UTC', () => {
    expect(
      parseExecutionInput({
        dryRun: true,
        transactionIds: ['a', 'b:c', 'D-1.2_3'],
        maxItems: 50000,
        createdBefore: '2024-05-01T12:00:00+02:00',
      }),
    ).toEqual({
      kind: 'new',
      dryRun: true,
      transactionIds: ['a', 'b:c', 'D-1.2_3'],
      maxItems: 50000,
      createdBefore: '2024-05-01T10:00:00.000Z',
    });
  });

  test('errors carry the contract name', () => {
    expect(errorOf({ dryrun: true }).name).toBe(ERROR.InvalidExecutionInput);
  });

  test.each([
    ['a typo is an unknown field', { dryrun: true }, 'unknown field "dryrun"'],
    ['several unknown fields', { a: 1, b: 2 }, 'unknown field "a"; unknown field "b"'],
    ['dryRun as string', { dryRun: 'yes' }, 'dryRun: must be a boolean, got "yes"'],
    ['10k ids', { transactionIds: ids(10000) }, 'transactionIds: at most 1000 ids, got 10000'],
    [
      'empty ids',
      { transactionIds: [] },
      'transactionIds: at least 1 id, got 0 (omit the field to page the pending index)',
    ],
    [
      'ids not an array',
      { transactionIds: 'tx-1' },
      'transactionIds: must be an array of transaction ids, got "tx-1"',
    ],
    ['duplicate ids', { transactionIds: ['a', 'b', 'a'] }, 'transactionIds[2]: duplicate id "a"'],
    [
      'id with a space',
      { transactionIds: ['ok', 'bad id'] },
      'transactionIds[1]: must match ^[A-Za-z0-9._:-]{1,128}$, got "bad id"',
    ],
    ['id as number', { transactionIds: [42] }, 'transactionIds[0]: must be a string, got 42'],
    [
      'id too long',
      { transactionIds: ['x'.repeat(129)] },
      expect.stringMatching(/^transactionIds\[0\]: must match/),
    ],
    ['maxItems zero', { maxItems: 0 }, 'maxItems: must be an integer 1..1000000, got 0'],
    ['maxItems fractional', { maxItems: 1.5 }, 'maxItems: must be an integer 1..1000000, got 1.5'],
    [
      'maxItems too large',
      { maxItems: 1_000_001 },
      'maxItems: must be an integer 1..1000000, got 1000001',
    ],
    ['maxItems as string', { maxItems: '10' }, 'maxItems: must be an integer 1..1000000, got "10"'],
    [
      'createdBefore in words',
      { createdBefore: 'yesterday' },
      'createdBefore: must be an ISO-8601 date-time, got "yesterday"',
    ],
    [
      'createdBefore without zone',
      { createdBefore: '2024-05-01T10:00:00' },
      'createdBefore: must be an ISO-8601 date-time with a time zone (Z or ±hh:mm), got "2024-05-01T10:00:00"',
    ],
    [
      'createdBefore impossible date',
      { createdBefore: '2024-02-30T00:00:00Z' },
      'createdBefore: must be an ISO-8601 date-time, got "2024-02-30T00:00:00Z"',
    ],
    [
      'createdBefore date only',
      { createdBefore: '2024-05-01' },
      'createdBefore: must be an ISO-8601 date-time, got "2024-05-01"',
    ],
    [
      'createdBefore as number',
      { createdBefore: 1714557600000 },
      'createdBefore: must be an ISO-8601 date-time, got 1714557600000',
    ],
  ])('%s', (_name, raw, message) => {
    expect(errorOf(raw).message).toEqual(message);
  });

  test.each([
    ['null', null, 'input: must be a JSON object, got null'],
    ['an array', [], 'input: must be a JSON object, got an array'],
    ['a string', '{"dryRun":true}', 'input: must be a JSON object, got "{\\"dryRun\\":true}"'],
    ['a number', 7, 'input: must be a JSON object, got 7'],
  ])('non-object input: %s', (_name, raw, message) => {
    expect(errorOf(raw).message).toBe(message);
  });

  test('problems in several fields are all named', () => {
    const message = errorOf({ dryRun: 1, maxItems: -1, extra: true }).message;
    expect(message).toContain('dryRun: must be a boolean, got 1');
    expect(message).toContain('maxItems: must be an integer 1..1000000, got -1');
    expect(message).toContain('unknown field "extra"');
  });

  test('resume from ContinueAsNew is accepted with the parent execution', () => {
    expect(
      parseExecutionInput({ resume, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent }),
    ).toEqual({ kind: 'resume', resume, parentExecutionArn: parent });
  });

  test('resume without the parent execution id is rejected', () => {
    expect(errorOf({ resume }).message).toBe(
      'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: is required with resume (only ContinueAsNew may resume a run)',
    );
  });

  test('resume cannot be combined with operator fields', () => {
    expect(
      errorOf({ resume, dryRun: true, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent }).message,
    ).toBe('dryRun: cannot be combined with resume');
  });

  test('a malformed resume token is rejected, naming the nested field', () => {
    const bad = { ...resume, cursor: { kind: 'index', shard: -1 } };
    expect(
      errorOf({ resume: bad, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent }).message,
    ).toMatch(/^resume\.cursor\.shard: /);
    const badTotals = { ...resume, totals: { ...emptyTotals(), confirmed: 'many' } };
    expect(
      errorOf({ resume: badTotals, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent }).message,
    ).toMatch(/^resume\.totals\.confirmed: /);
  });

  test('the schema is exported for the CLI and the docs', () => {
    expect(executionInputSchema.safeParse({ maxItems: 5 }).success).toBe(true);
    expect(executionInputSchema.safeParse({ maxItems: 0 }).success).toBe(false);
  });
});
