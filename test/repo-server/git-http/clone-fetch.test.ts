import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoStore, Storage } from '../../../fs-service/index.js';
import { GitSandbox, tearDown } from './helpers/git-client.js';
import { commitFiles, fsckClean, parseRefList } from './helpers/local-repo.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { openGitWorld } from './helpers/git-world.js';
import type { TestServer } from './helpers/server.js';
import { commitOnServer, serverRef, tagOnServer } from './helpers/server-repo.js';
import { STORAGES } from './helpers/storages.js';

const cases = STORAGES.flatMap((s) => ['2', '0'].map((v) => ({ storage: s, version: v })));

describe.each(cases)('clone and fetch over $storage.name storage, protocol.version=$version', ({ storage: factory, version }) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let server: TestServer;
  let store: RepoStore;
  let sb: GitSandbox;
  const logger = recordingLogger();
  const proto = ['-c', `protocol.version=${version}`];
  let url: string;

  beforeAll(async () => {
    ({ storage, dispose, server, sb, store, url } = await openGitWorld(factory, 'book', { logger }));
    // Seed with the real git: a pack with git's deltas, two branches, both kinds of tags.
    const seed = sb.path('seed');
    await sb.ok(['init', '-q', '-b', 'main', seed]);
    for (let i = 0; i < 6; i++) {
      await commitFiles(sb, seed, { 'chapters/one.md': `# One\n${'line\n'.repeat(50)}rev ${i}\n`, [`notes/n${i}.txt`]: `note ${i}\n` }, `main ${i}`);
    }
    await sb.ok(['tag', '-a', 'v1.0', '-m', 'first edition'], { cwd: seed });
    await sb.ok(['tag', 'light'], { cwd: seed });
    await sb.ok(['checkout', '-q', '-b', 'draft', 'HEAD~2'], { cwd: seed });
    await commitFiles(sb, seed, { 'chapters/two.md': 'draft two\n' }, 'draft 1');
    await sb.ok(['checkout', '-q', 'main'], { cwd: seed });
    await sb.ok([...proto, 'push', '-q', url, 'main', 'draft', '--tags'], { cwd: seed });
    // And a commit made on the server side, stored as loose objects.
    await commitOnServer(store, 'main', { 'chapters/three.md': 'written through the API\n' }, 'server commit');
  });

  afterAll(() => tearDown({ server, sb, dispose }));

  it('clones everything, fsck clean, refs and tags as on the server', async () => {
    await sb.ok([...proto, 'clone', '-q', url, 'full']);
    const dir = sb.path('full');
    await fsckClean(sb, dir);
    expect((await sb.ok(['rev-parse', 'origin/main'], { cwd: dir })).trim()).toBe(await serverRef(store, 'refs/heads/main'));
    expect((await sb.ok(['rev-parse', 'origin/draft'], { cwd: dir })).trim()).toBe(await serverRef(store, 'refs/heads/draft'));
    expect((await sb.ok(['cat-file', '-t', 'v1.0'], { cwd: dir })).trim()).toBe('tag');
    expect((await sb.ok(['rev-parse', 'light'], { cwd: dir })).trim()).toMatch(/^[0-9a-f]{40}$/);
    expect((await sb.ok(['show', 'HEAD:chapters/three.md'], { cwd: dir }))).toBe('written through the API\n');
    expect(Number((await sb.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim())).toBe(7);
    // The whole-repository path reused the stored pack instead of re-packing.
    expect(logger.records.some((r) => r.obj.path === 'whole-repository')).toBe(true);
  });

  it('clones --bare with every ref identical to the server', async () => {
    await sb.ok([...proto, 'clone', '-q', '--bare', url, 'bare.git']);
    const dir = sb.path('bare.git');
    await fsckClean(sb, dir);
    const refs = parseRefList(await sb.ok(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: dir }));
    for (const ref of ['refs/heads/main', 'refs/heads/draft', 'refs/tags/v1.0', 'refs/tags/light']) {
      expect(refs.get(ref)).toBe(await serverRef(store, ref));
    }
  });

  it('clones --depth 1, then deepens and unshallows', async () => {
    await sb.ok([...proto, 'clone', '-q', '--depth', '1', url, 'shallow']);
    const dir = sb.path('shallow');
    expect(existsSync(sb.path('shallow', '.git', 'shallow'))).toBe(true);
    expect((await sb.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim()).toBe('1');
    await fsckClean(sb, dir);
    await sb.ok([...proto, 'fetch', '-q', '--deepen', '2'], { cwd: dir });
    expect((await sb.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim()).toBe('3');
    await fsckClean(sb, dir);
    await sb.ok([...proto, 'fetch', '-q', '--unshallow'], { cwd: dir });
    expect(existsSync(sb.path('shallow', '.git', 'shallow'))).toBe(false);
    expect((await sb.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim()).toBe('7');
    await fsckClean(sb, dir);
  });

  it('clones --single-branch of a non-default branch', async () => {
    await sb.ok([...proto, 'clone', '-q', '--single-branch', '--branch', 'draft', url, 'single']);
    const dir = sb.path('single');
    await fsckClean(sb, dir);
    const branches = await sb.ok(['branch', '-r'], { cwd: dir });
    expect(branches).toContain('origin/draft');
    expect(branches).not.toContain('origin/main');
    expect((await sb.ok(['show', 'HEAD:chapters/two.md'], { cwd: dir }))).toBe('draft two\n');
  });

  it('fetches only what is new after commits on the server', async () => {
    await sb.ok([...proto, 'clone', '-q', url, 'inc']);
    const dir = sb.path('inc');
    const before = logger.records.length;
    const c1 = await commitOnServer(store, 'main', { 'chapters/four.md': 'four\n' }, 'server 2');
    const c2 = await commitOnServer(store, 'main', { 'chapters/four.md': 'four, revised\n' }, 'server 3');
    await sb.ok([...proto, 'fetch', '-q'], { cwd: dir });
    expect((await sb.ok(['rev-parse', 'origin/main'], { cwd: dir })).trim()).toBe(c2);
    expect((await sb.ok(['rev-parse', 'origin/main~1'], { cwd: dir })).trim()).toBe(c1);
    await fsckClean(sb, dir);
    const sent = logger.records.slice(before).filter((r) => r.msg === 'upload-pack sent pack');
    expect(sent.length).toBe(1);
    expect(sent[0]?.obj.path).toBe('enumerated');
    // 2 commits, 2 root trees, 2 chapters/ trees, 2 blobs: nothing old is sent again.
    expect(sent[0]?.obj.count).toBe(8);
  });

  it('ls-remote lists HEAD, branches, tags and peeled tags like git', async () => {
    const out = await sb.ok([...proto, 'ls-remote', url]);
    const refs = parseRefList(out);
    expect(refs.get('HEAD')).toBe(await serverRef(store, 'refs/heads/main'));
    expect(refs.get('refs/tags/v1.0')).toBe(await serverRef(store, 'refs/tags/v1.0'));
    expect(refs.get('refs/tags/v1.0^{}')).toMatch(/^[0-9a-f]{40}$/);
    expect(refs.has('refs/tags/light^{}')).toBe(false);
    const names = out.trim().split('\n').map((l) => l.split('\t')[1]);
    expect(names[0]).toBe('HEAD');
    expect(names.slice(1)).toEqual([...names.slice(1)].sort());
  });

  it('fetches a tag created on the server', async () => {
    const dir = sb.path('full');
    const main = (await serverRef(store, 'refs/heads/main')) as string;
    const tag = await tagOnServer(store, `v2.0-p${version}`, main, 'second edition');
    await sb.ok([...proto, 'fetch', '-q', '--tags'], { cwd: dir });
    expect((await sb.ok(['rev-parse', `v2.0-p${version}`], { cwd: dir })).trim()).toBe(tag);
    expect((await sb.ok(['rev-parse', `v2.0-p${version}^{commit}`], { cwd: dir })).trim()).toBe(main);
    await fsckClean(sb, dir);
  });
});
