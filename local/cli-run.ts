/**
 * What `npm start` does once its flags are parsed: start the local runtime, seed, run one
 * execution (or the schedule), show a live progress bar on stderr and a summary on stdout.
 */
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { BatchResult } from '../lambdas/contracts';
import { type LocalRunOptions, providerKnobs } from './cli-options';
import { type RunOutcome, LocalRuntime, type StoreCounts } from './runtime';
import { LocalScheduler } from './scheduler';

/** The machine-readable summary (`--json`). */
export interface RunReport {
  status: string;
  runId?: string;
  skippedBy?: string;
  error?: string;
  seeded: number;
  confirmed: number;
  rejected: number;
  failed: number;
  deferred: number;
  skipped: number;
  durationMs: number;
  txPerSecond: number;
  executions: number;
  store: StoreCounts;
  provider: { calls: number };
  logFile: string;
}

export async function runLocal(options: LocalRunOptions): Promise<number> {
  const progress = new Progress(!options.json || process.stderr.isTTY === true);
  const runtime = await LocalRuntime.start({
    dataDir: options.dataDir,
    provider: providerKnobs(options),
    onBatch: (result, items) => progress.batch(result, items),
  });
  if (runtime.indexRepairs > 0) {
    process.stderr.write(
      `Repaired ${runtime.indexRepairs} pending-index entries a killed process left out of step (see README: Restarts and crashes)\n`,
    );
  }
  try {
    if (options.schedule) return await runSchedule(runtime, options, progress);
    return await runOnce(runtime, options, progress);
  } finally {
    progress.stop();
    await runtime.close();
  }
}

async function runOnce(
  runtime: LocalRuntime,
  options: LocalRunOptions,
  progress: Progress,
): Promise<number> {
  if (options.transactions > 0) await runtime.seedTransactions(options.transactions);
  const before = await runtime.storeCounts();
  const started = Date.now();
  const execution = runtime.startRun({});

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(
      '\nStopping: the execution is aborted; nothing is lost (Ctrl-C again to quit at once)\n',
    );
    runtime.engine.stopExecution(execution.executionArn, {
      error: 'Interrupted',
      cause: 'Ctrl-C in txconfirm-local',
    });
  };
  process.on('SIGINT', onSigint);
  progress.start(before.PENDING);
  try {
    const outcome = await runtime.waitForRun(execution.executionArn);
    progress.stop();
    const report = await buildReport(runtime, outcome, options.transactions, Date.now() - started);
    printReport(report, options.json);
    if (interrupted) return 130;
    return report.status === 'SUCCEEDED' || report.status === 'SKIPPED' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function runSchedule(
  runtime: LocalRuntime,
  options: LocalRunOptions,
  progress: Progress,
): Promise<number> {
  if (options.transactions > 0) await runtime.seedTransactions(options.transactions);
  let failures = 0;
  const running = new Set<Promise<void>>();
  const scheduler = new LocalScheduler(runtime, {
    fireAtStart: true,
    onFire: (execution) => {
      const started = Date.now();
      const done = runtime
        .storeCounts()
        .then((before) => progress.start(before.PENDING))
        .then(() => runtime.waitForRun(execution.executionArn))
        .then(async (outcome) => {
          progress.stop();
          const report = await buildReport(runtime, outcome, 0, Date.now() - started);
          printReport(report, options.json);
          if (report.status !== 'SUCCEEDED' && report.status !== 'SKIPPED') failures += 1;
          const next = scheduler.nextFireTime();
          if (next) process.stderr.write(`Next run at ${next.toISOString()}\n`);
        });
      running.add(done);
      void done.finally(() => running.delete(done));
    },
  });
  process.stderr.write(
    `Schedule ${scheduler.expression} (from the synthesized stack). Ctrl-C stops after the running execution.\n`,
  );

  let stopping = false;
  await new Promise<void>((resolve) => {
    const onSigint = () => {
      if (stopping) {
        // Second Ctrl-C: abort what runs (conditional writes: still nothing lost).
        for (const e of runtime.engine.listExecutions({ statusFilter: 'RUNNING' })) {
          runtime.engine.stopExecution(e.executionArn, { error: 'Interrupted' });
        }
        return;
      }
      stopping = true;
      process.stderr.write(
        '\nStopping after the running execution (Ctrl-C again to abort it; nothing is lost either way)\n',
      );
      scheduler.stop();
      void Promise.all([...running]).then(() => {
        process.off('SIGINT', onSigint);
        resolve();
      });
    };
    process.on('SIGINT', onSigint);
    scheduler.start();
  });
  return failures === 0 ? 0 : 1;
}

async function buildReport(
  runtime: LocalRuntime,
  outcome: RunOutcome,
  seeded: number,
  durationMs: number,
): Promise<RunReport> {
  const totals = outcome.summary?.totals;
  const store = await runtime.storeCounts();
  const handled = totals
    ? totals.confirmed + totals.rejected + totals.failed + totals.deferred + totals.skipped
    : 0;
  const status = outcome.skippedBy ? 'SKIPPED' : outcome.final.status;
  return {
    status,
    runId: outcome.summary?.runId,
    skippedBy: outcome.skippedBy?.runId,
    error: outcome.final.error
      ? `${outcome.final.error}: ${outcome.final.cause ?? ''}`.trim()
      : undefined,
    seeded,
    confirmed: totals?.confirmed ?? 0,
    rejected: totals?.rejected ?? 0,
    failed: totals?.failed ?? 0,
    deferred: totals?.deferred ?? 0,
    skipped: totals?.skipped ?? 0,
    durationMs,
    txPerSecond: durationMs > 0 ? Math.round((handled / durationMs) * 1000 * 10) / 10 : 0,
    executions: outcome.executions.length,
    store,
    provider: { calls: runtime.provider.stats().calls },
    logFile: runtime.logFile,
  };
}

function printReport(report: RunReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const plain = !process.stdout.isTTY;
  const table = new Table({
    head: ['txconfirm local run', report.status],
    ...(plain ? { style: { head: [], border: [] } } : {}),
  });
  table.push(
    ['run id', report.runId ?? '-'],
    ...(report.skippedBy ? [['skipped: lock held by', report.skippedBy]] : []),
    ...(report.error ? [['error', report.error]] : []),
    ['confirmed', report.confirmed],
    ['rejected', report.rejected],
    ['failed', report.failed],
    ['deferred (still PENDING, retried by a later run)', report.deferred],
    ['skipped (not PENDING any more)', report.skipped],
    ['still pending in the store', report.store.PENDING],
    ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
    ['tx/s', report.txPerSecond],
    ['executions (continue-as-new)', report.executions],
    ['provider calls', report.provider.calls],
    [
      'store',
      `CONFIRMED ${report.store.CONFIRMED}, REJECTED ${report.store.REJECTED}, FAILED ${report.store.FAILED}, PENDING ${report.store.PENDING}`,
    ],
    ['handler logs', report.logFile],
  );
  process.stdout.write(`${table.toString()}\n`);
}

/** Live progress on stderr: items done / total, rate, failures. */
class Progress {
  private bar: SingleBar | undefined;
  private done = 0;
  private failed = 0;
  private deferred = 0;
  private failedBatches = 0;
  private started = 0;

  constructor(private readonly enabled: boolean) {}

  start(total: number): void {
    if (!this.enabled) return;
    this.done = 0;
    this.failed = 0;
    this.deferred = 0;
    this.failedBatches = 0;
    this.started = Date.now();
    this.bar = new SingleBar({
      stream: process.stderr,
      format:
        'confirming |{bar}| {value}/{total} | {rate} tx/s | failed {failed} | deferred {deferred} | failed batches {failedBatches}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      etaBuffer: 50,
    });
    this.bar.start(Math.max(total, 1), 0, this.payload());
  }

  batch(result: BatchResult | undefined, items: number): void {
    if (result) {
      this.done += result.processed;
      this.failed += result.failed;
      this.deferred += result.deferred;
    } else {
      this.done += items;
      this.failedBatches += 1;
    }
    if (this.bar) {
      if (this.done > this.bar.getTotal()) this.bar.setTotal(this.done);
      this.bar.update(this.done, this.payload());
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private payload() {
    const seconds = (Date.now() - this.started) / 1000;
    return {
      rate: seconds > 0 ? Math.round(this.done / seconds) : 0,
      failed: this.failed,
      deferred: this.deferred,
      failedBatches: this.failedBatches,
    };
  }
}
