/** `txc start`: build the execution input, validate it with the shared schema, start, optionally wait. */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RunSummary } from '../../lambdas/contracts';
import { parseExecutionInput } from '../../lambdas/domain/execution-input';
import type { RunRecord } from '../../lambdas/domain/ports';
import { UsageError } from '../errors';
import {
  checkExecutionName,
  failureText,
  findRunRecord,
  outcomeOf,
  waitForRun,
  type ExecutionView,
  type LockHolder,
} from '../executions';
import { duration, fields, type Io, json } from '../io';
import type { Target } from '../target';

export interface StartOptions {
  /** Comma-separated transaction ids, as typed. */
  ids?: string;
  dryRun?: boolean;
  /** As typed; the schema names a bad value. */
  maxItems?: string;
  createdBefore?: string;
  name?: string;
  wait?: boolean;
}

/** A number when the text is one, otherwise the text itself, so the schema's message shows what was typed. */
function numberOrText(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

/**
 * The execution input for these flags (DESIGN.md §5): only the fields the operator set. Throws
 * InvalidExecutionInput (exit 2) exactly as StartRun would, before anything is sent.
 */
export function buildExecutionInput(options: StartOptions): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (options.dryRun === true) input.dryRun = true;
  if (options.ids !== undefined)
    input.transactionIds = options.ids.split(',').map((id) => id.trim());
  if (options.maxItems !== undefined) input.maxItems = numberOrText(options.maxItems);
  if (options.createdBefore !== undefined) input.createdBefore = options.createdBefore;
  parseExecutionInput(input);
  return input;
}

export interface StartDeps {
  io: Io;
  json: boolean;
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
  /** The target flags as typed (e.g. ` --local`), repeated in the hint to follow the execution. */
  targetFlags?: string;
}

export type RunResult =
  | { status: 'SUCCEEDED' | 'FAILED'; summary: RunSummary }
  | { status: 'SKIPPED'; holder: LockHolder }
  | {
      status: 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'UNKNOWN';
      error?: string;
      cause?: string;
      run?: RunRecord;
    };

export function runResultOf(final: ExecutionView, run: RunRecord | undefined): RunResult {
  if (final.status === 'SUCCEEDED') {
    const outcome = outcomeOf(final.output);
    if (outcome.kind === 'summary') {
      return {
        status: outcome.summary.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
        summary: outcome.summary,
      };
    }
    if (outcome.kind === 'skipped') return { status: 'SKIPPED', holder: outcome.holder };
    return { status: 'UNKNOWN', error: `unexpected output ${JSON.stringify(final.output)}` };
  }
  const status =
    final.status === 'TIMED_OUT' || final.status === 'ABORTED' ? final.status : 'FAILED';
  return {
    status,
    ...(final.error === undefined ? {} : { error: final.error }),
    ...(final.cause === undefined ? {} : { cause: final.cause }),
    ...(run === undefined ? {} : { run }),
  };
}

export function renderTotals(totals: RunSummary['totals']): string {
  return fields([
    ['fetched', totals.fetched],
    ['confirmed', totals.confirmed],
    ['rejected', totals.rejected],
    ['failed', totals.failed],
    ['deferred', totals.deferred],
    ['skipped', totals.skipped],
    ['would process', totals.wouldProcess > 0 ? totals.wouldProcess : undefined],
    ['failed batches', totals.failedBatches],
    ['pages', totals.pages],
  ]);
}

export function renderRunResult(result: RunResult, final: ExecutionView): string {
  if ('summary' in result) {
    const s = result.summary;
    return (
      fields([
        ['run', s.runId],
        ['status', s.status],
        ['execution', final.executionArn],
        ['dry run', s.dryRun ? 'yes' : undefined],
        ['duration', duration(s.durationMs)],
        ['error', s.error],
      ]) + renderTotals(s.totals)
    );
  }
  if (result.status === 'SKIPPED') {
    const h = result.holder;
    return fields([
      ['status', 'SKIPPED (another run holds the lock)'],
      ['execution', final.executionArn],
      ['holder run', h.runId],
      ['holder execution', h.executionArn],
      ['lock expires', h.expiresAt],
    ]);
  }
  return (
    fields([
      ['status', result.status],
      ['execution', final.executionArn],
      ['run', result.run?.runId],
      ['error', failureText(final)],
    ]) + (result.run?.totals === undefined ? '' : renderTotals(result.run.totals))
  );
}

export interface PreparedStart {
  input: Record<string, unknown>;
  name?: string;
  wait: boolean;
}

/** Checks every flag (usage errors exit 2) before anything is resolved or sent. */
export function prepareStart(options: StartOptions): PreparedStart {
  if (options.name !== undefined) {
    const problem = checkExecutionName(options.name);
    if (problem !== undefined) throw new UsageError(`--name ${problem}`);
  }
  return {
    input: buildExecutionInput(options),
    ...(options.name === undefined ? {} : { name: options.name }),
    wait: options.wait === true,
  };
}

export async function startCommand(
  target: Target,
  start: PreparedStart,
  deps: StartDeps,
): Promise<number> {
  const { input } = start;
  const started = await target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.names.stateMachineArn,
      input: JSON.stringify(input),
      ...(start.name === undefined ? {} : { name: start.name }),
    }),
  );
  const executionArn = started.executionArn ?? '';
  const startDate =
    started.startDate === undefined ? undefined : new Date(started.startDate).toISOString();
  if (!start.wait) {
    if (deps.json) {
      deps.io.out(json({ executionArn, startDate, input }));
    } else {
      deps.io.out(
        fields([
          ['started', executionArn],
          ['input', JSON.stringify(input)],
        ]) +
          `follow it with: npm run txc -- status ${executionArn.split(':').pop() ?? executionArn}${deps.targetFlags ?? ''}\n`,
      );
    }
    return 0;
  }

  if (!deps.json) deps.io.err(`started ${executionArn}, waiting…\n`);
  const { final, chain } = await waitForRun(target, executionArn, {
    pollMs: deps.pollMs,
    sleep: deps.sleep,
    onHandOver: (from, to) => {
      if (!deps.json) deps.io.err(`continued as new: ${from.split(':').pop()} -> ${to}\n`);
    },
  });
  const needsRecord = final.status !== 'SUCCEEDED';
  const run = needsRecord ? await findRunRecord(target, final).catch(() => undefined) : undefined;
  const result = runResultOf(final, run);
  if (deps.json) {
    deps.io.out(json({ executionArn, startDate, input, executions: chain, ...result }));
  } else {
    deps.io.out(renderRunResult(result, final));
  }
  return result.status === 'SUCCEEDED' || result.status === 'SKIPPED' ? 0 : 1;
}
