/**
 * The git core beneath both doors of the service (domain/ for REST, git-http/ for git): the object
 * model and its checks, the one object store and its one cache, pack reading and writing, the ref
 * store and the one compare-and-swap that moves refs, ancestry, names, repository existence.
 */
export * from './object.js';
export { checkObject, checkLinkTypes, type TypedLink, type ObjectCheck } from './object-checks.js';
export { entryNameProblem } from './entry-name.js';
export { isWellFormedText } from './text.js';
export { err, ok, type Result } from './result.js';
export { Heap } from './heap.js';
export { GitCache, DEFAULT_CACHE_BYTES, DEFAULT_CACHE_IDLE_MS, type CacheKind, type CacheCounters } from './store/cache.js';
export { ObjectStore, ObjectStores, ObjectFormatError, PACK_BLOCK, type StoredPack, type PackedEntry } from './store/object-store.js';
export { peel, MAX_TAG_HOPS } from './peel.js';
export { readPackHeader } from './pack/format.js';
export { ingestPack, INCOMING_PREFIX, NO_PACK_LIMITS, type PackLimits, type ReceivedObject, type StagedPack, type IngestOptions } from './pack/ingest.js';
export { ByteReader, TooManyBytes } from './stream/byte-reader.js';
export { Pacer } from './stream/pacer.js';
export { readableChunks, ClientGone, type ChunkSource } from './stream/readable-chunks.js';
export { PartFile, PART_BYTES } from './store/part-file.js';
export { writePack, type PackOptions, type PackStats } from './pack/objects.js';
export { writeWholeRepository } from './pack/whole-repository.js';
export { PackWriter, type PackSink } from './pack/writer.js';
export { enumerateObjects, reachableFrom, collectTree, newestFirst, type WalkRequest, type WalkResult } from './walk/object-walk.js';
export { findMissingObject } from './walk/connectivity.js';
export { isValidRefName, isValidShortRefName } from './refs/ref-name.js';
export { isProtected, OPEN_POLICY, type RepoPolicy } from './refs/ref-policy.js';
export { readRef, readRefSnapshot, listRefs, parseRef, refValue, compareRefNames, PACKED_REFS_PATH, type RefSnapshot } from './refs/ref-store.js';
export {
  applyRefUpdates,
  precheckRefUpdates,
  type RefUpdate,
  type RefUpdateResult,
  type RefUpdatedEvent,
  type RefEventSink,
  type RefUpdateContext,
} from './refs/ref-update.js';
export { readSeq, readEventsAfter, BACKLOG, appendOps, parseSeq, prune, SEQ_PATH } from './refs/event-log.js';
export { checkRepository, type RepositoryCheck, type ObjectFault } from './repository-check.js';
export { repositoryExists, METADATA_PATH, TOMBSTONE_PATH } from './repository.js';
export { validateRepoName, isValidRepoName, type NameCheck } from './names.js';
export { generation, isAncestor, mergeBases, aheadBehind, type CommitSource } from './ancestry.js';
export { ancestryOf, commitSource, graphCovering, loadGraph, changedPaths, CommitGraph, CHAIN_PATH, GRAPH_DIR } from './graph/commit-graph.js';
export { mayHaveChanged, pathKey, type PathKey } from './graph/changed-paths.js';
