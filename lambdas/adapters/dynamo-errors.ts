import { SystemicFault, errorParts } from '../domain/errors';

export function isConditionalCheckFailed(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'ConditionalCheckFailedException'
  );
}

/** Any DynamoDB failure other than a lost condition, after the SDK's own retries. */
export function dynamoFault(operation: string, table: string, err: unknown): SystemicFault {
  const { name, message } = errorParts(err);
  return new SystemicFault(`DynamoDB ${operation} on ${table} failed: ${name}: ${message}`, {
    cause: err,
  });
}
