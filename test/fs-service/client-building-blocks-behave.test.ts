import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../fs-service/client/circuit-breaker.js';
import { ImmutableCache } from '../../fs-service/client/immutable-cache.js';
import { KeyedLock } from '../../fs-service/engine/keyed-lock.js';
import { RepoCacheState } from '../../fs-service/client/repo-cache-state.js';
import { decodeEffects, decodeFrame, decodeMutation, encodeEffects, encodeFrame, encodeMutation } from '../../fs-service/wire/wire-codec.js';

describe('circuit breaker', () => {
  it('opens after consecutive failures, lets one trial through after the cooldown, closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1_000, () => now);
    breaker.failure();
    breaker.failure();
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    now = 1_001;
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });
});

describe('immutable cache', () => {
  it('fetches a key once for concurrent callers and bounds itself by bytes', async () => {
    const cache = new ImmutableCache(1_000);
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return Buffer.alloc(300);
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => cache.getOrFetch('a', fetch)));
    expect(fetches).toBe(1);
    expect(results.filter((r) => r.hit)).toHaveLength(0);
    expect((await cache.getOrFetch('a', fetch)).hit).toBe(true);
    for (const key of ['b', 'c', 'd']) await cache.getOrFetch(key, fetch);
    expect(cache.bytes).toBeLessThanOrEqual(1_000);
    expect(cache.has('a')).toBe(false);
  });

  it('does not remember a failed fetch', async () => {
    const cache = new ImmutableCache(1_000);
    await expect(cache.getOrFetch('x', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect((await cache.getOrFetch('x', async () => Buffer.from('ok'))).value.toString()).toBe('ok');
  });
});

describe('repository generation', () => {
  it('keeps an absence only while the generation it was seen at is current, and ignores older tokens', () => {
    const state = new RepoCacheState();
    state.observe('boot.1');
    state.rememberMissing('/objects/ab/cd', 'boot.1');
    expect(state.knownMissing('/objects/ab/cd')).toBe(true);
    state.observe('boot.0'); // a late answer from before: ignored
    expect(state.knownMissing('/objects/ab/cd')).toBe(true);
    state.observe('boot.2');
    expect(state.knownMissing('/objects/ab/cd')).toBe(false);
    state.rememberPackListing(['pack-1.idx'], 'boot.2');
    expect(state.packNames()).toEqual(['pack-1.idx']);
    state.observe('other-process.0'); // a replica answered: another process, another numbering
    expect(state.packNames()).toBeUndefined();
  });

  it('forgets what it remembered when answers switch copies, so a late answer from the first copy cannot bring back an old listing', () => {
    const state = new RepoCacheState();
    state.observe('replica.9');
    state.rememberPackListing(['pack-old.idx'], 'replica.9');
    state.rememberMissing('/objects/ab/cd', 'replica.9');
    state.observe('primary.6'); // a newer ref read from another copy
    state.observe('replica.9'); // then a late answer the first copy sent before it applied the new pack
    expect(state.packNames()).toBeUndefined();
    expect(state.knownMissing('/objects/ab/cd')).toBe(false);
  });
});

describe('keyed lock', () => {
  it('runs shared holders together, exclusive ones alone and in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const hold = (name: string, mode: 'shared' | 'exclusive', ms: number) =>
      lock.run('k', mode, async () => {
        log.push(`+${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`-${name}`);
      });
    await Promise.all([hold('s1', 'shared', 20), hold('s2', 'shared', 20), hold('x', 'exclusive', 5), hold('s3', 'shared', 5)]);
    expect(log.slice(0, 2).sort()).toEqual(['+s1', '+s2']);
    expect(log.indexOf('+x')).toBeGreaterThan(Math.max(log.indexOf('-s1'), log.indexOf('-s2')));
    expect(log.indexOf('+s3')).toBeGreaterThan(log.indexOf('-x'));
  });
});

describe('wire codec', () => {
  it('round-trips headers, binary parts and nulls', () => {
    const frame = decodeFrame(encodeFrame({ op: 'readMany', id: 7 }, [Buffer.from([0, 1, 2]), null, Buffer.alloc(0)]));
    expect(frame.header).toEqual({ op: 'readMany', id: 7 });
    expect(frame.parts).toEqual([Buffer.from([0, 1, 2]), null, Buffer.alloc(0)]);
  });

  it('round-trips mutations and effects', () => {
    const swap = { op: 'cas' as const, ops: [{ path: '/a', expected: null, next: Buffer.from('1') }] };
    const encoded = encodeMutation(swap);
    expect(decodeMutation(encoded.mutation, encoded.parts)).toEqual(swap);
    const effects = [{ kind: 'put' as const, path: '/x', data: Buffer.from('x'), mode: 0o755 }, { kind: 'destroy' as const }];
    const wire = encodeEffects(effects);
    expect(decodeEffects(wire.effects, wire.parts)).toEqual(effects);
  });

  it('rejects truncated or malformed frames with EINVAL', () => {
    const good = encodeFrame({ op: 'x' }, [Buffer.alloc(10)]);
    for (const bad of [good.subarray(0, 3), good.subarray(0, good.length - 1), Buffer.from([0, 0, 0, 2, 0x5b, 0x5d, 0, 0, 0, 0])]) {
      expect(() => decodeFrame(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });
});
