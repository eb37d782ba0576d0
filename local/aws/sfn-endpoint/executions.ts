/**
 * StartExecution, DescribeExecution, ListExecutions and StopExecution over the engine's execution
 * API. The engine keeps input and output as JSON values; the API carries them as JSON text.
 */
import type { ExecutionRecord, ExecutionStatus } from '../../engine';
import { newestFirst, pageAfter } from './paging';
import {
  EXECUTION_STATUSES,
  executionArnField,
  optionalString,
  pageSize,
  requiredString,
  validArn,
} from './request-fields';
import { type OperationContext, requireStateMachine } from './state-machines';
import { type Body, epochSeconds, validation } from './wire';

export function startExecution(context: OperationContext, body: Body): Body {
  requireStateMachine(context, requiredString(body, 'stateMachineArn', 256));
  const name = optionalString(body, 'name', 80);
  // A loose bound on characters: the engine checks the input's 256 KiB in bytes (InvalidExecutionInput).
  const input = optionalString(body, 'input', 262_144 * 4);
  optionalString(body, 'traceHeader', 256);
  const record = context.engine.startExecution({
    ...(name !== undefined ? { name } : {}),
    input: input ?? '{}',
  });
  return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
}

export function describeExecution(context: OperationContext, body: Body): Body {
  const record = context.engine.describeExecution(executionArnField(body));
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
  return described;
}

export function listExecutions(context: OperationContext, body: Body): Body {
  const stateMachineArn = optionalString(body, 'stateMachineArn', 256);
  const mapRunArn = optionalString(body, 'mapRunArn', 2048);
  const statusFilter = optionalString(body, 'statusFilter', 32);
  const maxResults = pageSize(body);
  const nextToken = optionalString(body, 'nextToken', 1024);
  optionalString(body, 'redriveFilter', 32);
  if (statusFilter !== undefined && !EXECUTION_STATUSES.has(statusFilter)) {
    throw validation(
      `Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${[...EXECUTION_STATUSES].join(', ')}]`,
    );
  }
  if ((stateMachineArn === undefined) === (mapRunArn === undefined)) {
    throw validation('Exactly one of stateMachineArn and mapRunArn must be given');
  }
  if (mapRunArn !== undefined) {
    // Map Run children are not kept locally (they are nested runs, not executions).
    context.engine.describeMapRun(validArn(mapRunArn, 'mapRunArn'));
    return { executions: [] };
  }
  requireStateMachine(context, stateMachineArn as string);
  const executions = context.engine
    .listExecutions(
      statusFilter === undefined ? {} : { statusFilter: statusFilter as ExecutionStatus },
    )
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
  const error = optionalString(body, 'error', 256);
  const cause = optionalString(body, 'cause', 32_768);
  const record = context.engine.stopExecution(executionArn, {
    ...(error !== undefined ? { error } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
  return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
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
  };
}
