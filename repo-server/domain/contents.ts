/**
 * Reading the tree of a commit: a path is a file (bytes read only when asked) or a folder
 * (entries with sizes); and the last commit that touched a path, by a bounded history walk.
 */
import { Readable } from 'node:stream';
import { graphCovering, type TreeEntry } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import { HistoryWalk } from './history.js';
import { mapLimit } from '../../fs-service/index.js';
import { validatePath } from './names.js';
import { blobSize, cachedBlob, entryAt, readBlob, readCommit, readTree } from './objects.js';
import { openAt } from './open-at.js';
import type { RepoContext } from './repo-context.js';
import { WarmReads } from './warm-reads.js';
import { invalid, notFound, type CommitDetails, type EntryMode, type EntryType, type Invalid, type NotFound, type Oid } from './types.js';

export interface FileContent {
  type: 'file' | 'symlink' | 'submodule';
  path: string;
  oid: Oid;
  mode: EntryMode;
  /** Bytes (for a submodule: 0, there is nothing stored). */
  size: number;
  /** The file's bytes; for a symlink its target. Read on demand; at once when cached. */
  bytes(): Buffer | Promise<Buffer>;
  /** Bytes start..end (inclusive) as a stream, never held whole: how a large file is served. */
  open(start: number, end: number): Readable;
}

export interface FolderEntry {
  name: string;
  path: string;
  type: EntryType;
  oid: Oid;
  mode: EntryMode;
  /** Present for files and symlinks. */
  size?: number;
}

export interface FolderContent {
  type: 'folder';
  path: string;
  oid: Oid;
  entries: FolderEntry[];
}

export interface ReadPathInput {
  /** Branch, tag or commit id; the default branch when absent. */
  ref?: string;
  /** "" (or absent) is the root folder. */
  path?: string;
}

/** `committedAt`: the commit's committer time (seconds), so callers need not read it again. */
export type ReadPathResult = { ok: true; commit: Oid; committedAt: number; content: FileContent | FolderContent } | NotFound | Invalid;

export function entryType(mode: string): EntryType {
  if (mode === '040000') return 'folder';
  if (mode === '120000') return 'symlink';
  if (mode === '160000') return 'submodule';
  return 'file';
}

function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** git's tree order: byte order of the names, a folder compared as if it ended in "/". */
export function gitOrder(a: TreeEntry, b: TreeEntry): number {
  const key = (e: TreeEntry): Buffer => Buffer.from(e.type === 'tree' ? `${e.path}/` : e.path);
  return Buffer.compare(key(a), key(b));
}

async function folder(ctx: RepoContext, path: string, oid: Oid): Promise<FolderContent> {
  const tree = [...(await readTree(ctx, oid))].sort(gitOrder);
  const entries = await mapLimit(
    tree,
    async (e): Promise<FolderEntry> => {
      const type = entryType(e.mode);
      const entry: FolderEntry = { name: e.path, path: joinPath(path, e.path), type, oid: e.oid, mode: e.mode as EntryMode };
      if (type === 'file' || type === 'symlink') entry.size = await blobSize(ctx, e.oid);
      return entry;
    },
  );
  return { type: 'folder', path, oid, entries };
}

async function file(ctx: RepoContext, path: string, entry: TreeEntry): Promise<FileContent> {
  const type = entryType(entry.mode) as FileContent['type'];
  return fileContent(ctx, path, entry, type === 'submodule' ? 0 : await blobSize(ctx, entry.oid));
}

/** A file's answer; its bytes are read when first asked, once per answer. */
function fileContent(ctx: RepoContext, path: string, entry: { oid: Oid; mode: string }, size: number): FileContent {
  const type = entryType(entry.mode) as FileContent['type'];
  if (type === 'submodule') return { type, path, oid: entry.oid, mode: '160000', size: 0, bytes: async () => Buffer.alloc(0), open: () => Readable.from([]) };
  let bytes: Promise<Buffer> | undefined;
  return {
    type,
    path,
    oid: entry.oid,
    mode: entry.mode as EntryMode,
    size,
    bytes: () => cachedBlob(ctx, entry.oid) ?? (bytes ??= readBlob(ctx, entry.oid)),
    open: (start, end) => ctx.objects.openStream(entry.oid, start, end),
  };
}

type ReadPathOk = Extract<ReadPathResult, { ok: true }>;

/** Per repository context (and gone with it): see warm-reads.ts. */
const warmPaths = new WeakMap<RepoContext, WarmReads<ReadPathOk>>();

function warmPathsOf(ctx: RepoContext): WarmReads<ReadPathOk> {
  let warm = warmPaths.get(ctx);
  if (warm === undefined) {
    warm = new WarmReads<ReadPathOk>((answer) => (answer.content.type === 'folder' ? 1 + answer.content.entries.length : 1));
    warmPaths.set(ctx, warm);
  }
  return warm;
}

/** A kept answer: a folder is shared as it is (frozen), a file gets its own lazy bytes. */
function fromKept(ctx: RepoContext, kept: ReadPathOk): ReadPathOk {
  const content = kept.content;
  return content.type === 'folder' ? kept : { ...kept, content: fileContent(ctx, content.path, content, content.size) };
}

/** Shared by later requests: a folder is frozen; a file is kept without the bytes this request may read. */
function toKeep(ctx: RepoContext, answer: ReadPathOk): ReadPathOk {
  const content = answer.content;
  if (content.type !== 'folder') return fromKept(ctx, answer);
  for (const entry of content.entries) Object.freeze(entry);
  Object.freeze(content.entries);
  return Object.freeze({ ...answer, content: Object.freeze(content) });
}

/**
 * The file or folder at `path` on `ref`. A kept answer (warm-reads.ts) comes back synchronously:
 * no promise on a warm read's path.
 */
export function readPath(deps: ServiceDeps, repo: string, input: ReadPathInput = {}): ReadPathResult | Promise<ReadPathResult> {
  const path = input.path ?? '';
  // Only a context that exists can hold answers (it exists only for a name found valid), and it
  // holds them only for a ref and a path that were found valid and read: no check is repeated.
  const known = deps.contexts.peek(repo);
  const key = `${input.ref ?? ''}\0${path}`;
  const kept = known === undefined ? undefined : warmPaths.get(known)?.get(known.store, key);
  if (kept !== undefined) return fromKept(known!, kept);
  return readPathCold(deps, repo, input.ref, path, key);
}

async function readPathCold(deps: ServiceDeps, repo: string, ref: string | undefined, path: string, key: string): Promise<ReadPathResult> {
  const valid = validatePath(path, true);
  if (!valid.ok) return invalid('path', valid.detail);
  const opened = await openAt(deps, repo, ref);
  if (!opened.ok) return opened;
  const { ctx, commit } = opened;
  const entry = await entryAt(ctx, commit.tree, valid.value);
  if (entry === null) return notFound('path', path);
  const content = entry.type === 'tree' ? await folder(ctx, path, entry.oid) : await file(ctx, path, entry);
  const answer: ReadPathOk = { ok: true, commit: commit.id, committedAt: commit.committer.timestamp, content };
  // Only a store that can vouch for the basis later (readManyNow) gets answers kept.
  if (opened.basis !== undefined && ctx.store.readManyNow !== undefined) warmPathsOf(ctx).remember(key, opened.basis, toKeep(ctx, answer));
  return answer;
}

export interface LastCommitInput {
  ref?: string;
  path: string;
  /** How many commits the walk may read before giving up (default 2,000). */
  maxCommits?: number;
}

/** `commit` null with `complete: false`: the walk hit its bound before finding one. */
export type LastCommitResult = { ok: true; commit: CommitDetails | null; complete: boolean } | NotFound | Invalid;

export async function lastCommitFor(deps: ServiceDeps, repo: string, input: LastCommitInput): Promise<LastCommitResult> {
  const valid = validatePath(input.path, true);
  if (!valid.ok) return invalid('path', valid.detail);
  const opened = await openAt(deps, repo, input.ref);
  if (!opened.ok) return opened;
  const max = input.maxCommits ?? 2_000;
  const graph = await graphCovering(opened.ctx.objects, [opened.commit.id]);
  const walk = new HistoryWalk(opened.ctx, graph, opened.commit.id, valid.value.length === 0 ? null : valid.value, max);
  const found = await walk.next();
  if (found !== null) return { ok: true, commit: await readCommit(opened.ctx, found), complete: true };
  return { ok: true, commit: null, complete: !walk.truncated };
}
