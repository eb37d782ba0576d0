/**
 * Where the local endpoint is, as `txc --local` finds it (ops/target-spec.ts): `$TXC_ENDPOINT`,
 * else http://127.0.0.1:8083. `txc local serve` listens on that port by default, so that one
 * environment variable points the server, `txc --local`, `txc local provider` and every printed
 * hint at the same endpoint.
 */
import type { Command } from 'commander';
import {
  DEFAULT_LOCAL_ENDPOINT,
  DEFAULT_LOCAL_ENDPOINT_PORT,
  LOCAL_ENDPOINT_ENV,
  localServeCommand,
  loopbackHttpPort,
  normalEndpoint,
} from '../../ops/target-spec';
import { EndpointUnreachable, LocalEndpointInvalid, UsageError } from '../../ops/errors';

/** How long a `txc local …` request waits for the endpoint's answer. */
const LOCAL_ROUTE_TIMEOUT_MS = 5000;

export { DEFAULT_LOCAL_ENDPOINT_PORT };

/**
 * `$TXC_ENDPOINT`, else the default endpoint. One that is not an http(s) URL is a UsageError,
 * or with `lenient` (a hint, where `txc` itself will say so) the default endpoint.
 */
export function localEndpoint(env: NodeJS.ProcessEnv = process.env, lenient = false): string {
  const raw = env[LOCAL_ENDPOINT_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_LOCAL_ENDPOINT;
  const endpoint = normalEndpoint(raw);
  if (endpoint === undefined && lenient) return DEFAULT_LOCAL_ENDPOINT;
  if (endpoint === undefined) {
    throw new UsageError(
      `${LOCAL_ENDPOINT_ENV} must be an http(s) URL, got ${JSON.stringify(raw)} — fix or unset it`,
    );
  }
  return endpoint;
}

/** The port of `$TXC_ENDPOINT` when it is a loopback http URL with a port, else 8083. */
export function defaultServePort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[LOCAL_ENDPOINT_ENV]?.trim() ?? '';
  // A URL without a port (port 80) is not one `local serve` should take by default.
  let explicitPort = false;
  try {
    explicitPort = new URL(raw).port !== '';
  } catch {
    explicitPort = false;
  }
  return (explicitPort ? loopbackHttpPort(raw) : undefined) ?? DEFAULT_LOCAL_ENDPOINT_PORT;
}

/**
 * The endpoint a `txc local <name>` invocation acts on: `--endpoint URL`, else `$TXC_ENDPOINT`,
 * else the default. A stack flag (`--stage`, `--region`, `--profile`) is a UsageError: these
 * commands act on a local endpoint only.
 */
export function localCommandEndpoint(
  command: Command,
  env: NodeJS.ProcessEnv,
  name: string,
): string {
  let root = command;
  while (root.parent) root = root.parent;
  const stackFlags = ['stage', 'region', 'profile'].filter(
    (flag) => root.getOptionValueSource(flag) === 'cli',
  );
  if (stackFlags.length > 0) {
    throw new UsageError(
      `txc local ${name} acts on a local endpoint: drop ${stackFlags.map((f) => `--${f}`).join(', ')} (use --endpoint URL)`,
    );
  }
  return command.optsWithGlobals<{ endpoint?: string }>().endpoint ?? localEndpoint(env);
}

/** What a `/txconfirm/*` route answered: its status, its body, the body's `message` if any. */
export interface LocalRouteAnswer {
  status: number;
  text: string;
  /** The body as JSON; undefined when it is not JSON. */
  json: unknown;
  message?: string;
}

/**
 * A request to a route of the local endpoint (`GET` without a body, `POST` with one). No answer at
 * all is EndpointUnreachable (with the command that starts one); a 404 is LocalEndpointInvalid (an
 * endpoint without this route); a 2xx whose body is not a JSON object is LocalEndpointInvalid too.
 * Other statuses are returned for the caller to name (a 400 is a bad value of its own).
 */
export async function localRouteRequest(
  endpoint: string,
  route: string,
  options: { body?: unknown; query?: string; fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<LocalRouteAnswer> {
  const { body } = options;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(`${endpoint}${route}${options.query ?? ''}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? LOCAL_ROUTE_TIMEOUT_MS),
    });
  } catch (error) {
    throw new EndpointUnreachable(endpoint, { cause: error, serve: localServeCommand(endpoint) });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const message = (json as { message?: unknown } | undefined)?.message;
  const answer: LocalRouteAnswer = {
    status: response.status,
    text,
    json,
    ...(typeof message === 'string' ? { message } : {}),
  };
  if (response.status === 404) {
    throw new LocalEndpointInvalid(
      `${endpoint} has no ${route} route — is it a \`txc local serve\` of this version? Restart it: npm run txc -- local serve`,
    );
  }
  if (response.ok && (typeof json !== 'object' || json === null)) {
    throw new LocalEndpointInvalid(
      `${endpoint}${route} answered HTTP ${response.status} without a JSON object: ${text.slice(0, 300)}`,
    );
  }
  return answer;
}

/** Names a non-2xx answer of a route (after the caller handled the statuses it knows). */
export function unexpectedAnswer(endpoint: string, route: string, answer: LocalRouteAnswer) {
  return new LocalEndpointInvalid(
    `${endpoint}${route} answered HTTP ${answer.status}: ${answer.message ?? answer.text.slice(0, 300)}`,
  );
}
