// The simulator's fault modes (the runbook's provider entries, played offline): the pure parts
// (flag syntax, windows, the JSON body), the decision module with a hand-driven clock, and the
// simulator over HTTP through the production adapter and its classification table.
import {
  HttpPaymentProvider,
  type ApiKeySource,
} from '../../lambdas/adapters/http-payment-provider';
import { classifyProviderResponse } from '../../lambdas/domain/classification';
import {
  InvalidProviderMode,
  parseDuration,
  parseOutageSpec,
  parseProviderModesBody,
  parseSlowSpec,
  type ProviderSimulator,
  type ProviderSimulatorOptions,
  startProviderSimulator,
} from '../../local/fakes/provider-simulator';
import { type Answer } from '../../local/fakes/provider-simulator/answers';
import { type FreshCall, ProviderDecisions } from '../../local/fakes/provider-simulator/decisions';
import { ProviderModes } from '../../local/fakes/provider-simulator/fault-modes';
import { resolveSimulatorOptions } from '../../local/fakes/provider-simulator/options';
import { OutcomeStore } from '../../local/fakes/provider-simulator/outcome-store';

const API_KEY = 'sim-key';

describe('flag syntax', () => {
  test.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['0s', 0],
  ])('duration %s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    [
      '30',
      /must be a number with a unit \(ms, s, m, h\), e\.g\. 30s, got "30" \(add a unit: 30s\)/,
    ],
    ['ten s', /got "ten s"/],
    ['-1s', /got "-1s"/],
    ['30d', /got "30d"/],
    ['30000h', /at most 24 days/],
  ])('duration %s is refused by name', (text, message) => {
    expect(() => parseDuration(text, '--outage duration')).toThrow(message);
    expect(() => parseDuration(text, '--outage duration')).toThrow(InvalidProviderMode);
  });

  test('outage DURATION[@START]', () => {
    expect(parseOutageSpec('30s@10s')).toEqual({
      startInMs: 10_000,
      durationMs: 30_000,
      mode: '503',
    });
    expect(parseOutageSpec('5m', 'refuse')).toEqual({
      startInMs: 0,
      durationMs: 300_000,
      mode: 'refuse',
    });
    expect(() => parseOutageSpec('30s@10s@5s', '503', '--outage')).toThrow(
      /--outage must be DURATION\[@START\], e\.g\. 30s@10s .*got "30s@10s@5s"/,
    );
    expect(() => parseOutageSpec('@10s', '503', '--outage')).toThrow(/--outage must be/);
    expect(() => parseOutageSpec('0s@1s', '503', '--outage')).toThrow(
      /--outage duration must be above 0/,
    );
    expect(() => parseOutageSpec('30s@soon', '503', '--outage')).toThrow(
      /--outage start must be a number with a unit/,
    );
  });

  test('slow LATENCY[@START][+DURATION]', () => {
    expect(parseSlowSpec('2000ms@0s+60s')).toEqual({
      latencyMs: 2000,
      startInMs: 0,
      durationMs: 60_000,
    });
    expect(parseSlowSpec('2s+1m')).toEqual({ latencyMs: 2000, startInMs: 0, durationMs: 60_000 });
    expect(parseSlowSpec('2s@30s')).toEqual({ latencyMs: 2000, startInMs: 30_000 });
    expect(() => parseSlowSpec('fast', '--slow')).toThrow(/--slow latency must be a number/);
    expect(() => parseSlowSpec('11m', '--slow')).toThrow(/--slow latency must be at most 10m/);
    expect(() => parseSlowSpec('2s+0s', '--slow')).toThrow(/--slow duration must be above 0/);
    expect(() => parseSlowSpec('2s@1s@2s', '--slow')).toThrow(
      /--slow must be LATENCY\[@START\]\[\+DURATION\]/,
    );
  });
});

describe('POST /txconfirm/provider bodies', () => {
  test.each<[unknown, unknown]>([
    [
      { outage: 'now', for: '5m' },
      { outages: [{ startInMs: 0, durationMs: 300_000, mode: '503' }] },
    ],
    [{ outage: 'now' }, { outages: [{ startInMs: 0, mode: '503' }] }],
    [
      { outage: '30s@10s', outageMode: 'refuse' },
      { outages: [{ startInMs: 10_000, durationMs: 30_000, mode: 'refuse' }] },
    ],
    [{ outage: 'off' }, { outages: 'off' }],
    [{ slow: '2s+1m' }, { slow: [{ latencyMs: 2000, startInMs: 0, durationMs: 60_000 }] }],
    [{ slow: 'off' }, { slow: 'off' }],
    [{ authFailure: 401 }, { authFailure: 401 }],
    [{ authFailure: null }, { authFailure: null }],
    [{ permanentErrorRate: 0.1 }, { permanentErrorRate: 0.1 }],
  ])('%j -> %j', (body, update) => {
    expect(parseProviderModesBody(body)).toEqual(update);
  });

  test.each<[unknown, RegExp]>([
    [{}, /^body: set at least one of outage, slow, authFailure, permanentErrorRate$/],
    [null, /^body: /],
    [[1], /^body: /],
    [{ outage: 'later' }, /^outage duration must be a number with a unit/],
    [{ outage: 'now', for: 'a while' }, /^for must be a number with a unit/],
    [{ outage: '30s@10s', for: '5m' }, /^for: goes with "outage": "now"/],
    [{ outageMode: 'refuse' }, /^outageMode: goes with an outage/],
    [{ outage: 'now', outageMode: 'drop' }, /^outageMode: /],
    [{ authFailure: 500 }, /^authFailure: /],
    [{ authFailure: '401' }, /^authFailure: /],
    [{ permanentErrorRate: 2 }, /^permanentErrorRate: /],
    [{ slow: '2s', latency: 5 }, /^body: unknown field "latency" \(fields: outage, for,/],
  ])('%j is refused: %s', (body, message) => {
    expect(() => parseProviderModesBody(body)).toThrow(message);
    expect(() => parseProviderModesBody(body)).toThrow(InvalidProviderMode);
  });
});

describe('ProviderModes windows', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');

  test('an outage window has a start and an end; Retry-After counts down to the end', () => {
    const modes = new ProviderModes();
    modes.apply({ outages: [{ startInMs: 10_000, durationMs: 30_000, mode: '503' }] }, T0);
    expect(modes.outageAt(T0)).toBeUndefined();
    expect(modes.nextChangeAfter(T0)).toBe(T0 + 10_000);
    expect(modes.outageAt(T0 + 10_000)).toMatchObject({ mode: '503' });
    expect(modes.retryAfterSeconds(T0 + 10_000)).toBe(30);
    expect(modes.retryAfterSeconds(T0 + 39_500)).toBe(1);
    expect(modes.nextChangeAfter(T0 + 10_000)).toBe(T0 + 40_000);
    expect(modes.outageAt(T0 + 40_000)).toBeUndefined();
    expect(modes.snapshot(T0 + 40_000).outages).toEqual([]);
  });

  test('several windows, a refusing one wins; "off" ends the current one and drops planned ones', () => {
    const modes = new ProviderModes();
    modes.apply(
      {
        outages: [
          { startInMs: 0, mode: '503' },
          { startInMs: 5_000, durationMs: 1_000, mode: 'refuse' },
          { startInMs: 60_000, durationMs: 1_000, mode: '503' },
        ],
      },
      T0,
    );
    expect(modes.outageAt(T0 + 1_000)?.mode).toBe('503');
    expect(modes.outageAt(T0 + 5_500)?.mode).toBe('refuse');
    expect(modes.retryAfterSeconds(T0 + 1_000)).toBeUndefined();
    const snapshot = modes.snapshot(T0 + 1_000);
    expect(snapshot.outages.map((w) => [w.mode, w.active, w.end])).toEqual([
      ['503', true, null],
      ['refuse', false, '2026-01-01T00:00:06.000Z'],
      ['503', false, '2026-01-01T00:01:01.000Z'],
    ]);
    expect(snapshot.outageNow).toEqual({ mode: '503', until: null });
    modes.apply({ outages: 'off' }, T0 + 2_000);
    expect(modes.outageAt(T0 + 5_500)).toBeUndefined();
    expect(modes.snapshot(T0 + 2_000).outages).toEqual([]);
  });

  test('slow windows raise the latency, then it is back to normal; the highest wins', () => {
    const modes = new ProviderModes();
    modes.apply(
      {
        slow: [
          { latencyMs: 2_000, startInMs: 0, durationMs: 60_000 },
          { latencyMs: 5_000, startInMs: 10_000, durationMs: 5_000 },
        ],
      },
      T0,
    );
    expect(modes.slowLatencyAt(T0)).toBe(2_000);
    expect(modes.slowLatencyAt(T0 + 12_000)).toBe(5_000);
    expect(modes.slowLatencyAt(T0 + 60_000)).toBeUndefined();
  });

  test('a bad update changes nothing', () => {
    const modes = new ProviderModes();
    modes.apply({ authFailure: 403, permanentErrorRate: 0.2 }, T0);
    expect(() =>
      modes.apply(
        { authFailure: null, permanentErrorRate: 1.5, outages: [{ startInMs: 0, mode: '503' }] },
        T0,
      ),
    ).toThrow(/permanentErrorRate must be 0\.\.1, got 1\.5/);
    expect(modes.authFailure).toBe(403);
    expect(modes.permanentErrorRate).toBe(0.2);
    expect(modes.outageAt(T0)).toBeUndefined();
    expect(() => modes.apply({ authFailure: 500 as never }, T0)).toThrow(
      /authFailure must be 401, 403 or null, got 500/,
    );
  });
});

describe('decision module with fault modes (no HTTP, a hand-driven clock)', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  function decisions(options: Partial<ProviderSimulatorOptions> = {}) {
    let now = T0;
    const modes = new ProviderModes();
    const d = new ProviderDecisions(
      resolveSimulatorOptions({ apiKey: API_KEY, latencyMs: 20, retryAfterSeconds: 3, ...options }),
      OutcomeStore.inMemory(),
      modes,
      () => now,
    );
    return {
      d,
      modes,
      at: (ms: number) => {
        now = T0 + ms;
      },
      apply: (update: Parameters<ProviderModes['apply']>[0]) => modes.apply(update, now),
    };
  }
  const request = (id: string) => ({ key: id, transactionId: id, amount: 1250, currency: 'EUR' });
  const fresh = (d: ProviderDecisions, id: string): FreshCall => {
    const admission = d.admit(request(id));
    if (admission.kind !== 'fresh') throw new Error(`not fresh: ${JSON.stringify(admission)}`);
    return admission.call;
  };
  const answerOf = (d: ProviderDecisions, id: string): Answer => {
    const call = fresh(d, id);
    const decision = d.decide(call);
    d.release(call);
    if (decision.kind !== 'answer') throw new Error(`no answer: ${decision.kind}`);
    return decision.answer;
  };

  test('no mode: the gate lets every call through', () => {
    const { d } = decisions();
    expect(d.gate()).toBeUndefined();
  });

  test('outage 503: every call answers 503 with Retry-After until the window ends', () => {
    const { d, apply, at } = decisions();
    apply({ outages: [{ startInMs: 10_000, durationMs: 30_000, mode: '503' }] });
    expect(d.gate()).toBeUndefined();
    at(20_000);
    expect(d.gate()).toMatchObject({
      status: 503,
      outcome: 'transient',
      headers: { 'Retry-After': '20' },
    });
    at(40_000);
    expect(d.gate()).toBeUndefined();
    // Open-ended: Retry-After is the knob's.
    apply({ outages: [{ startInMs: 0, mode: '503' }] });
    expect(d.gate()).toMatchObject({ status: 503, headers: { 'Retry-After': '3' } });
    apply({ outages: 'off' });
    expect(d.gate()).toBeUndefined();
  });

  test('outage refuse: the gate says to drop the connection', () => {
    const { d, apply } = decisions();
    apply({ outages: [{ startInMs: 0, durationMs: 1_000, mode: 'refuse' }] });
    expect(d.gate()).toBe('refuse');
  });

  test('wrong credentials: every call answers 401 or 403 until cleared', () => {
    const { d, apply } = decisions();
    apply({ authFailure: 401 });
    expect(d.gate()).toMatchObject({ status: 401, outcome: 'unauthorized' });
    apply({ authFailure: 403 });
    expect(d.gate()).toMatchObject({ status: 403, outcome: 'unauthorized' });
    apply({ authFailure: null });
    expect(d.gate()).toBeUndefined();
  });

  test('an outage answers before wrong credentials', () => {
    const { d, apply } = decisions();
    apply({ authFailure: 401, outages: [{ startInMs: 0, mode: '503' }] });
    expect(d.gate()).toMatchObject({ status: 503 });
  });

  test('slow: a fresh call waits the window latency while it lasts, then the knob latency', () => {
    const { d, apply, at } = decisions({ jitterMs: 0 });
    apply({ slow: [{ latencyMs: 2_000, startInMs: 0, durationMs: 60_000 }] });
    const slowCall = fresh(d, 'slow-1');
    expect(slowCall.delayMs).toBe(2_000);
    d.release(slowCall);
    at(60_000);
    const normal = fresh(d, 'slow-2');
    expect(normal.delayMs).toBe(20);
    d.release(normal);
  });

  test('permanent errors: a share of transactions get 400 on every attempt, nothing stored as final', async () => {
    const { d, apply } = decisions({ seed: 7 });
    apply({ permanentErrorRate: 0.3 });
    const ids = Array.from({ length: 1000 }, (_, i) => `perm-${i}`);
    const refused = ids.filter((id) => answerOf(d, id).status === 400);
    expect(refused.length).toBeGreaterThan(250);
    expect(refused.length).toBeLessThan(350);
    const first = refused[0];
    expect(answerOf(d, first)).toMatchObject({
      status: 400,
      outcome: 'bad-request',
      text: expect.stringContaining('INVALID_TRANSACTION'),
    });
    expect(await d.finalOutcome(first)).toBeUndefined();
    // The same transactions with the same seed; another seed draws others.
    const again = decisions({ seed: 7 });
    again.apply({ permanentErrorRate: 0.3 });
    expect(ids.filter((id) => answerOf(again.d, id).status === 400)).toEqual(refused);
    const other = decisions({ seed: 8 });
    other.apply({ permanentErrorRate: 0.3 });
    expect(ids.filter((id) => answerOf(other.d, id).status === 400)).not.toEqual(refused);
    // Cleared: they are answered again (and confirmed: rejectionRate is 0).
    apply({ permanentErrorRate: 0 });
    expect(answerOf(d, first)).toMatchObject({ status: 200, outcome: 'confirmed' });
  });
});

describe('the simulator over HTTP, through the production adapter', () => {
  const running: ProviderSimulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.stop()));
  });
  async function simulator(options: Partial<ProviderSimulatorOptions> = {}) {
    const sim = await startProviderSimulator({ apiKey: API_KEY, ...options });
    running.push(sim);
    return sim;
  }
  const keySource: ApiKeySource = { get: async () => API_KEY, invalidate: () => undefined };
  const confirm = (sim: ProviderSimulator, id: string) =>
    new HttpPaymentProvider({ baseUrl: sim.url, timeoutMs: 5000, apiKey: keySource }).confirm({
      transactionId: id,
      amount: 1250,
      currency: 'EUR',
    });
  const classify = async (sim: ProviderSimulator, id: string) =>
    classifyProviderResponse(await confirm(sim, id));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('permanent errors: FAILED with PROVIDER_HTTP_400 and the reason', async () => {
    const sim = await simulator({ modes: { permanentErrorRate: 1 } });
    expect(await classify(sim, 'p-1')).toMatchObject({
      outcome: 'permanent',
      rule: 'client-error',
      error: 'PROVIDER_HTTP_400: INVALID_TRANSACTION: the provider refuses this transaction',
    });
  });

  test.each([401, 403] as const)('auth failure %d: SystemicFault for the batch', async (status) => {
    const sim = await simulator();
    await sim.setModes({ authFailure: status });
    expect(await classify(sim, 'a-1')).toMatchObject({
      outcome: 'systemic',
      rule: 'unauthorized',
      error: `provider rejected our credentials (HTTP ${status})`,
    });
    await sim.setModes({ authFailure: null });
    expect(await classify(sim, 'a-1')).toMatchObject({ outcome: 'confirmed' });
  });

  test('outage 503: transient with Retry-After, then confirmed once the window is over', async () => {
    const sim = await simulator();
    const state = await sim.setModes({
      outages: [{ startInMs: 0, durationMs: 1500, mode: '503' }],
    });
    expect(state).toMatchObject({ listening: true, outageNow: { mode: '503' } });
    const during = await confirm(sim, 'o-1');
    expect(during).toMatchObject({ kind: 'http', status: 503 });
    expect(classifyProviderResponse(during)).toMatchObject({
      outcome: 'transient',
      error: 'PROVIDER_UNAVAILABLE: HTTP 503',
    });
    expect(sim.calls().at(-1)).toMatchObject({ status: 503, outcome: 'transient' });
    await sleep(1700);
    expect(await classify(sim, 'o-1')).toMatchObject({ outcome: 'confirmed' });
  });

  test('a planned outage (start option): normal, then 503, then normal again', async () => {
    const sim = await simulator({
      modes: { outages: [{ startInMs: 800, durationMs: 1200, mode: '503' }] },
    });
    const started = Date.now();
    expect(await classify(sim, 'w-1')).toMatchObject({ outcome: 'confirmed' });
    await sleep(1200 - (Date.now() - started));
    expect(await classify(sim, 'w-2')).toMatchObject({ outcome: 'transient' });
    await sleep(2300 - (Date.now() - started));
    expect(await classify(sim, 'w-2')).toMatchObject({ outcome: 'confirmed' });
  });

  test('outage refuse: connections refused (network, transient), then it listens again on the same port', async () => {
    const sim = await simulator();
    const state = await sim.setModes({
      outages: [{ startInMs: 0, durationMs: 1000, mode: 'refuse' }],
    });
    expect(state.listening).toBe(false);
    expect(await confirm(sim, 'r-1')).toEqual({ kind: 'network', code: 'ECONNREFUSED' });
    const deadline = Date.now() + 5000;
    while (!sim.modes().listening && Date.now() < deadline) await sleep(50);
    expect(sim.modes()).toMatchObject({ listening: true, outages: [], outageNow: null });
    expect(await classify(sim, 'r-1')).toMatchObject({ outcome: 'confirmed' });
  });

  test('refuseConnections(false) does not end a refusing outage; recover does', async () => {
    const sim = await simulator();
    await sim.setModes({ outages: [{ startInMs: 0, mode: 'refuse' }] });
    await sim.refuseConnections(false);
    expect(sim.modes().listening).toBe(false);
    await sim.setModes({ outages: 'off' });
    expect(sim.modes().listening).toBe(true);
    expect(await classify(sim, 'r-2')).toMatchObject({ outcome: 'confirmed' });
  });

  test('slow then recovering: calls take the window latency, then the knob latency', async () => {
    const sim = await simulator({ latencyMs: 0 });
    await sim.setModes({ slow: [{ latencyMs: 600, startInMs: 0, durationMs: 1500 }] });
    let t = Date.now();
    expect(await classify(sim, 's-1')).toMatchObject({ outcome: 'confirmed' });
    expect(Date.now() - t).toBeGreaterThanOrEqual(550);
    await sleep(1600);
    t = Date.now();
    expect(await classify(sim, 's-2')).toMatchObject({ outcome: 'confirmed' });
    expect(Date.now() - t).toBeLessThan(400);
  });

  test('a bad update is refused by name and changes nothing', async () => {
    const sim = await simulator();
    await expect(sim.setModes({ permanentErrorRate: -1 })).rejects.toMatchObject({
      name: 'InvalidProviderMode',
    });
    expect(sim.modes()).toMatchObject({ permanentErrorRate: 0, listening: true });
  });
});
