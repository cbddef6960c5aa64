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
import { validatePath, validateShortRefName } from './names.js';
import { readCommit } from './objects.js';
import { PendingObjects } from './pending-objects.js';
import type { RepoContext } from './repo-context.js';
import { branchRef, readBranch, resolveRef } from './refs.js';
import { swapRef } from './ref-writes.js';
import { openRepo } from './repositories.js';
import { normalizeMessage, person, validatePerson } from './signatures.js';
import { applyResolutions, describeConflicts, type ConflictDetail, type MergeTrees, type Resolution, type UnresolvedConflicts } from './merge-resolutions.js';
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
  /**
   * How the author settled each conflicting path (merge-resolutions.ts): with these, a merge that
   * conflicts is committed with them; every conflicting path needs one, and no other path may have one.
   */
  resolutions?: ReadonlyMap<string, Resolution>;
}

export type MergeOutcome = 'merged' | 'fast-forward' | 'up-to-date';
export type ConflictCause = 'content' | 'multiple-merge-bases' | 'unrelated-histories' | 'unresolved';

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
  | UnresolvedConflicts
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
  const inner = await baseTree(ctx, objects, await mergeBases(await ctx.ancestry([a, b]), a, b), depth + 1);
  if (!inner.ok) return inner.cause === 'unrelated-histories' ? { ok: true, tree: null } : inner;
  const merged = await mergeTrees(objects, inner.tree, (await readCommit(ctx, a)).tree, (await readCommit(ctx, b)).tree);
  if (merged.conflicts.length > 0) {
    return { ok: false, cause: 'multiple-merge-bases', detail: `the merge bases ${a} and ${b} conflict with each other (${merged.conflicts.map((c) => c.path).join(', ')})` };
  }
  return { ok: true, tree: merged.tree };
}

function validate(input: MergeInput): Invalid | string {
  for (const path of input.resolutions?.keys() ?? []) {
    const checked = validatePath(path);
    if (!checked.ok) return invalid('path', `resolution of ${JSON.stringify(path)}: ${checked.detail}`);
  }
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

/** The merge of two commits as far as it goes without a person: its bases, trees and the tree merge. */
async function threeWay(ctx: RepoContext, objects: PendingObjects, ours: Oid, theirs: Oid) {
  const bases = await mergeBases(await ctx.ancestry([ours, theirs]), ours, theirs);
  const base = await baseTree(ctx, objects, bases, 0);
  if (!base.ok) return { bases, base, trees: null, merged: null };
  const trees: MergeTrees = { base: base.tree, ours: (await readCommit(ctx, ours)).tree, theirs: (await readCommit(ctx, theirs)).tree };
  return { bases, base, trees, merged: await mergeTrees(objects, trees.base, trees.ours, trees.theirs) };
}

function strayResolutions(input: MergeInput): Invalid | null {
  const paths = [...(input.resolutions?.keys() ?? [])];
  return paths.length === 0 ? null : invalid('changes', `nothing conflicts in this merge, so no path takes a resolution: ${paths.slice(0, 20).join(', ')}`);
}

/** One try; 'moved' when the base branch changed under us (the caller decides whether to retry). */
async function attemptMerge(deps: ServiceDeps, ctx: RepoContext, input: MergeInput, message: string): Promise<MergeResult | 'moved'> {
  const previous = await readBranch(ctx, input.base);
  if (previous === null) return notFound('branch', input.base);
  if (input.expected !== undefined && input.expected !== previous) return stale(previous);
  const head = await resolveRef(ctx, input.head);
  if (!head.ok) return head;
  const move = async (commit: CommitDetails, outcome: MergeOutcome): Promise<MergeResult | 'moved'> => {
    const swapped = await swapRef(deps, ctx, branchRef(input.base), previous, commit.id, input, 'merge');
    return swapped.ok ? { ok: true, outcome, commit, previous } : swapped.reason === 'stale' ? 'moved' : swapped;
  };
  const history = await ctx.ancestry([previous, head.commit]);
  if (await isAncestor(history, head.commit, previous)) return strayResolutions(input) ?? { ok: true, outcome: 'up-to-date', commit: await readCommit(ctx, previous), previous };
  if (input.noFastForward !== true && (await isAncestor(history, previous, head.commit))) return strayResolutions(input) ?? move(await readCommit(ctx, head.commit), 'fast-forward');
  const objects = new PendingObjects(ctx);
  const { bases, base, trees, merged } = await threeWay(ctx, objects, previous, head.commit);
  if (!base.ok || trees === null || merged === null) {
    const cause = base.ok ? 'content' : base.cause;
    return { ok: false, reason: 'conflict', cause, conflicts: [], mergeBases: bases, detail: base.ok ? 'no merge' : base.detail };
  }
  let tree = merged.tree;
  if (merged.conflicts.length > 0 && input.resolutions !== undefined) {
    const resolved = await applyResolutions(objects, merged.tree, { ...trees, mergeBases: bases }, merged.conflicts, input.resolutions);
    if (!resolved.ok) return resolved;
    tree = resolved.tree;
  } else if (merged.conflicts.length > 0) {
    const detail = `${merged.conflicts.length} conflicting path(s): ${merged.conflicts.map((c) => `${c.path} (${c.kind})`).join(', ')}`;
    return { ok: false, reason: 'conflict', cause: 'content', conflicts: merged.conflicts, mergeBases: bases, detail };
  } else {
    const stray = strayResolutions(input);
    if (stray !== null) return stray;
  }
  const author = person(deps, input.author, input.actor, input.actorEmail);
  const commit = objects.putCommit({
    tree,
    parents: [previous, head.commit],
    author,
    committer: input.committer === undefined ? author : person(deps, input.committer),
    message,
  });
  await objects.flush([commit.id]);
  return move(commit, 'merged');
}

export type PreviewStatus = 'up-to-date' | 'fast-forward' | 'clean' | 'conflicts';

export interface MergePreview {
  /** The base branch's head (ours) and head's commit (theirs) the preview is of. */
  base: Oid;
  head: Oid;
  mergeBases: Oid[];
  status: PreviewStatus;
  /** Why it conflicts; 'content' is the only cause a person can resolve path by path. */
  cause?: ConflictCause;
  detail?: string;
  conflicts: ConflictDetail[];
}

export type MergePreviewResult = ({ ok: true } & MergePreview) | NotFound | Invalid;

/** The two commits a merge of head into the base branch would combine now. */
export async function mergeHeads(deps: ServiceDeps, repo: string, base: string, head: string): Promise<{ ok: true; base: Oid; head: Oid } | NotFound | Invalid> {
  const name = validateShortRefName(base);
  if (!name.ok) return invalid('branch-name', name.detail);
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const ours = await readBranch(opened.ctx, base);
  if (ours === null) return notFound('branch', base);
  const theirs = await resolveRef(opened.ctx, head);
  if (!theirs.ok) return theirs;
  return { ok: true, base: ours, head: theirs.commit };
}

/** What merging commit `theirs` into commit `ours` would do, with every conflict described for resolving; writes nothing. */
export async function previewMerge(deps: ServiceDeps, repo: string, ours: Oid, theirs: Oid): Promise<MergePreviewResult> {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const { ctx } = opened;
  const answer = (status: PreviewStatus, mergeBases: Oid[], more: Partial<MergePreview> = {}): MergePreviewResult => ({ ok: true, base: ours, head: theirs, mergeBases, status, conflicts: [], ...more });
  const history = await ctx.ancestry([ours, theirs]);
  if (await isAncestor(history, theirs, ours)) return answer('up-to-date', [theirs]);
  if (await isAncestor(history, ours, theirs)) return answer('fast-forward', [ours]);
  const objects = new PendingObjects(ctx);
  const { bases, base, trees, merged } = await threeWay(ctx, objects, ours, theirs);
  if (!base.ok) return answer('conflicts', bases, { cause: base.cause, detail: base.detail });
  if (trees === null || merged === null || merged.conflicts.length === 0) return answer('clean', bases);
  return answer('conflicts', bases, { cause: 'content', conflicts: await describeConflicts(objects, trees, merged.conflicts) });
}
