// Runs before every test file (jest `setupFiles`): a fixed, offline AWS environment.
// Credentials are dummies that dynalite and the loopback stand-ins accept; no real account is reachable.
import { SERVICE_NAME } from '../../lambdas/contracts';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_SERVICE_NAME ??= SERVICE_NAME;
// EMF metrics go to stdout; tests that assert metrics enable them explicitly.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Node 20 is older than what the newest SDK prefers; the warning is noise here, not a fault.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
