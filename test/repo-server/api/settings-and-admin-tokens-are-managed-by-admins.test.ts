import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchHead, createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiClient, type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

interface Settings {
  anonymousRead: boolean;
  protectedBranches: string[];
  requireFastForward: boolean;
}

interface TokenJson {
  id: string;
  name: string;
  grants: { global?: string; repos?: Record<string, string> };
  createdAt: string;
  revokedAt?: string;
  token?: string;
}

describe.each(STORAGE_FACTORIES)('settings and admin tokens on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let admin: ApiClient;
  let first: string;
  let second: string;

  const putSettings = (body: unknown) => admin.put('/repos/s/settings').set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage, auth: true });
    admin = api.as(await api.token('root', { global: 'admin' }));
    await createRepo(admin, 's');
    first = (await writeFile(admin, 's', 'a.md', '1')).commit;
    second = (await writeFile(admin, 's', 'a.md', '2')).commit;
    // Two protected branches, so that a failure of one protection cannot hide the other.
    for (const name of ['release', 'stable']) {
      const branch = await admin.put(`/repos/s/branches/${name}`).set('Content-Type', 'application/json').send({ from: 'main' });
      expect(branch.status).toBe(201);
    }
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('GET settings: private and unprotected by default, with a validator', async () => {
    const res = await admin.get('/repos/s/settings');
    expect(res.status).toBe(200);
    expect(json<Settings>(res)).toEqual({ anonymousRead: false, protectedBranches: [], requireFastForward: true });
    expect((await admin.get('/repos/s/settings').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
  });

  it('PUT settings: 200 with the stored settings; GET shows them; a stale If-Match is 412', async () => {
    const before = await admin.get('/repos/s/settings');
    const res = await putSettings({ protectedBranches: ['release', 'stable'] });
    expect(res.status).toBe(200);
    expect(json<Settings>(res)).toEqual({ anonymousRead: false, protectedBranches: ['release', 'stable'], requireFastForward: true });
    expect(json<Settings>(await admin.get('/repos/s/settings')).protectedBranches).toEqual(['release', 'stable']);
    expectProblem(await putSettings({}).set('If-Match', before.headers.etag as string), 412);
    expect(json<Settings>(await admin.get('/repos/s/settings')).protectedBranches).toEqual(['release', 'stable']);
  });

  it('PUT settings with a bad body is 400, a wrong type 415; an unknown repository 404', async () => {
    expectProblem(await putSettings({ anonymousRead: 'yes' }), 400);
    expectProblem(await putSettings({ protectedBranches: 'main' }), 400);
    expectProblem(await putSettings({ mystery: 1 }), 400);
    expectProblem(await admin.put('/repos/s/settings').set('Content-Type', 'text/plain').send('{}'), 415);
    expectProblem(await admin.get('/repos/nope/settings'), 404);
    expectProblem(await admin.put('/repos/nope/settings').set('Content-Type', 'application/json').send({}), 404);
    expect(json<Settings>(await admin.get('/repos/s/settings')).protectedBranches).toEqual(['release', 'stable']);
  });

  it('a protected branch cannot be deleted through REST', async () => {
    const res = await admin.delete('/repos/s/branches/release').set('If-Match', `"${second}"`);
    expect([403, 409], res.text).toContain(res.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await branchHead(admin, 's', 'release')).toBe(second);
  });

  it('a protected branch with requireFastForward cannot be force-moved backwards through REST', async () => {
    const res = await admin.put('/repos/s/branches/stable').set('If-Match', `"${second}"`).set('Content-Type', 'application/json').send({ commit: first, force: true });
    expectProblem(res, 409);
    expect(await branchHead(admin, 's', 'stable')).toBe(second);
  });

  it('an unprotected branch can still be force-moved', async () => {
    const b = await admin.put('/repos/s/branches/scratch').set('Content-Type', 'application/json').send({ from: 'main' });
    expect(b.status).toBe(201);
    const res = await admin.put('/repos/s/branches/scratch').set('If-Match', `"${second}"`).set('Content-Type', 'application/json').send({ commit: first, force: true });
    expect(res.status).toBe(200);
  });

  it('POST /admin/tokens creates a token: 201, Location, the secret once, no-store; the token works at once', async () => {
    const res = await admin.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'editor', repos: { s: 'write' } });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = json<TokenJson>(res);
    expect(res.headers.location).toBe(`/admin/tokens/${created.id}`);
    expect(created.token).toMatch(/^crt_[0-9a-f]{16}_/);
    expect(created).toMatchObject({ name: 'editor', grants: { repos: { s: 'write' } } });
    expect(JSON.stringify(created)).not.toMatch(/"(salt|hash)"/);
    const editor = api.as(created.token!);
    expect((await writeFile(editor, 's', 'by-editor.md', 'e')).status).toBe(201);
    const one = await admin.get(`/admin/tokens/${created.id}`);
    expect(one.status).toBe(200);
    expect(one.text).not.toContain(created.token!.slice('crt_0123456789abcdef_'.length));
    expect(json<TokenJson>(one).token).toBeUndefined();
  });

  it('GET /admin/tokens lists tokens without secrets, no-store', async () => {
    const res = await admin.get('/admin/tokens');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const tokens = json<{ tokens: TokenJson[] }>(res).tokens;
    expect(tokens.map((t) => t.name)).toEqual(['root', 'editor']);
    expect(res.text).not.toMatch(/"(salt|hash|token)"/);
  });

  it('POST /admin/tokens with no roles, an unknown role or an unknown field is 400; a wrong type 415', async () => {
    const count = json<{ tokens: TokenJson[] }>(await admin.get('/admin/tokens')).tokens.length;
    expectProblem(await admin.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'nothing' }), 400);
    expectProblem(await admin.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'x', global: 'owner' }), 400);
    expectProblem(await admin.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'x', global: 'read', expires: 'never' }), 400);
    expectProblem(await admin.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'x', repos: { 'bad name': 'read' } }), 400);
    expectProblem(await admin.post('/admin/tokens').set('Content-Type', 'text/plain').send(JSON.stringify({ name: 'typed', global: 'read' })), 415);
    expect(json<{ tokens: TokenJson[] }>(await admin.get('/admin/tokens')).tokens.length).toBe(count);
  });

  it('DELETE /admin/tokens/{id} revokes (204): the token fails at once, the record shows revokedAt', async () => {
    const created = json<TokenJson>(await admin.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'short-lived', global: 'read' }));
    const reader = api.as(created.token!);
    expect((await reader.get('/repos/s')).status).toBe(200);
    expect((await admin.delete(`/admin/tokens/${created.id}`)).status).toBe(204);
    const refused = await reader.get('/repos/s');
    expectProblem(refused, 401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(json<TokenJson>(await admin.get(`/admin/tokens/${created.id}`)).revokedAt).toBeDefined();
  });

  it('an unknown token id is 404', async () => {
    expectProblem(await admin.get('/admin/tokens/0123456789abcdef'), 404);
    expectProblem(await admin.get('/admin/tokens/not-an-id'), 404);
    expectProblem(await admin.delete('/admin/tokens/0123456789abcdef'), 404);
  });

  it('without access control configured, the token endpoints are 503', async () => {
    const open = await startApi({ storage: handle.storage });
    try {
      expectProblem(await open.client.get('/admin/tokens'), 503);
      expectProblem(await open.client.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'x', global: 'read' }), 503);
    } finally {
      await open.close();
    }
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
