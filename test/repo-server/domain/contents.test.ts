import { describe, expect, it } from 'vitest';
import type { FileContent, FolderContent } from '../../../repo-server/domain/index.js';
import { commitFiles, harness, ok, seed } from './helpers/service.js';
import { exportRepo, git } from './helpers/native-git.js';
import { storageFactories } from './helpers/storages.js';

describe.each(storageFactories)('contents on $name storage', (factory) => {
  it('reads a file at the default branch with its blob id, size and lazy bytes', async () => {
    const { service, storage } = await harness(factory);
    const c1 = await seed(service, 'r', { 'ch1/intro.md': '# Intro\n', 'README.md': 'hello' });
    const found = ok(await service.readPath('r', { path: 'ch1/intro.md' }));
    const file = found.content as FileContent;
    expect(found.commit).toBe(c1.id);
    expect(file).toMatchObject({ type: 'file', path: 'ch1/intro.md', mode: '100644', size: 8 });
    expect((await file.bytes()).toString()).toBe('# Intro\n');
    const dir = await exportRepo(storage.repo('r'));
    expect(git(dir, ['rev-parse', 'main:ch1/intro.md']).trim()).toBe(file.oid);
  });

  it('lists a folder in git order with types, ids and sizes', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'b.md': 'bb', 'a/x.md': 'x', 'a.md': 'aaa', 'z/y/w.md': 'w' });
    const root = ok(await service.readPath('r', {})).content as FolderContent;
    expect(root.type).toBe('folder');
    expect(root.entries.map((e) => [e.name, e.type, e.size])).toEqual([
      ['a.md', 'file', 3],
      ['a', 'folder', undefined],
      ['b.md', 'file', 2],
      ['z', 'folder', undefined],
    ]);
    const sub = ok(await service.readPath('r', { path: 'z/y' })).content as FolderContent;
    expect(sub.entries).toEqual([{ name: 'w.md', path: 'z/y/w.md', type: 'file', oid: expect.any(String), mode: '100644', size: 1 }]);
  });

  it('reads at a tag, a commit id and another branch', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'v1' });
    ok(await service.createTag('r', 'v1', { ref: 'main', message: 'v1' }));
    await commitFiles(service, 'r', 'main', { 'a.md': 'v2' });
    const read = async (ref: string) => (await (ok(await service.readPath('r', { ref, path: 'a.md' })).content as FileContent).bytes()).toString();
    expect(await read('v1')).toBe('v1');
    expect(await read(c1.id)).toBe('v1');
    expect(await read(c1.id.slice(0, 7))).toBe('v1');
    expect(await read('main')).toBe('v2');
  });

  it('reports sizes of large blobs from the object header', async () => {
    const { service } = await harness(factory);
    const big = Buffer.alloc(300_000, 'abcdefghij');
    await seed(service, 'r', { 'big.bin': big, 'small.txt': 'x' });
    const root = ok(await service.readPath('r', {})).content as FolderContent;
    expect(root.entries.find((e) => e.name === 'big.bin')?.size).toBe(300_000);
  });

  it('answers not-found for missing paths, refs, and paths under a file; invalid for hostile paths', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    expect(await service.readPath('r', { path: 'nope.md' })).toEqual({ ok: false, reason: 'not-found', what: 'path', name: 'nope.md' });
    expect(await service.readPath('r', { path: 'a.md/x' })).toMatchObject({ reason: 'not-found', what: 'path' });
    expect(await service.readPath('r', { ref: 'nope', path: 'a.md' })).toMatchObject({ reason: 'not-found', what: 'ref' });
    for (const path of ['../etc/passwd', '.git/config', 'a//b', 'a\\b', 'a\0b']) {
      expect(await service.readPath('r', { path })).toMatchObject({ reason: 'invalid', what: 'path' });
    }
  });

  it('answers not-found (ref) for an empty repository', async () => {
    const { service } = await harness(factory);
    await service.createRepository('empty');
    expect(await service.readPath('empty', {})).toEqual({ ok: false, reason: 'not-found', what: 'ref', name: 'main' });
  });

  it('finds the last commit that touched a path', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A', 'b.md': 'B', 'd/x.md': 'x' });
    const c2 = await commitFiles(service, 'r', 'main', { 'a.md': 'A2' });
    await commitFiles(service, 'r', 'main', { 'b.md': 'B2' });
    expect(ok(await service.lastCommitFor('r', { path: 'a.md' })).commit?.id).toBe(c2.id);
    expect(ok(await service.lastCommitFor('r', { path: 'd' })).commit?.id).toBe(c1.id);
    expect(ok(await service.lastCommitFor('r', { path: 'd/x.md', ref: c2.id })).commit?.id).toBe(c1.id);
    expect(ok(await service.lastCommitFor('r', { path: 'never.md' }))).toEqual({ ok: true, commit: null, complete: true });
  });

  it('gives up the last-commit walk at its bound and says so', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'old.md': 'o' });
    for (let i = 0; i < 5; i++) await commitFiles(service, 'r', 'main', { 'new.md': `${i}` });
    expect(ok(await service.lastCommitFor('r', { path: 'old.md', maxCommits: 3 }))).toEqual({ ok: true, commit: null, complete: false });
    expect(ok(await service.lastCommitFor('r', { path: 'old.md', maxCommits: 10 })).complete).toBe(true);
  });
});
