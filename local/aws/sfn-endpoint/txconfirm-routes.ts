/**
 * The txconfirm routes of the local endpoint, for the operator CLI (plain JSON, not part of
 * the AWS API). Their paths and shapes are shared with ops/target.ts and local/cli/provider.ts
 * through ../local-endpoint-contract.ts, so `txc` and the endpoint cannot drift apart:
 * - `GET /txconfirm/target` — what `txc --local` needs: state machine, DynamoDB endpoint,
 *   table names, shard count, the schedule (null without a scheduler), and for `txc doctor` the
 *   provider's URL and timeout, the loopback Secrets Manager and the freshness SLO;
 * - `POST /txconfirm/schedule` `{ "state": "ENABLED" | "DISABLED" }` — pause / resume the local
 *   schedule (404 when the endpoint runs without one);
 * - `GET /txconfirm/provider` — the simulated provider's fault modes; `POST` a modes body
 *   (local/fakes/provider-simulator/modes-body.ts) to set or clear them at run time: an outage
 *   now or planned, slow calls, wrong credentials, permanent refusals (400 `InvalidProviderMode`
 *   naming the field for a bad body; nothing changes);
 * - `GET /txconfirm/metrics[?since=15m]` — the metrics the handlers emitted (the EMF lines of the
 *   runtime's handler log) and the stack's alarms on them, each with its last period against its
 *   threshold (../metrics-report.ts; 400 `BadRequest` for an unreadable `since`).
 *
 * Every answer is JSON; nothing a client sends can take the server down (a bad body is a 400,
 * anything else thrown a 500 with its message).
 */
import type * as http from 'node:http';
import { ENV } from '../../../lambdas/contracts';
import { type LocalRuntime, mergedFunctionEnvironment } from '../../runtime/local-runtime';
import {
  InvalidProviderMode,
  parseDuration,
  parseProviderModesBody,
  type ProviderModesBody,
  type ProviderModeState,
} from '../../fakes/provider-simulator';
import {
  LOCAL_METRICS_PATH,
  LOCAL_PROVIDER_PATH,
  LOCAL_SCHEDULE_PATH,
  LOCAL_TARGET_PATH,
  type LocalProviderModesBody,
  type LocalProviderState,
  type LocalScheduleState,
  type LocalTargetDescription,
} from '../local-endpoint-contract';
import { type CfnTemplate, resolveIntrinsics } from '../../stack/synthesized-definition';
import { localMetricsReport } from '../metrics-report';
import { parseScheduleState } from '../scheduler';
import { readRequestText, sendJson } from './wire';

/** The alarm on the freshness SLO is named `<prefix>-oldest-pending-age` (lib/monitoring/alarms.ts). */
const OLDEST_PENDING_AGE = '-oldest-pending-age';

/** What the endpoint needs of the local schedule (local/aws/scheduler.ts implements it). */
export interface LocalSchedulerControl {
  readonly expression: string;
  state(): LocalScheduleState;
  setState(state: LocalScheduleState): void;
  nextFireTime(): Date | undefined;
}

/** Whether `path` is one of the txconfirm routes (they are matched before the AWS protocol). */
export function isTxconfirmRoute(path: string): boolean {
  return (
    path === LOCAL_TARGET_PATH ||
    path === LOCAL_SCHEDULE_PATH ||
    path === LOCAL_PROVIDER_PATH ||
    path === LOCAL_METRICS_PATH
  );
}

// The contract's body and the schema the route checks it with are the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const bodyShapesAgree: Same<Required<LocalProviderModesBody>, Required<ProviderModesBody>> = true;
void bodyShapesAgree;

export async function handleTxconfirmRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  path: string,
  runtime: LocalRuntime,
  scheduler: LocalSchedulerControl | undefined,
): Promise<void> {
  if (path === LOCAL_PROVIDER_PATH) {
    await handleProviderRoute(request, response, runtime);
    return;
  }
  if (path === LOCAL_METRICS_PATH) {
    await handleMetricsRoute(request, response, runtime);
    return;
  }
  if (path === LOCAL_TARGET_PATH) {
    request.resume();
    if (request.method !== 'GET') {
      sendJson(response, 405, {
        error: 'MethodNotAllowed',
        message: `${LOCAL_TARGET_PATH} answers GET only`,
      });
      return;
    }
    sendJson(response, 200, targetInfo(runtime, scheduler));
    return;
  }
  // LOCAL_SCHEDULE_PATH
  if (request.method !== 'POST') {
    request.resume();
    sendJson(response, 405, {
      error: 'MethodNotAllowed',
      message: `${LOCAL_SCHEDULE_PATH} answers POST only`,
    });
    return;
  }
  let text: string;
  try {
    text = await readRequestText(request);
  } catch (error) {
    sendJson(response, 400, { error: 'BadRequest', message: (error as Error).message });
    return;
  }
  if (!scheduler) {
    sendJson(response, 404, {
      error: 'NoSchedule',
      message: 'this endpoint runs without a schedule (it was started without a scheduler)',
    });
    return;
  }
  const state = parseScheduleState(text);
  if (state === undefined) {
    sendJson(response, 400, {
      error: 'BadRequest',
      message: `the body must be {"state": "ENABLED" | "DISABLED"}, got ${text.slice(0, 200)}`,
    });
    return;
  }
  scheduler.setState(state);
  sendJson(response, 200, { state: scheduler.state() });
}

/** `GET` / `POST /txconfirm/provider`: the simulated provider's fault modes. */
async function handleProviderRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  runtime: LocalRuntime,
): Promise<void> {
  if (request.method === 'GET') {
    request.resume();
    sendJson(response, 200, providerState(runtime, runtime.provider.modes()));
    return;
  }
  if (request.method !== 'POST') {
    request.resume();
    sendJson(response, 405, {
      error: 'MethodNotAllowed',
      message: `${LOCAL_PROVIDER_PATH} answers GET and POST only`,
    });
    return;
  }
  let text: string;
  try {
    text = await readRequestText(request);
  } catch (error) {
    sendJson(response, 400, { error: 'BadRequest', message: (error as Error).message });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    sendJson(response, 400, {
      error: 'InvalidProviderMode',
      message: `the body must be a JSON object, e.g. {"outage": "now", "for": "5m"}; got ${JSON.stringify(text.slice(0, 200))}`,
    });
    return;
  }
  try {
    const update = parseProviderModesBody(body);
    sendJson(response, 200, providerState(runtime, await runtime.provider.setModes(update)));
  } catch (error) {
    if (error instanceof InvalidProviderMode) {
      sendJson(response, 400, { error: error.name, message: error.message });
      return;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    sendJson(response, 500, { error: e.name, message: e.message });
  }
}

/**
 * The `since` query parameter: a duration back from `now` (`15m`, as `txc local metrics --since`
 * sends it) or an ISO-8601 time; undefined when absent. Throws InvalidProviderMode (the
 * duration parser's error) naming it.
 */
export function sinceParameter(value: string | null, now: Date): Date | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const time = Date.parse(value);
    if (Number.isNaN(time))
      throw new InvalidProviderMode(`since: not an ISO-8601 time: "${value}"`);
    return new Date(time);
  }
  return new Date(now.getTime() - parseDuration(value, 'since'));
}

/** `GET /txconfirm/metrics`: the handlers' metrics and the alarms on them. */
async function handleMetricsRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  runtime: LocalRuntime,
): Promise<void> {
  request.resume();
  if (request.method !== 'GET') {
    sendJson(response, 405, {
      error: 'MethodNotAllowed',
      message: `${LOCAL_METRICS_PATH} answers GET only`,
    });
    return;
  }
  const now = new Date();
  let since: Date | undefined;
  try {
    since = sinceParameter(
      new URL(request.url ?? '/', 'http://localhost').searchParams.get('since'),
      now,
    );
  } catch (error) {
    if (!(error instanceof InvalidProviderMode)) throw error;
    sendJson(response, 400, { error: 'BadRequest', message: error.message });
    return;
  }
  // Everything the handlers wrote before this request is read.
  await runtime.handlerLogFlushed();
  const report = await localMetricsReport({
    template: runtime.stack.template,
    logFile: runtime.logFile,
    now,
    since,
  });
  sendJson(response, 200, report);
}

/** What `GET /txconfirm/provider` answers. */
export function providerState(runtime: LocalRuntime, modes: ProviderModeState): LocalProviderState {
  const knobs = runtime.provider.knobs();
  return {
    providerUrl: runtime.provider.url,
    now: new Date().toISOString(),
    listening: modes.listening,
    permanentErrorRate: modes.permanentErrorRate,
    authFailure: modes.authFailure,
    outages: modes.outages,
    slow: modes.slow,
    outageNow: modes.outageNow,
    latencyMsNow: modes.slowLatencyMsNow ?? knobs.latencyMs,
    knobs,
  };
}

/**
 * The freshness SLO of the synthesized stack, in seconds. The local runtime has the template, not
 * the config it was synthesized from: the stack's OldestPendingAgeSloSeconds output (what
 * `txc doctor --stage` reads), else the threshold of the alarm on that SLO — lib/ sets both from
 * the same oldestPendingAgeSloSeconds(config), so either is the number AWS would use.
 */
export function oldestPendingAgeSloFromTemplate(template: CfnTemplate): number | null {
  const outputs = (template as { Outputs?: Record<string, { Value?: unknown }> }).Outputs;
  const output = Number(resolveIntrinsics(template, outputs?.OldestPendingAgeSloSeconds?.Value));
  if (Number.isFinite(output) && output > 0) return output;
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    const props = resolveIntrinsics(template, resource.Properties ?? {}) as {
      AlarmName?: unknown;
      Threshold?: unknown;
    };
    if (typeof props.AlarmName === 'string' && props.AlarmName.endsWith(OLDEST_PENDING_AGE)) {
      const threshold = Number(props.Threshold);
      if (Number.isFinite(threshold) && threshold > 0) return threshold;
    }
  }
  return null;
}

/** `GET /txconfirm/target`: what `txc --local` needs to operate the local runtime. */
export function targetInfo(
  runtime: LocalRuntime,
  scheduler?: LocalSchedulerControl,
): LocalTargetDescription {
  const { definition, tableNames } = runtime.stack;
  const region = definition.stateMachineArn.split(':')[3];
  const next = scheduler?.nextFireTime();
  const environment = mergedFunctionEnvironment(runtime.stack);
  return {
    mode: 'local',
    region,
    stateMachineArn: definition.stateMachineArn,
    stateMachineName: definition.stateMachineName,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    providerUrl: runtime.provider.url,
    providerTimeoutMs: Number(environment[ENV.PROVIDER_TIMEOUT_MS]),
    secretsManager: {
      // The endpoint the handlers really read the key from, which is what the doctor checks.
      endpoint: runtime.secretsEndpoint,
      secretId: environment[ENV.PROVIDER_SECRET_ID],
    },
    oldestPendingAgeSloSeconds: oldestPendingAgeSloFromTemplate(runtime.stack.template),
    tables: {
      transactions: tableNames.transactions,
      runs: tableNames.runs,
      pendingIndex: tableNames.pendingIndex,
    },
    shardCount: Number(environment[ENV.SHARD_COUNT]),
    schedule: scheduler
      ? {
          expression: scheduler.expression,
          state: scheduler.state(),
          nextFireTime: next ? next.toISOString() : null,
        }
      : null,
  };
}
