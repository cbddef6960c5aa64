/**
 * One memory budget for git data: REST reads and git clients go through the same object store and
 * its one cache, so a pack read by both is held once (each block read from storage once, the
 * cache's own counters holding one pack's worth), and however much is read, the cache never
 * holds more than its budget.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RepoStore, type Storage } from '../../../fs-service/index.js';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { GitCache, ObjectStores } from '../../../repo-server/git/index.js';
import { startApi, type ApiHarness } from '../api/helpers/harness.js';
import { GitSandbox } from '../git-http/helpers/git-client.js';
import { commitFiles } from '../git-http/helpers/local-repo.js';

const MiB = 1024 * 1024;

/** A storage that counts the part reads of each pack block (path and offset). */
function countingRanges(inner: Storage): { storage: Storage; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const wrap = (store: RepoStore): RepoStore =>
    Object.assign(Object.create(store) as RepoStore, {
      readRange: (path: string, offset: number, length: number) => {
        const key = `${path}@${offset}`;
        reads.set(key, (reads.get(key) ?? 0) + 1);
        return store.readRange(path, offset, length);
      },
    });
  return { storage: { repo: (name) => wrap(inner.repo(name)), listRepos: () => inner.listRepos(), readiness: () => inner.readiness(), close: () => inner.close() }, reads };
}

async function bookWithImages(api: ApiHarness, sb: GitSandbox): Promise<Record<string, Buffer>> {
  expect((await api.client.put('/repos/big').set('Content-Type', 'application/json').send({})).status).toBe(201);
  await sb.ok(['init', '-q', '-b', 'main', sb.path('work')]);
  // Incompressible, so the pack is as large as the files: about 8 MiB.
  const files: Record<string, Buffer> = { 'book.md': Buffer.from('# Book\n') };
  for (let i = 0; i < 32; i++) files[`img/${i}.bin`] = randomBytes(256 * 1024);
  await commitFiles(sb, sb.path('work'), files, 'images');
  await sb.ok(['push', '-q', `${api.url}/big.git`, 'main'], { cwd: sb.path('work') });
  return files;
}

describe('REST and git read one pack through one cache', () => {
  const counted = countingRanges(new MemoryStorage());
  const cache = new GitCache(64 * MiB);
  let api: ApiHarness;
  let sb: GitSandbox;
  let files: Record<string, Buffer>;

  beforeAll(async () => {
    api = await startApi({ storage: counted.storage, objects: new ObjectStores(counted.storage, cache) });
    sb = new GitSandbox();
    files = await bookWithImages(api, sb);
  });
  afterAll(async () => {
    await api.close();
    sb.cleanup();
  });

  it('each block of the pack is read from storage once, whichever door asked, and held once', async () => {
    for (const path of Object.keys(files)) expect((await api.client.get(`/repos/big/contents/${path}`)).status).toBe(200);
    const afterRest = cache.counters();
    // A shallow clone walks the objects (not the whole-repository copy) through the same store.
    await sb.ok(['clone', '-q', '--depth', '1', `${api.url}/big.git`, 'shallow']);
    const afterGit = cache.counters();
    expect(afterGit.pack.hits).toBeGreaterThan(afterRest.pack.hits);
    expect(afterGit.pack.entries).toBe(afterRest.pack.entries);
    expect([...counted.reads.values()].every((n) => n === 1)).toBe(true);
    // One pack's worth of blocks: the pack is about 8 MiB, in 1 MiB blocks.
    expect(afterGit.pack.bytes).toBeGreaterThan(7 * MiB);
    expect(afterGit.pack.bytes).toBeLessThan(10 * MiB);
  });
});

describe('a cache smaller than the pack', () => {
  const storage = new MemoryStorage();
  const budget = 3 * MiB;
  const cache = new GitCache(budget);
  let api: ApiHarness;
  let sb: GitSandbox;
  let files: Record<string, Buffer>;

  beforeAll(async () => {
    api = await startApi({ storage, objects: new ObjectStores(storage, cache) });
    sb = new GitSandbox();
    files = await bookWithImages(api, sb);
  });
  afterAll(async () => {
    await api.close();
    sb.cleanup();
  });

  it('never holds more than its budget while every file is read through REST and the repository is cloned', async () => {
    let peak = 0;
    for (const [path, bytes] of Object.entries(files)) {
      const res = await api.client.get(`/repos/big/contents/${path}`);
      expect(res.status).toBe(200);
      expect(Number(res.headers['content-length'])).toBe(bytes.length);
      peak = Math.max(peak, cache.bytes);
    }
    await sb.ok(['clone', '-q', `${api.url}/big.git`, 'full']);
    await sb.ok(['clone', '-q', '--depth', '1', `${api.url}/big.git`, 'shallow']);
    peak = Math.max(peak, cache.bytes);
    const kinds = Object.values(cache.counters());
    expect(kinds.reduce((n, c) => n + c.bytes, 0)).toBe(cache.bytes);
    expect(peak).toBeLessThanOrEqual(budget);
    expect(cache.bytes).toBeLessThanOrEqual(budget);
    const fsck = await sb.git(['fsck', '--full'], { cwd: sb.path('full') });
    expect(fsck.code, fsck.stderr).toBe(0);
  });
});
