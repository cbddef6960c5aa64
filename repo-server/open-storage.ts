import { connectCluster, openEmbeddedStorage, type Storage } from '../fs-service/index.js';
import type { Registry } from 'prom-client';
import type { ServerConfig } from './config.js';
import type { Logger } from './observability/logger.js';

/**
 * The storage a configuration names: embedded under DATA_DIR, or (FS_SHARDS set) the shard
 * cluster. The server and the operator commands (tokens, fsck) open it the same way.
 */
export async function openStorage(config: ServerConfig, opts: { logger?: Logger; registry?: Registry } = {}): Promise<Storage> {
  if (config.shards.length === 0) return openEmbeddedStorage(config.dataDir, opts);
  if (config.clusterSecret === undefined) throw new Error('FS_SHARDS is set but FS_CLUSTER_SECRET is not');
  return connectCluster({ shards: config.shards, secret: config.clusterSecret, ...opts });
}
