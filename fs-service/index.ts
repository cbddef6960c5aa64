export type { FileStat, FileData, EncodingOption, RepoFsPromises, RepoStore, Storage, SwapOp } from './contract.js';
export { FsError } from './contract.js';
export { MemoryStorage } from './memory-storage.js';
export { createEmbeddedStorage, openEmbeddedStorage, EmbeddedStorage, type EmbeddedStorageOptions } from './embedded-storage.js';
export { FsMetrics, type MetricRole } from './metrics.js';
export { VBUCKETS, vbucketOf, type ClusterMap, type VbucketEntry, type ShardInfo, type ShardId } from './vbucket-map.js';
export { isImmutablePath } from './path-kinds.js';
