/**
 * Per-repository state kept between calls: the isomorphic-git `fs` wrapper and `cache`, and
 * caches of parsed immutable objects (commits, trees, sizes, generation numbers). Everything
 * here is content-addressed, so it never goes stale while the repository exists; refs are never
 * cached. Contexts live in an LRU so memory stays bounded however many repositories are used.
 */
import type { PromiseFsClient, TreeEntry } from 'isomorphic-git';
import { FileSystem } from 'isomorphic-git/models';
import { LRUCache } from 'lru-cache';
import type { RepoStore, Storage } from '../../fs-service/index.js';
import type { CommitDetails } from './types.js';

export type ObjectKind = 'blob' | 'tree' | 'commit' | 'tag';

/** Blobs larger than this are read from storage each time (the cache is for the many small files). */
const MAX_CACHED_BLOB = 256 * 1024;

/**
 * Inflated blob bytes, shared by every repository's context and bounded in bytes. Keyed by
 * repository too, so one repository's reader never learns of another's object.
 */
export class BlobCache {
  private readonly lru: LRUCache<string, Buffer>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Buffer>({ maxSize: maxBytes, sizeCalculation: (b) => Math.max(1, b.length) });
  }

  get(repo: string, oid: string): Buffer | undefined {
    return this.lru.get(`${repo}\0${oid}`);
  }

  set(repo: string, oid: string, bytes: Buffer): void {
    if (bytes.length <= MAX_CACHED_BLOB) this.lru.set(`${repo}\0${oid}`, bytes);
  }

  forget(repo: string): void {
    const prefix = `${repo}\0`;
    for (const key of this.lru.keys()) if (key.startsWith(prefix)) this.lru.delete(key);
  }
}

/**
 * An LRU of at most `count` entries that grows as it fills. lru-cache's `max` allocates every slot
 * up front: these five took 5.3 MB and 23 ms of blocked event loop per repository opened.
 */
function entries<V extends NonNullable<unknown>>(count: number): LRUCache<string, V> {
  return new LRUCache<string, V>({ maxSize: count, sizeCalculation: () => 1 });
}

export class RepoContext {
  /** Wrapped once: a raw fs would make isomorphic-git probe it on every call. */
  readonly fs: PromiseFsClient;
  /** isomorphic-git's own cache (parsed pack indexes); one object per repository, reused. */
  readonly cache: object = {};
  readonly commits = entries<CommitDetails>(20_000);
  readonly trees = entries<readonly TreeEntry[]>(5_000);
  readonly sizes = entries<number>(20_000);
  /** Generation numbers (1 + max of the parents'), the exact pruning key of commit-graph walks. */
  readonly generations = entries<number>(200_000);
  readonly kinds = entries<ObjectKind>(50_000);
  /**
   * The default branch as last read from the metadata: a guess that lets the first read of a
   * request fetch metadata and that branch together; the metadata read with it confirms it.
   */
  defaultBranchGuess: string | undefined;

  constructor(
    readonly store: RepoStore,
    private readonly blobCache: BlobCache,
  ) {
    this.fs = new FileSystem(store.fs) as unknown as PromiseFsClient;
  }

  get name(): string {
    return this.store.name;
  }

  /** A cached blob's bytes: shared, so nobody may write into them. */
  cachedBlob(oid: string): Buffer | undefined {
    return this.blobCache.get(this.name, oid);
  }

  cacheBlob(oid: string, bytes: Buffer): void {
    this.blobCache.set(this.name, oid, bytes);
  }

  /** The arguments every isomorphic-git call needs. */
  git(): { fs: PromiseFsClient; gitdir: string; cache: object } {
    return { fs: this.fs, gitdir: '/', cache: this.cache };
  }
}

export class RepoContexts {
  private readonly contexts: LRUCache<string, RepoContext>;
  private readonly blobs: BlobCache;

  constructor(
    private readonly storage: Storage,
    max = 64,
    blobCacheBytes = 64 * 1024 * 1024,
  ) {
    this.contexts = new LRUCache<string, RepoContext>({ max });
    this.blobs = new BlobCache(blobCacheBytes);
  }

  get(name: string): RepoContext {
    let ctx = this.contexts.get(name);
    if (ctx === undefined) {
      ctx = new RepoContext(this.storage.repo(name), this.blobs);
      this.contexts.set(name, ctx);
    }
    return ctx;
  }

  /** The context of `name` if one is open; never opens one (so never for a name not yet checked). */
  peek(name: string): RepoContext | undefined {
    return this.contexts.get(name);
  }

  /** After a delete or re-create: objects of the old repository must not be served from caches. */
  forget(name: string): void {
    this.contexts.delete(name);
    this.blobs.forget(name);
  }
}
