/**
 * What `npm start` does once its flags are parsed: start the local runtime (a status line on
 * stderr meanwhile), seed, run one execution (or the schedule), show a live progress bar on stderr
 * and a summary on stdout that fits the terminal, then the next steps when work is left.
 */
import { SingleBar } from 'cli-progress';
import type { BatchResult } from '../../lambdas/contracts';
import { sumOfOutcomes } from '../../lambdas/domain/totals';
import { txcCommand } from '../../ops/target-spec';
import { type LocalRunOptions, providerKnobs, providerModes } from './options';
import { seedStore } from './seed';
import { localEndpoint } from './endpoint';
import { StatusLine } from './status-line';
import {
  formatNextSteps,
  nextSteps,
  type NextStep,
  restartJson,
  restartLines,
  stdoutLayout,
  type SummaryLayout,
  summaryTable,
} from './summary';
import { type RunOutcome, LocalRuntime, type StoreCounts } from '../runtime/local-runtime';
import { DataDirUnusable } from '../runtime/data-dir';
import { LocalScheduler } from '../aws/scheduler';
import { boundHeapGrowth } from '../runtime/heap-growth';

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
  /** Left PENDING untouched: the provider circuit breaker was open. */
  unavailable: number;
  durationMs: number;
  txPerSecond: number;
  executions: number;
  store: StoreCounts;
  provider: { calls: number };
  logFile: string;
  /** The handler logs' temporary folder is removed on exit (in memory, without --keep-logs). */
  logsRemovedOnExit: boolean;
  /** What starting on a data dir again did (executions ABORTED, index entries repaired). */
  restart?: ReturnType<typeof restartJson>;
  /** What to do about work left (commands that work when pasted). */
  nextSteps: NextStep[];
}

/** What the run needs to say where it ran (the next steps repeat the data dir). */
interface RunContext {
  readonly options: LocalRunOptions;
  readonly status: StatusLine;
}

export async function runLocal(options: LocalRunOptions): Promise<number> {
  boundHeapGrowth();
  const quiet = options.json && process.stderr.isTTY !== true;
  const progress = new Progress(!quiet);
  const status = new StatusLine(process.stderr, !quiet);
  let runtime: LocalRuntime;
  try {
    runtime = await LocalRuntime.start({
      dataDir: options.dataDir,
      keepLogs: options.keepLogs,
      provider: providerKnobs(options),
      onBatch: (result, items) => progress.batch(result, items),
      onPhase: (phase) => status.phase(phase),
    });
  } catch (error) {
    status.done();
    // A data dir that cannot hold a store is a usage error: nothing ran.
    if (error instanceof DataDirUnusable) {
      process.stderr.write(`txconfirm-local: ${error.name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const restart = restartLines(runtime.restart);
  if (restart.length > 0) {
    status.done();
    process.stderr.write(`${restart.join('\n')}\n`);
  }
  const context: RunContext = { options, status };
  try {
    if (options.schedule) return await runSchedule(runtime, context, progress);
    return await runOnce(runtime, context, progress);
  } finally {
    status.done();
    progress.stop();
    await runtime.close();
    if (options.keepLogs && !options.dataDir && !options.json) {
      process.stderr.write(`Handler logs kept in ${runtime.logFile} (--keep-logs)\n`);
    }
  }
}

/** Seeds the store (demo transactions or `--import FILE`); returns how many were written. */
async function seed(runtime: LocalRuntime, { options, status }: RunContext): Promise<number> {
  const seeded = await seedStore(
    runtime,
    {
      transactions: options.transactions,
      ...(options.import === undefined ? {} : { importFile: options.import }),
    },
    status,
  );
  status.done();
  return seeded;
}

async function runOnce(
  runtime: LocalRuntime,
  context: RunContext,
  progress: Progress,
): Promise<number> {
  const { options } = context;
  const seeded = await seed(runtime, context);
  const before = await runtime.storeCounts();
  // The fault modes' windows count from here: the run starting.
  await runtime.provider.setModes(providerModes(options));
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
    const report = await buildReport(runtime, outcome, seeded, Date.now() - started);
    printReport(report, options.json);
    if (interrupted) return 130;
    return report.status === 'SUCCEEDED' || report.status === 'SKIPPED' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function runSchedule(
  runtime: LocalRuntime,
  context: RunContext,
  progress: Progress,
): Promise<number> {
  const { options } = context;
  await seed(runtime, context);
  await runtime.provider.setModes(providerModes(options));
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
          printReport(report, options.json, false);
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
  // A run that did not succeed: its record's totals, as far as it got.
  const totals = outcome.summary?.totals ?? outcome.record?.totals;
  const store = await runtime.storeCounts();
  // Transactions the provider was asked about (not those left untouched for an outage).
  const handled = totals ? sumOfOutcomes(totals) - totals.unavailable : 0;
  const status = outcome.skippedBy ? 'SKIPPED' : outcome.final.status;
  const endpoint = localEndpoint(process.env, true);
  return {
    status,
    runId: outcome.summary?.runId ?? outcome.record?.runId,
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
    unavailable: totals?.unavailable ?? 0,
    durationMs,
    txPerSecond: durationMs > 0 ? Math.round((handled / durationMs) * 1000 * 10) / 10 : 0,
    executions: outcome.executions.length,
    store,
    provider: { calls: runtime.provider.stats().calls },
    logFile: runtime.logFile,
    logsRemovedOnExit: runtime.logsRemovedOnClose,
    ...(runtime.restart.reopened ? { restart: restartJson(runtime.restart) } : {}),
    nextSteps: nextSteps(
      {
        status,
        ...(outcome.record === undefined ? {} : { runStatus: outcome.record.status }),
        deferred: totals?.deferred ?? 0,
        store,
      },
      runtime.dataDir,
      (args) => txcCommand(args, { kind: 'local', endpoint }),
      endpoint,
    ),
  };
}

/** The report on stdout; `hints`: the next steps too (not under --schedule: it runs again itself). */
function printReport(report: RunReport, json: boolean, hints = true): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const layout = stdoutLayout();
  process.stdout.write(formatReport(report, layout));
  if (hints) process.stdout.write(formatNextSteps(report.nextSteps, layout.columns));
}

/** The summary table, fitted to `layout.columns`. */
export function formatReport(report: RunReport, layout: SummaryLayout): string {
  const rows: (string | number)[][] = [
    ['run id', report.runId ?? '-'],
    ...(report.skippedBy ? [['skipped: lock held by', report.skippedBy]] : []),
    ...(report.error ? [['error', report.error]] : []),
    ['confirmed', report.confirmed],
    ['rejected', report.rejected],
    ['failed', report.failed],
    ['deferred (retried)', report.deferred],
    ['skipped (settled)', report.skipped],
    ...(report.unavailable > 0 ? [['unavailable (outage)', report.unavailable]] : []),
    ['still PENDING', report.store.PENDING],
    ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
    ['tx/s', report.txPerSecond],
    ['executions', report.executions],
    ['provider calls', report.provider.calls],
    [
      'store',
      `CONFIRMED ${report.store.CONFIRMED}, REJECTED ${report.store.REJECTED}, FAILED ${report.store.FAILED}, PENDING ${report.store.PENDING}`,
    ],
    [
      'handler logs',
      report.logsRemovedOnExit ? 'removed on exit (--keep-logs keeps them)' : report.logFile,
    ],
  ];
  return summaryTable(['txconfirm local run', report.status], rows, layout);
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
