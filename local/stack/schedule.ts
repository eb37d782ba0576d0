/**
 * The schedule of the local runtime: the EventBridge Scheduler expression is read from the
 * synthesized template (AWS::Scheduler::Schedule), never re-declared, and turned into "when is
 * the next run". Supports `rate(N unit)` and EventBridge's 6-field `cron(...)` (UTC, as Scheduler
 * evaluates it when no time zone is set); `at(...)` one-off schedules are refused by name.
 */
import { CronExpressionParser } from 'cron-parser';
import type { CfnTemplate } from './synthesized-definition';
import { resolveIntrinsics } from './synthesized-definition';

export class UnsupportedScheduleExpression extends Error {
  override readonly name = 'UnsupportedScheduleExpression';
}

export interface ScheduleDefinition {
  readonly logicalId: string;
  readonly expression: string;
  /** `ENABLED` or `DISABLED` as the stack creates it (locally, `--schedule` runs it either way). */
  readonly state: string;
  /** The input the schedule sends (JSON text in the template). */
  readonly input: unknown;
}

/** The single AWS::Scheduler::Schedule of the template. */
export function scheduleFromTemplate(template: CfnTemplate): ScheduleDefinition {
  const found = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::Scheduler::Schedule',
  );
  if (found.length !== 1) {
    throw new UnsupportedScheduleExpression(
      `expected exactly one AWS::Scheduler::Schedule in the template, found ${found.length}`,
    );
  }
  const [logicalId, resource] = found[0];
  const props = resolveIntrinsics(template, resource.Properties ?? {}) as {
    ScheduleExpression?: string;
    State?: string;
    Target?: { Input?: string };
  };
  if (typeof props.ScheduleExpression !== 'string') {
    throw new UnsupportedScheduleExpression(`${logicalId} has no ScheduleExpression`);
  }
  let input: unknown = {};
  if (typeof props.Target?.Input === 'string') input = JSON.parse(props.Target.Input);
  return {
    logicalId,
    expression: props.ScheduleExpression,
    state: props.State ?? 'ENABLED',
    input,
  };
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Returns a function giving the first fire time strictly after `after`. */
export function nextFireTime(expression: string): (after: Date) => Date {
  const rate = RATE.exec(expression);
  if (rate) {
    const periodMs = Number(rate[1]) * UNIT_MS[rate[2].replace(/s$/, '')];
    if (!(periodMs > 0)) {
      throw new UnsupportedScheduleExpression(`rate must be at least 1, got ${expression}`);
    }
    return (after) => new Date(after.getTime() + periodMs);
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length !== 6) {
      throw new UnsupportedScheduleExpression(
        `cron(...) needs 6 fields (minutes hours day-of-month month day-of-week year), got ${expression}`,
      );
    }
    const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
    // EventBridge numbers days 1-7 from Sunday; cron-parser numbers them 0-6. Names need no change.
    const dow = dayOfWeek.replace(/\b([1-7])\b/g, (d) => DAY_NAMES[Number(d) - 1]);
    const expr = [minutes, hours, dayOfMonth, month, dow].join(' ');
    const years = parseYears(year, expression);
    return (after) => {
      const it = CronExpressionParser.parse(expr, { currentDate: after, tz: 'UTC' });
      for (let i = 0; i < 100_000; i += 1) {
        const next = it.next().toDate();
        if (years(next.getUTCFullYear())) return next;
        if (next.getUTCFullYear() > 9999) break;
      }
      throw new UnsupportedScheduleExpression(`${expression} never fires again`);
    };
  }
  throw new UnsupportedScheduleExpression(
    `the local runtime runs rate(...) and cron(...) schedules, got ${JSON.stringify(expression)}`,
  );
}

function parseYears(field: string, expression: string): (year: number) => boolean {
  if (field === '*' || field === '?') return () => true;
  const allowed: [number, number][] = [];
  for (const part of field.split(',')) {
    const m = /^(\d{4})(?:-(\d{4}))?$/.exec(part);
    if (!m) {
      throw new UnsupportedScheduleExpression(
        `the year field ${JSON.stringify(field)} of ${expression} is not supported locally (use *, YYYY, YYYY-YYYY or a list)`,
      );
    }
    allowed.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return (year) => allowed.some(([from, to]) => year >= from && year <= to);
}
