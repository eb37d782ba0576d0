/**
 * The local stand-in for EventBridge Scheduler: starts an execution with the schedule's input
 * (`{}`) at every fire time of the expression read from the synthesized stack. Like Scheduler,
 * it fires whether or not a previous run is still going: the run lock makes the overlapping one
 * end SKIPPED. It can be paused and resumed (`txc schedule pause|resume`).
 */
import type { ExecutionRecord } from './engine';
import type { LocalRuntime } from './runtime';
import { nextFireTime, type ScheduleDefinition, scheduleFromTemplate } from './schedule';

export type ScheduleState = 'ENABLED' | 'DISABLED';

export interface LocalSchedulerOptions {
  /** Fire once at start (npm start --schedule does; txc local serve waits for the first period). */
  readonly fireAtStart?: boolean;
  /** Called with every execution the schedule starts. */
  readonly onFire?: (execution: ExecutionRecord) => void;
  /** The initial state. @default 'ENABLED' */
  readonly state?: ScheduleState;
  /** The clock (tests). */
  readonly now?: () => Date;
}

export class LocalScheduler {
  readonly expression: string;
  private readonly definition: ScheduleDefinition;
  private readonly next: (after: Date) => Date;
  private current: ScheduleState;
  private timer: NodeJS.Timeout | undefined;
  private fireAt: Date | undefined;
  private stopped = false;

  constructor(
    private readonly runtime: LocalRuntime,
    private readonly options: LocalSchedulerOptions = {},
  ) {
    this.definition = scheduleFromTemplate(runtime.stack.template);
    this.expression = this.definition.expression;
    this.next = nextFireTime(this.expression);
    this.current = options.state ?? 'ENABLED';
  }

  start(): void {
    if (this.options.fireAtStart && this.current === 'ENABLED') this.fire();
    this.arm(this.now());
  }

  state(): ScheduleState {
    return this.current;
  }

  setState(state: ScheduleState): void {
    if (state !== 'ENABLED' && state !== 'DISABLED') {
      throw new Error(`schedule state must be ENABLED or DISABLED, got ${String(state)}`);
    }
    this.current = state;
    if (state === 'ENABLED' && !this.timer && !this.stopped) this.arm(this.now());
    if (state === 'DISABLED') this.disarm();
  }

  nextFireTime(): Date | undefined {
    return this.current === 'ENABLED' ? this.fireAt : undefined;
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private fire(): void {
    const execution = this.runtime.startRun(this.definition.input);
    this.options.onFire?.(execution);
  }

  private arm(after: Date): void {
    if (this.stopped || this.current !== 'ENABLED') return;
    let fireAt = this.next(after);
    while (fireAt.getTime() <= this.now().getTime()) fireAt = this.next(fireAt);
    this.fireAt = fireAt;
    // setTimeout caps at ~24.8 days; re-arm in steps for longer periods.
    const delay = Math.min(fireAt.getTime() - this.now().getTime(), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.current !== 'ENABLED') return;
      if (this.now().getTime() >= fireAt.getTime()) {
        this.fire();
        this.arm(fireAt);
      } else {
        this.arm(this.now());
      }
    }, delay);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.fireAt = undefined;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
