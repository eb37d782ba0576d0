/**
 * StartExecution's input check, as the Step Functions API makes it: JSON text or a JSON value, at
 * most 256 KiB measured in UTF-8 bytes of the text as received (InvalidExecutionInput). It runs
 * before anything is recorded, so a refused request leaves no execution behind. The name's rule:
 * execution-name.ts.
 */
import { StepFunctionsApiError } from './errors';
import { MAX_PAYLOAD_BYTES, bytesOverLimit } from './payload-limit';

/**
 * The input as JSON text: a JSON value, or JSON text as the API takes it. The 256 KiB limit is
 * measured on the text as received (its UTF-8 bytes, whitespace included), not on the re-serialised
 * text, which can be shorter; a JSON value is measured as JSON.stringify writes it.
 */
export function normalizeInput(input: unknown): string {
  if (input === undefined) return '{}';
  if (typeof input === 'string') {
    checkInputSize(input);
    try {
      return JSON.stringify(JSON.parse(input));
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: the input string is not JSON (${(error as Error).message})`,
      );
    }
  }
  let text: string | undefined;
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
  checkInputSize(text);
  return text;
}

function checkInputSize(text: string): void {
  const bytes = bytesOverLimit(text);
  if (bytes !== undefined) {
    throw new StepFunctionsApiError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: ${bytes} bytes (UTF-8), over the ${MAX_PAYLOAD_BYTES}-byte limit`,
    );
  }
}
