import { err, type ObjectStore, ok, type Result } from '../git/index.js';

/** git's INFINITE_DEPTH: `git fetch --unshallow` sends "deepen 2147483647". */
export const INFINITE_DEPTH = 0x7fffffff;

export interface ShallowRequest {
  /** Wanted commits (tags already peeled). */
  wants: string[];
  /** "shallow <oid>" lines: the client's current boundary (existing commits only). */
  clientShallow: Set<string>;
  /** "deepen <n>", 0 when absent. */
  depth: number;
  /** "deepen-relative": depth counts from the client's boundary instead of the wants. */
  relative: boolean;
}

export interface ShallowPlan {
  /** New boundary commits to announce ("shallow <oid>"). */
  shallow: string[];
  /** Client boundary commits that now get their parents ("unshallow <oid>"). */
  unshallow: string[];
  /** Commits whose parents are not sent. */
  stopAt: Set<string>;
  /** Parents of unshallowed commits, wanted in addition. */
  extraWants: string[];
  /** Unshallowed commits themselves: the client has them, so their trees are known. */
  extraEdges: string[];
  /** Whether the response needs a shallow-info section / shallow lines at all. */
  active: boolean;
}

/**
 * get_shallow_commits: a depth-first walk from the heads that records each commit's smallest
 * depth; commits at `depth` become the new boundary (SHALLOW), everything above it NOT_SHALLOW.
 */
async function shallowCommits(
  odb: ObjectStore,
  heads: string[],
  depth: number,
): Promise<Result<{ shallow: Set<string>; notShallow: Set<string> }>> {
  const shallow = new Set<string>();
  const notShallow = new Set<string>();
  const depthOf = new Map<string, number>();
  const stack: { oid: string; depth: number }[] = [];
  for (const head of heads) {
    depthOf.set(head, 0);
    stack.push({ oid: head, depth: 0 });
    while (stack.length > 0) {
      const { oid, depth: d } = stack.pop() as { oid: string; depth: number };
      if ((depthOf.get(oid) ?? 0) < d) continue;
      const info = await odb.commit(oid);
      if (info === null) return err(`missing commit ${oid}`);
      const cur = d + 1;
      if (depth !== INFINITE_DEPTH && cur >= depth) {
        shallow.add(oid);
        continue;
      }
      notShallow.add(oid);
      for (const p of info.parents) {
        const known = depthOf.get(p);
        if (known !== undefined && cur >= known) continue;
        depthOf.set(p, cur);
        stack.push({ oid: p, depth: cur });
      }
    }
  }
  return ok({ shallow, notShallow });
}

/** upload-pack.c deepen()/send_shallow()/send_unshallow() for depth-based requests. */
export async function planShallow(odb: ObjectStore, req: ShallowRequest): Promise<Result<ShallowPlan>> {
  const active = req.depth > 0 || req.clientShallow.size > 0;
  let shallow = new Set<string>();
  let notShallow = new Set<string>();
  if (req.depth === INFINITE_DEPTH) {
    notShallow = new Set(req.clientShallow);
  } else if (req.depth > 0) {
    const heads = req.relative ? [...req.clientShallow] : req.wants;
    const r = await shallowCommits(odb, heads, req.relative ? req.depth + 1 : req.depth);
    if (!r.ok) return r;
    ({ shallow, notShallow } = r.value);
  }
  const announce = [...shallow].filter((c) => !req.clientShallow.has(c) && !notShallow.has(c));
  const unshallow = [...req.clientShallow].filter((c) => notShallow.has(c));
  const extraWants: string[] = [];
  for (const c of unshallow) {
    const info = await odb.commit(c);
    if (info !== null) extraWants.push(...info.parents);
  }
  // Boundary for this response: the new shallow commits plus client boundaries left in place.
  const stopAt = new Set<string>([...shallow].filter((c) => !notShallow.has(c)));
  for (const c of req.clientShallow) if (!notShallow.has(c)) stopAt.add(c);
  return ok({ shallow: announce, unshallow, stopAt, extraWants, extraEdges: unshallow, active });
}
