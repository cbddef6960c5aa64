import isogit from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import type { FileContent, FolderContent } from '../../../repo-server/domain/index.js';
import { AUTHOR, commitFiles, harness, ok, seed } from './helpers/service.js';
import { exportRepo, git } from './helpers/native-git.js';
import { storageFactories } from './helpers/storages.js';

const text = (s: string) => Buffer.from(s);

describe.each(storageFactories)('commitChanges on $name storage', (factory) => {
  it('creates the branch with a root commit on an empty repository', async () => {
    const { service, storage, events } = await harness(factory);
    await service.createRepository('r');
    const result = ok(await service.commitChanges('r', { branch: 'main', message: 'first', author: AUTHOR, changes: [{ path: 'a/b.md', content: text('B') }] }));
    expect(result.commit.parents).toEqual([]);
    expect(result.files).toEqual([{ path: 'a/b.md', action: 'created', blob: expect.stringMatching(/^[0-9a-f]{40}$/) }]);
    expect(result.commit.message).toBe('first\n');
    expect(result.commit.author).toMatchObject(AUTHOR);
    expect(events.events).toEqual([expect.objectContaining({ repo: 'r', ref: 'refs/heads/main', old: null, new: result.commit.id, via: 'rest' })]);
    const dir = await exportRepo(storage.repo('r'));
    git(dir, ['fsck', '--full', '--strict']);
    expect(git(dir, ['show', 'main:a/b.md'])).toBe('B');
  });

  it('credits a commit without an author to the signed-in actor, and to the service without one', async () => {
    const { service } = await harness(factory);
    await service.createRepository('r');
    const byActor = ok(await service.commitChanges('r', { branch: 'main', message: 'by alice', actor: 'Alice Author', changes: [{ path: 'a.md', content: text('A') }] }));
    expect(byActor.commit.author.name).toBe('Alice Author');
    expect(byActor.commit.committer.name).toBe('Alice Author');
    const anonymous = ok(await service.commitChanges('r', { branch: 'main', message: 'anonymous', actor: 'anonymous', changes: [{ path: 'b.md', content: text('B') }] }));
    expect(anonymous.commit.author.name).toBe('Content Repository');
    // A name that would break the commit header is not used as one.
    const hostile = ok(await service.commitChanges('r', { branch: 'main', message: 'odd', actor: 'x <evil@example.com>\n', changes: [{ path: 'c.md', content: text('C') }] }));
    expect(hostile.commit.author.name).toBe('Content Repository');
    const explicit = ok(await service.commitChanges('r', { branch: 'main', message: 'explicit', actor: 'Alice Author', author: AUTHOR, changes: [{ path: 'd.md', content: text('D') }] }));
    expect(explicit.commit.author).toMatchObject(AUTHOR);
  });

  it('writes, replaces and deletes several files in one commit and says which', async () => {
    const { service, storage } = await harness(factory);
    const c1 = await seed(service, 'r', { 'keep.md': 'K', 'old.md': 'O', 'dir/gone.md': 'G', 'deep/a/b/c.md': 'C' });
    const result = ok(
      await service.commitChanges('r', {
        branch: 'main',
        message: 'several',
        parent: c1.id,
        changes: [
          { path: 'old.md', content: text('O2') },
          { path: 'new/file.md', content: text('N') },
          { path: 'dir/gone.md', delete: true },
        ],
      }),
    );
    expect(result.commit.parents).toEqual([c1.id]);
    expect(result.files.map((f) => [f.path, f.action])).toEqual([
      ['old.md', 'replaced'],
      ['new/file.md', 'created'],
      ['dir/gone.md', 'deleted'],
    ]);
    expect(result.files[2]!.blob).toBeNull();
    const dir = await exportRepo(storage.repo('r'));
    git(dir, ['fsck', '--full', '--strict']);
    expect(git(dir, ['ls-tree', '-r', '--name-only', 'main']).trim().split('\n')).toEqual(['deep/a/b/c.md', 'keep.md', 'new/file.md', 'old.md']);
    // The emptied folder disappeared; untouched subtrees kept their ids.
    expect(git(dir, ['rev-parse', `${c1.id}:deep`])).toBe(git(dir, ['rev-parse', 'main:deep']));
    expect(git(dir, ['diff', '--name-status', c1.id, 'main']).trim().split('\n')).toEqual(['D\tdir/gone.md', 'A\tnew/file.md', 'M\told.md']);
  });

  it('writes only the trees on the changed paths', async () => {
    const { service, storage } = await harness(factory);
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`d${i}/f.md`] = `${i}`;
    await seed(service, 'r', files);
    const before = new Set(await listObjects(storage.repo('r')));
    await commitFiles(service, 'r', 'main', { 'd7/f.md': 'changed' });
    const added = (await listObjects(storage.repo('r'))).filter((o) => !before.has(o));
    // blob + d7 tree + root tree + commit
    expect(added).toHaveLength(4);
  });

  it('keeps the executable bit of a replaced file', async () => {
    const { service, storage } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.sh': 'x' });
    // No API makes executables (pushes do): build that commit with isomorphic-git directly.
    const fs = storage.repo('r').fs;
    const blob = await isogit.writeBlob({ fs, gitdir: '/', blob: text('#!/bin/sh\n') });
    const tree = await isogit.writeTree({ fs, gitdir: '/', tree: [{ mode: '100755', path: 'run.sh', oid: blob, type: 'blob' }] });
    const exec = await isogit.writeCommit({ fs, gitdir: '/', commit: { tree, parent: [c1.id], message: 'x\n', author: { ...AUTHOR, timestamp: 1, timezoneOffset: 0 }, committer: { ...AUTHOR, timestamp: 1, timezoneOffset: 0 } } });
    ok(await service.moveBranch('r', 'main', { commit: exec, expected: c1.id, force: true }));
    await commitFiles(service, 'r', 'main', { 'run.sh': '#!/bin/sh\necho\n', 'new.sh': 'n' });
    const modes = (ok(await service.readPath('r', {})).content as FolderContent).entries.map((e) => [e.name, e.mode]);
    expect(modes).toEqual([
      ['new.sh', '100644'],
      ['run.sh', '100755'],
    ]);
  });

  it('answers stale when parent is not the head, and writes no ref', async () => {
    const { service, events } = await harness(factory);
    const c1 = await seed(service, 'r', { 'a.md': 'A' });
    const c2 = await commitFiles(service, 'r', 'main', { 'b.md': 'B' });
    const before = events.events.length;
    expect(await service.commitChanges('r', { branch: 'main', message: 'm', parent: c1.id, changes: [{ path: 'c.md', content: text('C') }] })).toEqual({
      ok: false,
      reason: 'stale',
      current: c2.id,
    });
    expect(events.events.length).toBe(before);
  });

  it('checks preconditions: expected blob, and null for must-not-exist', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    const blobA = (ok(await service.readPath('r', { path: 'a.md' })).content as FileContent).oid;
    const wrong = await service.commitChanges('r', {
      branch: 'main',
      message: 'm',
      changes: [{ path: 'a.md', content: text('A2') }],
      preconditions: [{ path: 'a.md', expectedBlob: 'f'.repeat(40) }],
    });
    expect(wrong).toMatchObject({ ok: false, reason: 'precondition-failed', path: 'a.md', expected: 'f'.repeat(40), actual: blobA });
    const exists = await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'a.md', content: text('A2') }], preconditions: [{ path: 'a.md', expectedBlob: null }] });
    expect(exists).toMatchObject({ ok: false, reason: 'precondition-failed', expected: null, actual: blobA });
    ok(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'a.md', content: text('A2') }], preconditions: [{ path: 'a.md', expectedBlob: blobA }] }));
    ok(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'n.md', content: text('N') }], preconditions: [{ path: 'n.md', expectedBlob: null }] }));
  });

  it('answers not-found for deleting a missing path and for a missing branch of a non-empty repository', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    expect(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'nope.md', delete: true }] })).toEqual({ ok: false, reason: 'not-found', what: 'path', name: 'nope.md' });
    expect(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'x/nope.md', delete: true }] })).toMatchObject({ reason: 'not-found', what: 'path' });
    expect(await service.commitChanges('r', { branch: 'other', message: 'm', changes: [{ path: 'b', content: text('') }] })).toEqual({ ok: false, reason: 'not-found', what: 'branch', name: 'other' });
  });

  it('refuses changes that turn a file into a folder or delete a folder', async () => {
    const { service } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A', 'd/x.md': 'X' });
    expect(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'a.md/b', content: text('') }] })).toMatchObject({ ok: false, reason: 'invalid-change', path: 'a.md' });
    expect(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'd', content: text('') }] })).toMatchObject({ ok: false, reason: 'invalid-change', path: 'd' });
    expect(await service.commitChanges('r', { branch: 'main', message: 'm', changes: [{ path: 'd', delete: true }] })).toMatchObject({ ok: false, reason: 'invalid-change', path: 'd' });
  });

  it('refuses invalid input without writing anything', async () => {
    const { service, events } = await harness(factory);
    await seed(service, 'r', { 'a.md': 'A' });
    const n = events.events.length;
    const base = { branch: 'main', message: 'm', changes: [{ path: 'a.md', content: text('x') }] };
    expect(await service.commitChanges('r', { ...base, branch: 'a..b' })).toMatchObject({ reason: 'invalid', what: 'branch-name' });
    expect(await service.commitChanges('r', { ...base, message: '' })).toMatchObject({ reason: 'invalid', what: 'message' });
    expect(await service.commitChanges('r', { ...base, changes: [] })).toMatchObject({ reason: 'invalid', what: 'changes' });
    expect(await service.commitChanges('r', { ...base, changes: [{ path: '../x', content: text('') }] })).toMatchObject({ reason: 'invalid', what: 'path' });
    expect(await service.commitChanges('r', { ...base, changes: [{ path: '.git/hooks/post-update', content: text('') }] })).toMatchObject({ reason: 'invalid', what: 'path' });
    expect(
      await service.commitChanges('r', {
        ...base,
        changes: [
          { path: 'a', content: text('') },
          { path: 'a', delete: true },
        ],
      }),
    ).toMatchObject({ reason: 'invalid', what: 'changes' });
    expect(
      await service.commitChanges('r', {
        ...base,
        changes: [
          { path: 'a', content: text('') },
          { path: 'a/b', content: text('') },
        ],
      }),
    ).toMatchObject({ reason: 'invalid', what: 'changes' });
    expect(await service.commitChanges('r', { ...base, parent: 'abc' })).toMatchObject({ reason: 'invalid', what: 'commit-id' });
    expect(await service.commitChanges('r', { ...base, author: { name: 'x\ny', email: 'e' } })).toMatchObject({ reason: 'invalid', what: 'person' });
    expect(await service.commitChanges('r', { ...base, preconditions: [{ path: 'a.md', expectedBlob: 'zz' }] })).toMatchObject({ reason: 'invalid' });
    expect(events.events.length).toBe(n);
  });

  it('stores bytes exactly, including binary and non-UTF-8 content', async () => {
    const { service, storage } = await harness(factory);
    const bytes = Buffer.from([0, 255, 254, 10, 13, 0xc3, 0x28, 0x80]);
    await seed(service, 'r', { 'bin.dat': bytes, 'ünï code/ä.md': 'ä' });
    const file = ok(await service.readPath('r', { path: 'bin.dat' })).content as FileContent;
    expect((await file.bytes()).equals(bytes)).toBe(true);
    const folder = ok(await service.readPath('r', { path: 'ünï code' })).content as FolderContent;
    expect(folder.entries.map((e) => e.name)).toEqual(['ä.md']);
    const dir = await exportRepo(storage.repo('r'));
    git(dir, ['fsck', '--full', '--strict']);
  });

  it('records author and committer as given', async () => {
    const { service, storage } = await harness(factory);
    await service.createRepository('r');
    const result = ok(
      await service.commitChanges('r', {
        branch: 'main',
        message: '\n\nm\r\n\n\n',
        author: { name: 'A', email: 'a@x', timestamp: 1_000_000_000, timezoneOffset: -120 },
        committer: { name: 'Čeněk Ünïcode', email: 'c@x', timezoneOffset: 330 },
        changes: [{ path: 'f', content: text('') }],
      }),
    );
    expect(result.commit.author).toEqual({ name: 'A', email: 'a@x', timestamp: 1_000_000_000, timezoneOffset: -120 });
    expect(result.commit.committer).toMatchObject({ name: 'Čeněk Ünïcode', email: 'c@x', timezoneOffset: 330 });
    expect(result.commit.message).toBe('m\n');
    // The id we computed before writing is the id git computes from the stored object.
    const dir = await exportRepo(storage.repo('r'));
    expect(git(dir, ['rev-parse', 'main']).trim()).toBe(result.commit.id);
    expect(git(dir, ['log', '-1', '--format=%cn']).trim()).toBe('Čeněk Ünïcode');
    expect(git(dir, ['cat-file', '-p', 'main'])).toContain(' -0530\n');
  });
});

async function listObjects(store: { fs: { promises: { readdir(p: string): Promise<string[]> } } }): Promise<string[]> {
  const out: string[] = [];
  for (const fan of await store.fs.promises.readdir('/objects')) {
    if (!/^[0-9a-f]{2}$/.test(fan)) continue;
    for (const rest of await store.fs.promises.readdir(`/objects/${fan}`)) out.push(fan + rest);
  }
  return out;
}
