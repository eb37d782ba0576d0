/**
 * A loopback proxy in front of the embedded DynamoDB (dynalite) that injects faults into the
 * requests the handlers send: the reliability suite and rehearsals use it to cut the network
 * between a Lambda and DynamoDB at a chosen request (docs/architecture.md §4: invariants under
 * every fault).
 *
 * The hook sees each request's operation (`UpdateItem`, `BatchGetItem`, ...) and its JSON body and
 * answers with a fault or nothing (forward unchanged). Faults are the ways a call can fail on AWS:
 * - `drop`: the connection breaks before the request reaches the store (nothing applied);
 * - `dropAfter`: the request is applied, then the connection breaks (the answer is lost);
 * - `error`: an AWS JSON error (e.g. 400 ProvisionedThroughputExceededException, 500);
 * - `delay`: the answer comes this much later.
 */
import * as http from 'node:http';
import { listenOnLoopback, readBodyBytes } from '../http/loopback-server';

export interface StoreRequest {
  /** The DynamoDB operation, from `X-Amz-Target` (`DynamoDB_20120810.UpdateItem` -> `UpdateItem`). */
  readonly operation: string;
  /** The request's JSON body (DynamoDB JSON: `Key: { id: { S: '...' } }`). */
  readonly body: Record<string, unknown>;
}

export type StoreFault =
  | { readonly kind: 'drop' }
  | { readonly kind: 'dropAfter' }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly type: string;
      readonly message?: string;
    }
  | { readonly kind: 'delay'; readonly ms: number };

export type StoreFaultHook = (request: StoreRequest) => StoreFault | undefined;

export interface StoreFaultProxy {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * No cap of its own either way: the proxy forwards whatever the handlers and the store send, byte
 * for byte, and the store behind it answers for the size, as DynamoDB would.
 */
const UNCAPPED = Number.POSITIVE_INFINITY;

export async function startStoreFaultProxy(
  storeEndpoint: string,
  hook: StoreFaultHook,
): Promise<StoreFaultProxy> {
  const target = new URL(storeEndpoint);
  const agent = new http.Agent({ keepAlive: true });

  const forward = (
    req: http.IncomingMessage,
    payload: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (res) => {
          readBodyBytes(res, UNCAPPED).then(
            (body) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body }),
            reject,
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(payload);
    });

  const server = http.createServer((req, res) => {
    void (async () => {
      const payload = await readBodyBytes(req, UNCAPPED);
      const targetHeader = String(req.headers['x-amz-target'] ?? '');
      const operation = targetHeader.slice(targetHeader.indexOf('.') + 1);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        // Not JSON: forwarded as it is; the store answers it.
      }
      const fault = hook({ operation, body });
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'error') {
        const text = JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`,
          message: fault.message ?? `injected ${fault.type}`,
        });
        res.writeHead(fault.status, {
          'Content-Type': 'application/x-amz-json-1.0',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      const answer = await forward(req, payload);
      if (fault?.kind === 'dropAfter') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    })().catch(() => req.socket.destroy());
  });
  server.keepAliveTimeout = 10_000;
  const listener = await listenOnLoopback(server);
  let stopping: Promise<void> | undefined;
  return {
    url: listener.url,
    stop: () => {
      if (stopping === undefined) {
        stopping = listener.close();
        // The pooled connections to the store, which would keep the process alive.
        agent.destroy();
      }
      return stopping;
    },
  };
}

/** The partition key `id` of a single-item request (UpdateItem, PutItem, GetItem), if any. */
export function requestItemId(request: StoreRequest): string | undefined {
  const key = request.body.Key as { id?: { S?: unknown } } | undefined;
  return typeof key?.id?.S === 'string' ? key.id.S : undefined;
}
