import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoStore, Storage } from '../../../fs-service/index.js';
import { applyRefUpdates } from '../../../repo-server/git/refs/ref-update.js';
import { GitSandbox, tearDown } from './helpers/git-client.js';
import { commitFiles, fsckClean } from './helpers/local-repo.js';
import { openGitWorld } from './helpers/git-world.js';
import type { TestServer } from './helpers/server.js';
import { serverRef } from './helpers/server-repo.js';
import { STORAGES } from './helpers/storages.js';

const cases = STORAGES.flatMap((s) => ['2', '0'].map((v) => ({ storage: s, version: v })));

describe.each(cases)('push over $storage.name storage, protocol.version=$version', ({ storage: factory, version }) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let server: TestServer;
  let store: RepoStore;
  let sb: GitSandbox;
  let url: string;
  const proto = ['-c', `protocol.version=${version}`];
  const git = (dir: string, args: string[]): Promise<string> => sb.ok([...proto, ...args], { cwd: sb.path(dir) });
  const gitTry = (dir: string, args: string[]) => sb.git([...proto, ...args], { cwd: sb.path(dir) });
  const head = async (dir: string, rev = 'HEAD'): Promise<string> => (await git(dir, ['rev-parse', rev])).trim();

  beforeAll(async () => {
    ({ storage, dispose, server, sb, store, url } = await openGitWorld(factory, 'pushed'));
    // An empty repository first: the clone of nothing, then the first push creates main.
    await sb.ok([...proto, 'clone', '-q', url, 'a']);
    await commitFiles(sb, sb.path('a'), { 'README.md': 'hello\n' }, 'initial');
    await git('a', ['push', '-q', 'origin', 'main']);
    await sb.ok([...proto, 'clone', '-q', url, 'b']);
  });

  afterAll(() => tearDown({ server, sb, dispose }));

  it('pushes a new branch, then fast-forwards it', async () => {
    await git('a', ['checkout', '-q', '-b', 'topic']);
    const c1 = await commitFiles(sb, sb.path('a'), { 'topic.md': 'one\n' }, 'topic 1');
    await git('a', ['push', '-q', '-u', 'origin', 'topic']);
    expect(await serverRef(store, 'refs/heads/topic')).toBe(c1);
    const c2 = await commitFiles(sb, sb.path('a'), { 'topic.md': 'two\n' }, 'topic 2');
    await git('a', ['push', '-q']);
    expect(await serverRef(store, 'refs/heads/topic')).toBe(c2);
    const ev = server.events.filter((e) => e.ref === 'refs/heads/topic');
    expect(ev.map((e) => [e.old, e.new, e.via])).toEqual([
      [null, c1, 'git'],
      [c1, c2, 'git'],
    ]);
  });

  it('accepts a force push on an unprotected branch', async () => {
    await git('a', ['reset', '-q', '--hard', 'HEAD~1']);
    const c3 = await commitFiles(sb, sb.path('a'), { 'topic.md': 'rewritten\n' }, 'topic rewritten');
    const plain = await gitTry('a', ['push', 'origin', 'topic']);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/non-fast-forward|fetch first/);
    await git('a', ['push', '-q', '--force', 'origin', 'topic']);
    expect(await serverRef(store, 'refs/heads/topic')).toBe(c3);
  });

  it('refuses a non-fast-forward on a protected branch, keeps the ref', async () => {
    server.protectedBranches.set('pushed', ['main']);
    try {
      await git('b', ['pull', '-q', '--ff-only']);
      const before = await serverRef(store, 'refs/heads/main');
      await commitFiles(sb, sb.path('b'), { 'README.md': 'amended\n' }, 'rewrite');
      await git('b', ['reset', '-q', '--soft', 'HEAD~1']);
      await git('b', ['commit', '-q', '--amend', '-m', 'amended history']);
      const r = await gitTry('b', ['push', '--force', 'origin', 'main']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('remote rejected');
      expect(r.stderr).toContain('protected');
      expect(await serverRef(store, 'refs/heads/main')).toBe(before);
      // Deleting a protected branch is refused too.
      const del = await gitTry('b', ['push', 'origin', ':main']);
      expect(del.code).not.toBe(0);
      expect(await serverRef(store, 'refs/heads/main')).toBe(before);
      await git('b', ['reset', '-q', '--hard', 'origin/main']);
    } finally {
      server.protectedBranches.delete('pushed');
    }
  });

  it('deletes a branch', async () => {
    await git('a', ['push', '-q', 'origin', 'HEAD:refs/heads/doomed']);
    expect(await serverRef(store, 'refs/heads/doomed')).not.toBeNull();
    await git('a', ['push', '-q', 'origin', '--delete', 'doomed']);
    expect(await serverRef(store, 'refs/heads/doomed')).toBeNull();
    const ls = await git('b', ['ls-remote', 'origin']);
    expect(ls).not.toContain('doomed');
  });

  it('pushes tags and another clone fetches them; a tag never moves', async () => {
    await git('a', ['tag', '-a', 'ed-1', '-m', 'edition 1']);
    await git('a', ['tag', 'mark']);
    await git('a', ['push', '-q', 'origin', 'ed-1', 'mark']);
    await git('b', ['fetch', '-q', '--tags']);
    expect(await head('b', 'ed-1')).toBe(await head('a', 'ed-1'));
    expect((await git('b', ['cat-file', '-t', 'ed-1'])).trim()).toBe('tag');
    await fsckClean(sb, sb.path('b'));
    await git('a', ['tag', '-f', 'mark', 'HEAD~1']);
    const moved = await gitTry('a', ['push', '--force', 'origin', 'mark']);
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain('tags never move');
  });

  it('pushes back a local merge of two branches', async () => {
    await git('b', ['fetch', '-q']);
    await git('b', ['checkout', '-q', '-b', 'merged', 'origin/main']);
    await commitFiles(sb, sb.path('b'), { 'main-side.md': 'main side\n' }, 'main side');
    await git('b', ['merge', '-q', '--no-edit', 'origin/topic']);
    const merge = await head('b');
    await git('b', ['push', '-q', 'origin', 'merged']);
    expect(await serverRef(store, 'refs/heads/merged')).toBe(merge);
    await sb.ok([...proto, 'clone', '-q', '--branch', 'merged', url, 'check-merge']);
    expect((await git('check-merge', ['rev-list', '--parents', '-n', '1', 'HEAD'])).trim().split(' ').length).toBe(3);
    await fsckClean(sb, sb.path('check-merge'));
  });

  it('two clones pushing to one branch at once: one lands, the other fetches and lands too', async () => {
    await git('a', ['checkout', '-q', 'main']);
    await git('a', ['pull', '-q', '--ff-only']);
    await git('b', ['checkout', '-q', 'main']);
    await git('b', ['pull', '-q', '--ff-only']);
    const ca = await commitFiles(sb, sb.path('a'), { 'from-a.md': 'a\n' }, 'from a');
    const cb = await commitFiles(sb, sb.path('b'), { 'from-b.md': 'b\n' }, 'from b');
    const [ra, rb] = await Promise.all([gitTry('a', ['push', 'origin', 'main']), gitTry('b', ['push', 'origin', 'main'])]);
    const results = [ra, rb];
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    const loser = ra.code === 0 ? 'b' : 'a';
    const lost = results.find((r) => r.code !== 0);
    expect(lost?.stderr).toMatch(/fetch first|stale info|non-fast-forward/);
    await git(loser, ['pull', '-q', '--no-rebase', '--no-edit']);
    await git(loser, ['push', '-q', 'origin', 'main']);
    const tip = (await serverRef(store, 'refs/heads/main')) as string;
    await git(loser, ['fetch', '-q']);
    for (const c of [ca, cb]) {
      const r = await gitTry(loser, ['merge-base', '--is-ancestor', c, tip]);
      expect(r.code).toBe(0);
    }
  });

  it('an atomic push with one stale ref lands nothing', async () => {
    await git('a', ['fetch', '-q']);
    await git('a', ['checkout', '-q', '-B', 'main', 'origin/main']);
    await git('a', ['push', '-q', 'origin', 'main:refs/heads/side']);
    const mainBefore = await serverRef(store, 'refs/heads/main');
    const sideBefore = (await serverRef(store, 'refs/heads/side')) as string;
    await commitFiles(sb, sb.path('a'), { 'atomic.md': 'x\n' }, 'atomic');
    // Between the advertisement and the ref update someone moves "side": a real stale old id.
    const other = (await serverRef(store, 'refs/heads/topic')) as string;
    server.onPush = async () => {
      server.onPush = null;
      await applyRefUpdates(store, [{ ref: 'refs/heads/side', old: sideBefore, new: other }], {
        actor: 'someone',
        via: 'rest',
        events: { publish: () => undefined },
      });
    };
    const r = await gitTry('a', ['push', '--atomic', 'origin', 'main', 'HEAD:refs/heads/side']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('stale info');
    expect(r.stderr).toContain('atomic push failure');
    expect(await serverRef(store, 'refs/heads/main')).toBe(mainBefore);
    expect(await serverRef(store, 'refs/heads/side')).toBe(other);
    // Without --atomic the same race lets the other ref land.
    await git('a', ['fetch', '-q']);
    const side2 = (await serverRef(store, 'refs/heads/side')) as string;
    server.onPush = async () => {
      server.onPush = null;
      await applyRefUpdates(store, [{ ref: 'refs/heads/side', old: side2, new: sideBefore }], {
        actor: 'someone',
        via: 'rest',
        events: { publish: () => undefined },
      });
    };
    const r2 = await gitTry('a', ['push', '--force', 'origin', 'main', 'HEAD:refs/heads/side']);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('stale info');
    expect(await serverRef(store, 'refs/heads/main')).toBe(await head('a'));
    expect(await serverRef(store, 'refs/heads/side')).toBe(sideBefore);
  });

  it('every clone of the result is fsck clean', async () => {
    await sb.ok([...proto, 'clone', '-q', '--mirror', url, 'final.git']);
    await fsckClean(sb, sb.path('final.git'));
  });
});
