/**
 * The embedded local runtime (DESIGN.md §6): the synthesized stack, run on one machine.
 *
 * Everything comes from one CDK synth: the ASL (run by local/engine), the tables and GSIs
 * (created in dynalite), each function's environment (handlers run in-process with it), the
 * lock-release rule (emulated on execution status changes) and the schedule expression. Only the
 * endpoints differ: DynamoDB, Secrets Manager and the payment provider are loopback servers.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Console } from 'node:console';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  ScanCommand as DocScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { type BatchResult, ENV, type RunSummary } from '../lambdas/contracts';
import { pendingShardFor } from '../lambdas/domain/pending-shard';
import type { TxconfirmConfig } from '../lib/config';
import { dev } from '../lib/stages';
import { startDynalite } from './dynalite-host';
import {
  type ExecutionRecord,
  FileExecutionStore,
  type LocalLambda,
  type LocalLambdaContext,
  LocalStepFunctions,
  lambdaContext,
} from './engine';
import {
  type ProviderSimulator,
  type ProviderSimulatorOptions,
  startProviderSimulator,
} from './provider-simulator';
import { startSecretsEndpoint } from './secrets-endpoint';
import { type StoreFaultHook, startStoreFaultProxy } from './store-fault-proxy';
import { type LocalStack, localStack, synthesizeStackTemplate } from './stack-template';
import { type CfnTemplate, resolveIntrinsics } from './synthesized-definition';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

// Node 20 is older than what the newest SDK prefers: its reminder is noise here, not a fault.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface LocalRuntimeOptions {
  /** Store, executions and logs on disk (survive restarts). Default: in memory, logs in a temp dir. */
  readonly dataDir?: string;
  /** Provider simulator knobs (latency, rates, seed). */
  readonly provider?: Omit<ProviderSimulatorOptions, 'apiKey'>;
  /** Changes to the dev stage config; the stack is synthesized with them (one source of truth). */
  readonly configOverrides?: Partial<TxconfirmConfig>;
  /** Scales every Retry interval (tests: 0 for no waiting). @default 1 (AWS-like) */
  readonly retryIntervalScale?: number;
  /**
   * Runs module loading in isolation (tests pass jest.isolateModules): handlers read their
   * environment at module load, so each runtime needs fresh module instances.
   */
  readonly isolateModules?: (load: () => void) => void;
  /** Observes every finished Distributed Map child (live progress). */
  readonly onBatch?: (result: BatchResult | undefined, items: number) => void;
  /**
   * Fault injection (reliability suite, rehearsals): every function invocation goes through this
   * hook, which decides whether, how often and when the real handler runs, and what the caller
   * sees (a thrown error is a failed invocation, as a crashed Lambda is).
   */
  readonly interceptInvoke?: (call: InvocationCall) => Promise<unknown>;
  /**
   * Fault injection: the handlers reach DynamoDB through a loopback proxy that asks this hook
   * about every request (local/store-fault-proxy.ts). The runtime's own reads (`ddb`) bypass it.
   */
  readonly storeFaults?: StoreFaultHook;
}

/** One function invocation, as the interceptInvoke hook sees it. */
export interface InvocationCall {
  /** The handler's file name without extension (`confirm-batch`, `fetch-page`, ...). */
  readonly handler: string;
  readonly functionName: string;
  readonly event: unknown;
  readonly context: LocalLambdaContext;
  /** Runs the real handler with this event and context; may be called any number of times. */
  invoke(event?: unknown): Promise<unknown>;
}

export interface RunOutcome {
  /** The last execution of the run (continue-as-new follows the chain). */
  readonly final: ExecutionRecord;
  readonly executions: readonly ExecutionRecord[];
  /** FinishRun's summary when the run succeeded; the SKIPPED output when skipped. */
  readonly summary?: RunSummary;
  readonly skippedBy?: { runId: string; executionArn: string; expiresAt: string };
}

export type StoreCounts = Record<'PENDING' | 'CONFIRMED' | 'REJECTED' | 'FAILED' | 'OTHER', number>;

export class LocalRuntime {
  private closed = false;
  /** Index entries repaired when this runtime reopened its data dir (see repairPendingIndex). */
  indexRepairs = 0;

  private constructor(
    readonly stack: LocalStack,
    readonly engine: LocalStepFunctions,
    readonly provider: ProviderSimulator,
    readonly ddb: DynamoDBDocumentClient,
    readonly logFile: string,
    private readonly closers: (() => Promise<void>)[],
    private readonly storeEndpoint: string,
    private readonly inFlight: Set<Promise<unknown>>,
  ) {}

  /**
   * Resolves once no handler invocation is running. A failed or cancelled map stops waiting for
   * its children, but an in-process handler cannot be killed: it finishes its provider calls and
   * conditional writes in the background (as a frozen Lambda would on its next thaw). Checks of
   * the store wait for this first.
   */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** The loopback URL of the embedded DynamoDB (dynalite), for operator tools. */
  get dynamodbEndpoint(): string {
    return this.storeEndpoint;
  }

  static async start(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
    const closers: (() => Promise<void>)[] = [];
    const close = async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    };
    try {
      return await LocalRuntime.build(options, closers);
    } catch (error) {
      await close();
      throw error;
    }
  }

  private static async build(
    options: LocalRuntimeOptions,
    closers: (() => Promise<void>)[],
  ): Promise<LocalRuntime> {
    const config: TxconfirmConfig = { ...dev, ...options.configOverrides };
    const stack = localStack(synthesizeStackTemplate({ config }));

    const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
    const logDir = dataDir
      ? path.join(dataDir, 'logs')
      : fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-'));
    fs.mkdirSync(logDir, { recursive: true });
    const logFile = path.join(logDir, 'handlers.log');
    const logStream = fs.createWriteStream(logFile, { flags: 'a' });
    closers.push(() => new Promise<void>((resolve) => logStream.end(resolve)));

    const store = await startDynalite({
      dataDir: dataDir ? path.join(dataDir, 'dynamodb') : undefined,
      tables: [...stack.tables],
    });
    closers.push(() => store.stop());
    let handlerStoreEndpoint = store.endpoint;
    if (options.storeFaults) {
      const proxy = await startStoreFaultProxy(store.endpoint, options.storeFaults);
      closers.push(() => proxy.stop());
      handlerStoreEndpoint = proxy.url;
    }

    // A fresh key per process: the simulator accepts only it, the handlers fetch it from the
    // loopback Secrets Manager like they fetch the real one on AWS. Never printed or logged.
    const apiKey = randomBytes(24).toString('base64url');
    const provider = await startProviderSimulator({
      ...options.provider,
      apiKey,
      callLogFile: dataDir ? path.join(dataDir, 'provider-calls.jsonl') : undefined,
      outcomeStoreFile: dataDir ? path.join(dataDir, 'provider-outcomes.jsonl') : undefined,
    });
    closers.push(() => provider.stop());

    const environment = mergedFunctionEnvironment(stack);
    const secretId = environment[ENV.PROVIDER_SECRET_ID];
    const secrets = await startSecretsEndpoint({ [secretId]: apiKey });
    closers.push(() => secrets.stop());

    Object.assign(process.env, environment, {
      AWS_ENDPOINT_URL_DYNAMODB: handlerStoreEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      [ENV.PROVIDER_BASE_URL]: provider.url,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      // No X-Ray daemon here: tracing stays off instead of logging a failed send per segment.
      POWERTOOLS_TRACE_ENABLED: 'false',
      // ...and the X-Ray SDK (loaded by the Powertools tracer all the same) in manual mode: its
      // automatic mode installs async_hooks on every promise of this process (cls-hooked), which
      // cost about 10% of a local run's CPU for context nobody reads (npm run bench, profiled).
      AWS_XRAY_MANUAL_MODE: 'true',
      // As on Lambda, the shell's Powertools settings do not leak into the functions: what the
      // stack sets, else Powertools' defaults (logs at INFO, metrics on; both go to the log file).
      POWERTOOLS_LOG_LEVEL: environment.POWERTOOLS_LOG_LEVEL ?? 'INFO',
      POWERTOOLS_METRICS_DISABLED: environment.POWERTOOLS_METRICS_DISABLED ?? 'false',
    });

    const inFlight = new Set<Promise<unknown>>();
    const lambdas = loadLocalLambdas(
      stack,
      logStream,
      options.isolateModules,
      options.interceptInvoke,
      inFlight,
    );

    const executionStore = dataDir
      ? new FileExecutionStore(path.join(dataDir, 'executions'))
      : undefined;
    const rules = lockReleaseRules(stack.template);
    const lambdaByArn = new Map(lambdas.map((l) => [l.arn, l]));
    const engine = new LocalStepFunctions({
      definition: stack.definition,
      lambdas,
      dynamoDbClient: store.client,
      executionStore,
      retryIntervalScale: options.retryIntervalScale ?? 1,
      roleArn: resolveIntrinsics(
        stack.template,
        stack.template.Resources[stack.definition.stateMachineLogicalId].Properties?.RoleArn,
      ) as string | undefined,
      onMapChildCompleted: (child) => {
        const output = child.output as BatchResult | undefined;
        options.onBatch?.(child.error === undefined ? output : undefined, child.items);
      },
      // The EventBridge rule of the stack, emulated: executions that end FAILED / TIMED_OUT /
      // ABORTED invoke its target (release-lock) with the same event shape as on AWS.
      onExecutionStatusChange: async (record) => {
        for (const rule of rules) {
          if (!rule.statuses.includes(record.status)) continue;
          if (!rule.stateMachineArns.includes(record.stateMachineArn)) continue;
          const target = lambdaByArn.get(rule.targetArn);
          if (!target) continue;
          await target
            .invoke(executionStatusChangeEvent(record), lambdaContext(target))
            .catch((error: unknown) =>
              logStream.write(
                `${JSON.stringify({ level: 'ERROR', message: 'release-lock rule target failed', error: String(error) })}\n`,
              ),
            );
        }
      },
    });
    closers.push(() => engine.close());
    // Executions a killed process left RUNNING are now ABORTED and their locks released (the
    // rule above), so a restart resumes at once.
    await engine.recover();

    const ddb = DynamoDBDocumentClient.from(store.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const runtime = new LocalRuntime(
      stack,
      engine,
      provider,
      ddb,
      logFile,
      closers,
      store.endpoint,
      inFlight,
    );
    if (dataDir) runtime.indexRepairs = await runtime.repairPendingIndex();
    return runtime;
  }

  /** Writes `count` PENDING demo transactions (as an upstream writer would: with pendingShard). */
  async seedTransactions(count: number, now = new Date()): Promise<string[]> {
    const shardCount = Number(mergedFunctionEnvironment(this.stack)[ENV.SHARD_COUNT]);
    const stamp = now.toISOString().replace(/[-:.]/g, '').slice(0, 15);
    const currencies = ['EUR', 'USD', 'GBP', 'CHF', 'JPY'];
    const ids: string[] = [];
    const items = [];
    for (let i = 0; i < count; i += 1) {
      const id = `demo-${stamp}-${String(i).padStart(7, '0')}`;
      ids.push(id);
      items.push({
        id,
        status: 'PENDING',
        amount: 100 + ((i * 7919) % 99_900),
        currency: currencies[i % currencies.length],
        // Created before the run starts (the run's cutoff is its start time).
        createdAt: new Date(now.getTime() - 1000 - ((count - i) % 3_600_000)).toISOString(),
        attempts: 0,
        pendingShard: pendingShardFor(id, shardCount),
      });
    }
    const chunks: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next];
        next += 1;
        let request: Record<string, unknown[]> | undefined = {
          [this.stack.tableNames.transactions]: chunk.map((Item) => ({ PutRequest: { Item } })),
        };
        while (request && Object.keys(request).length > 0) {
          const response = await this.ddb.send(
            new BatchWriteCommand({ RequestItems: request as never }),
          );
          request = response.UnprocessedItems as Record<string, unknown[]> | undefined;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return ids;
  }

  /** Starts one execution, as the schedule or an operator would. */
  startRun(input: unknown = {}): ExecutionRecord {
    return this.engine.startExecution({ input });
  }

  /** Waits for a run, following ContinueAsNew hand-overs to the execution that finishes it. */
  async waitForRun(executionArn: string): Promise<RunOutcome> {
    const executions: ExecutionRecord[] = [];
    let arn = executionArn;
    for (;;) {
      const record = await this.engine.waitForExecution(arn);
      executions.push(record);
      const output = record.output as Record<string, unknown> | undefined;
      if (record.status === 'SUCCEEDED' && typeof output?.nextExecutionArn === 'string') {
        arn = output.nextExecutionArn;
        continue;
      }
      if (record.status === 'SUCCEEDED' && output?.status === 'SKIPPED') {
        return { final: record, executions, skippedBy: output.holder as RunOutcome['skippedBy'] };
      }
      return {
        final: record,
        executions,
        summary: record.status === 'SUCCEEDED' ? (output as unknown as RunSummary) : undefined,
      };
    }
  }

  /** Store-wide count of transactions per status (a full scan: for summaries and checks). */
  async storeCounts(): Promise<StoreCounts> {
    const counts: StoreCounts = { PENDING: 0, CONFIRMED: 0, REJECTED: 0, FAILED: 0, OTHER: 0 };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.stack.tableNames.transactions,
          ProjectionExpression: '#s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExclusiveStartKey: startKey as never,
        }),
      );
      for (const item of page.Items ?? []) {
        const status = item.status?.S;
        if (
          status === 'PENDING' ||
          status === 'CONFIRMED' ||
          status === 'REJECTED' ||
          status === 'FAILED'
        ) {
          counts[status] += 1;
        } else {
          counts.OTHER += 1;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return counts;
  }

  /**
   * dynalite writes an item and its GSI entries as separate LevelDB operations, so a SIGKILL
   * between them can leave a PENDING item missing from the sparse pending index (stranded: no run
   * would ever page it) or an index entry for an item that left it. DynamoDB itself never does
   * that; this local-only repair runs when a data dir is reopened, before any execution: it
   * re-puts every PENDING item the index lacks and clears entries whose item moved on.
   */
  async repairPendingIndex(): Promise<number> {
    const { transactions, pendingIndex } = this.stack.tableNames;
    const indexed = new Map<string, Record<string, unknown>>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: ScanCommandOutput = await this.ddb.send(
        new DocScanCommand({
          TableName: transactions,
          IndexName: pendingIndex,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const entry of page.Items ?? []) indexed.set(entry.id as string, entry);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // Items are read and re-put with numbers as exact strings (NumberValue): any stored number,
    // also one a JS number cannot hold (an amount of 12345678901234567890.5 written by another
    // system), must neither fail the reopen nor change. A client of its own: two document clients
    // on one DynamoDBClient share (and overwrite) one translate config.
    const base = new DynamoDBClient({
      endpoint: this.storeEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const exact = DynamoDBDocumentClient.from(base, { unmarshallOptions: { wrapNumbers: true } });
    let repairs = 0;
    try {
      do {
        const page: ScanCommandOutput = await exact.send(
          new DocScanCommand({
            TableName: transactions,
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const entry = indexed.get(item.id as string);
          const inSync =
            item.pendingShard === undefined
              ? entry === undefined
              : entry !== undefined &&
                entry.pendingShard === item.pendingShard &&
                entry.createdAt === item.createdAt;
          if (inSync) continue;
          repairs += 1;
          if (item.pendingShard === undefined) {
            // A stale entry: write the attribute it was indexed under, then remove it, so dynalite
            // deletes the entry it computes from the old item.
            await exact.send(
              new PutCommand({ TableName: transactions, Item: { ...item, ...entry } }),
            );
          }
          await exact.send(new PutCommand({ TableName: transactions, Item: item }));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } finally {
      base.destroy();
    }
    return repairs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.closers].reverse()) await c().catch(() => undefined);
  }
}

/** The union of every function's environment; a variable two functions set differently is an error. */
export function mergedFunctionEnvironment(stack: LocalStack): Record<string, string> {
  const merged: Record<string, string> = {};
  const setBy: Record<string, string> = {};
  for (const fn of Object.values(stack.definition.functionsByArn)) {
    for (const [name, value] of Object.entries(fn.environment)) {
      // Lambda-only settings that would change this whole process.
      if (name === 'NODE_OPTIONS') continue;
      if (name in merged && merged[name] !== value) {
        throw new Error(
          `Functions ${setBy[name]} and ${fn.logicalId} set ${name} differently (${merged[name]} vs ${value}); the local runtime runs them in one process`,
        );
      }
      merged[name] = value;
      setBy[name] = fn.logicalId;
    }
  }
  return merged;
}

function loadLocalLambdas(
  stack: LocalStack,
  logStream: fs.WriteStream,
  isolate: ((load: () => void) => void) | undefined,
  intercept: ((call: InvocationCall) => Promise<unknown>) | undefined,
  inFlight: Set<Promise<unknown>>,
): LocalLambda[] {
  const fileConsole = new Console({ stdout: logStream, stderr: logStream });
  const lambdas: LocalLambda[] = [];
  const load = () => {
    for (const fn of Object.values(stack.definition.functionsByArn)) {
      if (!fn.entry) continue;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(PROJECT_ROOT, fn.entry)) as Record<string, unknown>;
      const handler = mod[fn.handlerExport ?? 'handler'];
      if (typeof handler !== 'function') {
        throw new Error(`${fn.entry} does not export ${fn.handlerExport ?? 'handler'}`);
      }
      const runHandler = handler as (e: unknown, c: unknown) => Promise<unknown>;
      const run = (e: unknown, c: unknown): Promise<unknown> => {
        const running = runHandler(e, c);
        inFlight.add(running);
        const forget = () => inFlight.delete(running);
        running.then(forget, forget);
        return running;
      };
      const name = path.basename(fn.entry).replace(/\.[cm]?[jt]s$/, '');
      lambdas.push({
        functionName: fn.functionName,
        arn: fn.arn,
        timeoutSeconds: fn.timeoutSeconds ?? 3,
        invoke: intercept
          ? (event, context) =>
              intercept({
                handler: name,
                functionName: fn.functionName,
                event,
                context,
                invoke: (override) => run(override === undefined ? event : override, context),
              })
          : (event, context) => run(event, context),
      });
    }
    // Handler logs and EMF metrics go to the log file, never over the progress bar.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tools = require(path.join(PROJECT_ROOT, 'lambdas/shared/powertools')) as Record<
      string,
      unknown
    >;
    for (const tool of [tools.logger, tools.metrics]) {
      if (tool && typeof tool === 'object') (tool as { console: Console }).console = fileConsole;
    }
  };
  if (isolate) {
    isolate(load);
  } else {
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(path.join(PROJECT_ROOT, 'lambdas') + path.sep)) delete require.cache[key];
    }
    load();
  }
  return lambdas;
}

interface LockReleaseRule {
  statuses: string[];
  stateMachineArns: string[];
  targetArn: string;
}

/** The stack's EventBridge rules on Step Functions execution status changes, resolved. */
function lockReleaseRules(template: CfnTemplate): LockReleaseRule[] {
  const rules: LockReleaseRule[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const props = resolveIntrinsics(template, resource.Properties ?? {}) as {
      EventPattern?: {
        source?: string[];
        'detail-type'?: string[];
        detail?: { status?: string[]; stateMachineArn?: string[] };
      };
      Targets?: { Arn: string }[];
      State?: string;
    };
    const pattern = props.EventPattern;
    if (!pattern?.source?.includes('aws.states')) continue;
    if (!pattern['detail-type']?.includes('Step Functions Execution Status Change')) continue;
    for (const target of props.Targets ?? []) {
      rules.push({
        statuses: pattern.detail?.status ?? [],
        stateMachineArns: pattern.detail?.stateMachineArn ?? [],
        targetArn: target.Arn,
      });
    }
  }
  return rules;
}

function executionStatusChangeEvent(record: ExecutionRecord) {
  return {
    version: '0',
    id: randomBytes(16).toString('hex'),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    time: (record.stopDate ?? new Date()).toISOString(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate?.getTime(),
    },
  };
}
