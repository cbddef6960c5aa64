/**
 * Answers of warm reads, kept with the mutable files they were derived from. A read at a ref is
 * a function of a few small files (the repository's metadata, its tombstone, the ref) and of
 * immutable objects: while the storage can vouch that those files still hold the same bytes
 * (RepoStore.readManyNow: a live read lease, which the primary revokes before any change is
 * acknowledged), the answer is still the answer. Without that voucher nothing is served from here.
 *
 * Why: a warm GET otherwise walks metadata, ref, commit, trees and blob through two dozen awaits,
 * each a promise and a microtask; that walk was a third of a front end's CPU per request.
 */
import { LRUCache } from 'lru-cache';
import type { RepoStore } from '../../fs-service/index.js';

/** The mutable files an answer was derived from, and the bytes they held. */
export interface ReadBasis {
  readonly paths: string[];
  readonly bytes: readonly (Buffer | null)[];
}

interface Kept<V> {
  basis: ReadBasis;
  value: V;
}

/** Units are answers, plus one per folder entry they hold: a bound on memory, not on count. */
const MAX_UNITS = 4_096;

export class WarmReads<V extends object> {
  private readonly kept: LRUCache<string, Kept<V>>;

  constructor(size: (value: V) => number) {
    this.kept = new LRUCache<string, Kept<V>>({ maxSize: MAX_UNITS, sizeCalculation: (k) => Math.max(1, size(k.value)) });
  }

  /** The answer kept under `key`, if the storage vouches its basis holds the same bytes now. */
  get(store: RepoStore, key: string): V | undefined {
    const kept = this.kept.get(key);
    if (kept === undefined) return undefined;
    const now = store.readManyNow?.(kept.basis.paths);
    if (now === undefined) return undefined;
    if (!sameBytes(now, kept.basis.bytes)) {
      this.kept.delete(key);
      return undefined;
    }
    return kept.value;
  }

  /** An answer too big for the bound is not kept. */
  remember(key: string, basis: ReadBasis, value: V): void {
    this.kept.set(key, { basis, value });
  }
}

function sameBytes(a: readonly (Buffer | null)[], b: readonly (Buffer | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x === null || y === null || !x.equals(y)) return false;
  }
  return true;
}
