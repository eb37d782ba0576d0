/**
 * Task resource adapters, chosen by the Resource ARN:
 *
 * | Resource                                               | served by                                  |
 * | ------------------------------------------------------ | ------------------------------------------ |
 * | arn:aws:states:::lambda:invoke                         | a registered LocalLambda (lambda-invoke.ts)|
 * | arn:aws:lambda:<region>:<account>:function:<name>      | a registered LocalLambda (result as is)    |
 * | arn:aws:states:::states:startExecution                 | a new execution of this same engine        |
 * | arn:aws:states:::aws-sdk:dynamodb:<action>             | @aws-sdk/client-dynamodb, errors DynamoDb.* |
 * | arn:aws:states:::dynamodb:getItem/putItem/updateItem/deleteItem | the same commands, errors DynamoDB.* |
 *
 * A DISTRIBUTED Map's ItemReader (arn:aws:states:::s3:getObject) is not a Task: the Distributed Map
 * runner reads the object through an ObjectReader, s3ObjectReader over the caller's S3Client.
 *
 * Each invocation runs in the CancellationScope the interpreter gives it (asl/task.ts: one per
 * attempt, aborted when TimeoutSeconds / TimeoutSecondsPath passes): a stopped execution, a
 * Distributed Map that cancels its children, or the Task's timeout aborts the handler's signal.
 * A Lambda handler sees it as `context.abortSignal`; DynamoDB calls pass it to the SDK. The
 * Lambda function timeout is enforced as on AWS (lambda-invoke.ts).
 *
 * What each integration returns and how it fails follows the Step Functions developer guide
 * ("Invoke an AWS Lambda function with Step Functions", "Call DynamoDB with Step Functions",
 * "Learning to use AWS service SDK integrations", "Start a new AWS Step Functions state machine
 * from a running execution", "Handling errors in Step Functions workflows"); where the guide is
 * silent, AWS executions recorded by LocalStack's AWS-validated snapshots
 * (tests/aws/services/stepfunctions/v2/{services,error_handling}). Lambda: see lambda-invoke.ts.
 *
 * - Any task result over 256 KiB (UTF-8 JSON, the service quota) fails States.DataLimitExceeded,
 *   not retried, with AWS's cause "The state/task '<Resource>' returned a result with a size
 *   exceeding the maximum number of bytes service limit." (observed text; for a function ARN AWS
 *   names the function ARN, which is the Resource; for other resources the quoted name is our
 *   choice). The guide also says States.ALL does not catch it — asl/error-handling.ts decides that.
 * - Optimized DynamoDB (dynamodb:getItem|putItem|updateItem|deleteItem, AWS SDK for Java v1 on
 *   AWS): the result is the API response plus SdkHttpMetadata / SdkResponseMetadata (observed);
 *   the headers are those the store answered with, named as AWS names them (Server, Connection,
 *   x-amzn-RequestId, x-amz-crc32, Content-Length, Date, Content-Type), so a store that sends no
 *   Server header shows none. An error the SDK models (ConditionalCheckFailedException,
 *   ResourceNotFoundException, TransactionCanceledException, …) is `DynamoDB.<name>`, any other
 *   (ValidationException, SerializationException, AccessDeniedException…) is
 *   `DynamoDB.AmazonDynamoDBException` (observed for ValidationException); the Cause is
 *   `<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: <code>; Request ID: <id>;
 *   Proxy: null)` (observed).
 * - AWS SDK DynamoDB (aws-sdk:dynamodb:*, AWS SDK for Java v2 on AWS): the result is the API
 *   response without metadata; a modeled error is `DynamoDb.<name>`, with the `Exception` suffix
 *   added when the model's name lacks it (the guide: "include the Exception suffix … even if the
 *   suffix isn't already part of the service-provided error name", e.g. InternalServerError →
 *   DynamoDb.InternalServerErrorException); any other is `DynamoDb.DynamoDbException` (observed);
 *   the Cause is `<message> (Service: DynamoDb, Status Code: 400, Request ID: <id>)` (observed).
 *   Binary attributes come back as base64 strings.
 * - Either DynamoDB flavour when no HTTP answer came back (connection refused…):
 *   `<prefix>.SdkClientException`, "Unable to execute HTTP request: <message>" (the Java SDKs'
 *   client exception; decision).
 * - states:startExecution (optimized): `{ ExecutionArn, SdkHttpMetadata, SdkResponseMetadata,
 *   StartDate }` (observed; StartDate in epoch milliseconds, the headers synthesized: a
 *   StartExecution answer's x-amzn-RequestId, connection, Content-Length, Date, Content-Type).
 *   Only this engine's own state machine can be started: any other ARN fails
 *   `StepFunctions.StateMachineDoesNotExistException`, "State Machine Does Not Exist: '<arn>'
 *   (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID:
 *   <id>; Proxy: null)" (observed wording). Input may be JSON text or any JSON value; null or
 *   absent starts with `{}`.
 * - None of our own JavaScript errors (TypeError…) becomes a Step Functions error name.
 */
import { randomUUID } from 'node:crypto';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AslState } from '../stack/synthesized-definition';
import type { CancellationScope } from './cancellation';
import type { TaskStateEnv } from './asl/run-context';
import { StepFunctionsApiError, TaskFailure, cancelledError, statesRuntimeError } from './errors';
import { jsonBytesOverLimit } from './payload-limit';
import { type LambdaDependencies, invokeFunctionResource, lambdaInvoke } from './lambda-invoke';
import { javaV1Cause, sdkResponseMetadata } from './integration-responses';

export {
  LambdaRegistry,
  type LocalLambda,
  type LocalLambdaContext,
  lambdaContext,
} from './lambda-invoke';

/** What a Task handler needs to know about the run it serves. */
export interface RunScope {
  /** The execution (or Distributed Map child execution) this task belongs to. */
  readonly executionArn: string;
  /** The context object of this run (as `$$` sees it). */
  readonly context: Record<string, unknown>;
  readonly cancellation: CancellationScope;
  /**
   * What the Task state's own fields see (raw input, context object, variables in scope), when
   * the interpreter passes it: the Distributed Map runner evaluates the Map's fields with it.
   */
  readonly taskState?: TaskStateEnv;
}

/** Serves one Task state. */
export type TaskHandler = (input: unknown, run: RunScope) => Promise<unknown>;

export type ResourceKind =
  | { readonly kind: 'lambdaInvoke' }
  | { readonly kind: 'lambdaFunction' }
  | { readonly kind: 'startExecution' }
  | {
      readonly kind: 'dynamodb';
      readonly action: string;
      readonly commandName: string;
      readonly errorPrefix: 'DynamoDb' | 'DynamoDB';
    }
  | { readonly kind: 'unsupported'; readonly reason: string };

const LAMBDA_INVOKE = /^arn:[a-z-]+:states:::lambda:invoke$/;
const LAMBDA_FUNCTION =
  /^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/;
const START_EXECUTION = /^arn:[a-z-]+:states:::states:startExecution$/;
const DYNAMODB_SDK = /^arn:[a-z-]+:states:::aws-sdk:dynamodb:([A-Za-z]+)$/;
const DYNAMODB_OPTIMIZED =
  /^arn:[a-z-]+:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/;

/** Which adapter serves a Resource (or why none does). */
export function classifyResource(resource: string): ResourceKind {
  if (LAMBDA_INVOKE.test(resource)) return { kind: 'lambdaInvoke' };
  if (LAMBDA_FUNCTION.test(resource)) return { kind: 'lambdaFunction' };
  if (START_EXECUTION.test(resource)) return { kind: 'startExecution' };
  const sdk = DYNAMODB_SDK.exec(resource) ?? DYNAMODB_OPTIMIZED.exec(resource);
  if (sdk) {
    const action = sdk[1];
    const commandName = `${action[0].toUpperCase()}${action.slice(1)}Command`;
    if (typeof (dynamodb as Record<string, unknown>)[commandName] !== 'function') {
      return {
        kind: 'unsupported',
        reason: `@aws-sdk/client-dynamodb has no ${commandName} (is the action spelled as in the SDK, e.g. putItem?)`,
      };
    }
    const optimized = DYNAMODB_OPTIMIZED.test(resource);
    return {
      kind: 'dynamodb',
      action,
      commandName,
      errorPrefix: optimized ? 'DynamoDB' : 'DynamoDb',
    };
  }
  return {
    kind: 'unsupported',
    reason:
      'no local adapter serves this resource (supported: lambda:invoke, Lambda function ARNs, states:startExecution, aws-sdk:dynamodb:*, dynamodb:getItem|putItem|updateItem|deleteItem)',
  };
}

/** What the adapters need from the engine. */
export interface AdapterDependencies extends LambdaDependencies {
  readonly dynamoDbClient?: dynamodb.DynamoDBClient;
  /** For a Distributed Map's ItemReader (pointing at the local S3 endpoint). */
  readonly s3Client?: S3Client;
  /** Starts an execution of this engine's state machine (throws StepFunctionsApiError). */
  startExecution(request: { name?: string; input: unknown }): {
    executionArn: string;
    startDate: Date;
  };
}

/** The handler of one Task state (not a DISTRIBUTED Map stand-in: the engine serves those). */
export function createTaskHandler(
  stateName: string,
  state: AslState,
  deps: AdapterDependencies,
): TaskHandler {
  const resource = String(state.Resource);
  const kind = classifyResource(resource);
  let serve: (input: unknown, invocation: CancellationScope) => Promise<unknown>;
  switch (kind.kind) {
    case 'lambdaInvoke':
      serve = (input, invocation) => lambdaInvoke(stateName, input, invocation, deps);
      break;
    case 'lambdaFunction':
      serve = (input, invocation) => invokeFunctionResource(resource, input, invocation, deps);
      break;
    case 'startExecution':
      serve = async (input) => startExecution(stateName, input, deps);
      break;
    case 'dynamodb':
      serve = (input, invocation) => dynamoDbCall(kind, input, invocation, deps);
      break;
    default:
      throw new Error(`State "${stateName}": ${kind.reason}`);
  }
  // `run.cancellation` is this invocation's own scope (asl/task.ts makes one per attempt).
  return async (input, run) => {
    if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'cancelled');
    try {
      return withinDataLimit(resource, await serve(input, run.cancellation));
    } catch (error) {
      // Stopped, cancelled or timed out (asl/task.ts has already settled the state then).
      if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'cancelled');
      throw error;
    }
  };
}

/** The result itself, or States.DataLimitExceeded when its JSON is over 256 KiB. */
function withinDataLimit(resource: string, result: unknown): unknown {
  if (jsonBytesOverLimit(result) !== undefined) {
    throw new TaskFailure(
      'States.DataLimitExceeded',
      `The state/task '${resource}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      { retryable: false },
    );
  }
  return result;
}

// ---- states:startExecution ----------------------------------------------------------------

function startExecution(stateName: string, input: unknown, deps: AdapterDependencies): unknown {
  const parameters = (input ?? {}) as Record<string, unknown>;
  const arn = parameters.StateMachineArn;
  if (arn !== deps.stateMachineArn) {
    throw stepFunctionsError(
      'StateMachineDoesNotExist',
      `State Machine Does Not Exist: '${String(arn)}'`,
    );
  }
  let executionInput: unknown = parameters.Input ?? {};
  if (typeof executionInput === 'string') {
    try {
      executionInput = JSON.parse(executionInput) as unknown;
    } catch (error) {
      throw stepFunctionsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
  }
  if (parameters.Name !== undefined && typeof parameters.Name !== 'string') {
    throw statesRuntimeError(`State "${stateName}": Parameters.Name must be a string`);
  }
  let started: { executionArn: string; startDate: Date };
  try {
    started = deps.startExecution({ name: parameters.Name, input: executionInput });
  } catch (error) {
    if (error instanceof StepFunctionsApiError) {
      if (error.name === 'EngineClosed') throw cancelledError(error.message);
      throw stepFunctionsError(error.name, error.message);
    }
    throw error;
  }
  const requestId = randomUUID();
  const body = JSON.stringify({
    executionArn: started.executionArn,
    startDate: started.startDate.getTime() / 1000,
  });
  return {
    ExecutionArn: started.executionArn,
    ...sdkResponseMetadata(
      [
        ['x-amzn-RequestId', requestId],
        ['connection', 'keep-alive'],
        ['Content-Length', String(Buffer.byteLength(body))],
        ['Date', new Date().toUTCString()],
        ['Content-Type', 'application/x-amz-json-1.0'],
      ],
      200,
      requestId,
    ),
    StartDate: started.startDate.getTime(),
  };
}

/** `StepFunctions.<code>Exception`, worded as the optimized integration words it. */
function stepFunctionsError(code: string, message: string): TaskFailure {
  return new TaskFailure(
    `StepFunctions.${code}Exception`,
    javaV1Cause(message, 'AWSStepFunctions', 400, code),
  );
}

// ---- DynamoDB -----------------------------------------------------------------------------

type CommandConstructor = new (input: unknown) => {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
};

type HeaderCapture = (
  next: (args: unknown) => Promise<{ response?: { headers?: Record<string, string> } }>,
) => (args: unknown) => Promise<unknown>;

/** The headers of an optimized DynamoDB result, in the order and spelling AWS shows them. */
const DYNAMODB_HEADERS = [
  'Server',
  'Connection',
  'x-amzn-RequestId',
  'x-amz-crc32',
  'Content-Length',
  'Date',
  'Content-Type',
];

async function dynamoDbCall(
  kind: Extract<ResourceKind, { kind: 'dynamodb' }>,
  input: unknown,
  invocation: CancellationScope,
  deps: AdapterDependencies,
): Promise<unknown> {
  const client = deps.dynamoDbClient;
  if (!client) throw new Error('No DynamoDBClient configured'); // checked at load time
  const Command = (dynamodb as unknown as Record<string, CommandConstructor>)[kind.commandName];
  const command = new Command(input);
  const optimized = kind.errorPrefix === 'DynamoDB';
  let headers: Record<string, string> | undefined;
  if (optimized) {
    const capture: HeaderCapture = (next) => async (args) => {
      const out = await next(args);
      headers = out.response?.headers;
      return out;
    };
    command.middlewareStack.add(capture, { step: 'deserialize', name: 'localEngineHeaders' });
  }
  let output: Record<string, unknown>;
  try {
    output = (await client.send(command as never, {
      abortSignal: invocation.signal,
    })) as unknown as Record<string, unknown>;
  } catch (error) {
    if (invocation.aborted) throw error; // the wrapper turns it into a cancellation
    throw dynamoDbFailure(kind.errorPrefix, error);
  }
  const { $metadata, ...result } = output as {
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const response = jsonSafe(result) as Record<string, unknown>;
  if (!optimized) return response;
  const received = new Map(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const requestId = $metadata?.requestId ?? received.get('x-amzn-requestid') ?? randomUUID();
  if (!received.has('x-amzn-requestid')) received.set('x-amzn-requestid', requestId);
  const named = DYNAMODB_HEADERS.filter((name) => received.has(name.toLowerCase())).map(
    (name) => [name, received.get(name.toLowerCase()) as string] as const,
  );
  return {
    ...response,
    ...sdkResponseMetadata(named, $metadata?.httpStatusCode ?? 200, requestId),
  };
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
}

/** A DynamoDB SDK error as the optimized (`DynamoDB.`) or AWS SDK (`DynamoDb.`) integration. */
function dynamoDbFailure(prefix: 'DynamoDB' | 'DynamoDb', error: unknown): TaskFailure {
  const e = (error ?? {}) as SdkError;
  const message = e.message ?? String(error);
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) {
    return new TaskFailure(
      `${prefix}.SdkClientException`,
      `Unable to execute HTTP request: ${message}`,
    );
  }
  const code = e.name ?? 'UnknownError';
  const modeled =
    typeof (dynamodb as Record<string, unknown>)[code] === 'function' &&
    (dynamodb as unknown as Record<string, { prototype: unknown }>)[code].prototype instanceof
      dynamodb.DynamoDBServiceException;
  const generic = prefix === 'DynamoDB' ? 'AmazonDynamoDBException' : 'DynamoDbException';
  const exception = modeled ? (code.endsWith('Exception') ? code : `${code}Exception`) : generic;
  const cause =
    prefix === 'DynamoDB'
      ? javaV1Cause(message, 'AmazonDynamoDBv2', status, code, e.$metadata?.requestId ?? 'null')
      : sdkErrorDetail('DynamoDb', error).detail;
  return new TaskFailure(`${prefix}.${exception}`, cause);
}

/**
 * An AWS SDK error as Step Functions words a service's failure (AWS SDK for Java v2 wording,
 * observed): the exception (the SDK's name when the service answered, else SdkClientException)
 * and `<message> (Service: …, Status Code: …, Request ID: …[, Extended Request ID: …])`.
 */
export function sdkErrorDetail(
  service: string,
  error: unknown,
): { exception: string; detail: string } {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const extended = e.$metadata?.extendedRequestId;
  return {
    exception: status !== undefined && e.name ? e.name : 'SdkClientException',
    detail: `${e.message ?? String(error)} (Service: ${service}, Status Code: ${status ?? 'none'}, Request ID: ${e.$metadata?.requestId ?? 'none'}${extended ? `, Extended Request ID: ${extended}` : ''})`,
  };
}

/** SDK output as Step Functions returns it: JSON (binary attributes as base64 strings). */
function jsonSafe(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value instanceof Set) return [...value].map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

// ---- S3 (a Distributed Map's ItemReader) --------------------------------------------------

/** The object an ItemReader reads. */
export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** Reads one object whole as UTF-8 text; rejects with the SDK's error (e.g. NoSuchKey). */
export type ObjectReader = (object: ObjectLocation, signal: AbortSignal) => Promise<string>;

/** GetObject through `client`; the signal aborts the request and its body. */
export function s3ObjectReader(client: S3Client): ObjectReader {
  return async ({ bucket, key, versionId }, signal) => {
    const output = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(versionId === undefined ? {} : { VersionId: versionId }),
      }),
      { abortSignal: signal },
    );
    return output.Body ? output.Body.transformToString('utf-8') : '';
  };
}
