import { CommitQueue } from './commit-queue.js';
import type { CommitInfo } from './git-object.js';

export type CommitLookup = (oid: string) => Promise<CommitInfo | null>;

/** How far below the ancestor's commit time the walk still looks (clock skew between authors). */
const SKEW_SECONDS = 24 * 3600;

/**
 * Is `ancestor` reachable from `descendant` (a fast-forward from ancestor to descendant)?
 * Newest-first walk from the descendant that gives up once every queued commit is older than
 * the ancestor by more than a day, so a "no" does not cost the whole history.
 */
export async function isAncestor(ancestor: string, descendant: string, commitOf: CommitLookup): Promise<boolean> {
  if (ancestor === descendant) return true;
  const target = await commitOf(ancestor);
  const start = await commitOf(descendant);
  if (target === null || start === null) return false;
  const cutoff = target.time - SKEW_SECONDS;
  const queue = new CommitQueue();
  const seen = new Set<string>([descendant]);
  queue.push(descendant, start.time);
  while (queue.size > 0) {
    const { oid, time } = queue.pop() as { oid: string; time: number };
    if (oid === ancestor) return true;
    if (time < cutoff) return false;
    const info = await commitOf(oid);
    if (info === null) continue;
    for (const p of info.parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      const pi = await commitOf(p);
      if (pi !== null) queue.push(p, pi.time);
    }
  }
  return false;
}
