import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { mkdirsDurable, syncDir } from './durable-write.js';
import { hasCode, isNotFound } from './fs-errors.js';
import { KeyedLock } from './keyed-lock.js';
import { livePid } from '../common/pid-file.js';
import { silentLogger } from '../common/logging.js';
import { assertRepoName, parseRepoPath } from './path-safety.js';
import { isImmutablePath } from './path-kinds.js';
import { replayJournalEntries, RepoDisk, type DiskContext, type JournalEntry } from './repo-disk.js';
import { VBUCKETS, vbucketDirName } from '../control/vbucket-map.js';

/** One file or folder of a vbucket, as compared during catch-up. */
export interface ManifestEntry {
  /** "<repo>/<path inside the repo>" */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mode: number;
  /** sha1 of the content; omitted for content-addressed files, whose name is their hash. */
  hash?: string;
  target?: string;
}

const openDirs = new Set<string>();

/**
 * The durable storage engine: owns a data directory laid out as <dataDir>/<vbucket>/<repo>/...
 * plus private folders for temp files (.tmp), multi-file swap journals (.journal) and
 * destroyed repositories on their way out (.trash). Embedded mode and shard processes both use
 * it; only one engine may hold a data directory at a time (.lock).
 */
export class DiskEngine {
  private readonly ctx: DiskContext;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    private readonly lockFile: string,
    private readonly logger: Logger,
  ) {
    this.ctx = {
      dataDir,
      tmpDir: join(dataDir, '.tmp'),
      journalDir: join(dataDir, '.journal'),
      trashDir: join(dataDir, '.trash'),
      locks: new KeyedLock(),
    };
  }

  static async open(dataDir: string, options: { logger?: Logger } = {}): Promise<DiskEngine> {
    const logger = options.logger ?? silentLogger;
    await fsp.mkdir(dataDir, { recursive: true });
    const real = await fsp.realpath(dataDir);
    if (openDirs.has(real)) throw new Error(`data directory ${real} is already open in this process`);
    const lockFile = join(real, '.lock');
    await takeDirLock(lockFile);
    openDirs.add(real);
    const engine = new DiskEngine(real, lockFile, logger);
    try {
      await engine.recover();
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  /** Finishes interrupted swaps, then drops temp files and trash a crash left behind. */
  private async recover(): Promise<void> {
    const { tmpDir, journalDir, trashDir } = this.ctx;
    for (const dir of [tmpDir, journalDir, trashDir]) await fsp.mkdir(dir, { recursive: true });
    for (const name of (await fsp.readdir(journalDir)).sort()) {
      const file = join(journalDir, name);
      let entries: JournalEntry[];
      try {
        entries = JSON.parse(await fsp.readFile(file, 'utf8')) as JournalEntry[];
      } catch {
        // A journal that never became durable belongs to a swap that never started.
        await fsp.rm(file, { force: true });
        continue;
      }
      this.logger.warn({ journal: name, entries: entries.length }, 'replaying an interrupted compare-and-swap');
      await replayJournalEntries(entries, this.dataDir);
      await fsp.rm(file, { force: true });
    }
    await syncDir(journalDir);
    for (const dir of [tmpDir, trashDir]) {
      for (const name of await fsp.readdir(dir)) await fsp.rm(join(dir, name), { recursive: true, force: true });
    }
  }

  repo(vb: number, name: string): RepoDisk {
    assertRepoName(name);
    return new RepoDisk(this.ctx, this.vbDir(vb), name);
  }

  vbDir(vb: number): string {
    if (!Number.isInteger(vb) || vb < 0 || vb >= VBUCKETS) throw new RangeError(`vbucket ${vb} out of range`);
    return join(this.dataDir, vbucketDirName(vb));
  }

  /** Repositories with at least one file, in the given vbuckets (all by default), sorted. */
  async listRepos(vbs?: readonly number[]): Promise<string[]> {
    const names = new Set<string>();
    for (const vb of vbs ?? Array.from({ length: VBUCKETS }, (_, i) => i)) {
      let entries: string[];
      try {
        entries = await fsp.readdir(this.vbDir(vb));
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      for (const name of entries) if (await containsFile(join(this.vbDir(vb), name))) names.add(name);
    }
    return [...names].sort();
  }

  /** Every entry of a vbucket, parents before children. */
  async manifest(vb: number): Promise<ManifestEntry[]> {
    const out: ManifestEntry[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let names: string[];
      try {
        names = (await fsp.readdir(dir)).sort();
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      for (const name of names) {
        const full = join(dir, name);
        const path = rel === '' ? name : `${rel}/${name}`;
        const stats = await fsp.lstat(full).catch(() => null);
        if (stats === null) continue;
        if (stats.isDirectory()) {
          out.push({ path, type: 'dir', size: 0, mode: stats.mode & 0o777 });
          await walk(full, path);
        } else if (stats.isSymbolicLink()) {
          out.push({ path, type: 'symlink', size: 0, mode: 0, target: await fsp.readlink(full) });
        } else {
          const entry: ManifestEntry = { path, type: 'file', size: stats.size, mode: stats.mode & 0o777 };
          if (!isImmutablePath(repoPathOf(path))) entry.hash = await hashFile(full);
          out.push(entry);
        }
      }
    };
    await walk(this.vbDir(vb), '');
    return out;
  }

  /** Forgets a vbucket this engine no longer holds. */
  async dropVbucket(vb: number): Promise<void> {
    const trash = join(this.ctx.trashDir, `vb-${vbucketDirName(vb)}-${randomBytes(6).toString('hex')}`);
    try {
      await fsp.rename(this.vbDir(vb), trash);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return;
      throw err;
    }
    await syncDir(this.dataDir);
    await fsp.rm(trash, { recursive: true, force: true });
  }

  async ensureDir(dir: string): Promise<void> {
    await mkdirsDurable(dir, this.dataDir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    openDirs.delete(this.dataDir);
    await fsp.rm(this.lockFile, { force: true });
  }
}

export function splitManifestPath(path: string): [string, string] {
  const slash = path.indexOf('/');
  const repo = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '/' : path.slice(slash);
  parseRepoPath(rest);
  return [assertRepoName(repo), rest];
}

function repoPathOf(manifestPath: string): string {
  const slash = manifestPath.indexOf('/');
  return slash < 0 ? '/' : manifestPath.slice(slash);
}

/** Streamed: a file assembled in parts may be gigabytes. */
async function hashFile(full: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function containsFile(dir: string): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) return true;
  }
  for (const entry of entries) if (await containsFile(join(dir, entry.name))) return true;
  return false;
}

/**
 * A pid file: a second process on the same data directory would corrupt it. A lock whose pid is
 * gone, or now names a process younger than the lock (pid reuse), is stale and taken over.
 */
async function takeDirLock(lockFile: string): Promise<void> {
  try {
    await fsp.writeFile(lockFile, String(process.pid), { flag: 'wx' });
    return;
  } catch (err) {
    if (!hasCode(err, 'EEXIST')) throw err;
  }
  const owner = livePid(lockFile);
  if (owner !== null && owner !== process.pid) {
    throw new Error(`data directory is in use by process ${owner} (${lockFile})`);
  }
  await fsp.writeFile(lockFile, String(process.pid));
}
