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

export class RepoContext {
  /** Wrapped once: a raw fs would make isomorphic-git probe it on every call. */
  readonly fs: PromiseFsClient;
  /** isomorphic-git's own cache (parsed pack indexes); one object per repository, reused. */
  readonly cache: object = {};
  readonly commits = new LRUCache<string, CommitDetails>({ max: 20_000 });
  readonly trees = new LRUCache<string, readonly TreeEntry[]>({ max: 5_000 });
  readonly sizes = new LRUCache<string, number>({ max: 20_000 });
  /** Generation numbers (1 + max of the parents'), the exact pruning key of commit-graph walks. */
  readonly generations = new LRUCache<string, number>({ max: 200_000 });

  constructor(readonly store: RepoStore) {
    this.fs = new FileSystem(store.fs) as unknown as PromiseFsClient;
  }

  get name(): string {
    return this.store.name;
  }

  /** The arguments every isomorphic-git call needs. */
  git(): { fs: PromiseFsClient; gitdir: string; cache: object } {
    return { fs: this.fs, gitdir: '/', cache: this.cache };
  }
}

export class RepoContexts {
  private readonly contexts: LRUCache<string, RepoContext>;

  constructor(
    private readonly storage: Storage,
    max = 64,
  ) {
    this.contexts = new LRUCache<string, RepoContext>({ max });
  }

  get(name: string): RepoContext {
    let ctx = this.contexts.get(name);
    if (ctx === undefined) {
      ctx = new RepoContext(this.storage.repo(name));
      this.contexts.set(name, ctx);
    }
    return ctx;
  }

  /** After a delete or re-create: objects of the old repository must not be served from caches. */
  forget(name: string): void {
    this.contexts.delete(name);
  }
}
