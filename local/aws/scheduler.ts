/**
 * The local stand-in for EventBridge Scheduler: starts an execution with the schedule's input
 * (`{}`) at every fire time of the expression read from the synthesized stack. Like Scheduler,
 * it fires whether or not a previous run is still going: the run lock makes the overlapping one
 * end SKIPPED. It can be paused and resumed (`txc schedule pause|resume`).
 *
 * Like a deployed schedule, its state outlives a restart when it has a state file (`txc local
 * serve --data-dir D` keeps it in `D/schedule.json`, written atomically: a temporary file renamed
 * over it); without one it lives in memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutionRecord } from '../engine';
import type { LocalRuntime } from '../runtime/local-runtime';
import { nextFireTime, type ScheduleDefinition, scheduleFromTemplate } from '../stack/schedule';

export type ScheduleState = 'ENABLED' | 'DISABLED';

export interface LocalSchedulerOptions {
  /** Fire once at start (npm start --schedule does; txc local serve waits for the first period). */
  readonly fireAtStart?: boolean;
  /** Called with every execution the schedule starts. */
  readonly onFire?: (execution: ExecutionRecord) => void;
  /** The initial state, unless the state file has one. @default 'ENABLED' */
  readonly state?: ScheduleState;
  /**
   * Where the state is kept across restarts (`{"state": "DISABLED", "changedAt": …}`): read at
   * construction (ScheduleStateUnreadable when it is not such a file), written on every change.
   */
  readonly stateFile?: string;
  /** The clock (tests). */
  readonly now?: () => Date;
}

/** The schedule's state file exists but does not hold a state. */
export class ScheduleStateUnreadable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScheduleStateUnreadable';
  }
}

/**
 * `{"state": "ENABLED" | "DISABLED"}` (the state file, and the body of `POST /txconfirm/schedule`):
 * its state, or undefined for anything else.
 */
export function parseScheduleState(text: string): ScheduleState | undefined {
  let state: unknown;
  try {
    state = (JSON.parse(text) as { state?: unknown } | null)?.state;
  } catch {
    return undefined;
  }
  return state === 'ENABLED' || state === 'DISABLED' ? state : undefined;
}

/** The state kept in `file`, or undefined when there is no such file yet. */
export function readScheduleState(file: string): ScheduleState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ScheduleStateUnreadable(`${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const state = parseScheduleState(text);
  if (state === undefined) {
    throw new ScheduleStateUnreadable(
      `${file} must hold {"state": "ENABLED" | "DISABLED"}, got ${JSON.stringify(text.slice(0, 100))} — fix it, or delete it to start ENABLED`,
    );
  }
  return state;
}

/** Writes the state atomically: a crash leaves the old file or the new one, never half of one. */
export function writeScheduleState(file: string, state: ScheduleState, now: Date): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, `${JSON.stringify({ state, changedAt: now.toISOString() })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
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
    const kept = options.stateFile === undefined ? undefined : readScheduleState(options.stateFile);
    this.current = kept ?? options.state ?? 'ENABLED';
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
    // Kept first: a state that cannot be written is refused, not silently lost at the restart.
    if (this.options.stateFile !== undefined && state !== this.current) {
      writeScheduleState(this.options.stateFile, state, this.now());
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
