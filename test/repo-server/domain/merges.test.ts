import { describe, expect, it } from 'vitest';
import type { FileContent, RepoService } from '../../../repo-server/domain/index.js';
import { allFiles } from './helpers/files.js';
import { exportRepo, git } from './helpers/native-git.js';
import { rawCommit } from './helpers/raw-commits.js';
import { AUTHOR, commitFiles, harness, ok, seed } from './helpers/service.js';
import { storageFactories } from './helpers/storages.js';

async function read(service: RepoService, path: string, ref = 'main'): Promise<string> {
  return (await (ok(await service.readPath('r', { ref, path })).content as FileContent).bytes()).toString('latin1');
}

/** The tree git's own merge (ort) produces, or null when git finds conflicts. */
function gitMergeTree(dir: string, ours: string, theirs: string): string | null {
  try {
    return git(dir, ['merge-tree', '--write-tree', ours, theirs]).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

const lines = (n: number, at: Record<number, string> = {}) => Array.from({ length: n }, (_, i) => at[i] ?? `line ${i}\n`).join('');

describe.each(storageFactories)('merges on $name storage', (factory) => {
  it('merges changes to different files and to distant lines of one file, as git would', async () => {
    const { service, storage, events } = await harness(factory);
    const c0 = await seed(service, 'r', { 'shared.md': lines(20), 'a.md': 'A\n' });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    const m1 = await commitFiles(service, 'r', 'main', { 'shared.md': lines(20, { 1: 'main edit\n' }), 'main.md': 'M\n' });
    const f1 = await commitFiles(service, 'r', 'feature', { 'shared.md': lines(20, { 18: 'feature edit\n' }), 'a.md': null, 'dir/f.md': 'F\n' });
    const merged = ok(await service.merge('r', { base: 'main', head: 'feature', author: AUTHOR, actor: 'ada' }));
    expect(merged.outcome).toBe('merged');
    expect(merged.previous).toBe(m1.id);
    expect(merged.commit.parents).toEqual([m1.id, f1.id]);
    expect(merged.commit.message).toBe('Merge feature into main\n');
    expect(events.events.at(-1)).toMatchObject({ ref: 'refs/heads/main', old: m1.id, new: merged.commit.id, actor: 'ada' });
    expect(await read(service, 'shared.md')).toBe(lines(20, { 1: 'main edit\n', 18: 'feature edit\n' }));
    const dir = await exportRepo(storage.repo('r'));
    git(dir, ['fsck', '--full', '--strict']);
    expect(merged.commit.tree).toBe(gitMergeTree(dir, m1.id, f1.id));
    void c0;
  });

  it('fast-forwards, or makes a merge commit when asked not to', async () => {
    const { service } = await harness(factory);
    const c0 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    const f1 = await commitFiles(service, 'r', 'feature', { 'b.md': 'B' });
    ok(await service.createBranch('r', 'other', { from: 'main' }));
    const ff = ok(await service.merge('r', { base: 'main', head: 'feature' }));
    expect(ff).toMatchObject({ outcome: 'fast-forward', previous: c0.id, commit: { id: f1.id } });
    const noFf = ok(await service.merge('r', { base: 'other', head: 'feature', noFastForward: true, message: 'explicit' }));
    expect(noFf.outcome).toBe('merged');
    expect(noFf.commit.parents).toEqual([c0.id, f1.id]);
    expect(noFf.commit.tree).toBe(f1.tree);
    expect(noFf.commit.message).toBe('explicit\n');
  });

  it('answers up-to-date when head is already in base, moving nothing', async () => {
    const { service, events } = await harness(factory);
    const c0 = await seed(service, 'r', { 'a.md': 'A' });
    const c1 = await commitFiles(service, 'r', 'main', { 'b.md': 'B' });
    const n = events.events.length;
    expect(ok(await service.merge('r', { base: 'main', head: c0.id }))).toMatchObject({ outcome: 'up-to-date', previous: c1.id, commit: { id: c1.id } });
    expect(ok(await service.merge('r', { base: 'main', head: 'main' })).outcome).toBe('up-to-date');
    expect(events.events.length).toBe(n);
  });

  it('lists every conflicting path, moves no ref and leaves no file behind', async () => {
    const { service, storage, events } = await harness(factory);
    await seed(service, 'r', { 'text.md': lines(5), 'deep/x/y.md': 'Y\n', 'del.md': 'D\n', 'ff': 'file\n', 'ok.md': 'ok\n' });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    const m1 = await commitFiles(service, 'r', 'main', { 'text.md': lines(5, { 2: 'main\n' }), 'deep/x/y.md': 'Y main\n', 'del.md': 'D changed\n', 'added.md': 'main\n', ff: null, 'ok.md': 'ok main\n' });
    await commitFiles(service, 'r', 'feature', { 'text.md': lines(5, { 2: 'feature\n' }), 'deep/x/y.md': 'Y feature\n', 'del.md': null, 'added.md': 'feature\n', ff: null });
    const f1 = await commitFiles(service, 'r', 'feature', { 'ff/inside.md': 'now a folder\n' });
    const before = await allFiles(storage.repo('r'));
    const n = events.events.length;
    const result = await service.merge('r', { base: 'main', head: 'feature' });
    expect(result).toMatchObject({ ok: false, reason: 'conflict', cause: 'content' });
    if (result.ok || result.reason !== 'conflict') throw new Error('unreachable');
    expect(result.conflicts).toEqual([
      { path: 'added.md', kind: 'add-add' },
      { path: 'deep/x/y.md', kind: 'content' },
      { path: 'del.md', kind: 'modify-delete' },
      { path: 'text.md', kind: 'content' },
    ]);
    expect(ok(await service.getBranch('r', 'main')).branch.commit).toBe(m1.id);
    expect(events.events.length).toBe(n);
    expect(await allFiles(storage.repo('r'))).toEqual(before);
    expect(before.some((f) => f === '/index' || f.startsWith('/MERGE'))).toBe(false);
    const dir = await exportRepo(storage.repo('r'));
    expect(gitMergeTree(dir, m1.id, f1.id)).toBeNull();
    // Nothing was poisoned: a clean merge right after works.
    await commitFiles(service, 'r', 'feature', { 'text.md': lines(5, { 2: 'main\n' }), 'deep/x/y.md': 'Y main\n', 'del.md': 'D changed\n', 'added.md': 'main\n' });
    expect(ok(await service.merge('r', { base: 'main', head: 'feature' })).outcome).toBe('merged');
  });

  it('reports a file on one side where the other made a folder, and modify/delete of a replaced file', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { thing: 'file\n', 'keep.md': 'k\n' });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    await commitFiles(service, 'r', 'main', { thing: 'changed\n', new: 'a file\n' });
    await commitFiles(service, 'r', 'feature', { thing: null });
    await commitFiles(service, 'r', 'feature', { 'thing/inside.md': 'x\n', 'new/inside.md': 'a folder\n' });
    const result = await service.merge('r', { base: 'main', head: 'feature' });
    expect(result).toMatchObject({
      ok: false,
      reason: 'conflict',
      conflicts: [
        { path: 'new', kind: 'file-folder' },
        { path: 'thing', kind: 'modify-delete' },
      ],
    });
  });

  it('treats a binary file changed on both sides as a conflict (isomorphic-git would corrupt it)', async () => {
    const { service } = await harness(factory);
    const image = (tail: number[]) => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0a, 0x01, 0x0a, 0x02, 0x0a, 0x03, 0x0a, 0x04, 0x0a, ...tail]);
    await seed(service, 'r', { 'img.png': image([0xff]), 'one-sided.bin': image([1]) });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    // Different "lines" of the binary changed on each side: a text merge would call it clean.
    await commitFiles(service, 'r', 'main', { 'img.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0a, 0xaa, 0x0a, 0x02, 0x0a, 0x03, 0x0a, 0x04, 0x0a, 0xff]) });
    await commitFiles(service, 'r', 'feature', { 'img.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0a, 0x01, 0x0a, 0x02, 0x0a, 0x03, 0x0a, 0xbb, 0x0a, 0xff]), 'one-sided.bin': image([2]) });
    expect(await service.merge('r', { base: 'main', head: 'feature' })).toMatchObject({ ok: false, reason: 'conflict', conflicts: [{ path: 'img.png', kind: 'binary' }] });
    // A binary changed on one side only merges byte-exactly.
    await commitFiles(service, 'r', 'feature', { 'img.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0a, 0xaa, 0x0a, 0x02, 0x0a, 0x03, 0x0a, 0x04, 0x0a, 0xff]) });
    ok(await service.merge('r', { base: 'main', head: 'feature' }));
    expect(Buffer.from(await read(service, 'one-sided.bin'), 'latin1').equals(image([2]))).toBe(true);
  });

  it('merges a criss-cross history through a virtual merge base, as git does', async () => {
    const { service, storage } = await harness(factory);
    await seed(service, 'r', { 'a.md': lines(10), 'b.md': lines(10), 'c.md': 'c\n' });
    ok(await service.createBranch('r', 'side', { from: 'main' }));
    const x1 = await commitFiles(service, 'r', 'main', { 'a.md': lines(10, { 1: 'main a\n' }) });
    const y1 = await commitFiles(service, 'r', 'side', { 'b.md': lines(10, { 1: 'side b\n' }) });
    ok(await service.merge('r', { base: 'main', head: 'side' })); // X2 = merge(X1, Y1)
    ok(await service.merge('r', { base: 'side', head: x1.id })); // Y2 = merge(Y1, X1)
    const x3 = await commitFiles(service, 'r', 'main', { 'a.md': lines(10, { 1: 'main a\n', 8: 'main again\n' }) });
    const y3 = await commitFiles(service, 'r', 'side', { 'c.md': 'c side\n', 'b.md': lines(10, { 1: 'side b\n', 8: 'side again\n' }) });
    const cmp = ok(await service.compare('r', 'main', 'side'));
    expect([...cmp.mergeBases].sort()).toEqual([x1.id, y1.id].sort());
    const merged = ok(await service.merge('r', { base: 'main', head: 'side' }));
    expect(merged.outcome).toBe('merged');
    const dir = await exportRepo(storage.repo('r'));
    expect(git(dir, ['merge-base', '--all', x3.id, y3.id]).trim().split('\n').sort()).toEqual([x1.id, y1.id].sort());
    expect(merged.commit.tree).toBe(gitMergeTree(dir, x3.id, y3.id));
    git(dir, ['fsck', '--full', '--strict']);
  });

  it('answers conflict (multiple-merge-bases) when the merge bases conflict with each other, without throwing', async () => {
    const { service, storage, events } = await harness(factory);
    const c0 = await seed(service, 'r', { 'f.md': 'base\n' });
    const store = storage.repo('r');
    // X1 and Y1 change f differently; X2 and Y2 each merge both, resolving differently.
    const x1 = await rawCommit(store, { 'f.md': 'x\n' }, [c0.id]);
    const y1 = await rawCommit(store, { 'f.md': 'y\n' }, [c0.id]);
    const x2 = await rawCommit(store, { 'f.md': 'x wins\n', 'x.md': 'x\n' }, [x1, y1]);
    const y2 = await rawCommit(store, { 'f.md': 'y wins\n', 'y.md': 'y\n' }, [y1, x1]);
    ok(await service.moveBranch('r', 'main', { commit: x2, force: true }));
    ok(await service.createBranch('r', 'side', { from: y2 }));
    const before = await allFiles(store);
    const n = events.events.length;
    const result = await service.merge('r', { base: 'main', head: 'side' });
    expect(result).toMatchObject({ ok: false, reason: 'conflict', cause: 'multiple-merge-bases', conflicts: [] });
    if (result.ok || result.reason !== 'conflict') throw new Error('unreachable');
    expect([...result.mergeBases].sort()).toEqual([x1, y1].sort());
    expect(events.events.length).toBe(n);
    expect(await allFiles(store)).toEqual(before);
  });

  it('refuses to merge unrelated histories', async () => {
    const { service, storage } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    const orphan = await rawCommit(storage.repo('r'), { 'b.md': 'B' });
    ok(await service.createBranch('r', 'orphan', { from: orphan }));
    expect(await service.merge('r', { base: 'main', head: 'orphan' })).toMatchObject({ ok: false, reason: 'conflict', cause: 'unrelated-histories', mergeBases: [] });
  });

  it('answers not-found, invalid and stale', async () => {
    const { service } = await harness(factory);
    const c0 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    await commitFiles(service, 'r', 'feature', { 'b.md': 'B' });
    const c1 = await commitFiles(service, 'r', 'main', { 'c.md': 'C' });
    expect(await service.merge('r', { base: 'nope', head: 'feature' })).toEqual({ ok: false, reason: 'not-found', what: 'branch', name: 'nope' });
    expect(await service.merge('r', { base: 'main', head: 'nope' })).toEqual({ ok: false, reason: 'not-found', what: 'ref', name: 'nope' });
    expect(await service.merge('r', { base: 'a..b', head: 'feature' })).toMatchObject({ reason: 'invalid', what: 'branch-name' });
    expect(await service.merge('r', { base: 'main', head: 'feature', message: ' ' })).toMatchObject({ reason: 'invalid', what: 'message' });
    expect(await service.merge('r', { base: 'main', head: 'feature', expected: c0.id })).toEqual({ ok: false, reason: 'stale', current: c1.id });
    expect(await service.merge('nope', { base: 'main', head: 'feature' })).toMatchObject({ reason: 'not-found', what: 'repository' });
  });

  it('never creates an index, lock or MERGE_* file in the gitdir', async () => {
    const { service, storage } = await harness(factory);
    await seed(service, 'r', { 'a.md': lines(5) });
    ok(await service.createBranch('r', 'feature', { from: 'main' }));
    await commitFiles(service, 'r', 'main', { 'a.md': lines(5, { 0: 'm\n' }) });
    await commitFiles(service, 'r', 'feature', { 'a.md': lines(5, { 4: 'f\n' }) });
    ok(await service.merge('r', { base: 'main', head: 'feature' }));
    const files = await allFiles(storage.repo('r'));
    expect(files.filter((f) => /^\/(index|MERGE_|ORIG_HEAD|AUTO_MERGE)|\.lock$/.test(f))).toEqual([]);
  });
});
