import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepoService, type RepoService } from '../../../repo-server/domain/index.js';
import { exportRepo, git } from './helpers/native-git.js';
import { commitFiles, harness, ok, RecordingEvents, seed, TickingClock } from './helpers/service.js';
import { storageFactories } from './helpers/storages.js';
import { decodeCursor, encodeCursor } from '../../../repo-server/domain/history.js';

/** A history with a branch, a merge and changes to a few paths. */
async function build(service: RepoService) {
  await seed(service, 'r', { 'a.md': 'a0', 'docs/x.md': 'x0' });
  ok(await service.createBranch('r', 'side', { from: 'main' }));
  for (let i = 1; i <= 4; i++) {
    await commitFiles(service, 'r', 'main', { 'a.md': `a${i}` }, `main ${i}`);
    await commitFiles(service, 'r', 'side', { [`docs/s${i}.md`]: `s${i}` }, `side ${i}`);
  }
  ok(await service.merge('r', { base: 'main', head: 'side' }));
  await commitFiles(service, 'r', 'main', { 'docs/x.md': 'x1' }, 'after merge');
}

async function allPages(service: RepoService, input: { path?: string; limit: number }): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = ok(await service.history('r', { ...input, ...(cursor === undefined ? {} : { cursor }) }));
    ids.push(...page.commits.map((c) => c.id));
    if (page.next === null) return ids;
    cursor = page.next;
  }
}

describe.each(storageFactories)('history on $name storage', (factory) => {
  // The read-only tests share one history (built once: commits are the slow part).
  let shared: { service: RepoService; dir: string; dispose(): Promise<void> };
  beforeAll(async () => {
    const handle = await factory.create();
    const service = createRepoService({ storage: handle.storage, events: new RecordingEvents(), now: new TickingClock().now });
    await build(service);
    const dir = await exportRepo(handle.storage.repo('r'), true);
    const dispose = async () => {
      await handle.dispose();
      rmSync(dir, { recursive: true, force: true });
    };
    shared = { service, dir, dispose };
  });
  afterAll(() => shared.dispose());

  it('lists commits newest first, as git log does', async () => {
    const { service, dir } = shared;
    const page = ok(await service.history('r', { limit: 100 }));
    expect(page.commits.map((c) => c.id)).toEqual(git(dir, ['log', '--format=%H', 'main']).trim().split('\n'));
    expect(page.next).toBeNull();
    expect(page.commits[0]!.message).toBe('after merge\n');
  });

  it.each(['a.md', 'docs', 'docs/x.md', 'docs/s2.md', 'never.md'])('filters by path %s as git log -- path does', async (path) => {
    const { service, dir } = shared;
    const page = ok(await service.history('r', { path, limit: 100 }));
    const expected = git(dir, ['log', '--format=%H', 'main', '--', path]).trim();
    expect(page.commits.map((c) => c.id)).toEqual(expected === '' ? [] : expected.split('\n'));
  });

  it('paginates with a cursor; the pages add up to the whole history', async () => {
    const { service } = shared;
    const whole = ok(await service.history('r', { limit: 100 })).commits.map((c) => c.id);
    expect(await allPages(service, { limit: 3 })).toEqual(whole);
    const first = ok(await service.history('r', { limit: 3 }));
    // The cursor says where the walk stopped: the next commit first.
    expect(decodeCursor(first.next as string)?.first).toBe(whole[3]);
    const wholeDocs = ok(await service.history('r', { path: 'docs', limit: 100 })).commits.map((c) => c.id);
    expect(await allPages(service, { path: 'docs', limit: 2 })).toEqual(wholeDocs);
  });

  it('starts at another ref', async () => {
    const { service, dir } = shared;
    expect(ok(await service.history('r', { ref: 'side' })).commits.map((c) => c.id)).toEqual(git(dir, ['log', '--format=%H', 'side']).trim().split('\n'));
  });

  it('refuses bad limits, cursors and paths, and answers not-found for unknown refs and cursors', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'a' });
    expect(await service.history('r', { limit: 0 })).toMatchObject({ reason: 'invalid', what: 'limit' });
    expect(await service.history('r', { limit: 101 })).toMatchObject({ reason: 'invalid', what: 'limit' });
    expect(await service.history('r', { cursor: 'abc' })).toMatchObject({ reason: 'invalid', what: 'cursor' });
    expect(await service.history('r', { path: '../x' })).toMatchObject({ reason: 'invalid', what: 'path' });
    expect(await service.history('r', { ref: 'nope' })).toMatchObject({ reason: 'not-found', what: 'ref' });
    expect(await service.history('r', { cursor: 'f'.repeat(40) })).toMatchObject({ reason: 'invalid', what: 'cursor' });
    expect(await service.history('r', { cursor: encodeCursor({ first: 'f'.repeat(40), frontier: [], seen: [] }) })).toMatchObject({ reason: 'not-found', what: 'cursor' });
  });

  it('reads one commit by full or abbreviated id, and nothing else', async () => {
    const { service, storage } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'a' });
    const full = ok(await service.getCommit('r', c1.id)).commit;
    expect(full).toEqual(c1);
    expect(ok(await service.getCommit('r', c1.id.slice(0, 6))).commit.id).toBe(c1.id);
    const dir = await exportRepo(storage.repo('r'));
    expect(git(dir, ['show', '-s', '--format=%an <%ae> %at%n%s', c1.id]).trim()).toBe(`${c1.author.name} <${c1.author.email}> ${c1.author.timestamp}\nseed`);
    expect(await service.getCommit('r', c1.tree)).toEqual({ ok: false, reason: 'not-found', what: 'commit', name: c1.tree });
    expect(await service.getCommit('r', 'f'.repeat(40))).toMatchObject({ reason: 'not-found', what: 'commit' });
    expect(await service.getCommit('r', 'main')).toMatchObject({ reason: 'invalid', what: 'commit-id' });
  });
});
