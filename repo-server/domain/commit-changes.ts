/**
 * One atomic commit of several file writes/deletions on a branch.
 *
 * The branch moves by compare-and-swap. When it moved between our read and our swap:
 * - with `parent` given, the caller asked for exactly that parent: `stale`;
 * - preconditions are checked again on the new head (`precondition-failed`, the If-Match case);
 * - if the commits that landed meanwhile changed none of our paths, the same changes are
 *   re-applied onto the new head and the swap retried (bounded); otherwise `conflict`.
 * Writers in this process queue per branch (KeyedLock), so they do not spend retries on each
 * other; the retries are for other front ends sharing the storage.
 */
import type { ServiceDeps } from './deps.js';
import { validatePath, validateShortRefName } from './names.js';
import { entryAt, readCommit, writeBlob, writeCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { branchRef, hasAnyBranch, readBranch } from './refs.js';
import { swapRef } from './ref-writes.js';
import { openRepo } from './repositories.js';
import { normalizeMessage, person, validatePerson } from './signatures.js';
import { editTree, type Edit, type Outcome } from './tree-edit.js';
import {
  invalid,
  notFound,
  stale,
  type CommitDetails,
  type Invalid,
  type NotFound,
  type Oid,
  type PersonInput,
  type Stale,
  type WriteOptions,
} from './types.js';

export type Change = { path: string; content: Uint8Array } | { path: string; delete: true };

export interface Precondition {
  path: string;
  /** The blob the path must hold now; null: the path must not exist. */
  expectedBlob: Oid | null;
}

export interface CommitChangesInput extends WriteOptions {
  branch: string;
  message: string;
  author?: PersonInput;
  committer?: PersonInput;
  /** The head the changes were made against; if the branch is elsewhere now: `stale`, no retry. */
  parent?: Oid;
  changes: Change[];
  preconditions?: Precondition[];
}

export interface ChangedFile {
  path: string;
  action: Outcome;
  /** The new blob id (null for a deletion). */
  blob: Oid | null;
}

export type CommitConflict = { ok: false; reason: 'conflict'; paths: string[]; current: Oid | null };
export type PreconditionFailed = { ok: false; reason: 'precondition-failed'; path: string; expected: Oid | null; actual: Oid | null; current: Oid | null };
export type InvalidChange = { ok: false; reason: 'invalid-change'; path: string; detail: string };

export type CommitChangesResult =
  | { ok: true; commit: CommitDetails; branch: string; files: ChangedFile[]; retries: number }
  | Stale
  | CommitConflict
  | PreconditionFailed
  | InvalidChange
  | NotFound
  | Invalid;

export const MAX_CHANGES = 10_000;
const MAX_ATTEMPTS = 25;
const OID = /^[0-9a-f]{40}$/;

interface Prepared {
  ref: string;
  message: string;
  edits: Map<string, Edit>;
  watched: string[];
}

function validate(input: CommitChangesInput): Invalid | Omit<Prepared, 'edits'> {
  const branch = validateShortRefName(input.branch);
  if (!branch.ok) return invalid('branch-name', branch.detail);
  const message = normalizeMessage(input.message);
  if (typeof message !== 'string') return message;
  const personProblem = validatePerson(input.author, 'author') ?? validatePerson(input.committer, 'committer');
  if (personProblem !== null) return personProblem;
  if (input.parent !== undefined && !OID.test(input.parent)) return invalid('commit-id', 'parent must be a full commit id');
  if (!Array.isArray(input.changes) || input.changes.length === 0) return invalid('changes', 'at least one change is required');
  if (input.changes.length > MAX_CHANGES) return invalid('changes', `at most ${MAX_CHANGES} changes per commit`);
  const paths = new Set<string>();
  for (const change of input.changes) {
    const valid = validatePath(change.path);
    if (!valid.ok) return invalid('path', `${change.path}: ${valid.detail}`);
    if (!('delete' in change && change.delete === true) && !('content' in change && change.content instanceof Uint8Array)) {
      return invalid('changes', `${change.path}: a change has either content or delete: true`);
    }
    if (paths.has(change.path)) return invalid('changes', `${change.path} is changed twice`);
    paths.add(change.path);
  }
  // "a" and "a/b" in one commit would make "a" both a file and a folder.
  for (const path of paths) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (paths.has(prefix)) return invalid('changes', `${prefix} is changed as a file and used as a folder of ${path}`);
    }
  }
  for (const pre of input.preconditions ?? []) {
    const valid = validatePath(pre.path);
    if (!valid.ok) return invalid('path', `${pre.path}: ${valid.detail}`);
    if (pre.expectedBlob !== null && !OID.test(pre.expectedBlob)) return invalid('commit-id', `${pre.path}: expectedBlob must be a blob id or null`);
  }
  const watched = [...new Set([...paths, ...(input.preconditions ?? []).map((p) => p.path)])];
  return { ref: branchRef(input.branch), message, watched };
}

/** Writes the blobs in parallel; the map keeps the caller's order (the result lists files so). */
async function writeBlobs(ctx: RepoContext, changes: Change[]): Promise<Map<string, Edit>> {
  const edits = await Promise.all(
    changes.map(async (change): Promise<[string, Edit]> => [
      change.path,
      'content' in change ? { kind: 'write', blob: await writeBlob(ctx, change.content) } : { kind: 'delete' },
    ]),
  );
  return new Map(edits);
}

async function oidAt(ctx: RepoContext, tree: Oid | null, path: string): Promise<Oid | null> {
  if (tree === null) return null;
  return (await entryAt(ctx, tree, path.split('/')))?.oid ?? null;
}

async function failedPrecondition(ctx: RepoContext, tree: Oid | null, head: Oid | null, preconditions: Precondition[]): Promise<PreconditionFailed | null> {
  for (const pre of preconditions) {
    const actual = await oidAt(ctx, tree, pre.path);
    if (actual !== pre.expectedBlob) return { ok: false, reason: 'precondition-failed', path: pre.path, expected: pre.expectedBlob, actual, current: head };
  }
  return null;
}

async function touched(ctx: RepoContext, before: Oid | null, after: Oid | null, paths: string[]): Promise<string[]> {
  const changed = await Promise.all(paths.map(async (p) => ((await oidAt(ctx, before, p)) === (await oidAt(ctx, after, p)) ? null : p)));
  return changed.filter((p): p is string => p !== null);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function commitChanges(deps: ServiceDeps, repo: string, input: CommitChangesInput): Promise<CommitChangesResult> {
  const checked = validate(input);
  if ('ok' in checked) return checked;
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const { ctx } = opened;
  const prepared: Prepared = { ...checked, edits: await writeBlobs(ctx, input.changes) };
  return deps.locks.run(`${repo}\0${prepared.ref}`, () => attempt(deps, ctx, input, prepared));
}

async function attempt(deps: ServiceDeps, ctx: RepoContext, input: CommitChangesInput, prepared: Prepared): Promise<CommitChangesResult> {
  let firstTree: Oid | null | undefined;
  for (let retries = 0; retries < MAX_ATTEMPTS; retries++) {
    const head = await readBranch(ctx, input.branch);
    if (input.parent !== undefined && input.parent !== head) return stale(head);
    if (head === null && (await hasAnyBranch(ctx))) return notFound('branch', input.branch);
    const tree = head === null ? null : (await readCommit(ctx, head)).tree;
    const failed = await failedPrecondition(ctx, tree, head, input.preconditions ?? []);
    if (failed !== null) return failed;
    if (firstTree === undefined) firstTree = tree;
    else {
      const overlap = await touched(ctx, firstTree, tree, prepared.watched);
      if (overlap.length > 0) return { ok: false, reason: 'conflict', paths: overlap, current: head };
    }
    const edited = await editTree(ctx, tree, prepared.edits);
    if (!edited.ok) return edited.reason === 'not-found' ? notFound('path', edited.path) : edited;
    const author = person(deps, input.author);
    const commit = await writeCommit(ctx, {
      tree: edited.tree,
      parents: head === null ? [] : [head],
      author,
      committer: input.committer === undefined ? author : person(deps, input.committer),
      message: prepared.message,
    });
    if (await swapRef(deps, ctx, prepared.ref, head, commit.id, input)) {
      const files = [...prepared.edits].map(([path, edit]): ChangedFile => ({
        path,
        action: edited.outcomes.get(path)!,
        blob: edit.kind === 'write' ? edit.blob : null,
      }));
      return { ok: true, commit, branch: input.branch, files, retries };
    }
    // Another front end moved the branch. Back off a little (randomised) before re-reading.
    await sleep(Math.random() * Math.min(50, 2 ** retries));
  }
  return stale(await readBranch(ctx, input.branch));
}
