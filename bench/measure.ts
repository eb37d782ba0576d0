/**
 * One measurement of `npm run bench`, run in its own child process (so its peak RSS is its own):
 *
 *   node --import tsx bench/measure.ts <ceiling|baseline|workflow> --transactions N [--latency-ms L]
 *
 * Prints one JSON line (a Measurement) on stdout. Every kind runs on the embedded runtime's own
 * parts: dynalite, the provider simulator on loopback, the handlers' DynamoDB client configuration.
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command, Option } from 'commander';
import { ENV } from '../lambdas/contracts';
import { DynamoTransactionRepository } from '../lambdas/adapters/dynamo-transaction-repository';
import { HttpPaymentProvider } from '../lambdas/adapters/http-payment-provider';
import { apiKeyFromSecret } from '../lambdas/adapters/provider-api-key';
import { confirmBatch } from '../lambdas/domain/confirm-batch';
import { shardKey } from '../lambdas/domain/pending-shard';
import { systemClock } from '../lambdas/shared/clock';
import {
  DOCUMENT_CLIENT_TRANSLATION,
  DYNAMODB_CLIENT_CONFIG,
  SECRETS_MANAGER_CLIENT_CONFIG,
} from '../lambdas/shared/aws-client-config';
import { LocalRuntime, mergedFunctionEnvironment } from '../local/runtime/local-runtime';
import { integer } from '../cli/arg-parsers';
import { percentile, round } from './stats';

export type MeasurementKind = 'ceiling' | 'baseline' | 'workflow';

export interface Measurement {
  kind: MeasurementKind;
  latencyMs: number;
  transactions: number;
  seconds: number;
  txPerSecond: number;
  /** Per-transaction latency (docs/performance.md says what it spans per kind). */
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  /** Ceiling only: conditional UpdateItem/s per concurrency tried, and the batched read rate. */
  writesPerSecondByConcurrency?: Record<string, number>;
  readItemsPerSecond?: number;
  /** Workflow only: the run's status and totals. */
  status?: string;
  confirmed?: number;
  rejected?: number;
}

/** In-flight writes tried for the ceiling; the workflow runs up to maxConcurrency × inBatchParallelism. */
export const CEILING_CONCURRENCY = [1, 16, 64, 128];

/** Transactions run before the measured ones, in the same process. */
export const WARM_UP = { workflow: 1000, baseline: 50 } as const;

const peakRssMb = () => round(process.resourceUsage().maxRSS / 1024);

/** The figures every kind reports: rate, latency percentiles, this process's peak RSS. */
function figures(
  kind: MeasurementKind,
  latencyMs: number,
  transactions: number,
  seconds: number,
  durations: readonly number[],
): Measurement {
  return {
    kind,
    latencyMs,
    transactions,
    seconds: round(seconds, 3),
    txPerSecond: round(transactions / seconds),
    p50Ms: round(percentile(durations, 50), 2),
    p99Ms: round(percentile(durations, 99), 2),
    peakRssMb: peakRssMb(),
  };
}

async function withRuntime<T>(
  latencyMs: number,
  body: (runtime: LocalRuntime, durations: number[]) => Promise<T>,
): Promise<T> {
  const durations: number[] = [];
  const runtime = await LocalRuntime.start({
    provider: { latencyMs },
    // Per-transaction latency of the workflow: how long its confirm-batch invocation took.
    interceptInvoke: async (call) => {
      if (call.handler !== 'confirm-batch') return call.invoke();
      const started = performance.now();
      const result = await call.invoke();
      const ms = performance.now() - started;
      const items = (call.event as { Items?: unknown[] }).Items?.length ?? 0;
      for (let i = 0; i < items; i += 1) durations.push(ms);
      return result;
    },
  });
  try {
    return await body(runtime, durations);
  } finally {
    await runtime.close();
  }
}

/** A document client configured exactly as the handlers' (lambdas/shared/aws-clients.ts). */
function handlerDocumentClient(): { ddb: DynamoDBDocumentClient; close: () => void } {
  const base = new DynamoDBClient(DYNAMODB_CLIENT_CONFIG);
  return {
    ddb: DynamoDBDocumentClient.from(base, DOCUMENT_CLIENT_TRANSLATION),
    close: () => base.destroy(),
  };
}

function repository(runtime: LocalRuntime, ddb: DynamoDBDocumentClient) {
  return new DynamoTransactionRepository(ddb, {
    tableName: runtime.stack.tableNames.transactions,
    pendingIndexName: runtime.stack.tableNames.pendingIndex,
  });
}

async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * The store's own rate for the write a confirmation needs: the terminal conditional UpdateItem of
 * the handlers' repository (status = PENDING guard, REMOVE pendingShard), at several concurrencies
 * (the best is the ceiling); and the strongly consistent BatchGetItem of 100 ids they read with.
 */
async function ceiling(transactions: number): Promise<Measurement> {
  return withRuntime(0, async (runtime) => {
    const { ddb, close } = handlerDocumentClient();
    try {
      const repo = repository(runtime, ddb);
      const byConcurrency: Record<string, number> = {};
      let best = { seconds: Number.POSITIVE_INFINITY, durations: [] as number[] };
      let readRate = 0;
      for (const concurrency of CEILING_CONCURRENCY) {
        const ids = await runtime.seedTransactions(
          transactions,
          new Date(Date.now() - 60_000 * (concurrency + 1)),
        );
        if (concurrency === CEILING_CONCURRENCY[CEILING_CONCURRENCY.length - 1]) {
          const chunks: string[][] = [];
          for (let i = 0; i < ids.length; i += 100) chunks.push(ids.slice(i, i + 100));
          const readStart = performance.now();
          await inParallel(chunks, 4, async (chunk) => {
            await repo.getMany(chunk);
          });
          readRate = ids.length / ((performance.now() - readStart) / 1000);
        }
        const durations: number[] = [];
        const now = new Date().toISOString();
        const started = performance.now();
        await inParallel(ids, concurrency, async (id) => {
          const t0 = performance.now();
          const result = await repo.write(
            id,
            { status: 'CONFIRMED', providerRef: `pr_${id}`, guard: { status: 'PENDING' } },
            { runId: 'bench-ceiling', now },
          );
          if (result !== 'written') throw new Error(`ceiling write for ${id}: ${result}`);
          durations.push(performance.now() - t0);
        });
        const seconds = (performance.now() - started) / 1000;
        const rate = ids.length / seconds;
        byConcurrency[String(concurrency)] = round(rate);
        if (seconds < best.seconds) best = { seconds, durations };
      }
      return {
        ...figures('ceiling', 0, transactions, best.seconds, best.durations),
        writesPerSecondByConcurrency: byConcurrency,
        readItemsPerSecond: round(readRate),
      };
    } finally {
      close();
    }
  });
}

/**
 * The cron script being replaced: page the pending index, then one transaction at a time: read it,
 * call the provider, write the outcome (the handlers' own domain code and adapters, batch of one).
 */
async function baseline(transactions: number, latencyMs: number): Promise<Measurement> {
  return withRuntime(latencyMs, async (runtime) => {
    const { ddb, close } = handlerDocumentClient();
    const secrets = new SecretsManagerClient(SECRETS_MANAGER_CLIENT_CONFIG);
    try {
      const env = mergedFunctionEnvironment(runtime.stack);
      const repo = repository(runtime, ddb);
      const provider = new HttpPaymentProvider({
        baseUrl: runtime.provider.url,
        timeoutMs: Number(env[ENV.PROVIDER_TIMEOUT_MS]),
        apiKey: apiKeyFromSecret(env[ENV.PROVIDER_SECRET_ID], secrets),
      });
      const shards = Number(env[ENV.SHARD_COUNT]);
      const script = async (durations: number[]): Promise<number> => {
        const cutoff = new Date().toISOString();
        let handled = 0;
        for (let shard = 0; shard < shards; shard += 1) {
          let cursor: Record<string, string> | undefined;
          do {
            const page = await repo.queryPending({
              shard: shardKey(shard, shards),
              cutoff,
              limit: 100,
              exclusiveStartKey: cursor,
            });
            for (const item of page.items) {
              const t0 = performance.now();
              const result = await confirmBatch(
                { ids: [item.id], runId: 'bench-baseline', dryRun: false },
                { transactions: repo, provider, clock: systemClock },
                {
                  maxAttempts: Number(env[ENV.MAX_ATTEMPTS]),
                  parallelism: 1,
                  providerTimeoutMs: Number(env[ENV.PROVIDER_TIMEOUT_MS]),
                  remainingMs: () => Number.MAX_SAFE_INTEGER,
                },
              );
              durations.push(performance.now() - t0);
              handled += result.confirmed + result.rejected + result.failed;
            }
            cursor = page.lastKey;
          } while (cursor);
        }
        return handled;
      };
      // Warm-up (JIT, connection pools): not measured.
      await runtime.seedTransactions(WARM_UP.baseline, new Date(Date.now() - 120_000));
      await script([]);
      await runtime.seedTransactions(transactions);
      const durations: number[] = [];
      const started = performance.now();
      const handled = await script(durations);
      const seconds = (performance.now() - started) / 1000;
      if (handled !== transactions) {
        throw new Error(`baseline handled ${handled} of ${transactions} transactions`);
      }
      return figures('baseline', latencyMs, transactions, seconds, durations);
    } finally {
      close();
      secrets.destroy();
    }
  });
}

/** `npm start`'s path: one run of the synthesized workflow over the seeded backlog. */
async function workflow(transactions: number, latencyMs: number): Promise<Measurement> {
  return withRuntime(latencyMs, async (runtime, durations) => {
    // Warm-up (JIT, connection pools), as the ceiling's earlier levels warm it: not measured.
    await runtime.seedTransactions(WARM_UP.workflow, new Date(Date.now() - 120_000));
    await runtime.waitForRun(runtime.startRun().executionArn);
    // The measured run must find exactly its own backlog: what the warm-up left PENDING (a batch
    // that failed on a loaded machine) is drained first, by more unmeasured runs.
    for (let extra = 0; (await runtime.storeCounts()).PENDING > 0; extra += 1) {
      if (extra === 3) throw new Error('the warm-up backlog is still PENDING after 3 more runs');
      await runtime.waitForRun(runtime.startRun().executionArn);
    }
    durations.length = 0;
    await runtime.seedTransactions(transactions);
    const started = performance.now();
    const outcome = await runtime.waitForRun(runtime.startRun().executionArn);
    const seconds = (performance.now() - started) / 1000;
    const counts = await runtime.storeCounts();
    if (
      outcome.final.status !== 'SUCCEEDED' ||
      counts.PENDING !== 0 ||
      outcome.summary?.totals.fetched !== transactions
    ) {
      const why = outcome.skippedBy
        ? `was SKIPPED (the lock was held by ${outcome.skippedBy.runId})`
        : `ended ${outcome.final.status}, fetched ${outcome.summary?.totals.fetched ?? 'no summary'} of ${transactions}`;
      throw new Error(`workflow run ${why}, with ${counts.PENDING} still PENDING`);
    }
    return {
      ...figures('workflow', latencyMs, transactions, seconds, durations),
      status: outcome.final.status,
      confirmed: outcome.summary?.totals.confirmed,
      rejected: outcome.summary?.totals.rejected,
    };
  });
}

export async function measure(
  kind: MeasurementKind,
  transactions: number,
  latencyMs: number,
): Promise<Measurement> {
  if (kind === 'ceiling') return ceiling(transactions);
  if (kind === 'baseline') return baseline(transactions, latencyMs);
  return workflow(transactions, latencyMs);
}

if (require.main === module) {
  const program = new Command('bench-measure')
    .addOption(
      new Option('--kind <kind>', 'what to measure')
        .choices(['ceiling', 'baseline', 'workflow'])
        .makeOptionMandatory(),
    )
    .requiredOption('--transactions <n>', 'transactions', integer('--transactions', 1, 1_000_000))
    .option('--latency-ms <ms>', 'provider latency', integer('--latency-ms', 0, 10_000), 0)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse();
  const options = program.opts<{
    kind: MeasurementKind;
    transactions: number;
    latencyMs: number;
  }>();
  measure(options.kind, options.transactions, options.latencyMs).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
