import { createHash } from 'node:crypto';
import type { RepoStore, Storage } from '../../../../fs-service/index.js';

/**
 * Every file of every repository (the system token store included) with a hash of its bytes:
 * two equal digests mean a request changed nothing in storage. Only the public storage
 * contract is used, so it works on every backend.
 */
export async function storageDigest(storage: Storage, extraRepos: string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const repos = [...new Set([...(await storage.listRepos()), ...extraRepos])].sort();
  for (const name of repos) await walk(storage.repo(name), '/', (path, hash) => out.set(`${name}:${path}`, hash));
  return out;
}

async function walk(store: RepoStore, dir: string, visit: (path: string, hash: string) => void): Promise<void> {
  let names: string[];
  try {
    names = await store.fs.promises.readdir(dir);
  } catch {
    return;
  }
  for (const name of [...names].sort()) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    const stat = await store.fs.promises.lstat(path);
    if (stat.isDirectory()) {
      await walk(store, path, visit);
    } else {
      const bytes = (await store.fs.promises.readFile(path)) as Buffer;
      visit(path, createHash('sha1').update(bytes).digest('hex'));
    }
  }
}

/** The differences between two digests, for a readable failure message. */
export function digestChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [path, hash] of after) {
    if (!before.has(path)) changes.push(`added ${path}`);
    else if (before.get(path) !== hash) changes.push(`changed ${path}`);
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push(`removed ${path}`);
  return changes;
}
