/**
 * Repositories: a bare git repository per name, plus a small metadata file next to refs/ and
 * objects/ (git ignores unknown files in a gitdir). The metadata file is also the "exists" flag:
 * it is created exclusively, so two concurrent creates get exactly one `created: true`.
 * Deleting leaves a tombstone file so the API can answer 410 Gone for the name later.
 */
import git from 'isomorphic-git';
import type { RepoStore, SwapOp } from '../../fs-service/index.js';
import type { ServiceDeps } from './deps.js';
import { mapLimit } from '../../fs-service/index.js';
import { validateRepoName, validateShortRefName } from './names.js';
import type { ReadBasis } from './warm-reads.js';
import type { RepoContext } from './repo-context.js';
import { invalid, notFound, type Invalid, type NotFound, type RepoInfo } from './types.js';

import { METADATA_PATH, TOMBSTONE_PATH } from '../git/index.js';

export { METADATA_PATH, TOMBSTONE_PATH };
const MAX_DESCRIPTION = 1000;

export interface RepoInput {
  description?: string;
  defaultBranch?: string;
}

export type CreateRepoResult = { ok: true; created: boolean; repository: RepoInfo } | Invalid;
export type RepoResult = { ok: true; repository: RepoInfo } | Invalid | NotFound;
export type DeleteRepoResult = { ok: true } | Invalid | NotFound;

interface StoredMetadata {
  description: string;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
}

// A leased read hands back the same buffer until the repository changes: parse it once.
const parsed = new WeakMap<Buffer, StoredMetadata>();

function parseMetadata(name: string, bytes: Buffer): RepoInfo {
  let stored = parsed.get(bytes);
  if (stored === undefined) {
    stored = JSON.parse(bytes.toString('utf8')) as StoredMetadata;
    parsed.set(bytes, stored);
  }
  return { name, description: stored.description, defaultBranch: stored.defaultBranch, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
}

function encodeMetadata(info: RepoInfo): Buffer {
  const stored: StoredMetadata = {
    description: info.description,
    defaultBranch: info.defaultBranch,
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
  };
  return Buffer.from(`${JSON.stringify(stored, null, 2)}\n`);
}

function headContent(branch: string): Buffer {
  return Buffer.from(`ref: refs/heads/${branch}\n`);
}

function validateInput(input: RepoInput): Invalid | null {
  if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > MAX_DESCRIPTION)) {
    return invalid('metadata', `description must be a string of at most ${MAX_DESCRIPTION} characters`);
  }
  if (input.defaultBranch !== undefined) {
    const branch = validateShortRefName(input.defaultBranch);
    if (!branch.ok) return invalid('branch-name', branch.detail);
  }
  return null;
}

export type OpenedRepo = { ok: true; ctx: RepoContext; info: RepoInfo } | Invalid | NotFound;

/** The entry check of every repository-scoped operation: valid name, exists (one storage read). */
export async function openRepo(deps: ServiceDeps, name: string): Promise<OpenedRepo> {
  const opened = await openRepoReading(deps, name, []);
  return opened.ok ? { ok: true, ctx: opened.ctx, info: opened.info } : opened;
}

/**
 * openRepo that reads `also` (repository paths) in the same storage round trip, for callers
 * that know what they will need next.
 */
export async function openRepoReading(
  deps: ServiceDeps,
  name: string,
  also: readonly string[],
): Promise<{ ok: true; ctx: RepoContext; info: RepoInfo; also: (Buffer | null)[]; read: ReadBasis } | Invalid | NotFound> {
  const valid = validateRepoName(name);
  if (!valid.ok) return invalid('repository-name', valid.detail);
  const ctx = deps.contexts.get(name);
  const paths = [METADATA_PATH, TOMBSTONE_PATH, ...also];
  const bytes = await ctx.store.readMany(paths);
  const [meta, tombstone, ...rest] = bytes;
  if (meta === null || meta === undefined) return notFound('repository', name, tombstone !== null && tombstone !== undefined);
  const info = parseMetadata(name, meta);
  ctx.defaultBranchGuess = info.defaultBranch;
  return { ok: true, ctx, info, also: rest.map((b) => b ?? null), read: { paths, bytes } };
}

/** For branch and tag operations: the short ref name is checked before the repository is read. */
export async function openWithRefName(deps: ServiceDeps, repo: string, name: string, what: 'branch-name' | 'tag-name'): Promise<OpenedRepo> {
  const valid = validateShortRefName(name);
  return valid.ok ? openRepo(deps, repo) : invalid(what, valid.detail);
}

async function removeIfPresent(store: RepoStore, path: string): Promise<void> {
  try {
    await store.fs.promises.unlink(path);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
}

export async function createRepository(deps: ServiceDeps, name: string, input: RepoInput = {}): Promise<CreateRepoResult> {
  const valid = validateRepoName(name);
  if (!valid.ok) return invalid('repository-name', valid.detail);
  const bad = validateInput(input);
  if (bad !== null) return bad;
  const at = deps.now().toISOString();
  const info: RepoInfo = { name, description: input.description ?? '', defaultBranch: input.defaultBranch ?? 'main', createdAt: at, updatedAt: at };
  const store = deps.storage.repo(name);
  // Claim first, then lay out: a loser of the race must not overwrite the winner's HEAD.
  if (!(await store.createExclusive(METADATA_PATH, encodeMetadata(info)))) {
    const existing = await openRepo(deps, name);
    if (existing.ok) return { ok: true, created: false, repository: existing.info };
    throw new Error(`repository ${name} vanished while being created`);
  }
  deps.contexts.forget(name);
  const ctx = deps.contexts.get(name);
  await git.init({ fs: ctx.fs, gitdir: '/', bare: true, defaultBranch: info.defaultBranch });
  await removeIfPresent(store, TOMBSTONE_PATH);
  return { ok: true, created: true, repository: info };
}

export async function getRepository(deps: ServiceDeps, name: string): Promise<RepoResult> {
  const opened = await openRepo(deps, name);
  return opened.ok ? { ok: true, repository: opened.info } : opened;
}

/** Changes description and/or default branch; HEAD follows the default branch in the same swap. */
export async function updateRepository(deps: ServiceDeps, name: string, patch: RepoInput): Promise<RepoResult> {
  const bad = validateInput(patch);
  if (bad !== null) return bad;
  for (let attempt = 0; attempt < 50; attempt++) {
    const opened = await openRepo(deps, name);
    if (!opened.ok) return opened;
    const { ctx, info } = opened;
    const next: RepoInfo = {
      ...info,
      description: patch.description ?? info.description,
      defaultBranch: patch.defaultBranch ?? info.defaultBranch,
      updatedAt: deps.now().toISOString(),
    };
    const [oldMeta, oldHead] = await ctx.store.readMany([METADATA_PATH, '/HEAD']);
    if (oldMeta === null || oldMeta === undefined) continue;
    const ops: SwapOp[] = [{ path: METADATA_PATH, expected: oldMeta, next: encodeMetadata(next) }];
    if (next.defaultBranch !== info.defaultBranch) ops.push({ path: '/HEAD', expected: oldHead ?? null, next: headContent(next.defaultBranch) });
    // A concurrent update changed the file between our read and the swap: re-read and re-apply.
    if (await ctx.store.compareAndSwap(ops)) return { ok: true, repository: next };
  }
  throw new Error(`metadata of ${name} kept changing; gave up after 50 attempts`);
}

/**
 * The names storage holds that can be repositories, sorted: what a page of /repos walks, opening
 * only the repositories it shows. A deleted repository's tombstone is listed here too.
 */
export async function repositoryNames(deps: ServiceDeps): Promise<string[]> {
  return (await deps.storage.listRepos()).filter((name) => validateRepoName(name).ok).sort();
}

export async function listRepositories(deps: ServiceDeps): Promise<RepoInfo[]> {
  const names = await deps.storage.listRepos();
  const found = await mapLimit(names, (name) => openRepo(deps, name));
  const infos: RepoInfo[] = [];
  for (const repo of found) if (repo.ok) infos.push(repo.info);
  // Deleted repositories keep a tombstone file and are listed by storage, but not here.
  return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function deleteRepository(deps: ServiceDeps, name: string): Promise<DeleteRepoResult> {
  const opened = await openRepo(deps, name);
  if (!opened.ok) return opened;
  const store = opened.ctx.store;
  await store.destroy();
  deps.contexts.forget(name);
  await store.createExclusive(TOMBSTONE_PATH, `${JSON.stringify({ deletedAt: deps.now().toISOString() })}\n`);
  return { ok: true };
}

/** True for a name that was deleted and not re-created (HTTP: 410 Gone). */
export async function previouslyExisted(deps: ServiceDeps, name: string): Promise<boolean> {
  const opened = await openRepo(deps, name);
  return !opened.ok && opened.reason === 'not-found' && opened.gone === true;
}
