import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fsService from '../../../../fs-service/index.js';
import type { Storage } from '../../../../fs-service/index.js';

export interface StorageFactory {
  name: string;
  create(): Promise<{ storage: Storage; dispose(): Promise<void> }>;
}

const memory: StorageFactory = {
  name: 'memory',
  create: async () => {
    const storage = new fsService.MemoryStorage();
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

/**
 * Every storage backend the git suites run on. The shard client (three shard processes) is
 * added here once fs-service exports a factory for it.
 */
export const STORAGES: StorageFactory[] = [memory, embedded];
