/**
 * The Lambda adapters of resources.ts: `arn:aws:states:::lambda:invoke` (the optimized
 * integration, request-response only) and a Lambda function ARN as the Resource, both served by
 * in-process LocalLambdas. Also the response metadata and error wording that Step Functions'
 * optimized integrations share (their AWS side uses the AWS SDK for Java v1).
 *
 * Sources: "Invoke an AWS Lambda function with Step Functions" (developer guide), the Lambda
 * Invoke API reference, "Handling errors in Step Functions workflows", and where the guide is
 * silent, AWS executions recorded by LocalStack's AWS-validated snapshots
 * (tests/aws/services/stepfunctions/v2/{services,error_handling}/*.snapshot.json) and the Node.js
 * runtime interface client (aws-lambda-nodejs-runtime-interface-client, src/Errors.js,
 * src/RAPIDClient.js, src/InvokeContext.js).
 *
 * lambda:invoke request (Parameters / Arguments):
 * - FunctionName: a name, `name:qualifier`, a partial ARN `account:function:name[:qualifier]` or
 *   a function ARN. An unknown one fails `Lambda.ResourceNotFoundException`, Cause
 *   `Function not found: <ARN> (Service: AWSLambda; Status Code: 404; Error Code:
 *   ResourceNotFoundException; Request ID: <id>; Proxy: null)` (observed) — the ARN built from
 *   the state machine's partition, region and account when a bare name was given.
 * - Qualifier: a local function has one version, `$LATEST`; any other qualifier is not found (as
 *   above, with the qualified ARN). A qualifier in FunctionName that differs from Qualifier fails
 *   `Lambda.InvalidParameterValueException` ("The derived qualifier from the function name does
 *   not match the specified qualifier.").
 * - Payload: absent or `null` → the function receives `{}` (observed: `"Payload": null` reaches
 *   an echo function as `{}`); a string is sent as its text, which Lambda parses as JSON
 *   (observed: `"Payload": "null"` reaches the function as null, `"\"HelloWorld\""` as
 *   "HelloWorld"); text that is not JSON fails `Lambda.InvalidRequestContentException` as the
 *   Invoke API does (the guide is silent: decision), with Lambda's "Could not parse request body
 *   into json: …" message minus its parser-position suffix. Any other value is sent as JSON. The
 *   function always gets a copy: what it does to its event never touches the state.
 * - ClientContext: base64 of a JSON object, handed to the handler as `context.clientContext`
 *   (the Node.js runtime parses it); anything else fails `Lambda.InvalidRequestContentException`,
 *   "Client context must be a valid Base64-encoded JSON object." (Lambda's message). Its 3,583-byte
 *   limit is not checked.
 * - LogType: `None` (default) or `Tail`; another value fails `Lambda.AWSLambdaException`, the
 *   SDK's generic exception for Lambda's ValidationException (decision, by analogy with the
 *   observed `DynamoDB.AmazonDynamoDBException` for DynamoDB's).
 * - InvocationType: RequestResponse only (definition.ts refuses the others at load time).
 *
 * lambda:invoke response (observed): `{ ExecutedVersion, [LogResult], Payload, SdkHttpMetadata,
 * SdkResponseMetadata, StatusCode }`. Payload is the function's response parsed as JSON (a
 * handler that returns undefined returns null, a string stays a string, as the Node.js runtime
 * serializes `result === undefined ? null : result`). SdkHttpMetadata holds the Invoke response
 * headers (AllHttpHeaders: name → [value], HttpHeaders: name → value, sorted as Java's
 * case-insensitive map, HttpStatusCode); the headers are synthesized: X-Amz-Executed-Version,
 * x-amzn-Remapped-Content-Length, Connection, x-amzn-RequestId (= SdkResponseMetadata.RequestId
 * = the handler's context.awsRequestId), Content-Length (the payload's bytes), Date,
 * X-Amzn-Trace-Id (a made-up Root/Parent pair), Content-Type, and X-Amz-Log-Result with Tail.
 *
 * LogResult (Tail): Lambda returns the last 4 KB of the invocation's log, base64. Locally the log
 * is the runtime's own lines, as Lambda's Node.js runtime writes them — `START RequestId: <id>
 * Version: $LATEST`, `END RequestId: <id>`, `REPORT RequestId: <id>\tDuration: <ms> ms\tBilled
 * Duration: <ms> ms\tMemory Size: <MB> MB\t` — with the measured duration. What the handler
 * writes to the console is not captured (it goes to the process's console, shared by concurrent
 * handlers), and the REPORT line has no Max Memory Used or Init Duration (nothing to measure).
 *
 * A function error (observed, Node.js runtime): Error is the errorType, Cause the function's
 * error payload `{"errorType","errorMessage","trace"}`. As the runtime does, a thrown Error (or
 * error-like object) gives its name, message and stack lines; any other thrown value gives
 * `typeof value`, its toString() and no trace; a value whose toString() throws gives errorType
 * `handled`. A result JSON cannot represent (a cycle, a BigInt) is the runtime's error
 * `Unable to stringify response body` (errorType `Error`). Past the function's timeout the task
 * fails `Sandbox.Timedout`.
 *
 * A function ARN Resource: the state's input is the event (through JSON), the function's result
 * is the task's result as is.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { javaV1Cause, sdkResponseMetadata } from './integration-responses';
import { performance } from 'node:perf_hooks';
import type { ClientContext, Context } from 'aws-lambda';
import type { CancellationScope } from './cancellation';
import { TaskFailure, statesRuntimeError } from './errors';

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

/** What the Lambda adapters need from the engine. */
export interface LambdaDependencies {
  readonly lambdas: LambdaRegistry;
  /** The state machine's ARN: its partition, region and account complete a bare function name. */
  readonly stateMachineArn: string;
  /** Keeps a handler's promise visible to close() until it settles. */
  track(work: Promise<unknown>): void;
}

/** A FunctionName looked up: the function (if any), its unqualified ARN, its qualifier. */
interface FunctionLookup {
  readonly fn: LocalLambda | undefined;
  readonly arn: string;
  readonly qualifier?: string;
}

/** The registered functions, found by name, ARN or partial ARN, with an optional qualifier. */
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

  /**
   * Resolves a FunctionName (and an Invoke Qualifier) as Lambda does: only `$LATEST` exists
   * locally. Fails with Lambda's errors; `stateMachineArn` completes a bare name's ARN.
   */
  resolve(functionName: string, stateMachineArn: string, qualifier?: string): LocalLambda {
    const found = this.lookup(functionName, stateMachineArn);
    if (found.qualifier !== undefined && qualifier !== undefined && qualifier !== found.qualifier) {
      throw lambdaServiceError(
        'InvalidParameterValueException',
        400,
        'The derived qualifier from the function name does not match the specified qualifier.',
      );
    }
    const effective = qualifier ?? found.qualifier;
    if (!found.fn || (effective !== undefined && effective !== '$LATEST')) {
      const arn = effective === undefined ? found.arn : `${found.arn}:${effective}`;
      throw lambdaServiceError('ResourceNotFoundException', 404, `Function not found: ${arn}`);
    }
    return found.fn;
  }

  private lookup(functionName: string, stateMachineArn: string): FunctionLookup {
    const [, partition, , region, account] = stateMachineArn.split(':');
    const parts = functionName.split(':');
    if (functionName.startsWith('arn:')) {
      // arn:partition:lambda:region:account:function:name[:qualifier]
      const arn = parts.slice(0, 7).join(':');
      return { fn: this.byArn.get(arn), arn, qualifier: parts[7] };
    }
    if (parts.length >= 3 && parts[1] === 'function') {
      // account:function:name[:qualifier]
      const fn = this.byName.get(parts[2]);
      const arn = `arn:${partition}:lambda:${region}:${parts[0]}:function:${parts[2]}`;
      return {
        fn: fn && fn.arn.split(':')[4] === parts[0] ? fn : undefined,
        arn,
        qualifier: parts[3],
      };
    }
    const arn = `arn:${partition}:lambda:${region}:${account}:function:${parts[0]}`;
    return { fn: this.byName.get(parts[0]), arn, qualifier: parts[1] };
  }
}

/** `arn:aws:states:::lambda:invoke`: the Invoke API's response, as Step Functions returns it. */
export async function lambdaInvoke(
  stateName: string,
  input: unknown,
  invocation: CancellationScope,
  deps: LambdaDependencies,
): Promise<unknown> {
  const parameters = (input ?? {}) as Record<string, unknown>;
  if (typeof parameters.FunctionName !== 'string') {
    throw statesRuntimeError(
      `State "${stateName}": lambda:invoke needs Parameters.FunctionName (a string), got ${JSON.stringify(parameters.FunctionName)}`,
    );
  }
  const logType = parameters.LogType ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw lambdaServiceError(
      'AWSLambdaException',
      400,
      `1 validation error detected: Value '${String(logType)}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
      'ValidationException',
    );
  }
  const qualifier = parameters.Qualifier === undefined ? undefined : String(parameters.Qualifier);
  const fn = deps.lambdas.resolve(parameters.FunctionName, deps.stateMachineArn, qualifier);
  const clientContext = decodeClientContext(parameters.ClientContext);
  const event = requestEvent(parameters.Payload);

  const { requestId, text, log } = await runFunction(fn, event, invocation, deps, clientContext);
  const logResult =
    logType === 'Tail' ? tail(Buffer.from(log), 4096).toString('base64') : undefined;
  const headers: [string, string][] = [
    ...(logResult === undefined ? [] : [['X-Amz-Log-Result', logResult] as [string, string]]),
    ['X-Amz-Executed-Version', '$LATEST'],
    ['x-amzn-Remapped-Content-Length', '0'],
    ['Connection', 'keep-alive'],
    ['x-amzn-RequestId', requestId],
    ['Content-Length', String(Buffer.byteLength(text))],
    ['Date', new Date().toUTCString()],
    ['X-Amzn-Trace-Id', traceId()],
    ['Content-Type', 'application/json'],
  ];
  return {
    ExecutedVersion: '$LATEST',
    ...(logResult === undefined ? {} : { LogResult: logResult }),
    Payload: JSON.parse(text) as unknown,
    ...sdkResponseMetadata(headers, 200, requestId),
    StatusCode: 200,
  };
}

/** A function ARN as the Resource: the state's input in, the function's result out. */
export async function invokeFunctionResource(
  arn: string,
  input: unknown,
  invocation: CancellationScope,
  deps: LambdaDependencies,
): Promise<unknown> {
  const fn = deps.lambdas.resolve(arn, deps.stateMachineArn);
  const text = JSON.stringify(input);
  const event = text === undefined ? null : (JSON.parse(text) as unknown);
  const { text: result } = await runFunction(fn, event, invocation, deps);
  return JSON.parse(result) as unknown;
}

/** What Lambda hands the handler for an Invoke Payload (see the header). */
function requestEvent(payload: unknown): unknown {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'string') return JSON.parse(JSON.stringify(payload)) as unknown;
  if (payload.trim() === '') return {};
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    const token = /^\s*([^\s"{}[\],:]{1,40}|.)/.exec(payload)?.[1] ?? '';
    throw lambdaServiceError(
      'InvalidRequestContentException',
      400,
      `Could not parse request body into json: Could not parse payload into json: Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
    );
  }
}

function decodeClientContext(value: unknown): ClientContext | undefined {
  if (value === undefined) return undefined;
  const invalid = () =>
    lambdaServiceError(
      'InvalidRequestContentException',
      400,
      'Client context must be a valid Base64-encoded JSON object.',
    );
  if (
    typeof value !== 'string' ||
    value.length % 4 !== 0 ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(value)
  ) {
    throw invalid();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  return parsed as ClientContext;
}

/** One invocation: the response payload's JSON text and the runtime's log lines. */
async function runFunction(
  fn: LocalLambda,
  event: unknown,
  invocation: CancellationScope,
  deps: LambdaDependencies,
  clientContext?: ClientContext,
): Promise<{ requestId: string; text: string; log: string }> {
  const requestId = randomUUID();
  const timeoutMs = fn.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const scope = invocation.child();
  const context = lambdaContext(fn, requestId, deadline, scope.signal, clientContext);

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
  const started = performance.now();
  // Called inside an async function so that a synchronous throw is a rejection too.
  const running = (async () => fn.invoke(event, context))();
  deps.track(running);
  try {
    const result = await Promise.race([running, timedOut]);
    const text = serializeResponse(result);
    return { requestId, text, log: runtimeLog(requestId, performance.now() - started) };
  } catch (error) {
    if (error instanceof TaskFailure) throw error;
    throw functionError(error);
  } finally {
    clearTimeout(timer);
    scope.dispose();
  }
}

/** The Node.js runtime's `_trySerializeResponse`: undefined is null; a failure is an Error. */
function serializeResponse(result: unknown): string {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

/** The Node.js runtime's `toRapidResponse`: a thrown value as Lambda's function error payload. */
function functionError(error: unknown): TaskFailure {
  let payload: { errorType: string; errorMessage: string; trace?: string[] };
  try {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    if (
      error instanceof Error ||
      (e &&
        typeof e.name === 'string' &&
        typeof e.message === 'string' &&
        typeof e.stack === 'string' &&
        e.name &&
        e.message &&
        e.stack)
    ) {
      payload = {
        errorType: e.name as string,
        errorMessage: e.message as string,
        trace: (e.stack as string).split('\n'),
      };
    } else {
      payload = {
        errorType: typeof error,
        errorMessage: (error as { toString(): string }).toString(),
        trace: [],
      };
    }
  } catch {
    payload = {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
  return new TaskFailure(payload.errorType || 'Error', JSON.stringify(payload));
}

/** START / END / REPORT, as Lambda's Node.js runtime logs an invocation (see the header). */
function runtimeLog(requestId: string, durationMs: number): string {
  return [
    `START RequestId: ${requestId} Version: $LATEST`,
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms\tMemory Size: ${lambdaMemoryMb} MB\t`,
    '',
  ].join('\n');
}

const lambdaMemoryMb = '128';

function tail(bytes: Buffer, max: number): Buffer {
  return bytes.length <= max ? bytes : bytes.subarray(bytes.length - max);
}

/** An X-Ray trace header value (made up: there is no X-Ray locally). */
function traceId(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${seconds}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

/** A Lambda-like context for a LocalLambda invocation (also for invoking one outside the engine). */
export function lambdaContext(
  fn: LocalLambda,
  requestId: string = randomUUID(),
  deadline: number = Date.now() + fn.timeoutSeconds * 1000,
  abortSignal: AbortSignal = new AbortController().signal,
  clientContext?: ClientContext,
): LocalLambdaContext {
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported by the local runtime: return or throw`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: lambdaMemoryMb,
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    ...(clientContext === undefined ? {} : { clientContext }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
    abortSignal,
  };
}

// ---- Shared by the optimized integrations (AWS SDK for Java v1 on the AWS side) -------------

/** A Lambda service error of the optimized integration: `Lambda.<exception>`. */
function lambdaServiceError(
  exception: string,
  status: number,
  message: string,
  code: string = exception,
): TaskFailure {
  return new TaskFailure(`Lambda.${exception}`, javaV1Cause(message, 'AWSLambda', status, code));
}
