import { touchesObjectStore } from '../engine/path-kinds.js';
import { effectPaths, type Effect } from '../engine/mutations.js';

/**
 * A per-repository token that changes whenever the object store of the repository changes
 * (new loose objects, packs added, renamed into place or removed, parts of a file assembled there,
 * destroy). Every answer about a repository carries it, so a client can keep "absent" answers and
 * the pack listing exactly as long as the token it last saw is unchanged. The boot id makes tokens
 * of different processes never equal.
 */
export class RepoGenerations {
  private readonly counters = new Map<string, number>();

  constructor(private readonly bootId: string) {}

  token(key: string): string {
    return `${this.bootId}.${this.counters.get(key) ?? 0}`;
  }

  observe(key: string, effects: readonly Effect[]): void {
    if (effects.some((e) => e.kind === 'destroy' || effectPaths(e).some(touchesObjectStore))) {
      this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
    }
  }
}
