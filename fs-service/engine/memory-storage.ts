import { Volume, createFsFromVolume } from 'memfs';
import type { FileData, RepoFsPromises, RepoStore, Storage, SwapOp } from '../contract.js';

type MemFs = ReturnType<typeof createFsFromVolume>;

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ENOENT';
}

function readOrNull(fs: MemFs, path: string): Buffer | null {
  try {
    return fs.readFileSync(path) as Buffer;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
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
    for (const op of ops) {
      if (!sameBytes(readOrNull(this.mem, op.path), op.expected)) return false;
    }
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

  async readMany(paths: string[]): Promise<(Buffer | null)[]> {
    return paths.map((p) => readOrNull(this.mem, p));
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

  async close(): Promise<void> {
    this.repos.clear();
  }
}
