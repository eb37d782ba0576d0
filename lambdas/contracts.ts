/**
 * The contract between the state machine (lib/confirmation-workflow.ts) and the handlers.
 *
 * The workflow and the handlers are built from this one file: the state machine passes these
 * shapes into each Lambda and reads these shapes back. Keep it free of runtime dependencies so
 * that lib/ may import the names below (the env var names and state names) without pulling in
 * any handler code.
 *
 * Flow (DESIGN.md §3):
 *   StartRun -> RunSkipped? -> FetchPage -> NextStep? --CONFIRM--> ConfirmPage (Distributed Map) -> FetchPage
 *                                                     --CONTINUE-> ContinueAsNew (states:startExecution) -> HandedOver
 *                                                     --FINISH--> FinishRun -> RunSucceeded
 *   Any failure after StartRun -> Catch -> ReleaseLockAfterFailure (finish-run, outcome FAILED) -> RunFailed
 */

/** Environment variable names read by the handlers (set by lib/, and by local/ from the template). */
export const ENV = {
  TRANSACTIONS_TABLE: 'TRANSACTIONS_TABLE_NAME',
  PENDING_INDEX: 'PENDING_INDEX_NAME',
  RUNS_TABLE: 'RUNS_TABLE_NAME',
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
  ReleaseLockAfterFailure: 'ReleaseLockAfterFailure',
  Failed: 'RunFailed',
} as const;

/** Error names thrown by handlers; Step Functions sees them as the `Error` of a failed task. */
export const ERROR = {
  /** Execution input failed the schema (DESIGN.md §5). Not retried. */
  InvalidExecutionInput: 'InvalidExecutionInput',
  /** The run lost its lease (another run took it over). Not retried. */
  LockLost: 'LockLost',
  /** DynamoDB unreachable / throttled after SDK retries, provider credentials rejected, ... Retried. */
  SystemicFault: 'SystemicFault',
  /** A handler's own configuration (env) is invalid. Not retried. */
  InvalidConfiguration: 'InvalidConfiguration',
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

export interface RunTotals {
  pages: number;
  fetched: number;
  confirmed: number;
  rejected: number;
  failed: number;
  deferred: number;
  skipped: number;
  /** Dry run: PENDING items that a real run would have sent to the provider. */
  wouldProcess: number;
  /** Batches whose child execution failed (tolerated by the Distributed Map): their items stay PENDING. */
  failedBatches: number;
}

/** Per-batch counts returned by confirm-batch (one element of the Distributed Map's result array). */
export interface BatchResult {
  processed: number;
  confirmed: number;
  rejected: number;
  failed: number;
  deferred: number;
  skipped: number;
  wouldProcess: number;
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
export interface Page {
  items: { id: string }[];
  count: number;
}
export type NextStep = 'CONFIRM' | 'CONTINUE' | 'FINISH';
/** Result (becomes the whole state `$`): the page to confirm, or what to do next. Renews the lease. */
export interface FetchPageResult extends RunState {
  next: NextStep;
  page: Page;
  /** Present when next = CONTINUE: the input of the next execution (`{ resume }`). */
  resume?: ResumeToken;
}

// ---- confirm-batch ------------------------------------------------------------------------
/** Payload of each Distributed Map child: what ItemBatcher produces. */
export interface ConfirmBatchEvent {
  Items: { id: string }[];
  BatchInput: { runId: string; dryRun: boolean };
}

// ---- finish-run ---------------------------------------------------------------------------
/** Payload: { run, totals, executionArn, outcome, error? } — error is the Catch's { Error, Cause }. */
export interface FinishRunEvent {
  run: RunContext;
  totals: RunTotals;
  executionArn: string;
  outcome: 'SUCCEEDED' | 'FAILED';
  error?: { Error?: string; Cause?: string };
}
export interface RunSummary {
  runId: string;
  status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'ABORTED' | 'TIMED_OUT';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  dryRun: boolean;
  totals: RunTotals;
  error?: string;
}

// ---- release-lock (EventBridge rule on execution status change) ---------------------------
/** The EventBridge event "Step Functions Execution Status Change" (status FAILED | TIMED_OUT | ABORTED). */
export interface ExecutionStatusChangeEvent {
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  detail: { executionArn: string; stateMachineArn: string; status: string; stopDate?: number };
}
