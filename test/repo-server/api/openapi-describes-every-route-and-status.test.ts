import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { createApp } from '../../../repo-server/app.js';
import { EventBus } from '../../../repo-server/events/event-bus.js';
import { expressPath } from '../../../repo-server/http/route-spec.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { json } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { generatedDocument, type OpenApiDocument, routeTable, templateOf, undocumentedObservations } from './helpers/observed.js';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** A concrete path for a template, to ask the live resource which methods it allows. */
const SAMPLE: Record<string, string> = {
  repo: 'demo',
  branch: 'main',
  path: 'README.md',
  id: '0123456789abcdef',
  tag: 'v1',
  spec: 'main...main',
};

function concrete(template: string): string {
  if (template.endsWith('/archive/{spec}')) return template.replace('{repo}', 'demo').replace('{spec}', 'main.zip');
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE[name] ?? 'x');
}

describe('/openapi.json', () => {
  let api: ApiHarness;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    // With access control, so that the token endpoints are live (without it they are 503).
    api = await startApi({ storage: new MemoryStorage(), auth: true });
    const res = await api.client.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = json<OpenApiDocument>(res);
  });
  afterAll(() => api.close());

  it('is the document generated from the route table, with a validator for 304', async () => {
    expect(doc).toEqual(generatedDocument());
    const res = await api.client.get('/openapi.json');
    expect((await api.client.get('/openapi.json').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
  });

  it('has the shape of OpenAPI 3.1: version, info, and well-formed paths, parameters and responses', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    for (const [template, item] of Object.entries(doc.paths)) {
      expect(template).toMatch(/^\//);
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${template}`;
        expect(HTTP_METHODS.has(method), where).toBe(true);
        const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(pathParams.map((p) => p.name).sort(), where).toEqual([...names].sort());
        for (const p of pathParams) expect(p.required, `${where} ${p.name}`).toBe(true);
        const keys = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`);
        expect(new Set(keys).size, where).toBe(keys.length);
        const statuses = Object.keys(op.responses);
        expect(statuses.length, where).toBeGreaterThan(0);
        for (const status of statuses) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          const response = op.responses[status]!;
          expect(typeof response.description, `${where} ${status}`).toBe('string');
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
          if (status === '204' || status === '304') expect(response.content, `${where} ${status}`).toBeUndefined();
        }
        if (op.requestBody !== undefined) {
          const body = op.requestBody as { content?: Record<string, { schema?: unknown }> };
          expect(Object.keys(body.content ?? {}).length, where).toBeGreaterThan(0);
          for (const media of Object.values(body.content ?? {})) expect(typeof media.schema, where).toBe('object');
        }
      }
    }
  });

  it('every route the front end serves from the table is in the document, and every documented path is routed', () => {
    const app = createApp({ storage: new MemoryStorage(), events: new EventBus(), logger: createLogger('silent'), engine: {} });
    const served = new Set(app.patterns);
    const fromTable = routeTable().map((r) => expressPath(r));
    for (const path of fromTable) expect(served.has(path), path).toBe(true);
    expect(routeTable().map((r) => r.path).sort()).toEqual(Object.keys(doc.paths).sort());
    // Nothing else under /repos or /admin is routed outside the table (so outside the document).
    const extra = [...served].filter((p) => /^\/(repos|admin)(\/|$)/.test(p) && !fromTable.includes(p));
    expect(extra).toEqual([]);
  });

  it('the methods each live resource allows (its Allow header) are exactly the documented ones', async () => {
    const mismatches: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      // OPTIONS answers 200 with Allow where the resource allows OPTIONS, else 405, which carries Allow too.
      const res = await api.client.options(concrete(template));
      expect([200, 405], `${template}: ${res.text}`).toContain(res.status);
      const allowed = String(res.headers.allow ?? '')
        .split(/,\s*/)
        .map((m) => m.toLowerCase())
        .filter((m) => m !== '' && m !== 'head' && m !== 'options')
        .sort();
      const documented = Object.keys(item).sort();
      if (allowed.join() !== documented.join()) mismatches.push(`${template}: Allow ${allowed.join(',')} but documented ${documented.join(',')}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('the recorder maps concrete paths to the right templates', () => {
    expect(templateOf('/repos/r/contents/a/b/c.md?ref=main')).toBe('/repos/{repo}/contents/{path}');
    expect(templateOf('/repos/r/contents')).toBe('/repos/{repo}/contents');
    expect(templateOf('/repos/r/branches/drafts/ch1')).toBe('/repos/{repo}/branches/{branch}');
    expect(templateOf('/repos/r')).toBe('/repos/{repo}');
    expect(templateOf('/r.git/info/refs')).toBeUndefined();
  });

  it('docs/api.md lists every documented path, method and status, and nothing else', () => {
    const markdown = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of markdown.split('\n')) {
      const m = /^\|\s*(GET|PUT|POST|DELETE|PATCH)\s*\|\s*`([^`]+)`\s*\|\s*([^|]+)\|/.exec(line);
      if (m) rows.set(`${m[1]!.toLowerCase()} ${m[2]}`, m[3]!.trim().split(/[,\s]+/).filter(Boolean).sort());
    }
    const documented = new Map<string, string[]>();
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) documented.set(`${method} ${template}`, Object.keys(op.responses).sort());
    }
    expect([...rows.keys()].sort()).toEqual([...documented.keys()].sort());
    for (const [key, statuses] of documented) expect(rows.get(key), key).toEqual(statuses);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
