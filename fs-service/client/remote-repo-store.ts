import type { ClusterClient, RequestKind } from './cluster-client.js';
import { FsError, type FileData, type RepoFsPromises, type RepoStore, type SwapOp } from '../contract.js';
import { toFileStat, type StatFields } from '../engine/file-stat.js';
import { decode, encodingOf, isRecursive, modeOf, probeRejection, rmOptions, toBytes } from '../engine/fs-arguments.js';
import type { ImmutableCache } from './immutable-cache.js';
import type { LeaseCache } from './lease-cache.js';
import type { FsMetrics } from '../common/metrics.js';
import type { Mutation } from '../engine/mutations.js';
import { assertPart, assertRange, assertRename, canonicalPath } from '../engine/path-safety.js';
import { isImmutablePath, isLooseObjectPath, PACK_DIR } from '../engine/path-kinds.js';
import type { RepoCacheState } from './repo-cache-state.js';
import { encodeMutation, type Frame } from '../wire/wire-codec.js';
import { vbucketOf } from '../control/vbucket-map.js';

const FILE_MODE = 0o100644;

/**
 * One repository over the cluster, shaped for isomorphic-git. Immutable files come from the
 * byte-bounded cache after the first read; "absent" answers for loose objects and the pack
 * listing are reused only while the repository's generation is unchanged; mutable files read
 * with readMany (refs, metadata) are kept under the primary's read lease (LeaseCache); any
 * other read of refs, HEAD, config, packed-refs, lock files or listings goes to the shard. Paths
 * are checked here too, so a hostile path costs no round trip (the shard checks again).
 */
export class RemoteRepoStore implements RepoStore {
  readonly fs: { promises: RepoFsPromises };
  private readonly vb: number;

  constructor(
    readonly name: string,
    private readonly client: ClusterClient,
    private readonly cache: ImmutableCache,
    private readonly state: RepoCacheState,
    private readonly leases: LeaseCache,
    private readonly metrics: FsMetrics,
  ) {
    this.vb = vbucketOf(name);
    const promises: RepoFsPromises = {
      readFile: async (path, options) => {
        if (path === undefined) return probeRejection();
        return this.timed('readFile', async () => decode(await this.readBytes(canonicalPath(path)), encodingOf(options)));
      },
      writeFile: async (path, data, options) => {
        const canonical = canonicalPath(path);
        const bytes = toBytes(data, canonical);
        encodingOf(options);
        const mode = modeOf(options);
        await this.timed('writeFile', () => this.mutate({ op: 'writeFile', path: canonical, data: bytes, ...(mode === undefined ? {} : { mode }) }, isImmutablePath(canonical)));
        if (isImmutablePath(canonical)) {
          this.cache.set(this.key(canonical), bytes);
          this.state.forgetMissing(canonical);
        }
      },
      mkdir: async (path, options) => {
        await this.timed('mkdir', () => this.mutate({ op: 'mkdir', path: canonicalPath(path), recursive: isRecursive(options) }, false));
      },
      rmdir: async (path, options) => {
        const canonical = canonicalPath(path);
        await this.timed('rmdir', () => this.mutate(isRecursive(options) ? { op: 'rm', path: canonical, recursive: true, force: false } : { op: 'rmdir', path: canonical }, false));
      },
      unlink: async (path) => {
        await this.timed('unlink', () => this.mutate({ op: 'unlink', path: canonicalPath(path) }, false));
      },
      rm: async (path, options) => {
        await this.timed('rm', () => this.mutate({ op: 'rm', path: canonicalPath(path), ...rmOptions(options) }, false));
      },
      symlink: async (target, path) => {
        await this.timed('symlink', () => this.mutate({ op: 'symlink', path: canonicalPath(path), target }, false));
      },
      stat: async (path) => this.timed('stat', async () => toFileStat(await this.stat(canonicalPath(path), true))),
      lstat: async (path) => this.timed('lstat', async () => toFileStat(await this.stat(canonicalPath(path), false))),
      readdir: async (path) => this.timed('readdir', () => this.readdir(canonicalPath(path))),
      readlink: async (path) => this.timed('readlink', async () => String((await this.request('read', { op: 'readlink', path: canonicalPath(path) })).header.target)),
    };
    this.fs = { promises };
  }

  private timed<T>(op: string, run: () => Promise<T>): Promise<T> {
    return this.metrics.time(op, 'client', run);
  }

  private key(path: string): string {
    return `${this.name}\0${path}`;
  }

  private async request(kind: RequestKind, header: Record<string, unknown>, parts: (Buffer | null)[] = [], idempotent = kind === 'read'): Promise<Frame> {
    const frame = await this.client.call(this.vb, kind, { ...header, repo: this.name }, parts, idempotent);
    this.state.observe(frame.header.gen);
    return frame;
  }

  private async mutate(mutation: Mutation, idempotent: boolean): Promise<boolean> {
    const { mutation: wire, parts } = encodeMutation(mutation);
    const frame = await this.request('write', { op: 'mutate', mutation: wire }, parts, idempotent);
    for (const part of parts) this.metrics.moved('written', 'client', part?.length ?? 0);
    return frame.header.result === true;
  }

  /** A part of a file, straight from the shard: what a caller reads in parts it caches itself. */
  readRange(path: string, offset: number, length: number): Promise<Buffer> {
    const canonical = canonicalPath(path);
    assertRange(offset, length);
    return this.timed('readRange', async () => {
      const frame = await this.request('read', { op: 'readRange', path: canonical, offset, length });
      this.metrics.moved('read', 'client', frame.parts[0]?.length ?? 0);
      return frame.parts[0] ?? Buffer.alloc(0);
    });
  }

  /** Reads an answer that may be "absent", remembering absence of loose objects. */
  private missing(frame: Frame, path: string): FsError | null {
    const code = frame.header.missing;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return null;
    if (isLooseObjectPath(path)) this.state.rememberMissing(path, frame.header.gen);
    return new FsError(code, 'no such file or directory', path);
  }

  private async readBytes(path: string): Promise<Buffer> {
    if (!isImmutablePath(path)) {
      const frame = await this.request('read', { op: 'readFile', path });
      this.metrics.moved('read', 'client', frame.parts[0]?.length ?? 0);
      return frame.parts[0]!;
    }
    if (this.state.knownMissing(path)) {
      this.metrics.cache(true);
      throw new FsError('ENOENT', 'no such file or directory', path);
    }
    const { value, hit } = await this.cache.getOrFetch(this.key(path), async () => {
      const frame = await this.request('read', { op: 'readFile', path, missingOk: true });
      const absent = this.missing(frame, path);
      if (absent !== null) throw absent;
      this.metrics.moved('read', 'client', frame.parts[0]?.length ?? 0);
      return frame.parts[0]!;
    });
    this.metrics.cache(hit);
    return value;
  }

  private async stat(path: string, follow: boolean): Promise<StatFields> {
    if (isImmutablePath(path)) {
      const cached = this.cache.get(this.key(path));
      if (cached !== undefined) {
        this.metrics.cache(true);
        return { type: 'file', mode: FILE_MODE, size: cached.length, ino: 0, mtimeMs: 0, ctimeMs: 0, uid: 0, gid: 0, dev: 0 };
      }
      if (this.state.knownMissing(path)) {
        this.metrics.cache(true);
        throw new FsError('ENOENT', 'no such file or directory', path);
      }
      this.metrics.cache(false);
    }
    const frame = await this.request('read', { op: 'stat', path, follow, missingOk: true });
    const absent = this.missing(frame, path);
    if (absent !== null) throw absent;
    return frame.header.stat as StatFields;
  }

  private async readdir(path: string): Promise<string[]> {
    if (path !== PACK_DIR) return (await this.request('read', { op: 'readdir', path })).header.names as string[];
    const known = this.state.packNames();
    if (known !== undefined) {
      this.metrics.cache(true);
      if (known === null) throw new FsError('ENOENT', 'no such file or directory', path);
      return known;
    }
    this.metrics.cache(false);
    const frame = await this.request('read', { op: 'readdir', path, missingOk: true });
    const code = frame.header.missing;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (code === 'ENOENT') this.state.rememberPackListing(null, frame.header.gen);
      throw new FsError(code, 'no such file or directory', path);
    }
    const names = frame.header.names as string[];
    this.state.rememberPackListing(names, frame.header.gen);
    return names;
  }

  // ---- RepoStore extras ----------------------------------------------------------------------

  async compareAndSwap(ops: SwapOp[]): Promise<boolean> {
    if (!Array.isArray(ops)) throw new FsError('EINVAL', 'compareAndSwap needs an array of ops');
    const checked = ops.map((op) => ({ ...op, path: canonicalPath(op?.path) }));
    return this.timed('compareAndSwap', () => this.mutate({ op: 'cas', ops: checked }, false));
  }

  async createExclusive(path: string, data: FileData): Promise<boolean> {
    const canonical = canonicalPath(path);
    const bytes = toBytes(data, canonical);
    return this.timed('createExclusive', () => this.mutate({ op: 'createExclusive', path: canonical, data: bytes }, false));
  }

  /**
   * One part, one mutation: the primary writes it and replicates it to a majority before the
   * answer. Idempotent (the same bytes at the same place), so an unknown outcome is retried.
   */
  async writePart(path: string, offset: number, data: Uint8Array): Promise<void> {
    const canonical = assertPart(path, offset, data);
    const bytes = toBytes(data, canonical);
    await this.timed('writePart', () => this.mutate({ op: 'part', path: canonical, offset, data: bytes }, true));
  }

  /** The answer's generation retires cached pack listings and "absent" answers, as a writeFile does. */
  async rename(from: string, to: string): Promise<void> {
    const paths = assertRename(from, to);
    await this.timed('rename', () => this.mutate({ op: 'rename', ...paths }, false));
    if (isImmutablePath(paths.to)) this.state.forgetMissing(paths.to);
  }

  async readMany(paths: string[]): Promise<(Buffer | null)[]> {
    if (!Array.isArray(paths)) throw new FsError('EINVAL', 'readMany needs an array of paths');
    const canonical = paths.map((p) => canonicalPath(p));
    return this.timed('readMany', async () => {
      const { out, wanted } = this.known(canonical);
      this.metrics.cache(wanted.length === 0);
      if (wanted.length === 0) return out;
      // The refs and metadata read here are kept under the primary's lease (see LeaseCache); a
      // batch of immutable files alone asks for none, so writes need not wait on this client.
      const ticket = wanted.some((w) => !isImmutablePath(w.p)) ? this.leases.ticket(this.name) : undefined;
      const frame = await this.request('read', { op: 'readMany', paths: wanted.map((w) => w.p), ...(ticket === undefined ? {} : { lease: true }) });
      const fresh: [string, Buffer | null][] = [];
      wanted.forEach(({ p, i }, k) => {
        const data = frame.parts[k] ?? null;
        out[i] = data;
        if (!isImmutablePath(p)) fresh.push([p, data]);
        else if (data !== null) this.cache.set(this.key(p), data);
        this.metrics.moved('read', 'client', data?.length ?? 0);
      });
      if (ticket !== undefined) this.leases.take(ticket, frame.header.lease, fresh);
      return out;
    });
  }

  readManyNow(paths: string[]): (Buffer | null)[] | undefined {
    if (!Array.isArray(paths)) throw new FsError('EINVAL', 'readMany needs an array of paths');
    const { out, wanted } = this.known(paths.map((p) => canonicalPath(p)));
    if (wanted.length > 0) return undefined;
    this.metrics.cache(true);
    return out;
  }

  /** What the caches and the live lease already hold of `canonical` paths, and what they lack. */
  private known(canonical: string[]): { out: (Buffer | null)[]; wanted: { p: string; i: number }[] } {
    const out: (Buffer | null)[] = [];
    const wanted: { p: string; i: number }[] = [];
    const leased = this.leases.live(this.name);
    canonical.forEach((p, i) => {
      const known = isImmutablePath(p) ? (this.cache.get(this.key(p)) ?? (this.state.knownMissing(p) ? null : undefined)) : leased?.get(p);
      out.push(known ?? null);
      if (known === undefined) wanted.push({ p, i });
    });
    return { out, wanted };
  }

  async destroy(): Promise<void> {
    await this.timed('destroy', () => this.mutate({ op: 'destroy' }, false));
  }
}
