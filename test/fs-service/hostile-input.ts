/** Hostile inputs shared by the embedded and the cluster tests. */
import { readdirSync, readFileSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RepoStore, Storage } from '../../fs-service/index.js';

export const HOSTILE_PATHS: [string, unknown, string][] = [
  ['parent segment', '/../outside', 'EINVAL'],
  ['parent after a folder', '/objects/../../outside', 'EINVAL'],
  ['deep traversal', '/refs/heads/../../../../../../etc/passwd', 'EINVAL'],
  ['dot segment', '/./HEAD', 'EINVAL'],
  ['percent-encoded parent', '/%2e%2e/outside', 'EINVAL'],
  ['upper-case encoded parent', '/%2E%2E/outside', 'EINVAL'],
  ['encoded slash', '/..%2foutside', 'EINVAL'],
  ['fullwidth dots', '/\uff0e\uff0e/outside', 'EINVAL'],
  ['NUL byte', '/HEAD\0.lock', 'EINVAL'],
  ['backslash traversal', '/..\\..\\outside', 'EINVAL'],
  ['control character', '/refs/heads/a\nb', 'EINVAL'],
  ['relative path', 'HEAD', 'EINVAL'],
  ['empty path', '', 'EINVAL'],
  ['windows drive', 'C:\\Windows', 'EINVAL'],
  ['name over 255 bytes', '/' + 'n'.repeat(256), 'EINVAL'],
  ['path over 4096 bytes', '/' + Array.from({ length: 40 }, () => 'p'.repeat(110)).join('/'), 'EINVAL'],
  ['lone surrogate', '/refs/\ud800x', 'EINVAL'],
  ['number instead of a path', 42, 'EINVAL'],
  ['null instead of a path', null, 'EINVAL'],
  ['object instead of a path', { toString: () => '/HEAD' }, 'EINVAL'],
];

export const HOSTILE_REPO_NAMES: unknown[] = ['..', '.', '../etc', 'a/b', '', 'x\0y', '/abs', 'a\\b', 'n'.repeat(101), 7];

export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code ?? `no code: ${String(err)}`;
  }
}

/** Every file, folder and link under a directory with its content, to prove nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string, rel: string) => {
    for (const name of readdirSync(current).sort()) {
      // Engine-private folders (temp files, journal, the shard's map) are not repository state.
      if (rel === '' && name.startsWith('.')) continue;
      const full = join(current, name);
      const path = `${rel}/${name}`;
      const stats = lstatSync(full);
      if (stats.isSymbolicLink()) out[path] = `link:${readlinkSync(full)}`;
      else if (stats.isDirectory()) {
        out[path] = 'dir';
        walk(full, path);
      } else out[path] = readFileSync(full).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

type AnyFs = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** Every operation of the contract with a hostile path must fail with `code` and change nothing. */
export async function expectRefusedEverywhere(repo: RepoStore, path: unknown, code: string): Promise<void> {
  const fs = repo.fs.promises as unknown as AnyFs;
  const attempts: [string, Promise<unknown>][] = [
    ['readFile', fs.readFile!(path)],
    ['writeFile', fs.writeFile!(path, 'owned')],
    ['mkdir', fs.mkdir!(path)],
    ['rmdir', fs.rmdir!(path)],
    ['unlink', fs.unlink!(path)],
    ['stat', fs.stat!(path)],
    ['lstat', fs.lstat!(path)],
    ['readdir', fs.readdir!(path)],
    ['readlink', fs.readlink!(path)],
    ['symlink', fs.symlink!('HEAD', path)],
    ['rm', fs.rm!(path, { recursive: true, force: true })],
    ['compareAndSwap', repo.compareAndSwap([{ path: path as string, expected: null, next: Buffer.from('owned') }])],
    ['createExclusive', repo.createExclusive(path as string, 'owned')],
    ['readMany', repo.readMany(['/HEAD', path as string])],
  ];
  for (const [op, attempt] of attempts) {
    expect(`${op}: ${await errorCode(attempt)}`).toBe(`${op}: ${code}`);
  }
}

export function expectRepoNamesRefused(storage: Storage): void {
  for (const name of HOSTILE_REPO_NAMES) {
    let code = 'accepted';
    try {
      storage.repo(name as string);
    } catch (err) {
      code = (err as { code?: string }).code ?? 'no code';
    }
    expect(`${JSON.stringify(name)}: ${code}`).toBe(`${JSON.stringify(name)}: EINVAL`);
  }
}
