import { describe, expect, it } from 'vitest';
import type { RepoStore, Storage, SwapOp } from '../../../fs-service/index.js';
import { createRepoService, type CommitChangesResult, type FileContent, type FolderContent, type RepoService } from '../../../repo-server/domain/index.js';
import { AUTHOR, freshStorage, harness, ok, RecordingEvents, seed } from './helpers/service.js';
import { exportRepo, git } from './helpers/native-git.js';
import { storageFactories, type StorageFactory } from './helpers/storages.js';
import { wrapStore } from './helpers/wrapped-storage.js';

const text = (s: string) => Buffer.from(s);

/**
 * Storage whose next compare-and-swap of a branch first lets `meanwhile` run (a rival front
 * end); `later` queues hooks for the swaps after that, in order (null: no hook for that swap).
 */
class InterleavingStorage implements Storage {
  meanwhile: (() => Promise<void>) | null = null;
  later: ((() => Promise<void>) | null)[] = [];

  constructor(private readonly inner: Storage) {}

  repo(name: string): RepoStore {
    const store = this.inner.repo(name);
    return wrapStore(store, {
      compareAndSwap: async (ops: SwapOp[]) => {
        if (ops.some((op) => op.path.startsWith('/refs/heads/'))) {
          const hook = this.meanwhile;
          this.meanwhile = this.later.shift() ?? null;
          if (hook !== null) await hook();
        }
        return store.compareAndSwap(ops);
      },
    });
  }

  listRepos(): Promise<string[]> {
    return this.inner.listRepos();
  }

  readiness(): ReturnType<Storage['readiness']> {
    return this.inner.readiness();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A service whose next branch swap is preceded by whatever `storage.meanwhile` does through `rival`. */
async function interleaved(factory: StorageFactory) {
  const inner = await freshStorage(factory);
  const storage = new InterleavingStorage(inner);
  const events = new RecordingEvents();
  const service = createRepoService({ storage, events });
  const rival = createRepoService({ storage: inner, events: new RecordingEvents() });
  return { storage, events, service, rival };
}

function write(service: RepoService, path: string, content: string, extra: Partial<Parameters<RepoService['commitChanges']>[1]> = {}): Promise<CommitChangesResult> {
  return service.commitChanges('r', { branch: 'main', message: `write ${path}`, author: AUTHOR, changes: [{ path, content: text(content) }], ...extra });
}

describe.each(storageFactories)('concurrent commits on $name storage', (factory) => {
  it('lands all 50 concurrent commits to different files of one branch, in a linear history', async () => {
    const { service, storage } = await harness(factory);
    const root = await seed(service, 'r', { 'README.md': 'r' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => write(service, `files/f${i}.md`, `content ${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);
    const folder = ok(await service.readPath('r', { path: 'files' })).content as FolderContent;
    expect(folder.entries).toHaveLength(50);
    const dir = await exportRepo(storage.repo('r'));
    git(dir, ['fsck', '--full', '--strict']);
    const log = git(dir, ['rev-list', '--parents', 'main']).trim().split('\n');
    expect(log).toHaveLength(51);
    // Linear: every commit has exactly one parent, except the root.
    expect(log.filter((line) => line.split(' ').length === 2)).toHaveLength(50);
    expect(log.at(-1)).toBe(root.id);
  });

  it('lets exactly 1 of 50 concurrent commits guarded by the same expected blob win', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'shared.md': 'v0' });
    const blob = (ok(await service.readPath('r', { path: 'shared.md' })).content as FileContent).oid;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => write(service, 'shared.md', `v${i + 1}`, { preconditions: [{ path: 'shared.md', expectedBlob: blob }] })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'precondition-failed')).toHaveLength(49);
    expect(ok(await service.history('r')).commits).toHaveLength(2);
  });

  it('lands all commits of two front ends writing different files at once', async () => {
    const { service, secondService } = await harness(factory);
    await seed(service, 'r', { 'README.md': 'r' });
    const other = secondService();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => write(i % 2 === 0 ? service : other, `f${i}.md`, `${i}`)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(ok(await service.history('r', { limit: 100 })).commits).toHaveLength(31);
    const root = ok(await service.readPath('r', {})).content as FolderContent;
    expect(root.entries).toHaveLength(31);
  });

  it('lets exactly one of two front ends win with the same expected blob', async () => {
    const { service, secondService } = await harness(factory);
    await seed(service, 'r', { 'shared.md': 'v0' });
    const other = secondService();
    const blob = (ok(await service.readPath('r', { path: 'shared.md' })).content as FileContent).oid;
    const guard = { preconditions: [{ path: 'shared.md', expectedBlob: blob }] };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => write(i % 2 === 0 ? service : other, 'shared.md', `v${i + 1}`, guard)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'precondition-failed')).toHaveLength(19);
  });

  it('re-applies a change onto a head that moved with other paths, and retries once', async () => {
    const { storage, service, rival } = await interleaved(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A', 'b.md': 'B' });
    storage.meanwhile = async () => void ok(await write(rival, 'b.md', 'B by rival'));
    const mine = ok(await write(service, 'a.md', 'A by me'));
    expect(mine.retries).toBe(1);
    const rivalHead = mine.commit.parents[0]!;
    expect(rivalHead).not.toBe(c1.id);
    const read = async (path: string) => (await (ok(await service.readPath('r', { path })).content as FileContent).bytes()).toString();
    expect([await read('a.md'), await read('b.md')]).toEqual(['A by me', 'B by rival']);
  });

  it('answers conflict when the head moved with a change to the same path', async () => {
    const { storage, service, rival, events } = await interleaved(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    storage.meanwhile = async () => void ok(await write(rival, 'a.md', 'A by rival'));
    const before = events.events.length;
    const mine = await write(service, 'a.md', 'A by me');
    expect(mine).toMatchObject({ ok: false, reason: 'conflict', paths: ['a.md'] });
    expect(events.events.length).toBe(before);
  });

  it('answers precondition-failed (not conflict) when the rival changed the guarded blob', async () => {
    const { storage, service, rival } = await interleaved(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    const blob = (ok(await service.readPath('r', { path: 'a.md' })).content as FileContent).oid;
    storage.meanwhile = async () => void ok(await write(rival, 'a.md', 'A by rival'));
    const mine = await write(service, 'a.md', 'A by me', { preconditions: [{ path: 'a.md', expectedBlob: blob }] });
    expect(mine).toMatchObject({ ok: false, reason: 'precondition-failed', path: 'a.md', expected: blob });
  });

  it('answers stale without retrying when parent was given and the head moved', async () => {
    const { storage, service, rival } = await interleaved(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    let rivalHead = '';
    storage.meanwhile = async () => {
      rivalHead = ok(await write(rival, 'b.md', 'B')).commit.id;
    };
    expect(await write(service, 'a.md', 'A2', { parent: c1.id })).toEqual({ ok: false, reason: 'stale', current: rivalHead });
  });

  it('publishes concurrent commits in groups: fewer ref events than commits, each commit on the previous', async () => {
    const { service, events } = await harness(factory);
    await seed(service, 'r', { 'README.md': 'r' });
    const before = events.events.length;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => write(service, `g${i}.md`, `${i}`, { actor: `writer${i}` })));
    const commits = results.map((r) => ok(r).commit);
    const published = events.events.slice(before);
    expect(published.length).toBeLessThan(20);
    // The 20 commits form one chain (in arrival order, which need not be the order of the calls)...
    const byParent = new Map(commits.map((c) => [c.parents[0], c]));
    const chain = [byParent.get(published[0]!.old!)!];
    while (byParent.has(chain.at(-1)!.id)) chain.push(byParent.get(chain.at(-1)!.id)!);
    expect(chain).toHaveLength(20);
    // ...and the events step along it from the old head to its end, naming every actor once.
    published.slice(1).forEach((e, i) => expect(e.old).toBe(published[i]!.new));
    expect(published.at(-1)!.new).toBe(chain.at(-1)!.id);
    expect(published.flatMap((e) => e.actor.split(', ')).sort()).toEqual(commits.map((_, i) => `writer${i}`).sort());
  });

  it('plans again a request whose failure depended on an unpublished member of its batch', async () => {
    const { storage, service, rival } = await interleaved(factory);
    await seed(service, 'r', { 'y.md': 'y' });
    // The first swap waits, so that A and B queue up behind it as one batch; during the batch's
    // swap the rival deletes y.md. A (write x.md, delete y.md) then conflicts and never lands;
    // B (x.md must not exist) failed only because of A, and must be planned again: it lands.
    storage.meanwhile = () => new Promise((resolve) => setTimeout(resolve, 50));
    storage.later = [async () => void ok(await rival.commitChanges('r', { branch: 'main', message: 'rival', changes: [{ path: 'y.md', delete: true }] }))];
    const first = write(service, 'first.md', '1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const a = service.commitChanges('r', { branch: 'main', message: 'A', changes: [{ path: 'x.md', content: text('A') }, { path: 'y.md', delete: true }] });
    const b = write(service, 'x.md', 'B', { preconditions: [{ path: 'x.md', expectedBlob: null }] });
    ok(await first);
    expect(await a).toMatchObject({ ok: false, reason: 'conflict', paths: ['y.md'] });
    const landed = ok(await b);
    expect(landed.retries).toBe(1);
    const x = ok(await service.readPath('r', { path: 'x.md' })).content as FileContent;
    expect((await x.bytes()).toString()).toBe('B');
  });
});
