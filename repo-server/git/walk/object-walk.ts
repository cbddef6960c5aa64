import { Heap } from '../heap.js';
import { parseTag, type TreeEntry } from '../object.js';
import type { ObjectStore } from '../store/object-store.js';
import { err, ok, type Result } from '../result.js';

export interface WalkRequest {
  /** Objects the client asked for (commits, or tags/trees/blobs). */
  wants: string[];
  /** Objects the client has (already checked to exist here). */
  haves: string[];
  /** Commits the client has whose history it lacks (unshallowed): their trees are known. */
  extraEdges: string[];
  /** Commits whose parents are not sent (the new shallow boundary). */
  stopAt: Set<string>;
  /** The client's current shallow commits: it has nothing below them. */
  clientShallow: Set<string>;
}

export interface WalkResult {
  /** Ids to send: commits newest first, then tags, then trees and blobs. */
  objects: string[];
  /** Trees and blobs the client is known to have (usable as thin-pack delta bases). */
  known: Set<string>;
}

const UNINTERESTING = 1;
const SEEN = 2;
const QUEUED = 4;
/** Extra commits to look at once only uninteresting ones are queued (git's SLOP). */
const SLOP = 5;

/** Commits by committer time, newest first: the order of git's revision walk. */
export function newestFirst(): Heap<{ oid: string; time: number }> {
  return new Heap<{ oid: string; time: number }>((a, b) => a.time > b.time);
}

/**
 * Which objects a fetch must send: everything reachable from the wants minus everything
 * reachable from the haves, the way git's rev-list with "--not <haves>" decides it. The commit
 * walk is git's limit_list (newest first, stop once only uninteresting commits remain, plus a
 * little slop for clock skew); trees of the uninteresting parents of sent commits ("edges") are
 * enumerated so that unchanged subtrees and blobs are skipped, as mark_edges_uninteresting does.
 */
export async function enumerateObjects(odb: ObjectStore, req: WalkRequest): Promise<Result<WalkResult>> {
  const flags = new Map<string, number>();
  const parentsOf = new Map<string, string[]>();
  const queue = newestFirst();
  let interestingQueued = 0;
  const objects: string[] = [];
  const added = new Set<string>();
  const rootTrees: string[] = [];
  const wantCommits: string[] = [];

  // Peel wanted tags; trees and blobs wanted directly are walked/sent as they are.
  for (const want of req.wants) {
    let oid = want;
    for (let depth = 0; depth < 100; depth++) {
      const type = await odb.typeOf(oid);
      if (type === null) return err(`not our ref ${want}`);
      if (type === 'commit') {
        wantCommits.push(oid);
        break;
      }
      if (!added.has(oid)) {
        added.add(oid);
        if (type !== 'tree') objects.push(oid);
      }
      if (type === 'tree') {
        rootTrees.push(oid);
        break;
      }
      if (type === 'blob') break;
      const tagObj = await odb.read(oid);
      const tag = tagObj === null ? null : parseTag(tagObj.data);
      if (tag === null) return err(`bad tag ${oid}`);
      oid = tag.object;
    }
  }

  const enqueue = async (oid: string, uninteresting: boolean): Promise<Result<void>> => {
    const f = flags.get(oid) ?? 0;
    if (f & SEEN) {
      if (uninteresting && !(f & UNINTERESTING)) markUninteresting(oid);
      return ok(undefined);
    }
    const info = await odb.commit(oid);
    if (info === null) return uninteresting ? ok(undefined) : err(`missing commit ${oid}`);
    flags.set(oid, f | SEEN | QUEUED | (uninteresting ? UNINTERESTING : 0));
    parentsOf.set(oid, info.parents);
    queue.push({ oid, time: info.time });
    if (!uninteresting) interestingQueued++;
    return ok(undefined);
  };

  // mark_parents_uninteresting: a commit found uninteresting late taints what it reaches.
  const markUninteresting = (start: string): void => {
    const stack = [start];
    while (stack.length > 0) {
      const oid = stack.pop() as string;
      const f = flags.get(oid) ?? 0;
      if (f & UNINTERESTING) continue;
      flags.set(oid, f | UNINTERESTING);
      if (f & QUEUED) interestingQueued--;
      if (req.clientShallow.has(oid)) continue;
      for (const p of parentsOf.get(oid) ?? []) if (flags.has(p)) stack.push(p);
    }
  };

  const haveCommits: string[] = [];
  for (const have of [...req.haves, ...req.extraEdges]) {
    if ((await odb.typeOf(have)) === 'commit') haveCommits.push(have);
  }
  for (const oid of haveCommits) {
    const r = await enqueue(oid, true);
    if (!r.ok) return r;
  }
  for (const oid of wantCommits) {
    const r = await enqueue(oid, false);
    if (!r.ok) return r;
  }

  const visited: string[] = [];
  let slop = SLOP;
  while (queue.size > 0) {
    if (interestingQueued === 0) {
      if (--slop <= 0) break;
    } else {
      slop = SLOP;
    }
    const next = queue.pop() as { oid: string };
    const f = flags.get(next.oid) ?? 0;
    flags.set(next.oid, f & ~QUEUED);
    const uninteresting = (f & UNINTERESTING) !== 0;
    if (!uninteresting) {
      interestingQueued--;
      visited.push(next.oid);
    }
    const stop = uninteresting ? req.clientShallow.has(next.oid) : req.stopAt.has(next.oid);
    if (stop) continue;
    for (const p of parentsOf.get(next.oid) ?? []) {
      if (uninteresting) {
        const pf = flags.get(p) ?? 0;
        if (pf & SEEN) {
          if (!(pf & UNINTERESTING)) {
            markUninteresting(p);
          }
          continue;
        }
      }
      const r = await enqueue(p, uninteresting);
      if (!r.ok) return r;
    }
  }

  const commits = visited.filter((c) => !((flags.get(c) ?? 0) & UNINTERESTING));
  const edges = new Set<string>(req.extraEdges);
  for (const c of commits) {
    if (req.stopAt.has(c)) continue;
    for (const p of parentsOf.get(c) ?? []) if ((flags.get(p) ?? 0) & UNINTERESTING) edges.add(p);
  }

  const known = new Set<string>();
  for (const edge of edges) {
    const info = await odb.commit(edge);
    if (info !== null) await collectTree(odb, info.tree, known, null);
  }
  for (const c of commits) {
    objects.push(c);
    added.add(c);
  }
  for (const c of commits) {
    const info = await odb.commit(c);
    if (info === null) return err(`missing commit ${c}`);
    rootTrees.push(info.tree);
  }
  const treeObjects: string[] = [];
  for (const tree of rootTrees) {
    const r = await collectTree(odb, tree, added, known, treeObjects);
    if (!r.ok) return r;
  }
  objects.push(...treeObjects);
  return ok({ objects, known });
}

/**
 * Adds a tree and everything below it to `into`, skipping what `skip` holds (the client has it)
 * or `into` already has (shared subtrees are walked once). With `out`, new ids are also listed
 * in walk order (tree before its entries, as pack-objects orders them).
 */
export async function collectTree(
  odb: ObjectStore,
  root: string,
  into: Set<string>,
  skip: Set<string> | null,
  out?: string[],
): Promise<Result<void>> {
  const stack = [root];
  while (stack.length > 0) {
    const oid = stack.pop() as string;
    if (into.has(oid) || (skip !== null && skip.has(oid))) continue;
    into.add(oid);
    out?.push(oid);
    const entries = await odb.tree(oid);
    if (entries === null) return err(`missing tree ${oid}`);
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as TreeEntry;
      if (e.type === 'commit') continue;
      if (e.type === 'tree') stack.push(e.oid);
      else if (!into.has(e.oid) && !(skip !== null && skip.has(e.oid))) {
        into.add(e.oid);
        out?.push(e.oid);
      }
    }
  }
  return ok(undefined);
}

/**
 * Every object the given tips reach (tags peeled, commits, their trees and blobs; gitlinks
 * excluded): what a clone of the whole repository may send. Walked without recursion, each
 * commit and tree once.
 */
export async function reachableFrom(odb: ObjectStore, tips: Iterable<string>): Promise<Result<Set<string>>> {
  const reached = new Set<string>();
  const commits: string[] = [];
  for (const tip of tips) {
    let oid = tip;
    for (let depth = 0; depth < 100 && !reached.has(oid); depth++) {
      const type = await odb.typeOf(oid);
      if (type === null) return err(`missing object ${oid}`);
      if (type === 'commit') {
        commits.push(oid);
        break;
      }
      if (type === 'tree') {
        const r = await collectTree(odb, oid, reached, null);
        if (!r.ok) return r;
        break;
      }
      reached.add(oid);
      if (type === 'blob') break;
      const tagObj = await odb.read(oid);
      const tag = tagObj === null ? null : parseTag(tagObj.data);
      if (tag === null) return err(`bad tag ${oid}`);
      oid = tag.object;
    }
  }
  while (commits.length > 0) {
    const oid = commits.pop() as string;
    if (reached.has(oid)) continue;
    reached.add(oid);
    const info = await odb.commit(oid);
    if (info === null) return err(`missing commit ${oid}`);
    const r = await collectTree(odb, info.tree, reached, null);
    if (!r.ok) return r;
    for (const parent of info.parents) if (!reached.has(parent)) commits.push(parent);
  }
  return ok(reached);
}
