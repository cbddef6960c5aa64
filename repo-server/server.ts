import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from '../fs-service/index.js';
import { createEngineServer } from '../webmachine/index.js';
import { API_VERSION, createApp } from './app.js';
import { defaultWebhookConfig, type ServerConfig } from './config.js';
import { createRepoService } from './domain/index.js';
import { GitCache, ObjectStores } from './git/index.js';
import { EventBus } from './events/event-bus.js';
import { EventFeed } from './events/event-feed.js';
import { attachEventSocket } from './events/websocket.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { IdleMemory } from './observability/idle-memory.js';
import { problemTypeForStatus } from './http/problem-types.js';
import { Authorizer, presentedToken } from './auth/authorizer.js';
import { SYSTEM_STORE, TokenStore } from './auth/token-store.js';
import { WebhookDispatcher, Webhooks } from './webhooks/index.js';
import { UserStore } from './auth/user-store.js';
import { EventTickets } from './auth/event-tickets.js';
import { SettingsStore } from './settings/repo-settings.js';

export interface RunningServer {
  server: Server;
  url: string;
  events: EventBus;
  auth: Authorizer | undefined;
  /** Stops accepting (answering `Connection: close` for drainMs first), lets in-flight requests finish (up to graceMs), then closes storage. */
  close(graceMs?: number, drainMs?: number): Promise<void>;
}

/**
 * Starts one front end over the given storage. `beforeListen` runs once everything is built and
 * before the port opens (the first start's admin token is written there), so nothing, /readyz
 * included, answers before it is done.
 */
export async function startServer(config: ServerConfig, storage: Storage, logger: Logger, metrics = new Metrics(), beforeListen?: (auth: Authorizer | undefined) => Promise<void>): Promise<RunningServer> {
  const events = new EventBus();
  // One object store per repository and one cache for REST and git alike.
  const objects = new ObjectStores(storage, new GitCache(config.gitCacheBytes, config.gitCacheIdleMs));
  const idle = new IdleMemory({ trim: () => objects.cache.dropIdle(), released: () => objects.cache.released, trimEveryMs: Math.max(1_000, config.gitCacheIdleMs / 4) });
  metrics.watchGitCache(() => objects.cache.counters());
  const service = createRepoService({ storage, events, objects, maxObjectBytes: config.maxObjectBytes });
  const auth = config.auth ? new Authorizer(new TokenStore(storage), new SettingsStore(storage), true, new UserStore(storage), new EventTickets(storage)) : undefined;
  const hookConfig = config.webhooks ?? defaultWebhookConfig;
  const stores = { storage, system: storage.repo(SYSTEM_STORE) };
  const webhooks = new Webhooks(stores, hookConfig.allow);
  const app = createApp({
    webhooks,
    ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    storage,
    events,
    service,
    logger,
    auth,
    metrics,
    rateLimits: config.rateLimits,
    objects,
    maxPushBytes: config.maxPushBytes,
    maxPushObjects: config.maxPushObjects,
    maxObjectBytes: config.maxObjectBytes,
    maxPushInflatedBytes: config.maxPushInflatedBytes,
    engine: { maxBodyBytes: config.maxBodyBytes, maxUriBytes: config.maxUriBytes, trace: config.trace },
  });
  let draining = false;
  // While draining, every answer closes its connection, so nginx retires the ones it keeps alive.
  const server = createEngineServer((req, res) => {
    res.once('close', idle.begin());
    if (draining) res.setHeader('Connection', 'close');
    app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  // A client that trickles its headers or body is cut off instead of holding a socket forever.
  server.headersTimeout = 20_000;
  server.requestTimeout = 300_000;

  // Every front end follows the event logs and delivers webhooks; leases keep them from sending one twice.
  const dispatcher = new WebhookDispatcher(stores, webhooks, {
    ...hookConfig,
    logger,
    version: API_VERSION,
    onAttempt: (outcome) => metrics.webhookAttempts.inc({ outcome }),
  });
  dispatcher.start(events);
  const feed = new EventFeed(storage, events);
  /** The token each socket's ticket was issued for (a ticket is used up when its socket opens). */
  const ticketHolders = new WeakMap<IncomingMessage, Promise<string | null>>();
  events.subscribe((event) => metrics.refUpdates.inc({ via: event.via }));
  const sockets = attachEventSocket(server, {
    metrics,
    feed,
    service,
    logger,
    problemType: problemTypeForStatus,
    ...(auth === undefined
      ? {}
      : {
          mayRead: async (req, repo) => {
            // Browsers cannot set headers on WebSocket requests: they bring a one-time ticket
            // (POST /events/tickets), never the token itself, so no URL or log holds a token.
            const ticket = new URL(req.url ?? '/', 'http://x').searchParams.get('ticket');
            if (ticket !== null) {
              let holder = ticketHolders.get(req);
              if (holder === undefined) ticketHolders.set(req, (holder = auth.tickets!.redeem(ticket)));
              const tokenId = await holder;
              const principal = tokenId === null ? null : await auth.tokens.principalById(tokenId);
              return principal !== null && auth.mayRead(principal, repo);
            }
            const header = req.headers.authorization;
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
      idle.stop();
      await sockets.close();
      feed.close();
      await dispatcher.close();
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
