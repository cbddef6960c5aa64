import { createHash } from 'node:crypto';
import type { RequestListener } from 'node:http';
import express from 'express';
import type { Storage } from '../fs-service/index.js';
import { andThen, type EngineOptions, RouteTable, type TableRoute } from '../webmachine/index.js';
import type { EventBus } from './events/event-bus.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { LivenessResource, MetricsResource, ReadinessResource } from './resources/health.js';
import { createRepoService, type RepoService } from './domain/index.js';
import { answerFailure, errorHandler, notFoundHandler } from './http/fallbacks.js';
import { storageFailureHalt } from './http/storage-failures.js';
import { frontDoor, pathOf, type Step } from './http/front-door.js';
import { expressPath } from './http/route-spec.js';
import { webClientRouter } from './web/index.js';
import { rateLimiters, type RateLimits } from './http/rate-limit.js';
import { requestIds } from './http/request-id.js';
import { openApiDocument } from './http/openapi.js';
import { problemTypeForStatus } from './http/problem-types.js';
import { apiRoutes } from './resources/routes.js';
import { OpenApiResource } from './resources/openapi.js';
import { gitHttpRouter, gitRoutePattern, type AuthDecision } from './git-http/index.js';
import { type Authorizer, BASIC_CHALLENGE } from './auth/authorizer.js';
import { SettingsStore } from './settings/repo-settings.js';
import { SYSTEM_STORE } from './auth/token-store.js';
import { Webhooks } from './webhooks/index.js';
import { GitCache, ObjectStores } from './git/index.js';

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
  /** Largest git push; absent: the git router's default (2 GiB). */
  maxPushBytes?: number;
  /** Most objects one git push may carry; absent: the git router's default (2,000,000). */
  maxPushObjects?: number;
  /** The object stores REST and git share (one cache); absent: new ones with the default budget. */
  objects?: ObjectStores;
  /** Largest object and most inflated bytes of one push; absent: the git router's defaults. */
  maxObjectBytes?: number;
  maxPushInflatedBytes?: number;
  /** The credential /metrics asks for when access control is on (METRICS_TOKEN); absent: closed. */
  metricsToken?: string;
  /** Webhook registrations; absent: a registry over the same storage that allows public URLs only. */
  webhooks?: Webhooks;
}

/** The front end's request listener, and the patterns its route table serves (for /openapi.json's test). */
export type App = RequestListener & { readonly patterns: readonly string[] };

/**
 * The front end: every route is a webmachine resource (git smart HTTP and the web client's files
 * excepted). Each request takes the front door's steps (request id and access log, metrics, rate
 * limits), then the route table hands the resources to the engine directly; what no resource
 * serves goes to Express (the git router, the web client, the 404 and error fallbacks). No body
 * parser runs before the engine.
 */
export function createApp(deps: AppDeps): App {
  const metrics = deps.metrics ?? new Metrics();
  // A storage refusal that will pass is a 503 with Retry-After, not a 500 (http/storage-failures.ts).
  const engine: Partial<EngineOptions> = { logger: deps.logger, problemType: problemTypeForStatus, knownFailure: storageFailureHalt, ...deps.engine };
  const objects = deps.objects ?? new ObjectStores(deps.storage, new GitCache());
  const service = deps.service ?? createRepoService({ storage: deps.storage, events: deps.events, objects });
  const settings = new SettingsStore(deps.storage);
  const webhooks = deps.webhooks ?? new Webhooks({ storage: deps.storage, system: deps.storage.repo(SYSTEM_STORE) }, []);
  const routes = apiRoutes({ service, logger: deps.logger, settings, auth: deps.auth, webhooks });
  const document = openApiDocument(routes, API_VERSION);
  const documentTag = createHash('sha1').update(JSON.stringify(document)).digest('hex');
  const table = new RouteTable(
    [
      { pattern: '/healthz', factory: (init) => new LivenessResource(init) },
      { pattern: '/readyz', factory: (init) => new ReadinessResource(init, deps.storage) },
      { pattern: '/metrics', factory: (init) => new MetricsResource(init, metrics, { open: deps.auth === undefined, ...(deps.metricsToken === undefined ? {} : { token: deps.metricsToken }) }) },
      { pattern: '/openapi.json', factory: (init) => new OpenApiResource(init, document, documentTag) },
      ...routes.map((route): TableRoute => ({ pattern: expressPath(route), factory: route.factory })),
    ],
    engine,
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Behind nginx on loopback, the client's address is in X-Forwarded-For.
  app.set('trust proxy', 'loopback');
  // The web authoring client: GET / and /ui/*.
  app.use(webClientRouter());
  const auth = deps.auth;
  app.use(
    gitHttpRouter({
      objects,
      events: deps.events,
      logger: deps.logger,
      maxPushBytes: deps.maxPushBytes,
      maxPackObjects: deps.maxPushObjects,
      maxObjectBytes: deps.maxObjectBytes,
      maxInflatedBytes: deps.maxPushInflatedBytes,
      observer: metrics.gitObserver(),
      policy: async (repo) => ({ protectedBranches: (await settings.read(repo)).protectedBranches }),
      ...(auth === undefined ? {} : { authorize: (req, access) => authorizeGit(auth, req.headers.authorization, access.repo, access.write) }),
    }),
  );
  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));

  const fail = (err: unknown, req: Parameters<RequestListener>[0], res: Parameters<RequestListener>[1]) => answerFailure(deps.logger, err, req, res);
  const steps: Step[] = [
    // First: everything after it runs under the request's id and is in its access-log line.
    requestIds(deps.logger),
    metrics.timer((req) => RouteTable.routeOf(req) ?? gitRoutePattern(pathOf(req.url)) ?? expressRoute(req)),
    ...(deps.rateLimits === undefined ? [] : rateLimiters(deps.rateLimits)),
  ];
  const listener = frontDoor(
    steps,
    (req, res) => andThen(table.dispatch(req, res), (served) => {
      if (!served) app(req, res);
    }),
    fail,
  );
  return Object.assign(listener, { patterns: table.patterns });
}

/** The pattern of the Express route that answered, if any (Express sets req.route). */
function expressRoute(req: Parameters<RequestListener>[0]): string | undefined {
  const route = (req as { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? route.path : undefined;
}

/** git clients authenticate with HTTP Basic (password = token); a 401 makes them prompt. */
async function authorizeGit(auth: Authorizer, header: string | undefined, repo: string, write: boolean): Promise<AuthDecision> {
  const decision = await auth.decide(header, { repo, role: write ? 'write' : 'read' });
  if (decision.kind === 'allowed') return { ok: true, actor: decision.principal?.name ?? 'anonymous' };
  if (decision.kind === 'unauthenticated') return { ok: false, status: 401, message: 'authentication required', headers: { 'WWW-Authenticate': BASIC_CHALLENGE } };
  if (decision.kind === 'hidden') return { ok: false, status: 404, message: 'repository not found' };
  return { ok: false, status: 403, message: 'permission denied' };
}
