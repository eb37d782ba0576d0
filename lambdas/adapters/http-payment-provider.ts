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
 * TLS to the provider (DESIGN.md §8): https only, except plain http to a loopback host (the
 * local runtime's simulated provider). Throws InvalidConfiguration otherwise.
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
  return typeof code === 'string' && code !== '' ? code : 'FETCH_FAILED';
}

/**
 * The payment provider over HTTP: `POST {base}/v1/confirmations` with the transaction id as the
 * idempotency key. Returns what was observed (status + body, or the network failure) for
 * classifyProviderResponse; never throws for a failed call.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly endpoint: URL;

  constructor(private readonly options: HttpPaymentProviderOptions) {
    const base = parseProviderBaseUrl(options.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
    this.endpoint = new URL('v1/confirmations', base);
  }

  async confirm(request: ConfirmationRequest): Promise<ProviderResponse> {
    // Outside the try: an unreadable secret is a systemic fault (thrown), not a network failure.
    const apiKey = await this.options.apiKey.get();
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Idempotency-Key': request.transactionId,
          Authorization: `Bearer ${apiKey}`,
        },
        body: JSON.stringify({
          transactionId: request.transactionId,
          amount: request.amount,
          currency: request.currency,
        }),
        // A redirect means a wrong base URL: surface it (classified as systemic), never follow it.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.text();
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      return {
        kind: 'http',
        status: response.status,
        body: parseBody(text),
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      };
    } catch (err) {
      return { kind: 'network', code: networkCode(err) };
    }
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
