/**
 * History: commits newest first (committer date, ties in discovery order, as `git log`), with an
 * optional path filter using git's default simplification: a commit that leaves the path as one
 * of its parents had it is not shown, and only that parent is followed (so a merge that took the
 * path from one side does not drag the other side's history in).
 *
 * The walk runs on the commit graph (git/graph/): parents, dates and generation numbers without
 * reading a commit, and for a path, each commit's changed-path filter answers "not here" without
 * reading a tree; only the commits shown are read. A page's cursor carries where the walk stopped
 * (the commit it found next, the commits waiting, and those already seen that the rest of the
 * walk could reach again), so page k costs what page 1 costs and goes on exactly as one long walk.
 */
import { type CommitGraph, graphCovering, Heap, mayHaveChanged, pathKey, type PathKey } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import { validatePath } from './names.js';
import { entryAt, readCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { openAt } from './open-at.js';
import { resolveCommitId } from './refs.js';
import { openRepo } from './repositories.js';
import { invalid, notFound, type CommitDetails, type Invalid, type NotFound, type Oid } from './types.js';

/** Where a walk stopped: the commit to show first, the commits waiting (in order), those seen. */
export interface WalkState {
  first: Oid | null;
  frontier: Oid[];
  seen: Oid[];
}

interface Queued {
  pos: number;
  time: number;
}

const MAX_CURSOR_IDS = 4096;

/** A cursor as the API hands it out: the walk state's ids, 20 bytes each, base64url. */
export function encodeCursor(state: WalkState): string {
  const ids = [state.first ?? '0'.repeat(40), ...state.frontier, ...state.seen];
  const head = Buffer.alloc(5);
  head.writeUInt8(1, 0);
  head.writeUInt16BE(state.frontier.length, 1);
  head.writeUInt16BE(state.seen.length, 3);
  return Buffer.concat([head, ...ids.map((id) => Buffer.from(id, 'hex'))]).toString('base64url');
}

export function decodeCursor(text: string): WalkState | null {
  if (!/^[A-Za-z0-9_-]{1,200000}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length < 25 || bytes.readUInt8(0) !== 1) return null;
  const frontier = bytes.readUInt16BE(1);
  const seen = bytes.readUInt16BE(3);
  if (frontier + seen > MAX_CURSOR_IDS || bytes.length !== 5 + 20 * (1 + frontier + seen)) return null;
  const id = (i: number): Oid => bytes.toString('hex', 5 + 20 * i, 25 + 20 * i);
  const first = id(0);
  return {
    first: /^0{40}$/.test(first) ? null : first,
    frontier: Array.from({ length: frontier }, (_, i) => id(1 + i)),
    seen: Array.from({ length: seen }, (_, i) => id(1 + frontier + i)),
  };
}

function newerFirst(a: Queued, b: Queued): boolean {
  return a.time > b.time;
}

export class HistoryWalk {
  /** Commits examined so far. */
  visited = 0;
  /** True when the walk stopped at `maxVisits` rather than at the end of history. */
  truncated = false;
  private readonly heap = new Heap<Queued>(newerFirst);
  private readonly seen = new Set<number>();
  private readonly popped: number[] = [];
  private first: number | null = null;
  private readonly key: PathKey | null;

  /** From a tip, or from a cursor's state (whose ids must all be in the graph). */
  constructor(
    private readonly ctx: RepoContext,
    private readonly graph: CommitGraph,
    start: Oid | WalkState,
    private readonly segments: readonly string[] | null,
    private readonly maxVisits = Infinity,
  ) {
    this.key = segments === null ? null : pathKey(segments.join('/'));
    if (typeof start === 'string') {
      this.enqueue(this.position(start));
    } else {
      // What earlier pages took counts as taken here too, so it is carried to the next cursor.
      const taken = [...(start.first === null ? [] : [start.first]), ...start.seen].map((oid) => this.position(oid));
      for (const pos of taken) this.seen.add(pos);
      this.popped.push(...taken);
      if (start.first !== null) this.first = this.position(start.first);
      for (const oid of start.frontier) this.enqueue(this.position(oid));
    }
  }

  private position(oid: Oid): number {
    const pos = this.graph.position(oid);
    if (pos < 0) throw new UnknownCommit(oid);
    return pos;
  }

  private enqueue(pos: number): void {
    if (this.seen.has(pos)) return;
    this.seen.add(pos);
    this.heap.push({ pos, time: this.graph.time(pos) });
  }

  /** The path's entry in a tree, as "mode oid" (null when absent), for TREESAME tests. */
  private async pathAt(tree: Oid): Promise<string | null> {
    const entry = await entryAt(this.ctx, tree, this.segments as readonly string[]);
    return entry === null ? null : `${entry.mode} ${entry.oid}`;
  }

  /** The next commit to show, or null at the end of history (or of `maxVisits`). */
  async next(): Promise<Oid | null> {
    if (this.first !== null) {
      const first = this.first;
      this.first = null;
      return this.graph.oid(first);
    }
    while (this.heap.size > 0) {
      if (this.visited >= this.maxVisits) {
        this.truncated = true;
        return null;
      }
      const { pos } = this.heap.pop() as Queued;
      this.visited++;
      this.popped.push(pos);
      const parents = this.graph.parents(pos);
      if (this.segments === null) {
        parents.forEach((p) => this.enqueue(p));
        return this.graph.oid(pos);
      }
      if (parents.length === 1 && !mayHaveChanged(this.graph.filter(pos), this.key as PathKey)) {
        this.enqueue(parents[0] as number);
        continue;
      }
      const mine = await this.pathAt(this.graph.tree(pos));
      if (parents.length === 0) {
        if (mine !== null) return this.graph.oid(pos);
        continue;
      }
      const theirs = await Promise.all(parents.map((p) => this.pathAt(this.graph.tree(p))));
      const same = theirs.indexOf(mine);
      if (same >= 0) {
        this.enqueue(parents[same] as number);
        continue;
      }
      parents.forEach((p) => this.enqueue(p));
      return this.graph.oid(pos);
    }
    return null;
  }

  /**
   * Where to go on after `shown` was found (and not yet shown): it first, then the commits
   * waiting in the order they would come out, and of the commits already taken those the rest of
   * the walk could reach (only an ancestor of a waiting commit can be reached again, and an
   * ancestor has a lower generation number).
   */
  stateBefore(shown: Oid): WalkState {
    const waiting = this.heap.inOrder();
    const highest = Math.max(0, ...waiting.map((q) => this.graph.generation(q.pos)));
    const seen = this.popped.filter((p) => this.graph.generation(p) < highest && this.graph.oid(p) !== shown);
    return { first: shown, frontier: waiting.map((q) => this.graph.oid(q.pos)), seen: seen.map((p) => this.graph.oid(p)) };
  }

}

/** A cursor naming a commit this repository's graph does not hold. */
export class UnknownCommit extends Error {
  constructor(readonly oid: Oid) {
    super(`commit ${oid} is not in this history`);
  }
}

export interface HistoryInput {
  ref?: string;
  path?: string;
  limit?: number;
  /** Where the previous page stopped (its `next`); opaque. */
  cursor?: string;
}

export type HistoryResult = { ok: true; head: Oid; commits: CommitDetails[]; next: string | null } | NotFound | Invalid;

export const DEFAULT_PAGE = 30;
export const MAX_PAGE = 100;

export async function history(deps: ServiceDeps, repo: string, input: HistoryInput = {}): Promise<HistoryResult> {
  const limit = input.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return invalid('limit', `limit must be 1 to ${MAX_PAGE}`);
  const state = input.cursor === undefined ? null : decodeCursor(input.cursor);
  if (input.cursor !== undefined && state === null) return invalid('cursor', 'cursor is not one this API handed out');
  let segments: string[] | null = null;
  if (input.path !== undefined && input.path !== '') {
    const valid = validatePath(input.path);
    if (!valid.ok) return invalid('path', valid.detail);
    segments = valid.value;
  }
  const opened = await openAt(deps, repo, input.ref);
  if (!opened.ok) return opened;
  const head = opened.commit.id;
  const graph = await graphCovering(opened.ctx.objects, [head]);
  let walk: HistoryWalk;
  try {
    walk = new HistoryWalk(opened.ctx, graph, state ?? head, segments);
  } catch (err) {
    if (err instanceof UnknownCommit) return notFound('cursor', input.cursor ?? '');
    throw err;
  }
  const ids: Oid[] = [];
  for (let id = await walk.next(); id !== null; id = await walk.next()) {
    if (ids.length === limit) return { ok: true, head, commits: await details(opened.ctx, ids), next: encodeCursor(walk.stateBefore(id)) };
    ids.push(id);
  }
  return { ok: true, head, commits: await details(opened.ctx, ids), next: null };
}

function details(ctx: RepoContext, ids: readonly Oid[]): Promise<CommitDetails[]> {
  return Promise.all(ids.map((id) => readCommit(ctx, id)));
}

export type CommitResult = { ok: true; commit: CommitDetails } | NotFound | Invalid;

export async function getCommit(deps: ServiceDeps, repo: string, id: string): Promise<CommitResult> {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const found = await resolveCommitId(opened.ctx, id);
  if (!found.ok) return found;
  return { ok: true, commit: await readCommit(opened.ctx, found.commit) };
}
