/** Storage wrappers for tests: a delegating store with some calls replaced. */
import type { RepoStore, Storage } from '../../../../fs-service/index.js';

export function wrapStore(store: RepoStore, overrides: Partial<Pick<RepoStore, 'name' | 'compareAndSwap'>>): RepoStore {
  return {
    name: overrides.name ?? store.name,
    fs: store.fs,
    compareAndSwap: overrides.compareAndSwap ?? ((ops) => store.compareAndSwap(ops)),
    createExclusive: (path, data) => store.createExclusive(path, data),
    readMany: (paths) => store.readMany(paths),
    readRange: (path, offset, length) => store.readRange(path, offset, length),
    writePart: (path, offset, data) => store.writePart(path, offset, data),
    rename: (from, to) => store.rename(from, to),
    destroy: () => store.destroy(),
  };
}

/** One shared storage seen through a name prefix, so tests on one cluster do not meet. */
export function namespaced(inner: Storage, prefix: string): Storage {
  return {
    repo: (name) => wrapStore(inner.repo(`${prefix}${name}`), { name }),
    listRepos: async () => (await inner.listRepos()).filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)),
    readiness: () => inner.readiness(),
    close: async () => undefined,
  };
}
