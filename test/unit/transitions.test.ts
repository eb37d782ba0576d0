import { classifyProviderResponse } from '../../lambdas/domain/classification';
import { decideWrite, invalidRecordWrite } from '../../lambdas/domain/transitions';

const confirmed = classifyProviderResponse({
  kind: 'http',
  status: 200,
  body: { status: 'CONFIRMED', reference: 'pr_9' },
});
const rejected = classifyProviderResponse({
  kind: 'http',
  status: 402,
  body: { reason: 'CARD_DECLINED' },
});
const permanent = classifyProviderResponse({
  kind: 'http',
  status: 400,
  body: { reason: 'bad currency' },
});
const transient = classifyProviderResponse({ kind: 'http', status: 503, body: '' });
const systemic = classifyProviderResponse({ kind: 'http', status: 401, body: {} });

describe('decideWrite', () => {
  test('confirmed -> CONFIRMED with providerRef, guarded on PENDING only', () => {
    expect(decideWrite({ attempts: 2 }, confirmed, 5)).toEqual({
      kind: 'write',
      write: {
        status: 'CONFIRMED',
        attempts: 3,
        providerRef: 'pr_9',
        guard: { status: 'PENDING' },
      },
    });
  });

  test('rejected -> REJECTED with the reason', () => {
    expect(decideWrite({}, rejected, 5)).toEqual({
      kind: 'write',
      write: {
        status: 'REJECTED',
        attempts: 1,
        lastError: 'CARD_DECLINED',
        guard: { status: 'PENDING' },
      },
    });
  });

  test('permanent -> FAILED at once, whatever the attempts', () => {
    const decision = decideWrite({ attempts: 0 }, permanent, 5);
    expect(decision).toEqual({
      kind: 'write',
      write: {
        status: 'FAILED',
        attempts: 1,
        lastError: 'PROVIDER_HTTP_400: bad currency',
        guard: { status: 'PENDING' },
      },
    });
  });

  test('transient below maxAttempts -> deferred: attempts + 1, guarded on the attempts read', () => {
    expect(decideWrite({ attempts: 1 }, transient, 3)).toEqual({
      kind: 'write',
      write: {
        status: 'PENDING',
        attempts: 2,
        lastError: 'PROVIDER_UNAVAILABLE: HTTP 503',
        guard: { status: 'PENDING', attempts: 1 },
      },
    });
  });

  test('transient on a record without attempts guards on its absence', () => {
    const decision = decideWrite({}, transient, 3);
    expect(decision.kind === 'write' && decision.write.guard).toEqual({
      status: 'PENDING',
      attempts: null,
    });
    expect(decision.kind === 'write' && decision.write.attempts).toBe(1);
  });

  test('transient reaching maxAttempts -> FAILED with MAX_ATTEMPTS: <last error>', () => {
    expect(decideWrite({ attempts: 2 }, transient, 3)).toEqual({
      kind: 'write',
      write: {
        status: 'FAILED',
        attempts: 3,
        lastError: 'MAX_ATTEMPTS: PROVIDER_UNAVAILABLE: HTTP 503',
        guard: { status: 'PENDING', attempts: 2 },
      },
    });
  });

  test('maxAttempts = 1 fails on the first transient error', () => {
    const decision = decideWrite({ attempts: 0 }, transient, 1);
    expect(decision.kind === 'write' && decision.write.status).toBe('FAILED');
  });

  test('attempts already beyond maxAttempts (lowered config) still ends FAILED, never loops', () => {
    const decision = decideWrite({ attempts: 9 }, transient, 3);
    expect(decision.kind === 'write' && decision.write.status).toBe('FAILED');
  });

  test('systemic -> no write at all', () => {
    expect(decideWrite({ attempts: 0 }, systemic, 5)).toEqual({
      kind: 'systemic',
      error: 'provider rejected our credentials (HTTP 401)',
    });
  });

  test('invalid record -> FAILED with the reason unless already terminal, attempts untouched', () => {
    const write = invalidRecordWrite(
      'INVALID_RECORD: amount: must be a positive integer number of minor units',
    );
    expect(write).toEqual({
      status: 'FAILED',
      lastError: 'INVALID_RECORD: amount: must be a positive integer number of minor units',
      guard: { status: 'NOT_TERMINAL' },
    });
  });

  test('lastError is bounded well below the 2048-character record limit', () => {
    const long = { outcome: 'transient' as const, rule: 'x', error: 'E'.repeat(5000) };
    const decision = decideWrite({ attempts: 0 }, long, 5);
    expect(decision.kind === 'write' && decision.write.lastError!.length).toBeLessThan(600);
  });
});
