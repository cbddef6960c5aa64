import { createHash } from 'node:crypto';
import express, { type Express } from 'express';
import type { Storage } from '../fs-service/index.js';
import { type EngineOptions, resource } from '../webmachine/index.js';
import type { EventBus } from './events/event-bus.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { LivenessResource, MetricsResource, ReadinessResource } from './resources/health.js';
import { createRepoService, type RepoService } from './domain/index.js';
import { errorHandler, notFoundHandler } from './http/fallbacks.js';
import { mountRoutes } from './http/mount.js';
import { webClientRouter } from './web/index.js';
import { rateLimiters, type RateLimits } from './http/rate-limit.js';
import { requestIds } from './http/request-id.js';
import { openApiDocument } from './http/openapi.js';
import { apiRoutes } from './http/routes.js';
import { OpenApiResource } from './resources/openapi.js';
import { gitHttpRouter, type AuthDecision } from './git-http/index.js';
import { type Authorizer, BASIC_CHALLENGE } from './auth/authorizer.js';
import { SettingsStore } from './settings/repo-settings.js';

export const API_VERSION = '0.1.0';

export interface AppDeps {
  storage: Storage;
  events: EventBus;
  logger: Logger;
  engine: Partial<EngineOptions>;
  metrics?: Metrics;
  service?: RepoService;
  /** Access control; absent: everything is allowed (only for tests of other parts). */
  auth?: Authorizer;
  /** Rate limits; absent: none (tests of other parts). */
  rateLimits?: RateLimits;
  /** Most objects one git push may carry; absent: the git router's default (2,000,000). */
  maxPushObjects?: number;
}

/**
 * The front end: every route is a webmachine resource (git smart HTTP excepted, which speaks its
 * own protocol). Express only routes; no body parser runs before the engine.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = deps.metrics ?? new Metrics();
  const engine: Partial<EngineOptions> = { logger: deps.logger, ...deps.engine };
  // Behind nginx on loopback, the client's address is in X-Forwarded-For.
  app.set('trust proxy', 'loopback');
  // First: everything after it runs under the request's id and is in its access-log line.
  app.use(requestIds(deps.logger));
  app.use(metrics.middleware());
  if (deps.rateLimits !== undefined) app.use(...rateLimiters(deps.rateLimits));
  // The web authoring client: GET / and /ui/*; everything else falls through to the API.
  app.use(webClientRouter());

  app.all('/healthz', resource((init) => new LivenessResource(init), engine));
  app.all('/readyz', resource((init) => new ReadinessResource(init, deps.storage), engine));
  app.all('/metrics', resource((init) => new MetricsResource(init, metrics), engine));

  const service = deps.service ?? createRepoService({ storage: deps.storage, events: deps.events });
  const settings = new SettingsStore(deps.storage);
  const routes = apiRoutes({ service, logger: deps.logger, settings, auth: deps.auth });
  const document = openApiDocument(routes, API_VERSION);
  const documentTag = createHash('sha1').update(JSON.stringify(document)).digest('hex');
  app.all('/openapi.json', resource((init) => new OpenApiResource(init, document, documentTag), engine));
  const auth = deps.auth;
  app.use(
    gitHttpRouter({
      storage: deps.storage,
      events: deps.events,
      logger: deps.logger,
      maxPackBytes: engine.maxBodyBytes,
      maxPackObjects: deps.maxPushObjects,
      observer: metrics.gitObserver(),
      policy: async (repo) => ({ protectedBranches: (await settings.read(repo)).protectedBranches }),
      ...(auth === undefined ? {} : { authorize: (req, access) => authorizeGit(auth, req.headers.authorization, access.repo, access.write) }),
    }),
  );
  mountRoutes(app, routes, engine);
  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}

/** git clients authenticate with HTTP Basic (password = token); a 401 makes them prompt. */
async function authorizeGit(auth: Authorizer, header: string | undefined, repo: string, write: boolean): Promise<AuthDecision> {
  const decision = await auth.decide(header, { repo, role: write ? 'write' : 'read' });
  if (decision.kind === 'allowed') return { ok: true, actor: decision.principal?.name ?? 'anonymous' };
  if (decision.kind === 'unauthenticated') return { ok: false, status: 401, message: 'authentication required', headers: { 'WWW-Authenticate': BASIC_CHALLENGE } };
  if (decision.kind === 'hidden') return { ok: false, status: 404, message: 'repository not found' };
  return { ok: false, status: 403, message: 'permission denied' };
}
