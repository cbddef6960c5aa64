/**
 * Ancestry questions answered exactly: every walk is ordered by generation number (1 + the
 * largest parent generation), the key git's commit-graph uses. Commit dates, the alternative,
 * give wrong merge bases and counts when clocks were skewed. Generations are computed lazily
 * and kept in the cache (commits are immutable); the first question on a cold repository reads
 * its history once. This is the one ancestry of the service: REST branch moves, merges and
 * compare, and pushes to protected branches all ask here, so they cannot disagree.
 */
import { Heap } from './heap.js';
import type { CommitInfo, Oid } from './object.js';
import { cost, type GitCache } from './store/cache.js';

/**
 * Where ancestry reads commits: a repository's ObjectStore, or (for a push being checked) one
 * that answers the pushed commits first. Generation numbers are kept in its cache.
 */
export interface CommitSource {
  readonly repo: string;
  readonly cache: GitCache;
  commit(oid: Oid): Promise<CommitInfo | null>;
  /** A generation number known without a walk (from the commit graph), if any. */
  generation?(oid: Oid): number | undefined;
}

/** The commit's walk fields; a missing commit is an error here (every ref's history is complete). */
async function readCommit(objects: CommitSource, oid: Oid): Promise<CommitInfo> {
  const info = await objects.commit(oid);
  if (info === null) throw new Error(`commit ${oid} is missing from ${objects.repo}`);
  return info;
}

export async function generation(objects: CommitSource, oid: Oid): Promise<number> {
  const stored = objects.generation?.(oid);
  if (stored !== undefined) return stored;
  const memo = objects.cache.get<number>('generation', objects.repo, oid);
  if (memo !== undefined) return memo;
  // Local map too: the LRU may evict a parent's value before its child is done.
  const local = new Map<Oid, number>();
  const known = (id: Oid): number | undefined => local.get(id) ?? objects.cache.get<number>('generation', objects.repo, id);
  const stack: Oid[] = [oid];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (known(top) !== undefined) {
      stack.pop();
      continue;
    }
    const { parents } = await readCommit(objects, top);
    const pending = parents.filter((p) => known(p) === undefined);
    if (pending.length > 0) {
      await Promise.all(pending.map((p) => readCommit(objects, p)));
      stack.push(...pending);
      continue;
    }
    const value = 1 + Math.max(0, ...parents.map((p) => known(p) ?? 0));
    local.set(top, value);
    objects.cache.set('generation', objects.repo, top, value, cost.small);
    stack.pop();
  }
  return known(oid)!;
}

interface Queued {
  oid: Oid;
  gen: number;
}

function byGenerationDesc(a: Queued, b: Queued): boolean {
  return a.gen > b.gen;
}

/** Is `ancestor` reachable from `descendant` (or equal to it)? */
export async function isAncestor(objects: CommitSource, ancestor: Oid, descendant: Oid): Promise<boolean> {
  if (ancestor === descendant) return true;
  const [ga, gd] = await Promise.all([generation(objects, ancestor), generation(objects, descendant)]);
  if (ga >= gd) return false;
  const seen = new Set<Oid>([descendant]);
  const todo: Oid[] = [descendant];
  while (todo.length > 0) {
    const { parents } = await readCommit(objects, todo.pop()!);
    for (const p of parents) {
      if (p === ancestor) return true;
      // Below the ancestor's generation nothing can lead back up to it.
      if (seen.has(p) || (await generation(objects, p)) <= ga) continue;
      seen.add(p);
      todo.push(p);
    }
  }
  return false;
}

/**
 * Walks from several tips, each with its own flag bit, in generation order. `visit` decides the
 * flags a popped commit keeps and passes to its parents; a parent whose flags grow is queued
 * (again). Stops when `done(queue)`. Returns the final flags of every commit reached.
 */
async function paint(
  objects: CommitSource,
  tips: { oid: Oid; flag: number }[],
  visit: (oid: Oid, flags: number) => number,
  done: (queued: Queued[], flags: Map<Oid, number>) => boolean,
): Promise<Map<Oid, number>> {
  const flags = new Map<Oid, number>();
  const heap = new Heap<Queued>(byGenerationDesc);
  for (const tip of tips) {
    flags.set(tip.oid, (flags.get(tip.oid) ?? 0) | tip.flag);
    heap.push({ oid: tip.oid, gen: await generation(objects, tip.oid) });
  }
  while (heap.size > 0 && !done(heap.values(), flags)) {
    const { oid } = heap.pop()!;
    const passed = visit(oid, flags.get(oid) ?? 0);
    flags.set(oid, (flags.get(oid) ?? 0) | passed);
    const { parents } = await readCommit(objects, oid);
    for (const p of parents) {
      const current = flags.get(p) ?? 0;
      if ((current & passed) === passed) continue;
      flags.set(p, current | passed);
      heap.push({ oid: p, gen: await generation(objects, p) });
    }
  }
  return flags;
}

const SIDE_A = 1;
const SIDE_B = 2;
const STALE = 4;

/**
 * The best common ancestors of a and b (git merge-base --all): usually one; two or more in
 * criss-cross histories; none for unrelated histories. Sorted by generation, newest first.
 */
export async function mergeBases(objects: CommitSource, a: Oid, b: Oid): Promise<Oid[]> {
  if (a === b) return [a];
  const candidates: Oid[] = [];
  await paint(
    objects,
    [
      { oid: a, flag: SIDE_A },
      { oid: b, flag: SIDE_B },
    ],
    (oid, current) => {
      let passed = current & (SIDE_A | SIDE_B | STALE);
      // Reached from both sides and not below another common commit: a candidate. Everything
      // below it is common too (STALE), so it stops qualifying commits further down.
      if ((passed & (SIDE_A | SIDE_B)) === (SIDE_A | SIDE_B) && (current & STALE) === 0) {
        candidates.push(oid);
        passed |= STALE;
      }
      return passed;
    },
    (queued, all) => queued.every((q) => ((all.get(q.oid) ?? 0) & STALE) !== 0),
  );
  const unique = [...new Set(candidates)];
  // A candidate that is an ancestor of another candidate is not a *best* common ancestor.
  const best: Oid[] = [];
  for (const c of unique) {
    let redundant = false;
    for (const other of unique) {
      if (other !== c && (await isAncestor(objects, c, other))) {
        redundant = true;
        break;
      }
    }
    if (!redundant) best.push(c);
  }
  const gens = new Map(await Promise.all(best.map(async (oid) => [oid, await generation(objects, oid)] as const)));
  return best.sort((x, y) => gens.get(y)! - gens.get(x)! || (x < y ? -1 : 1));
}

/**
 * Commits reachable from head but not base (ahead) and from base but not head (behind), as
 * `git rev-list --left-right --count base...head`. In generation order a commit reached by one
 * side only can no longer be reached by the other once every queued commit carries both flags.
 */
export async function aheadBehind(objects: CommitSource, base: Oid, head: Oid): Promise<{ ahead: number; behind: number }> {
  if (base === head) return { ahead: 0, behind: 0 };
  const both = SIDE_A | SIDE_B;
  const flags = await paint(
    objects,
    [
      { oid: base, flag: SIDE_A },
      { oid: head, flag: SIDE_B },
    ],
    (_oid, current) => current & both,
    (queued, all) => queued.every((q) => (all.get(q.oid) ?? 0) === both),
  );
  let ahead = 0;
  let behind = 0;
  for (const f of flags.values()) {
    if (f === SIDE_B) ahead++;
    else if (f === SIDE_A) behind++;
  }
  return { ahead, behind };
}
