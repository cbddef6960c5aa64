export type { FileStat, FileData, EncodingOption, RepoFsPromises, RepoStore, Storage, SwapOp } from './contract.js';
export { FsError } from './contract.js';
export { MemoryStorage } from './memory-storage.js';
