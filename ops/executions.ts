/**
 * Executions as operators see them: an ARN or a bare name, what the output means (a run summary,
 * SKIPPED with the lock holder, a ContinueAsNew hand-over), waiting across hand-overs, and the
 * run record in the Runs table that belongs to an execution.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import {
  GetCommand,
  type Paginator,
  paginateQuery,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { LOCK_KEY, RUN_PARTITION, toLock } from '../lambdas/adapters/dynamo-run-store';
import { BREAKER_KEY, toBreaker } from '../lambdas/adapters/dynamo-provider-breaker';
import type { RunSummary } from '../lambdas/contracts';
import { describeCatchError } from '../lambdas/domain/finish-run';
import type { BreakerRecord, LockRecord, RunRecord } from '../lambdas/domain/ports';
import { makeRunId } from '../lambdas/domain/run-state';
import { UsageError } from './errors';
import { executionNameProblem } from '../local/engine/execution-name';
import type { Target } from './target';

export type ExecutionStatus =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface ExecutionView {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  startDate?: string;
  stopDate?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface LockHolder {
  runId: string;
  executionArn: string;
  expiresAt: string;
}

/** What a finished execution's output says. */
export type ExecutionOutcome =
  | { kind: 'summary'; summary: RunSummary }
  | { kind: 'skipped'; holder: LockHolder }
  | { kind: 'handover'; nextExecutionArn: string }
  | { kind: 'other' };

/**
 * Step Functions' rule for execution names (the engine's, which is the API reference's): why
 * `name` is refused, as `--name`'s usage error says it, or undefined.
 */
export function checkExecutionName(name: string): string | undefined {
  const problem = executionNameProblem(name);
  return problem === undefined ? undefined : `${JSON.stringify(name)} is refused: ${problem}`;
}

/** An execution ARN as given, or the ARN of execution `name` of the target's state machine. */
export function executionArnOf(stateMachineArn: string, ref: string): string {
  if (ref.startsWith('arn:')) return ref;
  const problem = checkExecutionName(ref);
  if (problem !== undefined)
    throw new UsageError(`<execution>: an execution ARN or name ${problem}`);
  const parts = stateMachineArn.split(':');
  // arn:<partition>:states:<region>:<account>:stateMachine:<name>
  if (parts.length < 7 || parts[5] !== 'stateMachine') {
    throw new UsageError(
      `cannot derive an execution ARN from ${stateMachineArn}: pass the full ARN`,
    );
  }
  return [...parts.slice(0, 5), 'execution', parts[6], ref].join(':');
}

/**
 * How human output names an execution: its name when it belongs to `stateMachineArn` (the name is
 * what `txc status` takes, and fits a line where the ARN does not), else the ARN. `--json` keeps ARNs.
 */
export function executionRef(executionArn: string, stateMachineArn: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length >= 7 && parts[5] === 'stateMachine') {
    const prefix = `${[...parts.slice(0, 5), 'execution', parts[6]].join(':')}:`;
    const name = executionArn.slice(prefix.length);
    if (executionArn.startsWith(prefix) && name !== '' && !name.includes(':')) return name;
  }
  return executionArn;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function describeExecution(
  target: Target,
  executionArn: string,
): Promise<ExecutionView> {
  const d = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return {
    executionArn: d.executionArn ?? executionArn,
    name: d.name ?? executionArn.split(':').pop() ?? '',
    status: (d.status ?? 'RUNNING') as ExecutionStatus,
    ...(d.startDate === undefined ? {} : { startDate: new Date(d.startDate).toISOString() }),
    ...(d.stopDate === undefined ? {} : { stopDate: new Date(d.stopDate).toISOString() }),
    ...(d.input === undefined ? {} : { input: parseJson(d.input) }),
    ...(d.output === undefined ? {} : { output: parseJson(d.output) }),
    ...(d.error === undefined ? {} : { error: d.error }),
    ...(d.cause === undefined ? {} : { cause: d.cause }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function outcomeOf(output: unknown): ExecutionOutcome {
  if (!isObject(output)) return { kind: 'other' };
  if (typeof output.nextExecutionArn === 'string') {
    return { kind: 'handover', nextExecutionArn: output.nextExecutionArn };
  }
  if (output.status === 'SKIPPED' && isObject(output.holder)) {
    const h = output.holder;
    return {
      kind: 'skipped',
      holder: {
        runId: String(h.runId ?? ''),
        executionArn: String(h.executionArn ?? ''),
        expiresAt: String(h.expiresAt ?? ''),
      },
    };
  }
  if (
    typeof output.runId === 'string' &&
    typeof output.status === 'string' &&
    isObject(output.totals)
  ) {
    return { kind: 'summary', summary: output as unknown as RunSummary };
  }
  return { kind: 'other' };
}

/** `Error: cause` of a failed execution, the Lambda error document reduced to its message. */
export function failureText(view: ExecutionView): string {
  return describeCatchError({ Error: view.error ?? view.status, Cause: view.cause });
}

export interface WaitOptions {
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Called once per ContinueAsNew hand-over. */
  onHandOver?: (from: string, to: string) => void;
  /** Hand-overs followed at most (a guard against a loop). */
  maxHandOvers?: number;
}

/**
 * Polls DescribeExecution until the execution stops, following ContinueAsNew hand-overs (a
 * SUCCEEDED execution whose output is `{ nextExecutionArn }`). Returns the last execution and
 * every ARN of the chain.
 */
export async function waitForRun(
  target: Target,
  executionArn: string,
  options: WaitOptions,
): Promise<{ final: ExecutionView; chain: string[] }> {
  const chain = [executionArn];
  let arn = executionArn;
  const maxHandOvers = options.maxHandOvers ?? 10_000;
  for (;;) {
    const view = await describeExecution(target, arn);
    if (view.status === 'RUNNING') {
      await options.sleep(options.pollMs);
      continue;
    }
    const outcome: ExecutionOutcome =
      view.status === 'SUCCEEDED' ? outcomeOf(view.output) : { kind: 'other' };
    if (outcome.kind === 'handover' && chain.length <= maxHandOvers) {
      options.onHandOver?.(arn, outcome.nextExecutionArn);
      arn = outcome.nextExecutionArn;
      chain.push(arn);
      continue;
    }
    return { final: view, chain };
  }
}

/** How many pages of run records `findRunRecord` scans for an execution ARN, at most. */
const RUN_LOOKUP_PAGES = 5;

/**
 * The run record of an execution: its runId comes from the output (FinishRun's summary), the
 * input (a resumed run), or the start time and name (StartRun's rule); failing those, recent
 * runs are searched by executionArn.
 */
export async function findRunRecord(
  target: Target,
  view: ExecutionView,
): Promise<RunRecord | undefined> {
  const candidates: string[] = [];
  const output = isObject(view.output) ? view.output : {};
  if (typeof output.runId === 'string') candidates.push(output.runId);
  const input = isObject(view.input) ? view.input : {};
  const resume = isObject(input.resume) && isObject(input.resume.run) ? input.resume.run : {};
  if (typeof resume.runId === 'string') candidates.push(resume.runId);
  if (view.startDate !== undefined) candidates.push(makeRunId(new Date(view.startDate), view.name));
  for (const runId of new Set(candidates)) {
    const { Item } = await target.ddb.send(
      new GetCommand({
        TableName: target.names.runsTable,
        Key: { pk: RUN_PARTITION, sk: runId },
        ConsistentRead: true,
      }),
    );
    if (Item !== undefined) return withoutKeys(Item) as unknown as RunRecord;
  }
  let pages = 0;
  for await (const page of runPages(target, { executionArn: view.executionArn })) {
    const item = page.Items?.[0];
    if (item !== undefined) return withoutKeys(item) as unknown as RunRecord;
    pages += 1;
    if (pages === RUN_LOOKUP_PAGES) break;
  }
  return undefined;
}

/**
 * Pages of run records (Runs table, pk RUN), newest first: runIds start with the start time, so
 * the sort key descends with it.
 */
export function runPages(
  target: Target,
  options: {
    /** Only the records of this execution (a filter: each page still reads its Limit of records). */
    executionArn?: string;
    /** The Limit of the next page, asked before each request (a caller that needs n more reads n). */
    pageLimit?: () => number;
  } = {},
): Paginator<QueryCommandOutput> {
  const { executionArn, pageLimit } = options;
  return paginateQuery(
    {
      client: target.ddb,
      // The paginator sends the same input object for every page, so a Limit per page needs a
      // command of its own.
      ...(pageLimit === undefined
        ? {}
        : {
            withCommand: (command) =>
              new QueryCommand({ ...(command.input as QueryCommandInput), Limit: pageLimit() }),
          }),
    },
    {
      TableName: target.names.runsTable,
      KeyConditionExpression: 'pk = :pk',
      ScanIndexForward: false,
      ...(executionArn === undefined
        ? { ExpressionAttributeValues: { ':pk': RUN_PARTITION } }
        : {
            FilterExpression: 'executionArn = :arn',
            ExpressionAttributeValues: { ':pk': RUN_PARTITION, ':arn': executionArn },
          }),
    },
  );
}

export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...item };
  delete rest.pk;
  delete rest.sk;
  return rest;
}

/** The run lock (Runs table, pk LOCK), or undefined when no run holds it. */
export async function currentLock(target: Target): Promise<LockRecord | undefined> {
  const { Item } = await target.ddb.send(
    new GetCommand({ TableName: target.names.runsTable, Key: LOCK_KEY, ConsistentRead: true }),
  );
  return toLock(Item);
}

/** The provider circuit breaker (Runs table, pk BREAKER); CLOSED when the item does not exist. */
export async function currentBreaker(target: Target): Promise<BreakerRecord> {
  const { Item } = await target.ddb.send(
    new GetCommand({ TableName: target.names.runsTable, Key: BREAKER_KEY, ConsistentRead: true }),
  );
  return toBreaker(Item);
}
