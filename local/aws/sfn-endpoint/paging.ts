/**
 * Pagination tokens of the local endpoint. A token is opaque to the caller (base64url JSON) and
 * names what it was issued for (`kind`), so a token from another operation is an InvalidToken,
 * as on AWS. List tokens carry the key of the last item returned rather than an offset, so a page
 * boundary stays put when new executions start between calls (they sort first, newest first).
 */
import { ApiError } from './wire';

/**
 * Newest first, equal start dates by ARN descending: the order pageAfter's keys assume (a
 * comparator for Array.prototype.sort).
 */
export function newestFirst<T extends { readonly startDate: Date }>(
  arnOf: (item: T) => string,
): (a: T, b: T) => number {
  return (a, b) => b.startDate.getTime() - a.startDate.getTime() || compareText(arnOf(b), arnOf(a));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One page of `items` (sorted newest first by [time, arn], descending) after the key in
 * `nextToken`: a page boundary stays put when new executions start between calls.
 */
export function pageAfter<T>(
  items: readonly T[],
  nextToken: string | undefined,
  maxResults: number,
  kind: string,
  keyOf: (item: T) => [number, string],
): { items: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    const [time, arn] = decodeToken(nextToken, kind) as [number, string];
    if (typeof time !== 'number' || typeof arn !== 'string') {
      throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
    }
    start = items.findIndex((item) => {
      const [t, a] = keyOf(item);
      return t < time || (t === time && a < arn);
    });
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + maxResults);
  const more = start + maxResults < items.length;
  return {
    items: page,
    ...(more && page.length > 0
      ? { nextToken: encodeToken(kind, keyOf(page[page.length - 1])) }
      : {}),
  };
}

export function encodeToken(kind: string, key: unknown[]): string {
  return Buffer.from(JSON.stringify({ k: kind, v: key })).toString('base64url');
}

export function decodeToken(token: string, kind: string): unknown[] {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      k?: unknown;
      v?: unknown;
    };
    if (decoded.k === kind && Array.isArray(decoded.v)) return decoded.v;
  } catch {
    // falls through
  }
  throw new ApiError('InvalidToken', `Invalid Token: '${token}'`);
}
