/**
 * Branches: list, read, create from a ref, move (CAS against the expected old id, fast-forward
 * unless forced), delete. Every change is one applyRefUpdates call.
 */
import { isAncestor } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import { branchRef, listRefs, readBranch, resolveRef } from './refs.js';
import { openRepo, openRepoReading, openWithRefName } from './repositories.js';
import { validateShortRefName } from './names.js';
import { PACKED_REFS_PATH, refValue } from '../git/index.js';
import { swapRef } from './ref-writes.js';
import { invalid, notFound, stale, type Branch, type Invalid, type NotFound, type Oid, type RefNameConflict, type Stale, type WriteOptions } from './types.js';

export type ListBranchesResult = { ok: true; branches: Branch[] } | NotFound | Invalid;
export type BranchResult = { ok: true; branch: Branch } | NotFound | Invalid;
export type CreateBranchResult = { ok: true; branch: Branch } | { ok: false; reason: 'exists'; current: Oid } | RefNameConflict | NotFound | Invalid;
export type NotFastForward = { ok: false; reason: 'not-fast-forward'; current: Oid };
export type MoveBranchResult = { ok: true; branch: Branch; moved: boolean } | Stale | NotFastForward | RefNameConflict | NotFound | Invalid;
export type DeleteBranchResult = { ok: true } | Stale | { ok: false; reason: 'default-branch' } | RefNameConflict | NotFound | Invalid;

export interface CreateBranchInput extends WriteOptions {
  /** A branch, tag or commit id. */
  from: string;
}

export interface MoveBranchInput extends WriteOptions {
  /** The new head: a commit id (or any ref resolvable to a commit). */
  commit: string;
  /** The id the caller believes is the head (If-Match); a mismatch is `stale`. */
  expected?: Oid;
  /** Allow a move that is not a fast-forward. */
  force?: boolean;
}

export interface DeleteBranchInput extends WriteOptions {
  expected?: Oid;
}

export async function listBranches(deps: ServiceDeps, repo: string): Promise<ListBranchesResult> {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const refs = await listRefs(opened.ctx, 'heads');
  return { ok: true, branches: refs.map((r) => ({ name: r.name, commit: r.oid })) };
}

export async function getBranch(deps: ServiceDeps, repo: string, name: string): Promise<BranchResult> {
  const valid = validateShortRefName(name);
  if (!valid.ok) return invalid('branch-name', valid.detail);
  // The branch is read with the metadata: one storage round trip.
  const opened = await openRepoReading(deps, repo, [`/${branchRef(name)}`, PACKED_REFS_PATH]);
  if (!opened.ok) return opened;
  const commit = refValue(branchRef(name), opened.also[0] ?? null, opened.also[1] ?? null);
  return commit === null ? notFound('branch', name) : { ok: true, branch: { name, commit } };
}

export async function createBranch(deps: ServiceDeps, repo: string, name: string, input: CreateBranchInput): Promise<CreateBranchResult> {
  const opened = await openWithRefName(deps, repo, name, 'branch-name');
  if (!opened.ok) return opened;
  const { ctx } = opened;
  const from = await resolveRef(ctx, input.from);
  if (!from.ok) return from;
  const swapped = await swapRef(deps, ctx, branchRef(name), null, from.commit, input);
  if (swapped.ok) return { ok: true, branch: { name, commit: from.commit } };
  if (swapped.reason === 'ref-name-conflict') return swapped;
  const current = await readBranch(ctx, name);
  // Lost to a concurrent delete of a branch that existed a moment ago: report what is there now.
  return current === null ? createBranch(deps, repo, name, input) : { ok: false, reason: 'exists', current };
}

const MOVE_ATTEMPTS = 5;

export async function moveBranch(deps: ServiceDeps, repo: string, name: string, input: MoveBranchInput): Promise<MoveBranchResult> {
  const opened = await openWithRefName(deps, repo, name, 'branch-name');
  if (!opened.ok) return opened;
  const { ctx } = opened;
  const target = await resolveRef(ctx, input.commit);
  if (!target.ok) return target.reason === 'not-found' ? notFound('commit', input.commit) : target;
  for (let attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
    const current = await readBranch(ctx, name);
    if (current === null) return input.expected === undefined ? notFound('branch', name) : stale(null);
    if (input.expected !== undefined && input.expected !== current) return stale(current);
    if (current === target.commit) return { ok: true, branch: { name, commit: current }, moved: false };
    if (input.force !== true && !(await isAncestor(await ctx.ancestry([current, target.commit]), current, target.commit))) return { ok: false, reason: 'not-fast-forward', current };
    const swapped = await swapRef(deps, ctx, branchRef(name), current, target.commit, input);
    if (swapped.ok) return { ok: true, branch: { name, commit: target.commit }, moved: true };
    if (swapped.reason === 'ref-name-conflict') return swapped;
    // Moved meanwhile. With an expectation that is final; without one, judge the new head afresh.
    if (input.expected !== undefined) return stale(await readBranch(ctx, name));
  }
  return stale(await readBranch(ctx, name));
}

export async function deleteBranch(deps: ServiceDeps, repo: string, name: string, input: DeleteBranchInput = {}): Promise<DeleteBranchResult> {
  const opened = await openWithRefName(deps, repo, name, 'branch-name');
  if (!opened.ok) return opened;
  const { ctx, info } = opened;
  // HEAD names the default branch; deleting it would leave clones without a branch to check out.
  if (name === info.defaultBranch) return { ok: false, reason: 'default-branch' };
  for (let attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
    const current = await readBranch(ctx, name);
    if (current === null) return input.expected === undefined ? notFound('branch', name) : stale(null);
    if (input.expected !== undefined && input.expected !== current) return stale(current);
    const swapped = await swapRef(deps, ctx, branchRef(name), current, null, input);
    if (swapped.ok) return { ok: true };
    if (swapped.reason === 'ref-name-conflict') return swapped;
    if (input.expected !== undefined) return stale(await readBranch(ctx, name));
  }
  return stale(await readBranch(ctx, name));
}
