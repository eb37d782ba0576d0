import {
  startProviderSimulator,
  type ProviderStep,
  type SimulatedCall,
} from '../../local/fakes/provider-simulator';

/**
 * The handler tests' payment provider: the local simulator (local/fakes/provider-simulator/, a real
 * HTTP server on loopback with the production API and its idempotent replay), with every knob at
 * zero so that nothing is random: unscripted calls are confirmed with reference `ref-<id>`, and a
 * test scripts any other answer per transaction id.
 */

export type { ProviderStep };

export interface ProviderCall {
  /** `transactionId` from the request body. */
  id: string | undefined;
  idempotencyKey: string | undefined;
  /** The request body (well-formed requests only; others are answered 400 before any action). */
  body: { transactionId: string; amount: number; currency: string } | undefined;
  /** An Authorization header was sent. */
  hasAuthorization: boolean;
  /** It carried the expected API key. */
  authorized: boolean;
  /** The answer replayed a stored final outcome. */
  replayed: boolean;
  status: number | undefined;
  outcome: SimulatedCall['outcome'];
}

export interface ProviderServer {
  /** http://127.0.0.1:<port>, for PROVIDER_BASE_URL. */
  baseUrl: string;
  readonly calls: ProviderCall[];
  callsFor(id: string): ProviderCall[];
  /** Answers for the next calls with this id, in order; afterwards the default applies. */
  script(id: string, ...steps: ProviderStep[]): void;
  /** The answer for unscripted calls (default: 200 CONFIRMED). */
  setDefault(step: ProviderStep | ((id: string) => ProviderStep)): void;
  /** How many times this id was charged (a CONFIRMED answer produced, not replayed). */
  charges(id: string): number;
  /** Forget scripts, outcomes, calls and the default. */
  reset(): void;
  close(): Promise<void>;
}

const toProviderCall = (call: SimulatedCall): ProviderCall => ({
  id: call.transactionId,
  idempotencyKey: call.idempotencyKey,
  body:
    call.transactionId !== undefined && call.amount !== undefined && call.currency !== undefined
      ? { transactionId: call.transactionId, amount: call.amount, currency: call.currency }
      : undefined,
  hasAuthorization: call.hasAuthorization,
  authorized: call.authorized,
  replayed: call.replayed,
  status: call.status,
  outcome: call.outcome,
});

export async function startProviderServer(options: { apiKey: string }): Promise<ProviderServer> {
  const simulator = await startProviderSimulator({
    apiKey: options.apiKey,
    reference: (key) => `ref-${key}`,
    // Each scripted call is answered on its own, even while an earlier one is still delayed.
    conflictWhileInFlight: false,
  });
  const calls = () => simulator.calls().map(toProviderCall);
  return {
    baseUrl: simulator.url,
    get calls() {
      return calls();
    },
    callsFor: (id) => calls().filter((call) => call.id === id),
    script: (id, ...steps) => simulator.script(id, ...steps),
    setDefault: (step) => simulator.setDefault(step),
    charges: (id) =>
      simulator
        .calls()
        .filter(
          (call) => call.transactionId === id && call.outcome === 'confirmed' && !call.replayed,
        ).length,
    reset: () => simulator.reset(),
    close: () => simulator.stop(),
  };
}
