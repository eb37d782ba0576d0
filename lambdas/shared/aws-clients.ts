import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DOCUMENT_CLIENT_TRANSLATION,
  DYNAMODB_CLIENT_CONFIG,
  S3_CLIENT_CONFIG,
  SECRETS_MANAGER_CLIENT_CONFIG,
} from './aws-client-config';
import { tracer } from './powertools';

/*
 * One client per service for every handler, traced. Endpoints are never passed here: the SDK
 * (v3.1164) reads the standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SECRETS_MANAGER /
 * AWS_ENDPOINT_URL_S3
 * variables itself (when a command is first sent), which is how the local runtime and the tests
 * point the same code at dynalite and loopback stand-ins.
 */

export const dynamoDbClient = tracer.captureAWSv3Client(new DynamoDBClient(DYNAMODB_CLIENT_CONFIG));

export const ddb = DynamoDBDocumentClient.from(dynamoDbClient, DOCUMENT_CLIENT_TRANSLATION);

export const secretsManager = tracer.captureAWSv3Client(
  new SecretsManagerClient(SECRETS_MANAGER_CLIENT_CONFIG),
);

export const s3 = tracer.captureAWSv3Client(new S3Client(S3_CLIENT_CONFIG));
