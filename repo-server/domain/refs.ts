/**
 * Reading refs (loose files only, never cached) and resolving a user's "ref" string to a commit.
 * Every write goes through applyRefUpdates in ../refs; nothing here writes.
 */
import git from 'isomorphic-git';
import { readRef } from '../refs/ref-update.js';
import { isValidRefName, isValidShortRefName } from '../refs/ref-name.js';
import { objectKind, peelToCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { invalid, notFound, type Invalid, type NotFound, type Oid } from './types.js';

const FULL_OID = /^[0-9a-f]{40}$/;
const SHORT_OID = /^[0-9a-f]{4,39}$/;

export function branchRef(name: string): string {
  return `refs/heads/${name}`;
}

export function tagRef(name: string): string {
  return `refs/tags/${name}`;
}

export function readBranch(ctx: RepoContext, name: string): Promise<Oid | null> {
  return readRef(ctx.store, branchRef(name));
}

async function namesBelow(ctx: RepoContext, dir: string, prefix: string): Promise<string[]> {
  let children: string[];
  try {
    children = await ctx.store.fs.promises.readdir(dir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') return [prefix.slice(0, -1)];
    throw err;
  }
  const nested = await Promise.all(children.map((child) => namesBelow(ctx, `${dir}/${child}`, `${prefix}${child}/`)));
  return nested.flat();
}

/** Short names and values of the loose refs under `refs/<kind>/`, sorted by name. */
export async function listRefs(ctx: RepoContext, kind: 'heads' | 'tags'): Promise<{ name: string; oid: Oid }[]> {
  const names = (await namesBelow(ctx, `/refs/${kind}`, '')).filter((name) => isValidRefName(`refs/${kind}/${name}`));
  const values = await ctx.store.readMany(names.map((name) => `/refs/${kind}/${name}`));
  const refs: { name: string; oid: Oid }[] = [];
  names.forEach((name, i) => {
    const oid = values[i]?.toString('utf8').trim();
    if (oid !== undefined && FULL_OID.test(oid)) refs.push({ name, oid });
  });
  return refs.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

export async function hasAnyBranch(ctx: RepoContext): Promise<boolean> {
  return (await listRefs(ctx, 'heads')).length > 0;
}

export type ResolvedKind = 'branch' | 'tag' | 'commit';
export type ResolveResult = { ok: true; commit: Oid; kind: ResolvedKind; ref: string } | NotFound | Invalid;

async function expandShortId(ctx: RepoContext, prefix: string): Promise<Oid | 'ambiguous' | null> {
  try {
    return await git.expandOid({ ...ctx.git(), oid: prefix });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'AmbiguousError') return 'ambiguous';
    if (code === 'NotFoundError') return null;
    throw err;
  }
}

/** The paths resolveRef reads for a short name, so a caller can read them ahead (see openAt). */
export function shortNamePaths(ref: string): string[] | null {
  return isValidShortRefName(ref) && !ref.startsWith('refs/') ? branchAndTagPaths(ref) : null;
}

/** Where a short name lives as a branch and as a tag, in the order resolveRef prefers them. */
function branchAndTagPaths(ref: string): string[] {
  return [`/${branchRef(ref)}`, `/${tagRef(ref)}`];
}

/**
 * Whether resolveRef's answer for a short name (`resolved`) follows from the files of
 * shortNamePaths(ref) alone, so the same bytes there give the same answer. Not for an abbreviated
 * id (a new object can make it ambiguous), nor for a 40-hex name found as a branch or tag (by the
 * order below, it means the commit of that id once such an object exists).
 */
export function followsFromShortNamePaths(ref: string, resolved: ResolvedKind): boolean {
  return FULL_OID.test(ref) ? resolved === 'commit' : resolved !== 'commit';
}

/**
 * "main", "v1.0", "refs/heads/main", a full or abbreviated (>= 4 hex) commit id.
 * Order: a full id, then a full ref name, then branch, then tag (annotated tags peeled), then an
 * abbreviated id; a name that is both a branch and a tag means the branch, as GitHub does.
 * `preRead`: the contents of shortNamePaths(ref), read by the caller in this same request.
 */
export async function resolveRef(ctx: RepoContext, ref: string, preRead?: readonly (Buffer | null)[]): Promise<ResolveResult> {
  if (FULL_OID.test(ref)) {
    const commit = await peelToCommit(ctx, ref);
    if (commit !== null) return { ok: true, commit, kind: 'commit', ref };
  }
  if (ref.startsWith('refs/')) {
    if (!isValidRefName(ref)) return invalid('ref', `"${ref}" is not a valid ref name`);
    const oid = await readRef(ctx.store, ref);
    const commit = oid === null ? null : await peelToCommit(ctx, oid);
    if (commit === null) return notFound('ref', ref);
    return { ok: true, commit, kind: ref.startsWith('refs/tags/') ? 'tag' : ref.startsWith('refs/heads/') ? 'branch' : 'commit', ref };
  }
  if (isValidShortRefName(ref)) {
    const [branch, tag] = preRead ?? (await ctx.store.readMany(branchAndTagPaths(ref)));
    for (const [bytes, kind] of [[branch, 'branch'], [tag, 'tag']] as const) {
      const oid = bytes?.toString('utf8').trim();
      if (oid === undefined || !FULL_OID.test(oid)) continue;
      const commit = await peelToCommit(ctx, oid);
      if (commit !== null) return { ok: true, commit, kind, ref };
    }
  }
  if (SHORT_OID.test(ref)) {
    const oid = await expandShortId(ctx, ref);
    if (oid === 'ambiguous') return invalid('ref', `abbreviated id "${ref}" is ambiguous`);
    const commit = oid === null ? null : await peelToCommit(ctx, oid);
    if (commit !== null) return { ok: true, commit, kind: 'commit', ref };
  }
  return notFound('ref', ref);
}

/** A commit id only (full or abbreviated), for resources addressed by id. */
export async function resolveCommitId(ctx: RepoContext, id: string): Promise<{ ok: true; commit: Oid } | NotFound | Invalid> {
  if (!SHORT_OID.test(id) && !FULL_OID.test(id)) return invalid('commit-id', `"${id}" is not a commit id`);
  const oid = FULL_OID.test(id) ? id : await expandShortId(ctx, id);
  if (oid === 'ambiguous') return invalid('commit-id', `abbreviated id "${id}" is ambiguous`);
  if (oid === null) return notFound('commit', id);
  return (await objectKind(ctx, oid)) === 'commit' ? { ok: true, commit: oid } : notFound('commit', id);
}
