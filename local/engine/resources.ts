/**
 * Task resource adapters, chosen by the Resource ARN:
 *
 * | Resource                                               | served by                                  |
 * | ------------------------------------------------------ | ------------------------------------------ |
 * | arn:aws:states:::lambda:invoke                         | a registered LocalLambda (result wrapped)  |
 * | arn:aws:lambda:<region>:<account>:function:<name>      | a registered LocalLambda (result as is)    |
 * | arn:aws:states:::states:startExecution                 | a new execution of this same engine        |
 * | arn:aws:states:::aws-sdk:dynamodb:<action>             | @aws-sdk/client-dynamodb, errors DynamoDb.* |
 * | arn:aws:states:::dynamodb:getItem/putItem/updateItem/deleteItem | the same commands, errors DynamoDB.* |
 *
 * A DISTRIBUTED Map's ItemReader (arn:aws:states:::s3:getObject) is not a Task: the Distributed Map
 * runner reads the object through an ObjectReader, s3ObjectReader over the caller's S3Client.
 *
 * Each invocation runs in its own CancellationScope (a child of its execution's): a stopped
 * execution, a Distributed Map that cancels its children, or the Task's TimeoutSeconds aborts the
 * handler's signal. A Lambda handler sees it as `context.abortSignal`; DynamoDB calls pass it to
 * the SDK. The Lambda function timeout is enforced as on AWS: past it the task fails with
 * `Sandbox.Timedout` (the handler cannot be killed in-process; it is told through its signal).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AslState } from '../stack/synthesized-definition';
import type { CancellationScope } from './cancellation';
import { StepFunctionsApiError, TaskFailure, cancelledError, statesRuntimeError } from './errors';

/** A Lambda function run in-process. */
export interface LocalLambda {
  readonly functionName: string;
  readonly arn: string;
  /** The function's timeout (fractions allowed, for tests). */
  readonly timeoutSeconds: number;
  /** The handler (Lambda's Node.js handlers are async). Outside the engine, pass lambdaContext(fn). */
  invoke(event: unknown, context: LocalLambdaContext): Promise<unknown>;
}

/** The Lambda context a LocalLambda receives, plus the signal of its invocation. */
export interface LocalLambdaContext extends Context {
  /** Aborted when the execution stops, its Distributed Map cancels it, or a timeout passes. */
  readonly abortSignal: AbortSignal;
}

/** What a Task handler needs to know about the run it serves. */
export interface RunScope {
  /** The execution (or Distributed Map child execution) this task belongs to. */
  readonly executionArn: string;
  /** The context object of this run (as `$$` sees it). */
  readonly context: Record<string, unknown>;
  readonly cancellation: CancellationScope;
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
export interface AdapterDependencies {
  readonly lambdas: LambdaRegistry;
  readonly dynamoDbClient?: dynamodb.DynamoDBClient;
  /** For a Distributed Map's ItemReader (pointing at the local S3 endpoint). */
  readonly s3Client?: S3Client;
  readonly stateMachineArn: string;
  /** Starts an execution of this engine's state machine (throws StepFunctionsApiError). */
  startExecution(request: { name?: string; input: unknown }): {
    executionArn: string;
    startDate: Date;
  };
  /** Keeps a handler's promise visible to close() until it settles. */
  track(work: Promise<unknown>): void;
}

/** The handler of one Task state (not a DISTRIBUTED Map stand-in: the engine serves those). */
export function createTaskHandler(
  stateName: string,
  state: AslState,
  deps: AdapterDependencies,
): TaskHandler {
  const kind = classifyResource(String(state.Resource));
  const timeoutSeconds =
    typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  let serve: (input: unknown, run: RunScope, invocation: CancellationScope) => Promise<unknown>;
  switch (kind.kind) {
    case 'lambdaInvoke':
      serve = (input, _run, invocation) => lambdaInvoke(stateName, input, invocation, deps);
      break;
    case 'lambdaFunction': {
      const arn = String(state.Resource);
      serve = (input, _run, invocation) =>
        invokeFunction(deps.lambdas.resolve(arn), input, invocation, deps);
      break;
    }
    case 'startExecution':
      serve = async (input) => startExecution(stateName, input, deps);
      break;
    case 'dynamodb':
      serve = (input, _run, invocation) => dynamoDbCall(kind, input, invocation, deps);
      break;
    default:
      throw new Error(`State "${stateName}": ${kind.reason}`);
  }
  return async (input, run) => {
    if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'cancelled');
    const invocation = run.cancellation.child();
    const timer =
      timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => invocation.abort('States.Timeout'), timeoutSeconds * 1000);
    try {
      return await serve(input, run, invocation);
    } catch (error) {
      if (run.cancellation.aborted) throw cancelledError(run.cancellation.reason ?? 'cancelled');
      // The state's TimeoutSeconds passed: the library's own timer (same delay, set just after
      // this handler was called) fails the state with States.Timeout; whatever the aborted
      // handler threw must not win that race.
      if (invocation.reason === 'States.Timeout') return new Promise<never>(() => undefined);
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
      invocation.dispose();
    }
  };
}

// ---- Lambda -------------------------------------------------------------------------------

/** The registered functions, found by name, ARN or qualified ARN (`:$LATEST`). */
export class LambdaRegistry {
  private readonly byName = new Map<string, LocalLambda>();
  private readonly byArn = new Map<string, LocalLambda>();

  constructor(lambdas: readonly LocalLambda[]) {
    for (const fn of lambdas) {
      if (this.byName.has(fn.functionName) || this.byArn.has(fn.arn)) {
        throw new Error(`LocalLambda ${fn.functionName} (${fn.arn}) is registered twice`);
      }
      if (!(fn.timeoutSeconds > 0)) {
        throw new Error(
          `LocalLambda ${fn.functionName}: timeoutSeconds must be > 0, got ${fn.timeoutSeconds}`,
        );
      }
      this.byName.set(fn.functionName, fn);
      this.byArn.set(fn.arn, fn);
    }
  }

  /** Resolves a FunctionName as Lambda does, or fails with Lambda.ResourceNotFoundException. */
  resolve(functionName: string): LocalLambda {
    const found = this.find(functionName);
    if (!found) {
      throw new TaskFailure(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionName} (Service: Lambda, Status Code: 404, Error Code: ResourceNotFoundException, Request ID: ${randomUUID()})`,
      );
    }
    return found;
  }

  private find(functionName: string): LocalLambda | undefined {
    let unqualified = functionName;
    if (functionName.startsWith('arn:')) {
      // arn:partition:lambda:region:account:function:name[:qualifier]
      const parts = functionName.split(':');
      if (parts.length === 8) {
        if (parts[7] !== '$LATEST') return undefined;
        unqualified = parts.slice(0, 7).join(':');
      }
      return this.byArn.get(unqualified);
    }
    const parts = functionName.split(':');
    if (parts.length >= 3 && parts[1] === 'function') {
      // account:function:name[:qualifier]
      if (parts.length === 4 && parts[3] !== '$LATEST') return undefined;
      const fn = this.byName.get(parts[2]);
      return fn && fn.arn.split(':')[4] === parts[0] ? fn : undefined;
    }
    if (parts.length === 2) {
      if (parts[1] !== '$LATEST') return undefined;
      unqualified = parts[0];
    }
    return this.byName.get(unqualified);
  }
}

async function lambdaInvoke(
  stateName: string,
  input: unknown,
  invocation: CancellationScope,
  deps: AdapterDependencies,
): Promise<unknown> {
  const parameters = (input ?? {}) as Record<string, unknown>;
  if (typeof parameters.FunctionName !== 'string') {
    throw statesRuntimeError(
      `State "${stateName}": lambda:invoke needs Parameters.FunctionName (a string), got ${JSON.stringify(parameters.FunctionName)}`,
    );
  }
  const fn = deps.lambdas.resolve(parameters.FunctionName);
  const payload = 'Payload' in parameters ? parameters.Payload : {};
  const result = await invokeFunction(fn, payload, invocation, deps);
  return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
}

/** 256 KiB: Step Functions' limit on a task result. */
export const MAX_PAYLOAD_BYTES = 262_144;

async function invokeFunction(
  fn: LocalLambda,
  event: unknown,
  invocation: CancellationScope,
  deps: AdapterDependencies,
): Promise<unknown> {
  const requestId = randomUUID();
  const timeoutMs = fn.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const scope = invocation.child();
  const context = lambdaContext(fn, requestId, deadline, scope.signal);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      scope.abort('Sandbox.Timedout');
      const errorMessage = `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`;
      reject(
        new TaskFailure(
          'Sandbox.Timedout',
          JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage }),
        ),
      );
    }, timeoutMs);
  });
  // Called inside an async function so that a synchronous throw is a rejection too.
  const running = (async () => fn.invoke(event, context))();
  deps.track(running);
  try {
    const result = await Promise.race([running, timedOut]);
    return jsonResult(result);
  } catch (error) {
    if (error instanceof TaskFailure) throw error;
    throw lambdaFailure(error);
  } finally {
    clearTimeout(timer);
    scope.dispose();
  }
}

/** What Lambda returns: the handler's result through JSON (undefined → null), size-checked. */
function jsonResult(result: unknown): unknown {
  const text = JSON.stringify(result);
  if (text === undefined) return null;
  if (text.length > MAX_PAYLOAD_BYTES / 4 && Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new TaskFailure(
      'States.DataLimitExceeded',
      `The function result is ${Buffer.byteLength(text)} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit of a state's data`,
      { retryable: false },
    );
  }
  return JSON.parse(text) as unknown;
}

/** A thrown error as Step Functions reports a Lambda function error (Node.js runtime format). */
function lambdaFailure(error: unknown): TaskFailure {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && error.stack ? error.stack.split('\n') : [];
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

/** A Lambda-like context for a LocalLambda invocation (also for invoking one outside the engine). */
export function lambdaContext(
  fn: LocalLambda,
  requestId: string = randomUUID(),
  deadline: number = Date.now() + fn.timeoutSeconds * 1000,
  abortSignal: AbortSignal = new AbortController().signal,
): LocalLambdaContext {
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported by the local runtime: return or throw`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
    abortSignal,
  };
}

// ---- states:startExecution ----------------------------------------------------------------

function startExecution(stateName: string, input: unknown, deps: AdapterDependencies): unknown {
  const parameters = (input ?? {}) as Record<string, unknown>;
  const arn = parameters.StateMachineArn;
  if (arn !== deps.stateMachineArn) {
    throw new TaskFailure(
      'StepFunctions.StateMachineDoesNotExistException',
      `State Machine Does Not Exist: '${String(arn)}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; the local runtime runs only ${deps.stateMachineArn})`,
    );
  }
  let executionInput: unknown = parameters.Input ?? {};
  if (typeof executionInput === 'string') {
    try {
      executionInput = JSON.parse(executionInput) as unknown;
    } catch (error) {
      throw new TaskFailure(
        'StepFunctions.InvalidExecutionInputException',
        `Invalid State Machine Execution Input: ${(error as Error).message} (Service: AWSStepFunctions; Status Code: 400; Error Code: InvalidExecutionInput)`,
      );
    }
  }
  if (parameters.Name !== undefined && typeof parameters.Name !== 'string') {
    throw statesRuntimeError(`State "${stateName}": Parameters.Name must be a string`);
  }
  try {
    const started = deps.startExecution({ name: parameters.Name, input: executionInput });
    return { ExecutionArn: started.executionArn, StartDate: started.startDate.getTime() };
  } catch (error) {
    if (error instanceof StepFunctionsApiError) {
      if (error.name === 'EngineClosed') throw cancelledError(error.message);
      throw new TaskFailure(
        `StepFunctions.${error.name}Exception`,
        `${error.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: ${error.name})`,
      );
    }
    throw error;
  }
}

// ---- DynamoDB -----------------------------------------------------------------------------

type CommandConstructor = new (input: unknown) => unknown;

async function dynamoDbCall(
  kind: Extract<ResourceKind, { kind: 'dynamodb' }>,
  input: unknown,
  invocation: CancellationScope,
  deps: AdapterDependencies,
): Promise<unknown> {
  const client = deps.dynamoDbClient;
  if (!client) throw new Error('No DynamoDBClient configured'); // checked at load time
  const Command = (dynamodb as unknown as Record<string, CommandConstructor>)[kind.commandName];
  try {
    const output = (await client.send(new Command(input) as never, {
      abortSignal: invocation.signal,
    })) as unknown as Record<string, unknown>;
    const result = { ...output };
    delete result.$metadata;
    return jsonSafe(result);
  } catch (error) {
    if (invocation.aborted) throw error; // the wrapper turns it into a cancellation
    throw dynamoDbFailure(kind.errorPrefix, error);
  }
}

function dynamoDbFailure(prefix: string, error: unknown): TaskFailure {
  const { exception, detail } = sdkErrorDetail('DynamoDb', error);
  return new TaskFailure(`${prefix}.${exception}`, detail);
}

/**
 * An AWS SDK error as Step Functions words a service's failure: the exception (the SDK's name
 * when the service answered, else SdkClientException) and `<message> (Service: …, Status Code: …,
 * Request ID: …)`.
 */
export function sdkErrorDetail(
  service: string,
  error: unknown,
): { exception: string; detail: string } {
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const status = e.$metadata?.httpStatusCode;
  return {
    exception: status !== undefined && e.name ? e.name : 'SdkClientException',
    detail: `${e.message ?? String(error)} (Service: ${service}, Status Code: ${status ?? 'none'}, Request ID: ${e.$metadata?.requestId ?? 'none'})`,
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
