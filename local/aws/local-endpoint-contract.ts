/**
 * What the local Step Functions endpoint (local/aws/sfn-endpoint/, `txc local serve`) offers
 * the operator CLI (ops/target.ts, `txc --local`; local/cli/provider.ts, `txc local provider`;
 * local/cli/metrics.ts, `txc local metrics`)
 * beside the AWS API: plain-JSON routes and what they answer. Both sides import it from here; it
 * imports types only, so the CLI does not load the local runtime to learn where to ask.
 */
import type { ProviderKnobValues } from '../fakes/provider-simulator/server';

/** `GET`: the LocalTargetDescription of the running endpoint. */
export const LOCAL_TARGET_PATH = '/txconfirm/target';

/** `POST {"state": "ENABLED" | "DISABLED"}`: pauses or resumes the local schedule. */
export const LOCAL_SCHEDULE_PATH = '/txconfirm/schedule';

export type LocalScheduleState = 'ENABLED' | 'DISABLED';

/** The answer of `GET /txconfirm/target`: what `txc --local` needs to operate the local runtime. */
export interface LocalTargetDescription {
  mode: 'local';
  region: string;
  stateMachineArn: string;
  stateMachineName: string;
  /** The embedded DynamoDB (dynalite) the handlers use. */
  dynamodbEndpoint: string;
  /** The provider simulator's URL. */
  providerUrl: string;
  /** The handlers' provider call timeout (their PROVIDER_TIMEOUT_MS). */
  providerTimeoutMs: number;
  /**
   * The loopback Secrets Manager the handlers read the provider key from, and the key's secret
   * id. It answers DescribeSecret (metadata only) for `txc doctor`; the value never leaves it
   * except to the handlers.
   */
  secretsManager: { endpoint: string; secretId: string };
  /**
   * The freshness SLO of the synthesized stack in seconds: its OldestPendingAgeSloSeconds output,
   * else the threshold of its oldest-pending-age alarm (the same number); null if neither exists.
   */
  oldestPendingAgeSloSeconds: number | null;
  tables: { transactions: string; runs: string; pendingIndex: string };
  shardCount: number;
  /** null when the endpoint runs without a scheduler. */
  schedule: {
    expression: string;
    state: LocalScheduleState;
    /** ISO-8601; null while the schedule is paused or has no next fire time. */
    nextFireTime: string | null;
  } | null;
}

/**
 * `GET`: the simulated provider's fault modes (LocalProviderState); `POST` a LocalProviderModesBody
 * to set or clear them (answers the state after the change; 400 `InvalidProviderMode` naming the
 * field for a bad body, nothing changed).
 */
export const LOCAL_PROVIDER_PATH = '/txconfirm/provider';

/**
 * The body of `POST /txconfirm/provider`: every field optional, at least one. Durations are a
 * number and a unit (`250ms`, `30s`, `5m`, `2h`); windows start relative to the request.
 */
export interface LocalProviderModesBody {
  /**
   * `"now"`: an outage from now (until `for` is over, else until cleared); `"DURATION[@START]"`:
   * one planned (`"30s@10s"`: 30 s long, 10 s from now); `"off"`: the provider is back (the
   * current outage ends, planned ones are dropped).
   */
  outage?: string;
  /** With `"outage": "now"`: how long. */
  for?: string;
  /** With an outage: `"503"` (every call answers 503 + Retry-After, the default) or `"refuse"`. */
  outageMode?: '503' | 'refuse';
  /** `"LATENCY[@START][+DURATION]"` (`"2s+1m"`: 2 s per call from now for a minute), or `"off"`. */
  slow?: string;
  /** Every call answers 401 or 403 (wrong credentials); null: accepted again. */
  authFailure?: 401 | 403 | null;
  /** 0..1: the share of transactions the provider refuses for good (400, FAILED). */
  permanentErrorRate?: number;
}

/** The answer of `GET` (and `POST`) `/txconfirm/provider`. */
export interface LocalProviderState {
  providerUrl: string;
  /** When this was read, ISO-8601. */
  now: string;
  /** false while the provider refuses connections. */
  listening: boolean;
  permanentErrorRate: number;
  authFailure: 401 | 403 | null;
  /** Current and planned outages (ended ones are left out); `end` null: until cleared. */
  outages: { start: string; end: string | null; mode: '503' | 'refuse'; active: boolean }[];
  /** Current and planned slow windows. */
  slow: { latencyMs: number; start: string; end: string | null; active: boolean }[];
  /** The outage answering right now. */
  outageNow: { mode: '503' | 'refuse'; until: string | null } | null;
  /** The latency of a fresh call right now (a slow window's, else the knob's). */
  latencyMsNow: number;
  /** The knobs the simulator was started with (flags), for reference. */
  knobs: ProviderKnobValues;
}

/**
 * `GET`: the metrics the handlers emitted (the EMF lines of the runtime's handler log) and the
 * alarms of the synthesized stack that watch them (LocalMetricsReport). Query: `since` — a
 * duration back from now (`15m`) or an ISO-8601 time: data points before it are left out (400
 * `BadRequest` naming it when unreadable).
 */
export const LOCAL_METRICS_PATH = '/txconfirm/metrics';

/** Sum, data points, max and min (null without data points). */
export interface LocalMetricStats {
  sum: number;
  count: number;
  max: number | null;
  min: number | null;
}

/** One metric the handlers emitted, or one an alarm watches that was not emitted (count 0). */
export interface LocalMetric {
  name: string;
  namespace: string;
  /** As the EMF directive declares it (`Count`, `Milliseconds`, `Seconds`…); null if not emitted. */
  unit: string | null;
  /** Since `since` (else since the log began). */
  total: LocalMetricStats;
  /** In the last `windowSeconds`. */
  lastWindow: LocalMetricStats;
  /** ISO-8601 of its first and last data point; null if not emitted. */
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  /** Names of the alarms (of `alarms`) that watch it. */
  alarms: string[];
}

/** An alarm of the synthesized stack on metrics the handlers emit, with its metric's last period. */
export interface LocalMetricAlarm {
  alarmName: string;
  /** The entry its description ends with (`Runbook: docs/runbook.md#<entry>`); null if none. */
  runbookEntry: string | null;
  /** The metrics it reads. */
  metrics: string[];
  /** Metric math alarms: the expression; null for an alarm on one metric. */
  expression: string | null;
  /** `Sum`, `Maximum`, … (of every metric it reads). */
  statistic: string;
  periodSeconds: number;
  evaluationPeriods: number;
  comparisonOperator: string;
  threshold: number;
  treatMissingData: string;
  /** The statistic (or expression) over the last period ending now; null: no data point in it. */
  value: number | null;
  /** `value` compared with the threshold (a plain comparison, not an alarm state); null: no data or not evaluated. */
  overThreshold: boolean | null;
  /** Why it is not evaluated (a percentile, unsupported metric math); absent when it is. */
  notEvaluated?: string;
}

/** The answer of `GET /txconfirm/metrics`. */
export interface LocalMetricsReport {
  /** When the report was made (the windows end here), ISO-8601. */
  now: string;
  /** ISO-8601; null: the whole log. */
  since: string | null;
  /** The trailing window of `lastWindow` (the standard alarm period). */
  windowSeconds: number;
  /** The runtime's handler log file (EMF lines and JSON logs). */
  handlerLog: string;
  /** false: no log file (yet). */
  handlerLogExists: boolean;
  /**
   * Non-empty lines read; EMF blobs counted and left out by `since`; ordinary JSON log lines;
   * lines skipped (not JSON, or EMF that cannot be read).
   */
  lines: { read: number; emf: number; emfBeforeSince: number; logs: number; skipped: number };
  /** By name. */
  metrics: LocalMetric[];
  /** The alarms on the metrics the handlers emit (namespace `txconfirm`). */
  alarms: LocalMetricAlarm[];
  /** The alarms on metrics nothing emits offline: AWS namespaces, metric filters on log groups. */
  notEmittedOffline: {
    alarmName: string;
    runbookEntry: string | null;
    /** The namespace of its metric (`AWS/States`…), or METRIC_FILTER_SOURCE. */
    source: string;
  }[];
}

/** The `source` of an alarm on a metric a log metric filter publishes. */
export const METRIC_FILTER_SOURCE = 'log metric filter';
