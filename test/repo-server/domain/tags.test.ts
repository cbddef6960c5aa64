import { describe, expect, it } from 'vitest';
import { commitFiles, harness, ok, seed } from './helpers/service.js';
import { exportRepo, git } from './helpers/native-git.js';
import { storageFactories } from './helpers/storages.js';

describe.each(storageFactories)('tags on $name storage', (factory) => {
  it('creates an annotated tag that git reads as such', async () => {
    const { service, storage, events } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    const created = ok(await service.createTag('r', 'v1.0', { ref: 'main', message: 'First edition', tagger: { name: 'Pub', email: 'pub@example.org', timestamp: 1700000000 } }));
    expect(created.created).toBe(true);
    expect(created.tag).toMatchObject({ name: 'v1.0', annotated: true, commit: c1.id, target: c1.id, targetType: 'commit', message: 'First edition\n' });
    expect(created.tag.tagger).toMatchObject({ name: 'Pub', email: 'pub@example.org', timestamp: 1700000000 });
    expect(events.events.at(-1)).toMatchObject({ ref: 'refs/tags/v1.0', old: null, new: created.tag.oid });
    const dir = await exportRepo(storage.repo('r'));
    expect(git(dir, ['cat-file', '-t', 'v1.0']).trim()).toBe('tag');
    expect(git(dir, ['rev-parse', 'v1.0^{commit}']).trim()).toBe(c1.id);
    git(dir, ['fsck', '--full', '--strict']);
  });

  it('lists and reads tags', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createTag('r', 'v2', { ref: c1.id, message: 'two' }));
    ok(await service.createTag('r', 'v1', { ref: 'main', message: 'one' }));
    const tags = ok(await service.listTags('r')).tags;
    expect(tags.map((t) => [t.name, t.commit, t.annotated])).toEqual([
      ['v1', c1.id, true],
      ['v2', c1.id, true],
    ]);
    expect(ok(await service.getTag('r', 'v2')).tag.message).toBe('two\n');
    expect(await service.getTag('r', 'v3')).toEqual({ ok: false, reason: 'not-found', what: 'tag', name: 'v3' });
  });

  it('answers created: false for the same target and conflict for another: a tag never moves', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    const first = ok(await service.createTag('r', 'v1', { ref: 'main', message: 'one' }));
    const again = ok(await service.createTag('r', 'v1', { ref: c1.id, message: 'other words' }));
    expect(again).toEqual({ ok: true, created: false, tag: first.tag });
    await commitFiles(service, 'r', 'main', { 'b.md': 'B' });
    const moved = await service.createTag('r', 'v1', { ref: 'main', message: 'one' });
    expect(moved).toMatchObject({ ok: false, reason: 'conflict', current: { commit: c1.id } });
    expect(ok(await service.getTag('r', 'v1')).tag.oid).toBe(first.tag.oid);
  });

  it('gives one winner among concurrent creates of one tag at different commits', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await commitFiles(service, 'r', 'main', { 'a.md': `v${i}` })).id);
    const results = await Promise.all(ids.map((id) => service.createTag('r', 'race', { ref: id, message: 'r' })));
    expect(results.filter((r) => r.ok && r.created)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'conflict')).toHaveLength(4);
  });

  it('refuses bad names, missing messages, unknown refs and bad taggers', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    expect(await service.createTag('r', 'v1^', { ref: 'main', message: 'm' })).toMatchObject({ reason: 'invalid', what: 'tag-name' });
    expect(await service.createTag('r', 'v1', { ref: 'main', message: '  \n' })).toMatchObject({ reason: 'invalid', what: 'message' });
    expect(await service.createTag('r', 'v1', { ref: 'nope', message: 'm' })).toMatchObject({ reason: 'not-found', what: 'ref' });
    expect(await service.createTag('r', 'v1', { ref: 'main', message: 'm', tagger: { name: 'a<b', email: 'e' } })).toMatchObject({ reason: 'invalid', what: 'person' });
    expect(await service.getTag('r', 'bad..name')).toMatchObject({ reason: 'invalid', what: 'tag-name' });
  });
});
