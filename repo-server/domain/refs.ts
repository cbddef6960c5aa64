/**
 * Resolving a user's "ref" string to a commit, over the git core's ref store (loose and packed
 * refs, never cached). Every write goes through applyRefUpdates; nothing here writes.
 */
import { isValidRefName, isValidShortRefName, listRefs as listRefsIn, PACKED_REFS_PATH, readRef, refValue } from '../git/index.js';
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

/** Short names and values of the refs under `refs/<kind>/`, sorted by name. */
export async function listRefs(ctx: RepoContext, kind: 'heads' | 'tags'): Promise<{ name: string; oid: Oid }[]> {
  const prefix = `refs/${kind}/`;
  const { refs } = await listRefsIn(ctx.store, prefix);
  return [...refs].map(([ref, oid]) => ({ name: ref.slice(prefix.length), oid }));
}

export async function hasAnyBranch(ctx: RepoContext): Promise<boolean> {
  return (await listRefs(ctx, 'heads')).length > 0;
}

export type ResolvedKind = 'branch' | 'tag' | 'commit';
export type ResolveResult = { ok: true; commit: Oid; kind: ResolvedKind; ref: string } | NotFound | Invalid;

function expandShortId(ctx: RepoContext, prefix: string): Promise<Oid | 'ambiguous' | null> {
  return ctx.objects.expandPrefix(prefix);
}

/** The paths resolveRef reads for a short name, so a caller can read them ahead (see openAt). */
export function shortNamePaths(ref: string): string[] | null {
  return isValidShortRefName(ref) && !ref.startsWith('refs/') ? branchAndTagPaths(ref) : null;
}

/** Where a short name lives as a branch and as a tag (and packed-refs, which may hold either), in the order resolveRef prefers them. */
function branchAndTagPaths(ref: string): string[] {
  return [`/${branchRef(ref)}`, `/${tagRef(ref)}`, PACKED_REFS_PATH];
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
    const [branch, tag, packed] = preRead ?? (await ctx.store.readMany(branchAndTagPaths(ref)));
    for (const [bytes, kind, full] of [[branch, 'branch', branchRef(ref)], [tag, 'tag', tagRef(ref)]] as const) {
      const oid = refValue(full, bytes ?? null, packed ?? null);
      if (oid === null) continue;
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
