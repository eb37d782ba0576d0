/**
 * `handleConsoleRequest`: every request under CONSOLE_PATH on the local Step Functions
 * endpoint's server (local/aws/sfn-endpoint/server.ts routes them here). The shell, the bundle,
 * the style sheet, the graph and the JSON API of ../contract.ts; whatever goes wrong becomes a
 * named JSON error answer and the server goes on.
 *
 * Order of the checks: the Host (every request), the route (404) and its method (405, with
 * Allow), then for a POST the origin and the token (403), the body's size (413) and JSON (400).
 * A POST's body is read to its end first, so every answer reaches the client.
 */
import type * as http from 'node:http';
import { errorParts } from '../../../lambdas/domain/errors';
import { formatError, ScheduleNotConfigured, UsageError } from '../../../ops/errors';
import {
  CONSOLE_API_PATH,
  CONSOLE_APP_PATH,
  CONSOLE_GRAPH_PATH,
  CONSOLE_PATH,
  CONSOLE_STYLE_PATH,
} from '../contract';
import type { ConsoleDeps } from './context';
import { matchApiRoute, type Method } from './routes';
import { checkHost, checkStateChange } from './security';
import { CONSOLE_CSP, consoleShell } from './shell';
import {
  ConsoleError,
  notFound,
  parseJsonObject,
  readConsoleBody,
  send,
  sendError,
  sendJson,
} from './wire';

/** Whether `path` (without its query) is the console's. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/** The files the console serves: their content type, extra headers, and how they are read. */
const FILES: Readonly<
  Record<
    string,
    {
      type: string;
      headers?: Record<string, string>;
      read: (deps: ConsoleDeps) => string | Promise<string>;
    }
  >
> = {
  [CONSOLE_PATH]: {
    type: 'text/html; charset=utf-8',
    headers: {
      'content-security-policy': CONSOLE_CSP,
      'cross-origin-opener-policy': 'same-origin',
    },
    read: (deps) => consoleShell(deps.token, deps.stateMachineName),
  },
  [CONSOLE_APP_PATH]: {
    type: 'text/javascript; charset=utf-8',
    read: (deps) => deps.assets.appBundle(),
  },
  [CONSOLE_STYLE_PATH]: { type: 'text/css; charset=utf-8', read: (deps) => deps.assets.style() },
  [CONSOLE_GRAPH_PATH]: {
    type: 'image/svg+xml; charset=utf-8',
    headers: { 'content-security-policy': "default-src 'none'" },
    read: (deps) => deps.assets.graphSvg(),
  },
};

/** Named error answers for what the Target's clients and `txc`'s functions throw. */
function toConsoleError(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  const { name, message } = errorParts(error);
  if (error instanceof ScheduleNotConfigured) return notFound(message);
  if (/DoesNotExist$|NotFound$/.test(name)) return notFound(formatError(error));
  if (error instanceof UsageError) return new ConsoleError(400, 'BadRequest', message);
  // A request the Step Functions API refused (ExecutionAlreadyExists, ValidationException…).
  if ((error as { $fault?: unknown }).$fault === 'client') {
    return new ConsoleError(400, name, message);
  }
  return new ConsoleError(
    500,
    'InternalFailure',
    `${formatError(error)} (the runtime goes on; try again)`,
  );
}

export async function handleConsoleRequest(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  deps: ConsoleDeps,
): Promise<void> {
  try {
    await answer(request, response, deps);
  } catch (error) {
    // Drains what is left of the body so the keep-alive connection stays usable.
    request.resume();
    if (response.headersSent) {
      response.destroy();
      return;
    }
    sendError(response, toConsoleError(error));
  }
}

type Received = { text: string } | { error: unknown };

async function answer(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  deps: ConsoleDeps,
): Promise<void> {
  const method = request.method ?? 'GET';
  const target = request.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);
  const path = rawPath.length > 1 ? rawPath.replace(/\/$/, '') : rawPath;
  let received: Received = { text: '' };
  if (method === 'POST') {
    received = await readConsoleBody(request).then(
      (text) => ({ text }),
      (error: unknown) => ({ error }),
    );
  } else {
    request.resume();
  }
  checkHost(request, deps.hosts());

  const file = FILES[path];
  if (file !== undefined) {
    if (method !== 'GET') throw methodNotAllowed(method, path, ['GET']);
    send(response, 200, await file.read(deps), file.type, file.headers);
    return;
  }
  if (!path.startsWith(`${CONSOLE_API_PATH}/`)) {
    throw notFound(
      `${path} is not a console path: the console is ${CONSOLE_PATH}, its API under ${CONSOLE_API_PATH}/ (docs/console.md)`,
    );
  }
  const segments = path.slice(CONSOLE_API_PATH.length + 1).split('/');
  const matched = matchApiRoute(segments);
  if (matched === undefined) {
    throw notFound(`${path} is not a route of the console API (docs/console.md)`);
  }
  const allowed = Object.keys(matched.route.methods) as Method[];
  const handler = matched.route.methods[method as Method];
  if (handler === undefined) throw methodNotAllowed(method, path, allowed);

  let body: Record<string, unknown> = {};
  if (method === 'POST') {
    checkStateChange(request, deps.hosts(), deps.token);
    if ('error' in received) throw received.error;
    body = parseJsonObject(received.text);
  }
  const result = await handler({
    deps,
    params: matched.params,
    query: new URLSearchParams(rawQuery),
    body,
  });
  sendJson(response, 200, result);
}

function methodNotAllowed(method: string, path: string, allowed: readonly string[]): ConsoleError {
  return new ConsoleError(
    405,
    'MethodNotAllowed',
    `${path} answers ${allowed.join(' and ')}, not ${method}`,
    undefined,
    { allow: allowed.join(', ') },
  );
}
