import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/*
 * One client per service for every handler, traced. Endpoints are never passed here: the SDK
 * (v3.1164) reads the standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SECRETS_MANAGER
 * variables itself (when a command is first sent), which is how the local runtime and the tests
 * point the same code at dynalite and loopback stand-ins.
 */

// Without timeouts a hung connection would hold a batch until the Lambda itself times out;
// with them the SDK retries and then surfaces the failure (a SystemicFault, retried by the workflow).
const requestHandler = { connectionTimeout: 3000, requestTimeout: 10000 };

export const dynamoDbClient = tracer.captureAWSv3Client(new DynamoDBClient({ requestHandler }));

/**
 * Numbers that do not fit a JS number exactly (amount = 1e30) must not make the whole batch read
 * throw (the SDK's default): they come back as the nearest number and fail record validation,
 * so only that record becomes FAILED (DESIGN.md §4 invariant 5).
 */
const lenientNumber = (value: string): number => Number(value);

export const ddb = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: lenientNumber },
});

export const secretsManager = tracer.captureAWSv3Client(
  new SecretsManagerClient({ requestHandler }),
);
