/**
 * The storage backends every domain suite runs on. The disk engine and the shard client are
 * added here once fs-service exports them; each suite is `describe.each(storageFactories)`.
 */
import { MemoryStorage, type Storage } from '../../../../fs-service/index.js';

export interface StorageFactory {
  name: string;
  create(): Promise<Storage>;
}

export const storageFactories: StorageFactory[] = [{ name: 'memory', create: async () => new MemoryStorage() }];
