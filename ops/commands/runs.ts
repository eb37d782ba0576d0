/** `txc runs`: the most recent run records (Runs table, pk = 'RUN', newest first). */
import type { RunRecord } from '../../lambdas/domain/ports';
import { executionRef, runPages, withoutKeys } from '../executions';
import { duration, hint, type Io, json, table } from '../../cli/io';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';
import { totalsLine } from '../totals';

export async function listRuns(target: Target, limit: number): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for await (const page of runPages(target, { pageLimit: () => limit - runs.length })) {
    for (const item of page.Items ?? []) runs.push(withoutKeys(item) as unknown as RunRecord);
    if (runs.length >= limit) break;
  }
  return runs.slice(0, limit);
}

function note(run: RunRecord): string {
  if (run.status === 'SKIPPED' && run.holder !== undefined)
    return `lock held by ${run.holder.runId}`;
  // The breaker's evidence and retry time, without the execution error's prose (`txc status`).
  if (run.status === 'PROVIDER_UNAVAILABLE' && run.providerUnavailable !== undefined) {
    const { reason, retryAt } = run.providerUnavailable;
    return `provider unavailable: ${reason}${retryAt ? `; next probe after ${retryAt}` : ''}`;
  }
  return run.error ?? '';
}

/** The widest status (TIMED_OUT); a longer one (PROVIDER_UNAVAILABLE) breaks after its `_`. */
const STATUS_WIDTH = 9;
const statusCell = (status: string) =>
  status.length > STATUS_WIDTH ? status.replace(/_/g, '_\n') : status;

/** `20240502T110500Z-`: the start time that begins every runId. */
const RUN_ID_TIME = 17;
/** A runId up to this long (a short execution name) is never wrapped. */
const SHORT_RUN_ID = 26;
/** The widest the run column gets while the totals beside it still wrap. */
const RUN_ID_MAX = 30;

/** A note longer than this is cut (`txc status` and --json have it whole). */
const NOTE_LENGTH = 160;

export interface RenderRunsOptions {
  width: number;
  /** The target's state machine (for the hint's execution name). */
  stateMachineArn?: string;
  /** `npm run txc -- …` on this target, for the next step; none without it. */
  txc?: TxcCommandFor;
}

/**
 * One row per run: the runId (its start time, UTC, then the first execution's name), the status,
 * the duration, and in one wrapped cell the totals that are not 0 and the note (the SKIPPED
 * holder, a failed run's error). The columns fit `width`; the runId wraps anywhere.
 */
export function renderRuns(runs: RunRecord[], now: Date, options: RenderRunsOptions): string {
  if (runs.length === 0) return 'no runs yet\n';
  const rows = runs.map((r) => {
    const end = r.finishedAt ?? (r.status === 'RUNNING' ? now.toISOString() : undefined);
    // A RUNNING run's totals are those of the pages read so far (FetchPage writes them).
    const totals =
      r.totals === undefined
        ? r.status === 'RUNNING'
          ? '(no page read yet)'
          : '-'
        : r.status === 'RUNNING'
          ? `so far: ${totalsLine(r.totals)}`
          : totalsLine(r.totals);
    const full = note(r);
    const text = full.length > NOTE_LENGTH ? `${full.slice(0, NOTE_LENGTH - 1)}…` : full;
    return [
      r.runId,
      r.dryRun ? `${statusCell(r.status)}\n(dry run)` : statusCell(r.status),
      end === undefined ? '-' : duration(Date.parse(end) - Date.parse(r.startedAt)),
      text === '' ? totals : `${totals}\n${text}`,
    ];
  });
  // Short runIds stay whole; longer ones (a UUID name: 53 characters) wrap onto two lines.
  const longest = Math.max(...runs.map((r) => r.runId.length));
  const runWidth = longest <= SHORT_RUN_ID ? longest : Math.min(RUN_ID_MAX, Math.ceil(longest / 2));
  const rendered = table(['run', 'status', 'took', 'totals / note'], rows, {
    width: options.width,
    columns: [
      { wrap: 'char', min: RUN_ID_TIME, max: runWidth },
      { min: STATUS_WIDTH, max: 11 },
      { wrap: 'none' },
      { min: 20 },
    ],
  });
  const newest = runs[0];
  const steps =
    options.txc === undefined || !newest.executionArn
      ? ''
      : hint(
          'details of the newest run',
          options.txc(['status', executionRef(newest.executionArn, options.stateMachineArn ?? '')]),
          options.width,
        );
  return rendered + steps;
}

export async function runsCommand(
  target: Target,
  options: { limit: number },
  deps: { io: Io; json: boolean; now: () => Date; txc: TxcCommandFor; width: number },
): Promise<number> {
  const runs = await listRuns(target, options.limit);
  deps.io.out(
    deps.json
      ? json({ runs })
      : renderRuns(runs, deps.now(), {
          width: deps.width,
          stateMachineArn: target.names.stateMachineArn,
          txc: deps.txc,
        }),
  );
  return 0;
}
