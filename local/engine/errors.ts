/**
 * Errors of the embedded engine.
 *
 * Two families:
 * - errors thrown to the caller of the engine (a definition it cannot run, a bad API call), each
 *   named like its Step Functions counterpart so a person can act on it;
 * - task failures, the errors a Task state fails with inside an execution. aws-local-stepfunctions
 *   matches Retry/Catch on `error.name` and builds the Catch output `{ Error: name, Cause: message }`,
 *   so a task failure's name is the Step Functions error name and its message is the Cause.
 */

/** The definition uses a feature the local runtime cannot run faithfully. Raised at load time. */
export class UnsupportedAslFeature extends Error {
  override readonly name = 'UnsupportedAslFeature';

  constructor(
    readonly stateName: string | undefined,
    readonly field: string,
    detail: string,
  ) {
    super(`${stateName === undefined ? 'State machine' : `State "${stateName}"`}: ${detail}`);
  }
}

/** The definition is not valid Amazon States Language (asl-validator's findings in the message). */
export class InvalidAslDefinition extends Error {
  override readonly name = 'InvalidAslDefinition';
  /** Where, when one state's field is at fault (the message names them too). */
  readonly stateName?: string;
  readonly field?: string;

  constructor(message: string, where?: { readonly stateName: string; readonly field: string }) {
    super(where ? `State "${where.stateName}": ${message}` : message);
    this.stateName = where?.stateName;
    this.field = where?.field;
  }
}

/** Errors of the execution API, named as the Step Functions API names them. */
export class StepFunctionsApiError extends Error {
  constructor(
    override readonly name:
      | 'InvalidName'
      | 'InvalidExecutionInput'
      | 'ExecutionAlreadyExists'
      | 'ExecutionDoesNotExist'
      | 'ExecutionNotRedrivable'
      | 'InvalidArn'
      | 'InvalidDefinition'
      | 'ValidationException'
      | 'ResourceNotFound'
      | 'EngineClosed',
    message: string,
  ) {
    super(message);
  }
}

/** Options of a task failure. aws-local-stepfunctions reads `isRetryable` / `isCatchable`. */
export interface TaskFailureOptions {
  /** Retry may match it. @default true */
  readonly retryable?: boolean;
  /** Catch may match it. @default true */
  readonly catchable?: boolean;
  /** Step Functions reports no Cause (States.Timeout, a Fail state without Cause). */
  readonly noCause?: boolean;
  /** Step Functions reports no Error (a Fail state without Error). */
  readonly noError?: boolean;
}

/** A Task state's failure: `name` is the Step Functions error, `message` its Cause. */
export class TaskFailure extends Error {
  readonly isRetryable: boolean;
  readonly isCatchable: boolean;
  readonly hasCause: boolean;
  readonly hasError: boolean;

  constructor(
    override readonly name: string,
    cause: string,
    options: TaskFailureOptions = {},
  ) {
    super(cause);
    this.isRetryable = options.retryable ?? true;
    this.isCatchable = options.catchable ?? true;
    this.hasCause = !options.noCause;
    this.hasError = !options.noError;
  }
}

/**
 * `States.Runtime`: the execution cannot go on (a path that points nowhere, an ItemsPath that is
 * not an array). As on AWS it is neither retried nor caught, not even by States.ALL.
 */
export function statesRuntimeError(cause: string): TaskFailure {
  return new TaskFailure('States.Runtime', cause, { retryable: false, catchable: false });
}

/**
 * What a task invocation fails with once its execution (or its Distributed Map) was stopped:
 * never retried or caught, so a stopped execution does not run one more attempt.
 */
export function cancelledError(reason: string): TaskFailure {
  return new TaskFailure('States.Cancelled', reason, { retryable: false, catchable: false });
}

/** The `{ Error, Cause }` pair Step Functions reports for a failure. */
export interface ErrorOutput {
  readonly Error: string;
  /** Absent when Step Functions reports none (States.Timeout, a Fail state without Cause). */
  readonly Cause?: string;
  /** False for a Fail state without Error: Step Functions reports none. */
  readonly hasError?: boolean;
}

/** The Step Functions view of anything an execution threw. */
export function errorOutput(error: unknown): ErrorOutput {
  if (error instanceof TaskFailure) {
    return {
      Error: error.name,
      ...(error.hasCause ? { Cause: error.message } : {}),
      ...(error.hasError ? {} : { hasError: false }),
    };
  }
  if (error instanceof Error) return { Error: error.name, Cause: error.message };
  return { Error: 'Error', Cause: String(error) };
}
