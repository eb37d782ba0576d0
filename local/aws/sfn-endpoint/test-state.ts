/**
 * TestState over the engine's testState (local/engine/test-state.ts): the request's fields
 * checked against the API reference's constraints, the answer as the engine gives it (JSON text
 * for output and the inspection data, as the API carries them).
 *
 * The fields AWS added for mocked tests (`mock`, `context`, which AWS takes only with a mock, and
 * `stateConfiguration`, which configures a mocked or Map state) are refused with a
 * ValidationException naming the field: the local runtime runs the state's real resources.
 */
import { INSPECTION_LEVELS } from '../../engine/test-state';
import {
  ARN,
  DEFINITION,
  optionalBoolean,
  optionalEnum,
  optionalString,
  requiredString,
  SENSITIVE_DATA,
  TEST_STATE_NAME,
} from './request-fields';
import type { OperationContext } from './state-machines';
import { ApiError, type Body } from './wire';

/** Newer request fields the local runtime does not take, and why. */
const REFUSED_FIELDS: Readonly<Record<string, string>> = {
  mock: 'a mocked result or error is not supported by the local runtime: it runs the state with its real resources',
  context: 'a Context object is taken only with a mock, which the local runtime does not support',
  stateConfiguration:
    'a state configuration (retry count, Map iteration data) is not supported by the local runtime',
};

export async function testState(context: OperationContext, body: Body): Promise<Body> {
  for (const [field, reason] of Object.entries(REFUSED_FIELDS)) {
    if (body[field] !== undefined && body[field] !== null) {
      throw new ApiError('ValidationException', `TestState's ${field}: ${reason}`);
    }
  }
  const result = await context.engine.testState({
    definition: requiredString(body, 'definition', DEFINITION),
    roleArn: optionalString(body, 'roleArn', ARN),
    input: optionalString(body, 'input', SENSITIVE_DATA),
    inspectionLevel: optionalEnum(body, 'inspectionLevel', INSPECTION_LEVELS),
    revealSecrets: optionalBoolean(body, 'revealSecrets'),
    variables: optionalString(body, 'variables', SENSITIVE_DATA),
    stateName: optionalString(body, 'stateName', TEST_STATE_NAME),
  });
  return { ...result };
}
