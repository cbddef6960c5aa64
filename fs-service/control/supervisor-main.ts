#!/usr/bin/env node
/**
 * A supervisor process (run two or more; one leads, elected through etcd):
 *   tsx fs-service/control/supervisor-main.ts --etcd 127.0.0.1:2379 --initial-shards s1,s2,s3 --port 7100
 * Prints {"event":"listening","port":...} on stdout once its admin API listens; it then campaigns.
 */
import { onShutdown, readOptions, usage } from '../common/cli-options.js';
import { processLogger } from '../common/logging.js';
import { guardProcess } from '../common/process-guard.js';
import { writePidFile } from '../common/pid-file.js';
import { assertUsableSecret, secretFromEnvironment } from '../wire/cluster-secret.js';
import { startAdminServer } from './admin-server.js';
import { DEFAULT_CLUSTER } from './etcd-control.js';
import { Supervisor } from './supervisor.js';

const spec = {
  etcd: { env: 'FS_ETCD', multiple: true, help: 'host:port of an etcd member (repeat, or comma-separated in the env)' },
  cluster: { env: 'FS_CLUSTER', default: DEFAULT_CLUSTER, help: 'cluster name: its key prefix in etcd' },
  secret: { env: 'FS_CLUSTER_SECRET', help: 'shared cluster secret (or a file named by FS_CLUSTER_SECRET_FILE)' },
  name: { env: 'FS_SUPERVISOR_NAME', help: 'name of this supervisor in the election (default supervisor-<pid>)' },
  host: { env: 'FS_SUPERVISOR_HOST', default: '127.0.0.1', help: 'admin API address' },
  port: { env: 'FS_SUPERVISOR_PORT', default: '0', help: 'admin API port' },
  replicas: { env: 'FS_REPLICAS', default: '3', help: 'copies of each vbucket (a new cluster only)' },
  'initial-shards': { env: 'FS_INITIAL_SHARDS', help: 'comma-separated shard ids a new cluster waits for before its first map' },
  'adopt-map': { env: 'FS_ADOPT_MAP', help: 'map.json of a supervisor before etcd, imported once when etcd has no map' },
  'election-ttl': { env: 'FS_ELECTION_TTL_S', default: '2', help: 'election lease TTL in seconds (a standby takes over this long after the leader stops)' },
  'pid-file': { env: 'PID_FILE', help: 'file to write this process\'s pid to (removed at exit)' },
} as const;

async function main(): Promise<void> {
  const command = 'tsx fs-service/control/supervisor-main.ts';
  const options = readOptions(command, spec);
  const help = usage(command, spec);
  const etcd = options.etcd.flatMap((e) => e.split(',')).filter((e) => e !== '');
  if (etcd.length === 0) throw new Error(`at least one --etcd endpoint is required\n${help}`);
  const secret = assertUsableSecret(options.secret ?? secretFromEnvironment());
  if (options['pid-file'] !== undefined) writePidFile(options['pid-file']);
  const logger = processLogger('supervisor');
  guardProcess(logger);
  const host = options.host!;
  // The admin API listens first, so the leader can announce where it is.
  let supervisor: Supervisor | null = null;
  const admin = await startAdminServer(() => supervisor, { host, port: Number(options.port), secret });
  supervisor = await Supervisor.start({
    control: { etcd, cluster: options.cluster! },
    secret,
    ...(options.name === undefined ? {} : { name: options.name }),
    adminUrl: `http://${host}:${admin.port}`,
    replicas: Number(options.replicas),
    initialShards: (options['initial-shards'] ?? '').split(',').filter((id) => id !== ''),
    ...(options['adopt-map'] === undefined ? {} : { adoptMapFile: options['adopt-map'] }),
    electionTtlSeconds: Number(options['election-ttl']),
    logger,
  });
  process.stdout.write(JSON.stringify({ event: 'listening', port: admin.port, name: supervisor.name }) + '\n');
  onShutdown(async () => {
    admin.server.close();
    await supervisor?.stop();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`supervisor failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
