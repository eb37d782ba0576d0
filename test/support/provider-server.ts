import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP payment provider on loopback, scripted per test. It implements the production API
 * (`POST /v1/confirmations`, `Idempotency-Key`, Bearer auth) and, like a real provider, replays
 * the first final outcome for a key instead of charging twice.
 */

export interface ProviderStep {
  /** HTTP status (default 200). */
  status?: number;
  /** JSON body. Default for 2xx: `{status:'CONFIRMED', reference:'ref-<id>'}`; otherwise `{}`. */
  body?: unknown;
  /** Sent as-is (text/plain) instead of a JSON body. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow provider; longer than the client timeout = timeout). */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
  /** Runs before the answer is sent (e.g. another writer changes the item meanwhile). */
  before?: () => Promise<void> | void;
}

export interface ProviderCall {
  /** `transactionId` from the request body. */
  id: string | undefined;
  idempotencyKey: string | undefined;
  /** An Authorization header was sent. */
  hasAuthorization: boolean;
  /** It carried the expected API key. */
  authorized: boolean;
  body: unknown;
  /** The answer replayed a stored final outcome. */
  replayed: boolean;
}

interface Answer {
  status: number;
  text: string;
  contentType: string;
  headers: Record<string, string>;
}

export interface ProviderServer {
  /** http://127.0.0.1:<port>, for PROVIDER_BASE_URL. */
  baseUrl: string;
  readonly calls: ProviderCall[];
  callsFor(id: string): ProviderCall[];
  /** Answers for the next calls with this id, in order; afterwards the default applies. */
  script(id: string, ...steps: ProviderStep[]): void;
  /** The answer for unscripted calls (default: 200 CONFIRMED). */
  setDefault(step: ProviderStep | ((id: string) => ProviderStep)): void;
  /** How many times this id was charged (a final CONFIRMED outcome produced, not replayed). */
  charges(id: string): number;
  /** Forget scripts, outcomes, calls and the default. */
  reset(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isFinal(status: number, body: unknown): boolean {
  if (status === 402 || status === 422) return true;
  const outcome = (body as { status?: unknown } | null)?.status;
  return status >= 200 && status < 300 && (outcome === 'CONFIRMED' || outcome === 'REJECTED');
}

export async function startProviderServer(options: { apiKey: string }): Promise<ProviderServer> {
  const scripts = new Map<string, ProviderStep[]>();
  const outcomes = new Map<string, Answer>();
  const chargeCounts = new Map<string, number>();
  const calls: ProviderCall[] = [];
  let fallback: (id: string) => ProviderStep = () => ({});

  const send = (res: ServerResponse, answer: Answer) => {
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'Content-Type': answer.contentType, ...answer.headers });
    res.end(answer.text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    if (req.method !== 'POST' || req.url !== '/v1/confirmations') {
      send(res, {
        status: 404,
        text: '{"reason":"no such route"}',
        contentType: 'application/json',
        headers: {},
      });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const id = (body as { transactionId?: unknown } | undefined)?.transactionId;
    const key = req.headers['idempotency-key'];
    const authorization = req.headers.authorization;
    const call: ProviderCall = {
      id: typeof id === 'string' ? id : undefined,
      idempotencyKey: typeof key === 'string' ? key : undefined,
      hasAuthorization: authorization !== undefined,
      authorized: authorization === `Bearer ${options.apiKey}`,
      body,
      replayed: false,
    };
    calls.push(call);
    if (!call.authorized) {
      send(res, {
        status: 401,
        text: '{"reason":"invalid api key"}',
        contentType: 'application/json',
        headers: {},
      });
      return;
    }
    if (call.id === undefined || call.idempotencyKey === undefined) {
      send(res, {
        status: 400,
        text: '{"reason":"transactionId and Idempotency-Key are required"}',
        contentType: 'application/json',
        headers: {},
      });
      return;
    }
    const stored = outcomes.get(call.idempotencyKey);
    if (stored !== undefined) {
      call.replayed = true;
      send(res, stored);
      return;
    }
    const step = scripts.get(call.id)?.shift() ?? fallback(call.id);
    if (step.delayMs !== undefined) await sleep(step.delayMs);
    await step.before?.();
    if (step.drop) {
      req.socket.destroy();
      return;
    }
    const status = step.status ?? 200;
    const responseBody =
      step.body ??
      (status >= 200 && status < 300 ? { status: 'CONFIRMED', reference: `ref-${call.id}` } : {});
    const answer: Answer =
      step.rawBody !== undefined
        ? { status, text: step.rawBody, contentType: 'text/plain', headers: step.headers ?? {} }
        : {
            status,
            text: JSON.stringify(responseBody),
            contentType: 'application/json',
            headers: step.headers ?? {},
          };
    // The provider has acted even if the client already gave up waiting (a timeout).
    if (step.rawBody === undefined && isFinal(status, responseBody)) {
      outcomes.set(call.idempotencyKey, answer);
      if ((responseBody as { status?: unknown }).status === 'CONFIRMED') {
        chargeCounts.set(call.id, (chargeCounts.get(call.id) ?? 0) + 1);
      }
    }
    send(res, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ reason: String(err) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    callsFor: (id) => calls.filter((call) => call.id === id),
    script: (id, ...steps) => {
      scripts.set(id, [...(scripts.get(id) ?? []), ...steps]);
    },
    setDefault: (step) => {
      fallback = typeof step === 'function' ? step : () => step;
    },
    charges: (id) => chargeCounts.get(id) ?? 0,
    reset: () => {
      scripts.clear();
      outcomes.clear();
      chargeCounts.clear();
      calls.length = 0;
      fallback = () => ({});
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
