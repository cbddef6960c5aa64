import { connectCluster, openEmbeddedStorage, printHelp, type Storage } from '../fs-service/index.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { ConfigError, FRONT_END_USAGE, helpRequested, loadConfig, type ServerConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { startServer } from './server.js';
import { ensureAdminToken } from './auth/bootstrap.js';

/** Embedded storage under DATA_DIR, or (FS_ETCD set) the shard cluster. */
async function openStorage(config: ServerConfig, logger: Logger, metrics: Metrics): Promise<Storage> {
  // Storage reports its operations, latencies, cache hits and bytes into the front end's /metrics.
  const registry = metrics.registry;
  if (config.etcd.length === 0) return openEmbeddedStorage(config.dataDir, { logger, registry });
  if (config.clusterSecret === undefined) throw new Error('FS_ETCD is set but FS_CLUSTER_SECRET is not');
  return connectCluster({ etcd: config.etcd, ...(config.cluster === undefined ? {} : { cluster: config.cluster }), secret: config.clusterSecret, logger, registry });
}

/** The configuration, or (before anything starts) the usage: on --help to stdout, exit 0; on a bad flag or value to stderr, exit 2. */
function configOrUsage(argv: string[] = process.argv.slice(2)): ServerConfig {
  try {
    if (helpRequested(argv)) printHelp(FRONT_END_USAGE);
    return loadConfig(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n${FRONT_END_USAGE}\n`);
    process.exit(2);
  }
}

/** `npm start`: one process, embedded storage under DATA_DIR, nothing else to install. */
async function main(): Promise<void> {
  const config = configOrUsage();
  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
  const storage = await openStorage(config, logger, metrics);
  const running = await startServer(config, storage, logger, metrics);
  if (running.auth !== undefined) {
    const created = await ensureAdminToken(running.auth.tokens, config.dataDir);
    // Printed once, to the terminal only (never to the log): the operator's first credential.
    if (created !== null) process.stderr.write(`\nAdmin token (also in ${created.file}, mode 0600):\n  ${created.token}\n\n`);
  } else {
    logger.warn({}, 'access control is OFF (AUTH=off): every request is allowed');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down; finishing in-flight requests');
    running.close().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  // The log is written asynchronously: what is still buffered goes out before the process ends.
  const exit = (code: number) => logger.flush(() => process.exit(code));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`repo-server failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
