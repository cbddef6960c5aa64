import type { Registry } from 'prom-client';
import type { FileData, Readiness, RepoFsPromises, RepoStore, Storage, SwapOp } from '../contract.js';
import { DiskEngine } from './disk-engine.js';
import { toFileStat } from './file-stat.js';
import { decode, encodingOf, isRecursive, modeOf, probeRejection, rmOptions, toBytes } from './fs-arguments.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { FsMetrics } from '../common/metrics.js';
import type { Mutation } from './mutations.js';
import { assertPart, assertRename, assertRepoName } from './path-safety.js';
import type { RepoDisk } from './repo-disk.js';
import { vbucketOf } from '../control/vbucket-map.js';

export interface EmbeddedStorageOptions {
  logger?: Logger;
  /** Share metrics with the front end's registry. */
  metrics?: FsMetrics;
  registry?: Registry;
}

/** A repository on the local disk engine; every call goes straight to disk, nothing is cached. */
class EmbeddedRepoStore implements RepoStore {
  readonly fs: { promises: RepoFsPromises };

  constructor(
    readonly name: string,
    private readonly disk: () => Promise<RepoDisk>,
    private readonly metrics: FsMetrics,
  ) {
    const timed = <T>(op: string, fn: (disk: RepoDisk) => Promise<T>): Promise<T> => this.metrics.time(op, 'embedded', async () => fn(await this.disk()));
    const mutate = (m: Mutation) => timed(m.op, (disk) => disk.execute(m)).then(() => undefined);
    const promises: RepoFsPromises = {
      readFile: async (path, options) => {
        if (path === undefined) return probeRejection();
        const encoding = encodingOf(options);
        return timed('readFile', async (disk) => {
          const bytes = await disk.readFile(path);
          this.metrics.moved('read', 'embedded', bytes.length);
          return decode(bytes, encoding);
        });
      },
      writeFile: async (path, data, options) => {
        const bytes = toBytes(data, path);
        this.metrics.moved('written', 'embedded', bytes.length);
        const mode = modeOf(options);
        encodingOf(options);
        return mutate({ op: 'writeFile', path, data: bytes, ...(mode === undefined ? {} : { mode }) });
      },
      mkdir: (path, options) => mutate({ op: 'mkdir', path, recursive: isRecursive(options) }),
      rmdir: (path, options) => (isRecursive(options) ? mutate({ op: 'rm', path, recursive: true, force: false }) : mutate({ op: 'rmdir', path })),
      unlink: (path) => mutate({ op: 'unlink', path }),
      rm: (path, options) => mutate({ op: 'rm', path, ...rmOptions(options) }),
      symlink: (target, path) => mutate({ op: 'symlink', path, target }),
      stat: (path) => timed('stat', async (disk) => toFileStat(await disk.stat(path, true))),
      lstat: (path) => timed('lstat', async (disk) => toFileStat(await disk.stat(path, false))),
      readdir: (path) => timed('readdir', (disk) => disk.readdir(path)),
      readlink: (path) => timed('readlink', (disk) => disk.readlink(path)),
    };
    this.fs = { promises };
  }

  compareAndSwap(ops: SwapOp[]): Promise<boolean> {
    return this.metrics.time('compareAndSwap', 'embedded', async () => (await this.disk()).execute({ op: 'cas', ops }));
  }

  async createExclusive(path: string, data: FileData): Promise<boolean> {
    const bytes = toBytes(data, path);
    return this.metrics.time('createExclusive', 'embedded', async () => (await this.disk()).execute({ op: 'createExclusive', path, data: bytes }));
  }

  readMany(paths: string[]): Promise<(Buffer | null)[]> {
    return this.metrics.time('readMany', 'embedded', async () => (await this.disk()).readMany(paths));
  }

  readRange(path: string, offset: number, length: number): Promise<Buffer> {
    return this.metrics.time('readRange', 'embedded', async () => {
      const bytes = await (await this.disk()).readRange(path, offset, length);
      this.metrics.moved('read', 'embedded', bytes.length);
      return bytes;
    });
  }

  async writePart(path: string, offset: number, data: Uint8Array): Promise<void> {
    const canonical = assertPart(path, offset, data);
    const bytes = toBytes(data, canonical);
    await this.metrics.time('writePart', 'embedded', async () => (await this.disk()).execute({ op: 'part', path: canonical, offset, data: bytes }));
    this.metrics.moved('written', 'embedded', bytes.length);
  }

  async rename(from: string, to: string): Promise<void> {
    const paths = assertRename(from, to);
    await this.metrics.time('rename', 'embedded', async () => (await this.disk()).execute({ op: 'rename', ...paths }));
  }

  async destroy(): Promise<void> {
    await this.metrics.time('destroy', 'embedded', async () => (await this.disk()).execute({ op: 'destroy' }));
  }
}

/**
 * Embedded mode (`npm start`): the durable disk engine in-process, no network. Repositories live
 * under <dataDir>/<vbucket>/<name>/ exactly as on a shard, so a data directory can later be
 * served by a shard process.
 */
export class EmbeddedStorage implements Storage {
  readonly metrics: FsMetrics;
  private readonly engine: Promise<DiskEngine>;

  constructor(dataDir: string, options: EmbeddedStorageOptions = {}) {
    this.metrics = options.metrics ?? new FsMetrics(options.registry === undefined ? {} : { registry: options.registry });
    this.engine = DiskEngine.open(dataDir, { logger: options.logger ?? silentLogger });
    // Surface the error through ready() and each call, not as an unhandled rejection.
    this.engine.catch(() => undefined);
  }

  /** Resolves once the data directory is locked and recovered; rejects if it cannot be. */
  async ready(): Promise<void> {
    await this.engine;
  }

  repo(name: string): RepoStore {
    assertRepoName(name);
    const vb = vbucketOf(name);
    return new EmbeddedRepoStore(name, async () => (await this.engine).repo(vb, name), this.metrics);
  }

  async listRepos(): Promise<string[]> {
    return (await this.engine).listRepos();
  }

  async readiness(): Promise<Readiness> {
    try {
      return { ready: true, detail: `data directory ${(await this.engine).dataDir} open` };
    } catch (err) {
      return { ready: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    const engine = await this.engine.catch(() => null);
    await engine?.close();
  }
}

/** Embedded storage over a data directory; errors opening it surface on first use (or ready()). */
export function createEmbeddedStorage(dataDir: string, options: EmbeddedStorageOptions = {}): EmbeddedStorage {
  return new EmbeddedStorage(dataDir, options);
}

/** Like createEmbeddedStorage, but waits until the data directory is open. */
export async function openEmbeddedStorage(dataDir: string, options: EmbeddedStorageOptions = {}): Promise<EmbeddedStorage> {
  const storage = new EmbeddedStorage(dataDir, options);
  await storage.ready();
  return storage;
}
