import type { CatchUpProgress } from '../shard/catch-up.js';
import type { ShardStatus } from '../shard/shard-server.js';
import type { FailoverRecord } from './failover-log.js';
import type { Registered } from './shard-registry.js';
import type { ClusterMap, ShardId } from './vbucket-map.js';

/** Why a vbucket takes no writes now. */
export type ReadOnlyCause =
  /** frozen while the leader chooses a new primary */
  | 'failover'
  /** frozen, and fewer than a majority of its copies are alive: no primary can be chosen */
  | 'no-quorum'
  /** its primary's registration is gone; the leader will freeze it (about a lease TTL) */
  | 'primary-down'
  /** its primary restarted and is not yet vouched for by the leader */
  | 'primary-restarted'
  /** its primary is alive but fewer than a majority of copies are in sync */
  | 'too-few-in-sync'
  /** its primary did not answer the status request (or cannot act: no confirmed etcd lease) */
  | 'primary-not-answering';

export interface ShardHealth {
  /** Registered in etcd now (its lease is live). */
  alive: boolean;
  address: string | null;
  bootId: string | null;
  /** The map vouches for the registered incarnation (a restarted shard is not, until the leader publishes it). */
  trusted: boolean;
  /** It answered the status request. */
  answered: boolean;
  epoch: number | null;
  /** Its etcd lease is certainly valid, by its own clock (it acts only then). */
  live: boolean | null;
  /** Vbuckets it leads. */
  primaryOf: number;
  /** Vbuckets it holds a copy of (primary included). */
  holds: number;
  /** True from the moment one of its copies is known to be behind until every one has caught up. */
  catchingUp: boolean;
  /** Vbuckets whose copy here is behind (by its own account or its primary's). */
  behind: number;
  /** Files and bytes its running catch-ups fetch (null: it did not answer). */
  progress: CatchUpProgress | null;
}

export interface ClusterHealth {
  epoch: number;
  /** No map in etcd: the cluster was never formed (or etcd lost it). */
  mapMissing: boolean;
  shards: Record<ShardId, ShardHealth>;
  /** Vbuckets whose writes are refused now, with why. */
  readOnly: { vb: number; cause: ReadOnlyCause; primary: ShardId }[];
  /** Vbuckets with a voting copy that is dead or not in sync (writes may still be taken). */
  shortOfCopy: { vb: number; missing: ShardId[] }[];
  lastFailover: FailoverRecord | null;
}

export interface HealthInputs {
  map: ClusterMap | null;
  /** The registry: who is alive and as which incarnation. */
  registered: (id: ShardId) => Registered | undefined;
  registeredIds: ShardId[];
  /** Each registered shard's answer to `status` (absent: it did not answer). */
  statuses: Map<ShardId, ShardStatus>;
  lastFailover: FailoverRecord | null;
}

/**
 * The cluster as an operator needs to see it, from the map, the registry and the shards' own
 * reports: per shard alive, primary of how many vbuckets, catching up (and how far); per
 * cluster the vbuckets that refuse writes and why, those short of a copy, the last failover.
 * A copy counts as behind from the moment its primary dropped it or it restarted, until its
 * primary counts it in sync again.
 */
export function assessCluster(i: HealthInputs): ClusterHealth {
  const map = i.map;
  const ids = [...new Set([...Object.keys(map?.shards ?? {}), ...i.registeredIds])].sort();
  const behind = new Map<ShardId, Set<number>>(ids.map((id) => [id, new Set(i.statuses.get(id)?.behind ?? [])]));
  for (const status of i.statuses.values()) {
    for (const [id, vbs] of Object.entries(status.notInSync)) for (const vb of vbs) behind.get(id)?.add(vb);
  }
  const trusted = (id: ShardId): boolean => {
    const registered = i.registered(id);
    return registered !== undefined && map?.shards[id]?.bootId === registered.bootId;
  };
  const shards: Record<ShardId, ShardHealth> = {};
  for (const id of ids) {
    const registered = i.registered(id);
    const status = i.statuses.get(id);
    const alive = registered !== undefined;
    const held = map === null ? [] : map.vbuckets.filter((e) => e.copies.includes(id) || e.learners.includes(id));
    const lagging = alive ? behind.get(id)!.size : 0;
    shards[id] = {
      alive,
      address: registered?.address ?? null,
      bootId: status?.bootId ?? registered?.bootId ?? null,
      trusted: trusted(id),
      answered: status !== undefined,
      epoch: status?.epoch ?? null,
      live: status?.live ?? null,
      primaryOf: map === null ? 0 : map.vbuckets.filter((e) => e.copies[0] === id && !e.frozen).length,
      holds: held.length,
      catchingUp: lagging > 0,
      behind: lagging,
      progress: status?.progress ?? null,
    };
  }
  const readOnly: ClusterHealth['readOnly'] = [];
  const shortOfCopy: ClusterHealth['shortOfCopy'] = [];
  map?.vbuckets.forEach((entry, vb) => {
    const primary = entry.copies[0]!;
    const report = i.statuses.get(primary);
    const cause: ReadOnlyCause | null = entry.frozen
      ? entry.noQuorum === true
        ? 'no-quorum'
        : 'failover'
      : i.registered(primary) === undefined
        ? 'primary-down'
        : !trusted(primary)
          ? 'primary-restarted'
          : report === undefined || !report.live
            ? 'primary-not-answering'
            : report.readOnly.includes(vb)
              ? 'too-few-in-sync'
              : null;
    if (cause !== null) readOnly.push({ vb, cause, primary });
    const missing = entry.copies.slice(1).filter((id) => !trusted(id) || (report !== undefined && report.notInSync[id]?.includes(vb) === true) || (report === undefined && behind.get(id)?.has(vb) === true));
    if (i.registered(primary) === undefined) missing.unshift(primary);
    if (missing.length > 0) shortOfCopy.push({ vb, missing });
  });
  return { epoch: map?.epoch ?? 0, mapMissing: map === null, shards, readOnly, shortOfCopy, lastFailover: i.lastFailover };
}
