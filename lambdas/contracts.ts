/**
 * The contract between the state machine (lib/confirmation-workflow.ts) and the handlers.
 *
 * The workflow and the handlers are built from this one file: the state machine passes these
 * shapes into each Lambda and reads these shapes back. Keep it free of runtime dependencies so
 * that lib/ may import the names below (service, metric, env var and state names) without
 * pulling in any handler code.
 *
 * Flow (docs/architecture.md §3):
 *   StartRun -> RunSkipped? -> FetchPage -> NextStep? --CONFIRM--> ConfirmPage (Distributed Map) -> FetchPage
 *                                                     --CONTINUE-> ContinueAsNew (states:startExecution) -> HandedOver
 *                                                     --FINISH--> FinishRun -> RunSucceeded
 *                                                     --UNAVAILABLE--> RecordProviderUnavailable (finish-run,
 *                                                          outcome PROVIDER_UNAVAILABLE) -> ProviderUnavailable (Fail)
 *   Any failure after StartRun -> Catch -> ReleaseLockAfterFailure (finish-run, outcome FAILED) -> RunFailed
 */

/**
 * The service: Powertools' service name (every log line, trace and metric of the handlers) and the
 * CloudWatch namespace of its metrics. Set on every function (lib/txconfirm-function.ts).
 */
export const SERVICE_NAME = 'txconfirm';
export const METRICS_NAMESPACE = SERVICE_NAME;

/**
 * The handlers' metrics (namespace METRICS_NAMESPACE, dimensions `service` = SERVICE_NAME and
 * `stage` = the STAGE env var, lambdas/shared/metric-dimensions.ts), emitted
 * with Powertools (lambdas/shared/powertools.ts) and watched by the alarms and the dashboard
 * (lib/monitoring/). test/infra/metric-names.test.ts ties the two sides together.
 */
export const METRIC = {
  // confirm-batch: ids per batch (counted before the work), every provider call with its latency
  // (ms) and the ones that failed, and the transactions per outcome bucket (BatchResult).
  BatchSize: 'BatchSize',
  ProviderCalls: 'ProviderCalls',
  ProviderLatency: 'ProviderLatency',
  ProviderErrors: 'ProviderErrors',
  TransactionsConfirmed: 'TransactionsConfirmed',
  TransactionsRejected: 'TransactionsRejected',
  TransactionsFailed: 'TransactionsFailed',
  TransactionsDeferred: 'TransactionsDeferred',
  TransactionsSkipped: 'TransactionsSkipped',
  // Left PENDING untouched because the provider circuit breaker is open (docs/architecture.md §4).
  TransactionsUnavailable: 'TransactionsUnavailable',
  // fetch-page, once per run: the age of the oldest PENDING transaction (the freshness SLO).
  OldestPendingAgeSeconds: 'OldestPendingAgeSeconds',
  // start-run: another run held the lock.
  RunsSkipped: 'RunsSkipped',
  // finish-run: how each run ended, how long it took (ms), its failed batches.
  RunsSucceeded: 'RunsSucceeded',
  RunsFailed: 'RunsFailed',
  // A run stopped because the provider circuit breaker is open (its execution fails with
  // ProviderUnavailable; not counted in RunsFailed).
  RunsProviderUnavailable: 'RunsProviderUnavailable',
  RunDuration: 'RunDuration',
  RunFailedBatches: 'RunFailedBatches',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * The metric no handler emits: a metric filter on the state machine's log counts the pages that
 * failed their tolerated-failure threshold (lib/monitoring/). Namespace METRICS_NAMESPACE, no
 * dimension (a metric filter cannot take one from a Step Functions log event), so each stage
 * publishes it as `<name>-<stage>`.
 */
export const TOLERATED_FAILURE_METRIC = 'ToleratedFailureThresholdExceeded';

/** Environment variable names read by the handlers (set by lib/, and by local/ from the template). */
export const ENV = {
  TRANSACTIONS_TABLE: 'TRANSACTIONS_TABLE_NAME',
  PENDING_INDEX: 'PENDING_INDEX_NAME',
  RUNS_TABLE: 'RUNS_TABLE_NAME',
  MANIFEST_BUCKET: 'PAGE_MANIFEST_BUCKET',
  SHARD_COUNT: 'PENDING_SHARD_COUNT',
  PAGE_SIZE: 'PAGE_SIZE',
  MAX_PAGES_PER_EXECUTION: 'MAX_PAGES_PER_EXECUTION',
  LOCK_LEASE_SECONDS: 'LOCK_LEASE_SECONDS',
  MAX_ATTEMPTS: 'MAX_ATTEMPTS',
  PROVIDER_BASE_URL: 'PROVIDER_BASE_URL',
  PROVIDER_SECRET_ID: 'PROVIDER_SECRET_ID',
  PROVIDER_TIMEOUT_MS: 'PROVIDER_TIMEOUT_MS',
  IN_BATCH_PARALLELISM: 'IN_BATCH_PARALLELISM',
  STAGE: 'STAGE',
} as const;

/** Names of the Step Functions states, shared by the construct, tests and the local runtime. */
export const STATE = {
  StartRun: 'StartRun',
  RunSkipped: 'RunSkipped?',
  Skipped: 'Skipped',
  FetchPage: 'FetchPage',
  NextStep: 'NextStep?',
  ConfirmPage: 'ConfirmPage',
  ConfirmBatch: 'ConfirmBatch',
  ContinueAsNew: 'ContinueAsNew',
  HandedOver: 'HandedOver',
  FinishRun: 'FinishRun',
  Succeeded: 'RunSucceeded',
  RecordProviderUnavailable: 'RecordProviderUnavailable',
  ProviderUnavailable: 'ProviderUnavailable',
  ReleaseLockAfterFailure: 'ReleaseLockAfterFailure',
  Failed: 'RunFailed',
} as const;

/** Error names thrown by handlers; Step Functions sees them as the `Error` of a failed task. */
export const ERROR = {
  /** Execution input failed the schema (docs/architecture.md §5). Not retried. */
  InvalidExecutionInput: 'InvalidExecutionInput',
  /** The run lost its lease (another run took it over). Not retried. */
  LockLost: 'LockLost',
  /** DynamoDB unreachable / throttled after SDK retries, provider credentials rejected, ... Retried. */
  SystemicFault: 'SystemicFault',
  /** A handler's own configuration (env) is invalid. Not retried. */
  InvalidConfiguration: 'InvalidConfiguration',
  /**
   * The run stopped because the payment provider is unavailable (its circuit breaker is open,
   * docs/architecture.md §4): the error of the execution's ProviderUnavailable Fail state, after
   * the lock was released. Its cause names the outage evidence and when the breaker retries.
   */
  ProviderUnavailable: 'ProviderUnavailable',
} as const;

/** Execution input as operators and the schedule send it (the schedule sends `{}`). See lambdas/domain/execution-input.ts. */
export interface ExecutionInput {
  dryRun?: boolean;
  transactionIds?: string[];
  maxItems?: number;
  /** ISO-8601 UTC; the run only processes transactions created before min(now, createdBefore). */
  createdBefore?: string;
  /** Internal: set by ContinueAsNew only. */
  resume?: ResumeToken;
  /** Set by Step Functions when an execution starts another one (ContinueAsNew). */
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?: string;
}

export interface ResumeToken {
  run: RunContext;
  cursor: Cursor | null;
  totals: RunTotals;
}

/** Fixed for the whole run (across continue-as-new). */
export interface RunContext {
  runId: string;
  /** ISO-8601: only transactions with createdAt < cutoff are paged. */
  cutoff: string;
  startedAt: string;
  dryRun: boolean;
  maxItems: number;
  /** Present for a manual run over explicit ids: pages walk this list instead of the index. */
  transactionIds?: string[];
}

/**
 * Position in the backlog. For index paging: the shard being read and DynamoDB's LastEvaluatedKey
 * in it. For explicit ids: the offset into run.transactionIds. StartRun sets the initial cursor
 * (`{kind:'index', shard:0}` or `{kind:'ids', offset:0}`); `null` means the backlog is exhausted.
 */
export type Cursor =
  | { kind: 'index'; shard: number; lastKey?: Record<string, string> }
  | { kind: 'ids'; offset: number };

/**
 * The buckets a batch sorts its transactions into: each id lands in exactly one. `wouldProcess`
 * is the dry run's: PENDING items that a real run would have sent to the provider. `unavailable`:
 * PENDING items left untouched (no write, attempts unchanged) because the provider circuit breaker
 * was open. A BatchResult counts them per batch, the RunTotals per run (lambdas/domain/totals.ts
 * folds one into the other).
 */
export const OUTCOME_COUNTERS = [
  'confirmed',
  'rejected',
  'failed',
  'deferred',
  'skipped',
  'wouldProcess',
  'unavailable',
] as const;
export type OutcomeCounter = (typeof OUTCOME_COUNTERS)[number];
export type OutcomeCounts = Record<OutcomeCounter, number>;

export interface RunTotals extends OutcomeCounts {
  pages: number;
  fetched: number;
  /** Batches whose child execution failed (tolerated by the Distributed Map): their items stay PENDING. */
  failedBatches: number;
}

/** Per-batch counts returned by confirm-batch (one element of the Distributed Map's result array). */
export interface BatchResult extends OutcomeCounts {
  /** The ids of the batch: the sum of the outcome counts. */
  processed: number;
}

// ---- start-run ----------------------------------------------------------------------------
/** Payload: { input: $$.Execution.Input, executionArn: $$.Execution.Id, executionName: $$.Execution.Name, startTime: $$.Execution.StartTime } */
export interface StartRunEvent {
  input: unknown;
  executionArn: string;
  executionName: string;
  startTime: string;
}
/** Result (becomes the whole state, `$`). */
export type StartRunResult =
  | ({ status: 'STARTED' } & RunState)
  | { status: 'SKIPPED'; holder: { runId: string; executionArn: string; expiresAt: string } };

/** The state carried through the loop. */
export interface RunState {
  run: RunContext;
  cursor: Cursor | null;
  totals: RunTotals;
  executionArn: string;
  pagesThisExecution: number;
}

// ---- fetch-page ---------------------------------------------------------------------------
/** Payload: the whole state `$` (RunState plus, after ConfirmPage, `pageResults`). */
export interface FetchPageEvent extends RunState {
  /** Output of the Distributed Map for the previous page; entries that are not BatchResults are failed batches. */
  pageResults?: unknown[];
  page?: Page;
}
/**
 * A page of ids to confirm. The ids do not travel through the state: FetchPage writes them to S3
 * (`manifest`, a JSON array of `{ "id": ... }`) and ConfirmPage's ItemReader reads them from there,
 * so a page's size is not bound by the 256 KiB state limit (docs/architecture.md §3).
 */
export interface Page {
  count: number;
  /** Present when count > 0. */
  manifest?: PageManifest;
}
/**
 * Where page manifests live in their bucket (`<prefix><runId>/page-<n>.json`): FetchPage writes
 * under it, and the stack limits FetchPage's writes and the expiry rule to this prefix (the
 * state machine's ItemReader may read the whole bucket).
 */
export const MANIFEST_PREFIX = 'runs/';

/** Where a page's ids are: one S3 object, deleted by the FetchPage after its page. */
export interface PageManifest {
  bucket: string;
  key: string;
}
export type NextStep = 'CONFIRM' | 'CONTINUE' | 'FINISH' | 'UNAVAILABLE';

/**
 * Why a run stopped for a provider outage (next = UNAVAILABLE): the circuit breaker's evidence and
 * when it lets a run probe the provider again.
 */
export interface ProviderOutage {
  /** The outage evidence, e.g. `HTTP 503 ×20 of 20 calls`. */
  reason: string;
  /** ISO-8601: from then on the next batch probes the provider. */
  retryAt: string;
  /** ISO-8601: when the breaker opened. */
  openedAt?: string;
  /** The text the execution fails with (error ProviderUnavailable). */
  cause: string;
}
/** Result (becomes the whole state `$`): the page to confirm, or what to do next. Renews the lease. */
export interface FetchPageResult extends RunState {
  next: NextStep;
  page: Page;
  /** Present when next = CONTINUE: the input of the next execution (`{ resume }`). */
  resume?: ResumeToken;
  /** Present when next = UNAVAILABLE. */
  providerUnavailable?: ProviderOutage;
}

// ---- confirm-batch ------------------------------------------------------------------------
/** Payload of each Distributed Map child: what ItemBatcher produces. */
export interface ConfirmBatchEvent {
  Items: { id: string }[];
  BatchInput: { runId: string; dryRun: boolean };
}

// ---- finish-run ---------------------------------------------------------------------------
/**
 * Payload: { run, totals, executionArn, outcome, error?, providerUnavailable? } — error is the
 * Catch's { Error, Cause }; providerUnavailable comes with outcome PROVIDER_UNAVAILABLE.
 */
export interface FinishRunEvent {
  run: RunContext;
  totals: RunTotals;
  executionArn: string;
  outcome: 'SUCCEEDED' | 'FAILED' | 'PROVIDER_UNAVAILABLE';
  error?: { Error?: string; Cause?: string };
  providerUnavailable?: ProviderOutage;
}
/** The status of a run record: RUNNING until the run ends in one of the others. */
export type RunStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  /** Stopped because the provider circuit breaker is open (docs/architecture.md §4). */
  | 'PROVIDER_UNAVAILABLE'
  | 'SKIPPED'
  | 'ABORTED'
  | 'TIMED_OUT';
export interface RunSummary {
  runId: string;
  status: Exclude<RunStatus, 'RUNNING'>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  dryRun: boolean;
  totals: RunTotals;
  error?: string;
  /** PROVIDER_UNAVAILABLE: the breaker's evidence and retry time. */
  providerUnavailable?: Omit<ProviderOutage, 'cause'>;
}

// ---- release-lock (EventBridge rule on execution status change) ---------------------------
/** The EventBridge event "Step Functions Execution Status Change" (status FAILED | TIMED_OUT | ABORTED). */
export interface ExecutionStatusChangeEvent {
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  detail: { executionArn: string; stateMachineArn: string; status: string; stopDate?: number };
}
