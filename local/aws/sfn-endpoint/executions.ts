/**
 * StartExecution, DescribeExecution, ListExecutions, StopExecution and RedriveExecution over the
 * engine's execution API. The engine keeps input and output as JSON values; the API carries them
 * as JSON text.
 */
import type { ExecutionRecord, ExecutionStatus } from '../../engine';
import { newestFirst, pageAfter } from './paging';
import {
  ARN,
  CAUSE,
  ERROR,
  EXECUTION_STATUSES,
  executionArnField,
  INCLUDED_DATA,
  LIST_EXECUTIONS_PAGE_TOKEN,
  LONG_ARN,
  NAME,
  optionalClientToken,
  optionalEnum,
  optionalString,
  optionalTraceHeader,
  pageSize,
  REDRIVE_FILTERS,
  requiredString,
  validArn,
} from './request-fields';
import { type OperationContext, requireStateMachine } from './state-machines';
import { type Body, epochSeconds, validation } from './wire';

export function startExecution(context: OperationContext, body: Body): Body {
  const stateMachineArn = requiredString(body, 'stateMachineArn', ARN);
  // "If you provide a qualified state machine ARN that refers to a Distributed Map state, the
  // request fails with ValidationException."
  if (stateMachineArn.startsWith(`${context.engine.stateMachineArn}/`)) {
    throw validation(
      `Value '${stateMachineArn}' at 'stateMachineArn': a Distributed Map state's ARN cannot be started`,
    );
  }
  requireStateMachine(context, stateMachineArn);
  const name = optionalString(body, 'name', NAME);
  // "Length constraints apply to the payload size, and are expressed as bytes in UTF-8
  // encoding": the engine measures the text as received (InvalidExecutionInput over 262,144).
  const input = optionalString(body, 'input', { min: 0, max: Number.MAX_SAFE_INTEGER });
  optionalTraceHeader(body);
  const record = context.engine.startExecution({
    ...(name !== undefined ? { name } : {}),
    input: input ?? '{}',
  });
  return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
}

export function describeExecution(context: OperationContext, body: Body): Body {
  const executionArn = executionArnField(body);
  optionalEnum(body, 'includedData', INCLUDED_DATA);
  const record = context.engine.describeExecution(executionArn);
  const described: Body = {
    ...executionListItem(record),
    input: JSON.stringify(record.input),
    inputDetails: { included: true },
  };
  // AWS has an output only once the execution succeeded.
  if (record.status === 'SUCCEEDED') {
    described.output = JSON.stringify(record.output ?? null);
    described.outputDetails = { included: true };
  }
  if (record.error !== undefined) described.error = record.error;
  if (record.cause !== undefined) described.cause = record.cause;
  const redrive = context.engine.redriveStatus(executionArn);
  described.redriveCount = record.redriveCount ?? 0;
  described.redriveStatus = redrive.status;
  if (redrive.status === 'NOT_REDRIVABLE') described.redriveStatusReason = redrive.reason;
  return described;
}

export function listExecutions(context: OperationContext, body: Body): Body {
  const stateMachineArn = optionalString(body, 'stateMachineArn', ARN);
  const mapRunArn = optionalString(body, 'mapRunArn', LONG_ARN);
  const statusFilter = optionalEnum(body, 'statusFilter', EXECUTION_STATUSES);
  const maxResults = pageSize(body);
  const nextToken = optionalString(body, 'nextToken', LIST_EXECUTIONS_PAGE_TOKEN);
  const redriveFilter = optionalEnum(body, 'redriveFilter', REDRIVE_FILTERS);
  if ((stateMachineArn === undefined) === (mapRunArn === undefined)) {
    throw validation('Exactly one of stateMachineArn and mapRunArn must be given');
  }
  // "If you provide a stateMachineArn and a PENDING_REDRIVE statusFilter, the API returns a
  // validation exception."
  if (stateMachineArn !== undefined && statusFilter === 'PENDING_REDRIVE') {
    throw validation(
      'statusFilter PENDING_REDRIVE is only valid with a mapRunArn, not a stateMachineArn',
    );
  }
  if (mapRunArn !== undefined) {
    // Map Run children are not kept locally (they are nested runs, not executions).
    context.engine.describeMapRun(validArn(mapRunArn, 'mapRunArn', ['mapRun']));
    return { executions: [] };
  }
  requireStateMachine(context, stateMachineArn as string);
  const executions = context.engine
    .listExecutions({
      ...(statusFilter === undefined ? {} : { statusFilter: statusFilter as ExecutionStatus }),
      ...(redriveFilter === undefined ? {} : { redriveFilter }),
    })
    .sort(newestFirst((record) => record.executionArn));
  const page = pageAfter(executions, nextToken, maxResults, 'executions', (record) => [
    record.startDate.getTime(),
    record.executionArn,
  ]);
  return {
    executions: page.items.map(executionListItem),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

export function stopExecution(context: OperationContext, body: Body): Body {
  const executionArn = executionArnField(body);
  const error = optionalString(body, 'error', ERROR);
  const cause = optionalString(body, 'cause', CAUSE);
  const record = context.engine.stopExecution(executionArn, {
    ...(error !== undefined ? { error } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
  return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
}

/** RedriveExecution: the execution runs again from where it stopped (engine: redrive.ts). */
export async function redriveExecution(context: OperationContext, body: Body): Promise<Body> {
  const executionArn = executionArnField(body);
  const clientToken = optionalClientToken(body);
  const { redriveDate } = await context.engine.redriveExecution(executionArn, {
    ...(clientToken !== undefined ? { clientToken } : {}),
  });
  return { redriveDate: epochSeconds(redriveDate) };
}

/** ListExecutions' item; DescribeExecution adds input, output and the failure to it. */
function executionListItem(record: ExecutionRecord): Body {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
    ...(record.redriveCount !== undefined ? { redriveCount: record.redriveCount } : {}),
    ...(record.redriveDate ? { redriveDate: epochSeconds(record.redriveDate) } : {}),
  };
}
