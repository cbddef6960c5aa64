import statuses from 'statuses';
import { z } from 'zod';
import type { BodyDoc, RouteSpec } from './route-spec.js';

/** Statuses any route can answer (B column, negotiation, rate limits, failures). */
const ENGINE_STATUSES = [400, 401, 403, 405, 406, 414, 429, 500, 501, 503];
const BODY_STATUSES = [413, 415];

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
  },
};

type Json = Record<string, unknown>;

function schemaOf(body: BodyDoc): Json {
  if (body.schema === undefined) return body.contentType.startsWith('application/json') ? { type: 'object' } : { type: 'string', format: 'binary' };
  const { $schema: _ignored, ...schema } = z.toJSONSchema(body.schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return schema;
}

function content(bodies: BodyDoc[]): Json {
  return Object.fromEntries(bodies.map((b) => [b.contentType, { schema: schemaOf(b) }]));
}

function reason(status: number): string {
  try {
    return statuses.message[status] ?? String(status);
  } catch {
    return String(status);
  }
}

/** The OpenAPI 3.1 description of the REST API, generated from the route table. */
export function openApiDocument(routes: RouteSpec[], version: string): Json {
  const paths: Json = {};
  for (const route of routes) {
    const item: Json = {};
    for (const [method, op] of Object.entries(route.operations)) {
      const all = new Set([...op.statuses, ...ENGINE_STATUSES, ...(op.requestBody ? BODY_STATUSES : [])]);
      const responses: Json = {};
      for (const status of [...all].sort((a, b) => a - b)) {
        const response: Json = { description: reason(status) };
        if (status >= 400) response.content = { 'application/problem+json': { schema: problemSchema } };
        else if (op.responses && status !== 204 && status !== 304) response.content = content(op.responses);
        responses[String(status)] = response;
      }
      const parameters = [
        ...route.params.map((p) => ({ name: p.name, in: 'path', required: true, description: p.description, schema: { type: 'string' } })),
        ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: q.required ?? false, description: q.description, schema: { type: 'string' } })),
      ];
      item[method] = {
        summary: op.summary,
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(op.requestBody ? { requestBody: { required: true, content: content([op.requestBody]) } } : {}),
        responses,
      };
    }
    paths[route.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Content repository API', version },
    paths,
  };
}
