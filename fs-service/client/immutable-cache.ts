import { LRUCache } from 'lru-cache';

/**
 * Content-addressed files (loose objects, packs, pack indexes) never change, so they are kept
 * without invalidation in an LRU bounded by bytes. Concurrent misses of one key share one
 * fetch (single-flight), which matters when isomorphic-git's walk asks for the same tree from
 * many branches at once.
 */
export class ImmutableCache {
  private readonly lru: LRUCache<string, Buffer>;
  private readonly inflight = new Map<string, Promise<Buffer>>();

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Buffer>({
      maxSize: Math.max(1, maxBytes),
      // A single huge pack must not evict everything else.
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 2)),
      sizeCalculation: (value) => Math.max(1, value.length),
    });
  }

  get(key: string): Buffer | undefined {
    return this.lru.get(key);
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  set(key: string, value: Buffer): void {
    this.lru.set(key, value);
  }

  /** Returns the cached value or runs `fetch` once for all concurrent callers. */
  async getOrFetch(key: string, fetch: () => Promise<Buffer>): Promise<{ value: Buffer; hit: boolean }> {
    const cached = this.lru.get(key);
    if (cached !== undefined) return { value: cached, hit: true };
    let flight = this.inflight.get(key);
    if (flight === undefined) {
      flight = fetch().then(
        (value) => {
          this.lru.set(key, value);
          this.inflight.delete(key);
          return value;
        },
        (err: unknown) => {
          this.inflight.delete(key);
          throw err;
        },
      );
      this.inflight.set(key, flight);
    }
    return { value: await flight, hit: false };
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }
}
