/**
 * The pending index is sharded on `pendingShard` so that index writes spread across partitions
 * (docs/architecture.md §2). The shard of an id must be stable forever: writers, seeders and this
 * code must agree, so the hash is spelled out here (FNV-1a, 32 bit, over the UTF-8 bytes of the
 * id).
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const utf8 = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** Width of a shard key: at least 2 digits ("00".."15"), more for 101+ shards. */
export function shardKeyWidth(shardCount: number): number {
  return Math.max(2, String(shardCount - 1).length);
}

/** The `pendingShard` value of shard number `shard` (0-based). */
export function shardKey(shard: number, shardCount: number): string {
  return String(shard).padStart(shardKeyWidth(shardCount), '0');
}

/** The `pendingShard` attribute a PENDING transaction with this id must carry. */
export function pendingShardFor(id: string, shardCount: number): string {
  if (!Number.isInteger(shardCount) || shardCount < 1) {
    throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`);
  }
  return shardKey(fnv1a32(id) % shardCount, shardCount);
}
