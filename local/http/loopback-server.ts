/**
 * The HTTP plumbing every local server shares (the Step Functions, Secrets Manager and S3 endpoints,
 * the provider simulator, the store fault proxy, dynalite's host): reading a request body under a
 * size cap, and listening on loopback with a close that does not wait for keep-alive connections.
 *
 * The servers do not authenticate (or accept any credentials), so they bind to 127.0.0.1 only:
 * nothing outside the machine can reach them (the embedded local runtime, docs/architecture.md §6).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The address every local server binds to. */
export const LOOPBACK_HOST = '127.0.0.1';

/**
 * A request body was over the server's cap. Each server answers it in its own protocol's terms
 * (413, a ValidationException...), so this is thrown rather than answered here.
 */
export class RequestBodyTooLarge extends Error {
  constructor(
    /** The whole body, counted to its end. */
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `the request body is ${sizeBytes} bytes, over this server's ${maxBytes}-byte limit; send a smaller request`,
    );
    this.name = 'RequestBodyTooLarge';
  }
}

/**
 * The body of a request (or of a response a proxy reads back) as bytes, once it has ended. Over
 * `maxBytes`, it still reads to the end (keeping nothing past the cap) before rejecting with
 * RequestBodyTooLarge: an answer sent while the client is still writing would reset the connection
 * under it instead of reaching it. Rejects with the message's own error when the connection breaks
 * mid-body.
 */
export function readBodyBytes(message: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    message.on('end', () => {
      if (size > maxBytes) reject(new RequestBodyTooLarge(size, maxBytes));
      // One chunk (the usual small JSON body) needs no copy.
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    message.on('error', reject);
  });
}

/** The body as UTF-8 text; see readBodyBytes. */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return (await readBodyBytes(request, maxBytes)).toString('utf8');
}

/** A server listening on loopback. */
export interface LoopbackListener {
  /** `http://127.0.0.1:<port>` (an IPv6 host in brackets). */
  readonly url: string;
  /** The port bound (the free one picked when 0 was asked for). */
  readonly port: number;
  /**
   * Stops listening and destroys every open connection, idle or not: clients (the AWS SDK,
   * undici) keep connections alive, which would otherwise hold the close open for as long as they
   * live. Idempotent; a server that already stopped listening counts as closed.
   */
  close(): Promise<void>;
}

/**
 * Listens on `host` (loopback unless a caller was told otherwise) at `port` (0: a free one).
 * Rejects with the server's own error (EADDRINUSE...), for the caller to name in its terms.
 */
export async function listenOnLoopback(
  server: Server,
  port = 0,
  host = LOOPBACK_HOST,
): Promise<LoopbackListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        // dynalite's close answers `null` on success, node's `undefined`.
        server.close((err?: Error | null) => {
          if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') {
            reject(err);
          } else {
            resolve();
          }
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
