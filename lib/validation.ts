import { ERROR } from '../lambdas/contracts';

/**
 * Thrown at synth time when a configuration or construct prop is out of range. The message lists
 * every problem found, one per line, each naming the prop, what is allowed and the value given,
 * so that whoever runs `cdk synth` can fix the config without reading the code.
 */
export class InvalidConfigurationError extends Error {
  override readonly name = ERROR.InvalidConfiguration;

  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Collects problems, then throws them all at once: one synth shows every mistake, not just the first. */
export class Problems {
  private readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  get count(): number {
    return this.list.length;
  }

  /** `name must be min..max, got value` (integers only; the range is inclusive). */
  integerInRange(name: string, value: number, min: number, max: number): boolean {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(`${name} must be an integer in ${min}..${max}, got ${describe(value)}`);
      return false;
    }
    if (value < min || value > max) {
      this.add(`${name} must be ${min}..${max}, got ${value}`);
      return false;
    }
    return true;
  }

  /** Like {@link integerInRange} for values that may be fractional (e.g. a backoff rate). */
  numberInRange(name: string, value: number, min: number, max: number): boolean {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.add(`${name} must be ${min}..${max}, got ${describe(value)}`);
      return false;
    }
    return true;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new InvalidConfigurationError(this.list);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
