/**
 * ValidateStateMachineDefinition, locally: does this ASL document load in the local engine?
 * AWS answers `result` OK | FAIL with `diagnostics` (severity, code, message, location) and
 * `truncated`; so does this, from the engine's own load-time checks (`loadDefinition`: the
 * interpreter's, the Distributed Map's and asl-validator's, as `new LocalStepFunctions()` makes
 * them), each thrown error becoming one ERROR diagnostic:
 *
 * | what                                        | code                           | location                   |
 * | ------------------------------------------- | ------------------------------ | -------------------------- |
 * | empty text, or the JSON `null`              | `MISSING_DESCRIPTION`          | —                          |
 * | not JSON                                    | `INVALID_JSON_DESCRIPTION`     | —                          |
 * | not a JSON object, no `States` object       | `SCHEMA_VALIDATION_FAILED`     | `/States` for the latter   |
 * | `InvalidAslDefinition`                      | `SCHEMA_VALIDATION_FAILED`     | the field, when it names one |
 * | `UnsupportedAslFeature`                     | `UNSUPPORTED_BY_LOCAL_RUNTIME` | `/States/<name>/<field>`   |
 * | anything else loadDefinition throws         | `SCHEMA_VALIDATION_FAILED`     | —                          |
 *
 * MISSING_DESCRIPTION, INVALID_JSON_DESCRIPTION and SCHEMA_VALIDATION_FAILED are AWS's codes (API
 * reference, ValidateStateMachineDefinitionDiagnostic, "List of error codes"). None of AWS's codes
 * fits an unsupported feature: each of them says the definition is invalid ASL, and AWS accepts a
 * `.waitForTaskToken` Task or a CSV ItemReader — the local runtime only cannot run them. So that diagnostic has a code of its own; it is an ERROR (result
 * FAIL) because the local runtime refuses to load such a definition. AWS says to rely on `result`
 * only, not on the codes, count or wording of the diagnostics.
 *
 * The engine stops at the first problem, so there is at most one diagnostic, and never a WARNING
 * (AWS's warnings — NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC — are not checked). `type` EXPRESS
 * is accepted and checked as STANDARD is (the engine runs both alike).
 */
import type { AslDefinition } from '../stack/synthesized-definition';
import { loadDefinition } from './compiled-machine';
import { InvalidAslDefinition, UnsupportedAslFeature } from './errors';

export type DiagnosticSeverity = 'ERROR' | 'WARNING';

export interface ValidationDiagnostic {
  readonly severity: DiagnosticSeverity;
  readonly code: string;
  readonly message: string;
  /** A JSON pointer into the definition, e.g. `/States/Wait/Resource`, when the problem has one. */
  readonly location?: string;
}

export interface ValidateDefinitionRequest {
  /** The ASL document as JSON text. */
  readonly definition: string;
  /** @default STANDARD */
  readonly type?: 'STANDARD' | 'EXPRESS';
  /** The least severe diagnostics returned: ERROR (only errors) or WARNING (both). @default ERROR */
  readonly severity?: DiagnosticSeverity;
  /** At most this many diagnostics (1..100; 0 or absent: 100). */
  readonly maxResults?: number;
}

export interface ValidateDefinitionResult {
  readonly result: 'OK' | 'FAIL';
  readonly diagnostics: ValidationDiagnostic[];
  /** More diagnostics were found than maxResults let through. */
  readonly truncated: boolean;
}

/** The diagnostic code of a definition the local runtime cannot run (no AWS code fits). */
export const UNSUPPORTED_BY_LOCAL_RUNTIME = 'UNSUPPORTED_BY_LOCAL_RUNTIME';

const MAX_DIAGNOSTICS = 100;

export function validateStateMachineDefinition(
  request: ValidateDefinitionRequest,
): ValidateDefinitionResult {
  const found = diagnose(request.definition);
  const wanted = found.filter(
    (diagnostic) => diagnostic.severity === 'ERROR' || request.severity === 'WARNING',
  );
  const max = request.maxResults ? request.maxResults : MAX_DIAGNOSTICS;
  return {
    result: found.some((diagnostic) => diagnostic.severity === 'ERROR') ? 'FAIL' : 'OK',
    diagnostics: wanted.slice(0, max),
    truncated: wanted.length > max,
  };
}

function diagnose(text: string): ValidationDiagnostic[] {
  if (text.trim() === '') {
    return [error('MISSING_DESCRIPTION', 'The definition is empty')];
  }
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (parseError) {
    return [
      error(
        'INVALID_JSON_DESCRIPTION',
        `The definition is not valid JSON: ${(parseError as Error).message}`,
      ),
    ];
  }
  if (definition === null) {
    return [error('MISSING_DESCRIPTION', 'The definition is the JSON null')];
  }
  if (typeof definition !== 'object' || Array.isArray(definition)) {
    return [
      error(
        'SCHEMA_VALIDATION_FAILED',
        `The definition must be a JSON object, not ${Array.isArray(definition) ? 'an array' : typeof definition}`,
      ),
    ];
  }
  const states = (definition as { States?: unknown }).States;
  if (states === null || typeof states !== 'object' || Array.isArray(states)) {
    // The engine's planner walks States before the schema check; without an object there it
    // would fail on the walk rather than report the schema error.
    return [
      error(
        'SCHEMA_VALIDATION_FAILED',
        'The definition must have a "States" object (the states by name)',
        '/States',
      ),
    ];
  }
  try {
    loadDefinition(definition as AslDefinition, { dynamoDbClientConfigured: true, validate: true });
  } catch (loadError) {
    if (loadError instanceof InvalidAslDefinition) {
      return [
        error(
          'SCHEMA_VALIDATION_FAILED',
          loadError.message,
          loadError.field === undefined
            ? undefined
            : featureLocation(definition, {
                stateName: loadError.stateName,
                field: loadError.field,
              }),
        ),
      ];
    }
    if (loadError instanceof UnsupportedAslFeature) {
      return [
        error(
          UNSUPPORTED_BY_LOCAL_RUNTIME,
          loadError.message,
          featureLocation(definition, loadError),
        ),
      ];
    }
    // Anything else: the engine's walk tripped over a shape it did not expect (a state that is
    // null, a Branches entry that is not an object, …). `new LocalStepFunctions()` would throw
    // the same, so the definition does not load: FAIL, naming what was thrown.
    const thrown =
      loadError instanceof Error ? `${loadError.name}: ${loadError.message}` : String(loadError);
    return [
      error(
        'SCHEMA_VALIDATION_FAILED',
        `The local engine could not load the definition (${thrown})`,
      ),
    ];
  }
  return [];
}

function error(code: string, message: string, location?: string): ValidationDiagnostic {
  return { severity: 'ERROR', code, message, ...(location !== undefined ? { location } : {}) };
}

/**
 * `/States/<name>/<field>` as a JSON pointer: the state where it is (inside a Parallel branch or
 * a Map's ItemProcessor its full path), the field's dotted path as pointer segments; a
 * machine-level field (no state) is `/<field>`.
 */
function featureLocation(
  definition: object,
  feature: { readonly stateName?: string; readonly field: string },
): string {
  const field = feature.field
    .split('.')
    .filter((segment) => segment !== '')
    .map((segment) => `/${pointerSegment(segment)}`)
    .join('');
  if (feature.stateName === undefined) return field;
  const state =
    statePointer(definition, feature.stateName) ?? `/States/${pointerSegment(feature.stateName)}`;
  return `${state}${field}`;
}

/** The pointer to the state named `name` in a machine document, searching nested machines. */
function statePointer(machine: unknown, name: string, at = ''): string | undefined {
  const states = (machine as { States?: unknown } | null)?.States;
  if (states === null || typeof states !== 'object') return undefined;
  const entries = Object.entries(states as Record<string, unknown>);
  const direct = entries.find(([stateName]) => stateName === name);
  if (direct) return `${at}/States/${pointerSegment(name)}`;
  for (const [stateName, state] of entries) {
    if (state === null || typeof state !== 'object') continue;
    const here = `${at}/States/${pointerSegment(stateName)}`;
    const s = state as { Branches?: unknown; ItemProcessor?: unknown; Iterator?: unknown };
    const nested: [string, unknown][] = [
      ['ItemProcessor', s.ItemProcessor],
      ['Iterator', s.Iterator],
      ...(Array.isArray(s.Branches)
        ? s.Branches.map((branch, i): [string, unknown] => [`Branches/${i}`, branch])
        : []),
    ];
    for (const [key, child] of nested) {
      const found = statePointer(child, name, `${here}/${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** RFC 6901: `~` is `~0`, `/` is `~1`. */
function pointerSegment(text: string): string {
  return text.replace(/~/g, '~0').replace(/\//g, '~1');
}
