/** The common start of every read at a ref: the repository, and the commit the ref names. */
import type { ServiceDeps } from './deps.js';
import { readCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import type { ReadBasis } from './warm-reads.js';
import { followsFromShortNamePaths, resolveRef, shortNamePaths } from './refs.js';
import { openRepoReading } from './repositories.js';
import { validateRepoName } from './names.js';
import type { CommitDetails, Invalid, NotFound, RepoInfo } from './types.js';

/**
 * `basis`: present when the commit follows from the files read alone (a branch or tag read with
 * the metadata, or a full commit id), so the same bytes there would name the same commit. An
 * abbreviated id is left out: a new object can make it ambiguous.
 */
export type OpenedAt = { ok: true; ctx: RepoContext; info: RepoInfo; commit: CommitDetails; basis?: ReadBasis } | NotFound | Invalid;

/** `ref` absent: the repository's default branch. */
export async function openAt(deps: ServiceDeps, repo: string, ref: string | undefined): Promise<OpenedAt> {
  // One storage round trip in the common case: the ref (or the default branch as last seen)
  // is read with the metadata; a default branch changed since costs a second read.
  const guess = ref ?? (validateRepoName(repo).ok ? deps.contexts.get(repo).defaultBranchGuess : undefined);
  const ahead = guess === undefined ? null : shortNamePaths(guess);
  const opened = await openRepoReading(deps, repo, ahead ?? []);
  if (!opened.ok) return opened;
  const name = ref ?? opened.info.defaultBranch;
  const preRead = ahead !== null && name === guess;
  const at = await resolveRef(opened.ctx, name, preRead ? opened.also : undefined);
  if (!at.ok) return at;
  const commit = await readCommit(opened.ctx, at.commit);
  const derived = preRead && followsFromShortNamePaths(name, at.kind);
  return { ok: true, ctx: opened.ctx, info: opened.info, commit, ...(derived ? { basis: opened.read } : {}) };
}
