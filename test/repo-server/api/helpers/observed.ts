/**
 * Every response a suite sees is recorded (method, path, status, headers, body) and checked at the
 * end of the suite against the OpenAPI description the app serves: the status must be one the
 * operation lists, every header it marks required must be there, every documented header must
 * match its schema, no header that carries API meaning may appear undocumented, and the body
 * must be of a documented media type and valid against its JSON Schema (ajv, draft 2020-12, the
 * dialect of OpenAPI 3.1). A response the API really gives that the document does not describe
 * is a documentation bug or a server bug.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
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
  /** Lower-case names, as Node gives them. Absent for recorders that only know the status. */
  headers?: Record<string, string | string[] | undefined>;
  /** The body as text, when it was read as text. */
  body?: string;
}

type Ref = { $ref: string };
export interface OpenApiHeader {
  required?: boolean;
  description?: string;
  schema?: Record<string, unknown>;
}
export interface OpenApiResponse {
  description: string;
  headers?: Record<string, OpenApiHeader | Ref>;
  content?: Record<string, { schema?: Record<string, unknown> }>;
}
export interface OpenApiOperation {
  operationId: string;
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: ({ name: string; in: string; required?: boolean } | Ref)[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, OpenApiResponse | Ref>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, unknown>;
    headers: Record<string, OpenApiHeader>;
    parameters: Record<string, { name: string; in: string; required?: boolean }>;
    securitySchemes: Record<string, unknown>;
  };
}

const observations: Observation[] = [];

export function recordObservation(method: string, path: string, status: number, headers?: Observation['headers'], body?: string): void {
  observations.push({ method, path, status, ...(headers === undefined ? {} : { headers }), ...(body === undefined ? {} : { body }) });
}

export function observed(): readonly Observation[] {
  return observations;
}

/** The route table as the app builds it (factories are never called here). */
export function routeTable(): RouteSpec[] {
  const storage = new MemoryStorage();
  return apiRoutes({ service: createRepoService({ storage, events: new EventBus() }), logger: createLogger('silent'), settings: new SettingsStore(storage) });
}

let generated: OpenApiDocument | undefined;
/** The document generated from the route table, as the app serves it at /openapi.json. */
export function generatedDocument(): OpenApiDocument {
  return (generated ??= openApiDocument(routeTable(), API_VERSION) as unknown as OpenApiDocument);
}

/** Template -> regex, in table order (the order the route table tries routes in). */
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

/** A `#/components/...` reference, resolved. */
export function resolve<T>(doc: OpenApiDocument, value: T | Ref): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T;
  let at: unknown = doc;
  for (const part of value.$ref.replace(/^#\//, '').split('/')) at = (at as Record<string, unknown>)[part];
  return at as T;
}

/** Headers whose presence means something to a client: each must be documented where it appears. */
const MEANINGFUL = ['etag', 'location', 'link', 'last-modified', 'retry-after', 'www-authenticate', 'allow', 'content-range', 'content-disposition', 'cache-control', 'accept-ranges', 'x-request-id', 'ratelimit', 'ratelimit-policy'];

const validators = new WeakMap<OpenApiDocument, { ajv: Ajv2020; compiled: Map<string, ValidateFunction> }>();

function validatorFor(doc: OpenApiDocument, schema: Record<string, unknown>): ValidateFunction {
  let entry = validators.get(doc);
  if (entry === undefined) {
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; `#/components/schemas/X` resolves inside the document.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: 'openapi.json', components: { schemas: doc.components.schemas } });
    entry = { ajv, compiled: new Map() };
    validators.set(doc, entry);
  }
  const key = JSON.stringify(schema);
  let compiled = entry.compiled.get(key);
  if (compiled === undefined) {
    const rebased = JSON.parse(key.replace(/"#\/components\//g, '"openapi.json#/components/')) as Record<string, unknown>;
    compiled = entry.ajv.compile(rebased);
    entry.compiled.set(key, compiled);
  }
  return compiled;
}

function headerValue(headers: Observation['headers'], name: string): string | undefined {
  const v = headers?.[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function essence(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** What is wrong with one observation, against the operation's documented response. */
export function checkObservation(o: Observation, doc: OpenApiDocument = generatedDocument()): string[] {
  const pathname = o.path.split('?')[0] ?? '';
  const template = matchers(doc).find((m) => m.regex.test(pathname))?.template;
  if (template === undefined) return []; // not a REST route (git, /events, health, unknown paths)
  const method = o.method === 'head' ? 'get' : o.method;
  if (method === 'options') return [];
  const where = `${o.method.toUpperCase()} ${template} -> ${o.status}`;
  const operation = doc.paths[template]?.[method];
  if (operation === undefined) {
    return o.status === 405 || o.status === 501 ? [] : [`${o.method.toUpperCase()} ${template} answered ${o.status}, but the path has no such method (expected 405)`];
  }
  const listed = operation.responses[String(o.status)];
  if (listed === undefined) return [`${where} (seen on ${o.path}) is not documented`];
  const response = resolve(doc, listed);
  if (o.headers === undefined) return [];
  const problems: string[] = [];
  const documented = new Map(Object.entries(response.headers ?? {}).map(([name, h]) => [name.toLowerCase(), resolve(doc, h)]));
  for (const [name, header] of documented) {
    const value = headerValue(o.headers, name);
    if (value === undefined) {
      if (header.required === true) problems.push(`${where}: required header ${name} is missing`);
      continue;
    }
    if (header.schema !== undefined && !validatorFor(doc, header.schema)(value)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} does not match ${JSON.stringify(header.schema)}`);
  }
  for (const name of MEANINGFUL) {
    if (o.headers[name] !== undefined && !documented.has(name)) problems.push(`${where}: header ${name} is answered but not documented`);
  }
  const noBody = o.method === 'head' || o.status === 204 || o.status === 304;
  if (response.content === undefined) {
    if (!noBody && o.body !== undefined && o.body.length > 0) problems.push(`${where}: a body is answered where none is documented`);
    return problems;
  }
  if (noBody) return problems;
  const type = essence(headerValue(o.headers, 'content-type'));
  const offered = Object.entries(response.content);
  const media = offered.find(([name]) => name === type) ?? offered.find(([name]) => name === '*/*' || (name.endsWith('/*') && type.startsWith(name.slice(0, -1))));
  if (media === undefined) {
    problems.push(`${where}: Content-Type ${type || '(none)'} is not one of ${Object.keys(response.content).join(', ')}`);
    return problems;
  }
  const schema = media[1].schema;
  const isJson = type === 'application/json' || type.endsWith('+json');
  if (schema !== undefined && schema.format !== 'binary' && isJson && o.body !== undefined) {
    let body: unknown;
    try {
      body = JSON.parse(o.body);
    } catch {
      problems.push(`${where}: the body is not JSON`);
      return problems;
    }
    const validate = validatorFor(doc, schema);
    if (!validate(body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
      problems.push(`${where}: body does not match its schema: ${errors.join('; ')} (seen on ${o.path})`);
    }
  }
  return problems;
}

/**
 * Observations the document does not describe: an undocumented status, a missing required
 * header, a header or body that does not match its schema. HEAD is documented through GET;
 * OPTIONS is not described by the document; a method the path does not have must be answered
 * 405 (or 501 for methods the engine does not know).
 */
export function undocumentedObservations(doc: OpenApiDocument = generatedDocument()): string[] {
  const problems = new Set<string>();
  for (const o of observations) for (const p of checkObservation(o, doc)) problems.add(p);
  return [...problems].sort();
}
