/**
 * The repository service: every operation the REST resources need, over isomorphic-git and the
 * fs-service storage. Results are values (`{ok: true, ...} | {ok: false, reason, ...}`); the
 * service throws only for bugs and storage failures.
 */
import { GitCache, ObjectStores, type RefEventSink } from '../git/index.js';
import { KeyedLock, type Storage } from '../../fs-service/index.js';
import * as archives from './archives.js';
import * as branches from './branches.js';
import * as commits from './commit-changes.js';
import * as comparing from './compare.js';
import * as contents from './contents.js';
import type { ServiceDeps } from './deps.js';
import * as historyOps from './history.js';
import * as merges from './merges.js';
import { RepoContexts } from './repo-context.js';
import * as refs from './refs.js';
import * as repositories from './repositories.js';
import * as tags from './tags.js';
import type { Invalid, NotFound, RepoInfo } from './types.js';

export type * from './types.js';
export { invalid, notFound, stale } from './types.js';
export type { RepoInput, CreateRepoResult, RepoResult, DeleteRepoResult } from './repositories.js';
export type {
  ListBranchesResult,
  BranchResult,
  CreateBranchResult,
  CreateBranchInput,
  MoveBranchInput,
  MoveBranchResult,
  NotFastForward,
  DeleteBranchInput,
  DeleteBranchResult,
} from './branches.js';
export type { ResolveResult, ResolvedKind } from './refs.js';
export type { FileContent, FolderContent, FolderEntry, ReadPathInput, ReadPathResult, LastCommitInput, LastCommitResult } from './contents.js';
export type {
  Change,
  Precondition,
  CommitChangesInput,
  CommitChangesResult,
  ChangedFile,
  CommitConflict,
  PreconditionFailed,
  InvalidChange,
} from './commit-changes.js';
export type { Outcome } from './tree-edit.js';
export type { Comparison, CompareResult, DiffResult } from './compare.js';
export type { FileDiff } from './tree-diff.js';
export type { MergeInput, MergeResult, MergeOutcome, MergeConflictResult, ConflictCause, MergePreview, MergePreviewResult, PreviewStatus } from './merges.js';
export type { Resolution, ConflictDetail, ConflictSide, UnresolvedConflicts } from './merge-resolutions.js';
export { MAX_TEXT_BYTES } from './merge-resolutions.js';
export type { MergeConflict, ConflictKind } from './tree-merge.js';
export type { ArchiveFormat, ArchiveInput, ArchiveResult } from './archives.js';
export type { TagInfo, ListTagsResult, TagResult, CreateTagResult, CreateTagInput } from './tags.js';
export type { HistoryInput, HistoryResult, CommitResult } from './history.js';
export { DEFAULT_PAGE, MAX_PAGE } from './history.js';
export { MAX_CHANGES } from './commit-changes.js';
export { validateRepoName, isValidRepoName, validatePath, isValidPath, decodePath, validateShortRefName } from './names.js';

export interface RepoService {
  // Repositories
  createRepository(name: string, input?: repositories.RepoInput): Promise<repositories.CreateRepoResult>;
  updateRepository(name: string, patch: repositories.RepoInput): Promise<repositories.RepoResult>;
  getRepository(name: string): Promise<repositories.RepoResult>;
  listRepositories(): Promise<RepoInfo[]>;
  /** Sorted names that may be repositories (without opening any): what a page of /repos walks. */
  repositoryNames(): Promise<string[]>;
  deleteRepository(name: string): Promise<repositories.DeleteRepoResult>;
  previouslyExisted(name: string): Promise<boolean>;
  // Refs and branches
  resolveRef(repo: string, ref: string): Promise<refs.ResolveResult>;
  listBranches(repo: string): Promise<branches.ListBranchesResult>;
  getBranch(repo: string, name: string): Promise<branches.BranchResult>;
  createBranch(repo: string, name: string, input: branches.CreateBranchInput): Promise<branches.CreateBranchResult>;
  moveBranch(repo: string, name: string, input: branches.MoveBranchInput): Promise<branches.MoveBranchResult>;
  deleteBranch(repo: string, name: string, input?: branches.DeleteBranchInput): Promise<branches.DeleteBranchResult>;
  // Contents and commits
  readPath(repo: string, input?: contents.ReadPathInput): contents.ReadPathResult | Promise<contents.ReadPathResult>;
  lastCommitFor(repo: string, input: contents.LastCommitInput): Promise<contents.LastCommitResult>;
  commitChanges(repo: string, input: commits.CommitChangesInput): Promise<commits.CommitChangesResult>;
  history(repo: string, input?: historyOps.HistoryInput): Promise<historyOps.HistoryResult>;
  getCommit(repo: string, id: string): Promise<historyOps.CommitResult>;
  // Compare
  compare(repo: string, base: string, head: string): Promise<comparing.CompareResult>;
  /** `git diff base...head` as bytes (content need not be UTF-8). */
  compareDiff(repo: string, base: string, head: string): Promise<comparing.DiffResult>;
  // Merges
  merge(repo: string, input: merges.MergeInput): Promise<merges.MergeResult>;
  /** The base branch's head and head's commit: what a merge of head into base would combine now. */
  mergeHeads(repo: string, base: string, head: string): ReturnType<typeof merges.mergeHeads>;
  /** What merging commit `theirs` into `ours` would do, every conflict described for resolving; writes nothing. */
  previewMerge(repo: string, ours: string, theirs: string): Promise<merges.MergePreviewResult>;
  // Tags
  listTags(repo: string, pick?: (all: { name: string; oid: string }[]) => { name: string; oid: string }[]): Promise<tags.ListTagsResult>;
  getTag(repo: string, name: string): Promise<tags.TagResult>;
  createTag(repo: string, name: string, input: tags.CreateTagInput): Promise<tags.CreateTagResult>;
  // Archives
  archive(repo: string, input: archives.ArchiveInput): Promise<archives.ArchiveResult>;
}

export interface RepoServiceDeps {
  storage: Storage;
  events: RefEventSink;
  now?: () => Date;
  /** Author/committer when a caller gives none. */
  defaultPerson?: { name: string; email: string };
  /** How many repositories keep their contexts open (LRU). Default 64. */
  cachedRepositories?: number;
  /** The front end's object stores (shared with git clients); default: new ones over `storage` with the default cache budget. */
  objects?: ObjectStores;
  /** Largest file (blob) a write may store. Default 100 MiB, as for pushes. */
  maxObjectBytes?: number;
}

export function createRepoService(options: RepoServiceDeps): RepoService {
  const deps: ServiceDeps = {
    storage: options.storage,
    events: options.events,
    now: options.now ?? (() => new Date()),
    contexts: new RepoContexts(options.objects ?? new ObjectStores(options.storage, new GitCache()), options.cachedRepositories ?? 64),
    locks: new KeyedLock(),
    maxObjectBytes: options.maxObjectBytes ?? 100 * 1024 * 1024,
    defaultPerson: options.defaultPerson ?? { name: 'Content Repository', email: 'noreply@content-repo.invalid' },
  };
  const inRepo = async <T>(repo: string, work: (opened: Extract<repositories.OpenedRepo, { ok: true }>) => Promise<T>): Promise<T | NotFound | Invalid> => {
    const opened = await repositories.openRepo(deps, repo);
    return opened.ok ? work(opened) : opened;
  };
  return {
    createRepository: (name, input) => repositories.createRepository(deps, name, input),
    updateRepository: (name, patch) => repositories.updateRepository(deps, name, patch),
    getRepository: (name) => repositories.getRepository(deps, name),
    listRepositories: () => repositories.listRepositories(deps),
    repositoryNames: () => repositories.repositoryNames(deps),
    deleteRepository: (name) => repositories.deleteRepository(deps, name),
    previouslyExisted: (name) => repositories.previouslyExisted(deps, name),
    resolveRef: (repo, ref) => inRepo(repo, ({ ctx }) => refs.resolveRef(ctx, ref)),
    listBranches: (repo) => branches.listBranches(deps, repo),
    getBranch: (repo, name) => branches.getBranch(deps, repo, name),
    createBranch: (repo, name, input) => branches.createBranch(deps, repo, name, input),
    moveBranch: (repo, name, input) => branches.moveBranch(deps, repo, name, input),
    deleteBranch: (repo, name, input) => branches.deleteBranch(deps, repo, name, input),
    readPath: (repo, input) => contents.readPath(deps, repo, input),
    lastCommitFor: (repo, input) => contents.lastCommitFor(deps, repo, input),
    commitChanges: (repo, input) => commits.commitChanges(deps, repo, input),
    history: (repo, input) => historyOps.history(deps, repo, input),
    getCommit: (repo, id) => historyOps.getCommit(deps, repo, id),
    compare: (repo, base, head) => comparing.compare(deps, repo, base, head),
    compareDiff: (repo, base, head) => comparing.compareDiff(deps, repo, base, head),
    merge: (repo, input) => merges.merge(deps, repo, input),
    mergeHeads: (repo, base, head) => merges.mergeHeads(deps, repo, base, head),
    previewMerge: (repo, ours, theirs) => merges.previewMerge(deps, repo, ours, theirs),
    listTags: (repo, pick) => tags.listTags(deps, repo, pick),
    getTag: (repo, name) => tags.getTag(deps, repo, name),
    createTag: (repo, name, input) => tags.createTag(deps, repo, name, input),
    archive: (repo, input) => archives.archive(deps, repo, input),
  };
}
