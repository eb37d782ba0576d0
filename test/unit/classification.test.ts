import {
  CLASSIFICATION_TABLE,
  classifyProviderResponse,
  type Classification,
  type ProviderResponse,
} from '../../lambdas/domain/classification';

const http = (
  status: number,
  body: unknown = {},
  retryAfterSeconds?: number,
): ProviderResponse => ({
  kind: 'http',
  status,
  body,
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});

type Case = [name: string, response: ProviderResponse, expected: Partial<Classification>];

const cases: Case[] = [
  [
    '200 CONFIRMED with reference',
    http(200, { status: 'CONFIRMED', reference: 'pr_1' }),
    { outcome: 'confirmed', rule: 'confirmed', providerRef: 'pr_1' },
  ],
  [
    '201 CONFIRMED with reference',
    http(201, { status: 'CONFIRMED', reference: 'pr_2' }),
    { outcome: 'confirmed', rule: 'confirmed', providerRef: 'pr_2' },
  ],
  [
    '200 REJECTED with reason',
    http(200, { status: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' }),
    { outcome: 'rejected', rule: 'rejected', reason: 'INSUFFICIENT_FUNDS' },
  ],
  [
    '200 REJECTED without reason',
    http(200, { status: 'REJECTED' }),
    { outcome: 'rejected', rule: 'rejected', reason: 'REJECTED' },
  ],
  [
    '200 CONFIRMED without reference',
    http(200, { status: 'CONFIRMED' }),
    { outcome: 'transient', rule: 'bad-2xx' },
  ],
  [
    '200 CONFIRMED with numeric reference',
    http(200, { status: 'CONFIRMED', reference: 42 }),
    { outcome: 'transient', rule: 'bad-2xx' },
  ],
  [
    '200 unknown status',
    http(200, { status: 'PROCESSING' }),
    {
      outcome: 'transient',
      rule: 'bad-2xx',
      error: 'PROVIDER_BAD_RESPONSE: HTTP 200 without a final status',
    },
  ],
  ['200 garbage text', http(200, '<html>oops</html>'), { outcome: 'transient', rule: 'bad-2xx' }],
  ['204 empty body', http(204, ''), { outcome: 'transient', rule: 'bad-2xx' }],
  [
    '200 JSON array',
    http(200, [{ status: 'CONFIRMED', reference: 'x' }]),
    { outcome: 'transient', rule: 'bad-2xx' },
  ],
  ['401', http(401, { reason: 'bad key' }), { outcome: 'systemic', rule: 'unauthorized' }],
  ['403', http(403), { outcome: 'systemic', rule: 'unauthorized' }],
  [
    '402 with reason',
    http(402, { reason: 'CARD_DECLINED' }),
    { outcome: 'rejected', rule: 'declined', reason: 'CARD_DECLINED' },
  ],
  [
    '422 without reason',
    http(422, 'nope'),
    { outcome: 'rejected', rule: 'declined', reason: 'HTTP 422' },
  ],
  [
    '409 in progress',
    http(409),
    { outcome: 'transient', rule: 'in-progress', error: 'PROVIDER_IN_PROGRESS: HTTP 409' },
  ],
  [
    '429 with Retry-After',
    http(429, {}, 7),
    {
      outcome: 'transient',
      rule: 'rate-limited',
      retryAfterSeconds: 7,
      error: 'PROVIDER_RATE_LIMITED: HTTP 429, retry after 7 s',
    },
  ],
  [
    '429 without Retry-After',
    http(429),
    { outcome: 'transient', rule: 'rate-limited', error: 'PROVIDER_RATE_LIMITED: HTTP 429' },
  ],
  ['408', http(408), { outcome: 'transient', rule: 'request-timeout' }],
  [
    '500',
    http(500),
    { outcome: 'transient', rule: 'server-error', error: 'PROVIDER_UNAVAILABLE: HTTP 500' },
  ],
  [
    '503',
    http(503, 'Service Unavailable'),
    { outcome: 'transient', rule: 'server-error', error: 'PROVIDER_UNAVAILABLE: HTTP 503' },
  ],
  [
    '400 with message',
    http(400, { message: 'currency not supported' }),
    {
      outcome: 'permanent',
      rule: 'client-error',
      error: 'PROVIDER_HTTP_400: currency not supported',
    },
  ],
  [
    '404',
    http(404, {}),
    { outcome: 'permanent', rule: 'client-error', error: 'PROVIDER_HTTP_404' },
  ],
  ['418', http(418), { outcome: 'permanent', rule: 'client-error' }],
  [
    'timeout',
    { kind: 'network', code: 'TIMEOUT' },
    { outcome: 'transient', rule: 'timeout', error: 'PROVIDER_TIMEOUT' },
  ],
  [
    'connection refused',
    { kind: 'network', code: 'ECONNREFUSED' },
    { outcome: 'transient', rule: 'network', error: 'PROVIDER_NETWORK: ECONNREFUSED' },
  ],
  [
    'connection reset',
    { kind: 'network', code: 'ECONNRESET' },
    { outcome: 'transient', rule: 'network', error: 'PROVIDER_NETWORK: ECONNRESET' },
  ],
  ['302 redirect', http(302, ''), { outcome: 'systemic', rule: 'unexpected-status' }],
  ['101', http(101, ''), { outcome: 'systemic', rule: 'unexpected-status' }],
];

describe('classifyProviderResponse', () => {
  test.each(cases)('%s', (_name, response, expected) => {
    expect(classifyProviderResponse(response)).toMatchObject(expected);
  });

  test('every row of the table is exercised by at least one case', () => {
    const hit = new Set(cases.map(([, response]) => classifyProviderResponse(response).rule));
    expect([...hit].sort()).toEqual(CLASSIFICATION_TABLE.map((row) => row.rule).sort());
  });

  test('every row is documented for docs/architecture.md', () => {
    for (const row of CLASSIFICATION_TABLE) {
      expect(row.response.length).toBeGreaterThan(2);
      expect(row.effect.length).toBeGreaterThan(5);
      expect(['confirmed', 'rejected', 'transient', 'permanent', 'systemic']).toContain(
        row.outcome,
      );
    }
  });

  test("a row's declared outcome is the outcome it produces", () => {
    for (const [, response] of cases) {
      const result = classifyProviderResponse(response);
      const row = CLASSIFICATION_TABLE.find((r) => r.rule === result.rule);
      expect(row?.outcome).toBe(result.outcome);
    }
  });

  test('provider-supplied reasons are bounded and stripped of control characters', () => {
    const result = classifyProviderResponse(http(402, { reason: `bad\n${'x'.repeat(5000)}` }));
    expect(result.outcome).toBe('rejected');
    const reason = (result as { reason: string }).reason;
    expect(reason.length).toBeLessThanOrEqual(201);
    expect(reason).not.toContain('\n');
  });
});
