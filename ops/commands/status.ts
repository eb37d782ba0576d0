/** `txc status <execution>`: one execution, its run record, map-run progress, the lock holder. */
import { DescribeMapRunCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import { errorParts } from '../../lambdas/domain/errors';
import type { LockRecord, RunRecord } from '../../lambdas/domain/ports';
import {
  currentLock,
  describeExecution,
  executionArnOf,
  executionRef,
  failureText,
  findRunRecord,
  outcomeOf,
  type ExecutionView,
} from '../executions';
import { duration, fields, hint, type Io, json, paragraph, table } from '../../cli/io';
import type { Target } from '../target';
import type { TxcCommandFor } from '../target-spec';
import { renderTotals } from '../totals';

export interface MapRunProgress {
  mapRunArn: string;
  /** How many map runs (pages confirmed or being confirmed) this execution has started. */
  mapRuns: number;
  status?: string;
  items: {
    pending: number;
    running: number;
    succeeded: number;
    failed: number;
    timedOut: number;
    aborted: number;
    total: number;
  };
}

export interface StatusReport {
  execution: ExecutionView;
  /** For a SUCCEEDED execution: what its output says. */
  outcome: ReturnType<typeof outcomeOf>['kind'];
  handedOverTo?: string;
  skippedBy?: { runId: string; executionArn: string; expiresAt: string };
  run?: RunRecord;
  /** RUNNING only: the current (latest) map run. */
  progress?: MapRunProgress;
  /** The lock holder (null: free). */
  lock: (LockRecord & { expired: boolean }) | null;
  /**
   * Parts that could not be read (e.g. no permission for ListMapRuns or the Runs table), with the
   * error; the rest of the report stands.
   */
  unavailable?: { run?: string; progress?: string; lock?: string };
}

async function mapRunProgress(
  target: Target,
  executionArn: string,
): Promise<MapRunProgress | undefined> {
  const runs: { mapRunArn?: string; startDate?: Date }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(
      new ListMapRunsCommand({ executionArn, ...(nextToken === undefined ? {} : { nextToken }) }),
    );
    runs.push(...(page.mapRuns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  if (runs.length === 0) return undefined;
  const latest = runs.reduce((a, b) =>
    new Date(b.startDate ?? 0).getTime() > new Date(a.startDate ?? 0).getTime() ? b : a,
  );
  const mapRunArn = latest.mapRunArn ?? '';
  const d = await target.sfn.send(new DescribeMapRunCommand({ mapRunArn }));
  const c = d.itemCounts ?? ({} as NonNullable<typeof d.itemCounts>);
  return {
    mapRunArn,
    mapRuns: runs.length,
    ...(d.status === undefined ? {} : { status: d.status }),
    items: {
      pending: c.pending ?? 0,
      running: c.running ?? 0,
      succeeded: c.succeeded ?? 0,
      failed: c.failed ?? 0,
      timedOut: c.timedOut ?? 0,
      aborted: c.aborted ?? 0,
      total: c.total ?? 0,
    },
  };
}

export async function statusReport(target: Target, ref: string, now: Date): Promise<StatusReport> {
  const executionArn = executionArnOf(target.names.stateMachineArn, ref);
  const execution = await describeExecution(target, executionArn);
  const outcome =
    execution.status === 'SUCCEEDED' ? outcomeOf(execution.output) : { kind: 'other' as const };
  const report: StatusReport = { execution, outcome: outcome.kind, lock: null };
  if (outcome.kind === 'handover') report.handedOverTo = outcome.nextExecutionArn;
  if (outcome.kind === 'skipped') report.skippedBy = outcome.holder;
  const attempt = async <T>(part: 'run' | 'progress' | 'lock', read: () => Promise<T>) => {
    try {
      return await read();
    } catch (err) {
      const { name, message } = errorParts(err);
      report.unavailable = { ...report.unavailable, [part]: `${name}: ${message}` };
      return undefined;
    }
  };
  const run = await attempt('run', () => findRunRecord(target, execution));
  if (run !== undefined) report.run = run;
  if (execution.status === 'RUNNING') {
    const progress = await attempt('progress', () => mapRunProgress(target, executionArn));
    if (progress !== undefined) report.progress = progress;
  }
  const lock = await attempt('lock', () => currentLock(target));
  report.lock =
    lock === undefined ? null : { ...lock, expired: lock.expiresAt < now.toISOString() };
  return report;
}

export interface RenderStatusOptions {
  /** The target's state machine: its executions are shown by name. */
  stateMachineArn: string;
  width: number;
  /** `npm run txc -- …` on this target, for the next steps; none without it. */
  txc?: TxcCommandFor;
}

export function renderStatus(
  report: StatusReport,
  now: Date,
  options: RenderStatusOptions,
): string {
  const { width } = options;
  const ref = (arn: string) => executionRef(arn, options.stateMachineArn);
  const e = report.execution;
  const stopped = e.stopDate ?? now.toISOString();
  const lines: string[] = [];
  lines.push(
    fields(
      [
        ['execution', ref(e.executionArn)],
        ['status', e.status],
        ['started', e.startDate],
        ['stopped', e.stopDate],
        [
          'elapsed',
          e.startDate === undefined
            ? undefined
            : duration(Date.parse(stopped) - Date.parse(e.startDate)),
        ],
        ['error', e.status === 'SUCCEEDED' || e.status === 'RUNNING' ? undefined : failureText(e)],
        [
          'handed over to',
          report.handedOverTo === undefined ? undefined : ref(report.handedOverTo),
        ],
      ],
      width,
    ),
  );
  if (report.skippedBy !== undefined) {
    lines.push(
      fields(
        [
          ['outcome', 'SKIPPED (another run held the lock)'],
          ['holder run', report.skippedBy.runId],
          ['holder execution', ref(report.skippedBy.executionArn)],
          ['lock expires', report.skippedBy.expiresAt],
        ],
        width,
      ),
    );
  }
  if (report.run !== undefined) {
    const r = report.run;
    lines.push(
      'run record\n' +
        fields(
          [
            ['run', r.runId],
            ['status', r.status],
            ['started', r.startedAt],
            ['finished', r.finishedAt],
            [
              'latest execution',
              r.executionArn === e.executionArn ? undefined : ref(r.executionArn),
            ],
            ['dry run', r.dryRun ? 'yes' : undefined],
            ['error', r.error],
          ],
          width,
        ) +
        (r.status === 'RUNNING'
          ? '(totals are written when the run ends)\n'
          : r.totals === undefined
            ? ''
            : renderTotals(r.totals, width)),
    );
  }
  if (report.progress !== undefined) {
    const p = report.progress;
    lines.push(
      paragraph(
        `current page (map run ${p.mapRuns} of this execution${p.status === undefined ? '' : `, ${p.status}`})`,
        width,
      ) +
        table(
          ['total', 'pending', 'running', 'succeeded', 'failed', 'timed out', 'aborted'],
          [
            [
              p.items.total,
              p.items.pending,
              p.items.running,
              p.items.succeeded,
              p.items.failed,
              p.items.timedOut,
              p.items.aborted,
            ],
          ],
          { width },
        ).trimEnd() +
        '\n(counts are transaction ids of the page)\n',
    );
  }
  for (const [part, error] of Object.entries(report.unavailable ?? {})) {
    lines.push(
      paragraph(
        `${part === 'progress' ? 'map-run progress' : part} unavailable: ${error}`,
        width,
        2,
      ),
    );
  }
  const l = report.lock;
  if (report.unavailable?.lock === undefined)
    lines.push(
      'lock\n' +
        (l === null
          ? 'free\n'
          : fields(
              [
                ['held by run', l.runId],
                ['execution', ref(l.executionArn)],
                [
                  'expires',
                  `${l.expiresAt}${l.expired ? ' (expired: the next run takes it over)' : ''}`,
                ],
              ],
              width,
            )),
    );
  const steps = options.txc === undefined ? '' : statusNextSteps(report, options.txc, ref, width);
  return `${lines.join('\n').replace(/\n+$/, '')}\n${steps === '' ? '' : `\n${steps}`}`;
}

/** What to run next: refresh a running execution, follow a hand-over, the lock holder, the FAILED ones. */
function statusNextSteps(
  report: StatusReport,
  txc: TxcCommandFor,
  ref: (arn: string) => string,
  width: number,
): string {
  const e = report.execution;
  const steps: string[] = [];
  if (e.status === 'RUNNING') {
    steps.push(hint('refresh', txc(['status', ref(e.executionArn)]), width));
  }
  if (report.handedOverTo !== undefined) {
    steps.push(hint('the run goes on in', txc(['status', ref(report.handedOverTo)]), width));
  }
  const holder = report.skippedBy?.executionArn ?? report.lock?.executionArn;
  const latest = report.run?.executionArn ?? e.executionArn;
  if (holder !== undefined && holder !== '' && holder !== e.executionArn && holder !== latest) {
    steps.push(hint('the run holding the lock', txc(['status', ref(holder)]), width));
  }
  if ((report.run?.totals?.failed ?? 0) > 0) {
    steps.push(hint('the FAILED transactions and why', txc('failed'), width));
  }
  if (e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED') {
    steps.push(
      hint('check the deployment (provider, secret, lock, backlog)', txc('doctor'), width),
    );
  }
  return steps.join('');
}

export async function statusCommand(
  target: Target,
  ref: string,
  deps: { io: Io; json: boolean; now: () => Date; txc: TxcCommandFor; width: number },
): Promise<number> {
  const now = deps.now();
  const report = await statusReport(target, ref, now);
  deps.io.out(
    deps.json
      ? json(report)
      : renderStatus(report, now, {
          stateMachineArn: target.names.stateMachineArn,
          width: deps.width,
          txc: deps.txc,
        }),
  );
  return 0;
}
