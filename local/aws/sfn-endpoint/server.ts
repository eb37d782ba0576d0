/**
 * The HTTP server of the local Step Functions endpoint and its routing: the txconfirm routes and
 * the operator console (every path under /console, local/console/server/) by path, everything
 * else by the AWS JSON 1.0 rules (`POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>`).
 * Whatever an operation throws becomes an AWS error answer and the server goes on: one bad
 * request must not take `txc local serve` down.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { listenOnLoopback, LOOPBACK_HOST } from '../../http/loopback-server';
import type { LocalRuntime } from '../../runtime/local-runtime';
import { CONSOLE_PATH } from '../../console/contract';
import {
  createConsole,
  handleConsoleRequest,
  isConsolePath,
  type OperatorConsole,
} from '../../console/server';
import {
  LOCAL_METRICS_PATH,
  LOCAL_PROVIDER_PATH,
  LOCAL_SCHEDULE_PATH,
  LOCAL_TARGET_PATH,
} from '../local-endpoint-contract';
import { SfnApi } from './operations';
import {
  handleTxconfirmRoute,
  isTxconfirmRoute,
  type LocalSchedulerControl,
} from './txconfirm-routes';
import {
  ApiError,
  ERROR_NAMESPACE,
  JSON_1_0,
  parseBody,
  readRequestText,
  sendAwsError,
  sendJson,
  toApiError,
} from './wire';

export interface SfnEndpointOptions {
  readonly runtime: LocalRuntime;
  /** The local schedule, when one runs (`GET /txconfirm/target` shows it, `POST /txconfirm/schedule` switches it). */
  readonly scheduler?: LocalSchedulerControl;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 127.0.0.1 (the endpoint does not authenticate: keep it on loopback) */
  readonly host?: string;
  /** Serve the operator console under /console (docs/console.md). @default false */
  readonly console?: boolean;
}

export interface SfnEndpoint {
  /** e.g. `http://127.0.0.1:8083` — the SDK's `endpoint`, the AWS CLI's `--endpoint-url`. */
  readonly url: string;
  /** The operator console, e.g. `http://127.0.0.1:8083/console`; undefined when it is off. */
  readonly consoleUrl?: string;
  /** Stops listening and closes open connections (the runtime keeps running). */
  stop(): Promise<void>;
}

/** The `X-Amz-Target` prefix of Step Functions operations. */
export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';

export async function startSfnEndpoint(options: SfnEndpointOptions): Promise<SfnEndpoint> {
  const api = new SfnApi(options.runtime);
  const operatorConsole = options.console ? createConsole({ runtime: options.runtime }) : undefined;
  const server = http.createServer((request, response) => {
    void handle(request, response, api, options, operatorConsole).catch((error: unknown) => {
      // Last resort (e.g. the socket went away while answering): never take the server down.
      if (!response.headersSent) {
        sendJson(response, 500, {
          __type: `${ERROR_NAMESPACE}#InternalFailure`,
          message: String(error),
        });
      } else {
        response.destroy();
      }
    });
  });
  const listener = await listenOnLoopback(server, options.port ?? 0, options.host ?? LOOPBACK_HOST);
  operatorConsole?.listening(listener.url);
  return {
    url: listener.url,
    ...(operatorConsole ? { consoleUrl: `${listener.url}${CONSOLE_PATH}` } : {}),
    stop: () => {
      operatorConsole?.close();
      // The close also ends the SDK's keep-alive connections, which would hold it open forever.
      return listener.close();
    },
  };
}

async function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  api: SfnApi,
  options: SfnEndpointOptions,
  operatorConsole: OperatorConsole | undefined,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const target = request.headers['x-amz-target'];

  if (isTxconfirmRoute(path)) {
    await handleTxconfirmRoute(request, response, path, options.runtime, options.scheduler);
    return;
  }
  if (isConsolePath(path)) {
    if (operatorConsole) {
      await handleConsoleRequest(request, response, operatorConsole.deps);
    } else {
      request.resume();
      sendJson(response, 404, {
        error: 'NotFound',
        message: `${path}: the operator console is off on this endpoint (it was started without it: txc local serve --no-console)`,
      });
    }
    return;
  }
  if (request.method !== 'POST' || typeof target !== 'string') {
    if (request.method === 'POST' && path === '/') {
      sendAwsError(
        response,
        new ApiError('UnknownOperationException', 'Missing X-Amz-Target header'),
      );
    } else {
      sendJson(response, 404, {
        error: 'NotFound',
        message: `${request.method} ${path} is not a route of this endpoint: Step Functions operations are POST / with an X-Amz-Target header; txconfirm routes are GET ${LOCAL_TARGET_PATH}, POST ${LOCAL_SCHEDULE_PATH}, GET|POST ${LOCAL_PROVIDER_PATH} and GET ${LOCAL_METRICS_PATH}`,
      });
    }
    // Drains the unread body so the keep-alive connection stays usable.
    request.resume();
    return;
  }

  let text: string;
  try {
    text = await readRequestText(request);
  } catch (error) {
    sendAwsError(response, toApiError(error));
    return;
  }
  try {
    const operationName = target.startsWith(SFN_TARGET_PREFIX)
      ? target.slice(SFN_TARGET_PREFIX.length)
      : undefined;
    const operation = operationName === undefined ? undefined : api.operation(operationName);
    if (!operation) {
      throw new ApiError(
        'UnknownOperationException',
        operationName === undefined
          ? `Unknown operation ${target}: not a Step Functions target (expected ${SFN_TARGET_PREFIX}<Operation>)`
          : `Operation ${operationName} is not supported by the txconfirm local Step Functions endpoint`,
      );
    }
    const body = parseBody(text);
    const result = await operation(body);
    response.setHeader('x-amzn-requestid', randomUUID());
    sendJson(response, 200, result, JSON_1_0);
  } catch (error) {
    sendAwsError(response, toApiError(error));
  }
}
