/**
 * A Step Functions-compatible HTTP endpoint for the embedded local runtime: the AWS SDK
 * (`new SFNClient({ endpoint })`), the AWS CLI (`--endpoint-url`) and `txc --local` drive the
 * local state machine as they drive the deployed one.
 *
 * Protocol: AWS JSON 1.0, as @aws-sdk/client-sfn sends it — `POST /`, `X-Amz-Target:
 * AWSStepFunctions.<Operation>`, a JSON body; answers `application/x-amz-json-1.0` with
 * timestamps as epoch seconds. Errors are HTTP 400 with `{"__type":
 * "com.amazonaws.stepfunctions#<Code>","message":"…"}` (the SDK takes the part after `#` as the
 * error's name, e.g. `ExecutionAlreadyExists`); anything unexpected is a 500 `InternalFailure`
 * and the server goes on. Requests are not authenticated (SigV4 is ignored): bind it to loopback.
 *
 * Operations: StartExecution, DescribeExecution, ListExecutions, StopExecution,
 * GetExecutionHistory, DescribeStateMachine, ListStateMachines, ListMapRuns, DescribeMapRun.
 * Every other operation answers `UnknownOperationException` naming it.
 *
 * Two txconfirm routes for the operator CLI (plain JSON, not part of the AWS API):
 * - `GET /txconfirm/target` — what `txc --local` needs: state machine, DynamoDB endpoint,
 *   table names, shard count, the schedule (null without a scheduler);
 * - `POST /txconfirm/schedule` `{ "state": "ENABLED" | "DISABLED" }` — pause / resume the local
 *   schedule (404 when the endpoint runs without one).
 *
 * Deviations from AWS are listed in local/engine/README.md ("The Step Functions endpoint").
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENV } from '../lambdas/contracts';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type HistoryEvent,
  type MapRunRecord,
  StepFunctionsApiError,
} from './engine';
import { type LocalRuntime, mergedFunctionEnvironment } from './runtime';
import { resolveIntrinsics } from './synthesized-definition';

/** What the endpoint needs of the local schedule (local/scheduler.ts implements it). */
export interface LocalSchedulerControl {
  readonly expression: string;
  state(): 'ENABLED' | 'DISABLED';
  setState(state: 'ENABLED' | 'DISABLED'): void;
  nextFireTime(): Date | undefined;
}

export interface SfnEndpointOptions {
  readonly runtime: LocalRuntime;
  /** The local schedule, when one runs (`GET /txconfirm/target` shows it, `POST /txconfirm/schedule` switches it). */
  readonly scheduler?: LocalSchedulerControl;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 127.0.0.1 (the endpoint does not authenticate: keep it on loopback) */
  readonly host?: string;
}

export interface SfnEndpoint {
  /** e.g. `http://127.0.0.1:8083` — the SDK's `endpoint`, the AWS CLI's `--endpoint-url`. */
  readonly url: string;
  /** Stops listening and closes open connections (the runtime keeps running). */
  stop(): Promise<void>;
}

/** The `X-Amz-Target` prefix of Step Functions operations. */
export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';
export const TARGET_PATH = '/txconfirm/target';
export const SCHEDULE_PATH = '/txconfirm/schedule';

const ERROR_NAMESPACE = 'com.amazonaws.stepfunctions';
const JSON_1_0 = 'application/x-amz-json-1.0';
/** AWS's maximum request size. */
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const EXECUTION_STATUSES = new Set<string>([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);

/** An AWS JSON protocol error: `__type` `<namespace>#<code>`, HTTP status. */
class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;
type Operation = (body: Body) => Body | Promise<Body>;

export async function startSfnEndpoint(options: SfnEndpointOptions): Promise<SfnEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const api = new SfnApi(options.runtime);
  const server = http.createServer((request, response) => {
    void handle(request, response, api, options).catch((error: unknown) => {
      // Last resort (e.g. the socket went away while answering): never take the server down.
      if (!response.headersSent) {
        sendJson(response, 500, {
          __type: `${ERROR_NAMESPACE}#InternalFailure`,
          message: String(error),
        });
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections (the SDK keeps them open) would hold close() forever.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

async function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  api: SfnApi,
  options: SfnEndpointOptions,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const target = request.headers['x-amz-target'];

  if (path === TARGET_PATH || path === SCHEDULE_PATH) {
    await handleTxconfirmRoute(request, response, path, options);
    return;
  }
  if (request.method !== 'POST' || typeof target !== 'string') {
    if (request.method === 'POST' && path === '/') {
      sendAwsError(
        response,
        new ApiError('UnknownOperationException', 'Missing X-Amz-Target header'),
      );
    } else {
      sendJson(response, 404, {
        error: 'NotFound',
        message: `${request.method} ${path} is not a route of this endpoint: Step Functions operations are POST / with an X-Amz-Target header; txconfirm routes are GET ${TARGET_PATH} and POST ${SCHEDULE_PATH}`,
      });
    }
    request.resume();
    return;
  }

  let text: string;
  try {
    text = await readBody(request);
  } catch (error) {
    sendAwsError(response, toApiError(error));
    return;
  }
  try {
    const operationName = target.startsWith(SFN_TARGET_PREFIX)
      ? target.slice(SFN_TARGET_PREFIX.length)
      : undefined;
    const operation = operationName === undefined ? undefined : api.operation(operationName);
    if (!operation) {
      throw new ApiError(
        'UnknownOperationException',
        operationName === undefined
          ? `Unknown operation ${target}: not a Step Functions target (expected ${SFN_TARGET_PREFIX}<Operation>)`
          : `Operation ${operationName} is not supported by the txconfirm local Step Functions endpoint`,
      );
    }
    const body = parseBody(text);
    const result = await operation(body);
    response.setHeader('x-amzn-requestid', randomUUID());
    sendJson(response, 200, result, JSON_1_0);
  } catch (error) {
    sendAwsError(response, toApiError(error));
  }
}

// ---- the Step Functions operations ----------------------------------------------------------

class SfnApi {
  private readonly operations: Record<string, Operation>;
  private readonly stateMachine: StateMachineDescription;

  constructor(private readonly runtime: LocalRuntime) {
    this.stateMachine = describeStateMachine(runtime);
    this.operations = {
      StartExecution: (body) => this.startExecution(body),
      DescribeExecution: (body) => this.describeExecution(body),
      ListExecutions: (body) => this.listExecutions(body),
      StopExecution: (body) => this.stopExecution(body),
      GetExecutionHistory: (body) => this.getExecutionHistory(body),
      DescribeStateMachine: (body) => this.describeStateMachine(body),
      ListStateMachines: (body) => this.listStateMachines(body),
      ListMapRuns: (body) => this.listMapRuns(body),
      DescribeMapRun: (body) => this.describeMapRun(body),
    };
  }

  operation(name: string): Operation | undefined {
    return Object.prototype.hasOwnProperty.call(this.operations, name)
      ? this.operations[name]
      : undefined;
  }

  private get engine() {
    return this.runtime.engine;
  }

  private startExecution(body: Body): Body {
    this.requireStateMachine(requiredString(body, 'stateMachineArn', 256));
    const name = optionalString(body, 'name', 80);
    const input = optionalString(body, 'input', 262_144 * 4);
    optionalString(body, 'traceHeader', 256);
    const record = this.engine.startExecution({
      ...(name !== undefined ? { name } : {}),
      input: input ?? '{}',
    });
    return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
  }

  private describeExecution(body: Body): Body {
    const record = this.engine.describeExecution(this.executionArn(body));
    const described: Body = {
      ...executionListItem(record),
      input: JSON.stringify(record.input),
      inputDetails: { included: true },
    };
    if (record.status === 'SUCCEEDED') {
      described.output = JSON.stringify(record.output ?? null);
      described.outputDetails = { included: true };
    }
    if (record.error !== undefined) described.error = record.error;
    if (record.cause !== undefined) described.cause = record.cause;
    return described;
  }

  private listExecutions(body: Body): Body {
    const stateMachineArn = optionalString(body, 'stateMachineArn', 256);
    const mapRunArn = optionalString(body, 'mapRunArn', 2048);
    const statusFilter = optionalString(body, 'statusFilter', 32);
    const maxResults = pageSize(body);
    const nextToken = optionalString(body, 'nextToken', 1024);
    optionalString(body, 'redriveFilter', 32);
    if (statusFilter !== undefined && !EXECUTION_STATUSES.has(statusFilter)) {
      throw validation(
        `Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${[...EXECUTION_STATUSES].join(', ')}]`,
      );
    }
    if ((stateMachineArn === undefined) === (mapRunArn === undefined)) {
      throw validation('Exactly one of stateMachineArn and mapRunArn must be given');
    }
    if (mapRunArn !== undefined) {
      // Map Run children are not kept locally (they are nested runs, not executions).
      this.engine.describeMapRun(validArn(mapRunArn, 'mapRunArn'));
      return { executions: [] };
    }
    this.requireStateMachine(stateMachineArn as string);
    const executions = this.engine
      .listExecutions(
        statusFilter === undefined ? {} : { statusFilter: statusFilter as ExecutionStatus },
      )
      .sort(newestFirst);
    const page = pageAfter(executions, nextToken, maxResults, 'executions', (record) => [
      record.startDate.getTime(),
      record.executionArn,
    ]);
    return {
      executions: page.items.map(executionListItem),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  private stopExecution(body: Body): Body {
    const executionArn = this.executionArn(body);
    const error = optionalString(body, 'error', 256);
    const cause = optionalString(body, 'cause', 32_768);
    const record = this.engine.stopExecution(executionArn, {
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
  }

  private getExecutionHistory(body: Body): Body {
    const executionArn = this.executionArn(body);
    const maxResults = pageSize(body);
    const reverseOrder = optionalBoolean(body, 'reverseOrder') ?? false;
    const includeExecutionData = optionalBoolean(body, 'includeExecutionData') ?? true;
    const nextToken = optionalString(body, 'nextToken', 1024);
    const events = this.engine.getExecutionHistory(executionArn);
    // Tokens carry the id of the next event to return and the direction they were issued for.
    let start = reverseOrder ? events.length : 1;
    if (nextToken !== undefined) {
      const token = decodeToken(nextToken, 'history');
      const [id, reverse, arn] = token as [number, boolean, string];
      if (
        typeof id !== 'number' ||
        reverse !== reverseOrder ||
        arn !== executionArn ||
        id < 1 ||
        id > events.length
      ) {
        throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
      }
      start = id;
    }
    const page: HistoryEvent[] = [];
    let id = start;
    while (page.length < maxResults && id >= 1 && id <= events.length) {
      page.push(events[id - 1]);
      id += reverseOrder ? -1 : 1;
    }
    const more = id >= 1 && id <= events.length;
    return {
      events: page.map((event) => historyEvent(event, includeExecutionData)),
      ...(more ? { nextToken: encodeToken('history', [id, reverseOrder, executionArn]) } : {}),
    };
  }

  private describeStateMachine(body: Body): Body {
    this.requireStateMachine(requiredString(body, 'stateMachineArn', 256));
    const sm = this.stateMachine;
    return {
      stateMachineArn: sm.stateMachineArn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: epochSeconds(this.engine.creationDate),
      ...(sm.loggingConfiguration ? { loggingConfiguration: sm.loggingConfiguration } : {}),
      ...(sm.tracingConfiguration ? { tracingConfiguration: sm.tracingConfiguration } : {}),
    };
  }

  private listStateMachines(body: Body): Body {
    pageSize(body);
    const nextToken = optionalString(body, 'nextToken', 1024);
    if (nextToken !== undefined) {
      throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
    }
    const sm = this.stateMachine;
    return {
      stateMachines: [
        {
          stateMachineArn: sm.stateMachineArn,
          name: sm.name,
          type: sm.type,
          creationDate: epochSeconds(this.engine.creationDate),
        },
      ],
    };
  }

  private listMapRuns(body: Body): Body {
    const executionArn = this.executionArn(body);
    const maxResults = pageSize(body);
    const nextToken = optionalString(body, 'nextToken', 1024);
    const mapRuns = this.engine
      .listMapRuns(executionArn)
      .sort(
        (a, b) =>
          b.startDate.getTime() - a.startDate.getTime() || compareText(b.mapRunArn, a.mapRunArn),
      );
    const page = pageAfter(mapRuns, nextToken, maxResults, 'mapRuns', (mapRun) => [
      mapRun.startDate.getTime(),
      mapRun.mapRunArn,
    ]);
    return {
      mapRuns: page.items.map((mapRun) => ({
        executionArn: mapRun.executionArn,
        mapRunArn: mapRun.mapRunArn,
        stateMachineArn: mapRun.stateMachineArn,
        startDate: epochSeconds(mapRun.startDate),
        ...(mapRun.stopDate ? { stopDate: epochSeconds(mapRun.stopDate) } : {}),
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  private describeMapRun(body: Body): Body {
    const mapRunArn = validArn(requiredString(body, 'mapRunArn', 2048), 'mapRunArn');
    const mapRun: MapRunRecord = this.engine.describeMapRun(mapRunArn);
    return {
      mapRunArn: mapRun.mapRunArn,
      executionArn: mapRun.executionArn,
      status: mapRun.status,
      startDate: epochSeconds(mapRun.startDate),
      ...(mapRun.stopDate ? { stopDate: epochSeconds(mapRun.stopDate) } : {}),
      maxConcurrency: mapRun.maxConcurrency,
      toleratedFailurePercentage: mapRun.toleratedFailurePercentage,
      toleratedFailureCount: mapRun.toleratedFailureCount,
      itemCounts: { ...mapRun.itemCounts, failuresNotRedrivable: 0, pendingRedrive: 0 },
      executionCounts: { ...mapRun.executionCounts, failuresNotRedrivable: 0, pendingRedrive: 0 },
      redriveCount: 0,
    };
  }

  private executionArn(body: Body): string {
    return validArn(requiredString(body, 'executionArn', 2048), 'executionArn');
  }

  /** The one local state machine; any other valid ARN does not exist here. */
  private requireStateMachine(arn: string): void {
    validArn(arn, 'stateMachineArn');
    if (arn !== this.engine.stateMachineArn) {
      throw new ApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${arn}' (the local endpoint serves ${this.engine.stateMachineArn})`,
      );
    }
  }
}

interface StateMachineDescription {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly definition: string;
  readonly roleArn: string;
  readonly type: string;
  readonly loggingConfiguration?: Body;
  readonly tracingConfiguration?: Body;
}

/** DescribeStateMachine's fields, from the synthesized stack (the ASL as CDK synthesized it). */
function describeStateMachine(runtime: LocalRuntime): StateMachineDescription {
  const { template, definition } = runtime.stack;
  const resource = template.Resources[definition.stateMachineLogicalId];
  const props = (resource?.Properties ?? {}) as {
    RoleArn?: unknown;
    StateMachineType?: unknown;
    TracingConfiguration?: { Enabled?: unknown };
    LoggingConfiguration?: { Level?: unknown; IncludeExecutionData?: unknown };
  };
  let roleArn = runtime.engine.roleArn;
  try {
    const resolved = resolveIntrinsics(template, props.RoleArn);
    if (typeof resolved === 'string') roleArn = resolved;
  } catch {
    // An ARN the offline resolver cannot build: the engine's own role ARN stands in.
  }
  const logging = props.LoggingConfiguration;
  const tracing = props.TracingConfiguration;
  return {
    stateMachineArn: definition.stateMachineArn,
    name: definition.stateMachineName,
    definition: JSON.stringify(definition.definition),
    roleArn,
    type: typeof props.StateMachineType === 'string' ? props.StateMachineType : 'STANDARD',
    ...(logging
      ? {
          loggingConfiguration: {
            level: typeof logging.Level === 'string' ? logging.Level : 'OFF',
            includeExecutionData: logging.IncludeExecutionData === true,
          },
        }
      : {}),
    ...(tracing ? { tracingConfiguration: { enabled: tracing.Enabled === true } } : {}),
  };
}

function executionListItem(record: ExecutionRecord): Body {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
  };
}

/** A history event on the wire: timestamps in epoch seconds; without data if asked so. */
function historyEvent(event: HistoryEvent, includeExecutionData: boolean): Body {
  const wire: Body = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'timestamp') {
      wire.timestamp = epochSeconds(value as Date);
    } else if (!includeExecutionData && key.endsWith('EventDetails') && value) {
      const details: Body = {};
      for (const [field, fieldValue] of Object.entries(value as Body)) {
        if (!DATA_FIELDS.has(field)) details[field] = fieldValue;
      }
      wire[key] = details;
    } else {
      wire[key] = value;
    }
  }
  return wire;
}

/** The fields `includeExecutionData: false` leaves out. */
const DATA_FIELDS = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);

function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  return (
    b.startDate.getTime() - a.startDate.getTime() || compareText(b.executionArn, a.executionArn)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One page of `items` (sorted newest first by [time, arn], descending) after the key in
 * `nextToken`: a page boundary stays put when new executions start between calls.
 */
function pageAfter<T>(
  items: readonly T[],
  nextToken: string | undefined,
  maxResults: number,
  kind: string,
  keyOf: (item: T) => [number, string],
): { items: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    const [time, arn] = decodeToken(nextToken, kind) as [number, string];
    if (typeof time !== 'number' || typeof arn !== 'string') {
      throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
    }
    start = items.findIndex((item) => {
      const [t, a] = keyOf(item);
      return t < time || (t === time && a < arn);
    });
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + maxResults);
  const more = start + maxResults < items.length;
  return {
    items: page,
    ...(more && page.length > 0
      ? { nextToken: encodeToken(kind, keyOf(page[page.length - 1])) }
      : {}),
  };
}

function encodeToken(kind: string, key: unknown[]): string {
  return Buffer.from(JSON.stringify({ k: kind, v: key })).toString('base64url');
}

function decodeToken(token: string, kind: string): unknown[] {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      k?: unknown;
      v?: unknown;
    };
    if (decoded.k === kind && Array.isArray(decoded.v)) return decoded.v;
  } catch {
    // falls through
  }
  throw new ApiError('InvalidToken', `Invalid Token: '${token}'`);
}

// ---- request fields ---------------------------------------------------------------------------

function validation(message: string): ApiError {
  return new ApiError('ValidationException', `1 validation error detected: ${message}`);
}

function requiredString(body: Body, field: string, maxLength: number): string {
  const value = optionalString(body, field, maxLength);
  if (value === undefined) {
    throw validation(
      `Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Body, field: string, maxLength: number): string | undefined {
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

function optionalBoolean(body: Body, field: string): boolean | undefined {
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
function pageSize(body: Body): number {
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

function validArn(arn: string, field: string): string {
  if (!/^arn:[a-z-]+:states:[a-z0-9-]*:\d*:[A-Za-z]+:\S+$/.test(arn)) {
    throw new ApiError('InvalidArn', `Invalid Arn: '${arn}' (${field})`);
  }
  return arn;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

// ---- the wire ---------------------------------------------------------------------------------

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (tooLarge) {
        reject(
          validation(`the request is ${size} bytes, over the ${MAX_BODY_BYTES}-byte request limit`),
        );
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    request.on('error', reject);
  });
}

function parseBody(text: string): Body {
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
function toApiError(error: unknown): ApiError {
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

function sendAwsError(response: http.ServerResponse, error: ApiError): void {
  response.setHeader('x-amzn-errortype', error.code);
  response.setHeader('x-amzn-requestid', randomUUID());
  sendJson(
    response,
    error.status,
    { __type: `${ERROR_NAMESPACE}#${error.code}`, message: error.message },
    JSON_1_0,
  );
}

function sendJson(
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

// ---- txconfirm routes -------------------------------------------------------------------------

async function handleTxconfirmRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  path: string,
  options: SfnEndpointOptions,
): Promise<void> {
  const { runtime, scheduler } = options;
  if (path === TARGET_PATH) {
    request.resume();
    if (request.method !== 'GET') {
      sendJson(response, 405, {
        error: 'MethodNotAllowed',
        message: `${TARGET_PATH} answers GET only`,
      });
      return;
    }
    sendJson(response, 200, targetInfo(runtime, scheduler));
    return;
  }
  // SCHEDULE_PATH
  if (request.method !== 'POST') {
    request.resume();
    sendJson(response, 405, {
      error: 'MethodNotAllowed',
      message: `${SCHEDULE_PATH} answers POST only`,
    });
    return;
  }
  let text: string;
  try {
    text = await readBody(request);
  } catch (error) {
    sendJson(response, 400, { error: 'BadRequest', message: (error as Error).message });
    return;
  }
  if (!scheduler) {
    sendJson(response, 404, {
      error: 'NoSchedule',
      message: 'this endpoint runs without a schedule (it was started without a scheduler)',
    });
    return;
  }
  let state: unknown;
  try {
    state = (JSON.parse(text) as { state?: unknown } | null)?.state;
  } catch {
    state = undefined;
  }
  if (state !== 'ENABLED' && state !== 'DISABLED') {
    sendJson(response, 400, {
      error: 'BadRequest',
      message: `the body must be {"state": "ENABLED" | "DISABLED"}, got ${text.slice(0, 200)}`,
    });
    return;
  }
  scheduler.setState(state);
  sendJson(response, 200, { state: scheduler.state() });
}

/** `GET /txconfirm/target`: what `txc --local` needs to operate the local runtime. */
export function targetInfo(runtime: LocalRuntime, scheduler?: LocalSchedulerControl): Body {
  const { definition, tableNames } = runtime.stack;
  const region = definition.stateMachineArn.split(':')[3];
  const next = scheduler?.nextFireTime();
  return {
    mode: 'local',
    region,
    stateMachineArn: definition.stateMachineArn,
    stateMachineName: definition.stateMachineName,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    providerUrl: runtime.provider.url,
    tables: {
      transactions: tableNames.transactions,
      runs: tableNames.runs,
      pendingIndex: tableNames.pendingIndex,
    },
    shardCount: Number(mergedFunctionEnvironment(runtime.stack)[ENV.SHARD_COUNT]),
    schedule: scheduler
      ? {
          expression: scheduler.expression,
          state: scheduler.state(),
          nextFireTime: next ? next.toISOString() : null,
        }
      : null,
  };
}
