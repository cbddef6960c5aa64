import { Volume, createFsFromVolume } from 'memfs';
import { FsError, type FileData, type Readiness, type RepoFsPromises, type RepoStore, type Storage, type SwapOp } from '../contract.js';
import { isNotFound } from './fs-errors.js';
import { assertNoPathBelowAnother, assertPart, assertRange, assertRename } from './path-safety.js';
import { isImmutablePath } from './path-kinds.js';

type MemFs = ReturnType<typeof createFsFromVolume>;


function readOrNull(fs: MemFs, path: string): Buffer | null {
  try {
    return fs.readFileSync(path) as Buffer;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** readMany's view: a folder holds no bytes, so it reads as absent (as on disk). */
function fileOrNull(fs: MemFs, path: string): Buffer | null {
  return isFolder(fs, path) ? null : readOrNull(fs, path);
}

function isFolder(fs: MemFs, path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The disk engine's rule: no folder where the file goes, and no file where a parent folder goes. */
function assertFileCanBePlaced(fs: MemFs, path: string): void {
  if (isFolder(fs, path)) throw new FsError('EISDIR', 'a folder is in the way', path);
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const parent = path.slice(0, cut);
    let stats;
    try {
      stats = fs.statSync(parent);
    } catch {
      continue;
    }
    if (!stats.isDirectory()) throw new FsError('ENOTDIR', `"${parent}" is a file, not a folder`, path);
    return;
  }
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

function writeWithParents(fs: MemFs, path: string, data: FileData): void {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path, data);
}

/** One repository held in its own memfs volume. memfs is synchronous, so a swap is atomic. */
class MemoryRepoStore implements RepoStore {
  readonly fs: { promises: RepoFsPromises };

  constructor(
    readonly name: string,
    private readonly vol: InstanceType<typeof Volume>,
    private readonly mem: MemFs,
  ) {
    this.fs = { promises: mem.promises as unknown as RepoFsPromises };
  }

  async compareAndSwap(ops: SwapOp[]): Promise<boolean> {
    assertNoPathBelowAnother(ops.map((op) => op.path));
    for (const op of ops) {
      if (!sameBytes(readOrNull(this.mem, op.path), op.expected)) return false;
    }
    for (const op of ops) if (op.next !== null) assertFileCanBePlaced(this.mem, op.path);
    for (const op of ops) {
      if (op.next === null) {
        if (op.expected !== null) this.mem.unlinkSync(op.path);
      } else {
        writeWithParents(this.mem, op.path, op.next);
      }
    }
    return true;
  }

  async createExclusive(path: string, data: FileData): Promise<boolean> {
    if (readOrNull(this.mem, path) !== null) return false;
    writeWithParents(this.mem, path, data);
    return true;
  }

  async readRange(path: string, offset: number, length: number): Promise<Buffer> {
    assertRange(offset, length);
    const bytes = this.mem.readFileSync(path) as Buffer;
    return Buffer.from(bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)));
  }

  async writePart(path: string, offset: number, data: Uint8Array): Promise<void> {
    const canonical = assertPart(path, offset, data);
    assertFileCanBePlaced(this.mem, canonical);
    const dir = canonical.slice(0, canonical.lastIndexOf('/')) || '/';
    this.mem.mkdirSync(dir, { recursive: true });
    const fd = this.mem.openSync(canonical, readOrNull(this.mem, canonical) === null ? 'w' : 'r+');
    try {
      this.mem.writeSync(fd, data, 0, data.length, offset);
    } finally {
      this.mem.closeSync(fd);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const paths = assertRename(from, to);
    if (isFolder(this.mem, paths.from) || readOrNull(this.mem, paths.from) === null) throw new FsError('ENOENT', 'no such file', paths.from);
    if (isImmutablePath(paths.to) && readOrNull(this.mem, paths.to) !== null) {
      this.mem.unlinkSync(paths.from);
      return;
    }
    assertFileCanBePlaced(this.mem, paths.to);
    this.mem.mkdirSync(paths.to.slice(0, paths.to.lastIndexOf('/')) || '/', { recursive: true });
    this.mem.renameSync(paths.from, paths.to);
  }

  async readMany(paths: string[]): Promise<(Buffer | null)[]> {
    return paths.map((p) => fileOrNull(this.mem, p));
  }

  async destroy(): Promise<void> {
    this.vol.reset();
  }

  isEmpty(): boolean {
    return Object.keys(this.vol.toJSON()).length === 0;
  }
}

/** Backend for unit tests: every repository in memory, nothing durable. */
export class MemoryStorage implements Storage {
  private readonly repos = new Map<string, MemoryRepoStore>();

  repo(name: string): RepoStore {
    let store = this.repos.get(name);
    if (store === undefined) {
      const vol = new Volume();
      store = new MemoryRepoStore(name, vol, createFsFromVolume(vol));
      this.repos.set(name, store);
    }
    return store;
  }

  async listRepos(): Promise<string[]> {
    return [...this.repos.entries()]
      .filter(([, store]) => !store.isEmpty())
      .map(([name]) => name)
      .sort();
  }

  async readiness(): Promise<Readiness> {
    return { ready: true, detail: 'in memory' };
  }

  async close(): Promise<void> {
    this.repos.clear();
  }
}
