/** `txc start`: build the execution input, validate it with the shared schema, start, optionally wait. */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { RunSummary } from '../../lambdas/contracts';
import { errorParts } from '../../lambdas/domain/errors';
import { parseExecutionInput } from '../../lambdas/domain/execution-input';
import type { RunRecord } from '../../lambdas/domain/ports';
import { UsageError } from '../errors';
import {
  checkExecutionName,
  executionRef,
  failureText,
  findRunRecord,
  outcomeOf,
  waitForRun,
  type ExecutionView,
  type LockHolder,
} from '../executions';
import { duration, fields, firstFew, hint, type Io, json, paragraph } from '../../cli/io';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';
import { renderTotals } from '../totals';

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
 * The execution input for these flags (docs/architecture.md §5): only the fields the operator set. Throws
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
  /** `npm run txc -- …` on this invocation's target, for the next-step hints. */
  txc: TxcCommandFor;
  /** The width human output fits. */
  width: number;
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

/** What the up-front check of `--ids` found (read-only: BatchGetItem on the Transactions table). */
export interface IdCheck {
  /** How many ids were checked. */
  checked: number;
  /** Ids with no item in the Transactions table: a run counts them as skipped. */
  missing: string[];
  /** Ids whose item is not PENDING, with its status: a run skips them too. */
  notPending: { id: string; status: string }[];
}

/** Keys per BatchGetItem (the API's limit) and attempts at keys DynamoDB leaves unprocessed. */
const BATCH_GET_KEYS = 100;
const BATCH_GET_ATTEMPTS = 5;
/** Ids named in a warning line. */
const IDS_SHOWN = 5;

/** Which of `ids` do not exist, or are not PENDING. Throws when it cannot tell (the caller starts anyway). */
export async function checkIds(
  target: Target,
  ids: readonly string[],
  sleep: (ms: number) => Promise<void>,
): Promise<IdCheck> {
  const table = target.names.transactionsTable;
  const status = new Map<string, string>();
  for (let i = 0; i < ids.length; i += BATCH_GET_KEYS) {
    let keys: Record<string, unknown>[] = ids.slice(i, i + BATCH_GET_KEYS).map((id) => ({ id }));
    for (let attempt = 1; keys.length > 0; attempt += 1) {
      if (attempt > BATCH_GET_ATTEMPTS) {
        throw new Error(`${keys.length} keys still unprocessed after ${BATCH_GET_ATTEMPTS} tries`);
      }
      const answer = await target.ddb.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: keys,
              ProjectionExpression: 'id, #status',
              ExpressionAttributeNames: { '#status': 'status' },
            },
          },
        }),
      );
      for (const item of answer.Responses?.[table] ?? []) {
        status.set(String(item.id), typeof item.status === 'string' ? item.status : 'no status');
      }
      keys = answer.UnprocessedKeys?.[table]?.Keys ?? [];
      if (keys.length > 0) await sleep(50 * 2 ** attempt);
    }
  }
  return {
    checked: ids.length,
    missing: ids.filter((id) => !status.has(id)),
    notPending: ids
      .filter((id) => status.has(id) && status.get(id) !== 'PENDING')
      .map((id) => ({ id, status: status.get(id) ?? '' })),
  };
}

/** `2 of 2 ids do not exist: a, b` and the like; empty when every id is PENDING. */
export function idCheckLines(check: IdCheck): string[] {
  const lines: string[] = [];
  const { checked, missing, notPending } = check;
  if (missing.length > 0) {
    lines.push(
      `${missing.length} of ${checked} ids ${missing.length === 1 ? 'does' : 'do'} not exist: ${firstFew(missing, IDS_SHOWN)} (a run counts ${missing.length === 1 ? 'it' : 'them'} as skipped)`,
    );
  }
  if (notPending.length > 0) {
    lines.push(
      `${notPending.length} of ${checked} ids ${notPending.length === 1 ? 'is' : 'are'} not PENDING: ${firstFew(
        notPending.map((p) => `${p.id} (${p.status})`),
        IDS_SHOWN,
      )} (a run skips ${notPending.length === 1 ? 'it' : 'them'})`,
    );
  }
  return lines;
}

export interface RenderRunOptions {
  /** The target's state machine: its executions are shown by name. */
  stateMachineArn: string;
  width?: number;
  idCheck?: IdCheck;
}

export function renderRunResult(
  result: RunResult,
  final: ExecutionView,
  options: RenderRunOptions,
): string {
  const { width } = options;
  const ref = (arn: string) => executionRef(arn, options.stateMachineArn);
  const ids =
    options.idCheck === undefined
      ? ''
      : idCheckLines(options.idCheck)
          .map((l) => paragraph(`note: ${l}`, width ?? Number.MAX_SAFE_INTEGER, 2))
          .join('');
  if ('summary' in result) {
    const s = result.summary;
    return (
      fields(
        [
          ['run', s.runId],
          ['status', s.status],
          ['execution', ref(final.executionArn)],
          ['dry run', s.dryRun ? 'yes' : undefined],
          ['duration', duration(s.durationMs)],
          ['error', s.error],
        ],
        width,
      ) +
      renderTotals(s.totals, width) +
      ids
    );
  }
  if (result.status === 'SKIPPED') {
    const h = result.holder;
    return fields(
      [
        ['status', 'SKIPPED (another run holds the lock)'],
        ['execution', ref(final.executionArn)],
        ['holder run', h.runId],
        ['holder execution', ref(h.executionArn)],
        ['lock expires', h.expiresAt],
      ],
      width,
    );
  }
  return (
    fields(
      [
        ['status', result.status],
        ['execution', ref(final.executionArn)],
        ['run', result.run?.runId],
        ['error', failureText(final)],
      ],
      width,
    ) +
    (result.run?.totals === undefined ? '' : renderTotals(result.run.totals, width)) +
    ids
  );
}

/** What to run next after `start --wait`: the FAILED transactions, the lock holder, a failed run. */
function nextSteps(
  result: RunResult,
  final: ExecutionView,
  deps: StartDeps,
  smArn: string,
): string {
  const steps: string[] = [];
  const totals =
    'summary' in result
      ? result.summary.totals
      : result.status === 'SKIPPED'
        ? undefined
        : result.run?.totals;
  if ((totals?.failed ?? 0) > 0) {
    steps.push(hint('the FAILED transactions and why', deps.txc('failed'), deps.width));
  }
  if (result.status === 'SKIPPED' && result.holder.executionArn !== '') {
    const holder = executionRef(result.holder.executionArn, smArn);
    steps.push(hint('the run holding the lock', deps.txc(['status', holder]), deps.width));
  }
  if (result.status !== 'SUCCEEDED' && result.status !== 'SKIPPED') {
    steps.push(
      hint(
        'the execution, its run record and the lock',
        deps.txc(['status', executionRef(final.executionArn, smArn)]),
        deps.width,
      ),
      hint(
        'check the deployment (provider, secret, lock, backlog)',
        deps.txc('doctor'),
        deps.width,
      ),
    );
  }
  return steps.join('');
}

/** The input as shown to a person: JSON with spaces (so it wraps), a long id list abbreviated. */
function inputText(input: Record<string, unknown>): string {
  const ids = input.transactionIds;
  const shown =
    Array.isArray(ids) && ids.length > IDS_SHOWN
      ? { ...input, transactionIds: `${ids.length} ids: ${firstFew(ids.map(String), 3)}` }
      : input;
  return JSON.stringify(shown, null, 1).replace(/\n\s*/g, ' ');
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
  const smArn = target.names.stateMachineArn;
  const say = (text: string) => deps.io.err(paragraph(text, deps.width, 2));

  // --ids: which of them do not exist (or are not PENDING), before anything starts. Read-only, and
  // never in the way: a check that fails only says so.
  let idCheck: IdCheck | undefined;
  const ids = Array.isArray(input.transactionIds) ? input.transactionIds.map(String) : undefined;
  if (ids !== undefined) {
    try {
      idCheck = await checkIds(target, ids, deps.sleep);
      for (const line of idCheckLines(idCheck)) say(`warning: ${line}`);
    } catch (err) {
      const { name, message } = errorParts(err);
      say(`note: could not check that the ids exist (${name}: ${message}); starting anyway`);
    }
  }
  const checked =
    idCheck === undefined ? {} : { missingIds: idCheck.missing, notPending: idCheck.notPending };

  const started = await target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: smArn,
      input: JSON.stringify(input),
      ...(start.name === undefined ? {} : { name: start.name }),
    }),
  );
  const executionArn = started.executionArn ?? '';
  const startDate =
    started.startDate === undefined ? undefined : new Date(started.startDate).toISOString();
  if (!start.wait) {
    if (deps.json) {
      deps.io.out(json({ executionArn, startDate, input, ...checked }));
    } else {
      deps.io.out(
        fields(
          [
            ['started', executionRef(executionArn, smArn)],
            ['input', inputText(input)],
          ],
          deps.width,
        ) + hint('follow it', deps.txc(['status', executionRef(executionArn, smArn)]), deps.width),
      );
    }
    return 0;
  }

  if (!deps.json) say(`started ${executionRef(executionArn, smArn)}, waiting…`);
  const { final, chain } = await waitForRun(target, executionArn, {
    pollMs: deps.pollMs,
    sleep: deps.sleep,
    onHandOver: (from, to) => {
      if (!deps.json)
        say(`continued as new: ${executionRef(from, smArn)} -> ${executionRef(to, smArn)}`);
    },
  });
  const needsRecord = final.status !== 'SUCCEEDED';
  const run = needsRecord ? await findRunRecord(target, final).catch(() => undefined) : undefined;
  const result = runResultOf(final, run);
  if (deps.json) {
    deps.io.out(json({ executionArn, startDate, input, ...checked, executions: chain, ...result }));
  } else {
    deps.io.out(
      renderRunResult(result, final, {
        stateMachineArn: smArn,
        width: deps.width,
        ...(idCheck === undefined ? {} : { idCheck }),
      }) + nextSteps(result, final, deps, smArn),
    );
  }
  return result.status === 'SUCCEEDED' || result.status === 'SKIPPED' ? 0 : 1;
}
