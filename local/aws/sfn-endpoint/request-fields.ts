/**
 * Reading the fields of a Step Functions request as AWS validates them: a field of the wrong JSON
 * type is a SerializationException (the SDK could not have sent it), a missing or oversize one a
 * ValidationException, a malformed ARN an InvalidArn — the errors a script sees against AWS.
 */
import { ApiError, type Body, validation } from './wire';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** ListExecutions' `statusFilter` values. */
export const EXECUTION_STATUSES = new Set<string>([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);

export function requiredString(body: Body, field: string, maxLength: number): string {
  const value = optionalString(body, field, maxLength);
  if (value === undefined) {
    throw validation(
      `Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(body: Body, field: string, maxLength: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ApiError(
      'SerializationException',
      `Expected a string for '${field}', got ${typeof value}`,
    );
  }
  if (value.length > maxLength) {
    throw validation(
      `Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${maxLength}`,
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

/** maxResults: 0..1000, 0 or absent meaning the default (100). */
export function pageSize(body: Body): number {
  const value = body.maxResults;
  if (value === undefined || value === null) return DEFAULT_PAGE;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ApiError('SerializationException', `Expected an integer for 'maxResults'`);
  }
  if (value < 0 || value > MAX_PAGE) {
    throw validation(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and ${MAX_PAGE}`,
    );
  }
  return value === 0 ? DEFAULT_PAGE : value;
}

/** A Step Functions ARN of any resource type (state machine, execution, Map Run). */
export function validArn(arn: string, field: string): string {
  if (!/^arn:[a-z-]+:states:[a-z0-9-]*:\d*:[A-Za-z]+:\S+$/.test(arn)) {
    throw new ApiError('InvalidArn', `Invalid Arn: '${arn}' (${field})`);
  }
  return arn;
}

/** The `executionArn` of a request: required, at most 2048 characters, a Step Functions ARN. */
export function executionArnField(body: Body): string {
  return validArn(requiredString(body, 'executionArn', 2048), 'executionArn');
}
