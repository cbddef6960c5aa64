/**
 * Every response a suite sees, as (method, path template, status), checked at the end of each
 * suite against the OpenAPI description the app serves: a status the API really answers but does
 * not document is a documentation bug (or a server bug).
 */
import { MemoryStorage } from '../../../../fs-service/testing.js';
import { API_VERSION } from '../../../../repo-server/app.js';
import { createRepoService } from '../../../../repo-server/domain/index.js';
import { EventBus } from '../../../../repo-server/events/event-bus.js';
import { openApiDocument } from '../../../../repo-server/http/openapi.js';
import type { RouteSpec } from '../../../../repo-server/http/route-spec.js';
import { apiRoutes } from '../../../../repo-server/resources/routes.js';
import { createLogger } from '../../../../repo-server/observability/logger.js';
import { SettingsStore } from '../../../../repo-server/settings/repo-settings.js';

export interface Observation {
  method: string;
  path: string;
  status: number;
}

export interface OpenApiOperation {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

const observations: Observation[] = [];

export function recordObservation(method: string, path: string, status: number): void {
  observations.push({ method, path, status });
}

export function observed(): readonly Observation[] {
  return observations;
}

/** The route table as the app builds it (factories are never called here). */
export function routeTable(): RouteSpec[] {
  const storage = new MemoryStorage();
  return apiRoutes({ service: createRepoService({ storage, events: new EventBus() }), logger: createLogger('silent'), settings: new SettingsStore(storage) });
}

/** The document generated from the route table, as the app serves it at /openapi.json. */
export function generatedDocument(): OpenApiDocument {
  return openApiDocument(routeTable(), API_VERSION) as unknown as OpenApiDocument;
}

/** Template -> regex, in table order (the order Express tries routes in). */
function matchers(doc: OpenApiDocument): { template: string; regex: RegExp }[] {
  const table = routeTable();
  return Object.keys(doc.paths).map((template) => {
    const rest = table.find((r) => r.path === template)?.rest;
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        return name === rest ? '.+' : '[^/]+';
      })
      .join('');
    return { template, regex: new RegExp(`^${source}/?$`, 'i') };
  });
}

export function templateOf(path: string, doc: OpenApiDocument = generatedDocument()): string | undefined {
  const pathname = path.split('?')[0] ?? '';
  return matchers(doc).find((m) => m.regex.test(pathname))?.template;
}

/**
 * Observations whose status the document does not list for that path and method. HEAD is
 * documented through GET; OPTIONS is not described by the document; a method the path does not
 * have must be answered 405 (or 501 for methods the engine does not know).
 */
export function undocumentedObservations(doc: OpenApiDocument = generatedDocument()): string[] {
  const found = matchers(doc);
  const problems = new Set<string>();
  for (const o of observations) {
    const pathname = o.path.split('?')[0] ?? '';
    const template = found.find((m) => m.regex.test(pathname))?.template;
    if (template === undefined) continue; // not a REST route (git, /events, health, unknown paths)
    const method = o.method === 'head' ? 'get' : o.method;
    if (method === 'options') continue;
    const operation = doc.paths[template]?.[method];
    if (operation === undefined) {
      if (o.status !== 405 && o.status !== 501) problems.add(`${o.method.toUpperCase()} ${template} answered ${o.status}, but the path has no such method (expected 405)`);
      continue;
    }
    if (operation.responses[String(o.status)] === undefined) problems.add(`${o.method.toUpperCase()} ${template} -> ${o.status} (seen on ${o.path})`);
  }
  return [...problems].sort();
}
