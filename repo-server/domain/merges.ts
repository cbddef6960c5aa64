/**
 * Merging head into a base branch: up-to-date, fast-forward, or a merge commit made by our
 * three-way tree merge (tree-merge.ts explains why not isomorphic-git's). The base branch moves
 * by compare-and-swap; a conflicted merge moves nothing and writes nothing.
 *
 * Criss-cross histories (two best merge bases) are merged as git's "recursive" strategy does:
 * the two bases are merged first (recursively, from their own merge base) into a virtual base
 * tree held in memory. If that inner merge conflicts, or there are more than two bases, the
 * answer is a conflict with cause 'multiple-merge-bases' rather than a guess.
 */
import { isAncestor, mergeBases } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import { validateShortRefName } from './names.js';
import { readCommit } from './objects.js';
import { PendingObjects } from './pending-objects.js';
import type { RepoContext } from './repo-context.js';
import { branchRef, readBranch, resolveRef } from './refs.js';
import { swapRef } from './ref-writes.js';
import { openRepo } from './repositories.js';
import { normalizeMessage, person, validatePerson } from './signatures.js';
import { mergeTrees, type MergeConflict } from './tree-merge.js';
import { invalid, notFound, stale, type CommitDetails, type Invalid, type NotFound, type Oid, type PersonInput, type RefNameConflict, type Stale, type WriteOptions } from './types.js';

export interface MergeInput extends WriteOptions {
  /** The branch that receives the merge (and moves). */
  base: string;
  /** Branch, tag or commit id to merge into it. */
  head: string;
  /** Default: "Merge <head> into <base>". */
  message?: string;
  author?: PersonInput;
  committer?: PersonInput;
  /** Make a merge commit even when a fast-forward would do. */
  noFastForward?: boolean;
  /** The base branch head the caller saw; if it moved since: `stale`. */
  expected?: Oid;
}

export type MergeOutcome = 'merged' | 'fast-forward' | 'up-to-date';
export type ConflictCause = 'content' | 'multiple-merge-bases' | 'unrelated-histories';

export type MergeConflictResult = {
  ok: false;
  reason: 'conflict';
  cause: ConflictCause;
  /** Every conflicting path (empty for causes other than 'content'). */
  conflicts: MergeConflict[];
  mergeBases: Oid[];
  detail: string;
};

export type MergeResult =
  | {
      ok: true;
      outcome: MergeOutcome;
      /** The base branch's head afterwards (the merge commit, head's commit, or unchanged). */
      commit: CommitDetails;
      /** The base branch's head before. */
      previous: Oid;
    }
  | MergeConflictResult
  | Stale
  | RefNameConflict
  | NotFound
  | Invalid;

const MAX_ATTEMPTS = 10;
const MAX_VIRTUAL_DEPTH = 4;

type BaseTree = { ok: true; tree: Oid | null } | { ok: false; cause: ConflictCause; detail: string };

/** The tree to merge against: the merge base's, or a virtual one built from two bases. */
async function baseTree(ctx: RepoContext, objects: PendingObjects, bases: Oid[], depth: number): Promise<BaseTree> {
  if (bases.length === 0) return { ok: false, cause: 'unrelated-histories', detail: 'the two histories have no common commit' };
  if (bases.length === 1) return { ok: true, tree: (await readCommit(ctx, bases[0]!)).tree };
  if (bases.length > 2 || depth >= MAX_VIRTUAL_DEPTH) {
    return { ok: false, cause: 'multiple-merge-bases', detail: `${bases.length} merge bases at depth ${depth}; cannot build a virtual merge base` };
  }
  const [a, b] = bases as [Oid, Oid];
  const inner = await baseTree(ctx, objects, await mergeBases(ctx.objects, a, b), depth + 1);
  if (!inner.ok) return inner.cause === 'unrelated-histories' ? { ok: true, tree: null } : inner;
  const merged = await mergeTrees(objects, inner.tree, (await readCommit(ctx, a)).tree, (await readCommit(ctx, b)).tree);
  if (merged.conflicts.length > 0) {
    return { ok: false, cause: 'multiple-merge-bases', detail: `the merge bases ${a} and ${b} conflict with each other (${merged.conflicts.map((c) => c.path).join(', ')})` };
  }
  return { ok: true, tree: merged.tree };
}

function validate(input: MergeInput): Invalid | string {
  const base = validateShortRefName(input.base);
  if (!base.ok) return invalid('branch-name', base.detail);
  if (typeof input.head !== 'string' || input.head === '') return invalid('ref', 'head is required');
  if (input.expected !== undefined && !/^[0-9a-f]{40}$/.test(input.expected)) return invalid('commit-id', 'expected must be a full commit id');
  const bad = validatePerson(input.author, 'author') ?? validatePerson(input.committer, 'committer');
  if (bad !== null) return bad;
  return normalizeMessage(input.message ?? `Merge ${input.head} into ${input.base}`);
}

export async function merge(deps: ServiceDeps, repo: string, input: MergeInput): Promise<MergeResult> {
  const message = validate(input);
  if (typeof message !== 'string') return message;
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const { ctx } = opened;
  return deps.locks.run(`${repo}\0${branchRef(input.base)}`, 'exclusive', async () => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const result = await attemptMerge(deps, ctx, input, message);
      if (result !== 'moved') return result;
      if (input.expected !== undefined) return stale(await readBranch(ctx, input.base));
    }
    return stale(await readBranch(ctx, input.base));
  });
}

/** One try; 'moved' when the base branch changed under us (the caller decides whether to retry). */
async function attemptMerge(deps: ServiceDeps, ctx: RepoContext, input: MergeInput, message: string): Promise<MergeResult | 'moved'> {
  const previous = await readBranch(ctx, input.base);
  if (previous === null) return notFound('branch', input.base);
  if (input.expected !== undefined && input.expected !== previous) return stale(previous);
  const head = await resolveRef(ctx, input.head);
  if (!head.ok) return head;
  const move = async (commit: CommitDetails, outcome: MergeOutcome): Promise<MergeResult | 'moved'> => {
    const swapped = await swapRef(deps, ctx, branchRef(input.base), previous, commit.id, input);
    return swapped.ok ? { ok: true, outcome, commit, previous } : swapped.reason === 'stale' ? 'moved' : swapped;
  };
  if (await isAncestor(ctx.objects, head.commit, previous)) return { ok: true, outcome: 'up-to-date', commit: await readCommit(ctx, previous), previous };
  if (input.noFastForward !== true && (await isAncestor(ctx.objects, previous, head.commit))) return move(await readCommit(ctx, head.commit), 'fast-forward');
  const bases = await mergeBases(ctx.objects, previous, head.commit);
  const objects = new PendingObjects(ctx);
  const base = await baseTree(ctx, objects, bases, 0);
  if (!base.ok) return { ok: false, reason: 'conflict', cause: base.cause, conflicts: [], mergeBases: bases, detail: base.detail };
  const merged = await mergeTrees(objects, base.tree, (await readCommit(ctx, previous)).tree, (await readCommit(ctx, head.commit)).tree);
  if (merged.conflicts.length > 0) {
    const detail = `${merged.conflicts.length} conflicting path(s): ${merged.conflicts.map((c) => `${c.path} (${c.kind})`).join(', ')}`;
    return { ok: false, reason: 'conflict', cause: 'content', conflicts: merged.conflicts, mergeBases: bases, detail };
  }
  const author = person(deps, input.author, input.actor);
  const commit = objects.putCommit({
    tree: merged.tree,
    parents: [previous, head.commit],
    author,
    committer: input.committer === undefined ? author : person(deps, input.committer),
    message,
  });
  await objects.flush([commit.id]);
  return move(commit, 'merged');
}
