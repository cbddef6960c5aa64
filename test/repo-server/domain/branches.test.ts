import { describe, expect, it } from 'vitest';
import { commitFiles, harness, ok, seed } from './helpers/service.js';
import { storageFactories } from './helpers/storages.js';

describe.each(storageFactories)('branches on $name storage', (factory) => {
  it('lists and reads branches', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createBranch('r', 'drafts/ch1', { from: 'main' }));
    expect(ok(await service.listBranches('r')).branches).toEqual([
      { name: 'drafts/ch1', commit: c1.id },
      { name: 'main', commit: c1.id },
    ]);
    expect(ok(await service.getBranch('r', 'main')).branch).toEqual({ name: 'main', commit: c1.id });
    expect(await service.getBranch('r', 'nope')).toEqual({ ok: false, reason: 'not-found', what: 'branch', name: 'nope' });
    expect(await service.getBranch('r', 'bad..name')).toMatchObject({ ok: false, reason: 'invalid', what: 'branch-name' });
  });

  it('creates a branch from a branch, an annotated tag, a full and an abbreviated commit id', async () => {
    const { service, events } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createTag('r', 'v1', { ref: 'main', message: 'one' }));
    const c2 = await commitFiles(service, 'r', 'main', { 'b.md': 'B' });
    expect(ok(await service.createBranch('r', 'from-branch', { from: 'main' })).branch.commit).toBe(c2.id);
    expect(ok(await service.createBranch('r', 'from-tag', { from: 'v1' })).branch.commit).toBe(c1.id);
    expect(ok(await service.createBranch('r', 'from-id', { from: c1.id })).branch.commit).toBe(c1.id);
    expect(ok(await service.createBranch('r', 'from-short', { from: c2.id.slice(0, 8) })).branch.commit).toBe(c2.id);
    expect(events.events.at(-1)).toMatchObject({ repo: 'r', ref: 'refs/heads/from-short', old: null, new: c2.id, via: 'rest' });
  });

  it('refuses to create an existing branch, from an unknown ref, or with a bad name', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    expect(await service.createBranch('r', 'main', { from: 'main' })).toEqual({ ok: false, reason: 'exists', current: c1.id });
    expect(await service.createBranch('r', 'x', { from: 'nope' })).toEqual({ ok: false, reason: 'not-found', what: 'ref', name: 'nope' });
    expect(await service.createBranch('r', 'x', { from: 'f'.repeat(40) })).toMatchObject({ ok: false, reason: 'not-found' });
    expect(await service.createBranch('r', '-x', { from: 'main' })).toMatchObject({ ok: false, reason: 'invalid', what: 'branch-name' });
    expect(await service.createBranch('r', 'a b', { from: 'main' })).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('moves a branch forward with the expected old id', async () => {
    const { service, events } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createBranch('r', 'b', { from: 'main' }));
    const c2 = await commitFiles(service, 'r', 'main', { 'a.md': 'A2' });
    const moved = ok(await service.moveBranch('r', 'b', { commit: c2.id, expected: c1.id, actor: 'ada' }));
    expect(moved).toEqual({ ok: true, branch: { name: 'b', commit: c2.id }, moved: true });
    expect(events.events.at(-1)).toMatchObject({ ref: 'refs/heads/b', old: c1.id, new: c2.id, actor: 'ada' });
    expect(ok(await service.moveBranch('r', 'b', { commit: c2.id, expected: c2.id })).moved).toBe(false);
  });

  it('answers stale when the expected id is not the head', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    const c2 = await commitFiles(service, 'r', 'main', { 'a.md': 'A2' });
    expect(await service.moveBranch('r', 'main', { commit: c1.id, expected: c1.id, force: true })).toEqual({ ok: false, reason: 'stale', current: c2.id });
    expect(await service.deleteBranch('r', 'main', { expected: c1.id })).toMatchObject({ ok: false });
  });

  it('refuses a move that is not a fast-forward unless forced', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    const c2 = await commitFiles(service, 'r', 'main', { 'a.md': 'A2' });
    expect(await service.moveBranch('r', 'main', { commit: c1.id, expected: c2.id })).toEqual({ ok: false, reason: 'not-fast-forward', current: c2.id });
    ok(await service.createBranch('r', 'side', { from: c1.id }));
    const s1 = await commitFiles(service, 'r', 'side', { 's.md': 'S' });
    expect(await service.moveBranch('r', 'main', { commit: s1.id, expected: c2.id })).toMatchObject({ reason: 'not-fast-forward' });
    expect(ok(await service.moveBranch('r', 'main', { commit: s1.id, expected: c2.id, force: true })).branch.commit).toBe(s1.id);
  });

  it('reports not-found for a move of a missing branch or to a missing commit', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    expect(await service.moveBranch('r', 'nope', { commit: c1.id })).toMatchObject({ reason: 'not-found', what: 'branch' });
    expect(await service.moveBranch('r', 'main', { commit: 'a'.repeat(40) })).toMatchObject({ reason: 'not-found', what: 'commit' });
  });

  it('deletes a branch, with or without the expected id, never the default branch', async () => {
    const { service, events } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createBranch('r', 'x', { from: 'main' }));
    ok(await service.createBranch('r', 'y', { from: 'main' }));
    expect(await service.deleteBranch('r', 'x', { expected: c1.id })).toEqual({ ok: true });
    expect(events.events.at(-1)).toMatchObject({ ref: 'refs/heads/x', old: c1.id, new: null });
    expect(await service.deleteBranch('r', 'y')).toEqual({ ok: true });
    expect(await service.deleteBranch('r', 'y')).toMatchObject({ reason: 'not-found', what: 'branch' });
    expect(await service.deleteBranch('r', 'main')).toEqual({ ok: false, reason: 'default-branch' });
    expect(ok(await service.listBranches('r')).branches.map((b) => b.name)).toEqual(['main']);
  });

  it('resolves refs: branch before tag, annotated tags peeled, ambiguous short ids refused', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createTag('r', 'same', { ref: 'main', message: 't' }));
    const c2 = await commitFiles(service, 'r', 'main', { 'a.md': 'A2' });
    ok(await service.createBranch('r', 'same', { from: c2.id }));
    expect(ok(await service.resolveRef('r', 'same'))).toMatchObject({ commit: c2.id, kind: 'branch' });
    expect(ok(await service.resolveRef('r', 'refs/tags/same'))).toMatchObject({ commit: c1.id, kind: 'tag' });
    expect(ok(await service.resolveRef('r', c1.id))).toMatchObject({ commit: c1.id, kind: 'commit' });
    expect(await service.resolveRef('r', 'refs/heads/../x')).toMatchObject({ reason: 'invalid' });
    expect(await service.resolveRef('r', 'abc')).toMatchObject({ reason: 'not-found', what: 'ref' });
    // Blobs "x22" and "x723" both have ids starting 12a7: that prefix names no single object.
    await commitFiles(service, 'r', 'main', { 'p.txt': 'x22', 'q.txt': 'x723' });
    expect(await service.resolveRef('r', '12a7')).toMatchObject({ ok: false, reason: 'invalid', what: 'ref' });
  });
});
