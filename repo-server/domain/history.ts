/**
 * History: commits newest first (committer date, ties in discovery order, as `git log`), with an
 * optional path filter using git's default simplification: a commit that leaves the path as one
 * of its parents had it is not shown, and only that parent is followed (so a merge that took the
 * path from one side does not drag the other side's history in). Pages continue from a cursor,
 * the id of the next commit to show; a page is re-walked from the tip, which keeps pages exactly
 * consistent with one long walk even through merges.
 */
import { Heap } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import { validatePath } from './names.js';
import { entryAt, readCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { openAt } from './open-at.js';
import { resolveCommitId } from './refs.js';
import { openRepo } from './repositories.js';
import { invalid, notFound, type CommitDetails, type Invalid, type NotFound, type Oid } from './types.js';

/** The tree entry a path has in a commit, as "mode oid" (null when absent), for TREESAME tests. */
async function pathKey(ctx: RepoContext, commit: CommitDetails, segments: readonly string[]): Promise<string | null> {
  const entry = await entryAt(ctx, commit.tree, segments);
  return entry === null ? null : `${entry.mode} ${entry.oid}`;
}

function newerFirst(a: CommitDetails, b: CommitDetails): boolean {
  return a.committer.timestamp > b.committer.timestamp;
}

export class HistoryWalk {
  /** Commits examined so far. */
  visited = 0;
  /** True when the walk stopped at `maxVisits` rather than at the end of history. */
  truncated = false;

  constructor(
    private readonly ctx: RepoContext,
    private readonly tip: Oid,
    private readonly segments: readonly string[] | null,
    private readonly maxVisits = Infinity,
  ) {}

  async *commits(): AsyncGenerator<CommitDetails> {
    const heap = new Heap<CommitDetails>(newerFirst);
    const seen = new Set<Oid>([this.tip]);
    heap.push(await readCommit(this.ctx, this.tip));
    const follow = async (parents: readonly Oid[]): Promise<void> => {
      for (const p of parents) {
        if (seen.has(p)) continue;
        seen.add(p);
        heap.push(await readCommit(this.ctx, p));
      }
    };
    while (heap.size > 0) {
      if (this.visited >= this.maxVisits) {
        this.truncated = true;
        return;
      }
      const commit = heap.pop()!;
      this.visited++;
      if (this.segments === null) {
        yield commit;
        await follow(commit.parents);
        continue;
      }
      const mine = await pathKey(this.ctx, commit, this.segments);
      if (commit.parents.length === 0) {
        if (mine !== null) yield commit;
        continue;
      }
      const theirs = await Promise.all(commit.parents.map(async (p) => pathKey(this.ctx, await readCommit(this.ctx, p), this.segments!)));
      const same = theirs.indexOf(mine);
      if (same >= 0) {
        await follow([commit.parents[same]!]);
      } else {
        yield commit;
        await follow(commit.parents);
      }
    }
  }
}

export interface HistoryInput {
  ref?: string;
  path?: string;
  limit?: number;
  /** The id of the first commit of the page (the `next` of the previous page). */
  cursor?: Oid;
}

export type HistoryResult = { ok: true; head: Oid; commits: CommitDetails[]; next: Oid | null } | NotFound | Invalid;

export const DEFAULT_PAGE = 30;
export const MAX_PAGE = 100;

export async function history(deps: ServiceDeps, repo: string, input: HistoryInput = {}): Promise<HistoryResult> {
  const limit = input.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return invalid('limit', `limit must be 1 to ${MAX_PAGE}`);
  if (input.cursor !== undefined && !/^[0-9a-f]{40}$/.test(input.cursor)) return invalid('cursor', 'cursor must be a commit id');
  let segments: string[] | null = null;
  if (input.path !== undefined && input.path !== '') {
    const valid = validatePath(input.path);
    if (!valid.ok) return invalid('path', valid.detail);
    segments = valid.value;
  }
  const opened = await openAt(deps, repo, input.ref);
  if (!opened.ok) return opened;
  const head = opened.commit.id;
  const commits: CommitDetails[] = [];
  let started = input.cursor === undefined;
  for await (const commit of new HistoryWalk(opened.ctx, head, segments).commits()) {
    if (!started) {
      if (commit.id !== input.cursor) continue;
      started = true;
    }
    if (commits.length === limit) return { ok: true, head, commits, next: commit.id };
    commits.push(commit);
  }
  if (!started) return notFound('cursor', input.cursor ?? '');
  return { ok: true, head, commits, next: null };
}

export type CommitResult = { ok: true; commit: CommitDetails } | NotFound | Invalid;

export async function getCommit(deps: ServiceDeps, repo: string, id: string): Promise<CommitResult> {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const found = await resolveCommitId(opened.ctx, id);
  if (!found.ok) return found;
  return { ok: true, commit: await readCommit(opened.ctx, found.commit) };
}
