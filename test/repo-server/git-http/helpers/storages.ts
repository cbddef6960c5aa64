import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fsService from '../../../../fs-service/index.js';
import { MemoryStorage } from '../../../../fs-service/testing.js';
import type { Storage } from '../../../../fs-service/index.js';
import { clusterStorage } from '../../domain/helpers/cluster-storage.js';

export interface StorageFactory {
  name: string;
  create(): Promise<{ storage: Storage; dispose(): Promise<void> }>;
}

const memory: StorageFactory = {
  name: 'memory',
  create: async () => {
    const storage = new MemoryStorage();
    return { storage, dispose: () => storage.close() };
  },
};

const embedded: StorageFactory = {
  name: 'embedded',
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'git-http-data-'));
    const storage = await fsService.openEmbeddedStorage(dir);
    return {
      storage,
      dispose: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

// Imported statically: the module registers its afterAll (stopping the shard processes by pid)
// while the test file is collected; a hook registered from inside beforeAll would never run.
const cluster: StorageFactory = { name: 'cluster', create: clusterStorage };

const ALL = [memory, embedded, cluster];

/**
 * Every storage backend the git suites run on: memory, the embedded disk engine and the shard
 * cluster (three shard processes and a supervisor, started once per test file by the domain
 * suites' helper, each suite under its own name prefix). GIT_HTTP_STORAGES=memory,embedded
 * narrows the list (the cluster costs a few seconds of process start per test file).
 */
export const STORAGES: StorageFactory[] = ALL.filter((f) => (process.env.GIT_HTTP_STORAGES ?? 'memory,embedded,cluster').split(',').includes(f.name));
