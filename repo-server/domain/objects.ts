/**
 * The domain's view of a repository's objects: reads go through the git core's object store (one
 * reader, one cache, shared with git clients); writes through isomorphic-git, which drives the fs
 * contract and writes loose objects, each written tree or commit handed to the store so the next
 * read of it costs nothing.
 */
import git from 'isomorphic-git';
import { peel, type ObjectType, type TreeEntry } from '../git/index.js';
import type { RepoContext } from './repo-context.js';
import type { CommitDetails, Oid, Person } from './types.js';

export type ObjectKind = ObjectType;

/** Thrown when an object a caller expects is absent or of another type. */
export class MissingObjectError extends Error {
  override readonly name = 'MissingObjectError';
  readonly code = 'NotFoundError';

  constructor(what: string, oid: Oid) {
    super(`no ${what} ${oid}`);
  }
}

/** "No such object" (or not of the expected type). */
export function isMissingObject(err: unknown): boolean {
  return err instanceof MissingObjectError;
}

export async function readCommit(ctx: RepoContext, oid: Oid): Promise<CommitDetails> {
  const details = await ctx.objects.commitDetails(oid);
  if (details === null) throw new MissingObjectError('commit', oid);
  return details;
}

/** Null when the object is absent or is not a commit. */
export function tryReadCommit(ctx: RepoContext, oid: Oid): Promise<CommitDetails | null> {
  return ctx.objects.commitDetails(oid);
}

export async function readTree(ctx: RepoContext, oid: Oid): Promise<readonly TreeEntry[]> {
  const tree = await ctx.objects.tree(oid);
  if (tree === null) throw new MissingObjectError('tree', oid);
  return tree;
}

/** The blob's bytes; they may be shared with other readers through the cache: never write into them. */
export async function readBlob(ctx: RepoContext, oid: Oid): Promise<Buffer> {
  const obj = await ctx.objects.read(oid);
  if (obj === null || obj.type !== 'blob') throw new MissingObjectError('blob', oid);
  return obj.data;
}

/** A blob's bytes when the cache has them, without waiting; undefined otherwise. */
export function cachedBlob(ctx: RepoContext, oid: Oid): Buffer | undefined {
  const obj = ctx.objects.cached(oid);
  return obj?.type === 'blob' ? obj.data : undefined;
}

export function objectKind(ctx: RepoContext, oid: Oid): Promise<ObjectKind | null> {
  return ctx.objects.typeOf(oid);
}

export interface AnnotatedTag {
  oid: Oid;
  object: Oid;
  type: ObjectKind;
  tag: string;
  tagger: Person;
  message: string;
}

export async function tryReadTag(ctx: RepoContext, oid: Oid): Promise<AnnotatedTag | null> {
  const tag = await ctx.objects.tagDetails(oid);
  if (tag === null || tag.tagger === null) return null;
  return { oid, object: tag.object, type: tag.type, tag: tag.tag, tagger: tag.tagger, message: tag.message };
}

/** Follows annotated tags down to a commit; null if the chain ends elsewhere or is broken. */
export async function peelToCommit(ctx: RepoContext, oid: Oid): Promise<Oid | null> {
  const kind = await objectKind(ctx, oid);
  if (kind === 'commit') return oid;
  if (kind !== 'tag') return null;
  const target = await peel(ctx.objects, oid);
  return target !== null && (await objectKind(ctx, target)) === 'commit' ? target : null;
}

/**
 * Size of a blob. Folder listings show the size of every file, and inflating each whole blob for
 * that would cost as much as downloading them; the object store reads it from a header.
 */
export async function blobSize(ctx: RepoContext, oid: Oid): Promise<number> {
  const size = await ctx.objects.sizeOf(oid);
  if (size === null) throw new MissingObjectError('blob', oid);
  return size;
}

export function writeBlob(ctx: RepoContext, bytes: Uint8Array): Promise<Oid> {
  return git.writeBlob({ fs: ctx.fs, gitdir: '/', blob: bytes });
}

export async function writeTree(ctx: RepoContext, entries: readonly TreeEntry[]): Promise<Oid> {
  const oid = await git.writeTree({ fs: ctx.fs, gitdir: '/', tree: [...entries] });
  ctx.objects.remember('tree', oid, sortedByName(entries));
  return oid;
}

export interface NewCommit {
  tree: Oid;
  parents: Oid[];
  author: Person;
  committer: Person;
  message: string;
}

export async function writeCommit(ctx: RepoContext, commit: NewCommit): Promise<CommitDetails> {
  const id = await git.writeCommit({
    fs: ctx.fs,
    gitdir: '/',
    commit: { tree: commit.tree, parent: commit.parents, author: commit.author, committer: commit.committer, message: commit.message },
  });
  const details: CommitDetails = { id, ...commit, parents: [...commit.parents] };
  ctx.objects.remember('details', id, details);
  return details;
}

/** Entries as the store reads them back (by name, in code point order), so kept copies look alike. */
function sortedByName(entries: readonly TreeEntry[]): TreeEntry[] {
  return [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** The entry at `segments` below a tree, or null. The root is reported as a tree entry. */
export async function entryAt(ctx: RepoContext, treeOid: Oid, segments: readonly string[]): Promise<TreeEntry | null> {
  let entry: TreeEntry = { mode: '040000', path: '', oid: treeOid, type: 'tree' };
  for (const segment of segments) {
    if (entry.type !== 'tree') return null;
    const next = (await readTree(ctx, entry.oid)).find((e) => e.path === segment);
    if (next === undefined) return null;
    entry = next;
  }
  return entry;
}
