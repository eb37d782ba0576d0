// The local Scheduler stand-in: fires on the stack's expression, can be paused and resumed.
import type { LocalRuntime } from '../../local/runtime';
import { LocalScheduler } from '../../local/scheduler';
import { testStack } from '../support/template';

describe('LocalScheduler', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  function scheduler(options: ConstructorParameters<typeof LocalScheduler>[1] = {}) {
    const inputs: unknown[] = [];
    const runtime = {
      stack: testStack(),
      startRun: (input: unknown) => {
        inputs.push(input);
        return { executionArn: `arn:${inputs.length}` };
      },
    } as unknown as LocalRuntime;
    return { inputs, scheduler: new LocalScheduler(runtime, options) };
  }

  it('fires with the schedule input every period of the synthesized expression (rate(5 minutes))', () => {
    const { inputs, scheduler: s } = scheduler({ fireAtStart: true });
    s.start();
    expect(inputs).toEqual([{}]);
    expect(s.nextFireTime()?.toISOString()).toBe('2026-01-01T00:05:00.000Z');
    jest.advanceTimersByTime(4 * 60_000);
    expect(inputs).toHaveLength(1);
    jest.advanceTimersByTime(60_000);
    expect(inputs).toHaveLength(2);
    jest.advanceTimersByTime(10 * 60_000);
    expect(inputs).toHaveLength(4);
    s.stop();
  });

  it('pause stops firing, resume re-arms from now', () => {
    const { inputs, scheduler: s } = scheduler();
    s.start();
    s.setState('DISABLED');
    expect(s.state()).toBe('DISABLED');
    expect(s.nextFireTime()).toBeUndefined();
    jest.advanceTimersByTime(30 * 60_000);
    expect(inputs).toHaveLength(0);
    s.setState('ENABLED');
    expect(s.nextFireTime()?.toISOString()).toBe('2026-01-01T00:35:00.000Z');
    jest.advanceTimersByTime(5 * 60_000);
    expect(inputs).toHaveLength(1);
    s.stop();
    jest.advanceTimersByTime(60 * 60_000);
    expect(inputs).toHaveLength(1);
  });

  it('refuses an unknown state by name', () => {
    const { scheduler: s } = scheduler();
    expect(() => s.setState('PAUSED' as never)).toThrow(/ENABLED or DISABLED, got PAUSED/);
  });
});
