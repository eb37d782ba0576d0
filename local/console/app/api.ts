/**
 * The console's HTTP client (local/console/contract.ts): JSON in and out, the process's token on
 * every POST, error answers turned into ApiError (with the offending `field`), network failures
 * into NetworkError. Every answer (or its absence) is reported to the connection store, so the
 * header shows "reconnecting…" while the runtime is away.
 */
import {
  CONSOLE_API_PATH,
  CONSOLE_TOKEN_HEADER,
  CONSOLE_TOKEN_META,
  type ErrorAnswer,
  type SessionAnswer,
} from '../contract';
import { connection } from './connection';

/** An answer that is not 2xx: the server's `{ error, message, field? }`. */
export class ApiError extends Error {
  readonly status: number;
  /** The error's name (`ConsoleTokenRequired`, `NotFound`, `InvalidExecutionInput`, …). */
  readonly error: string;
  /** The input field the error is about (400), when the server names one. */
  readonly field: string | undefined;

  constructor(status: number, answer: ErrorAnswer) {
    super(answer.message);
    this.name = 'ApiError';
    this.status = status;
    this.error = answer.error;
    this.field = answer.field;
  }
}

/** No answer at all: the runtime is down or restarting, or the request timed out. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** A request this client gave up on because its caller no longer wants it (not an error to show). */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** The text to show for any failure. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.error}: ${err.message}`;
  if (err instanceof NetworkError) return `no answer from the runtime (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

/** A request without an answer after this long counts as a network failure. */
const REQUEST_TIMEOUT_MS = 20_000;

let token: string | null = null;

/** The process's token: from the HTML shell's meta tag, then from the latest GET session. */
function currentToken(): string {
  if (token === null) {
    const meta = document.querySelector(`meta[name="${CONSOLE_TOKEN_META}"]`);
    token = meta?.getAttribute('content') ?? '';
  }
  return token;
}

function setToken(value: string): void {
  token = value;
}

/** `/console/api` + a path whose variable parts the caller has encoded (see `seg`). */
function apiUrl(path: string): string {
  return `${CONSOLE_API_PATH}${path}`;
}

/** One path segment, encoded (an execution name or transaction id may hold any character). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

async function readError(res: Response): Promise<ErrorAnswer> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ErrorAnswer>;
    if (typeof body.error === 'string' && typeof body.message === 'string') {
      return {
        error: body.error,
        message: body.message,
        ...(typeof body.field === 'string' ? { field: body.field } : {}),
      };
    }
  } catch {
    // not JSON: described below
  }
  return { error: `HTTP ${res.status}`, message: text.slice(0, 300) || res.statusText };
}

async function send<T>(
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<T> {
  const timeout = new AbortController();
  const timer = window.setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
  const onAbort = () => timeout.abort();
  signal?.addEventListener('abort', onAbort);
  let res: Response;
  try {
    // The token goes on every request: the server needs it on POSTs; on GETs it does no harm.
    const headers: Record<string, string> = {
      accept: 'application/json',
      [CONSOLE_TOKEN_HEADER]: currentToken(),
    };
    if (method === 'POST') headers['content-type'] = 'application/json';
    res = await fetch(apiUrl(path), {
      method,
      headers,
      cache: 'no-store',
      credentials: 'same-origin',
      signal: timeout.signal,
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    });
  } catch (err) {
    if (signal?.aborted === true) throw err;
    connection.lost();
    throw new NetworkError(timeout.signal.aborted ? 'timed out' : 'connection failed');
  } finally {
    window.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  connection.reached();
  if (!res.ok) throw new ApiError(res.status, await readError(res));
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, { error: 'BadAnswer', message: 'the answer is not JSON' });
  }
}

/** GET session: the process's identity and token (the token is taken for later requests). */
export async function readSession(signal?: AbortSignal): Promise<SessionAnswer> {
  const session = await send<SessionAnswer>('GET', '/session', undefined, signal);
  setToken(session.token);
  connection.session(session);
  return session;
}

/**
 * A 403 means the token is stale (the runtime restarted and has a new one): the token is read
 * again from GET session and the request sent once more.
 */
async function withFreshToken<T>(
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<T> {
  try {
    return await send<T>(method, path, body, signal);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 403) throw err;
    await readSession(signal);
    return send<T>(method, path, body, signal);
  }
}

export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return withFreshToken<T>('GET', path, undefined, signal);
}

/** A state-changing request (with the token). */
export function post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return withFreshToken<T>('POST', path, body, signal);
}
