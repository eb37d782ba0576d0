// The reliability suite's harness: the real local runtime (synthesized workflow, in-process
// handlers, dynalite, the simulated provider over loopback HTTP), fault hooks, and the
// docs/architecture.md §4 invariants read back from the store and the provider's call log after
// every scenario.
import * as fs from 'node:fs';
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { SimulatedCall } from '../../local/fakes/provider-simulator';
import {
  LocalRuntime,
  type LocalRuntimeOptions,
  type RunOutcome,
  mergedFunctionEnvironment,
} from '../../local/runtime/local-runtime';
import { ENV } from '../../lambdas/contracts';
import { BREAKER_KEY } from '../../lambdas/adapters/dynamo-provider-breaker';
import { RUN_PARTITION } from '../../lambdas/adapters/dynamo-run-store';
import type { BreakerRecord, RunRecord } from '../../lambdas/domain/ports';
import { makeRunId } from '../../lambdas/domain/run-state';

export const isolateModules = (load: () => void) => jest.isolateModules(load);

/** RELIABILITY_SCALE multiplies the transaction counts (CI: 1; bigger local runs: 5, 20, ...). */
export class InvalidReliabilityScale extends Error {
  override readonly name = 'InvalidReliabilityScale';
}

/** This process's scale (RELIABILITY_SCALE). */
export function reliabilityScale(): number {
  return parseReliabilityScale(process.env.RELIABILITY_SCALE);
}

export function parseReliabilityScale(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) {
    throw new InvalidReliabilityScale(
      `RELIABILITY_SCALE must be a number in (0, 1000], got ${JSON.stringify(value)}`,
    );
  }
  return scale;
}

/** A scenario's transaction count at this scale (at least 1). */
export function scaled(count: number): number {
  return Math.max(1, Math.round(count * reliabilityScale()));
}

export async function withRuntime<T>(
  options: LocalRuntimeOptions,
  body: (runtime: LocalRuntime) => Promise<T>,
): Promise<T> {
  const runtime = await LocalRuntime.start({ retryIntervalScale: 0, isolateModules, ...options });
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

export interface StoredTransaction {
  id: string;
  status: string;
  amount?: unknown;
  currency?: unknown;
  createdAt?: unknown;
  pendingShard?: string;
  providerRef?: string;
  attempts?: number;
  lastError?: string;
  runId?: string;
  terminalWrites?: number;
  requeueCount?: number;
}

async function scanAll(
  runtime: LocalRuntime,
  indexName?: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateScan(
    { client: runtime.ddb },
    {
      TableName: runtime.stack.tableNames.transactions,
      ...(indexName === undefined ? { ConsistentRead: true } : { IndexName: indexName }),
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

export async function allTransactions(runtime: LocalRuntime): Promise<StoredTransaction[]> {
  return (await scanAll(runtime)) as unknown as StoredTransaction[];
}

/**
 * One transaction exactly as stored (DynamoDB JSON: numbers stay strings), for numbers the
 * harness's document client cannot convert (`runtime.ddb` reads them as JS numbers).
 */
export async function rawItem(
  runtime: LocalRuntime,
  id: string,
): Promise<Record<string, AttributeValue> | undefined> {
  const client = new DynamoDBClient({
    endpoint: runtime.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: runtime.stack.tableNames.transactions,
        Key: { id: { S: id } },
        ConsistentRead: true,
      }),
    );
    return Item;
  } finally {
    client.destroy();
  }
}

/** Calls recorded in a provider call log file (JSON lines; a torn last line is skipped). */
export function readCallLog(file: string): SimulatedCall[] {
  if (!fs.existsSync(file)) return [];
  const calls: SimulatedCall[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      calls.push(JSON.parse(line) as SimulatedCall);
    } catch {
      // A kill mid-append tears the last line.
    }
  }
  return calls;
}

export interface InvariantOptions {
  /** The provider calls to check (default: the runtime's simulator, this process). */
  readonly calls?: readonly SimulatedCall[];
  /** MAX_ATTEMPTS of the stack (default: the runtime's function environment). */
  readonly maxAttempts?: number;
}

export interface InvariantReport {
  readonly counts: Record<'PENDING' | 'CONFIRMED' | 'REJECTED' | 'FAILED', number>;
  readonly items: StoredTransaction[];
  /** Provider calls that carried a final outcome without being a replay: charges + rejections. */
  readonly freshFinalCalls: number;
  readonly replays: number;
}

const TERMINAL = new Set(['CONFIRMED', 'REJECTED', 'FAILED']);

/**
 * docs/architecture.md §4 read back from the store, the pending index and the provider's call
 * log:
 * 1. nothing lost: every seeded transaction is there in exactly one known status; PENDING items
 *    and only they are in the pending index;
 * 2. one terminal write: `terminalWrites` = requeueCount + 1 on a terminal item (0 on PENDING);
 * 3. safe provider calls: every call carried the idempotency key = transaction id and the stored
 *    amount/currency; a key got at most one fresh final outcome and every repeat answered it;
 *    CONFIRMED holds the reference of its key, REJECTED was rejected by the provider;
 * 4. bounded retries: attempts <= maxAttempts; FAILED carries lastError.
 */
export async function expectInvariants(
  runtime: LocalRuntime,
  seeded: readonly string[],
  options: InvariantOptions = {},
): Promise<InvariantReport> {
  // Handlers of a failed or cancelled map may still be finishing their writes.
  await runtime.settled();
  const items = await allTransactions(runtime);
  const byId = new Map(items.map((t) => [t.id, t]));
  const counts = { PENDING: 0, CONFIRMED: 0, REJECTED: 0, FAILED: 0 };
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 20) problems.push(text);
  };
  const maxAttempts =
    options.maxAttempts ?? Number(mergedFunctionEnvironment(runtime.stack)[ENV.MAX_ATTEMPTS]);

  if (items.length !== seeded.length) {
    problem(`store holds ${items.length} transactions, ${seeded.length} were seeded`);
  }
  for (const id of seeded) {
    const t = byId.get(id);
    if (t === undefined) {
      problem(`${id}: lost (not in the store)`);
      continue;
    }
    if (!(t.status in counts)) {
      problem(`${id}: unknown status ${String(t.status)}`);
      continue;
    }
    counts[t.status as keyof typeof counts] += 1;
    const terminal = TERMINAL.has(t.status);
    if (terminal === (t.pendingShard !== undefined)) {
      problem(`${id}: status ${t.status} with pendingShard ${String(t.pendingShard)}`);
    }
    const lives = (t.requeueCount ?? 0) + (terminal ? 1 : 0);
    if ((t.terminalWrites ?? 0) !== lives) {
      problem(
        `${id}: ${t.status} written terminal ${t.terminalWrites ?? 0} times, expected ${lives}`,
      );
    }
    if (typeof t.attempts === 'number' && t.attempts > maxAttempts) {
      problem(`${id}: attempts ${t.attempts} > maxAttempts ${maxAttempts}`);
    }
    if (t.status === 'PENDING' && typeof t.attempts === 'number' && t.attempts >= maxAttempts) {
      problem(`${id}: PENDING with attempts ${t.attempts} >= maxAttempts (should be FAILED)`);
    }
    if (t.status === 'FAILED' && !(typeof t.lastError === 'string' && t.lastError !== '')) {
      problem(`${id}: FAILED without lastError`);
    }
  }

  // The pending index holds exactly the PENDING items (nothing left out, nothing stale).
  const indexed = new Set(
    (await scanAll(runtime, runtime.stack.tableNames.pendingIndex)).map((e) => String(e.id)),
  );
  for (const t of items) {
    if (t.status === 'PENDING' && !indexed.has(t.id)) problem(`${t.id}: PENDING but not indexed`);
    if (t.status !== 'PENDING' && indexed.has(t.id)) problem(`${t.id}: ${t.status} but indexed`);
  }

  const calls = options.calls ?? runtime.provider.calls();
  const finalByKey = new Map<string, string>();
  const freshFinals = new Map<string, number>();
  let replays = 0;
  for (const call of calls) {
    if (!call.authorized) continue;
    if (call.idempotencyKey === undefined || call.idempotencyKey !== call.transactionId) {
      problem(
        `a call for ${String(call.transactionId)} carried key ${String(call.idempotencyKey)}`,
      );
      continue;
    }
    const t = byId.get(call.idempotencyKey);
    if (t !== undefined && call.amount !== undefined && call.amount !== t.amount) {
      problem(`${t.id}: provider charged amount ${call.amount}, stored ${String(t.amount)}`);
    }
    if (call.outcome !== 'confirmed' && call.outcome !== 'rejected') continue;
    const current = `${call.outcome}:${call.reference ?? call.reason ?? ''}`;
    const previous = finalByKey.get(call.idempotencyKey);
    if (previous !== undefined && previous !== current) {
      problem(`${call.idempotencyKey}: provider answered ${current} after ${previous}`);
    }
    finalByKey.set(call.idempotencyKey, current);
    if (call.replayed) replays += 1;
    else freshFinals.set(call.idempotencyKey, (freshFinals.get(call.idempotencyKey) ?? 0) + 1);
  }
  for (const [key, n] of freshFinals) {
    if (n > 1) problem(`${key}: ${n} fresh final outcomes at the provider (double charge)`);
  }
  for (const t of items) {
    const final = finalByKey.get(t.id);
    if (t.status === 'CONFIRMED' && final !== `confirmed:${t.providerRef}`) {
      problem(`${t.id}: CONFIRMED with ${t.providerRef}, provider said ${String(final)}`);
    }
    if (t.status === 'REJECTED' && !final?.startsWith('rejected:')) {
      problem(`${t.id}: REJECTED but the provider said ${String(final)}`);
    }
  }

  expect(problems).toEqual([]);
  return {
    counts,
    items,
    freshFinalCalls: [...freshFinals.values()].reduce((a, b) => a + b, 0),
    replays,
  };
}

/** Runs executions until one finishes with nothing left PENDING (or `maxRuns` is reached). */
export async function runUntilDrained(runtime: LocalRuntime, maxRuns = 5): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  for (let i = 0; i < maxRuns; i += 1) {
    const outcome = await runtime.waitForRun(runtime.startRun().executionArn);
    outcomes.push(outcome);
    if ((await runtime.storeCounts()).PENDING === 0) break;
  }
  return outcomes;
}

/** The provider circuit breaker's item as stored (undefined: never opened). */
export async function breakerOf(runtime: LocalRuntime): Promise<BreakerRecord | undefined> {
  const { Item } = await runtime.ddb.send(
    new GetCommand({
      TableName: runtime.stack.tableNames.runs,
      Key: BREAKER_KEY,
      ConsistentRead: true,
    }),
  );
  return Item as BreakerRecord | undefined;
}

/**
 * The scenarios' clock for the breaker: `seconds` pass for it (its retryAt and any probe claim
 * move that much closer), instead of the test sleeping through an open period.
 */
export async function advanceBreakerClock(runtime: LocalRuntime, seconds: number): Promise<void> {
  const breaker = await breakerOf(runtime);
  if (breaker === undefined) return;
  const earlier = (iso: string | undefined) =>
    iso === undefined ? undefined : new Date(Date.parse(iso) - seconds * 1000).toISOString();
  const retryAt = earlier(breaker.retryAt);
  const probeUntil = earlier(breaker.probeUntil);
  const set = [
    ...(retryAt === undefined ? [] : ['retryAt = :retryAt']),
    ...(probeUntil === undefined ? [] : ['probeUntil = :probeUntil']),
  ];
  if (set.length === 0) return;
  await runtime.ddb.send(
    new UpdateCommand({
      TableName: runtime.stack.tableNames.runs,
      Key: BREAKER_KEY,
      UpdateExpression: `SET ${set.join(', ')}`,
      ExpressionAttributeValues: {
        ...(retryAt === undefined ? {} : { ':retryAt': retryAt }),
        ...(probeUntil === undefined ? {} : { ':probeUntil': probeUntil }),
      },
    }),
  );
}

/** Time passes for the breaker until it lets the next batch probe the provider. */
export async function letBreakerRetry(runtime: LocalRuntime): Promise<void> {
  const breaker = await breakerOf(runtime);
  const due = [breaker?.retryAt, breaker?.probeUntil].filter((t): t is string => t !== undefined);
  if (due.length === 0) return;
  const latest = Math.max(...due.map((t) => Date.parse(t)));
  await advanceBreakerClock(runtime, Math.max(0, (latest - Date.now()) / 1000) + 1);
}

/** The run record of a run, by its first execution (the runId is its start time and name). */
export async function runRecordOf(
  runtime: LocalRuntime,
  outcome: RunOutcome,
): Promise<RunRecord | undefined> {
  const first = outcome.executions[0];
  const { Item } = await runtime.ddb.send(
    new GetCommand({
      TableName: runtime.stack.tableNames.runs,
      Key: { pk: RUN_PARTITION, sk: makeRunId(new Date(first.startDate), first.name) },
      ConsistentRead: true,
    }),
  );
  return Item as RunRecord | undefined;
}
