import { LRUCache } from 'lru-cache';

/** What the cache holds, each counted on its own (counters, /metrics) and all under one budget. */
export type CacheKind = 'pack' | 'index' | 'object' | 'commit' | 'details' | 'tree' | 'tag' | 'peeled' | 'generation' | 'size' | 'graph';
const KINDS: readonly CacheKind[] = ['pack', 'index', 'object', 'commit', 'details', 'tree', 'tag', 'peeled', 'generation', 'size', 'graph'];

export interface CacheCounters {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

interface Entry {
  kind: CacheKind;
  value: unknown;
}

/** Default budget: a front end's whole memory for git data (GIT_CACHE_BYTES). */
export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;
/** Default idle time: an entry nobody used for this long is dropped (GIT_CACHE_IDLE_SECONDS). */
export const DEFAULT_CACHE_IDLE_MS = 60_000;

/**
 * The one cache of the git core, shared by everything a front end serves (REST and git alike):
 * stored pack blocks, pack indexes, inflated objects, parsed commits, trees and tags, peeled tags,
 * generation numbers, sizes, commit-graph layers. All of it is immutable (keyed by content id, or a pack by its name,
 * which is its checksum), so nothing is ever invalidated, only evicted. One LRU bounded by one
 * byte budget that counts what each entry really holds; one entry never takes more than half of
 * it. Keys carry the repository, so one repository's reader never learns of another's objects,
 * and a deleted repository's entries go with it (`forget`). An entry nobody used for `idleMs`
 * goes too (at its next lookup, or at `dropIdle`): a front end that served a large clone an hour
 * ago does not hold the clone's blocks for ever.
 */
export class GitCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly stats = new Map<CacheKind, CacheCounters>(KINDS.map((k) => [k, { hits: 0, misses: 0, entries: 0, bytes: 0 }]));
  /** Bytes of entries let go so far (evicted, dropped idle, forgotten): memory a collection can take back. */
  released = 0;

  constructor(
    readonly budgetBytes = DEFAULT_CACHE_BYTES,
    readonly idleMs = DEFAULT_CACHE_IDLE_MS,
  ) {
    this.lru = new LRUCache<string, Entry>({
      ttl: Math.max(1, idleMs),
      updateAgeOnGet: true,
      maxSize: Math.max(1, budgetBytes),
      maxEntrySize: Math.max(1, Math.floor(budgetBytes / 2)),
      // Set explicitly with each entry (set(..., bytes)); this only covers a missing size.
      sizeCalculation: () => 1,
      dispose: (entry, _key, reason) => {
        if (reason === 'set') return;
        const s = this.stats.get(entry.kind) as CacheCounters;
        const bytes = (entry as Entry & { bytes: number }).bytes;
        s.entries--;
        s.bytes -= bytes;
        this.released += bytes;
      },
    });
  }

  private static key(kind: CacheKind, repo: string, id: string): string {
    return `${repo}\0${kind}\0${id}`;
  }

  get<T>(kind: CacheKind, repo: string, id: string): T | undefined {
    const entry = this.lru.get(GitCache.key(kind, repo, id));
    const s = this.stats.get(kind) as CacheCounters;
    if (entry === undefined) {
      s.misses++;
      return undefined;
    }
    s.hits++;
    return entry.value as T;
  }

  /** True without counting a hit or a miss (for existence checks). */
  has(kind: CacheKind, repo: string, id: string): boolean {
    return this.lru.has(GitCache.key(kind, repo, id));
  }

  /** Keeps `value`, which holds about `bytes` of memory; larger than half the budget: not kept. */
  set(kind: CacheKind, repo: string, id: string, value: unknown, bytes: number): void {
    const key = GitCache.key(kind, repo, id);
    const size = Math.max(1, Math.ceil(bytes));
    if (size > this.budgetBytes / 2) return;
    const previous = this.lru.peek(key) as (Entry & { bytes: number }) | undefined;
    const s = this.stats.get(kind) as CacheCounters;
    if (previous !== undefined) {
      s.entries--;
      s.bytes -= previous.bytes;
    }
    const entry: Entry & { bytes: number } = { kind, value, bytes: size };
    s.entries++;
    s.bytes += size;
    this.lru.set(key, entry, { size });
  }

  /** Drops everything kept for a repository (after it was deleted or created again). */
  forget(repo: string): void {
    const prefix = `${repo}\0`;
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  /** Drops every entry nobody used for the idle time. */
  dropIdle(): void {
    this.lru.purgeStale();
  }

  /** Bytes held in all, never above the budget. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  counters(): Record<CacheKind, CacheCounters> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }])) as Record<CacheKind, CacheCounters>;
  }
}

/** Bytes a parsed value holds, roughly: what the budget charges for it. */
export const cost = {
  object: (data: Buffer): number => data.length + 96,
  commit: (parents: number): number => 160 + 48 * parents,
  details: (message: string, parents: number): number => 400 + 2 * message.length + 48 * parents,
  tree: (entries: readonly { path: string }[]): number => 64 + entries.reduce((n, e) => n + 160 + 2 * e.path.length, 0),
  small: 96,
};
