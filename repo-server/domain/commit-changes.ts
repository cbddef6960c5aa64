/**
 * One atomic commit of several file writes/deletions on a branch.
 *
 * The branch moves by compare-and-swap. When it moved between our read and our swap:
 * - with `parent` given, the caller asked for exactly that parent: `stale`;
 * - preconditions are checked again on the new head (`precondition-failed`, the If-Match case);
 * - if the commits that landed meanwhile changed none of our paths, the same changes are
 *   re-applied onto the new head and the swap retried (bounded); otherwise `conflict`.
 *
 * Group commit: requests for one branch that arrive while a commit is in flight are applied
 * together as the next batch, in arrival order, each as its own commit on top of the previous
 * one (exactly what serial execution would give), written in one parallel round, published by
 * one swap of the branch from the old head to the last commit (one ref event naming every
 * actor). On durable storage this turns N writers' 6N sequential writes into a few rounds.
 * A failure decided on a state that includes unpublished batch members only stands if the
 * batch is published; otherwise the request is planned again.
 */
import type { ServiceDeps } from './deps.js';
import { KeyedBatcher } from './keyed-batch.js';
import { validatePath, validateShortRefName } from './names.js';
import { readCommit } from './objects.js';
import { blobId, PendingObjects } from './pending-objects.js';
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
  type RefNameConflict,
  type TooLarge,
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
/** The branch kept moving under us for every attempt; the request changed nothing. */
export type Busy = { ok: false; reason: 'busy'; attempts: number };
function busy(attempts: number): Busy {
  return { ok: false, reason: 'busy', attempts };
}
export type InvalidChange = { ok: false; reason: 'invalid-change'; path: string; detail: string };

export type CommitChangesResult =
  | { ok: true; commit: CommitDetails; branch: string; files: ChangedFile[]; retries: number }
  | Stale
  | CommitConflict
  | PreconditionFailed
  | Busy
  | InvalidChange
  | RefNameConflict
  | TooLarge
  | NotFound
  | Invalid;

export const MAX_CHANGES = 10_000;
/**
 * How long a write keeps trying against writers on other front ends before it answers busy, and
 * at most how often. A bound in time, not only in count: under load an attempt can take hundreds
 * of ms, and 25 of them once ran out while a branch was written without pause.
 */
const MAX_ATTEMPTS = 200;
const MAX_BUSY_MS = 8_000;
const OID = /^[0-9a-f]{40}$/;

interface Prepared {
  ref: string;
  message: string;
  watched: string[];
}

/** A write with its content, hashed once; the blob is written with the commit that uses it. */
type PlannedEdit = Edit & { content?: Buffer };

interface Job {
  ctx: RepoContext;
  input: CommitChangesInput;
  prepared: Prepared;
  edits: Map<string, PlannedEdit>;
  /** The tree the job was first planned on; later plans compare our paths against it. */
  firstTree?: Oid | null;
  plans: number;
}

function validate(input: CommitChangesInput): Invalid | Prepared {
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

function plannedEdits(changes: Change[]): Map<string, PlannedEdit> {
  return new Map(
    changes.map((change): [string, PlannedEdit] => {
      if (!('content' in change)) return [change.path, { kind: 'delete' }];
      const content = Buffer.from(change.content.buffer, change.content.byteOffset, change.content.byteLength);
      return [change.path, { kind: 'write', blob: blobId(content), content }];
    }),
  );
}

/** The id at a path of a tree that may still be pending; null when absent. */
async function oidAt(objects: PendingObjects, tree: Oid | null, path: string): Promise<Oid | null> {
  let folder = tree;
  const segments = path.split('/');
  for (const [i, segment] of segments.entries()) {
    if (folder === null) return null;
    const entry = (await objects.readTree(folder)).find((e) => e.path === segment);
    if (entry === undefined) return null;
    if (i === segments.length - 1) return entry.oid;
    folder = entry.type === 'tree' ? entry.oid : null;
  }
  return folder;
}

async function failedPrecondition(objects: PendingObjects, tree: Oid | null, head: Oid | null, preconditions: Precondition[]): Promise<PreconditionFailed | null> {
  for (const pre of preconditions) {
    const actual = await oidAt(objects, tree, pre.path);
    if (actual !== pre.expectedBlob) return { ok: false, reason: 'precondition-failed', path: pre.path, expected: pre.expectedBlob, actual, current: head };
  }
  return null;
}

async function touched(objects: PendingObjects, before: Oid | null, after: Oid | null, paths: string[]): Promise<string[]> {
  const changed = await Promise.all(paths.map(async (p) => ((await oidAt(objects, before, p)) === (await oidAt(objects, after, p)) ? null : p)));
  return changed.filter((p): p is string => p !== null);
}

interface Tip {
  head: Oid | null;
  tree: Oid | null;
}

type Planned = Extract<CommitChangesResult, { ok: true }>;

/** One job on top of `tip`: its commit (pending), or the reason it cannot be made there. */
async function plan(deps: ServiceDeps, objects: PendingObjects, job: Job, tip: Tip): Promise<Planned | Exclude<CommitChangesResult, { ok: true }>> {
  const { input } = job;
  job.plans++;
  if (input.parent !== undefined && input.parent !== tip.head) return stale(tip.head);
  const failed = await failedPrecondition(objects, tip.tree, tip.head, input.preconditions ?? []);
  if (failed !== null) return failed;
  if (job.firstTree === undefined) job.firstTree = tip.tree;
  else {
    const overlap = await touched(objects, job.firstTree, tip.tree, job.prepared.watched);
    if (overlap.length > 0) return { ok: false, reason: 'conflict', paths: overlap, current: tip.head };
  }
  for (const edit of job.edits.values()) if (edit.kind === 'write') objects.putBlob(edit.content!);
  const edited = await editTree(objects, tip.tree, job.edits);
  if (!edited.ok) return edited.reason === 'not-found' ? notFound('path', edited.path) : edited;
  const author = person(deps, input.author, input.actor, input.actorEmail);
  const commit = objects.putCommit({
    tree: edited.tree,
    parents: tip.head === null ? [] : [tip.head],
    author,
    committer: input.committer === undefined ? author : person(deps, input.committer),
    message: job.prepared.message,
  });
  const files = [...job.edits].map(([path, edit]): ChangedFile => ({ path, action: edited.outcomes.get(path)!, blob: edit.kind === 'write' ? edit.blob : null }));
  return { ok: true, commit, branch: input.branch, files, retries: job.plans - 1 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Plans every open job on the current head, publishes the successes with one swap. */
async function processBatch(deps: ServiceDeps, jobs: Job[]): Promise<CommitChangesResult[]> {
  const results: (CommitChangesResult | undefined)[] = jobs.map(() => undefined);
  const { ctx, input, prepared } = jobs[0]!;
  const started = Date.now();
  let attempt = 0;
  for (; attempt < MAX_ATTEMPTS && Date.now() - started < MAX_BUSY_MS && results.includes(undefined); attempt++) {
    // Another front end moved the branch: back off a little (randomised) before re-reading.
    if (attempt > 0) await sleep(Math.random() * Math.min(50, 2 ** attempt));
    const head = await readBranch(ctx, input.branch);
    const missing = head === null && (await hasAnyBranch(ctx));
    const objects = new PendingObjects(ctx);
    let tip: Tip = { head, tree: head === null ? null : (await readCommit(ctx, head)).tree };
    const planned: { index: number; result: Planned }[] = [];
    const tentative: { index: number; result: CommitChangesResult }[] = [];
    for (const [index, job] of jobs.entries()) {
      if (results[index] !== undefined) continue;
      const result = missing ? notFound('branch', input.branch) : await plan(deps, objects, job, tip);
      if (result.ok) {
        planned.push({ index, result });
        tip = { head: result.commit.id, tree: result.commit.tree };
      } else if (planned.length === 0) results[index] = result;
      else tentative.push({ index, result });
    }
    if (planned.length === 0) continue;
    // Writing the objects is most of an attempt: not for a head that has moved meanwhile (one
    // read, often from the read lease), so an attempt that lost costs little and the next comes soon.
    if ((await readBranch(ctx, input.branch)) !== head) continue;
    await objects.flush(planned.map((p) => p.result.commit.id));
    const actors = [...new Set(planned.map((p) => jobs[p.index]!.input.actor ?? 'anonymous'))].join(', ');
    const swapped = await swapRef(deps, ctx, prepared.ref, head, tip.head, { actor: actors });
    if (swapped.ok) {
      for (const p of [...planned, ...tentative]) results[p.index] = p.result;
    } else if (swapped.reason === 'ref-name-conflict') {
      // No attempt can succeed while the other ref exists: every job of the batch gets the conflict.
      for (const p of [...planned, ...tentative]) results[p.index] = swapped;
    }
  }
  // Out of attempts against writers on other front ends: not the caller's fault and not stale
  // (nothing the caller saw was wrong); they may simply try again.
  return results.map((r) => r ?? busy(attempt));
}

const batchers = new WeakMap<ServiceDeps, KeyedBatcher<Job, CommitChangesResult>>();

function batcherFor(deps: ServiceDeps): KeyedBatcher<Job, CommitChangesResult> {
  let batcher = batchers.get(deps);
  if (batcher === undefined) {
    // Batches of one branch run under its lock, so merges into it do not race them in-process.
    batcher = new KeyedBatcher<Job, CommitChangesResult>((key, jobs) => deps.locks.run(key, 'exclusive', () => processBatch(deps, jobs)));
    batchers.set(deps, batcher);
  }
  return batcher;
}

export async function commitChanges(deps: ServiceDeps, repo: string, input: CommitChangesInput): Promise<CommitChangesResult> {
  const prepared = validate(input);
  if ('ok' in prepared) return prepared;
  for (const change of input.changes) {
    if (!('content' in change) || change.content.byteLength <= deps.maxObjectBytes) continue;
    const detail = `${change.path}: ${change.content.byteLength} bytes exceed the limit of ${deps.maxObjectBytes} bytes per file`;
    return { ok: false, reason: 'too-large', path: change.path, bytes: change.content.byteLength, limit: deps.maxObjectBytes, detail };
  }
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const job: Job = { ctx: opened.ctx, input, prepared, edits: plannedEdits(input.changes), plans: 0 };
  return batcherFor(deps).submit(`${repo}\0${prepared.ref}`, job);
}
