/**
 * The operator console's HTTP contract (docs/console.md): the paths the server answers
 * (local/console/server/) and the browser app (local/console/app/) calls, and the shapes of their JSON.
 * One home for both sides. The data comes from the same functions `txc` uses (ops/commands/*,
 * ops/executions.ts) over a Target resolved for the local endpoint, so the console never reads
 * the runtime by a second code path.
 *
 * Every API answer is JSON. Errors: `{ error: <Name>, message, field? }` with HTTP 400 (bad
 * request; `field` names the offending input field), 403 (`ConsoleTokenRequired`: a
 * state-changing request without the process's token, or from another origin), 404 (`NotFound`),
 * 405 (`MethodNotAllowed`), 413 (`RequestBodyTooLarge`: a body over 64 KiB), 500
 * (`InternalFailure`: the runtime goes on).
 *
 * In the graph SVG each state's node `<g>` carries the state's name (its `<title>` has the
 * diagram id, e.g. `RunSkipped_` for `RunSkipped?`): `data-state="<name>"` for a top-level
 * state, `data-item-state="<name>" data-map-state="<Map>"` for a state of a Map's item processor.
 */
import type { PendingReport } from '../../ops/commands/pending';
import type { FailedReport } from '../../ops/commands/failed';
import type { RedriveReport } from '../../ops/commands/redrive';
import type { RequeueReport } from '../../ops/commands/requeue';
import type { StatusReport } from '../../ops/commands/status';
import type { ExecutionStatus } from '../../ops/executions';
import type { ScheduleInfo } from '../../ops/target';

/** Where the console lives on the local endpoint's server. */
export const CONSOLE_PATH = '/console';
/** The browser bundle (built by esbuild when the server starts; nothing fetched at run time). */
export const CONSOLE_APP_PATH = '/console/app.js';
export const CONSOLE_STYLE_PATH = '/console/console.css';
/** The state-machine graph, an SVG rendered from the synthesized definition (tools/diagrams). */
export const CONSOLE_GRAPH_PATH = '/console/graph.svg';
export const CONSOLE_API_PATH = '/console/api';

/** State-changing requests (every POST) carry the process's token in this header. */
export const CONSOLE_TOKEN_HEADER = 'x-txconfirm-console-token';
/** The HTML shell carries the token in `<meta name="txconfirm-console-token" content="…">`. */
export const CONSOLE_TOKEN_META = 'txconfirm-console-token';

/** `GET /console/api/session`: who this process is. `startedAt` changes when the runtime restarts. */
export interface SessionAnswer {
  readonly token: string;
  readonly startedAt: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly region: string;
}

/**
 * The `status` filter of `GET /console/api/executions` (ListExecutions' statusFilter with a state
 * machine: PENDING_REDRIVE is for a Map Run's child executions only).
 */
export const LIST_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
] as const satisfies readonly ExecutionStatus[];
/** The `limit` of `GET /console/api/executions`: 1..MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT when absent. */
export const MAX_LIST_LIMIT = 200;
export const DEFAULT_LIST_LIMIT = 50;
/** The `limit` of `GET /console/api/failed`: 1..MAX_FAILED_LIMIT (absent: `txc failed`'s default). */
export const MAX_FAILED_LIMIT = 1000;

/** One row of `GET /console/api/executions?status=<LIST_STATUSES>&limit=<1..MAX_LIST_LIMIT>` (newest first). */
export interface ExecutionRow {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly redriveCount?: number;
  /** The run record of the execution, when one is found (its status and totals). */
  readonly run?: {
    readonly runId: string;
    readonly status: string;
    readonly totals?: Record<string, number>;
  };
}

export interface ExecutionsAnswer {
  readonly executions: readonly ExecutionRow[];
}

/** One event of the execution's history, for display (payloads as JSON text, possibly long). */
export interface HistoryEventView {
  readonly id: number;
  readonly type: string;
  readonly timestamp: string;
  /** The state it belongs to (StateEntered / StateExited events). */
  readonly stateName?: string;
  /** Input, output, parameters or result, as JSON text. */
  readonly payload?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface MapRunView {
  readonly mapRunArn: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly redriveCount?: number;
  readonly itemCounts: Record<string, number>;
  readonly executionCounts: Record<string, number>;
}

/** `GET /console/api/executions/<name>`: one execution. */
export interface ExecutionDetail {
  /** What `txc status` reports (execution, outcome, run record, progress, lock). */
  readonly report: StatusReport;
  /** Names of the top-level states entered, oldest first (repeats kept: FetchPage loops). */
  readonly visited: readonly string[];
  /** The state the execution is in now (RUNNING), or stopped in (unsuccessful). */
  readonly current?: string;
  readonly history: readonly HistoryEventView[];
  readonly mapRuns: readonly MapRunView[];
  /** DescribeExecution's redrive fields. */
  readonly redrive?: { readonly status: string; readonly reason?: string };
}

/** `POST /console/api/executions`: the fields of `txc start` (as typed; the workflow's schema checks them). */
export interface StartRequest {
  readonly dryRun?: boolean;
  /** Comma-separated transaction ids. */
  readonly ids?: string;
  readonly maxItems?: string;
  readonly createdBefore?: string;
  readonly name?: string;
}

export interface StartAnswer {
  readonly executionArn: string;
  readonly name: string;
}

/** `POST /console/api/executions/<name>/stop` → the execution's status after it. */
export interface StopAnswer {
  readonly status: string;
}

/** `POST /console/api/executions/<name>/redrive` with `{ force?: boolean }` → `txc redrive`'s report. */
export type RedriveAnswer = RedriveReport;

/** `GET /console/api/backlog` → `txc pending`'s report, and the freshness SLO its oldest age is held to. */
export type BacklogAnswer = PendingReport & {
  /** The stack's oldest-pending-age SLO in seconds (null when the stack has none). */
  readonly oldestPendingAgeSloSeconds?: number | null;
};

/** `GET /console/api/failed?limit=<1..MAX_FAILED_LIMIT>` → `txc failed`'s report. */
export type FailedAnswer = FailedReport;

/** `POST /console/api/requeue` with `{ ids: string[], reason: string }` → `txc requeue`'s report. */
export interface RequeueRequest {
  readonly ids: readonly string[];
  readonly reason: string;
}
export type RequeueAnswer = RequeueReport;

/** `GET /console/api/transactions/<id>` → the stored item (404 NotFound when there is none). */
export interface TransactionAnswer {
  readonly item: Record<string, unknown>;
}

/** `GET /console/api/schedule`; `POST` with `{ state: 'ENABLED' | 'DISABLED' }` switches it. */
export interface ScheduleAnswer {
  readonly schedule: ScheduleInfo | null;
}

export interface ErrorAnswer {
  readonly error: string;
  readonly message: string;
  readonly field?: string;
}
