/**
 * The process environment the in-process handlers run with: what the template gives the
 * functions, with only the endpoints changed to the loopback stand-ins.
 */
import { ENV } from '../../lambdas/contracts';

export interface LoopbackEndpoints {
  readonly dynamodb: string;
  readonly secretsManager: string;
  readonly s3: string;
  readonly provider: string;
}

/** Sets the functions' environment on this process (handlers read it at module load). */
export function applyFunctionEnvironment(
  environment: Readonly<Record<string, string>>,
  endpoints: LoopbackEndpoints,
): void {
  Object.assign(process.env, environment, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    [ENV.PROVIDER_BASE_URL]: endpoints.provider,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    // No X-Ray daemon here: tracing stays off instead of logging a failed send per segment.
    POWERTOOLS_TRACE_ENABLED: 'false',
    // ...and the X-Ray SDK (loaded by the Powertools tracer all the same) in manual mode: its
    // automatic mode installs async_hooks on every promise of this process (cls-hooked), which
    // cost about 10% of a local run's CPU for context nobody reads (npm run bench, profiled).
    AWS_XRAY_MANUAL_MODE: 'true',
    // As on Lambda, the shell's Powertools settings do not leak into the functions: what the
    // stack sets, else Powertools' defaults (logs at INFO, metrics on; both go to the log file).
    POWERTOOLS_LOG_LEVEL: environment.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    POWERTOOLS_METRICS_DISABLED: environment.POWERTOOLS_METRICS_DISABLED ?? 'false',
  });
}
