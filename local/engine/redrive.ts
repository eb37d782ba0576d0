/**
 * RedriveExecution's rules (docs/local-engine.md "Redrive"): which executions can be redriven,
 * why not (DescribeExecution's redriveStatus / redriveStatusReason, RedriveExecution's
 * ExecutionNotRedrivable), and the client tokens that make a repeated request idempotent. How a
 * redriven execution runs is the runner's (execution-runner.ts); where it resumes is recorded by
 * the interpreter as it goes (asl/run-context.ts RunProgress).
 */
import type { RunProgress } from './asl/run-context';
import type { VariableScope } from './asl/variables';
import { StepFunctionsApiError } from './errors';
import type { ExecutionRecord } from './execution-store';

/** Where an unsuccessful execution stopped, and its variables: what a redrive resumes. */
export interface RedrivePoint {
  readonly progress: RunProgress;
  readonly variables: VariableScope;
}

/** "Restarts unsuccessful executions … that didn't complete successfully in the last 14 days." */
export const REDRIVABLE_PERIOD_MS = 14 * 24 * 3600 * 1000;
/** A Standard execution's maximum duration (one year), redrives included. */
export const MAX_EXECUTION_TIME_MS = 365 * 24 * 3600 * 1000;

/** The reasons AWS gives (DescribeExecution's redriveStatusReason), and the local runtime's own. */
export const NOT_REDRIVABLE = {
  running: 'Execution is RUNNING and cannot be redriven.',
  succeeded: 'Execution is SUCCEEDED and cannot be redriven.',
  period: 'Execution redrivable period exceeded.',
  maxTime: 'Execution has exceeded the max execution time.',
  historyLimit: 'Execution history event limit exceeded.',
  /** Local only: a history dropped by historyRetention, or one from before a restart. */
  notRetained:
    'The local runtime no longer holds where this execution stopped (it ran before the runtime restarted, or its history was dropped by historyRetention); start a new execution instead.',
} as const;

export type RedriveStatus =
  | { readonly status: 'REDRIVABLE' }
  | { readonly status: 'NOT_REDRIVABLE'; readonly reason: string };

/** What the engine knows of an execution besides its record. */
export interface RedriveFacts {
  /** Its redrive point and history are both still held. */
  readonly pointKept: boolean;
  /** Events its history can still take. */
  readonly historyRoom: number;
}

/** Whether `record` can be redriven now, and if not, why (in AWS's words where AWS has them). */
export function redriveStatus(
  record: ExecutionRecord,
  facts: RedriveFacts,
  now = Date.now(),
): RedriveStatus {
  const not = (reason: string): RedriveStatus => ({ status: 'NOT_REDRIVABLE', reason });
  if (record.status === 'RUNNING') return not(NOT_REDRIVABLE.running);
  if (record.status === 'SUCCEEDED') return not(NOT_REDRIVABLE.succeeded);
  if (now - (record.stopDate ?? record.startDate).getTime() > REDRIVABLE_PERIOD_MS) {
    return not(NOT_REDRIVABLE.period);
  }
  if (now - record.startDate.getTime() > MAX_EXECUTION_TIME_MS) return not(NOT_REDRIVABLE.maxTime);
  if (!facts.pointKept) return not(NOT_REDRIVABLE.notRetained);
  // ExecutionRedriven and at least one state's events must still fit.
  if (facts.historyRoom < 3) return not(NOT_REDRIVABLE.historyLimit);
  return { status: 'REDRIVABLE' };
}

/** RedriveExecution's refusal for a status that is not REDRIVABLE. */
export function notRedrivable(reason: string): StepFunctionsApiError {
  return new StepFunctionsApiError('ExecutionNotRedrivable', reason);
}

/**
 * "The API will return idempotent responses for the last 10 client tokens used to successfully
 * redrive the execution. These client tokens are valid for up to 15 minutes after they are first
 * used." One instance per engine; an execution's entries are pruned as they expire.
 */
export class RedriveClientTokens {
  static readonly KEPT = 10;
  static readonly VALID_MS = 15 * 60 * 1000;
  private readonly byExecution = new Map<
    string,
    { token: string; firstUsed: number; redriveDate: Date }[]
  >();

  /** The redriveDate an earlier request with this token got, while the token is valid. */
  earlier(executionArn: string, token: string, now = Date.now()): Date | undefined {
    const entries = this.live(executionArn, now);
    return entries.find((entry) => entry.token === token)?.redriveDate;
  }

  /** A successful redrive with this token. */
  used(executionArn: string, token: string, redriveDate: Date, now = Date.now()): void {
    const entries = this.live(executionArn, now);
    entries.push({ token, firstUsed: now, redriveDate });
    while (entries.length > RedriveClientTokens.KEPT) entries.shift();
    this.byExecution.set(executionArn, entries);
  }

  private live(executionArn: string, now: number) {
    const entries = (this.byExecution.get(executionArn) ?? []).filter(
      (entry) => now - entry.firstUsed <= RedriveClientTokens.VALID_MS,
    );
    if (entries.length === 0) this.byExecution.delete(executionArn);
    else this.byExecution.set(executionArn, entries);
    return entries;
  }
}
