import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedStorage, openEmbeddedStorage, vbucketOf, type EmbeddedStorage, type RepoStore } from '../../fs-service/index.js';
import { vbucketDirName } from '../../fs-service/control/vbucket-map.js';

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-embedded-'));
  roots.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('embedded disk engine', () => {
  let dataDir: string;
  let storage: EmbeddedStorage;
  let repo: RepoStore;

  beforeEach(async () => {
    dataDir = freshDir();
    storage = await openEmbeddedStorage(dataDir);
    repo = storage.repo('books');
  });
  afterEach(async () => {
    await storage.close();
  });

  it('stores a repository under <dataDir>/<vbucket>/<name>', async () => {
    await repo.fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n', 'utf8');
    expect(readdirSync(join(dataDir, vbucketDirName(vbucketOf('books')), 'books'))).toEqual(['HEAD']);
  });

  it('answers with the Node error codes isomorphic-git relies on', async () => {
    const fs = repo.fs.promises;
    await fs.mkdir('/refs');
    await fs.writeFile('/refs/file', 'x');
    expect(await codeOf(fs.readFile('/missing'))).toBe('ENOENT');
    expect(await codeOf(fs.readFile('/refs/file/below'))).toBe('ENOTDIR');
    expect(await codeOf(fs.readFile('/refs'))).toBe('EISDIR');
    expect(await codeOf(fs.mkdir('/refs'))).toBe('EEXIST');
    expect(await codeOf(fs.mkdir('/a/b'))).toBe('ENOENT');
    expect(await codeOf(fs.rmdir('/refs'))).toBe('ENOTEMPTY');
    expect(await codeOf(fs.unlink('/refs'))).toBe('EISDIR');
    expect(await codeOf(fs.readdir('/refs/file'))).toBe('ENOTDIR');
    expect(await codeOf(fs.stat('/nope'))).toBe('ENOENT');
    expect(await codeOf(fs.readlink('/refs/file'))).toBe('EINVAL');
    expect(await codeOf((fs.readFile as (p?: string) => Promise<unknown>)())).toBe('EINVAL');
  });

  it('treats the repository root as an existing, empty folder before the first write', async () => {
    const fs = storage.repo('empty').fs.promises;
    expect((await fs.stat('/')).isDirectory()).toBe(true);
    expect(await fs.readdir('/')).toEqual([]);
    expect(await storage.listRepos()).toEqual([]);
  });

  it('writes create missing parent folders and readdir is sorted', async () => {
    const fs = repo.fs.promises;
    for (const name of ['b', 'A', '_', 'a']) await fs.writeFile(`/objects/ab/${name}`, name);
    expect(await fs.readdir('/objects/ab')).toEqual(['A', '_', 'a', 'b']);
    expect((await fs.stat('/objects/ab/a')).isFile()).toBe(true);
    expect(await fs.readFile('/objects/ab/a', { encoding: 'utf8' })).toBe('a');
  });

  it('readMany returns small and large files whole, null for missing ones and for a folder (no file there), and refuses the root', async () => {
    const small = Buffer.from('small\n');
    const large = Buffer.alloc(300 * 1024, 'large file ');
    await repo.fs.promises.writeFile('/batch/small', small);
    await repo.fs.promises.writeFile('/batch/large', large);
    await repo.fs.promises.writeFile('/batch/empty', Buffer.alloc(0));
    expect(await repo.readMany(['/batch/small', '/batch/large', '/batch/missing', '/batch/small/below', '/batch/empty'])).toEqual([small, large, null, null, Buffer.alloc(0)]);
    expect(await repo.readMany(['/batch'])).toEqual([null]);
    await expect(repo.readMany(['/'])).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('compareAndSwap refuses a file where a folder is, below a file, or beside its own folder, before changing anything', async () => {
    const value = Buffer.from('1'.repeat(40) + '\n');
    await repo.compareAndSwap([{ path: '/refs/heads/main', expected: null, next: value }]);
    await repo.compareAndSwap([{ path: '/refs/heads/drafts/ch1', expected: null, next: value }]);
    const snapshot = async () => repo.readMany(['/refs/heads/main', '/refs/heads/drafts/ch1', '/refs/heads/other', '/log']);
    const before = await snapshot();
    const other = { path: '/refs/heads/other', expected: null, next: value };
    const log = { path: '/log', expected: null, next: value };
    expect(await codeOf(repo.compareAndSwap([other, { path: '/refs/heads/main/sub', expected: null, next: value }, log]))).toBe('ENOTDIR');
    expect(await codeOf(repo.compareAndSwap([other, { path: '/refs/heads/drafts', expected: null, next: value }, log]))).toBe('EISDIR');
    expect(await codeOf(repo.compareAndSwap([other, { path: '/refs/heads/new', expected: null, next: value }, { path: '/refs/heads/new/x', expected: null, next: value }]))).toBe('EINVAL');
    expect(await snapshot()).toEqual(before);
    expect(readdirSync(join(dataDir, '.tmp'))).toEqual([]);
    expect(readdirSync(join(dataDir, '.journal'))).toEqual([]);
  });

  it('readMany never sees half of a compareAndSwap that is being written', async () => {
    const value = (n: number) => Buffer.from(`${n}\n`);
    await repo.compareAndSwap([
      { path: '/events/seq', expected: null, next: value(0) },
      { path: '/events/mirror', expected: null, next: value(0) },
    ]);
    let writing = true;
    const mixed: string[] = [];
    const reader = (async () => {
      for (let reads = 0; writing && reads < 20_000; reads++) {
        const [a, b] = await repo.readMany(['/events/seq', '/events/mirror']);
        if (!a!.equals(b!)) mixed.push(`${a} / ${b}`);
        // Reads of cached small files may finish without any I/O: let the writer's I/O in.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let n = 1; n <= 40; n++) {
      const ok = await repo.compareAndSwap([
        { path: '/events/seq', expected: value(n - 1), next: value(n) },
        { path: '/events/mirror', expected: value(n - 1), next: value(n) },
      ]);
      expect(ok).toBe(true);
    }
    writing = false;
    await reader;
    expect(mixed).toEqual([]);
  });

  it('compareAndSwap is all-or-nothing and createExclusive refuses an existing file', async () => {
    const a = Buffer.from('a'.repeat(40) + '\n');
    const b = Buffer.from('b'.repeat(40) + '\n');
    expect(await repo.compareAndSwap([{ path: '/refs/heads/main', expected: null, next: a }])).toBe(true);
    expect(
      await repo.compareAndSwap([
        { path: '/refs/heads/main', expected: a, next: b },
        { path: '/refs/heads/other', expected: a, next: b },
      ]),
    ).toBe(false);
    expect(await repo.readMany(['/refs/heads/main', '/refs/heads/other'])).toEqual([a, null]);
    expect(
      await repo.compareAndSwap([
        { path: '/refs/heads/main', expected: a, next: null },
        { path: '/refs/heads/other', expected: null, next: b },
      ]),
    ).toBe(true);
    expect(await repo.readMany(['/refs/heads/main', '/refs/heads/other'])).toEqual([null, b]);
    expect(await repo.createExclusive('/objects/lock', 'one')).toBe(true);
    expect(await repo.createExclusive('/objects/lock', 'two')).toBe(false);
    expect(await repo.fs.promises.readFile('/objects/lock', 'utf8')).toBe('one');
  });

  it('serializes compare-and-swap per repository: 8 writers x 25 increments, none lost', async () => {
    const writer = async () => {
      for (let done = 0; done < 25; ) {
        const [current] = await repo.readMany(['/counter']);
        const value = current === null ? 0 : Number(current.toString());
        if (await repo.compareAndSwap([{ path: '/counter', expected: current, next: Buffer.from(String(value + 1)) }])) done++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    expect(await repo.fs.promises.readFile('/counter', 'utf8')).toBe('200');
  });

  it('destroy removes every file and the repository leaves listRepos', async () => {
    await repo.fs.promises.writeFile('/HEAD', 'x');
    await storage.repo('other').fs.promises.writeFile('/HEAD', 'y');
    expect(await storage.listRepos()).toEqual(['books', 'other']);
    await repo.destroy();
    expect(await storage.listRepos()).toEqual(['other']);
    expect(await codeOf(repo.fs.promises.readFile('/HEAD'))).toBe('ENOENT');
  });

  it('keeps data across reopen and refuses a second open of the same data directory', async () => {
    await git.init({ fs: repo.fs, gitdir: '/', bare: true, defaultBranch: 'main' });
    const oid = await git.writeBlob({ fs: repo.fs, gitdir: '/', blob: Buffer.from('kept') });
    expect(await codeOf(openEmbeddedStorage(dataDir))).not.toBe('resolved');
    await storage.close();
    storage = await openEmbeddedStorage(dataDir);
    const { blob } = await git.readBlob({ fs: storage.repo('books').fs, gitdir: '/', oid });
    expect(Buffer.from(blob).toString()).toBe('kept');
  });

  it('rolls an interrupted multi-file swap forward on open', async () => {
    await storage.close();
    const repoDir = join(dataDir, vbucketDirName(vbucketOf('books')), 'books');
    mkdirSync(join(repoDir, 'refs/heads'), { recursive: true });
    writeFileSync(join(repoDir, 'refs/heads/gone'), 'old');
    // The state a crash leaves between "journal durable" and "renames done".
    writeFileSync(join(dataDir, '.tmp', 'pending'), 'new value');
    const entries = [{ target: join(repoDir, 'refs/heads/main'), temp: join(dataDir, '.tmp', 'pending') }, { target: join(repoDir, 'refs/heads/gone') }];
    writeFileSync(join(dataDir, '.journal', '1-x.json'), JSON.stringify(entries));
    storage = await openEmbeddedStorage(dataDir);
    const store = storage.repo('books');
    expect(await store.readMany(['/refs/heads/main', '/refs/heads/gone'])).toEqual([Buffer.from('new value'), null]);
    expect(readdirSync(join(dataDir, '.journal'))).toEqual([]);
    expect(readdirSync(join(dataDir, '.tmp'))).toEqual([]);
  });

  it('records per-operation metrics in a prom-client registry', async () => {
    await repo.fs.promises.writeFile('/HEAD', 'x');
    await repo.fs.promises.readFile('/HEAD');
    const text = await storage.metrics.registry.metrics();
    expect(text).toMatch(/fs_service_operations_total\{op="readFile",role="embedded",outcome="ok"\} 1/);
    expect(text).toMatch(/fs_service_operation_duration_seconds_count\{op="writeFile",role="embedded"\} 1/);
    expect(text).toMatch(/fs_service_bytes_total\{direction="written",role="embedded"\} 1/);
  });
});

describe('createEmbeddedStorage', () => {
  it('reports an unusable data directory through ready() and every call', async () => {
    const file = join(freshDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const storage = createEmbeddedStorage(file);
    await expect(storage.ready()).rejects.toThrow();
    await expect(storage.listRepos()).rejects.toThrow();
    await storage.close();
  });
});
