import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from '../fs-service/index.js';
import { createEngineServer } from '../webmachine/index.js';
import { createApp } from './app.js';
import type { ServerConfig } from './config.js';
import { EventBus } from './events/event-bus.js';
import type { Logger } from './observability/logger.js';

export interface RunningServer {
  server: Server;
  url: string;
  events: EventBus;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes storage. */
  close(graceMs?: number): Promise<void>;
}

/** Starts one front end over the given storage. */
export async function startServer(config: ServerConfig, storage: Storage, logger: Logger): Promise<RunningServer> {
  const events = new EventBus();
  const app = createApp({
    storage,
    events,
    logger,
    engine: { maxBodyBytes: config.maxBodyBytes, maxUriBytes: config.maxUriBytes, trace: config.trace },
  });
  const server = createEngineServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  logger.info({ url, dataDir: config.dataDir }, 'listening');
  return {
    server,
    url,
    events,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await storage.close();
    },
  };
}
