import type { RepoStore } from '../../../../fs-service/index.js';

/** Every file path of a repository's storage, sorted (to prove an operation wrote nothing). */
export async function allFiles(store: RepoStore, dir = '/'): Promise<string[]> {
  const out: string[] = [];
  for (const name of await store.fs.promises.readdir(dir)) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if ((await store.fs.promises.stat(path)).isDirectory()) out.push(...(await allFiles(store, path)));
    else out.push(path);
  }
  return out.sort();
}
