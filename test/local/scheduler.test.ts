// The local Scheduler stand-in: fires on the stack's expression, can be paused and resumed, and
// keeps its state in a file across restarts when it has one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalRuntime } from '../../local/runtime/local-runtime';
import { LocalScheduler } from '../../local/aws/scheduler';
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

describe('LocalScheduler state file (txc local serve --data-dir: D/schedule.json)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-schedule-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runtime = { stack: testStack(), startRun: () => ({ executionArn: 'arn:1' }) };
  const make = (stateFile: string) =>
    new LocalScheduler(runtime as unknown as LocalRuntime, { stateFile });

  it('no file: ENABLED; a change is written (atomically: no temporary file left) and read back by the next one', () => {
    const file = path.join(dir, 'schedule.json');
    const first = make(file);
    expect(first.state()).toBe('ENABLED');
    expect(fs.existsSync(file)).toBe(false);
    first.setState('DISABLED');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      state: 'DISABLED',
      changedAt: expect.any(String),
    });
    expect(fs.readdirSync(dir)).toEqual(['schedule.json']);
    const restarted = make(file);
    expect(restarted.state()).toBe('DISABLED');
    expect(restarted.nextFireTime()).toBeUndefined();
    restarted.setState('ENABLED');
    expect(make(file).state()).toBe('ENABLED');
    first.stop();
    restarted.stop();
  });

  it('a file that holds no state: ScheduleStateUnreadable naming it', () => {
    const file = path.join(dir, 'schedule.json');
    fs.writeFileSync(file, '{"state": "PAUSED"}');
    expect(() => make(file)).toThrow(
      expect.objectContaining({
        name: 'ScheduleStateUnreadable',
        message: expect.stringMatching(
          /schedule\.json must hold \{"state": "ENABLED" \| "DISABLED"\}.*delete it to start ENABLED/,
        ),
      }),
    );
  });

  it('a state that cannot be written is refused, and the state stays', () => {
    const s = make(path.join(dir, 'missing-dir', 'schedule.json'));
    expect(() => s.setState('DISABLED')).toThrow(/ENOENT/);
    expect(s.state()).toBe('ENABLED');
    s.stop();
  });
});
