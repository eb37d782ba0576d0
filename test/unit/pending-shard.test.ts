import { fnv1a32, pendingShardFor, shardKey } from '../../lambdas/domain/pending-shard';

describe('pendingShardFor', () => {
  test('FNV-1a 32-bit matches the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test('is stable: the same id always maps to the same shard (pinned values)', () => {
    // Writers and seeders depend on these: changing the hash would strand the backlog.
    expect(pendingShardFor('a', 16)).toBe(String(0xe40c292c % 16).padStart(2, '0'));
    expect(pendingShardFor('foobar', 16)).toBe(String(0xbf9cf968 % 16).padStart(2, '0'));
    expect(pendingShardFor('tx-42', 16)).toBe(pendingShardFor('tx-42', 16));
  });

  test('hashes the UTF-8 bytes (non-ASCII ids are stable too)', () => {
    expect(fnv1a32('é')).not.toBe(fnv1a32('e'));
    expect(pendingShardFor('zahlung-ü', 16)).toMatch(/^(0\d|1[0-5])$/);
  });

  test('keys are zero-padded to at least 2 digits, wider for more shards', () => {
    expect(shardKey(0, 16)).toBe('00');
    expect(shardKey(15, 16)).toBe('15');
    expect(shardKey(7, 1)).toBe('07');
    expect(shardKey(5, 101)).toBe('005');
    expect(pendingShardFor('anything', 1)).toBe('00');
    expect(pendingShardFor('anything', 1000)).toMatch(/^\d{3}$/);
  });

  test('spreads ids evenly over the shards', () => {
    const counts = new Map<string, number>();
    const total = 16000;
    for (let i = 0; i < total; i += 1) {
      const shard = pendingShardFor(`tx-${i}`, 16);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(
      Array.from({ length: 16 }, (_, i) => String(i).padStart(2, '0')),
    );
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan((total / 16) * 0.85);
      expect(count).toBeLessThan((total / 16) * 1.15);
    }
  });

  test('rejects a non-positive shard count', () => {
    expect(() => pendingShardFor('a', 0)).toThrow(RangeError);
  });
});
