import isogit from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import type { RepoService } from '../../../repo-server/domain/index.js';
import { AUTHOR, commitFiles, harness, ok, seed } from './helpers/service.js';
import { exportRepo, git, gitBytes } from './helpers/native-git.js';
import { storageFactories } from './helpers/storages.js';

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => `${f(i)}\n`).join('');

/** main and feature diverge from a common commit with a variety of changes on feature. */
async function diverged(service: RepoService) {
  const base = await seed(service, 'r', {
    'book/ch1.md': lines(40, (i) => `line ${i}`),
    'book/ch2.md': 'Chapter two\n',
    'gone.md': 'to be deleted\n',
    'img/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
    'no-newline.txt': 'first\nlast',
  });
  ok(await service.createBranch('r', 'feature', { from: 'main' }));
  await commitFiles(service, 'r', 'main', { 'main-only.md': 'M\n' });
  await commitFiles(service, 'r', 'feature', {
    'book/ch1.md': lines(40, (i) => (i === 2 ? 'line two, edited' : i === 30 ? 'line thirty, edited' : `line ${i}`)),
    'gone.md': null,
    'new folder/with space.md': 'spaced\n',
    'ünïcode/ä.md': 'umlaut\n',
  });
  const head = await commitFiles(service, 'r', 'feature', {
    'img/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9, 9, 9]),
    'no-newline.txt': 'first\nlast, edited',
    'empty.txt': '',
    'book/ch2.md': 'Function header\n\nChapter two\n\nmore\ntext\nhere\nand\nthe\nend\n',
  });
  return { base, head };
}

describe.each(storageFactories)('compare on $name storage', (factory) => {
  it('counts ahead/behind, finds the merge base and lists changed files like git', async () => {
    const { service, storage } = await harness(factory);
    const { base } = await diverged(service);
    const cmp = ok(await service.compare('r', 'main', 'feature'));
    expect(cmp).toMatchObject({ aheadBy: 2, behindBy: 1, mergeBase: base.id, mergeBases: [base.id], status: 'diverged' });
    const dir = await exportRepo(storage.repo('r'));
    expect(git(dir, ['rev-list', '--left-right', '--count', 'main...feature']).trim()).toBe('1\t2');
    const nameStatus = git(dir, ['-c', 'core.quotePath=false', 'diff', '--no-renames', '--name-status', 'main...feature']).trim().split('\n');
    const letter = { added: 'A', modified: 'M', deleted: 'D' } as const;
    expect(cmp.files.map((f) => `${letter[f.status]}\t${f.path}`)).toEqual(nameStatus);
    const gone = cmp.files.find((f) => f.path === 'gone.md')!;
    expect(gone).toMatchObject({ status: 'deleted', newBlob: null, oldMode: '100644', newMode: null });
    expect(gone.oldBlob).toBe(git(dir, [`rev-parse`, `${base.id}:gone.md`]).trim());
  });

  it('produces the same unified diff as git diff base...head', async () => {
    const { service, storage } = await harness(factory);
    await diverged(service);
    const ours = ok(await service.compareDiff('r', 'main', 'feature')).diff;
    const dir = await exportRepo(storage.repo('r'));
    const theirs = gitBytes(dir, ['diff', '--no-renames', '--no-color', '--no-ext-diff', 'main...feature']);
    expect(ours.toString('latin1')).toBe(theirs.toString('latin1'));
    expect(ours.toString()).toContain('Binary files a/img/logo.png and b/img/logo.png differ');
    expect(ours.toString()).toContain('@@ -28,7 +28,7 @@ line 26\n');
    expect(ours.toString()).toContain('\\ No newline at end of file');
    expect(ours.toString()).toContain('diff --git "a/\\303\\274n\\303\\257code/\\303\\244.md"');
  });

  it('reports identical, ahead and behind', async () => {
    const { service } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    const c2 = await commitFiles(service, 'r', 'main', { 'b.md': 'B' });
    expect(ok(await service.compare('r', 'main', 'main'))).toMatchObject({ status: 'identical', aheadBy: 0, behindBy: 0, files: [] });
    expect(ok(await service.compare('r', c1.id, c2.id))).toMatchObject({ status: 'ahead', aheadBy: 1, behindBy: 0, mergeBase: c1.id });
    expect(ok(await service.compare('r', c2.id, c1.id))).toMatchObject({ status: 'behind', aheadBy: 0, behindBy: 1, mergeBase: c1.id, files: [] });
  });

  it('compares unrelated histories tip to tip, with no merge base', async () => {
    const { service, storage } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A', 'same.md': 'S' });
    // A second root commit (as a push of an unrelated history would bring).
    const fs = storage.repo('r').fs;
    const blob = await isogit.writeBlob({ fs, gitdir: '/', blob: Buffer.from('S') });
    const tree = await isogit.writeTree({ fs, gitdir: '/', tree: [{ mode: '100644', path: 'same.md', oid: blob, type: 'blob' }] });
    const stamp = { ...AUTHOR, timestamp: 1, timezoneOffset: 0 };
    const root = await isogit.writeCommit({ fs, gitdir: '/', commit: { tree, parent: [], message: 'other root\n', author: stamp, committer: stamp } });
    ok(await service.createBranch('r', 'orphan', { from: root }));
    const cmp = ok(await service.compare('r', 'main', 'orphan'));
    expect(cmp).toMatchObject({ mergeBase: null, mergeBases: [], aheadBy: 1, behindBy: 1, status: 'diverged' });
    expect(cmp.files.map((f) => [f.path, f.status])).toEqual([['a.md', 'deleted']]);
    void c1;
  });

  it('counts exactly when commit dates lie (clock skew)', async () => {
    const { service, storage } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    ok(await service.createBranch('r', 'side', { from: 'main' }));
    // Commits on main claim to be from 1990; dates must not decide ancestry.
    for (let i = 0; i < 5; i++) {
      const old = { ...AUTHOR, timestamp: 631152000 + i };
      ok(await service.commitChanges('r', { branch: 'main', message: `old ${i}`, author: old, committer: old, changes: [{ path: `m${i}`, content: Buffer.from(`${i}`) }] }));
    }
    await commitFiles(service, 'r', 'side', { 's.md': 'S' });
    const cmp = ok(await service.compare('r', 'side', 'main'));
    const dir = await exportRepo(storage.repo('r'));
    expect(`${cmp.behindBy}\t${cmp.aheadBy}`).toBe(git(dir, ['rev-list', '--left-right', '--count', 'side...main']).trim());
    expect(cmp.mergeBase).toBe(git(dir, ['merge-base', 'side', 'main']).trim());
    expect(cmp.mergeBase).toBe(c1.id);
  });

  it('answers not-found for unknown refs', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    expect(await service.compare('r', 'main', 'nope')).toMatchObject({ ok: false, reason: 'not-found', what: 'ref', name: 'nope' });
    expect(await service.compareDiff('r', 'nope', 'main')).toMatchObject({ ok: false, reason: 'not-found', name: 'nope' });
  });
});
