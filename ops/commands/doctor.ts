/**
 * `txc doctor`: the preflight an operator runs before enabling the schedule and during an
 * incident. Eight checks (ops/doctor/checks.ts), one line each — ok / warn / fail, what it found
 * and, unless ok, what to do — then a summary line; exit 1 on any fail.
 *
 * The whole run has a time bound: the stack check first (every other check needs the target),
 * then the other seven at once, each cut off at the same deadline. A check that throws or runs
 * out of time is that check's fail, never a crash, and the clients it used are closed so that a
 * call still hanging cannot keep the process alive.
 */
import { json as toJson, type Io } from '../../cli/io';
import {
  alarmRoutingCheck,
  backlogCheck,
  CHECK_NAMES,
  CheckPrerequisiteMissing,
  type CheckContext,
  type CheckName,
  type CheckResult,
  type CheckStatus,
  deadLetterQueuesCheck,
  type Finding,
  isAccessDenied,
  providerEndpointCheck,
  providerSecretCheck,
  runLockCheck,
  scheduleCheck,
  stackFinding,
  unresolvedFinding,
} from '../doctor/checks';
import { type NetworkProbe, nodeNetworkProbe } from '../doctor/probes';
import { providerBreakerCheck } from '../doctor/provider-breaker-check';
import { formatError } from '../errors';
import type { ScheduleStateValue, Target } from '../target';
import type { TxcCommandFor } from '../target-spec';

/** The default bound of a whole doctor run (`--timeout`). */
export const DOCTOR_TIMEOUT_SECONDS = 30;

export interface DoctorReport {
  target: { kind: 'aws' | 'local'; label: string };
  checks: CheckResult[];
  summary: { status: CheckStatus; ok: number; warn: number; fail: number };
}

export interface DoctorDeps {
  io: Io;
  json: boolean;
  now: () => Date;
  /** Resolves the target; if it throws, the stack check fails with the error and nothing else runs. */
  resolve: () => Promise<Target>;
  /** What was asked for, for the report when the target does not resolve. */
  requested: { kind: 'aws' | 'local'; label: string; stage: string };
  /** `npm run txc -- …` on the requested target (ops/target-spec.ts), for the suggested commands. */
  txc: TxcCommandFor;
  /** @default nodeNetworkProbe() */
  probe?: NetworkProbe;
  /** @default DOCTOR_TIMEOUT_SECONDS × 1000 */
  timeoutMs?: number;
}

/** What a failing SDK call of a check needs, for the action of its fail. */
const PERMISSION: Partial<Record<CheckName, string>> = {
  'provider secret': 'secretsmanager:DescribeSecret on the provider secret',
  schedule: 'scheduler:GetSchedule on the schedule',
  'alarm routing': 'sns:ListSubscriptionsByTopic on the alarm topics',
  'run lock': 'dynamodb:GetItem on the Runs table',
  'dead-letter queues': 'sqs:GetQueueAttributes on the dead-letter queues',
  backlog: 'dynamodb:Query on the pending index',
};

function timedOut(timeoutMs: number): Finding {
  return {
    status: 'fail',
    detail: `no answer within the doctor's ${Math.round(timeoutMs / 1000)} s bound`,
    action: 'retry (--timeout for more time); check the network path and the credentials',
  };
}

function errorFinding(err: unknown, name: CheckName, local: boolean, timeoutMs: number): Finding {
  if (err instanceof CheckPrerequisiteMissing) return err.finding;
  if ((err as { name?: unknown } | null)?.name === 'AbortError') return timedOut(timeoutMs);
  const permission = PERMISSION[name];
  let action: string;
  if (local) action = 'is `npm run txc -- local serve` still running? then retry';
  else if (isAccessDenied(err) && permission !== undefined) {
    action = `grant ${permission} (docs/txc.md#permissions-aws)`;
  } else {
    action = `retry; if it persists, check ${permission ?? 'the network'} and the network path`;
  }
  return { status: 'fail', detail: formatError(err), action };
}

/** Runs one check until it ends or the deadline passes; every outcome is a CheckResult. */
async function bounded(
  name: CheckName,
  run: () => Promise<Finding>,
  deadline: number,
  o: { local: boolean; timeoutMs: number },
): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Finding>((resolve) => {
    timer = setTimeout(() => resolve(timedOut(o.timeoutMs)), Math.max(0, deadline - Date.now()));
  });
  try {
    const finding = await Promise.race([
      run().catch((err: unknown) => errorFinding(err, name, o.local, o.timeoutMs)),
      late,
    ]);
    return { name, ...finding };
  } finally {
    clearTimeout(timer);
  }
}

function summaryOf(checks: CheckResult[]): DoctorReport['summary'] {
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  const fail = count('fail');
  const warn = count('warn');
  return { status: fail > 0 ? 'fail' : warn > 0 ? 'warn' : 'ok', ok: count('ok'), warn, fail };
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const timeoutMs = deps.timeoutMs ?? DOCTOR_TIMEOUT_SECONDS * 1000;
  const deadline = Date.now() + timeoutMs;
  const controller = new AbortController();
  const abortTimer = setTimeout(() => controller.abort(), timeoutMs);
  const local = deps.requested.kind === 'local';
  const clients: { destroy(): void }[] = [];
  let target: Target | undefined;
  try {
    const stack = await bounded(
      'stack',
      async () => {
        try {
          target = await deps.resolve();
        } catch (err) {
          return unresolvedFinding(err, local, deps.requested.stage);
        }
        return stackFinding(target);
      },
      deadline,
      { local, timeoutMs },
    );
    const resolved = target;
    if (resolved === undefined || stack.status === 'fail') {
      const notRun: CheckResult[] = CHECK_NAMES.slice(1).map((name) => ({
        name,
        status: 'fail',
        detail: 'not run: the stack check failed',
      }));
      return {
        target: { kind: deps.requested.kind, label: deps.requested.label },
        checks: [stack, ...notRun],
        summary: summaryOf([stack, ...notRun]),
      };
    }

    let settleSchedule: (state: ScheduleStateValue | undefined) => void = () => undefined;
    const ctx: CheckContext = {
      target: resolved,
      now: deps.now(),
      signal: controller.signal,
      remainingMs: () => Math.max(0, deadline - Date.now()),
      probe: deps.probe ?? nodeNetworkProbe(),
      txc: (command) => `\`${deps.txc(command)}\``,
      track: (client) => {
        clients.push(client);
        return client;
      },
      scheduleState: new Promise((resolve) => (settleSchedule = resolve)),
    };
    const o = { local, timeoutMs };
    const schedule = bounded(
      'schedule',
      () =>
        scheduleCheck(ctx).then(
          (finding) => {
            settleSchedule(finding.state);
            // `state` is for alarm routing only, not part of the report.
            return { status: finding.status, detail: finding.detail, action: finding.action };
          },
          (err: unknown) => {
            settleSchedule(undefined);
            throw err;
          },
        ),
      deadline,
      o,
    );
    // Once the schedule check gave up, alarm routing goes on without the state.
    void schedule.then(() => settleSchedule(undefined));
    const rest = await Promise.all([
      bounded('provider secret', () => providerSecretCheck(ctx), deadline, o),
      bounded('provider endpoint', () => providerEndpointCheck(ctx), deadline, o),
      bounded('provider breaker', () => providerBreakerCheck(ctx), deadline, o),
      schedule,
      bounded('alarm routing', () => alarmRoutingCheck(ctx), deadline, o),
      bounded('run lock', () => runLockCheck(ctx), deadline, o),
      bounded('dead-letter queues', () => deadLetterQueuesCheck(ctx), deadline, o),
      bounded('backlog', () => backlogCheck(ctx), deadline, o),
    ]);
    const checks = [stack, ...rest].map(withoutEmptyAction);
    return {
      target: { kind: resolved.kind, label: resolved.label },
      checks,
      summary: summaryOf(checks),
    };
  } finally {
    clearTimeout(abortTimer);
    // Abort what is still in flight, then close every client: nothing outlives the report.
    controller.abort();
    for (const client of clients) client.destroy();
    target?.close();
  }
}

const withoutEmptyAction = (c: CheckResult): CheckResult =>
  c.action === undefined ? { name: c.name, status: c.status, detail: c.detail } : c;

const NAME_WIDTH = Math.max(...CHECK_NAMES.map((n) => n.length));

export function renderDoctor(report: DoctorReport): string {
  const lines = report.checks.map(
    (c) =>
      `${c.status.padEnd(4)}  ${c.name.padEnd(NAME_WIDTH)}  ${c.detail}${c.action === undefined ? '' : ` — ${c.action}`}`,
  );
  const { status, ok, warn, fail } = report.summary;
  lines.push(
    `${status.toUpperCase()}: ${ok} ok, ${warn} warn, ${fail} fail — ${report.target.label}`,
  );
  return `${lines.join('\n')}\n`;
}

export async function doctorCommand(deps: DoctorDeps): Promise<number> {
  const report = await runDoctor(deps);
  deps.io.out(deps.json ? toJson(report) : renderDoctor(report));
  return report.summary.fail > 0 ? 1 : 0;
}
