#!/usr/bin/env node
/**
 * A shard process:
 *   tsx fs-service/shard/shard-main.ts --id s1 --data ./data/s1 --etcd 127.0.0.1:2379 (FS_CLUSTER_SECRET in the env)
 * Prints one JSON line {"event":"listening","id":...,"port":...,"bootId":...} on stdout once it
 * accepts connections and is registered in etcd; logs go to stderr as JSON lines.
 */
import { assertUsableSecret, secretFromEnvironment } from '../wire/cluster-secret.js';
import { onShutdown, readOptions, requireOption, usage } from '../common/cli-options.js';
import { DEFAULT_CLUSTER } from '../control/etcd-control.js';
import { processLogger } from '../common/logging.js';
import { guardProcess } from '../common/process-guard.js';
import { writePidFile } from '../common/pid-file.js';
import { ShardServer } from './shard-server.js';

const spec = {
  id: { env: 'FS_SHARD_ID', help: 'shard id: its name in the cluster map (one live process per id)' },
  etcd: { env: 'FS_ETCD', multiple: true, help: 'host:port of an etcd member (repeat, or comma-separated in the env)' },
  cluster: { env: 'FS_CLUSTER', default: DEFAULT_CLUSTER, help: 'cluster name: its key prefix in etcd' },
  port: { env: 'FS_SHARD_PORT', default: '0', help: 'port to listen on (0 = any free port)' },
  host: { env: 'FS_SHARD_HOST', default: '127.0.0.1', help: 'address to listen on' },
  data: { env: 'FS_SHARD_DATA', help: 'data directory' },
  secret: { env: 'FS_CLUSTER_SECRET', help: 'shared cluster secret (or a file named by FS_CLUSTER_SECRET_FILE)' },
  'replicate-timeout': { env: 'FS_REPLICATE_TIMEOUT_MS', default: '5000', help: 'ms before a slow copy is dropped from the in-sync set' },
  advertise: { env: 'FS_SHARD_ADVERTISE', help: 'host:port the others dial, registered in etcd (default host:port)' },
  'lease-ttl': { env: 'FS_LEASE_TTL_S', default: '2', help: 'etcd lease TTL in seconds: a shard silent this long is dead to the cluster' },
  'claim-wait': { env: 'FS_CLAIM_WAIT_MS', help: 'ms to wait at start for an earlier registration of this id to expire (default 3 TTLs + 2 s)' },
  'pid-file': { env: 'PID_FILE', help: 'file to write this process\'s pid to (removed at exit)' },
} as const;

async function main(): Promise<void> {
  const command = 'tsx fs-service/shard/shard-main.ts';
  const options = readOptions(command, spec);
  const help = usage(command, spec);
  const id = requireOption(options.id, 'id', help);
  const etcd = options.etcd.flatMap((e) => e.split(',')).filter((e) => e !== '');
  if (etcd.length === 0) throw new Error(`at least one --etcd endpoint is required\n${help}`);
  if (options['pid-file'] !== undefined) writePidFile(options['pid-file']);
  const logger = processLogger(`shard-${id}`);
  guardProcess(logger);
  const shard = await ShardServer.start({
    id,
    dataDir: requireOption(options.data, 'data', help),
    secret: assertUsableSecret(options.secret ?? secretFromEnvironment()),
    host: options.host!,
    port: Number(options.port),
    logger,
    replicateTimeoutMs: Number(options['replicate-timeout']),
    control: { etcd, cluster: options.cluster! },
    leaseTtlSeconds: Number(options['lease-ttl']),
    ...(options.advertise === undefined ? {} : { advertise: options.advertise }),
    ...(options['claim-wait'] === undefined ? {} : { claimWaitMs: Number(options['claim-wait']) }),
  });
  process.stdout.write(JSON.stringify({ event: 'listening', id, port: shard.port, bootId: shard.bootId }) + '\n');
  onShutdown(() => shard.stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`shard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
