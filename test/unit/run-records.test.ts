import { ERROR } from '../../lambdas/contracts';
import {
  InvalidConfiguration,
  InvalidExecutionInput,
  LockLost,
  SystemicFault,
} from '../../lambdas/domain/errors';
import { describeCatchError, truncateUtf8 } from '../../lambdas/domain/finish-run';
import { compactTimestamp, makeRunId } from '../../lambdas/domain/run-state';

describe('error names are what Step Functions matches', () => {
  test.each([
    [new InvalidExecutionInput('x'), ERROR.InvalidExecutionInput],
    [new LockLost('x'), ERROR.LockLost],
    [new SystemicFault('x'), ERROR.SystemicFault],
    [new InvalidConfiguration('x'), ERROR.InvalidConfiguration],
  ])('%s', (error, name) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(Error);
  });

  test('SystemicFault keeps its cause', () => {
    const cause = new Error('socket hang up');
    expect(new SystemicFault('store down', { cause }).cause).toBe(cause);
  });
});

describe('runId', () => {
  test('start time (compact UTC) then execution name, so runs sort by time', () => {
    expect(compactTimestamp(new Date('2024-05-01T09:08:07.654Z'))).toBe('20240501T090807Z');
    expect(makeRunId(new Date('2024-05-01T09:08:07.654Z'), 'manual-1')).toBe(
      '20240501T090807Z-manual-1',
    );
    const earlier = makeRunId(new Date('2024-05-01T09:08:07Z'), 'zzz');
    const later = makeRunId(new Date('2024-05-01T09:08:08Z'), 'aaa');
    expect(earlier < later).toBe(true);
  });

  test('is truncated to 80 characters', () => {
    const id = makeRunId(new Date('2024-05-01T00:00:00Z'), 'n'.repeat(80));
    expect(id).toHaveLength(80);
    expect(id.startsWith('20240501T000000Z-nnn')).toBe(true);
  });
});

describe('run error text', () => {
  test('a Lambda error Cause keeps only the errorMessage', () => {
    const cause = JSON.stringify({
      errorType: 'SystemicFault',
      errorMessage: 'DynamoDB down',
      trace: ['at x'],
    });
    expect(describeCatchError({ Error: 'SystemicFault', Cause: cause })).toBe(
      'SystemicFault: DynamoDB down',
    );
  });

  test('a plain Cause is kept as it is', () => {
    expect(describeCatchError({ Error: 'States.Timeout', Cause: 'task timed out' })).toBe(
      'States.Timeout: task timed out',
    );
    expect(describeCatchError({ Error: 'States.ExceedToleratedFailureThreshold' })).toBe(
      'States.ExceedToleratedFailureThreshold',
    );
  });

  test('is truncated to 1 KiB of UTF-8 without splitting a character', () => {
    const text = describeCatchError({ Error: 'E', Cause: '€'.repeat(2000) });
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(1024);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toContain('\uFFFD');
    expect(truncateUtf8('short', 1024)).toBe('short');
  });
});
