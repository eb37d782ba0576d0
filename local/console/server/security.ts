/**
 * Who may use the console (docs/console.md "Security"): the server listens on loopback only;
 * every request must name this server by a loopback Host (so a page that rebinds its own DNS
 * name to 127.0.0.1 reads nothing); a state-changing request (every POST) must come from the
 * console's own origin and carry the process's random token, which only the console's page can
 * read (it is in its HTML, and the session answer; another origin cannot read either).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import { CONSOLE_PATH, CONSOLE_TOKEN_HEADER } from '../contract';
import { ConsoleError } from './wire';

/** A new per-process token: 32 random bytes, base64url. */
export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `given` is `expected`, in time independent of where they differ. */
function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  // Digests have one length, so the comparison takes the same time whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The Host headers that name this server: its own, and the loopback names with its port. */
export function loopbackHosts(url: string): ReadonlySet<string> {
  const own = new URL(url);
  const port = own.port;
  return new Set([own.host, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

const refused = (message: string) => new ConsoleError(403, 'ConsoleTokenRequired', message);

/** Every console request: the Host header must be one of `hosts` (a DNS-rebinding guard). */
export function checkHost(request: http.IncomingMessage, hosts: ReadonlySet<string>): void {
  const host = request.headers.host;
  if (host !== undefined && hosts.has(host.toLowerCase())) return;
  const own = [...hosts][0];
  throw refused(
    `host check failed: the Host header ${JSON.stringify(host ?? null)} does not name this console's loopback server; open http://${own}${CONSOLE_PATH}`,
  );
}

/**
 * A state-changing request: an Origin header, when sent, must be this server's (as the browser
 * sends it for the Host the page was loaded from), and the token header must be the process's.
 */
export function checkStateChange(
  request: http.IncomingMessage,
  hosts: ReadonlySet<string>,
  token: string,
): void {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const host = /^http:\/\/([^/]+)$/.exec(origin.toLowerCase())?.[1];
    if (host === undefined || !hosts.has(host) || host !== request.headers.host?.toLowerCase()) {
      throw refused(
        `origin check failed: a state-changing request from ${JSON.stringify(origin)} is refused; only the console's own page (http://${request.headers.host ?? ''}) may send one`,
      );
    }
  }
  if (!tokenMatches(token, request.headers[CONSOLE_TOKEN_HEADER])) {
    throw refused(
      `token check failed: a state-changing request needs this process's token in the ${CONSOLE_TOKEN_HEADER} header (the console page has it; it changes when the runtime restarts: reload the page)`,
    );
  }
}
