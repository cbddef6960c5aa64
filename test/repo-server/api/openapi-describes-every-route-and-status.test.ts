import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { createApp } from '../../../repo-server/app.js';
import { EventBus } from '../../../repo-server/events/event-bus.js';
import { expressPath } from '../../../repo-server/http/route-spec.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { json } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { generatedDocument, type OpenApiDocument, resolve, routeTable, templateOf, undocumentedObservations } from './helpers/observed.js';

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
        const params = (op.parameters ?? []).map((p) => resolve(doc, p));
        const pathParams = params.filter((p) => p.in === 'path');
        expect(pathParams.map((p) => p.name).sort(), where).toEqual([...names].sort());
        for (const p of pathParams) expect(p.required, `${where} ${p.name}`).toBe(true);
        const keys = params.map((p) => `${p.in}:${p.name}`);
        expect(new Set(keys).size, where).toBe(keys.length);
        const statuses = Object.keys(op.responses);
        expect(statuses.length, where).toBeGreaterThan(0);
        for (const status of statuses) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          const response = resolve(doc, op.responses[status]!);
          expect(typeof response.description, `${where} ${status}`).toBe('string');
          expect(resolve(doc, response.headers?.['X-Request-Id'] ?? {}).required, `${where} ${status} X-Request-Id`).toBe(true);
          if (Number(status) >= 400) expect(response.content, `${where} ${status}`).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
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

  it('names every operation once, tags it, says who may call it, and describes its JSON bodies by schema', () => {
    const ids: string[] = [];
    const tags = new Set((doc as unknown as { tags: { name: string }[] }).tags.map((t) => t.name));
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${template}`;
        ids.push(op.operationId);
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.tags?.length, where).toBe(1);
        expect(tags.has(op.tags![0]!), where).toBe(true);
        expect(op.security, where).toBeDefined();
        for (const requirement of op.security!) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme], `${where} ${scheme}`).toBeDefined();
        for (const [status, listed] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(resolve(doc, listed).content ?? {})) {
            // Every JSON answer is described by a named schema, never a bare {type: object}.
            if (type.endsWith('json')) expect(media.schema, `${where} ${status} ${type}`).toMatchObject({ $ref: expect.stringMatching(/^#\/components\/schemas\/[A-Z]/) });
          }
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['basicAuth', 'bearerAuth']);
    // Every $ref in the document points at something.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) expect(resolve(doc, { $ref: ref.slice(8, -1) }), ref).toBeDefined();
  });

  it('documents the request headers each operation reads and the response headers it answers', () => {
    const op = (template: string, method: string) => doc.paths[template]![method]!;
    const paramNames = (o: ReturnType<typeof op>) => (o.parameters ?? []).map((p) => resolve(doc, p).name);
    expect(paramNames(op('/repos/{repo}/branches/{branch}', 'put'))).toEqual(expect.arrayContaining(['If-Match', 'If-None-Match']));
    expect(paramNames(op('/repos/{repo}/contents/{path}', 'get'))).toEqual(expect.arrayContaining(['Range', 'If-None-Match', 'ref']));
    expect(paramNames(op('/repos', 'get'))).toEqual(expect.arrayContaining(['per_page', 'cursor']));
    const headersOf = (template: string, method: string, status: string) => resolve(doc, op(template, method).responses[status]!).headers ?? {};
    expect(resolve(doc, headersOf('/repos/{repo}/branches/{branch}', 'get', '200').ETag!).required).toBe(true);
    expect(resolve(doc, headersOf('/repos/{repo}', 'put', '201').Location!).required).toBe(true);
    expect(resolve(doc, headersOf('/repos', 'get', '200').Link!).required).toBe(true);
    expect(resolve(doc, headersOf('/repos', 'get', '429')['Retry-After']!).required).toBe(true);
    expect(headersOf('/repos', 'get', '200').RateLimit).toBeDefined();
    expect(resolve(doc, headersOf('/repos/{repo}/contents/{path}', 'put', '503')['Retry-After']!).required).not.toBe(true);
    const perPage = resolve(doc, (op('/repos/{repo}/commits', 'get').parameters ?? []).find((p) => resolve(doc, p).name === 'per_page')!) as { schema?: unknown };
    expect(perPage.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
  });

  it('passes Redocly\'s recommended lint with no error and no warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc));
      const run = spawnSync(join(process.cwd(), 'node_modules/.bin/redocly'), ['lint', 'openapi.json', '--format=json'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      });
      expect(run.error).toBeUndefined();
      const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
