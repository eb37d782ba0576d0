/**
 * The one state machine the local endpoint serves: DescribeStateMachine, ListStateMachines and
 * DescribeStateMachineForExecution, and the check that a request names it; and
 * ValidateStateMachineDefinition, which needs no machine. Its description comes from the
 * synthesized stack (the ASL as CDK synthesized it, the template's role, type, logging and
 * tracing), so scripts that read the deployed machine's configuration read the same fields
 * locally.
 */
import type { LocalStepFunctions } from '../../engine';
import { validateStateMachineDefinition as validateDefinition } from '../../engine/validate-definition';
import type { LocalRuntime } from '../../runtime/local-runtime';
import { resolveIntrinsics } from '../../stack/synthesized-definition';
import {
  ARN,
  DEFINITION,
  executionArnField,
  INCLUDED_DATA,
  optionalEnum,
  optionalString,
  PAGE_TOKEN,
  pageSize,
  requiredString,
  SEVERITIES,
  STATE_MACHINE_TYPES,
  validArn,
} from './request-fields';
import { ApiError, type Body, epochSeconds } from './wire';

/** ValidateStateMachineDefinition's maxResults: "Valid Range: Minimum value of 0. Maximum value of 100." */
const MAX_DIAGNOSTICS = 100;

/** DescribeStateMachine's fields that come from the template (read once, at start). */
export interface StateMachineDescription {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly definition: string;
  readonly roleArn: string;
  readonly type: string;
  readonly loggingConfiguration?: Body;
  readonly tracingConfiguration?: Body;
}

/** What every operation works on: the runtime's engine and the machine it runs. */
export interface OperationContext {
  readonly engine: LocalStepFunctions;
  readonly stateMachine: StateMachineDescription;
}

/** DescribeStateMachine's fields, from the synthesized stack (the ASL as CDK synthesized it). */
export function stateMachineDescription(runtime: LocalRuntime): StateMachineDescription {
  const { template, definition } = runtime.stack;
  const resource = template.Resources[definition.stateMachineLogicalId];
  const props = (resource?.Properties ?? {}) as {
    RoleArn?: unknown;
    StateMachineType?: unknown;
    TracingConfiguration?: { Enabled?: unknown };
    LoggingConfiguration?: { Level?: unknown; IncludeExecutionData?: unknown };
  };
  let roleArn = runtime.engine.roleArn;
  try {
    const resolved = resolveIntrinsics(template, props.RoleArn);
    if (typeof resolved === 'string') roleArn = resolved;
  } catch {
    // An ARN the offline resolver cannot build: the engine's own role ARN stands in.
  }
  const logging = props.LoggingConfiguration;
  const tracing = props.TracingConfiguration;
  return {
    stateMachineArn: definition.stateMachineArn,
    name: definition.stateMachineName,
    definition: JSON.stringify(definition.definition),
    roleArn,
    type: typeof props.StateMachineType === 'string' ? props.StateMachineType : 'STANDARD',
    ...(logging
      ? {
          loggingConfiguration: {
            level: typeof logging.Level === 'string' ? logging.Level : 'OFF',
            includeExecutionData: logging.IncludeExecutionData === true,
          },
        }
      : {}),
    ...(tracing ? { tracingConfiguration: { enabled: tracing.Enabled === true } } : {}),
  };
}

/** The one local state machine; any other valid ARN does not exist here. */
export function requireStateMachine(context: OperationContext, arn: string): void {
  validArn(arn, 'stateMachineArn', ['stateMachine']);
  if (arn !== context.engine.stateMachineArn) {
    throw new ApiError(
      'StateMachineDoesNotExist',
      `State Machine Does Not Exist: '${arn}' (the local endpoint serves ${context.engine.stateMachineArn})`,
    );
  }
}

export function describeStateMachine(context: OperationContext, body: Body): Body {
  requireStateMachine(context, requiredString(body, 'stateMachineArn', ARN));
  const includedData = optionalEnum(body, 'includedData', INCLUDED_DATA);
  const sm = context.stateMachine;
  return {
    stateMachineArn: sm.stateMachineArn,
    name: sm.name,
    status: 'ACTIVE',
    // "If called with includedData = METADATA_ONLY, the returned definition will be {}."
    definition: includedData === 'METADATA_ONLY' ? '{}' : sm.definition,
    roleArn: sm.roleArn,
    type: sm.type,
    // Locally the machine exists since the runtime started.
    creationDate: epochSeconds(context.engine.creationDate),
    ...(sm.loggingConfiguration ? { loggingConfiguration: sm.loggingConfiguration } : {}),
    ...(sm.tracingConfiguration ? { tracingConfiguration: sm.tracingConfiguration } : {}),
  };
}

/**
 * The machine an execution ran (every local execution ran the one machine): DescribeStateMachine's
 * fields, with updateDate (the machine is never updated locally: when the runtime started).
 */
export function describeStateMachineForExecution(context: OperationContext, body: Body): Body {
  const executionArn = executionArnField(body);
  optionalEnum(body, 'includedData', INCLUDED_DATA);
  const machine = context.engine.describeStateMachineForExecution(executionArn);
  const sm = context.stateMachine;
  return {
    stateMachineArn: machine.stateMachineArn,
    name: machine.name,
    definition: sm.definition,
    roleArn: sm.roleArn,
    updateDate: epochSeconds(machine.updateDate),
    ...(sm.loggingConfiguration ? { loggingConfiguration: sm.loggingConfiguration } : {}),
    ...(sm.tracingConfiguration ? { tracingConfiguration: sm.tracingConfiguration } : {}),
  };
}

/** ValidateStateMachineDefinition: whether the definition loads in the local engine. */
export function validateStateMachineDefinition(_context: OperationContext, body: Body): Body {
  const definition = requiredString(body, 'definition', DEFINITION);
  const type = optionalEnum(body, 'type', STATE_MACHINE_TYPES);
  const severity = optionalEnum(body, 'severity', SEVERITIES);
  const maxResults = pageSize(body, MAX_DIAGNOSTICS, MAX_DIAGNOSTICS);
  const validated = validateDefinition({
    definition,
    ...(type !== undefined ? { type } : {}),
    ...(severity !== undefined ? { severity } : {}),
    maxResults,
  });
  return {
    result: validated.result,
    diagnostics: validated.diagnostics,
    truncated: validated.truncated,
  };
}

/** One machine, one page: any nextToken is foreign. */
export function listStateMachines(context: OperationContext, body: Body): Body {
  pageSize(body);
  const nextToken = optionalString(body, 'nextToken', PAGE_TOKEN);
  if (nextToken !== undefined) {
    throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
  }
  const sm = context.stateMachine;
  return {
    stateMachines: [
      {
        stateMachineArn: sm.stateMachineArn,
        name: sm.name,
        type: sm.type,
        creationDate: epochSeconds(context.engine.creationDate),
      },
    ],
  };
}
