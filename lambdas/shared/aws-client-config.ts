/**
 * How every handler configures its AWS clients, kept apart from aws-clients.ts so that tools
 * (`npm run bench`) can build identical clients without loading Powertools and the X-Ray SDK.
 */

// Without timeouts a hung connection would hold a batch until the Lambda itself times out;
// with them the SDK retries and then surfaces the failure (a SystemicFault, retried by the workflow).
const requestHandler = { connectionTimeout: 3000, requestTimeout: 10000 };

export const DYNAMODB_CLIENT_CONFIG = { requestHandler } as const;
export const SECRETS_MANAGER_CLIENT_CONFIG = { requestHandler } as const;
/**
 * Checksums only where S3 requires them: the default (a CRC32 on every PutObject) adds nothing a
 * manifest needs, since TLS and the ItemReader's JSON parse already catch a damaged body.
 */
export const S3_CLIENT_CONFIG = {
  requestHandler,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

/**
 * Numbers that do not fit a JS number exactly (amount = 1e30) must not make the whole batch read
 * throw (the SDK's default): they come back as the nearest number and fail record validation,
 * so only that record becomes FAILED (docs/architecture.md §4 invariant 5).
 */
const lenientNumber = (value: string): number => Number(value);

export const DOCUMENT_CLIENT_TRANSLATION = {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: lenientNumber },
} as const;
