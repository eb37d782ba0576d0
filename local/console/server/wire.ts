/**
 * The console's HTTP answers: JSON (with `<`, `>` and `&` escaped, so no answer can be read as
 * markup), named errors (`{ error, message, field? }`, ../contract.ts ErrorAnswer), the headers
 * every answer carries, and request bodies read under a cap.
 */
import type * as http from 'node:http';
import { ApiError, parseBody } from '../../aws/sfn-endpoint/wire';
import { readBody, RequestBodyTooLarge } from '../../http/loopback-server';
import type { ErrorAnswer } from '../contract';

/** The largest request body the console reads (a requeue of a few thousand ids fits). */
const MAX_CONSOLE_BODY_BYTES = 64 * 1024;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** An answer with an HTTP status and a named error; thrown by the routes, sent by the handler. */
export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Extra headers (405's Allow). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export function badRequest(message: string, field?: string): ConsoleError {
  return new ConsoleError(400, 'BadRequest', message, field);
}

export function notFound(message: string): ConsoleError {
  return new ConsoleError(404, 'NotFound', message);
}

/** Headers on every console answer: never sniffed, never cached, never embedded elsewhere. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Escapes of the characters that could end a JSON text's life as data in an HTML context. */
const UNSAFE_IN_JSON = /[<>&\u2028\u2029]/g;

/**
 * JSON text with `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX` escapes: the same value for
 * `JSON.parse`, but no `<script>` in an execution name or a cause ever appears as markup.
 */
function jsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function send(
  response: http.ServerResponse,
  status: number,
  body: string,
  contentType: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  response.writeHead(status, {
    ...COMMON_HEADERS,
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

export function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  send(response, status, jsonText(value), JSON_CONTENT_TYPE);
}

export function sendError(response: http.ServerResponse, error: ConsoleError): void {
  const body: ErrorAnswer = {
    error: error.code,
    message: error.message,
    ...(error.field === undefined ? {} : { field: error.field }),
  };
  send(response, error.status, jsonText(body), JSON_CONTENT_TYPE, error.headers);
}

/** The request body as text; over the cap, a 413 `RequestBodyTooLarge` (read to its end first). */
export async function readConsoleBody(request: http.IncomingMessage): Promise<string> {
  try {
    return await readBody(request, MAX_CONSOLE_BODY_BYTES);
  } catch (error) {
    if (!(error instanceof RequestBodyTooLarge)) throw error;
    throw new ConsoleError(
      413,
      'RequestBodyTooLarge',
      `the request body is ${error.sizeBytes} bytes, over the console's ${error.maxBytes}-byte limit`,
    );
  }
}

/**
 * A JSON object body (an empty body is `{}`), parsed as the Step Functions endpoint parses its
 * own; anything else is a 400 `BadRequest`.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    return parseBody(text);
  } catch (error) {
    if (error instanceof ApiError) throw badRequest(error.message);
    throw error;
  }
}
