/**
 * Reading the fields of a Step Functions request as AWS validates them: a field of the wrong JSON
 * type is a SerializationException (the SDK could not have sent it), a missing, too short, too
 * long, off-pattern or off-enum one a ValidationException, a malformed ARN (or an ARN of another
 * resource type) an InvalidArn — the errors a script sees against AWS.
 *
 * The constraints are the API reference's ("Length Constraints", "Valid Values", "Valid Range",
 * "Pattern" of each request parameter); a string's length counts Unicode code points, as AWS
 * counts it (an emoji is one character, not two UTF-16 units).
 */
import { ApiError, type Body, validation } from './wire';

/** A string shape's "Length Constraints: Minimum length of min. Maximum length of max." */
export interface Length {
  readonly min: number;
  readonly max: number;
}

/** `Arn`: stateMachineArn, executionArn. */
export const ARN: Length = { min: 1, max: 256 };
/** `LongArn`: mapRunArn. */
export const LONG_ARN: Length = { min: 1, max: 2000 };
/** `Name`: an execution's name (its characters are the engine's check: InvalidName). */
export const NAME: Length = { min: 1, max: 80 };
/** `PageToken`: GetExecutionHistory, ListMapRuns, ListStateMachines. */
export const PAGE_TOKEN: Length = { min: 1, max: 1024 };
/** `ListExecutionsPageToken`. */
export const LIST_EXECUTIONS_PAGE_TOKEN: Length = { min: 1, max: 3096 };
/** `TraceHeader` (also "Pattern: \p{ASCII}*"). */
export const TRACE_HEADER: Length = { min: 0, max: 256 };
/** `SensitiveError`: StopExecution's error. */
export const ERROR: Length = { min: 0, max: 256 };
/** `SensitiveCause`: StopExecution's cause. */
export const CAUSE: Length = { min: 0, max: 32_768 };
/** `Definition`: an ASL document (ValidateStateMachineDefinition, TestState). */
export const DEFINITION: Length = { min: 1, max: 1_048_576 };
/** `SensitiveData`: TestState's input and variables (JSON text). */
export const SENSITIVE_DATA: Length = { min: 0, max: 262_144 };
/** `TestStateStateName`: TestState's stateName. */
export const TEST_STATE_NAME: Length = { min: 1, max: 80 };

/** `ExecutionStatus`: ListExecutions' `statusFilter`. */
export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
/** `ExecutionRedriveFilter`: ListExecutions' `redriveFilter`. */
export const REDRIVE_FILTERS = ['REDRIVEN', 'NOT_REDRIVEN'] as const;
/** `ClientToken` (RedriveExecution): 1..64 printable ASCII characters, "Pattern: [!-~]+". */
export function optionalClientToken(body: Body): string | undefined {
  const value = optionalString(body, 'clientToken', { min: 1, max: 64 });
  if (value !== undefined && !/^[!-~]+$/.test(value)) {
    throw validation(
      `Value '${value}' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [!-~]+`,
    );
  }
  return value;
}
/** `IncludedData`: DescribeExecution, DescribeStateMachine, DescribeStateMachineForExecution. */
export const INCLUDED_DATA = ['ALL_DATA', 'METADATA_ONLY'] as const;
/** `StateMachineType`. */
export const STATE_MACHINE_TYPES = ['STANDARD', 'EXPRESS'] as const;
/** `ValidateStateMachineDefinitionSeverity`. */
export const SEVERITIES = ['ERROR', 'WARNING'] as const;

/** `PageSize`: "Valid Range: Minimum value of 0. Maximum value of 1000"; 0 means the default. */
export const PAGE_SIZE = { max: 1000, default: 100 } as const;

export function requiredString(body: Body, field: string, length: Length): string {
  const value = optionalString(body, field, length);
  if (value === undefined) {
    throw validation(
      `Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(body: Body, field: string, length: Length): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ApiError(
      'SerializationException',
      `Expected a string for '${field}', got ${typeof value}`,
    );
  }
  // Code points ≤ UTF-16 units: count them only when the units are over the maximum.
  const count = value.length > length.max ? codePointLength(value) : value.length;
  if (count < length.min) {
    throw validation(
      `Value '${value}' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${length.min}`,
    );
  }
  if (count > length.max) {
    throw validation(
      `Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${length.max}`,
    );
  }
  return value;
}

/** One of `values` ("Valid Values: …"), or undefined when absent. */
export function optionalEnum<T extends string>(
  body: Body,
  field: string,
  values: readonly T[],
): T | undefined {
  const value = optionalString(body, field, { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw validation(
      `Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`,
    );
  }
  return value as T;
}

/** `traceHeader`: at most 256 characters of "Pattern: \p{ASCII}*". */
export function optionalTraceHeader(body: Body): string | undefined {
  const value = optionalString(body, 'traceHeader', TRACE_HEADER);
  // eslint-disable-next-line no-control-regex
  if (value !== undefined && !/^[\u0000-\u007f]*$/.test(value)) {
    throw validation(
      `Value '${value}' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{ASCII}*`,
    );
  }
  return value;
}

export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new ApiError(
      'SerializationException',
      `Expected a boolean for '${field}', got ${typeof value}`,
    );
  }
  return value;
}

/** maxResults: 0..`max`, 0 or absent meaning `fallback`. */
export function pageSize(
  body: Body,
  max: number = PAGE_SIZE.max,
  fallback: number = PAGE_SIZE.default,
): number {
  const value = body.maxResults;
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ApiError('SerializationException', `Expected an integer for 'maxResults'`);
  }
  if (value < 0 || value > max) {
    throw validation(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value ${value < 0 ? 'greater than or equal to 0' : `less than or equal to ${max}`}`,
    );
  }
  return value === 0 ? fallback : value;
}

/** The ARN resource types each ARN field takes. */
export type ArnType = 'stateMachine' | 'execution' | 'express' | 'mapRun';

/**
 * A Step Functions ARN of one of `types`: anything else that is not an ARN, or the ARN of another
 * resource type (a state machine ARN where an execution's is due), is an InvalidArn.
 */
export function validArn(arn: string, field: string, types: readonly ArnType[]): string {
  const match = /^arn:[a-z-]+:states:[a-z0-9-]*:\d*:([A-Za-z]+):\S+$/.exec(arn);
  if (!match) {
    throw new ApiError('InvalidArn', `Invalid Arn: '${arn}' (${field})`);
  }
  if (!(types as readonly string[]).includes(match[1])) {
    throw new ApiError(
      'InvalidArn',
      `Invalid Arn: 'Resource type not valid in this context: ${match[1]}' (${field} takes ${types.join(' or ')} ARNs)`,
    );
  }
  return arn;
}

/** The `executionArn` of a request: required, 1..256 characters, an execution ARN. */
export function executionArnField(body: Body): string {
  return validArn(requiredString(body, 'executionArn', ARN), 'executionArn', [
    'execution',
    'express',
  ]);
}

/** A string's length in Unicode code points (a surrogate pair is one). */
export function codePointLength(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}
