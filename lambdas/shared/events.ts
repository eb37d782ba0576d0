import { z } from 'zod';
import { InvalidConfiguration } from '../domain/errors';

/**
 * Validate the event a handler receives from the state machine or EventBridge. A mismatch is a
 * wiring bug (ASL and handler disagree on contracts.ts), not bad operator input.
 */
export function parseEvent<S extends z.ZodType>(
  schema: S,
  event: unknown,
  handlerName: string,
): z.output<S> {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || 'event'}: ${issue.message}`);
  throw new InvalidConfiguration(
    `${handlerName} received a malformed event (state machine wiring, see lambdas/contracts.ts): ${problems.join('; ')}`,
  );
}
