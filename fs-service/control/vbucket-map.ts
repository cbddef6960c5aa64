/**
 * Routing: a repository lives whole on one of VBUCKETS virtual buckets; a versioned cluster map
 * assigns each vbucket an ordered list of shard ids (primary first). Every copy of the map with a
 * higher epoch supersedes a lower one; a vbucket's `term` is the epoch at which its current
 * primary took over, and replication traffic is fenced by it. Epochs and terms are etcd
 * revisions of the map key (map-store.ts); shard addresses come from the registry, not the map.
 */
export const VBUCKETS = 256;

/** FNV-1a over the UTF-8 bytes: stable across processes, versions and platforms. */
export function vbucketOf(repoName: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(repoName, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % VBUCKETS;
}

export function vbucketDirName(vb: number): string {
  return vb.toString().padStart(3, '0');
}

export type ShardId = string;

export interface ShardInfo {
  /** The process incarnation the supervisor vouches for; a shard whose boot id differs restarted (or lost its lease). */
  bootId: string | null;
}

/** A term written as NEW_TERM becomes the epoch of the map version that writes it (map-store.ts). */
export const NEW_TERM = 0;

export interface VbucketEntry {
  /** Epoch at which copies[0] became primary; replication is accepted only for this term. */
  term: number;
  /** Voting copies, primary first. */
  copies: ShardId[];
  /** Copies known identical to the primary when the term began; the others must catch up. */
  inSync: ShardId[];
  /** Non-voting copies catching up (rebalance targets). */
  learners: ShardId[];
  /** While a new primary is being chosen nobody accepts writes. */
  frozen: boolean;
  /**
   * Frozen, and no primary can be chosen: fewer than a majority of its copies are alive. Clients
   * refuse writes at once (read-only) instead of waiting; cleared when a primary is chosen.
   */
  noQuorum?: boolean;
}

export interface ClusterMap {
  epoch: number;
  replicas: number;
  shards: Record<ShardId, ShardInfo>;
  vbuckets: VbucketEntry[];
}

export function majority(copies: number): number {
  return Math.floor(copies / 2) + 1;
}

/** Spreads vbuckets round-robin: copy k of vbucket v is shard (v + k) mod n. */
export function initialMap(shards: Record<ShardId, ShardInfo>, replicas: number): ClusterMap {
  const ids = Object.keys(shards).sort();
  if (ids.length === 0) throw new Error('a cluster map needs at least one shard');
  const copiesPerVb = Math.min(replicas, ids.length);
  const vbuckets: VbucketEntry[] = [];
  for (let vb = 0; vb < VBUCKETS; vb++) {
    const copies = Array.from({ length: copiesPerVb }, (_, k) => ids[(vb + k) % ids.length]!);
    vbuckets.push({ term: NEW_TERM, copies, inSync: [...copies], learners: [], frozen: false });
  }
  return { epoch: 0, replicas, shards, vbuckets };
}

/** Structural check of a map received from the network. */
export function isClusterMap(value: unknown): value is ClusterMap {
  if (typeof value !== 'object' || value === null) return false;
  const map = value as Partial<ClusterMap>;
  return (
    typeof map.epoch === 'number' &&
    typeof map.shards === 'object' &&
    map.shards !== null &&
    Array.isArray(map.vbuckets) &&
    map.vbuckets.length === VBUCKETS &&
    map.vbuckets.every((e) => Array.isArray(e.copies) && typeof e.term === 'number' && Array.isArray(e.inSync) && Array.isArray(e.learners))
  );
}

export function vbucketsHeldBy(map: ClusterMap, shard: ShardId): number[] {
  const held: number[] = [];
  map.vbuckets.forEach((entry, vb) => {
    if (entry.copies.includes(shard) || entry.learners.includes(shard)) held.push(vb);
  });
  return held;
}
