/**
 * What tests (and nothing in production) use from fs-service: the in-memory backend, on memfs, a
 * development dependency. Kept out of index.ts so the service never loads memfs, and out of the
 * build (tsconfig.build.json).
 */
export { MemoryStorage } from './engine/memory-storage.js';
