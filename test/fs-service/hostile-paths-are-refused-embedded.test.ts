import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage, vbucketOf, type EmbeddedStorage, type RepoStore } from '../../fs-service/index.js';
import { vbucketDirName } from '../../fs-service/control/vbucket-map.js';
import { errorCode, expectRefusedEverywhere, expectRepoNamesRefused, HOSTILE_PATHS, snapshot } from './hostile-input.js';

describe('hostile paths on the embedded engine', () => {
  let root: string;
  let dataDir: string;
  let outside: string;
  let storage: EmbeddedStorage;
  let repo: RepoStore;
  let repoDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'fs-hostile-'));
    dataDir = join(root, 'data');
    outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'do not read');
    storage = await openEmbeddedStorage(dataDir);
    repo = storage.repo('victim');
    await repo.fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
    await repo.fs.promises.writeFile('/refs/heads/main', 'a'.repeat(40) + '\n');
    repoDir = join(dataDir, vbucketDirName(vbucketOf('victim')), 'victim');
  });
  afterAll(async () => {
    await storage.close();
    rmSync(root, { recursive: true, force: true });
  });

  it.each(HOSTILE_PATHS)('refuses %s with %s and changes nothing', async (_label, path, code) => {
    const before = snapshot(root);
    await expectRefusedEverywhere(repo, path, code);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses hostile repository names before touching the disk', () => {
    const before = snapshot(root);
    expectRepoNamesRefused(storage);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses wrong data and option types', async () => {
    const fs = repo.fs.promises as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const before = snapshot(root);
    expect(await errorCode(fs.writeFile!('/x', 42))).toBe('EINVAL');
    expect(await errorCode(fs.writeFile!('/x', null))).toBe('EINVAL');
    expect(await errorCode(fs.writeFile!('/x', 'data', { encoding: 'latin1' }))).toBe('EINVAL');
    expect(await errorCode(fs.readFile!('/HEAD', 'base64'))).toBe('EINVAL');
    expect(await errorCode(repo.compareAndSwap([{ path: '/x', expected: 'text' as unknown as Buffer, next: null }]))).toBe('EINVAL');
    expect(await errorCode(repo.compareAndSwap([]))).toBe('EINVAL');
    expect(await errorCode(repo.readMany('/HEAD' as unknown as string[]))).toBe('EINVAL');
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses symlinks whose target leaves the repository', async () => {
    const before = snapshot(root);
    expect(await errorCode(repo.fs.promises.symlink('../../../outside/secret', '/link'))).toBe('EACCES');
    expect(await errorCode(repo.fs.promises.symlink('/etc/passwd', '/link'))).toBe('EACCES');
    expect(await errorCode(repo.fs.promises.symlink('refs/../../x', '/link'))).toBe('EACCES');
    expect(snapshot(root)).toEqual(before);
    // A link that stays inside is an ordinary symlink.
    await repo.fs.promises.symlink('heads/main', '/refs/alias');
    expect(await repo.fs.promises.readlink('/refs/alias')).toBe('heads/main');
    expect(await repo.fs.promises.readFile('/refs/alias', 'utf8')).toBe('a'.repeat(40) + '\n');
    expect((await repo.readMany(['/refs/alias', '/refs/heads/main'])).map((b) => b?.toString())).toEqual(['a'.repeat(40) + '\n', 'a'.repeat(40) + '\n']);
    await repo.fs.promises.unlink('/refs/alias');
  });

  it('never follows a symlink planted out of band to a place outside the repository', async () => {
    symlinkSync(outside, join(repoDir, 'planted'));
    symlinkSync(join(outside, 'secret'), join(repoDir, 'planted-file'));
    const before = snapshot(root);
    const fs = repo.fs.promises;
    expect(await errorCode(fs.readFile('/planted/secret'))).toBe('EACCES');
    expect(await errorCode(fs.readFile('/planted-file'))).toBe('EACCES');
    expect(await errorCode(repo.readMany(['/HEAD', '/planted-file']))).toBe('EACCES');
    expect(await errorCode(repo.readMany(['/planted/secret']))).toBe('EACCES');
    expect(await errorCode(fs.stat('/planted'))).toBe('EACCES');
    expect(await errorCode(fs.readdir('/planted'))).toBe('EACCES');
    expect(await errorCode(fs.writeFile('/planted/new', 'x'))).toBe('EACCES');
    expect(await errorCode(fs.writeFile('/planted/secret', 'x'))).toBe('EACCES');
    expect(await errorCode(fs.mkdir('/planted/dir'))).toBe('EACCES');
    expect(await errorCode(fs.unlink('/planted/secret'))).toBe('EACCES');
    expect(await errorCode(fs.rm('/planted/secret', { force: true }))).toBe('EACCES');
    expect(await errorCode(repo.compareAndSwap([{ path: '/planted/secret', expected: null, next: Buffer.from('x') }]))).toBe('EACCES');
    expect(await errorCode(repo.createExclusive('/planted/other', 'x'))).toBe('EACCES');
    expect(snapshot(root)).toEqual(before);
    // A FIFO planted out of band neither hangs a batched read (open would wait for a writer) nor
    // passes for a file.
    execFileSync('mkfifo', [join(repoDir, 'planted-fifo')]);
    expect(await errorCode(repo.readMany(['/HEAD', '/planted-fifo']))).toBe('EINVAL');
    rmSync(join(repoDir, 'planted-fifo'));
    // lstat describes the link itself without following it.
    expect((await fs.lstat('/planted')).isSymbolicLink()).toBe(true);
  });
});
