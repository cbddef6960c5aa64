/**
 * The access matrix of api-resource.ts and authorizer.ts: who gets 2xx, 401 (with a Bearer
 * challenge), 403 or 404 on each class of endpoint (read, write, repository admin, service admin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import type { Grants } from '../../../repo-server/auth/roles.js';
import type { RefUpdatedEvent } from '../../../repo-server/git/refs/ref-update.js';
import { createRepo, json, writeFile } from '../api/helpers/fixtures.js';
import { type ApiClient, type ApiHarness, startApi } from '../api/helpers/harness.js';
import { undocumentedObservations } from '../api/helpers/observed.js';

type Outcome = 'ok' | 401 | 403 | 404;

interface Principal {
  name: string;
  /** null: no Authorization header; a string: that header value as it is. */
  grants: Grants | null | string;
  read: Outcome;
  write: Outcome;
  repoAdmin: Outcome;
  serviceAdmin: Outcome;
}

const PRINCIPALS: Principal[] = [
  { name: 'anonymous', grants: null, read: 401, write: 401, repoAdmin: 401, serviceAdmin: 401 },
  { name: 'an unknown token', grants: 'Bearer crt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', read: 401, write: 401, repoAdmin: 401, serviceAdmin: 401 },
  { name: 'a malformed credential', grants: 'Bearer not-a-token', read: 401, write: 401, repoAdmin: 401, serviceAdmin: 401 },
  { name: 'an unknown scheme', grants: 'Digest username="x"', read: 401, write: 401, repoAdmin: 401, serviceAdmin: 401 },
  { name: 'global read', grants: { global: 'read' }, read: 'ok', write: 403, repoAdmin: 403, serviceAdmin: 403 },
  { name: 'global write', grants: { global: 'write' }, read: 'ok', write: 'ok', repoAdmin: 403, serviceAdmin: 403 },
  { name: 'global admin', grants: { global: 'admin' }, read: 'ok', write: 'ok', repoAdmin: 'ok', serviceAdmin: 'ok' },
  { name: 'read on the repository', grants: { repos: { r: 'read' } }, read: 'ok', write: 403, repoAdmin: 403, serviceAdmin: 403 },
  { name: 'write on the repository', grants: { repos: { r: 'write' } }, read: 'ok', write: 'ok', repoAdmin: 403, serviceAdmin: 403 },
  { name: 'admin on the repository', grants: { repos: { r: 'admin' } }, read: 'ok', write: 'ok', repoAdmin: 'ok', serviceAdmin: 403 },
  { name: 'admin of another repository only', grants: { repos: { other: 'admin' } }, read: 404, write: 404, repoAdmin: 404, serviceAdmin: 403 },
  { name: 'global read plus write on the repository', grants: { global: 'read', repos: { r: 'write' } }, read: 'ok', write: 'ok', repoAdmin: 403, serviceAdmin: 403 },
];

describe('every role against every endpoint class (private repository)', () => {
  let api: ApiHarness;
  let admin: ApiClient;
  const clients = new Map<string, ApiClient>();

  beforeAll(async () => {
    api = await startApi({ storage: new MemoryStorage(), auth: true });
    admin = api.as(await api.token('root', { global: 'admin' }));
    await createRepo(admin, 'r');
    await createRepo(admin, 'other');
    await writeFile(admin, 'r', 'a.md', 'hello');
    for (const p of PRINCIPALS) {
      if (p.grants === null) clients.set(p.name, api.client);
      else if (typeof p.grants === 'string') clients.set(p.name, api.withAuthorization(p.grants));
      else clients.set(p.name, api.as(await api.token(p.name, p.grants)));
    }
  });
  afterAll(() => api.close());

  function expectOutcome(res: { status: number; text: string; headers: Record<string, string> }, outcome: Outcome, what: string): void {
    if (outcome === 'ok') {
      expect(res.status, `${what}: ${res.text}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${what}: ${res.text}`).toBeLessThan(300);
      return;
    }
    expect(res.status, `${what}: ${res.text}`).toBe(outcome);
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    if (outcome === 401) expect(res.headers['www-authenticate'], what).toBe('Bearer realm="content-repo"');
    else expect(res.headers['www-authenticate'], what).toBeUndefined();
  }

  describe.each(PRINCIPALS)('$name', (p) => {
    const slug = p.name.replace(/\W+/g, '-');

    it(`read (GET contents, branches, commits, tags, compare) -> ${p.read}`, async () => {
      const c = clients.get(p.name)!;
      for (const path of ['/repos/r', '/repos/r/contents/a.md', '/repos/r/branches', '/repos/r/commits', '/repos/r/tags', '/repos/r/compare/main...main']) {
        expectOutcome(await c.get(path), p.read, `GET ${path}`);
      }
    });

    it(`write (PUT and DELETE contents, POST commits, PUT branches) -> ${p.write}`, async () => {
      const c = clients.get(p.name)!;
      expectOutcome(await c.put(`/repos/r/contents/by-${slug}.md`).send('x'), p.write, 'PUT contents');
      expectOutcome(
        await c.post('/repos/r/commits').set('Content-Type', 'application/json').send({ branch: 'main', message: 'm', changes: [{ path: `commit-${slug}.md`, content: 'x' }] }),
        p.write,
        'POST commits',
      );
      expectOutcome(await c.put(`/repos/r/branches/b-${slug}`).set('Content-Type', 'application/json').send({ from: 'main' }), p.write, 'PUT branch');
      expectOutcome(await c.delete(`/repos/r/contents/by-${slug}.md`), p.write === 'ok' ? 'ok' : p.write, 'DELETE contents');
    });

    it(`repository admin (settings, update and delete the repository) -> ${p.repoAdmin}`, async () => {
      const c = clients.get(p.name)!;
      expectOutcome(await c.get('/repos/r/settings'), p.repoAdmin, 'GET settings');
      expectOutcome(await c.put('/repos/r/settings').set('Content-Type', 'application/json').send({}), p.repoAdmin, 'PUT settings');
      expectOutcome(await c.put('/repos/r').set('Content-Type', 'application/json').send({ description: `by ${p.name}` }), p.repoAdmin, 'PUT repository');
      // Deleting is tried on a scratch repository made for it, so that the matrix keeps its subject.
      const doomed = `d-${slug}`.slice(0, 100);
      await createRepo(admin, doomed);
      const scoped = p.grants !== null && typeof p.grants === 'object' && p.grants.repos?.r !== undefined && p.grants.global === undefined;
      // A grant on "r" alone says nothing about the scratch repository: such a caller may not even see it.
      const expected: Outcome = scoped ? 404 : p.repoAdmin;
      expectOutcome(await c.delete(`/repos/${doomed}`), expected, 'DELETE repository');
    });

    it(`service admin (/admin/tokens) -> ${p.serviceAdmin}`, async () => {
      const c = clients.get(p.name)!;
      expectOutcome(await c.get('/admin/tokens'), p.serviceAdmin, 'GET /admin/tokens');
      expectOutcome(await c.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: `made by ${slug}`, global: 'read' }), p.serviceAdmin === 'ok' ? 'ok' : p.serviceAdmin, 'POST /admin/tokens');
    });
  });

  it('a denied write leaves nothing behind', async () => {
    const files = json<{ entries: { name: string }[] }>(await admin.get('/repos/r/contents')).entries.map((e) => e.name);
    const writers = PRINCIPALS.filter((p) => p.write === 'ok').map((p) => `commit-${p.name.replace(/\W+/g, '-')}.md`);
    expect(files.filter((f) => f.startsWith('commit-')).sort()).toEqual(writers.sort());
    expect(files.filter((f) => f.startsWith('by-'))).toEqual([]);
  });

  it('the ref update a write makes names the token that made it', async () => {
    const writer = api.as(await api.token('Writer Person', { repos: { r: 'write' } }));
    const seen: RefUpdatedEvent[] = [];
    const stop = api.events.subscribe((e) => seen.push(e));
    try {
      const res = await writer.put('/repos/r/contents/authored.md').send('x');
      expect(res.status).toBe(201);
      const commit = json<{ commit: string }>(res).commit;
      expect(seen.find((e) => e.new === commit)).toMatchObject({ repo: 'r', ref: 'refs/heads/main', actor: 'Writer Person', via: 'rest' });
    } finally {
      stop();
    }
  });

  it('creating a repository needs admin on that name or globally', async () => {
    const reader = api.as(await api.token('reader', { global: 'read' }));
    expect((await reader.put('/repos/new-one').set('Content-Type', 'application/json').send({})).status).toBe(403);
    const named = api.as(await api.token('named admin', { repos: { 'new-one': 'admin' } }));
    expect((await named.put('/repos/new-one').set('Content-Type', 'application/json').send({})).status).toBe(201);
  });

  it('OPTIONS and /openapi.json need no credentials', async () => {
    expect((await api.client.get('/openapi.json')).status).toBe(200);
    expect((await api.client.options('/repos/r/contents/a.md')).status).toBe(200);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
