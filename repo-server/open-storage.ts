import { connectCluster, openEmbeddedStorage, type Storage } from '../fs-service/index.js';
import type { Registry } from 'prom-client';
import type { ServerConfig } from './config.js';
import type { Logger } from './observability/logger.js';

/**
 * The storage a configuration names: embedded under DATA_DIR, or (FS_ETCD set) the shard
 * cluster. The server and the operator commands (tokens, fsck) open it the same way.
 */
export async function openStorage(config: ServerConfig, opts: { logger?: Logger; registry?: Registry } = {}): Promise<Storage> {
  if (config.etcd.length === 0) return openEmbeddedStorage(config.dataDir, opts);
  if (config.clusterSecret === undefined) throw new Error('FS_ETCD is set but neither FS_CLUSTER_SECRET nor FS_CLUSTER_SECRET_FILE is');
  return connectCluster({ etcd: config.etcd, ...(config.cluster === undefined ? {} : { cluster: config.cluster }), secret: config.clusterSecret, ...opts });
}
