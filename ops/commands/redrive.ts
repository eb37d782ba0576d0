/**
 * `txc redrive <execution>`: RedriveExecution (AWS, or the local endpoint), with this workflow's
 * rule for when it helps (docs/runbook.md#redrive-or-a-new-run):
 * - an execution that stopped in StartRun — before it took the run lock — is redriven: it takes
 *   the lock and goes on as a new run would, under the same execution name;
 * - one that stopped after StartRun is not, unless `--force`: when it ended, its Catch path or
 *   the lock-release rule released the lock and recorded the run, so the redriven execution
 *   would finish the step it stopped in and then fail with LockLost at the next FetchPage (or,
 *   stopped in a Fail state, fail again at once). A new run (`txc start`) is the recovery: every
 *   write is conditional and every provider call idempotent.
 * Where it stopped is the last state its history entered (GetExecutionHistory, newest first).
 */
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  RedriveExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ERROR, STATE } from '../../lambdas/contracts';
import { fields, hint, type Io, json, paragraph } from '../../cli/io';
import {
  describeExecution,
  executionArnOf,
  executionRef,
  failureText,
  type ExecutionView,
  waitForRun,
} from '../executions';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';

export interface RedriveOptions {
  /** Redrive even when a new run is the better recovery. */
  force?: boolean;
  /** Wait for the redriven execution to end. */
  wait?: boolean;
}

export interface RedriveDeps {
  io: Io;
  json: boolean;
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
  txc: TxcCommandFor;
  width: number;
}

export interface RedriveReport {
  executionArn: string;
  /** The status before the redrive. */
  status: string;
  /** The state the execution stopped in (the last one its history entered). */
  stoppedIn?: string;
  /** Whether a redrive helps (stopped before the lock was taken) or a new run is the recovery. */
  advice: 'redrive' | 'new-run';
  /** With advice new-run: why a new run is the recovery (docs/runbook.md#redrive-or-a-new-run). */
  reason?: string;
  redriven: boolean;
  redriveDate?: string;
  /** With --wait: how the redriven execution ended. */
  final?: ExecutionView;
}

/** Pages of history read, newest first, looking for the last state entered. */
const HISTORY_PAGES = 20;

/** The last state the execution's history entered (undefined when none did). */
export async function stoppedIn(target: Target, executionArn: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < HISTORY_PAGES; page += 1) {
    const answer = await target.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 100,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    const entered = (answer.events ?? []).find(isStateEntered);
    if (entered) return entered.stateEnteredEventDetails?.name;
    nextToken = answer.nextToken;
    if (nextToken === undefined) return undefined;
  }
  return undefined;
}

/** A `…StateEntered` event (Task, Pass, Map, Choice…). */
export function isStateEntered(event: HistoryEvent): boolean {
  return typeof event.type === 'string' && event.type.endsWith('StateEntered');
}

/**
 * What `txc redrive` does, without printing: reads where the execution stopped and redrives it
 * when that helps (or with `force`). An unsuccessful execution that stopped after StartRun is not
 * redriven (`redriven: false`, `advice: 'new-run'`); RUNNING and SUCCEEDED ones are refused by
 * the service (ExecutionNotRedrivable, thrown). The operator console uses it as `txc` does.
 */
export async function redriveExecution(
  target: Target,
  ref: string,
  options: Pick<RedriveOptions, 'force'>,
): Promise<RedriveReport> {
  const executionArn = executionArnOf(target.names.stateMachineArn, ref);
  const before = await describeExecution(target, executionArn);
  const unsuccessful = ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(before.status);
  const state = unsuccessful ? await stoppedIn(target, executionArn) : undefined;
  const report: RedriveReport = {
    executionArn,
    status: before.status,
    ...(state === undefined ? {} : { stoppedIn: state }),
    advice: state === undefined || state === STATE.StartRun ? 'redrive' : 'new-run',
    redriven: false,
  };
  if (unsuccessful && report.advice === 'new-run') {
    report.reason = newRunReason(report.status, state as string);
    if (options.force !== true) return report;
  }
  // RUNNING and SUCCEEDED executions are refused by the service (ExecutionNotRedrivable).
  const answer = await target.sfn.send(new RedriveExecutionCommand({ executionArn }));
  report.redriven = true;
  if (answer.redriveDate !== undefined) {
    report.redriveDate = new Date(answer.redriveDate).toISOString();
  }
  return report;
}

export async function redriveCommand(
  target: Target,
  ref: string,
  options: RedriveOptions,
  deps: RedriveDeps,
): Promise<number> {
  const report = await redriveExecution(target, ref, options);
  const { executionArn, stoppedIn: state } = report;
  const name = executionRef(executionArn, target.names.stateMachineArn);
  if (!report.redriven) {
    deps.io.out(deps.json ? json(report) : renderAdvice(report, name, deps));
    return 1;
  }
  if (!deps.json) {
    deps.io.err(
      paragraph(
        `redriven: ${name}${state === undefined ? '' : ` (from ${state})`}${options.wait ? ', waiting for it to end' : ''}`,
        deps.width,
      ),
    );
  }
  if (options.wait !== true) {
    deps.io.out(
      deps.json ? json(report) : hint('follow it', deps.txc(['status', name]), deps.width),
    );
    return 0;
  }
  const { final } = await waitForRun(target, executionArn, {
    pollMs: deps.pollMs,
    sleep: deps.sleep,
  });
  report.final = final;
  deps.io.out(
    deps.json
      ? json(report)
      : fields(
          [
            ['execution', name],
            ['status', final.status],
            ['error', final.status === 'SUCCEEDED' ? undefined : failureText(final)],
          ],
          deps.width,
        ) + hint('the run it made', deps.txc(['status', name]), deps.width),
  );
  return final.status === 'SUCCEEDED' ? 0 : 1;
}

/** Why an execution that stopped after StartRun is not redriven (txc and the console show it). */
function newRunReason(status: string, state: string): string {
  return (
    `It is ${status}; it stopped in ${state}, after ${STATE.StartRun} took the run lock. ` +
    `When it ended, the lock was released and the run recorded, so a redrive would finish that step and then fail with ${ERROR.LockLost} at the next ${STATE.FetchPage} (or, in a Fail state, fail again at once). ` +
    'Start a new run instead: it takes the lock and goes on with everything still PENDING (docs/runbook.md#redrive-or-a-new-run).'
  );
}

function renderAdvice(report: RedriveReport, name: string, deps: RedriveDeps): string {
  return (
    paragraph(`${name}: ${report.reason} Nothing was redriven.`, deps.width) +
    hint('a new run', deps.txc(['start', '--wait']), deps.width) +
    hint('redrive anyway', deps.txc(['redrive', name, '--force']), deps.width)
  );
}
