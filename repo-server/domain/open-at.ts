/** The common start of every read at a ref: the repository, and the commit the ref names. */
import type { ServiceDeps } from './deps.js';
import { readCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { resolveRef } from './refs.js';
import { openRepo } from './repositories.js';
import type { CommitDetails, Invalid, NotFound, RepoInfo } from './types.js';

export type OpenedAt = { ok: true; ctx: RepoContext; info: RepoInfo; commit: CommitDetails } | NotFound | Invalid;

/** `ref` absent: the repository's default branch. */
export async function openAt(deps: ServiceDeps, repo: string, ref: string | undefined): Promise<OpenedAt> {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const at = await resolveRef(opened.ctx, ref ?? opened.info.defaultBranch);
  if (!at.ok) return at;
  return { ok: true, ctx: opened.ctx, info: opened.info, commit: await readCommit(opened.ctx, at.commit) };
}
