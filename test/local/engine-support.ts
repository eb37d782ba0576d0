// Helpers for the engine conformance tests (test/local/engine-*.test.ts): small hand-made ASL
// documents run by LocalStepFunctions with in-process LocalLambdas. They test the engine, not
// the txconfirm workflow.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type S3Endpoint, startS3Endpoint } from '../../local/aws/s3-endpoint';
import {
  type ExecutionRecord,
  type LocalLambda,
  type LocalLambdaContext,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
} from '../../local/engine';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const STATE_MACHINE_NAME = 'engine-test';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;

export function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

/** A LocalLambda named `name` (timeout 10 s unless given). */
export function lambda(
  name: string,
  invoke: (event: unknown, context: LocalLambdaContext) => Promise<unknown>,
  timeoutSeconds = 10,
): LocalLambda {
  return { functionName: name, arn: functionArn(name), timeoutSeconds, invoke };
}

/** An engine over a hand-made definition; the caller closes it (afterEach(closeAll)). */
export function engineFor(
  definition: Record<string, unknown>,
  options: Omit<LocalStepFunctionsOptions, 'definition'> = {},
): LocalStepFunctions {
  const engine = new LocalStepFunctions({
    ...options,
    definition: {
      stateMachineArn: STATE_MACHINE_ARN,
      stateMachineName: STATE_MACHINE_NAME,
      definition: definition as never,
    },
  });
  open.push(engine);
  return engine;
}

const open: LocalStepFunctions[] = [];

/** Closes every engine engineFor made (stops whatever a failed test left running). */
export async function closeAll(): Promise<void> {
  const engines = open.splice(0);
  await Promise.all(engines.map((engine) => engine.close()));
}

/** Starts one execution and waits for its final record. */
export async function run(
  engine: LocalStepFunctions,
  input: unknown = {},
): Promise<ExecutionRecord> {
  const { executionArn } = engine.startExecution({ input });
  return engine.waitForExecution(executionArn);
}

export type States = Record<string, Record<string, unknown>>;

/** A hand-made machine: StartAt is the first of `states`. */
export function machine(
  states: States,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { StartAt: Object.keys(states)[0], States: states, ...extra };
}

/** Runs `definition` once (retries at once) with `lambdas`; its final record. */
export function runOnce(
  definition: Record<string, unknown>,
  input: unknown = {},
  lambdas: LocalLambda[] = [lambda('work', async (event) => event)],
): Promise<ExecutionRecord> {
  return run(engineFor(definition, { lambdas, retryIntervalScale: 0 }), input);
}

/** The output of a run of `definition` that must succeed (else the error and cause are thrown). */
export async function succeeded(
  definition: Record<string, unknown>,
  input: unknown = {},
  lambdas?: LocalLambda[],
): Promise<unknown> {
  const record = await runOnce(definition, input, lambdas);
  if (record.status !== 'SUCCEEDED') {
    throw new Error(`${record.status}: ${record.error} ${record.cause}`);
  }
  return record.output;
}

/** A lambda:invoke Task state whose result is the handler's return value (OutputPath $.Payload). */
export function invokeTask(
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn(name), 'Payload.$': '$' },
    OutputPath: '$.Payload',
    ...extra,
  };
}

/**
 * A DISTRIBUTED Map `Fan` whose children run one lambda:invoke of `fn`: over `$.items` unless
 * `fields` has an ItemReader, the end of the machine unless `fields` has a Next (to one of
 * `states`).
 */
export function distributedMap(
  fn: string,
  fields: Record<string, unknown> = {},
  states: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ...('ItemReader' in fields ? {} : { ItemsPath: '$.items' }),
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
          StartAt: 'Work',
          States: { Work: invokeTask(fn, { End: true }) },
        },
        ...('Next' in fields ? {} : { End: true }),
        ...fields,
      },
      ...states,
    },
  };
}

export function items(count: number): { id: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `tx-${i}` }));
}

/** Waits `ms` (unref'd: a handler left waiting after its test does not hold jest open). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Resolves when the signal aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Polls until `condition` holds (fails after `timeoutMs`). */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

/** An error with a Lambda-style name (what `errorType` becomes). */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A LocalLambda `name` that records each event (a child's input) in `seen` and returns it. */
export function recordingLambda(name = 'work'): { seen: unknown[]; fn: LocalLambda } {
  const seen: unknown[] = [];
  return {
    seen,
    fn: lambda(name, async (event) => {
      seen.push(event);
      return event;
    }),
  };
}

/** What loading `definition` throws; undefined when it loads. `lambdas`: an echoing `work`. */
export function loadError(
  definition: Record<string, unknown>,
  options: Omit<LocalStepFunctionsOptions, 'definition'> = {},
): unknown {
  try {
    engineFor(definition, { lambdas: [lambda('work', async (event) => event)], ...options });
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A bucket of a local S3 endpoint (local/aws/s3-endpoint.ts), for ItemReader tests. */
export interface S3Bucket {
  readonly name: string;
  /** The endpoint's S3Client (an engine's `s3Client`), from the suite's beforeAll on. */
  readonly client: S3Client;
  /** Stores `body` as the object `key`. */
  put(key: string, body: string): Promise<void>;
}

/**
 * A local S3 endpoint with the bucket `name`, started before the tests of the file or describe
 * block that calls this (stopped after them) and holding `objects` (key → body).
 */
export function s3Bucket(name: string, objects: Readonly<Record<string, string>> = {}): S3Bucket {
  let endpoint: S3Endpoint | undefined;
  const bucket: S3Bucket = {
    name,
    get client(): S3Client {
      if (!endpoint) throw new Error('the S3 endpoint starts in beforeAll');
      return endpoint.client;
    },
    async put(key, body) {
      await bucket.client.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body }));
    },
  };
  beforeAll(async () => {
    endpoint = await startS3Endpoint({ buckets: [name] });
    for (const [key, body] of Object.entries(objects)) await bucket.put(key, body);
  });
  afterAll(() => endpoint?.stop());
  return bucket;
}
