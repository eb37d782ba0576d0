/**
 * Request fields of the console API, checked before anything is read or sent: a wrong one is a
 * 400 `BadRequest` whose `field` names it (../contract.ts ErrorAnswer).
 */
import { badRequest } from './wire';

/** A body with a field outside `allowed` is refused (a typo such as `dryrun` must not start a real run). */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw badRequest(
        `unknown field ${JSON.stringify(key)}${allowed.length === 0 ? ' (this request takes none)' : `; the fields are ${allowed.join(', ')}`}`,
        key,
      );
    }
  }
}

export function optionalBoolean<K extends string>(
  body: Record<string, unknown>,
  key: K,
): Partial<Record<K, boolean>> {
  const value = body[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'boolean') {
    throw badRequest(`${key} must be true or false, got ${JSON.stringify(value)}`, key);
  }
  return { [key]: value } as Partial<Record<K, boolean>>;
}

/** A text field as typed; absent, null or blank means not given. */
export function optionalText<K extends string>(
  body: Record<string, unknown>,
  key: K,
): Partial<Record<K, string>> {
  const value = body[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'string') {
    throw badRequest(`${key} must be text, got ${JSON.stringify(value)}`, key);
  }
  return value.trim() === '' ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

/** A whole-number query parameter in min..max; undefined when absent or empty. */
export function integerParameter(
  query: URLSearchParams,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const text = query.get(key);
  if (text === null || text === '') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw badRequest(
      `${key} must be a whole number ${min}..${max}, got ${JSON.stringify(text)}`,
      key,
    );
  }
  return n;
}
