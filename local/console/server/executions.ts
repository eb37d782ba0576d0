/**
 * The executions API of the console (../contract.ts): the list with each row's run, one
 * execution (`txc status`'s report, its history, visited and current states, Map Runs, redrive
 * fields), start (`txc start`'s input builder and name rule), stop and redrive (`txc redrive`'s).
 * Every read goes through the Target, as `txc --local` reads.
 */
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  type DescribeMapRunCommandOutput,
  ListExecutionsCommand,
  ListMapRunsCommand,
  type MapRunListItem,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ERROR } from '../../../lambdas/contracts';
import { redriveExecution } from '../../../ops/commands/redrive';
import { buildExecutionInput } from '../../../ops/commands/start';
import { statusReport } from '../../../ops/commands/status';
import { checkExecutionName, describeExecution, executionArnOf } from '../../../ops/executions';
import type { Target } from '../../../ops/target';
import {
  DEFAULT_LIST_LIMIT,
  type ExecutionDetail,
  type ExecutionRow,
  type ExecutionsAnswer,
  LIST_STATUSES,
  MAX_LIST_LIMIT,
  type MapRunView,
  type RedriveAnswer,
  type StartAnswer,
  type StartRequest,
  type StopAnswer,
} from '../contract';
import type { ConsoleDeps } from './context';
import {
  currentState,
  historyEventView,
  MAX_HISTORY_EVENTS,
  readHistory,
  visitedStates,
} from './history';
import { mapLimited } from './run-lookup';
import { badRequest, ConsoleError } from './wire';
import { integerParameter, optionalBoolean, optionalText, onlyFields } from './fields';

/** Map Runs described at most per execution: the newest. */
const MAX_MAP_RUNS = 50;

const iso = (date: Date | undefined) =>
  date === undefined ? undefined : new Date(date).toISOString();

/** `GET executions?status=&limit=`: newest first, each row with its run when one is found. */
export async function listExecutions(
  deps: ConsoleDeps,
  target: Target,
  query: URLSearchParams,
): Promise<ExecutionsAnswer> {
  const status = query.get('status') ?? '';
  if (status !== '' && !(LIST_STATUSES as readonly string[]).includes(status)) {
    throw badRequest(
      `status must be one of ${LIST_STATUSES.join(', ')} (or absent), got ${JSON.stringify(status)}`,
      'status',
    );
  }
  const limit = integerParameter(query, 'limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
  // ListExecutions answers newest first, at most maxResults.
  const answer = await target.sfn.send(
    new ListExecutionsCommand({
      stateMachineArn: target.names.stateMachineArn,
      maxResults: limit,
      ...(status === '' ? {} : { statusFilter: status as (typeof LIST_STATUSES)[number] }),
    }),
  );
  const rows = (answer.executions ?? []).map((item) => ({
    executionArn: item.executionArn ?? '',
    name: item.name ?? '',
    status: item.status ?? 'RUNNING',
    startDate: iso(item.startDate) ?? '',
    ...(item.stopDate === undefined ? {} : { stopDate: iso(item.stopDate) }),
    ...(item.redriveCount === undefined ? {} : { redriveCount: item.redriveCount }),
  }));
  const runs = await deps.runs.runsOf(target, rows);
  const executions: ExecutionRow[] = rows.map((row, i) => {
    const run = runs[i];
    return run === undefined ? row : { ...row, run };
  });
  return { executions };
}

/** A DescribeMapRun answer for display. */
function mapRunView(d: DescribeMapRunCommandOutput): MapRunView {
  const counts = (value: object | undefined) => {
    const out: Record<string, number> = {};
    for (const [key, n] of Object.entries(value ?? {})) if (typeof n === 'number') out[key] = n;
    return out;
  };
  return {
    mapRunArn: d.mapRunArn ?? '',
    status: d.status ?? 'RUNNING',
    startDate: iso(d.startDate) ?? '',
    ...(d.stopDate === undefined ? {} : { stopDate: iso(d.stopDate) }),
    ...(d.redriveCount === undefined ? {} : { redriveCount: d.redriveCount }),
    itemCounts: counts(d.itemCounts),
    executionCounts: counts(d.executionCounts),
  };
}

/** The execution's Map Runs, newest first (the newest MAX_MAP_RUNS), each described. */
async function mapRuns(target: Target, executionArn: string): Promise<MapRunView[]> {
  const listed: MapRunListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(
      new ListMapRunsCommand({ executionArn, ...(nextToken === undefined ? {} : { nextToken }) }),
    );
    listed.push(...(page.mapRuns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  const newest = listed
    .sort((a, b) => new Date(b.startDate ?? 0).getTime() - new Date(a.startDate ?? 0).getTime())
    .slice(0, MAX_MAP_RUNS);
  return mapLimited(newest, 4, async (m) =>
    mapRunView(await target.sfn.send(new DescribeMapRunCommand({ mapRunArn: m.mapRunArn }))),
  );
}

/** `GET executions/<name or ARN>`. */
export async function executionDetail(
  deps: ConsoleDeps,
  target: Target,
  ref: string,
): Promise<ExecutionDetail> {
  const report = await statusReport(target, ref, new Date());
  const { executionArn, status } = report.execution;
  const [events, runs, described] = await Promise.all([
    readHistory(target, executionArn),
    mapRuns(target, executionArn),
    target.sfn.send(new DescribeExecutionCommand({ executionArn })),
  ]);
  const visited = visitedStates(events, deps.topLevelStates);
  const current = currentState(status, visited);
  return {
    report,
    visited,
    ...(current === undefined ? {} : { current }),
    history: events.slice(-MAX_HISTORY_EVENTS).map(historyEventView),
    mapRuns: runs,
    ...(described.redriveStatus === undefined
      ? {}
      : {
          redrive: {
            status: described.redriveStatus,
            ...(described.redriveStatusReason === undefined
              ? {}
              : { reason: described.redriveStatusReason }),
          },
        }),
  };
}

/** The start form's fields (StartRequest) and the execution input fields they set. */
const START_FIELDS = [
  'dryRun',
  'ids',
  'maxItems',
  'createdBefore',
  'name',
] as const satisfies readonly (keyof StartRequest)[];
const FORM_FIELD_OF_INPUT: Readonly<Record<string, (typeof START_FIELDS)[number]>> = {
  dryRun: 'dryRun',
  transactionIds: 'ids',
  maxItems: 'maxItems',
  createdBefore: 'createdBefore',
};

/** The form field an InvalidExecutionInput message names first (`maxItems: must be …`). */
function formFieldOf(message: string): string | undefined {
  const input = /^([A-Za-z]+)(?:\[\d+\])?[.:]/.exec(message)?.[1];
  return input === undefined ? undefined : FORM_FIELD_OF_INPUT[input];
}

/**
 * `POST executions`: the input built and checked by `txc start`'s own functions before anything
 * is sent (a blank text field counts as not given), then StartExecution.
 */
export async function startExecution(
  target: Target,
  body: Record<string, unknown>,
): Promise<StartAnswer> {
  onlyFields(body, START_FIELDS);
  const request: StartRequest = {
    ...optionalBoolean(body, 'dryRun'),
    ...optionalText(body, 'ids'),
    ...optionalText(body, 'maxItems'),
    ...optionalText(body, 'createdBefore'),
    ...optionalText(body, 'name'),
  };
  if (request.name !== undefined) {
    const problem = checkExecutionName(request.name);
    if (problem !== undefined) {
      throw new ConsoleError(400, 'InvalidName', `name ${problem}`, 'name');
    }
  }
  let input: Record<string, unknown>;
  try {
    input = buildExecutionInput(request);
  } catch (error) {
    if (!(error instanceof Error) || error.name !== ERROR.InvalidExecutionInput) throw error;
    throw new ConsoleError(400, error.name, error.message, formFieldOf(error.message));
  }
  const started = await target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.names.stateMachineArn,
      input: JSON.stringify(input),
      ...(request.name === undefined ? {} : { name: request.name }),
    }),
  );
  const executionArn = started.executionArn ?? '';
  return { executionArn, name: executionArn.split(':').pop() ?? '' };
}

/** `POST executions/<name>/stop`: StopExecution, then the status it left. */
export async function stopExecution(
  target: Target,
  ref: string,
  body: Record<string, unknown>,
): Promise<StopAnswer> {
  onlyFields(body, []);
  const executionArn = executionArnOf(target.names.stateMachineArn, ref);
  await target.sfn.send(new StopExecutionCommand({ executionArn }));
  return { status: (await describeExecution(target, executionArn)).status };
}

/** `POST executions/<name>/redrive` `{ force? }`: what `txc redrive [--force]` does. */
export async function redrive(
  target: Target,
  ref: string,
  body: Record<string, unknown>,
): Promise<RedriveAnswer> {
  onlyFields(body, ['force']);
  return redriveExecution(target, ref, optionalBoolean(body, 'force'));
}
