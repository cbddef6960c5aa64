import { describe, expect, it } from 'vitest';
import { AUTHOR, harness, ok, seed } from './helpers/service.js';
import { exportRepo, git } from './helpers/native-git.js';
import { storageFactories } from './helpers/storages.js';

describe.each(storageFactories)('repositories on $name storage', (factory) => {
  it('creates a bare repository with defaults and says it was created', async () => {
    const { service, storage } = await harness(factory);
    const created = ok(await service.createRepository('book'));
    expect(created.created).toBe(true);
    expect(created.repository).toMatchObject({ name: 'book', description: '', defaultBranch: 'main' });
    expect(created.repository.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const dir = await exportRepo(storage.repo('book'));
    expect(git(dir, ['rev-parse', '--is-bare-repository']).trim()).toBe('true');
    expect(git(dir, ['symbolic-ref', 'HEAD']).trim()).toBe('refs/heads/main');
  });

  it('answers created: false and keeps the metadata when the repository existed', async () => {
    const { service } = await harness(factory);
    await service.createRepository('book', { description: 'first' });
    const again = ok(await service.createRepository('book', { description: 'second' }));
    expect(again.created).toBe(false);
    expect(again.repository.description).toBe('first');
  });

  it('gives exactly one created: true to concurrent creates', async () => {
    const { service } = await harness(factory);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => service.createRepository('race', { defaultBranch: `b${i}` })));
    const winners = results.filter((r) => r.ok && r.created);
    expect(winners).toHaveLength(1);
    const info = ok(await service.getRepository('race')).repository;
    expect(winners[0]!.ok && winners[0]!.repository.defaultBranch).toBe(info.defaultBranch);
  });

  it('refuses invalid names and metadata', async () => {
    const { service } = await harness(factory);
    expect(await service.createRepository('bad.git')).toMatchObject({ ok: false, reason: 'invalid', what: 'repository-name' });
    expect(await service.createRepository('ok', { defaultBranch: 'no..dots' })).toMatchObject({ ok: false, reason: 'invalid', what: 'branch-name' });
    expect(await service.createRepository('ok', { description: 'x'.repeat(1001) })).toMatchObject({ ok: false, reason: 'invalid', what: 'metadata' });
    expect(await service.getRepository('a/b')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.listBranches('..')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('updates description and default branch, and HEAD follows', async () => {
    const { service, storage } = await harness(factory);
    await service.createRepository('book', { description: 'old' });
    const updated = ok(await service.updateRepository('book', { description: 'new', defaultBranch: 'trunk' }));
    expect(updated.repository).toMatchObject({ description: 'new', defaultBranch: 'trunk' });
    expect(ok(await service.getRepository('book')).repository.defaultBranch).toBe('trunk');
    const dir = await exportRepo(storage.repo('book'));
    expect(git(dir, ['symbolic-ref', 'HEAD']).trim()).toBe('refs/heads/trunk');
  });

  it('reports not-found for updates of a missing repository', async () => {
    const { service } = await harness(factory);
    expect(await service.updateRepository('nope', { description: 'x' })).toMatchObject({ ok: false, reason: 'not-found', what: 'repository' });
  });

  it('lists repositories sorted, with metadata, without deleted ones', async () => {
    const { service } = await harness(factory);
    for (const name of ['zeta', 'Alpha', 'beta']) await service.createRepository(name, { description: name });
    await service.createRepository('gone');
    await service.deleteRepository('gone');
    const names = (await service.listRepositories()).map((r) => [r.name, r.description]);
    expect(names).toEqual([
      ['Alpha', 'Alpha'],
      ['beta', 'beta'],
      ['zeta', 'zeta'],
    ]);
  });

  it('deletes everything, then answers gone until the name is re-created', async () => {
    const { service } = await harness(factory);
    await seed(service, 'book', { 'a.md': 'A' });
    expect(await service.previouslyExisted('book')).toBe(false);
    expect(await service.deleteRepository('book')).toEqual({ ok: true });
    expect(await service.getRepository('book')).toMatchObject({ ok: false, reason: 'not-found', what: 'repository', gone: true });
    expect(await service.previouslyExisted('book')).toBe(true);
    expect(await service.listBranches('book')).toMatchObject({ ok: false, reason: 'not-found', gone: true });
    expect(await service.deleteRepository('book')).toMatchObject({ ok: false, reason: 'not-found', gone: true });

    const again = ok(await service.createRepository('book'));
    expect(again.created).toBe(true);
    expect(await service.previouslyExisted('book')).toBe(false);
    // Nothing of the old repository survives: no branch, no objects reachable by the old id.
    expect(ok(await service.listBranches('book')).branches).toEqual([]);
    expect(await service.readPath('book', { path: 'a.md' })).toMatchObject({ ok: false, reason: 'not-found' });
  });

  it('never existed is neither found nor gone', async () => {
    const { service } = await harness(factory);
    expect(await service.getRepository('never')).toEqual({ ok: false, reason: 'not-found', what: 'repository', name: 'never' });
    expect(await service.previouslyExisted('never')).toBe(false);
    expect(await service.commitChanges('never', { branch: 'main', message: 'm', author: AUTHOR, changes: [{ path: 'a', content: Buffer.from('') }] })).toMatchObject({
      reason: 'not-found',
      what: 'repository',
    });
  });
});
