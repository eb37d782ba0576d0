/**
 * StartExecution's request checks, as the Step Functions API makes them: the name's characters
 * and length (InvalidName), and the input — JSON text or a JSON value, at most 256 KiB
 * (InvalidExecutionInput). They run before anything is recorded, so a refused request leaves no
 * execution behind.
 */
import { StepFunctionsApiError } from './errors';
import { MAX_PAYLOAD_BYTES } from './resources';

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function checkExecutionName(name: string): void {
  if (!NAME.test(name)) {
    throw new StepFunctionsApiError(
      'InvalidName',
      `Invalid Name: ${JSON.stringify(name)} (1..80 characters of A-Z, a-z, 0-9, - and _)`,
    );
  }
}

/** The input as JSON text: a JSON value, or JSON text as the API takes it. */
export function normalizeInput(input: unknown): string {
  let text: string | undefined;
  if (input === undefined) {
    text = '{}';
  } else if (typeof input === 'string') {
    try {
      text = JSON.stringify(JSON.parse(input));
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: the input string is not JSON (${(error as Error).message})`,
      );
    }
  } else {
    try {
      text = JSON.stringify(input);
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: not serializable as JSON (${(error as Error).message})`,
      );
    }
    if (text === undefined) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: ${typeof input} is not a JSON value`,
      );
    }
  }
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: shorter text cannot be over the limit.
  if (text.length > MAX_PAYLOAD_BYTES / 3 && Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new StepFunctionsApiError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: ${Buffer.byteLength(text)} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
    );
  }
  return text;
}
