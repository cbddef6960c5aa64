import { LRUCache } from 'lru-cache';
import type { CommitInfo, GitObject } from './git-object.js';
import type { PackIndex } from './pack-index.js';

/**
 * Caches shared by every request a router serves. Everything here is immutable by
 * construction: objects and commits are keyed by their content id, pack files by their name,
 * which is the pack's own checksum. Nothing mutable (refs, the pack list) is ever cached.
 */
export interface ObjectCaches {
  packData: LRUCache<string, Buffer>;
  packIndex: LRUCache<string, PackIndex>;
  objects: LRUCache<string, GitObject>;
  commits: LRUCache<string, CommitInfo>;
  /** Peeled target of annotated tags (tag id -> final object id), for advertisements. */
  peeled: LRUCache<string, string>;
}

export interface CacheBudget {
  /** Bytes of whole pack files kept in memory (the storage contract reads whole files). */
  packBytes?: number;
  /** Bytes of inflated objects (delta bases, trees) kept between reads. */
  objectBytes?: number;
}

export function createObjectCaches(budget: CacheBudget = {}): ObjectCaches {
  const packBytes = budget.packBytes ?? 512 * 1024 * 1024;
  const objectBytes = budget.objectBytes ?? 64 * 1024 * 1024;
  return {
    packData: new LRUCache<string, Buffer>({ maxSize: packBytes, sizeCalculation: (b) => Math.max(1, b.length) }),
    packIndex: new LRUCache<string, PackIndex>({ max: 4096 }),
    objects: new LRUCache<string, GitObject>({
      maxSize: objectBytes,
      maxEntrySize: Math.max(1, Math.floor(objectBytes / 4)),
      sizeCalculation: (o) => o.data.length + 64,
    }),
    commits: new LRUCache<string, CommitInfo>({ max: 200_000 }),
    peeled: new LRUCache<string, string>({ max: 100_000 }),
  };
}
