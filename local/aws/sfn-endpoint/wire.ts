/**
 * The AWS JSON 1.0 wire of the local Step Functions endpoint: request bodies in, JSON and AWS
 * errors out. Errors are `{"__type": "com.amazonaws.stepfunctions#<Code>", "message": …}` because
 * @aws-sdk/client-sfn (and the AWS CLI) take the part after `#` as the error's name, so callers
 * can catch `ExecutionAlreadyExists` and the rest as they do against AWS.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { StepFunctionsApiError } from '../../engine';
import { readBody, RequestBodyTooLarge } from '../../http/loopback-server';

/** A request or response body: a JSON object. */
export type Body = Record<string, unknown>;

export const ERROR_NAMESPACE = 'com.amazonaws.stepfunctions';
export const JSON_1_0 = 'application/x-amz-json-1.0';
/** AWS's maximum request size. */
const MAX_BODY_BYTES = 1024 * 1024;

/** An AWS JSON protocol error: `__type` `<namespace>#<code>`, HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** AWS's wording for a request field that breaks a constraint. */
export function validation(message: string): ApiError {
  return new ApiError('ValidationException', `1 validation error detected: ${message}`);
}

/** The body; over AWS's request limit, the ValidationException AWS answers. */
export async function readRequestText(request: http.IncomingMessage): Promise<string> {
  try {
    return await readBody(request, MAX_BODY_BYTES);
  } catch (error) {
    if (!(error instanceof RequestBodyTooLarge)) throw error;
    throw validation(
      `the request is ${error.sizeBytes} bytes, over the ${error.maxBytes}-byte request limit`,
    );
  }
}

/** An empty body is `{}` (the SDK sends one for operations without input). */
export function parseBody(text: string): Body {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      'SerializationException',
      `The request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError('SerializationException', 'The request body must be a JSON object');
  }
  return parsed as Body;
}

/** Engine errors keep their Step Functions names; anything else is an internal failure. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StepFunctionsApiError) {
    if (error.name === 'EngineClosed') {
      return new ApiError('ServiceUnavailable', error.message, 503);
    }
    return new ApiError(error.name, error.message);
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ApiError('InternalFailure', `Internal failure of the local endpoint: ${message}`, 500);
}

export function sendAwsError(response: http.ServerResponse, error: ApiError): void {
  response.setHeader('x-amzn-errortype', error.code);
  response.setHeader('x-amzn-requestid', randomUUID());
  sendJson(
    response,
    error.status,
    { __type: `${ERROR_NAMESPACE}#${error.code}`, message: error.message },
    JSON_1_0,
  );
}

export function sendJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Timestamps travel as epoch seconds (with a fraction) in AWS JSON 1.0. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
