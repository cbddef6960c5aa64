/**
 * Memory given back: the git cache lets go of what nobody used for its idle time (and counts what
 * it let go), and once no request is in flight for the quiet time, a front end whose caches let go
 * of enough runs one full collection, so the heap they held is returned; never while a request is
 * still being answered, and not again until there is something new to give back.
 */
import { describe, expect, it } from 'vitest';
import { GitCache } from '../../../repo-server/git/index.js';
import { IdleMemory } from '../../../repo-server/observability/idle-memory.js';

const MiB = 1024 * 1024;

function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const tick = (): void => {
      if (cond()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(tick, 20);
    };
    tick();
  });
}

/** 48 MiB of pack blocks of one repository, each charged its size. */
function fill(cache: GitCache): void {
  for (let i = 0; i < 48; i++) {
    const block = Buffer.alloc(MiB, i);
    cache.set('pack', 'r', `b${i}`, block, block.length);
  }
}

describe('an idle front end gives memory back', () => {
  it('the git cache drops entries nobody used for its idle time, keeps the ones in use, and counts what it let go', { timeout: 30_000 }, async () => {
    const cache = new GitCache(256 * MiB, 5_000);
    fill(cache);
    expect(cache.bytes).toBe(48 * MiB);
    // b0 is used again 3 s after the fill, the others never: 3 s later only b0 is within the 5 s.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(cache.get<Buffer>('pack', 'r', 'b0')?.[0]).toBe(0);
    await new Promise((r) => setTimeout(r, 3_000));
    cache.dropIdle();
    expect(cache.bytes).toBe(MiB);
    expect(cache.get<Buffer>('pack', 'r', 'b0')?.[0]).toBe(0);
    expect(cache.has('pack', 'r', 'b1')).toBe(false);
    expect(cache.released).toBe(47 * MiB);
    expect(cache.counters().pack).toMatchObject({ entries: 1, bytes: MiB });
    cache.forget('r');
    expect(cache.released).toBe(48 * MiB);
  });

  it('collects once after a quiet spell when the cache let go of enough, never with a request in flight', { timeout: 30_000 }, async () => {
    const cache = new GitCache(256 * MiB, 100);
    const idle = new IdleMemory({ trim: () => cache.dropIdle(), released: () => cache.released, trimEveryMs: 100, quietMs: 300 });
    try {
      const done = idle.begin();
      fill(cache);
      // A long answer (a clone) is in flight: the cache may drop, nothing is collected.
      expect(await until(() => cache.bytes === 0, 10_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 600));
      expect(idle.collections).toBe(0);
      done();
      expect(await until(() => idle.collections === 1, 10_000)).toBe(true);
      // Nothing new to give back: no second collection however long it stays quiet.
      await new Promise((r) => setTimeout(r, 800));
      expect(idle.collections).toBe(1);
    } finally {
      idle.stop();
    }
  });
});
