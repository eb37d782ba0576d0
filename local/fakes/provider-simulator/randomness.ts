/**
 * Deterministic randomness: every draw is a pure function of (seed, idempotency key, attempt
 * number for that key), so a run is reproducible whatever order concurrent calls arrive in.
 */

/** What the knobs drew for one fresh call: all draws are made up front, in a fixed order. */
export interface Draws {
  jitter: number;
  timeout: number;
  transient: number;
  transientPick: number;
  rejection: number;
  rejectionStyle: number;
  reasonPick: number;
}

/** FNV-1a over the key, mixed with the seed and the attempt (murmur3's finalizer). */
function hash32(seed: number, key: string, attempt: number): number {
  let h = 0x811c9dc5 ^ (seed | 0) ^ Math.floor(seed / 0x1_0000_0000);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.imul(attempt + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 64 bits of (seed, key, attempt): unique enough for every reference of a long run. */
export function defaultReference(seed: number, key: string, attempt: number): string {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return `pr_${hex(hash32(seed, key, attempt + 0x5eed))}${hex(hash32(seed + 1, key, attempt))}`;
}

/** mulberry32: a small, fast PRNG; one stream per (seed, key, attempt). */
export function drawsFor(seed: number, key: string, attempt: number): Draws {
  let state = hash32(seed, key, attempt);
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    jitter: next(),
    timeout: next(),
    transient: next(),
    transientPick: next(),
    rejection: next(),
    rejectionStyle: next(),
    reasonPick: next(),
  };
}

/**
 * One draw per (seed, key), the same for every attempt: a property of the transaction itself
 * (whether the provider refuses it permanently), not of one call.
 */
export function transactionDraw(seed: number, key: string): number {
  return drawsFor(seed, key, 0x7fff_fff0).rejection;
}
