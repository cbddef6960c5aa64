import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from '../fs-service/index.js';
import { createEngineServer } from '../webmachine/index.js';
import { createApp } from './app.js';
import type { ServerConfig } from './config.js';
import { createRepoService } from './domain/index.js';
import { GitCache, ObjectStores } from './git/index.js';
import { EventBus } from './events/event-bus.js';
import { EventFeed } from './events/event-feed.js';
import { attachEventSocket } from './events/websocket.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { Authorizer, presentedToken } from './auth/authorizer.js';
import { TokenStore } from './auth/token-store.js';
import { UserStore } from './auth/user-store.js';
import { SettingsStore } from './settings/repo-settings.js';

export interface RunningServer {
  server: Server;
  url: string;
  events: EventBus;
  auth: Authorizer | undefined;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes storage. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts one front end over the given storage. `beforeListen` runs once everything is built and
 * before the port opens (the first start's admin token is written there), so nothing, /readyz
 * included, answers before it is done.
 */
export async function startServer(config: ServerConfig, storage: Storage, logger: Logger, metrics = new Metrics(), beforeListen?: (auth: Authorizer | undefined) => Promise<void>): Promise<RunningServer> {
  const events = new EventBus();
  // One object store per repository and one cache for REST and git alike.
  const objects = new ObjectStores(storage, new GitCache(config.gitCacheBytes));
  const service = createRepoService({ storage, events, objects, maxObjectBytes: config.maxObjectBytes });
  const auth = config.auth ? new Authorizer(new TokenStore(storage), new SettingsStore(storage), true, new UserStore(storage)) : undefined;
  const app = createApp({
    storage,
    events,
    service,
    logger,
    auth,
    metrics,
    rateLimits: config.rateLimits,
    objects,
    maxPushObjects: config.maxPushObjects,
    maxObjectBytes: config.maxObjectBytes,
    maxPushInflatedBytes: config.maxPushInflatedBytes,
    engine: { maxBodyBytes: config.maxBodyBytes, maxUriBytes: config.maxUriBytes, trace: config.trace },
  });
  let draining = false;
  // While draining, every answer closes its connection, so nginx retires the ones it keeps alive.
  const server = createEngineServer((req, res) => {
    if (draining) res.setHeader('Connection', 'close');
    app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  // A client that trickles its headers or body is cut off instead of holding a socket forever.
  server.headersTimeout = 20_000;
  server.requestTimeout = 300_000;

  const feed = new EventFeed(storage, events);
  events.subscribe((event) => metrics.refUpdates.inc({ via: event.via }));
  const sockets = attachEventSocket(server, {
    metrics,
    feed,
    service,
    logger,
    ...(auth === undefined
      ? {}
      : {
          mayRead: async (req, repo) => {
            // Browsers cannot set headers on WebSocket requests: a token may come as ?access_token=.
            const query = new URL(req.url ?? '/', 'http://x').searchParams.get('access_token');
            const header = req.headers.authorization ?? (query === null ? undefined : `Bearer ${query}`);
            const principal = await auth.principal(header);
            if (presentedToken(header) !== undefined && principal === null) return false;
            return auth.mayRead(principal, repo);
          },
        }),
  });
  await beforeListen?.(auth);
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
    auth,
    /**
     * Graceful stop: from now on every answer says `Connection: close`, so nginx retires its
     * kept-alive connections to us while we still answer on them; after `drainMs` the listener
     * closes, idle connections are dropped, and in-flight requests get up to `graceMs` to finish.
     */
    async close(graceMs = 10_000, drainMs = Math.min(1_500, graceMs)) {
      draining = true;
      await sockets.close();
      feed.close();
      await new Promise((resolve) => setTimeout(resolve, drainMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await storage.close();
    },
  };
}
