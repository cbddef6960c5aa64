/**
 * The storage contract every backend (memfs, embedded disk engine, shard client) fulfils.
 * repo-server codes against these types only, so one test suite can run on every backend.
 *
 * Paths inside a repository are POSIX and absolute from the repository root: "/HEAD",
 * "/objects/ab/cdef...", "/refs/heads/main". isomorphic-git is called with `gitdir: "/"`.
 */

/** What `stat`/`lstat` answer; isomorphic-git reads the predicates and the normalizeStats fields. */
export interface FileStat {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  uid: number;
  gid: number;
  dev: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export type FileData = Uint8Array | string;
export type EncodingOption = 'utf8' | { encoding?: 'utf8' | null; mode?: number } | undefined;

/** The promise-flavoured fs isomorphic-git needs (all ten methods plus rm). */
export interface RepoFsPromises {
  readFile(path: string, options?: EncodingOption): Promise<Buffer | string>;
  writeFile(path: string, data: FileData, options?: EncodingOption): Promise<void>;
  mkdir(path: string, options?: unknown): Promise<void>;
  rmdir(path: string, options?: unknown): Promise<void>;
  unlink(path: string): Promise<void>;
  stat(path: string): Promise<FileStat>;
  lstat(path: string): Promise<FileStat>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
}

/** One compare-and-swap: `expected` null means "must be absent"; `next` null means "delete". */
export interface SwapOp {
  path: string;
  expected: Buffer | null;
  next: Buffer | null;
}

/** One repository's storage. Cheap to create; holds no open resources of its own. */
export interface RepoStore {
  readonly name: string;
  /** Hand this to isomorphic-git (own enumerable `promises`, as it requires). */
  readonly fs: { promises: RepoFsPromises };
  /**
   * All-or-nothing compare-and-swap of small files (refs), decided in one place (the vbucket's
   * primary). True when every op matched and all were applied durably; false (nothing applied)
   * when any current content differed from its `expected`.
   */
  compareAndSwap(ops: SwapOp[]): Promise<boolean>;
  /** Creates the file only if absent; false when it already existed. Durable when true. */
  createExclusive(path: string, data: FileData): Promise<boolean>;
  /** Several reads in one round trip; null where a file is absent. */
  readMany(paths: string[]): Promise<(Buffer | null)[]>;
  /**
   * Up to `length` bytes of a file from `offset` (fewer at its end, none past it): a large
   * immutable file (a pack) is read in parts, never whole. ENOENT when the file is absent.
   */
  readRange(path: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Writes `data` at `offset` of a file assembled in parts (a pushed pack of any size): the file
   * and its folders are created when absent, bytes outside the part are kept, a part may rewrite
   * earlier bytes (a pack's object count). Never for an immutable path (EINVAL): readers trust
   * those whole. Parts are not durable one by one; `rename` makes the file durable.
   */
  writePart(path: string, offset: number, data: Uint8Array): Promise<void>;
  /**
   * Publishes a file assembled by writePart: makes `from` durable, then moves it to `to`
   * atomically (replacing a file there). When `to` is an immutable path that already exists (the
   * same content under its hash), `from` is removed instead. ENOENT when `from` is absent.
   */
  rename(from: string, to: string): Promise<void>;
  /**
   * What readMany would answer now, when it can answer without waiting: every path is an
   * immutable object this store has cached, or a file a live read lease covers (so any change to
   * it would have been revoked first). Undefined when any path would need a round trip, and on
   * stores that keep no such copies.
   */
  readManyNow?(paths: string[]): (Buffer | null)[] | undefined;
  /** Removes every file of the repository. */
  destroy(): Promise<void>;
}

export interface Storage {
  repo(name: string): RepoStore;
  /** Names of repositories that have at least one file, sorted. */
  listRepos(): Promise<string[]>;
  /** Whether it can serve now, cheaply (a readiness probe asks it often): see Readiness. */
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

/**
 * A store's answer to a readiness probe: embedded storage is ready once its data directory is
 * open; the cluster client once it has a map and every vbucket has a copy on a shard that answers
 * a ping (`shards` says which do). Nothing is listed or read.
 */
export interface Readiness {
  ready: boolean;
  detail: string;
  shards?: Record<string, 'reachable' | 'unreachable' | 'unregistered'>;
}

/** A Node-style fs error; isomorphic-git only treats ENOENT/ENOTDIR (and EISDIR on read) as "missing". */
export class FsError extends Error {
  constructor(
    public readonly code: 'ENOENT' | 'ENOTDIR' | 'EEXIST' | 'ENOTEMPTY' | 'EISDIR' | 'EINVAL' | 'EACCES' | 'EIO' | 'ETIMEDOUT' | 'ESTALE',
    message: string,
    public readonly path?: string,
  ) {
    super(`${code}: ${message}${path === undefined ? '' : ` '${path}'`}`);
    this.name = 'FsError';
  }
}

/**
 * Why storage refuses a request it will take later (the client should retry, not give up):
 *   read-only    fewer than a majority of the vbucket's copies are alive or in sync: no write is
 *                acknowledged until one returns (reads are served)
 *   failover     the vbucket's primary is unreachable or a new one is being chosen
 *   unreachable  no copy of the vbucket answered a read
 *   outcome-unknown  the primary was lost while a write was on its way: it may or may not have
 *                been applied (a failover decides), so it is not sent again blindly; read, then retry
 */
export type UnavailableReason = 'read-only' | 'failover' | 'unreachable' | 'outcome-unknown';

/**
 * A refusal that will pass (and, but for `outcome-unknown`, changed nothing): an `EIO` for
 * isomorphic-git (never "absent"), with what to tell a client (503 and Retry-After at the front
 * end, a rejected ref for git).
 */
export class StorageUnavailable extends FsError {
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    /** When a retry has a chance. */
    readonly retryAfterSeconds: number,
  ) {
    super('EIO', `${reason}: ${message}`);
    this.name = 'StorageUnavailable';
  }
}

/** The StorageUnavailable behind `err` (itself, or a cause it wraps), or null. */
export function unavailability(err: unknown): StorageUnavailable | null {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageUnavailable) return e;
  }
  return null;
}
