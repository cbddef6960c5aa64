/**
 * The supervisor process:
 *   tsx fs-service/control/supervisor-main.ts --shard s1=127.0.0.1:7001 --shard s2=127.0.0.1:7002 \
 *     --shard s3=127.0.0.1:7003 --data ./data/supervisor --secret "$FS_CLUSTER_SECRET" --port 7100
 * Prints {"event":"listening","port":...,"epoch":...} on stdout once the map is published.
 */
import { startAdminServer } from './admin-server.js';
import { assertUsableSecret } from '../wire/cluster-secret.js';
import { onShutdown, readOptions, requireOption, usage } from '../common/cli-options.js';
import { processLogger } from '../common/logging.js';
import { Supervisor } from './supervisor.js';

const spec = {
  shard: { env: 'FS_SHARDS', multiple: true, help: 'id=host:port of a shard (repeat; env: comma-separated)' },
  data: { env: 'FS_SUPERVISOR_DATA', help: 'directory for the supervisor copy of the map' },
  secret: { env: 'FS_CLUSTER_SECRET', help: 'shared cluster secret' },
  host: { env: 'FS_SUPERVISOR_HOST', default: '127.0.0.1', help: 'admin API address' },
  port: { env: 'FS_SUPERVISOR_PORT', default: '0', help: 'admin API port' },
  replicas: { env: 'FS_REPLICAS', default: '3', help: 'copies of each vbucket' },
  heartbeat: { env: 'FS_HEARTBEAT_MS', default: '500', help: 'heartbeat interval (ms)' },
  'dead-after': { env: 'FS_DEAD_AFTER_MS', default: '2000', help: 'silence after which a shard is dead (ms)' },
} as const;

async function main(): Promise<void> {
  const command = 'tsx fs-service/control/supervisor-main.ts';
  const options = readOptions(command, spec);
  const help = usage(command, spec);
  const shards: Record<string, string> = {};
  for (const item of options.shard) {
    const [id, url] = item.split('=');
    if (id === undefined || url === undefined) throw new Error(`--shard wants id=host:port, got ${item}`);
    shards[id] = url;
  }
  if (Object.keys(shards).length === 0) throw new Error(`at least one --shard is required\n${help}`);
  const secret = assertUsableSecret(options.secret);
  const logger = processLogger('supervisor');
  const supervisor = await Supervisor.start({
    shards,
    secret,
    dataDir: requireOption(options.data, 'data', help),
    replicas: Number(options.replicas),
    heartbeatMs: Number(options.heartbeat),
    deadAfterMs: Number(options['dead-after']),
    logger,
  });
  const admin = await startAdminServer(supervisor, { host: options.host!, port: Number(options.port), secret });
  process.stdout.write(JSON.stringify({ event: 'listening', port: admin.port, epoch: supervisor.map?.epoch ?? 0 }) + '\n');
  onShutdown(async () => {
    admin.server.close();
    await supervisor.stop();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`supervisor failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
