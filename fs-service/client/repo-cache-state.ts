import { LRUCache } from 'lru-cache';

/**
 * What a client may remember about one repository besides immutable files: answers that are
 * only true until the repository's object store changes (a loose object is absent, the pack
 * folder lists these names). Each is stamped with the generation token the shard sent with
 * it and used only while the newest token seen for the repository is that same one. Every
 * shard answer carries the token, and isomorphic-git stats the gitdir at the start of every
 * command, so the check happens at least once per command: checked, not assumed.
 */
export class RepoCacheState {
  private boot: string | null = null;
  private counter = -1;
  // Bounded by a count through maxSize: with `max`, lru-cache allocates all 50,000 slots up front
  // (1.2 MB per repository, and one state per repository the front end has touched).
  private readonly misses = new LRUCache<string, string>({ maxSize: 50_000, sizeCalculation: () => 1 });
  private packListing: { gen: string; names: string[] | null } | null = null;

  get gen(): string | null {
    return this.boot === null ? null : `${this.boot}.${this.counter}`;
  }

  /**
   * Takes a token from an answer; an older token of the same shard process is ignored. Tokens of
   * two processes cannot be ordered: when answers come from another copy (a failover, a read that
   * fell back to a replica), everything remembered is dropped, or an answer from the first copy
   * arriving late would bring back its token and, with it, a listing older than what was read since.
   */
  observe(token: unknown): void {
    if (typeof token !== 'string') return;
    const dot = token.lastIndexOf('.');
    const boot = token.slice(0, dot);
    const counter = Number(token.slice(dot + 1));
    if (boot === this.boot && counter <= this.counter) return;
    if (boot !== this.boot) {
      this.misses.clear();
      this.packListing = null;
    }
    this.boot = boot;
    this.counter = counter;
  }

  rememberMissing(path: string, token: unknown): void {
    if (typeof token === 'string') this.misses.set(path, token);
  }

  knownMissing(path: string): boolean {
    const stamp = this.misses.get(path);
    return stamp !== undefined && stamp === this.gen;
  }

  forgetMissing(path: string): void {
    this.misses.delete(path);
  }

  rememberPackListing(names: string[] | null, token: unknown): void {
    if (typeof token === 'string') this.packListing = { gen: token, names: names === null ? null : [...names] };
  }

  /** undefined: unknown; null: the folder is absent; else the names. */
  packNames(): string[] | null | undefined {
    if (this.packListing === null || this.packListing.gen !== this.gen) return undefined;
    return this.packListing.names === null ? null : [...this.packListing.names];
  }
}
