/**
 * The front door serves the resources from its own route table, without Express: it must answer
 * exactly as the Express routes did. Route patterns label the request metrics (never raw paths),
 * a parameter that is not valid percent-encoding is a 400 problem, matching is case-insensitive
 * with an optional trailing slash, a wildcard keeps its slashes, the per-address limit keys on
 * nginx's X-Forwarded-For from loopback only, and what no resource serves still reaches the git
 * router, the web client and the 404 problem.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { createApp } from '../../../repo-server/app.js';
import { EventBus } from '../../../repo-server/events/event-bus.js';
import { createLogger } from '../../../repo-server/observability/logger.js';

function app(rateLimits?: { perToken: number; perAddress: number; windowMs: number }) {
  return createApp({ storage: new MemoryStorage(), events: new EventBus(), logger: createLogger('silent'), engine: {}, ...(rateLimits ? { rateLimits } : {}) });
}

describe('the front door', () => {
  it('labels request metrics with the route pattern (git endpoints too), and "unmatched" for paths no route serves', async () => {
    const a = app();
    expect((await request(a).put('/repos/book').set('content-type', 'application/json').send('{}')).status).toBe(201);
    expect((await request(a).put('/repos/book/contents/a/b.md?branch=main').set('content-type', 'text/markdown').send('# B\n')).status).toBe(201);
    expect((await request(a).get('/repos/book/contents/a/b.md')).status).toBe(200);
    expect((await request(a).get('/no/such/thing')).status).toBe(404);
    expect((await request(a).get('/book.git/info/refs?service=git-upload-pack')).status).toBe(200);
    expect((await request(a).get('/book.git/objects/info/packs')).status).toBe(403);
    const text = (await request(a).get('/metrics')).text;
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/:repo.git\/info\/refs",status="200"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/:repo.git\/\(dumb protocol\)",status="403"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/repos\/:repo\/contents\/\*path",status="200"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="PUT",route="\/repos\/:repo",status="201"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).not.toContain('b.md');
  });

  it('answers a parameter that is not valid percent-encoded UTF-8 with a 400 problem, for every method', async () => {
    const a = app();
    for (const method of ['get', 'put', 'delete', 'head'] as const) {
      const res = await request(a)[method]('/repos/%E0%A4%A/contents/x');
      expect(res.status, method).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-request-id']).toMatch(/./);
      if (method !== 'head') expect(res.body.detail).toBe('The request path is not valid percent-encoded UTF-8.');
    }
    // Nothing was created by the refused PUT.
    expect((await request(a).get('/repos')).body).toEqual(expect.objectContaining({ repositories: [] }));
  });

  it('matches like Express: case-insensitive, optional trailing slash, a wildcard with its slashes and encoded characters', async () => {
    const a = app();
    await request(a).put('/repos/book').set('content-type', 'application/json').send('{}');
    await request(a).put('/repos/book/contents/ch%201/s%C3%A9ction.md?branch=main').set('content-type', 'text/markdown').send('é\n');
    expect((await request(a).get('/REPOS/book')).status).toBe(200);
    expect((await request(a).get('/repos/book/')).status).toBe(200);
    const file = await request(a).get('/repos/book/contents/ch%201/s%C3%A9ction.md');
    expect(file.status).toBe(200);
    expect(file.text).toBe('é\n');
    const listing = await request(a).get('/repos/book/contents/ch%201').set('accept', 'application/json');
    expect(listing.body.entries.map((e: { name: string }) => e.name)).toEqual(['séction.md']);
  });

  it('keys the per-address limit on X-Forwarded-For only when the peer is loopback (nginx)', async () => {
    const a = app({ perToken: 100, perAddress: 2, windowMs: 60_000 });
    for (let i = 0; i < 2; i++) expect((await request(a).get('/repos').set('x-forwarded-for', '203.0.113.7')).status).toBe(200);
    expect((await request(a).get('/repos').set('x-forwarded-for', '203.0.113.7')).status).toBe(429);
    // Another client behind the same nginx has its own budget.
    expect((await request(a).get('/repos').set('x-forwarded-for', '203.0.113.8')).status).toBe(200);
  });

  it('hands what no resource serves to the git router, the web client and the 404 problem', async () => {
    const a = app();
    await request(a).put('/repos/book').set('content-type', 'application/json').send('{}');
    const refs = await request(a).get('/book.git/info/refs?service=git-upload-pack');
    expect(refs.status).toBe(200);
    expect(refs.headers['content-type']).toBe('application/x-git-upload-pack-advertisement');
    const page = await request(a).get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const missing = await request(a).get('/nowhere?x=1');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Nothing is served at /nowhere.');
    expect(missing.headers['x-request-id']).toMatch(/./);
  });
});
