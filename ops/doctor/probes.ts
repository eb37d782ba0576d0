/**
 * The network probes of `txc doctor`'s provider check: DNS, then a TLS handshake with SNI (or a
 * plain TCP connect for the loopback simulator), within a time bound. Nothing is sent over the
 * connection: the handshake alone says the provider is reachable and what certificate it shows.
 *
 * The certificate is verified (the system CAs, or `ca`), but a failed verification is reported
 * rather than thrown, so the doctor can tell an expired certificate from an untrusted one.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, Socket } from 'node:net';
import * as tls from 'node:tls';

/** Where a probe gave up: what the doctor says the operator should look at. */
export type ProbeStage = 'dns' | 'connect' | 'tls' | 'timeout';

export class ProbeFailed extends Error {
  override readonly name = 'ProbeFailed';
  constructor(
    readonly stage: ProbeStage,
    message: string,
    /** The system error code (ENOTFOUND, ECONNREFUSED, …) when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface TlsProbeResult {
  /** The address connected to (what DNS gave). */
  address: string;
  /** `TLSv1.3`, … */
  protocol: string;
  /** The certificate's notAfter; undefined if the server sent none. */
  validTo?: Date;
  /** The certificate's subject CN, for the report. */
  subject?: string;
  /** Why the certificate is not trusted (CERT_HAS_EXPIRED, …); undefined when it is. */
  authorizationError?: string;
  /** DNS + connect + handshake. */
  ms: number;
}

export interface TcpProbeResult {
  address: string;
  ms: number;
}

/** What the provider check needs of the network (tests inject one). */
export interface NetworkProbe {
  tls(host: string, port: number, timeoutMs: number): Promise<TlsProbeResult>;
  tcp(host: string, port: number, timeoutMs: number): Promise<TcpProbeResult>;
}

export interface NodeProbeOptions {
  /** DNS (default: the system resolver, as the handlers' fetch uses). */
  lookup?: (hostname: string) => Promise<{ address: string }>;
  /** Trusted CAs instead of the system's (tests: a certificate made at test time). */
  ca?: string | Buffer;
}

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** The node:dns / node:net / node:tls probe. */
export function nodeNetworkProbe(options: NodeProbeOptions = {}): NetworkProbe {
  const lookup = options.lookup ?? ((hostname: string) => dnsLookup(hostname));

  /** Resolves `host` within the deadline; an IP literal needs no DNS. */
  const resolve = async (host: string, deadline: number): Promise<string> => {
    if (isIP(host) !== 0) return host;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        lookup(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ProbeFailed('timeout', `DNS gave no answer for ${host} in time`, 'ETIMEOUT'),
              ),
            Math.max(0, deadline - Date.now()),
          );
        }),
      ]);
      return answer.address;
    } catch (err) {
      if (err instanceof ProbeFailed) throw err;
      const code = codeOf(err);
      throw new ProbeFailed('dns', `${host} does not resolve (${code ?? String(err)})`, code);
    } finally {
      clearTimeout(timer);
    }
  };

  /** Runs a connection attempt until `ready` or the deadline; the socket is always destroyed. */
  const attempt = <T>(
    socket: Socket,
    readyEvent: 'connect' | 'secureConnect',
    deadline: number,
    what: string,
    onReady: () => T,
  ): Promise<T> =>
    new Promise<T>((resolvePromise, reject) => {
      let connected = false;
      socket.once('connect', () => (connected = true));
      const timer = setTimeout(
        () => {
          socket.destroy();
          reject(new ProbeFailed('timeout', `${what}: no answer in time`, 'ETIMEDOUT'));
        },
        Math.max(0, deadline - Date.now()),
      );
      socket.once(readyEvent, () => {
        clearTimeout(timer);
        try {
          resolvePromise(onReady());
        } catch (err) {
          reject(err as Error);
        } finally {
          socket.destroy();
        }
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        const code = codeOf(err);
        // Connected, then an error: the handshake failed (an alert, a protocol mismatch); before
        // that, the connection itself was refused, reset or unroutable.
        const stage: ProbeStage = connected ? 'tls' : 'connect';
        reject(new ProbeFailed(stage, `${what}: ${code ?? err.message}`, code));
      });
    });

  return {
    tls: async (host, port, timeoutMs) => {
      const started = Date.now();
      const deadline = started + timeoutMs;
      const address = await resolve(host, deadline);
      const socket = tls.connect({
        host: address,
        port,
        // SNI and the identity check use the name, not the address.
        ...(isIP(host) === 0 ? { servername: host } : {}),
        // Verified below from authorizationError: an expired certificate is a finding, not a throw.
        rejectUnauthorized: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      return attempt(
        socket,
        'secureConnect',
        deadline,
        `TLS handshake with ${host}:${port}`,
        () => {
          const cert = socket.getPeerCertificate();
          const validTo = cert.valid_to ? new Date(cert.valid_to) : undefined;
          const subject = typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined;
          return {
            address,
            protocol: socket.getProtocol() ?? 'unknown',
            ...(validTo === undefined || Number.isNaN(validTo.getTime()) ? {} : { validTo }),
            ...(subject === undefined ? {} : { subject }),
            ...(socket.authorized ? {} : { authorizationError: String(socket.authorizationError) }),
            ms: Date.now() - started,
          };
        },
      );
    },
    tcp: async (host, port, timeoutMs) => {
      const started = Date.now();
      const deadline = started + timeoutMs;
      const address = await resolve(host, deadline);
      const socket = new Socket();
      const connected = attempt(
        socket,
        'connect',
        deadline,
        `TCP connect to ${host}:${port}`,
        () => ({
          address,
          ms: Date.now() - started,
        }),
      );
      socket.connect({ host: address, port });
      return connected;
    },
  };
}
