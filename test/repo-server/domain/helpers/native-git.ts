/**
 * Cross-checks with the real git: copy a repository out of any Storage (through its fs) into a
 * temporary bare repository and run git there. Only tests use native git.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { RepoStore } from '../../../../fs-service/index.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function copy(store: RepoStore, from: string, to: string): Promise<void> {
  for (const name of await store.fs.promises.readdir(from)) {
    const source = from === '/' ? `/${name}` : `${from}/${name}`;
    const target = join(to, name);
    const stat = await store.fs.promises.stat(source);
    if (stat.isDirectory()) {
      mkdirSync(target, { recursive: true });
      await copy(store, source, target);
    } else {
      writeFileSync(target, await store.fs.promises.readFile(source));
    }
  }
}

/** A copy as a bare repository in a temp dir, removed after the test (or by the caller: `keep`). */
export async function exportRepo(store: RepoStore, keep = false): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'domain-git-'));
  if (!keep) made.push(dir);
  await copy(store, '/', dir);
  return dir;
}

export function git(gitdir: string, args: string[], input?: Buffer): string {
  return execFileSync('git', ['--git-dir', gitdir, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: gitdir, TZ: 'UTC' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function gitBytes(gitdir: string, args: string[]): Buffer {
  return execFileSync('git', ['--git-dir', gitdir, ...args], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: gitdir } });
}
