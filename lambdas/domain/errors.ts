import { ERROR } from '../contracts';

/*
 * Lambda reports a thrown error's `name` as `errorType`, which is what Step Functions matches in
 * Retry/Catch (`ErrorEquals`). Each class therefore sets `this.name` explicitly to the contract's
 * name: never rely on the class name surviving bundling/minification.
 */

/**
 * The execution input failed the schema (docs/architecture.md §5). The execution fails fast; not
 * retried.
 */
export class InvalidExecutionInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR.InvalidExecutionInput;
  }
}

/** The run no longer holds its lease: another run took the lock over. Not retried. */
export class LockLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR.LockLost;
  }
}

/**
 * Something outside a single transaction is wrong: DynamoDB unreachable or throttled after the
 * SDK's own retries, provider credentials rejected, the secret unreadable. Step Functions retries
 * the task; transactions are never marked FAILED because of it.
 */
export class SystemicFault extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ERROR.SystemicFault;
  }
}

/** A handler's own configuration (environment, event wiring) is invalid. Not retried. */
export class InvalidConfiguration extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR.InvalidConfiguration;
  }
}

/**
 * Name and message of a thrown value. Duck-typed rather than `instanceof Error`: errors from
 * another realm (Node's own DOMException, a test sandbox) are errors too.
 */
export function errorParts(err: unknown): { name: string; message: string } {
  if (typeof err === 'object' && err !== null) {
    const { name, message } = err as { name?: unknown; message?: unknown };
    return {
      name: typeof name === 'string' && name !== '' ? name : 'Error',
      message: typeof message === 'string' ? message : String(err),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** Short, log-safe description of an unknown thrown value. */
export function describeError(err: unknown): string {
  const { name, message } = errorParts(err);
  return `${name}: ${message}`;
}
