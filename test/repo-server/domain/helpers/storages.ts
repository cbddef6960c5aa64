/**
 * The storage backends every domain suite runs on (`describe.each(storageFactories)`):
 * memory and the embedded disk engine by default; the shard cluster (real shard processes)
 * when DOMAIN_CLUSTER=1, since starting it costs seconds per suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStorage, type Storage } from '../../../../fs-service/index.js';
import { MemoryStorage } from '../../../../fs-service/testing.js';

export interface StorageHandle {
  storage: Storage;
  dispose(): Promise<void>;
}

export interface StorageFactory {
  name: string;
  create(): Promise<StorageHandle>;
}

export const memory: StorageFactory = {
  name: 'memory',
  create: async () => {
    const storage = new MemoryStorage();
    return { storage, dispose: () => storage.close() };
  },
};

export const embedded: StorageFactory = {
  name: 'embedded',
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'domain-data-'));
    const storage = await openEmbeddedStorage(dir);
    return {
      storage,
      dispose: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

async function clusterFactory(): Promise<StorageFactory> {
  const { clusterStorage } = await import('./cluster-storage.js');
  return { name: 'cluster', create: () => clusterStorage() };
}

export const storageFactories: StorageFactory[] = [memory, embedded, ...(process.env.DOMAIN_CLUSTER === '1' ? [await clusterFactory()] : [])];
