/**
 * Per-repository state kept between calls: the repository's object store (the git core's one
 * reader, whose parsed objects live in the front end's one GitCache), the isomorphic-git `fs`
 * wrapper the writers use, and a guess of the default branch. Refs are never cached. Contexts
 * live in an LRU so memory stays bounded however many repositories are used.
 */
import type { PromiseFsClient } from 'isomorphic-git';
import { FileSystem } from 'isomorphic-git/models';
import { LRUCache } from 'lru-cache';
import type { RepoStore } from '../../fs-service/index.js';
import { ancestryOf, type CommitSource, type ObjectStore, type ObjectStores, type Oid } from '../git/index.js';

export class RepoContext {
  /** Wrapped once: a raw fs would make isomorphic-git probe it on every call. */
  readonly fs: PromiseFsClient;
  /**
   * The default branch as last read from the metadata: a guess that lets the first read of a
   * request fetch metadata and that branch together; the metadata read with it confirms it.
   */
  defaultBranchGuess: string | undefined;

  constructor(readonly objects: ObjectStore) {
    this.fs = new FileSystem(objects.store.fs) as unknown as PromiseFsClient;
  }

  /** Ancestry questions about these commits, from the commit graph (extended to cover them). */
  ancestry(tips: readonly Oid[]): Promise<CommitSource> {
    return ancestryOf(this.objects, tips);
  }

  get store(): RepoStore {
    return this.objects.store;
  }

  get name(): string {
    return this.objects.repo;
  }
}

export class RepoContexts {
  private readonly contexts: LRUCache<string, RepoContext>;

  constructor(
    readonly objects: ObjectStores,
    max = 64,
  ) {
    this.contexts = new LRUCache<string, RepoContext>({ max });
  }

  get(name: string): RepoContext {
    let ctx = this.contexts.get(name);
    if (ctx === undefined) {
      ctx = new RepoContext(this.objects.get(name));
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
    this.objects.forget(name);
  }
}
