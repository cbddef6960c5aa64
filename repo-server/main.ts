#!/usr/bin/env node
import { guardProcess, printHelp, writePidFile } from '../fs-service/index.js';
import { Metrics } from './observability/metrics.js';
import { ConfigError, FRONT_END_USAGE, helpRequested, loadConfig, type ServerConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { openStorage } from './open-storage.js';
import { startServer } from './server.js';
import { ensureAdminToken } from './auth/bootstrap.js';

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
  if (config.pidFile !== undefined) writePidFile(config.pidFile);
  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
  guardProcess(logger, metrics.registry);
  // Storage reports its operations, latencies, cache hits and bytes into the front end's /metrics.
  const storage = await openStorage(config, { logger, registry: metrics.registry });
  // The first start's admin token is written before the port opens: whoever sees /readyz answer finds the file.
  const first: { created?: { token: string; file: string } | null } = {};
  const running = await startServer(config, storage, logger, metrics, async (auth) => {
    if (auth !== undefined) first.created = await ensureAdminToken(auth.tokens, config.dataDir);
    else logger.warn({}, 'access control is OFF (AUTH=off): every request is allowed');
  });
  // Printed once, to the terminal only (never to the log): the operator's first credential.
  if (first.created != null) process.stderr.write(`\nAdmin token (also in ${first.created.file}, mode 0600):\n  ${first.created.token}\n\n`);
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
