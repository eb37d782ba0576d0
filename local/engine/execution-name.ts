/**
 * StartExecution's name check (InvalidName), also used by `txc start --name` and `txc` execution
 * references, so that the rule has one home.
 *
 * The rule is the API reference's (StartExecution, request parameter `name`): 1..80
 * characters, none of which is white space, a bracket `< > { } [ ]`, a wildcard `? *`, one of the
 * special characters `" # % \ ^ | ~ ` $ & , ; : /`, a control character (U+0000–001F,
 * U+007F–009F, U+FFFE–FFFF), a surrogate (U+D800–DFFF) or U+10FFFF. Anything else is accepted —
 * `.`, non-ASCII letters (`Zürich-日本`): "To enable logging with CloudWatch Logs, the name should
 * only contain 0-9, A-Z, a-z, - and _" is advice, not a refusal.
 */
import { StepFunctionsApiError } from './errors';

/** The most characters (Unicode code points, as AWS counts a string's length) of a name. */
export const MAX_NAME_LENGTH = 80;

const BRACKETS = new Set(['<', '>', '{', '}', '[', ']']);
const WILDCARDS = new Set(['?', '*']);
const SPECIAL = new Set(['"', '#', '%', '\\', '^', '|', '~', '`', '$', '&', ',', ';', ':', '/']);
const WHITE_SPACE = /^\p{White_Space}$/u;

/** Why AWS refuses `char` (one code point) in a name, or undefined when it accepts it. */
export function forbiddenNameCharacter(char: string): string | undefined {
  const code = char.codePointAt(0) ?? 0;
  // Control characters first: U+0085 is both white space and a C1 control.
  if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0xfffe || code === 0xffff) {
    return 'a control character (U+0000-001F, U+007F-009F, U+FFFE-FFFF)';
  }
  if (WHITE_SPACE.test(char)) return 'white space';
  if (BRACKETS.has(char)) return 'a bracket (< > { } [ ])';
  if (WILDCARDS.has(char)) return 'a wildcard character (? *)';
  if (SPECIAL.has(char)) return 'a special character (" # % \\ ^ | ~ ` $ & , ; : /)';
  if (code >= 0xd800 && code <= 0xdfff) return 'a surrogate (U+D800-DFFF)';
  if (code === 0x10ffff) return 'an invalid character (U+10FFFF)';
  return undefined;
}

/** `' '` (U+0020): the character as JSON text (control characters escaped) and its code point. */
function describeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return `${JSON.stringify(char)} (U+${hex})`;
}

/** Why AWS refuses `name` as an execution name, or undefined when it accepts it. */
export function executionNameProblem(name: string): string | undefined {
  const chars = [...name];
  if (chars.length < 1 || chars.length > MAX_NAME_LENGTH) {
    return `${chars.length} characters (a name has 1 to ${MAX_NAME_LENGTH})`;
  }
  for (let index = 0; index < chars.length; index += 1) {
    const reason = forbiddenNameCharacter(chars[index]);
    if (reason !== undefined) {
      return `the character ${describeCharacter(chars[index])} at position ${index + 1} is ${reason}, which a name must not contain`;
    }
  }
  return undefined;
}

/** StartExecution's name check: InvalidName naming what is wrong. */
export function checkExecutionName(name: string): void {
  const problem = executionNameProblem(name);
  if (problem !== undefined) {
    throw new StepFunctionsApiError(
      'InvalidName',
      `Invalid Name: ${JSON.stringify(name)}: ${problem}`,
    );
  }
}
