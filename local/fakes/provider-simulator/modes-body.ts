/**
 * The JSON form of a fault-mode change, as `POST /txconfirm/provider` on the local endpoint takes
 * it (and `txc local provider …` sends it): checked with zod for its shape, then with the spec
 * parsers of fault-modes.ts, so that a bad body is one InvalidProviderMode naming the field and
 * changes nothing.
 *
 *   { "outage": "now", "for": "5m" }           an outage from now, 5 minutes (no "for": until cleared)
 *   { "outage": "30s@10s", "outageMode": "refuse" }   planned: in 10 s, 30 s of refused connections
 *   { "outage": "off" }                         the provider is back (planned outages dropped too)
 *   { "slow": "2s+1m" } / { "slow": "off" }     2 s per call from now for a minute / normal again
 *   { "authFailure": 401 } / { "authFailure": null }   wrong credentials / accepted again
 *   { "permanentErrorRate": 0.1 }               10% of transactions refused for good (400)
 */
import { z } from 'zod';
import {
  InvalidProviderMode,
  type OutageMode,
  parseDuration,
  parseOutageSpec,
  parseSlowSpec,
  type ProviderModesUpdate,
} from './fault-modes';

const FIELDS = ['outage', 'for', 'outageMode', 'slow', 'authFailure', 'permanentErrorRate'];

export const providerModesBodySchema = z.strictObject({
  outage: z.string().min(1).optional(),
  for: z.string().min(1).optional(),
  outageMode: z.enum(['503', 'refuse']).optional(),
  slow: z.string().min(1).optional(),
  authFailure: z.union([z.literal(401), z.literal(403), z.null()]).optional(),
  permanentErrorRate: z.number().min(0).max(1).optional(),
});

export type ProviderModesBody = z.infer<typeof providerModesBodySchema>;

/** The update a body asks for, or InvalidProviderMode naming what is wrong with it. */
export function parseProviderModesBody(value: unknown): ProviderModesUpdate {
  const parsed = providerModesBodySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    const detail =
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (fields: ${FIELDS.join(', ')})`
        : issue.message;
    throw new InvalidProviderMode(`${where}: ${detail}`);
  }
  const body = parsed.data;
  if (body.for !== undefined && body.outage !== 'now') {
    throw new InvalidProviderMode(
      'for: goes with "outage": "now" (a planned outage says its length itself: "30s@10s")',
    );
  }
  if (body.outageMode !== undefined && (body.outage === undefined || body.outage === 'off')) {
    throw new InvalidProviderMode('outageMode: goes with an outage ("now" or "DURATION[@START]")');
  }
  if (
    body.outage === undefined &&
    body.slow === undefined &&
    body.authFailure === undefined &&
    body.permanentErrorRate === undefined
  ) {
    throw new InvalidProviderMode(
      'body: set at least one of outage, slow, authFailure, permanentErrorRate',
    );
  }
  const mode: OutageMode = body.outageMode ?? '503';
  const update: {
    -readonly [K in keyof ProviderModesUpdate]: ProviderModesUpdate[K];
  } = {};
  if (body.outage === 'off') update.outages = 'off';
  else if (body.outage === 'now') {
    const durationMs = body.for === undefined ? undefined : parseDuration(body.for, 'for');
    if (durationMs === 0) throw new InvalidProviderMode('for: must be above 0');
    update.outages = [{ startInMs: 0, mode, ...(durationMs === undefined ? {} : { durationMs }) }];
  } else if (body.outage !== undefined) {
    update.outages = [parseOutageSpec(body.outage, mode, 'outage')];
  }
  if (body.slow === 'off') update.slow = 'off';
  else if (body.slow !== undefined) update.slow = [parseSlowSpec(body.slow, 'slow')];
  if (body.authFailure !== undefined) update.authFailure = body.authFailure;
  if (body.permanentErrorRate !== undefined) update.permanentErrorRate = body.permanentErrorRate;
  return update;
}
