import * as http from 'node:http';
import * as https from 'node:https';
import type { ProviderResponse } from '../domain/classification';
import { InvalidConfiguration, errorParts } from '../domain/errors';
import type { ConfirmationRequest, PaymentProvider } from '../domain/ports';

/** Where the provider's API key comes from (Secrets Manager in production; see provider-api-key.ts). */
export interface ApiKeySource {
  get(): Promise<string>;
  /** The provider rejected the key: read it again next time (it may have been rotated). */
  invalidate(): void;
}

export interface HttpPaymentProviderOptions {
  baseUrl: string;
  timeoutMs: number;
  apiKey: ApiKeySource;
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * TLS to the provider (docs/architecture.md §8): https only, except plain http to a loopback host
 * (the local runtime's simulated provider). Throws InvalidConfiguration otherwise.
 */
export function parseProviderBaseUrl(value: string, variable = 'PROVIDER_BASE_URL'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidConfiguration(
      `${variable} must be an absolute URL, got ${JSON.stringify(value)}`,
    );
  }
  const loopback = LOOPBACK_HOSTS.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) {
    if (url.username !== '' || url.password !== '') {
      throw new InvalidConfiguration(`${variable} must not carry credentials`);
    }
    return url;
  }
  throw new InvalidConfiguration(
    `${variable} must be an https:// URL (http:// is allowed only to a loopback host), got ${JSON.stringify(`${url.protocol}//${url.host}`)}`,
  );
}

/** Longest raw (non-JSON) body kept for classification. */
const MAX_RAW_BODY = 4096;

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function networkCode(err: unknown): string {
  const { name } = errorParts(err);
  if (name === 'TimeoutError' || name === 'AbortError') return 'TIMEOUT';
  const code =
    (err as { cause?: { code?: unknown } })?.cause?.code ?? (err as { code?: unknown })?.code;
  return typeof code === 'string' && code !== '' ? code : 'REQUEST_FAILED';
}

/** Most of a body read; the rest is drained unread (MAX_RAW_BODY of it is kept for classification). */
const MAX_BODY_BYTES = 1024 * 1024;

class ProviderTimeout extends Error {
  override readonly name = 'TimeoutError';
}

interface RawResponse {
  status: number;
  text: string;
  retryAfter: string | null;
}

/**
 * The payment provider over HTTP: `POST {base}/v1/confirmations` with the transaction id as the
 * idempotency key. Returns what was observed (status + body, or the network failure) for
 * classifyProviderResponse; never throws for a failed call.
 *
 * node:http(s) with a keep-alive agent, not fetch: per call it costs about a third of fetch's CPU
 * (measured by `npm run bench`: undici's WASM parser and web streams were ~18% of a local run),
 * and CPU is what a Lambda bills. It never follows redirects.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly endpoint: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(private readonly options: HttpPaymentProviderOptions) {
    const base = parseProviderBaseUrl(options.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
    this.endpoint = new URL('v1/confirmations', base);
    this.transport = this.endpoint.protocol === 'https:' ? https : http;
    // Idle pooled sockets close after 4 s (as undici's default), before a server's own keep-alive
    // timeout would cut one under a new request.
    this.agent = new this.transport.Agent({ keepAlive: true, timeout: 4_000 });
  }

  async confirm(request: ConfirmationRequest): Promise<ProviderResponse> {
    // Outside the try: an unreadable secret is a systemic fault (thrown), not a network failure.
    const apiKey = await this.options.apiKey.get();
    try {
      const body = JSON.stringify({
        transactionId: request.transactionId,
        amount: request.amount,
        currency: request.currency,
      });
      const response = await this.post(body, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        Accept: 'application/json',
        'Idempotency-Key': request.transactionId,
        Authorization: `Bearer ${apiKey}`,
      });
      const retryAfterSeconds = parseRetryAfter(response.retryAfter);
      return {
        kind: 'http',
        status: response.status,
        body: parseBody(response.text),
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      };
    } catch (err) {
      return { kind: 'network', code: networkCode(err) };
    }
  }

  /** One POST; the timeout covers connecting, sending and reading the whole answer. */
  private post(body: string, headers: Record<string, string>): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | undefined, value?: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value as RawResponse);
      };
      const req = this.transport.request(
        this.endpoint,
        { method: 'POST', headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_BODY_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const header = res.headers['retry-after'];
            settle(undefined, {
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              retryAfter: typeof header === 'string' ? header : null,
            });
          });
          // An answer cut short emits 'error' (ECONNRESET, "aborted"), never 'end'.
          res.on('error', (error) => settle(error));
        },
      );
      const timer = setTimeout(() => {
        const timeout = new ProviderTimeout(`no answer within ${this.options.timeoutMs} ms`);
        settle(timeout);
        req.destroy(timeout);
      }, this.options.timeoutMs);
      req.on('error', (error) => settle(error));
      req.end(body);
    });
  }

  credentialsRejected(): void {
    this.options.apiKey.invalidate();
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.length > MAX_RAW_BODY ? text.slice(0, MAX_RAW_BODY) : text;
  }
}
