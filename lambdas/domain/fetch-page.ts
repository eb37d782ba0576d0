import {
  type Cursor,
  type FetchPageEvent,
  type FetchPageResult,
  MANIFEST_PREFIX,
  type Page,
  type ProviderOutage,
  type RunContext,
  type RunTotals,
} from '../contracts';
import { LockLost, describeError } from './errors';
import { shardKey } from './pending-shard';
import type {
  BreakerRecord,
  Clock,
  Log,
  PageManifestStore,
  ProviderBreakerStore,
  RunStore,
  TransactionRepository,
} from './ports';
import { silentLog } from './ports';
import { addSeconds } from './run-state';
import { addBatchResults, batchResultSchema } from './totals';

export interface FetchPageDeps {
  transactions: TransactionRepository;
  runs: RunStore;
  /** The provider circuit breaker (read only here). */
  breaker: Pick<ProviderBreakerStore, 'read'>;
  /** Where each page's ids go for ConfirmPage's ItemReader. */
  manifests: PageManifestStore;
  clock: Clock;
  log?: Log;
}

export interface FetchPageOptions {
  shardCount: number;
  pageSize: number;
  maxPagesPerExecution: number;
  leaseSeconds: number;
}

/** Transactions a page's batches left untouched because the provider circuit breaker was open. */
export function unavailableIn(pageResults: readonly unknown[] | undefined): number {
  let unavailable = 0;
  for (const entry of pageResults ?? []) {
    const parsed = batchResultSchema.safeParse(entry);
    if (parsed.success) unavailable += parsed.data.unavailable;
  }
  return unavailable;
}

/**
 * Whether the run stops for a provider outage (docs/architecture.md §4, "The provider circuit
 * breaker"): the breaker is not CLOSED and either this page's batches left transactions
 * untouched, or it is OPEN with its retry time still ahead (a page now would not call anyone).
 */
export function outageStopsRun(breaker: BreakerRecord, unavailable: number, now: Date): boolean {
  if (breaker.state === 'CLOSED') return false;
  if (unavailable > 0) return true;
  return (
    breaker.state === 'OPEN' && breaker.retryAt !== undefined && breaker.retryAt > now.toISOString()
  );
}

/** What the run record and the failed execution say about the outage. */
export function describeOutage(
  breaker: BreakerRecord,
  totals: RunTotals,
  unavailable: number,
): ProviderOutage {
  const reason = breaker.reason ?? `circuit breaker ${breaker.state}`;
  // HALF_OPEN: a probe is under way; its claim ends at probeUntil at the latest.
  const retryAt =
    (breaker.state === 'HALF_OPEN' ? breaker.probeUntil : undefined) ?? breaker.retryAt ?? '';
  const left =
    unavailable > 0
      ? ` ${unavailable} transactions of the last page (${totals.unavailable} in this run) were left PENDING untouched (attempts unchanged).`
      : '';
  return {
    reason,
    retryAt,
    ...(breaker.openedAt === undefined ? {} : { openedAt: breaker.openedAt }),
    cause:
      `payment provider unavailable (circuit breaker ${breaker.state}${breaker.openedAt === undefined ? '' : ` since ${breaker.openedAt}`}): ${reason}; ` +
      `the next run after ${retryAt || 'the retry time'} probes it and, if it answers, confirms the backlog (no requeue needed).${left}`,
  };
}

/**
 * One iteration of the loop (docs/architecture.md §3): fold the previous page's results into the
 * totals, renew the lease, stop for a provider outage (the circuit breaker), then decide what
 * comes next and read the next page of ids if it is CONFIRM. The run record gets the running
 * totals as each page is dispatched, so a run that never finishes still shows what it did.
 */
export async function fetchPage(
  event: FetchPageEvent,
  deps: FetchPageDeps,
  options: FetchPageOptions,
): Promise<FetchPageResult> {
  const log = deps.log ?? silentLog;
  const { run, executionArn } = event;
  const totals =
    event.pageResults === undefined
      ? event.totals
      : addBatchResults(event.totals, event.pageResults);

  const renewed = await deps.runs.renewLock({
    runId: run.runId,
    executionArn,
    expiresAt: addSeconds(deps.clock.now(), options.leaseSeconds).toISOString(),
  });
  if (!renewed) {
    throw new LockLost(
      `run ${run.runId}: the lock is no longer held by ${executionArn} (its lease expired and another run took it over)`,
    );
  }

  const state = {
    run,
    cursor: event.cursor,
    totals,
    executionArn,
    pagesThisExecution: event.pagesThisExecution,
  };
  const noPage: Page = { count: 0 };
  // The previous page is done (its results are folded above): its manifest goes. Before any
  // early return, so every way out of the loop leaves none behind but the page in flight.
  await removeManifest(deps, event.page, run.runId);

  // A dry run never calls the provider, so the breaker does not concern it.
  if (!run.dryRun) {
    const breaker = await deps.breaker.read();
    const unavailable = unavailableIn(event.pageResults);
    if (outageStopsRun(breaker, unavailable, deps.clock.now())) {
      const providerUnavailable = describeOutage(breaker, totals, unavailable);
      log.warn('provider unavailable: the run stops', {
        runId: run.runId,
        breaker: breaker.state,
        reason: providerUnavailable.reason,
        retryAt: providerUnavailable.retryAt,
        unavailable,
      });
      return { ...state, next: 'UNAVAILABLE', page: noPage, providerUnavailable };
    }
  }

  if (event.cursor === null || totals.fetched >= run.maxItems) {
    return { ...state, next: 'FINISH', page: noPage };
  }
  if (event.pagesThisExecution >= options.maxPagesPerExecution) {
    log.info('continuing as a new execution', { runId: run.runId, pages: totals.pages });
    await recordProgress(deps, state);
    return {
      ...state,
      next: 'CONTINUE',
      page: noPage,
      resume: { run, cursor: event.cursor, totals },
    };
  }

  const limit = Math.min(options.pageSize, run.maxItems - totals.fetched);
  const { ids, cursor } =
    event.cursor.kind === 'ids'
      ? readExplicitIds(run, event.cursor.offset, limit)
      : await readPendingIndex(deps.transactions, run, event.cursor, {
          limit,
          shardCount: options.shardCount,
        });

  if (ids.length === 0) {
    return { ...state, cursor, next: 'FINISH', page: noPage };
  }
  const pageNumber = totals.pages + 1;
  const manifest = await deps.manifests.write(manifestKey(run.runId, pageNumber), ids);
  const result: FetchPageResult = {
    ...state,
    cursor,
    totals: { ...totals, pages: pageNumber, fetched: totals.fetched + ids.length },
    pagesThisExecution: event.pagesThisExecution + 1,
    next: 'CONFIRM',
    page: { count: ids.length, manifest },
  };
  await recordProgress(deps, result);
  return result;
}

/**
 * The running totals into the run record (FINISH and UNAVAILABLE leave it to FinishRun, which
 * writes the final record next). Not written when the record is no longer this execution's
 * RUNNING run: the final record wins.
 */
async function recordProgress(
  deps: FetchPageDeps,
  state: { run: RunContext; executionArn: string; totals: RunTotals },
): Promise<void> {
  const written = await deps.runs.recordProgress(state.run.runId, {
    executionArn: state.executionArn,
    totals: state.totals,
    at: deps.clock.now().toISOString(),
  });
  if (!written) {
    (deps.log ?? silentLog).warn(
      'run record not RUNNING under this execution: progress not written',
      {
        runId: state.run.runId,
        executionArn: state.executionArn,
      },
    );
  }
}

function readExplicitIds(
  run: RunContext,
  offset: number,
  limit: number,
): { ids: string[]; cursor: Cursor | null } {
  const all = run.transactionIds ?? [];
  const ids = all.slice(offset, offset + limit);
  const end = offset + ids.length;
  return { ids, cursor: end >= all.length ? null : { kind: 'ids', offset: end } };
}

async function readPendingIndex(
  transactions: TransactionRepository,
  run: RunContext,
  start: Extract<Cursor, { kind: 'index' }>,
  bounds: { limit: number; shardCount: number },
): Promise<{ ids: string[]; cursor: Cursor | null }> {
  const ids: string[] = [];
  let shard = start.shard;
  let lastKey = start.lastKey;
  while (ids.length < bounds.limit && shard < bounds.shardCount) {
    const page = await transactions.queryPending({
      shard: shardKey(shard, bounds.shardCount),
      cutoff: run.cutoff,
      limit: bounds.limit - ids.length,
      ...(lastKey === undefined ? {} : { exclusiveStartKey: lastKey }),
    });
    for (const item of page.items) ids.push(item.id);
    if (page.lastKey === undefined) {
      shard += 1;
      lastKey = undefined;
    } else {
      lastKey = page.lastKey;
    }
  }
  if (shard >= bounds.shardCount) return { ids, cursor: null };
  return { ids, cursor: { kind: 'index', shard, ...(lastKey === undefined ? {} : { lastKey }) } };
}

/**
 * The S3 key of a page's manifest: under the run, numbered, so a page that is read again (a retried
 * FetchPage) overwrites its own object and nothing else.
 */
export function manifestKey(runId: string, pageNumber: number): string {
  return `${MANIFEST_PREFIX}${runId}/page-${String(pageNumber).padStart(6, '0')}.json`;
}

/**
 * Deletes the manifest of the page just done. A failed delete does not stop the run: the bucket's
 * lifecycle rule expires what is left behind (lib/page-manifest-bucket.ts).
 */
async function removeManifest(
  deps: FetchPageDeps,
  page: Page | undefined,
  runId: string,
): Promise<void> {
  if (page?.manifest === undefined) return;
  try {
    await deps.manifests.remove(page.manifest);
  } catch (error) {
    (deps.log ?? silentLog).warn('page manifest not deleted: the lifecycle rule expires it', {
      runId,
      key: page.manifest.key,
      error: describeError(error),
    });
  }
}

/**
 * createdAt of the oldest PENDING transaction (before `before`), or undefined for an empty
 * backlog: one 1-item query per shard (the index sorts by createdAt). Feeds the oldest-pending
 * age metric behind the freshness SLO.
 */
export async function oldestPendingCreatedAt(
  transactions: TransactionRepository,
  shardCount: number,
  before: string,
): Promise<string | undefined> {
  const heads = await Promise.all(
    Array.from({ length: shardCount }, (_, shard) =>
      transactions.queryPending({ shard: shardKey(shard, shardCount), cutoff: before, limit: 1 }),
    ),
  );
  const oldest = heads.flatMap((page) => page.items.map((item) => item.createdAt)).sort();
  return oldest[0];
}

/** The first FetchPage of a run over the index (not after ContinueAsNew, not a manual run). */
export function isFirstIndexPage(event: FetchPageEvent): boolean {
  return (
    event.totals.pages === 0 &&
    event.pagesThisExecution === 0 &&
    event.cursor?.kind === 'index' &&
    event.cursor.shard === 0 &&
    event.cursor.lastKey === undefined
  );
}
