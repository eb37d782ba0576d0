/**
 * What the optimized integrations (lambda:invoke, dynamodb:*, states:startExecution) add to a
 * result and how they word a service error, as AWS executions show them (resources.ts,
 * lambda-invoke.ts).
 */
import { randomUUID } from 'node:crypto';

/**
 * `{ SdkHttpMetadata, SdkResponseMetadata }` as the optimized integrations add them to a result
 * (observed for lambda:invoke, dynamodb:* and states:startExecution): every header as a one-value
 * list in AllHttpHeaders, as a string in HttpHeaders (sorted case-insensitively, as Java's
 * TreeMap(CASE_INSENSITIVE_ORDER) is), the HTTP status, the request ID.
 */
export function sdkResponseMetadata(
  headers: readonly (readonly [string, string])[],
  status: number,
  requestId: string,
): { SdkHttpMetadata: unknown; SdkResponseMetadata: { RequestId: string } } {
  const all: Record<string, string[]> = {};
  for (const [name, value] of headers) all[name] = [value];
  const sorted = [...headers].sort(([a], [b]) =>
    a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0,
  );
  return {
    SdkHttpMetadata: {
      AllHttpHeaders: all,
      HttpHeaders: Object.fromEntries(sorted),
      HttpStatusCode: status,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

/**
 * A service error as an optimized integration reports it (AWS SDK for Java v1 wording, observed):
 * `<message> (Service: <service>; Status Code: <status>; Error Code: <code>; Request ID: <id>;
 * Proxy: null)`.
 */
export function javaV1Cause(
  message: string,
  service: string,
  status: number | string,
  code: string,
  requestId: string = randomUUID(),
): string {
  return `${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`;
}
