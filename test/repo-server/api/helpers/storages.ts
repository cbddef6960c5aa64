/**
 * The storage backends the REST, auth and events suites run on, in one list so a new backend
 * (the fs-service shard client) is added in one place: every suite is
 * `describe.each(STORAGE_FACTORIES)`.
 */
import type { Storage } from '../../../../fs-service/index.js';

export type { StorageFactory, StorageHandle } from '../../domain/helpers/storages.js';
/** The same backends the domain suites use (one definition for both). */
export { memory as memoryStorage, embedded as embeddedStorage } from '../../domain/helpers/storages.js';
import { embedded as embeddedStorage, memory as memoryStorage, type StorageFactory } from '../../domain/helpers/storages.js';

/**
 * The shard cluster (three shard processes and a supervisor per test file), reusing the domain
 * suites' harness. Opt-in with API_CLUSTER=1: starting it costs seconds per file.
 */
async function clusterFactory(): Promise<StorageFactory> {
  const { clusterStorage } = await import('../../domain/helpers/cluster-storage.js');
  return { name: 'cluster', create: () => clusterStorage('api') };
}

/**
 * The core suites (contents and concurrent writes) always run on the shard cluster too, so the
 * REST API is proven over real shard processes in every run; the rest opt in with API_CLUSTER=1.
 */
export const CORE_STORAGE_FACTORIES: StorageFactory[] = [memoryStorage, embeddedStorage, await clusterFactory()];

/** Every backend the main API suites run on. */
export const STORAGE_FACTORIES: StorageFactory[] = [memoryStorage, embeddedStorage, ...(process.env.API_CLUSTER === '1' ? [await clusterFactory()] : [])];

/**
 * The same storage for a second front end: closing one front end must not close the storage
 * the other still uses (startServer closes its storage on close()).
 */
export function sharedStorage(storage: Storage): Storage {
  return {
    repo: (name) => storage.repo(name),
    listRepos: () => storage.listRepos(),
    readiness: () => storage.readiness(),
    close: async () => undefined,
  };
}
