import express, { type Express } from 'express';
import type { Storage } from '../fs-service/index.js';
import { type EngineOptions, resource } from '../webmachine/index.js';
import type { EventBus } from './events/event-bus.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { LivenessResource, MetricsResource, ReadinessResource } from './resources/health.js';

export interface AppDeps {
  storage: Storage;
  events: EventBus;
  logger: Logger;
  engine: Partial<EngineOptions>;
  metrics?: Metrics;
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
  app.use(metrics.middleware());

  app.all('/healthz', resource((init) => new LivenessResource(init), engine));
  app.all('/readyz', resource((init) => new ReadinessResource(init, deps.storage), engine));
  app.all('/metrics', resource((init) => new MetricsResource(init, metrics), engine));
  return app;
}
