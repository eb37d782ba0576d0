// The local schedule reads the expression from the synthesized stack and computes fire times.
import { dev } from '../support/stages';
import {
  nextFireTime,
  scheduleFromTemplate,
  UnsupportedScheduleExpression,
} from '../../local/stack/schedule';
import { testStack } from '../support/template';

describe('local schedule', () => {
  it('reads the expression and the {} input from the synthesized stack', () => {
    const schedule = scheduleFromTemplate(testStack().template);
    expect(schedule.expression).toBe(dev.scheduleExpression);
    expect(schedule.input).toEqual({});
    expect(schedule.state).toBe(dev.scheduleEnabled ? 'ENABLED' : 'DISABLED');
  });

  it('fires a rate schedule one period after the last fire', () => {
    const next = nextFireTime('rate(5 minutes)');
    expect(next(new Date('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-01-01T00:05:00.000Z');
    expect(nextFireTime('rate(1 hour)')(new Date('2026-01-01T00:00:00Z')).toISOString()).toBe(
      '2026-01-01T01:00:00.000Z',
    );
  });

  it('fires a cron schedule in UTC, with EventBridge day-of-week numbering (1 = Sunday)', () => {
    // Every Monday (2) at 08:30: 2026-01-01 is a Thursday, so the next Monday is 2026-01-05.
    const next = nextFireTime('cron(30 8 ? * 2 *)');
    expect(next(new Date('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-01-05T08:30:00.000Z');
    const everyFive = nextFireTime('cron(0/5 * * * ? *)');
    expect(everyFive(new Date('2026-01-01T00:01:00Z')).toISOString()).toBe(
      '2026-01-01T00:05:00.000Z',
    );
  });

  it('honours the year field', () => {
    const next = nextFireTime('cron(0 0 1 1 ? 2028)');
    expect(next(new Date('2026-06-01T00:00:00Z')).toISOString()).toBe('2028-01-01T00:00:00.000Z');
  });

  it('refuses what it cannot run, by name', () => {
    expect(() => nextFireTime('at(2026-01-01T00:00:00)')).toThrow(UnsupportedScheduleExpression);
    expect(() => nextFireTime('cron(0 0 * * ?)')).toThrow(/6 fields/);
  });
});
