/**
 * The simulated payment provider (docs/architecture.md §6): a real HTTP server on loopback that
 * implements exactly the provider API lambdas/adapters/http-payment-provider.ts calls
 * (docs/architecture.md §4, "Provider API and outcome classification"):
 *
 *   POST /v1/confirmations
 *   Idempotency-Key: <transaction id>          (must equal body.transactionId, else 400)
 *   Authorization: Bearer <api key>            (anything else: 401)
 *   {"transactionId": "...", "amount": <integer minor units>, "currency": "EUR"}
 *   -> 200 {"status":"CONFIRMED","reference":"..."} | 200 {"status":"REJECTED","reason":"..."}
 *      | 402 {"reason":"..."} | 5xx, 429 + Retry-After (transient) | no answer (a timeout)
 *
 * Like a real provider it acts once per idempotency key: the first final outcome (confirmed or
 * rejected) for a key is stored and replayed, byte for byte, for every later call with that key.
 * Transient answers are not final, so a retry may then succeed; a call for a key that is still
 * being processed gets 409 (transient). A timed-out call has, by default, reached the provider and
 * acted (its answer is what got lost), which is the "crash after provider success" case that the
 * idempotency key exists for.
 *
 * Randomness is a pure function of (seed, idempotency key, attempt number for that key), so a run
 * is reproducible whatever order concurrent calls arrive in.
 *
 * Fault modes (fault-modes.ts) play the runbook's provider entries: a permanent 400 for a share of
 * transactions, wrong credentials (401/403 to every call), outage windows (503 + Retry-After, or
 * refused connections) and slow windows; set at start (`modes`) or at run time (`setModes`).
 *
 * The folder: decisions.ts decides every answer (knobs, fault modes, seeded draws, idempotency
 * memory) without HTTP; http-layer.ts reads calls and writes those answers; server.ts wires them
 * behind a loopback server; fault-modes.ts, options.ts, randomness.ts, answers.ts, request.ts,
 * outcome-store.ts and call-log.ts are the parts they share. Import the simulator from here.
 */
export { CallLogFailed } from './call-log';
export type { CallOutcome, ProviderSimulatorStats, SimulatedCall } from './calls';
export type { DefaultStep, ProviderStep } from './decisions';
export {
  InvalidSimulatorOption,
  type ProviderSimulatorKnobs,
  type ProviderSimulatorOptions,
  resolveSimulatorOptions,
} from './options';
export {
  type AuthFailure,
  InvalidProviderMode,
  type OutageMode,
  OUTAGE_MODES,
  type OutageSpec,
  parseDuration,
  parseOutageSpec,
  parseSlowSpec,
  type ProviderModesSnapshot,
  type ProviderModesUpdate,
  type SlowSpec,
} from './fault-modes';
export {
  parseProviderModesBody,
  type ProviderModesBody,
  providerModesBodySchema,
} from './modes-body';
export {
  type ProviderKnobValues,
  type ProviderModeState,
  type ProviderSimulator,
  startProviderSimulator,
} from './server';
