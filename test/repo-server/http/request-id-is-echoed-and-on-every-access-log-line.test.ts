/**
 * Every request has an id: nginx's X-Request-Id when it is a plain token, a fresh UUID otherwise.
 * It is answered as X-Request-Id, names the request's one access-log line and every other line
 * written while serving it (REST and git), and the log never holds the query string.
 */
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../fs-service/index.js';
import { requestIds } from '../../../repo-server/http/request-id.js';
import { createRepo, writeFile } from '../api/helpers/fixtures.js';
import { capturedLogger } from '../api/helpers/front-end.js';
import { apiClient, startApi, type ApiHarness } from '../api/helpers/harness.js';
import { embeddedStorage } from '../api/helpers/storages.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface LogLine {
  msg: string;
  requestId?: string;
  method?: string;
  path?: string;
  status?: number;
  ms?: number;
  bytes?: number;
}

describe('request ids through the app on the embedded storage', () => {
  const log = capturedLogger();
  let storage: Storage;
  let dispose: () => Promise<void>;
  let api: ApiHarness;
  let admin: ReturnType<typeof apiClient>;
  let token: string;

  const lines = (): LogLine[] =>
    log
      .text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
  const accessLines = () => lines().filter((line) => line.msg === 'access');
  /** pino writes to its stream asynchronously; the access line follows the response's last byte. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  beforeAll(async () => {
    ({ storage, dispose } = await embeddedStorage.create());
    api = await startApi({ storage, auth: true, logger: log.logger });
    token = await api.token('root', { global: 'admin' });
    admin = api.as(token);
    await createRepo(admin, 'book');
    await writeFile(admin, 'book', 'ch1.md', '# One\n');
  });
  afterAll(async () => {
    await api.close();
    await dispose();
  });

  it('a valid X-Request-Id is echoed and names the access-log line', async () => {
    const res = await admin.get('/repos/book/contents/ch1.md').set('X-Request-Id', 'trace-me-123');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-me-123');
    await settle();
    const line = accessLines().find((l) => l.requestId === 'trace-me-123');
    expect(line).toMatchObject({ method: 'GET', path: '/repos/book/contents/ch1.md', status: 200, bytes: 6 });
    expect(typeof line?.ms).toBe('number');
    // webmachine's own line for the request names the same id.
    expect(lines().filter((l) => l.requestId === 'trace-me-123').map((l) => l.msg)).toContain('request');
  });

  it('an invalid one is replaced by a generated UUID, which the log uses', async () => {
    const invalid = ['x'.repeat(65), 'has space', 'semi;colon', 'quote"d', 'a\tb', 'slash/ed', 'ünïcode', ''];
    for (const given of invalid) {
      const res = await admin.get('/repos/book').set('X-Request-Id', given);
      expect(res.status).toBe(200);
      const id = res.headers['x-request-id'] as string;
      expect(id, JSON.stringify(given)).toMatch(UUID);
      await settle();
      expect(accessLines().find((l) => l.requestId === id)).toMatchObject({ method: 'GET', path: '/repos/book', status: 200 });
    }
    // Repeated headers arrive joined with ", ": not a plain token either.
    const twice = await fetch(`${api.url}/healthz`, { headers: [['X-Request-Id', 'one'], ['X-Request-Id', 'two']] });
    expect(twice.headers.get('x-request-id')).toMatch(UUID);
    const none = await request(api.url).get('/healthz');
    expect(none.headers['x-request-id']).toMatch(UUID);
    expect(none.headers['x-request-id']).not.toBe(twice.headers.get('x-request-id'));
    await settle();
    const text = log.text();
    for (const given of invalid.filter((g) => g !== '')) expect(text).not.toContain(JSON.stringify(given).slice(1, -1));
  });

  it('CR, LF and NUL never pass (the middleware alone; Node refuses them before it anyway)', () => {
    const middleware = requestIds(log.logger);
    for (const given of ['a\r\nX-Evil: 1', 'a\nb', 'a\u0000b']) {
      const headers: Record<string, string> = { 'x-request-id': given };
      const set: Record<string, string> = {};
      let nextCalled = false;
      const req = { headers, method: 'GET', originalUrl: '/x' } as unknown as Request;
      const res = { setHeader: (name: string, value: string) => (set[name.toLowerCase()] = value), once: () => undefined, getHeader: () => undefined } as unknown as Response;
      middleware(req, res, (() => (nextCalled = true)) as NextFunction);
      expect(nextCalled).toBe(true);
      expect(set['x-request-id']).toMatch(UUID);
      expect(headers['x-request-id']).toBe(set['x-request-id']);
    }
  });

  it('every access line has an id; no line holds the query string or its access_token', async () => {
    const before = accessLines().length;
    await admin.get(`/repos/book/contents/ch1.md?access_token=${token}&ref=main`).set('X-Request-Id', 'with-query');
    await request(api.url).get(`/repos/book?access_token=${token}`);
    await request(api.url).get('/no/such/route?access_token=secret-in-query');
    await request(api.url).get('/healthz');
    await settle();
    const text = log.text();
    expect(text).not.toContain(token);
    // The secret part: everything after "crt_<16 hex>_" (base64url may itself hold "_").
    expect(text).not.toContain(token.slice('crt_0123456789abcdef_'.length));
    expect(text).not.toContain('access_token');
    expect(text).not.toContain('secret-in-query');
    const all = accessLines();
    expect(all.length).toBeGreaterThanOrEqual(before + 4);
    for (const line of all) {
      expect(line.requestId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
      expect(line.path).not.toContain('?');
    }
    expect(all.find((l) => l.requestId === 'with-query')).toMatchObject({ path: '/repos/book/contents/ch1.md', status: 200 });
    expect(all.map((l) => [l.path, l.status])).toContainEqual(['/repos/book', 401]);
    expect(all.map((l) => [l.path, l.status])).toContainEqual(['/no/such/route', 404]);
  });

  it('log lines the git router writes during a request carry its id without being handed it', async () => {
    const res = await request(api.url).get('/book.git/info/refs?service=git-upload-pack').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'git-trace-1');
    expect(res.headers['x-request-id']).toBe('git-trace-1');
    await settle();
    const mine = lines().filter((l) => l.requestId === 'git-trace-1');
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['access', 'git http request']));
    expect(mine.find((l) => l.msg === 'access')).toMatchObject({ path: '/book.git/info/refs', status: res.status });
  });
});
