/**
 * Reading and writing git objects through isomorphic-git with the repository's caches.
 * Parsed commits and trees are memoised per repository (objects are immutable).
 */
import { inflateSync, constants as zlibConstants } from 'node:zlib';
import git, { type TreeEntry } from 'isomorphic-git';
import type { ObjectKind, RepoContext } from './repo-context.js';
import type { CommitDetails, Oid, Person } from './types.js';

export type { ObjectKind };

/** isomorphic-git's "no such object" and "object of another type" errors. */
export function isMissingObject(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'NotFoundError' || code === 'ObjectTypeError';
}

async function orNull<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (err) {
    if (isMissingObject(err)) return null;
    throw err;
  }
}

export async function readCommit(ctx: RepoContext, oid: Oid): Promise<CommitDetails> {
  const cached = ctx.commits.get(oid);
  if (cached !== undefined) return cached;
  const { commit } = await git.readCommit({ ...ctx.git(), oid });
  const details: CommitDetails = {
    id: oid,
    tree: commit.tree,
    parents: commit.parent,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
  };
  // Shared by every caller through the cache: nobody may change it.
  Object.freeze(details.parents);
  ctx.commits.set(oid, Object.freeze(details));
  return details;
}

/** Null when the object is absent or is not a commit. */
export function tryReadCommit(ctx: RepoContext, oid: Oid): Promise<CommitDetails | null> {
  return orNull(readCommit(ctx, oid));
}

export async function readTree(ctx: RepoContext, oid: Oid): Promise<readonly TreeEntry[]> {
  const cached = ctx.trees.get(oid);
  if (cached !== undefined) return cached;
  const { tree } = await git.readTree({ ...ctx.git(), oid });
  ctx.trees.set(oid, tree);
  return tree;
}

/** The blob's bytes; small ones come from a cache shared with other readers: never write into them. */
export async function readBlob(ctx: RepoContext, oid: Oid): Promise<Buffer> {
  const cached = ctx.cachedBlob(oid);
  if (cached !== undefined) return cached;
  const { blob } = await git.readBlob({ ...ctx.git(), oid });
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  ctx.sizes.set(oid, bytes.length);
  ctx.kinds.set(oid, 'blob');
  ctx.cacheBlob(oid, bytes);
  return bytes;
}

export async function objectKind(ctx: RepoContext, oid: Oid): Promise<ObjectKind | null> {
  const known = ctx.kinds.get(oid) ?? (ctx.commits.has(oid) ? 'commit' : ctx.trees.has(oid) ? 'tree' : undefined);
  if (known !== undefined) return known;
  const found = await orNull(git.readObject({ ...ctx.git(), oid, format: 'content' }));
  if (found === null) return null;
  ctx.kinds.set(oid, found.type as ObjectKind);
  return found.type as ObjectKind;
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
  const found = await orNull(git.readTag({ ...ctx.git(), oid }));
  if (found === null) return null;
  const { tag } = found;
  return { oid, object: tag.object, type: tag.type, tag: tag.tag, tagger: tag.tagger, message: tag.message };
}

/** Follows annotated tags down to a commit; null if the chain ends elsewhere or is broken. */
export async function peelToCommit(ctx: RepoContext, oid: Oid): Promise<Oid | null> {
  let current = oid;
  for (let hops = 0; hops < 16; hops++) {
    const kind = await objectKind(ctx, current);
    if (kind === 'commit') return current;
    if (kind !== 'tag') return null;
    const tag = await tryReadTag(ctx, current);
    if (tag === null) return null;
    current = tag.object;
  }
  return null;
}

function looseObjectPath(oid: Oid): string {
  return `/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;
}

/** Reads "blob <size>\0" from the start of a loose object without inflating all of it. */
function sizeFromLooseHeader(deflated: Buffer): number | null {
  for (const take of [512, 8192, deflated.length]) {
    let head: Buffer;
    try {
      head = inflateSync(deflated.subarray(0, take), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    const nul = head.indexOf(0);
    if (nul < 0) continue;
    const match = /^[a-z]+ (\d+)$/.exec(head.subarray(0, nul).toString('latin1'));
    return match === null ? null : Number(match[1]);
  }
  return null;
}

/**
 * Size of a blob. Folder listings show the size of every file, and inflating each whole blob for
 * that would cost as much as downloading them; a loose object's header gives it cheaply.
 */
export async function blobSize(ctx: RepoContext, oid: Oid): Promise<number> {
  const cached = ctx.sizes.get(oid);
  if (cached !== undefined) return cached;
  let size: number | null = null;
  try {
    const deflated = await ctx.store.fs.promises.readFile(looseObjectPath(oid));
    if (typeof deflated !== 'string') size = sizeFromLooseHeader(Buffer.from(deflated));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  if (size === null) size = (await readBlob(ctx, oid)).length;
  ctx.sizes.set(oid, size);
  return size;
}

export function writeBlob(ctx: RepoContext, bytes: Uint8Array): Promise<Oid> {
  return git.writeBlob({ fs: ctx.fs, gitdir: '/', blob: bytes });
}

export async function writeTree(ctx: RepoContext, entries: readonly TreeEntry[]): Promise<Oid> {
  const oid = await git.writeTree({ fs: ctx.fs, gitdir: '/', tree: [...entries] });
  ctx.trees.set(oid, sortedByName(entries));
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
  Object.freeze(details.parents);
  ctx.commits.set(id, Object.freeze(details));
  return details;
}

/** Entries as isomorphic-git returns them from readTree (by name), so cached copies look alike. */
function sortedByName(entries: readonly TreeEntry[]): TreeEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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
