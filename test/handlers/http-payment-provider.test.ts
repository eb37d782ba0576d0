import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ERROR } from '../../lambdas/contracts';
import {
  HttpPaymentProvider,
  parseRetryAfter,
  type ApiKeySource,
} from '../../lambdas/adapters/http-payment-provider';
import { apiKeyFromSecret } from '../../lambdas/adapters/provider-api-key';
import { classifyProviderResponse } from '../../lambdas/domain/classification';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { startSecretsEndpoint, type SecretsEndpoint } from '../../local/aws/secrets-endpoint';

const API_KEY = 'k-123';
const fixedKey: ApiKeySource = { get: async () => API_KEY, invalidate: () => undefined };
const request = { transactionId: 'tx-1', amount: 999, currency: 'JPY' };

let provider: ProviderServer;
let secrets: SecretsEndpoint;

beforeAll(async () => {
  provider = await startProviderServer({ apiKey: API_KEY });
  secrets = await startSecretsEndpoint({ 'provider/key': `  ${API_KEY}\n` });
});
afterAll(async () => {
  await provider.close();
  await secrets.stop();
});
beforeEach(() => provider.reset());

const client = (baseUrl = provider.baseUrl, timeoutMs = 500, apiKey = fixedKey) =>
  new HttpPaymentProvider({ baseUrl, timeoutMs, apiKey });

describe('HttpPaymentProvider', () => {
  test('POSTs /v1/confirmations with the idempotency key, bearer token and JSON body', async () => {
    const seen: { url?: string; headers?: IncomingHttpHeaders; body?: string } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        Object.assign(seen, { url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status":"CONFIRMED","reference":"pr_1"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await client(`http://127.0.0.1:${port}/prefix`).confirm(request);
      expect(response).toEqual({
        kind: 'http',
        status: 200,
        body: { status: 'CONFIRMED', reference: 'pr_1' },
      });
      expect(seen.url).toBe('/prefix/v1/confirmations');
      expect(seen.headers).toMatchObject({
        'idempotency-key': 'tx-1',
        authorization: `Bearer ${API_KEY}`,
        'content-type': 'application/json',
      });
      expect(JSON.parse(seen.body!)).toEqual(request);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('returns raw text when the body is not JSON, and the Retry-After seconds', async () => {
    provider.script('tx-1', {
      status: 429,
      rawBody: 'slow down',
      headers: { 'Retry-After': '12' },
    });
    expect(await client().confirm(request)).toEqual({
      kind: 'http',
      status: 429,
      body: 'slow down',
      retryAfterSeconds: 12,
    });
  });

  test('a slow provider is a TIMEOUT, not an exception', async () => {
    // The answer comes after 400 ms; TIMEOUT (not the answer) means the 100 ms timeout cut it off.
    provider.script('tx-1', { delayMs: 400 });
    const response = await client(provider.baseUrl, 100).confirm(request);
    expect(response).toEqual({ kind: 'network', code: 'TIMEOUT' });
    expect(classifyProviderResponse(response).outcome).toBe('transient');
  });

  test('a refused connection is a network failure with its code', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    expect(await client(`http://127.0.0.1:${port}`).confirm(request)).toEqual({
      kind: 'network',
      code: 'ECONNREFUSED',
    });
  });

  test('a dropped connection is a network failure', async () => {
    provider.script('tx-1', { drop: true });
    const response = await client().confirm(request);
    expect(response.kind).toBe('network');
  });

  test('an answer cut short (headers, part of the body, then the connection closes) is ECONNRESET, not a timeout', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"status":"CONF');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      // A 5 s timeout: waiting for it would show as TIMEOUT.
      const response = await client(`http://127.0.0.1:${port}`, 5000).confirm(request);
      expect(response).toEqual({ kind: 'network', code: 'ECONNRESET' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a redirect is not followed (classified systemic: wrong base URL)', async () => {
    provider.script('tx-1', {
      status: 307,
      headers: { Location: 'https://elsewhere.example/' },
      body: {},
    });
    const response = await client().confirm(request);
    expect(response).toMatchObject({ kind: 'http', status: 307 });
    expect(classifyProviderResponse(response).outcome).toBe('systemic');
  });

  test('refuses plain http to a non-loopback host', () => {
    expect(() => client('http://provider.example')).toThrow(
      expect.objectContaining({ name: ERROR.InvalidConfiguration }),
    );
  });
});

describe('parseRetryAfter', () => {
  test.each([
    ['120', 120],
    [' 0 ', 0],
    ['Wed, 01 May 2024 10:00:30 GMT', 30],
    ['Wed, 01 May 2024 09:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
  ])('%p -> %p', (header, seconds) => {
    expect(parseRetryAfter(header, Date.parse('2024-05-01T10:00:00Z'))).toBe(seconds);
  });

  test('absent header', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('provider API key from Secrets Manager (real SDK + Powertools against the loopback endpoint)', () => {
  const sm = () => new SecretsManagerClient({ endpoint: secrets.url });

  test('read on first use, trimmed, cached, re-read after invalidate', async () => {
    const key = apiKeyFromSecret('provider/key', sm());
    const before = secrets.reads('provider/key');
    expect(await Promise.all([key.get(), key.get(), key.get()])).toEqual([
      API_KEY,
      API_KEY,
      API_KEY,
    ]);
    expect(await key.get()).toBe(API_KEY);
    expect(secrets.reads('provider/key') - before).toBe(1);

    secrets.setSecret('provider/key', 'rotated');
    expect(await key.get()).toBe(API_KEY); // still cached
    key.invalidate();
    expect(await key.get()).toBe('rotated');
    expect(secrets.reads('provider/key') - before).toBe(2);
    secrets.setSecret('provider/key', API_KEY);
  });

  test('a missing secret is a SystemicFault naming the secret, not its value', async () => {
    const key = apiKeyFromSecret('provider/missing', sm());
    await expect(key.get()).rejects.toMatchObject({
      name: ERROR.SystemicFault,
      message:
        'could not read the payment provider API key from secret "provider/missing": ResourceNotFoundException',
    });
  });

  test('an empty secret is a SystemicFault', async () => {
    secrets.setSecret('provider/empty', '   ');
    await expect(apiKeyFromSecret('provider/empty', sm()).get()).rejects.toMatchObject({
      name: ERROR.SystemicFault,
    });
  });
});
