import { PeerPool } from '../wire/peer-pool.js';
import { assessCluster, type ClusterHealth } from './cluster-health.js';
import { Control, type ControlOptions } from './etcd-control.js';
import { readLastFailover } from './failover-log.js';
import { MapStore } from './map-store.js';
import { checkClusterSecret } from './secret-check.js';
import { askStatuses, ShardDirectory } from './shard-registry.js';

/**
 * The cluster's health read straight from etcd and the shards, for when no supervisor answers
 * (the supervisors' /status gives the same from their memory). Throws when etcd does not answer.
 */
export async function inspectCluster(options: ControlOptions & { secret: string; timeoutMs?: number }): Promise<ClusterHealth> {
  const control = await Control.open(options);
  const peers = new PeerPool(options.secret, { requestTimeoutMs: options.timeoutMs ?? 2_000, connectTimeoutMs: 1_000 });
  let directory: ShardDirectory | null = null;
  try {
    await checkClusterSecret(control, options.secret);
    directory = await ShardDirectory.open(control);
    const [stored, statuses, lastFailover] = await Promise.all([new MapStore(control).read(), askStatuses(directory, peers), readLastFailover(control)]);
    const found = directory;
    return assessCluster({ map: stored?.map ?? null, registered: (id) => found.get(id), registeredIds: found.ids(), statuses, lastFailover });
  } finally {
    peers.closeAll();
    await directory?.close();
    control.close();
  }
}
