/**
 * The embedded local runtime (docs/architecture.md §6): the synthesized stack, run on one machine.
 *
 * Everything comes from one CDK synth: the ASL (run by local/engine), the tables and GSIs
 * (created in dynalite), each function's environment (handlers run in-process with it), the
 * lock-release rule (emulated on execution status changes) and the schedule expression. Only the
 * endpoints differ: DynamoDB, Secrets Manager and the payment provider are loopback servers.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoRunStore } from '../../lambdas/adapters/dynamo-run-store';
import { type BatchResult, ENV, type RunSummary } from '../../lambdas/contracts';
import type { RunRecord } from '../../lambdas/domain/ports';
import { makeRunId } from '../../lambdas/domain/run-state';
import { type StageSettingsInput, loadStageConfig } from '../../lib/config';
import { startDynalite } from '../aws/dynalite-host';
import { executionStatusRules } from '../aws/execution-status-rule';
import { startS3Endpoint } from '../aws/s3-endpoint';
import { startSecretsEndpoint } from '../aws/secrets-endpoint';
import { type ExecutionRecord, FileExecutionStore, LocalStepFunctions } from '../engine';
import {
  type ProviderSimulator,
  type ProviderSimulatorOptions,
  startProviderSimulator,
} from '../fakes/provider-simulator';
import { type StoreFaultHook, startStoreFaultProxy } from '../fakes/store-fault-proxy';
import { type LocalStack, localStack, synthesizeStackTemplate } from '../stack/stack-template';
import { resolveIntrinsics } from '../stack/synthesized-definition';
import { prepareDataDir, temporaryFolder } from './data-dir';
import { nextDemoNumber, seedDemoTransactions } from './demo-transactions';
import { type InvocationCall, loadLocalLambdas, mergedFunctionEnvironment } from './lambdas';
import { repairPendingIndex } from './pending-index-repair';
import { applyFunctionEnvironment } from './process-environment';
import { type StoreCounts, storeCounts } from './store-counts';

export { type InvocationCall, mergedFunctionEnvironment, PROJECT_ROOT } from './lambdas';
export type { StoreCounts } from './store-counts';

// Node 20 is older than what the newest SDK prefers: its reminder is noise here, not a fault.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface LocalRuntimeOptions {
  /**
   * Store, executions and logs on disk (survive restarts); checked first (DataDirUnusable, before
   * anything else starts). Default: in memory, logs in a temporary folder removed on close.
   */
  readonly dataDir?: string;
  /** In memory: keep the temporary folder of the handler logs after close. @default false */
  readonly keepLogs?: boolean;
  /** Told what start-up is doing (synthesizing, opening the store…), for a status line. */
  readonly onPhase?: (phase: string) => void;
  /** Provider simulator knobs (latency, rates, seed). */
  readonly provider?: Omit<ProviderSimulatorOptions, 'apiKey'>;
  /** Settings over the dev stage's (config/dev.json); the stack is synthesized with them (one source of truth). */
  readonly configOverrides?: Partial<StageSettingsInput>;
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
   * about every request (local/fakes/store-fault-proxy.ts). The runtime's own reads (`ddb`) bypass it.
   */
  readonly storeFaults?: StoreFaultHook;
}

export interface RunOutcome {
  /** The last execution of the run (continue-as-new follows the chain). */
  readonly final: ExecutionRecord;
  readonly executions: readonly ExecutionRecord[];
  /** FinishRun's summary when the run succeeded; the SKIPPED output when skipped. */
  readonly summary?: RunSummary;
  /**
   * The run record of a run that did not succeed (FAILED, PROVIDER_UNAVAILABLE, TIMED_OUT,
   * ABORTED): its totals as far as it got; undefined when StartRun never wrote one.
   */
  readonly record?: RunRecord;
  readonly skippedBy?: { runId: string; executionArn: string; expiresAt: string };
}

/** What opening a data dir again did (the restart banner's lines). */
export interface RestartReport {
  /** The data dir already held a store. */
  readonly reopened: boolean;
  /** Executions a killed process left RUNNING, now ABORTED (their locks released). */
  readonly aborted: readonly ExecutionRecord[];
  /** Ids of the items whose pending-index entries were out of step and repaired. */
  readonly repairedIds: readonly string[];
}

export class LocalRuntime {
  private closed = false;
  /** Index entries repaired when this runtime reopened its data dir (see repairPendingIndex). */
  indexRepairs = 0;
  /** What the start did to a reopened data dir. */
  restart: RestartReport = { reopened: false, aborted: [], repairedIds: [] };
  /** The next demo transaction number of this seed (looked up in the store at the first seeding). */
  private nextDemo: number | undefined;
  /** Resolves once what was written to the handler log so far is in the file. */
  private flushLog: () => Promise<void> = async () => undefined;

  private constructor(
    readonly stack: LocalStack,
    readonly engine: LocalStepFunctions,
    readonly provider: ProviderSimulator,
    readonly ddb: DynamoDBDocumentClient,
    readonly logFile: string,
    private readonly closers: (() => Promise<void>)[],
    private readonly storeEndpoint: string,
    /** The loopback Secrets Manager the handlers read the provider key from. */
    readonly secretsEndpoint: string,
    private readonly inFlight: Set<Promise<unknown>>,
    /** The absolute data dir; undefined in memory. */
    readonly dataDir: string | undefined,
    /** The simulator's seed, also part of the demo transaction ids. */
    readonly seed: number,
    /** In memory without keepLogs: the handler logs' folder goes away on close. */
    readonly logsRemovedOnClose: boolean,
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
    const phase = options.onPhase ?? (() => undefined);
    // First, before seconds of synth: an unusable data dir is a DataDirUnusable at once.
    const prepared = options.dataDir === undefined ? undefined : prepareDataDir(options.dataDir);
    const dataDir = prepared?.path;

    phase('synthesizing the stack');
    const config = loadStageConfig({
      stage: 'dev',
      offline: true,
      overrides: options.configOverrides,
    });
    // The same template without CDK's CloudFormation validation (~190 MB of WASM memory held for
    // the whole run; docs/performance.md, Memory of a local run): tests and `cdk synth` validate it.
    const stack = localStack(synthesizeStackTemplate({ config, cloudFormationValidation: false }));

    let logDir: string;
    if (dataDir) {
      logDir = path.join(dataDir, 'logs');
      fs.mkdirSync(logDir, { recursive: true });
    } else {
      const temporary = temporaryFolder(options.keepLogs === true);
      // Pushed first, so it runs last: after the log stream has ended.
      closers.push(async () => temporary.remove());
      logDir = temporary.path;
    }
    const logFile = path.join(logDir, 'handlers.log');
    const logStream = fs.createWriteStream(logFile, { flags: 'a' });
    closers.push(() => new Promise<void>((resolve) => logStream.end(resolve)));

    phase(dataDir ? `opening the store in ${dataDir}` : 'starting the in-memory store');
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
    phase('starting the provider simulator');
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
    // The page manifests: FetchPage writes them, ConfirmPage's ItemReader reads them, in memory
    // (each is deleted once its page is done).
    const s3 = await startS3Endpoint({ buckets: stack.buckets });
    closers.push(() => s3.stop());

    applyFunctionEnvironment(environment, {
      dynamodb: handlerStoreEndpoint,
      secretsManager: secrets.url,
      s3: s3.url,
      provider: provider.url,
    });

    const inFlight = new Set<Promise<unknown>>();
    const lambdas = loadLocalLambdas(stack, {
      logStream,
      isolateModules: options.isolateModules,
      interceptInvoke: options.interceptInvoke,
      inFlight,
    });

    const executionStore = dataDir
      ? new FileExecutionStore(path.join(dataDir, 'executions'))
      : undefined;
    const engine = new LocalStepFunctions({
      definition: stack.definition,
      lambdas,
      dynamoDbClient: store.client,
      s3Client: s3.client,
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
      // The stack's lock-release rule, emulated: executions that end FAILED / TIMED_OUT /
      // ABORTED invoke its target (release-lock) with the event EventBridge would deliver.
      onExecutionStatusChange: executionStatusRules(stack.template, lambdas, (error) =>
        logStream.write(
          `${JSON.stringify({ level: 'ERROR', message: 'release-lock rule target failed', error: String(error) })}\n`,
        ),
      ),
    });
    closers.push(() => engine.close());
    // Executions a killed process left RUNNING are now ABORTED and their locks released (the
    // rule above), so a restart resumes at once.
    if (prepared?.reopened) phase('recovering executions a previous process left running');
    const aborted = await engine.recover();

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
      secrets.url,
      inFlight,
      dataDir,
      options.provider?.seed ?? 1,
      !dataDir && options.keepLogs !== true,
    );
    let repairedIds: string[] = [];
    if (dataDir) {
      phase('checking the pending index');
      repairedIds = await repairPendingIndex(ddb, store.endpoint, stack.tableNames);
    }
    runtime.flushLog = () =>
      new Promise<void>((resolve) => {
        if (logStream.writableLength === 0 || logStream.writableEnded) resolve();
        // Written in order: once this empty chunk is written, so is everything before it.
        else logStream.write('', () => resolve());
      });
    runtime.indexRepairs = repairedIds.length;
    runtime.restart = { reopened: prepared?.reopened ?? false, aborted, repairedIds };
    return runtime;
  }

  /** The pending index's shard count, as the stack gives it to the functions. */
  get shardCount(): number {
    return Number(mergedFunctionEnvironment(this.stack)[ENV.SHARD_COUNT]);
  }

  /**
   * Writes `count` PENDING demo transactions (as an upstream writer would: with pendingShard),
   * ids `demo-<seed>-<number>` continuing after those already in the store.
   */
  async seedTransactions(
    count: number,
    now = new Date(),
    onProgress?: (written: number) => void,
  ): Promise<string[]> {
    const { shardCount } = this;
    const table = this.stack.tableNames.transactions;
    const firstNumber = this.nextDemo ?? (await nextDemoNumber(this.ddb, table, this.seed));
    this.nextDemo = firstNumber + count;
    return seedDemoTransactions(this.ddb, table, {
      count,
      shardCount,
      seed: this.seed,
      firstNumber,
      now,
      onProgress,
    });
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
      if (record.status === 'SUCCEEDED') {
        return { final: record, executions, summary: output as unknown as RunSummary };
      }
      // StartRun named the run after the first execution (lambdas/domain/run-state.ts).
      const first = executions[0];
      const run = await new DynamoRunStore(this.ddb, this.stack.tableNames.runs).getRun(
        makeRunId(first.startDate, first.name),
      );
      return { final: record, executions, ...(run === undefined ? {} : { record: run }) };
    }
  }

  /**
   * Resolves once every handler log line and EMF metric written so far is in `logFile` (the
   * stream writes in the background), so that a reader of the file sees all of them.
   */
  handlerLogFlushed(): Promise<void> {
    return this.flushLog();
  }

  /** Store-wide count of transactions per status (a full scan: for summaries and checks). */
  storeCounts(): Promise<StoreCounts> {
    return storeCounts(this.ddb, this.stack.tableNames.transactions);
  }

  /** Repairs the pending index after a crash (local/runtime/pending-index-repair.ts). */
  async repairPendingIndex(): Promise<number> {
    return (await repairPendingIndex(this.ddb, this.storeEndpoint, this.stack.tableNames)).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.closers].reverse()) await c().catch(() => undefined);
  }
}
