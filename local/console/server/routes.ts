/**
 * The console's API routes under CONSOLE_API_PATH (../contract.ts), by path pattern and method.
 * A `:name` segment is an execution name or ARN, `:id` a transaction id (both URL-decoded).
 */
import type { SessionAnswer } from '../contract';
import type { ConsoleDeps } from './context';
import {
  executionDetail,
  listExecutions,
  redrive,
  startExecution,
  stopExecution,
} from './executions';
import {
  backlog,
  failed,
  requeueFailed,
  schedule,
  switchSchedule,
  transaction,
} from './transactions';
import { badRequest } from './wire';

export type Method = 'GET' | 'POST';

/** What a route's handler gets. */
interface ApiRequest {
  readonly deps: ConsoleDeps;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON object body of a POST (`{}` when empty). */
  readonly body: Record<string, unknown>;
}

type Handler = (request: ApiRequest) => Promise<unknown>;

interface ApiRoute {
  /** Segments after CONSOLE_API_PATH; `:x` matches any one segment. */
  readonly pattern: readonly string[];
  readonly methods: Readonly<Partial<Record<Method, Handler>>>;
}

function session(deps: ConsoleDeps): SessionAnswer {
  return {
    token: deps.token,
    startedAt: deps.startedAt,
    stateMachineArn: deps.stateMachineArn,
    stateMachineName: deps.stateMachineName,
    region: deps.region,
  };
}

const API_ROUTES: readonly ApiRoute[] = [
  { pattern: ['session'], methods: { GET: async ({ deps }) => session(deps) } },
  {
    pattern: ['executions'],
    methods: {
      GET: async (r) => listExecutions(r.deps, await r.deps.target(), r.query),
      POST: async (r) => startExecution(await r.deps.target(), r.body),
    },
  },
  {
    pattern: ['executions', ':name'],
    methods: { GET: async (r) => executionDetail(r.deps, await r.deps.target(), r.params.name) },
  },
  {
    pattern: ['executions', ':name', 'stop'],
    methods: { POST: async (r) => stopExecution(await r.deps.target(), r.params.name, r.body) },
  },
  {
    pattern: ['executions', ':name', 'redrive'],
    methods: { POST: async (r) => redrive(await r.deps.target(), r.params.name, r.body) },
  },
  { pattern: ['backlog'], methods: { GET: async (r) => backlog(await r.deps.target()) } },
  { pattern: ['failed'], methods: { GET: async (r) => failed(await r.deps.target(), r.query) } },
  {
    pattern: ['requeue'],
    methods: { POST: async (r) => requeueFailed(await r.deps.target(), r.body) },
  },
  {
    pattern: ['transactions', ':id'],
    methods: { GET: async (r) => transaction(await r.deps.target(), r.params.id) },
  },
  {
    pattern: ['schedule'],
    methods: {
      GET: async (r) => schedule(await r.deps.target()),
      POST: async (r) => switchSchedule(await r.deps.target(), r.body),
    },
  },
];

function decodeSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the ${name} in the path is not valid URL encoding: ${segment}`, name);
  }
}

/** The route of `segments` and its parameters, or undefined. */
export function matchApiRoute(
  segments: readonly string[],
): { route: ApiRoute; params: Record<string, string> } | undefined {
  for (const route of API_ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = route.pattern.every((part, i) => {
      if (part.startsWith(':')) {
        if (segments[i] === '') return false;
        params[part.slice(1)] = segments[i];
        return true;
      }
      return part === segments[i];
    });
    if (matches) {
      for (const [key, value] of Object.entries(params)) params[key] = decodeSegment(value, key);
      return { route, params };
    }
  }
  return undefined;
}
