import { describe, expect, it } from 'vitest';
import { VBUCKETS, vbucketOf } from '../../fs-service/index.js';
import { initialMap, majority } from '../../fs-service/control/vbucket-map.js';

describe('vbucket routing', () => {
  it('maps a repository name to the same vbucket in every process and version', () => {
    // Fixed values: changing the hash would strand every stored repository.
    expect(vbucketOf('demo')).toBe(54);
    expect(vbucketOf('faulty')).toBe(114);
    expect(vbucketOf('')).toBe(0x811c9dc5 % VBUCKETS);
  });

  it('spreads names over the vbuckets', () => {
    const counts = new Array<number>(VBUCKETS).fill(0);
    for (let i = 0; i < 25_600; i++) counts[vbucketOf(`book-${i}`)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(160);
  });

  it('gives every vbucket distinct copies, spread evenly over the shards, primaries included', () => {
    const shards = Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, { url: `${id}:1`, bootId: 'x' }]));
    const map = initialMap(shards, 3);
    expect(map.vbuckets).toHaveLength(VBUCKETS);
    const primaries = new Map<string, number>();
    for (const entry of map.vbuckets) {
      expect(new Set(entry.copies).size).toBe(3);
      expect(entry.inSync).toEqual(entry.copies);
      primaries.set(entry.copies[0]!, (primaries.get(entry.copies[0]!) ?? 0) + 1);
    }
    expect([...primaries.values()]).toEqual([64, 64, 64, 64]);
    expect(initialMap({ a: shards.a! }, 3).vbuckets[0]!.copies).toEqual(['a']);
  });

  it('needs a majority of copies', () => {
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });
});
