/**
 * People who sign in with a user name and password: an admin creates them (the password only ever
 * stored as a scrypt hash, never answered, never logged), POST /sessions answers a token that
 * works for hours, carries the user's roles, and makes commits, merges and tags credit the user
 * with their own address; signing out, or any change to the user, ends it at once. Wrong
 * passwords are one 401 whatever was wrong, and repeated ones for a name 429.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiClient, type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

const PASSWORD = 'correct horse battery staple';

describe.each(STORAGE_FACTORIES)('users and sign-ins on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let admin: ApiClient;
  const logged: string[] = [];

  const signIn = (user: string, password: string) => api.client.post('/sessions').set('Content-Type', 'application/json').send(JSON.stringify({ user, password }));
  const putUser = (name: string, body: Record<string, unknown>) => admin.put(`/admin/users/${name}`).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    handle = await factory.create();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    api = await startApi({ storage: handle.storage, auth: true, logger: createLogger('info', sink) });
    admin = api.as(await api.token('root', { global: 'admin' }));
    await createRepo(admin, 'book');
    await writeFile(admin, 'book', 'a.md', 'first\n');
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('an admin creates a user; the password is stored hashed and never answered', async () => {
    const created = await putUser('ana', { displayName: 'Ana Editor', email: 'ana@example.org', password: PASSWORD, repos: { book: 'write' } });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.location).toBe('/admin/users/ana');
    expect(json<Record<string, unknown>>(created)).toEqual({ name: 'ana', displayName: 'Ana Editor', email: 'ana@example.org', grants: { repos: { book: 'write' } }, createdAt: expect.any(String), updatedAt: expect.any(String) });
    const listed = await admin.get('/admin/users');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain('hash');
    const [stored] = await api.storage.repo('system.git').readMany(['/users/ana.json']);
    const record = JSON.parse(stored!.toString('utf8')) as Record<string, string>;
    expect(stored!.toString('utf8')).not.toContain(PASSWORD);
    expect(Buffer.from(record.hash!, 'base64')).toHaveLength(32);
    expect(Buffer.from(record.salt!, 'base64')).toHaveLength(16);
    // Not without a password, not with a short one, not a name that would break a commit line.
    expectProblem(await putUser('bob', { displayName: 'Bob', email: 'bob@example.org', global: 'read' }), 400);
    expectProblem(await putUser('bob', { displayName: 'Bob', email: 'bob@example.org', global: 'read', password: 'short' }), 400);
    expectProblem(await putUser('bob', { displayName: 'Bob <x>', email: 'bob@example.org', global: 'read', password: PASSWORD }), 400);
    expectProblem(await putUser('..', { displayName: 'Bob', email: 'bob@example.org', global: 'read', password: PASSWORD }), 400);
    expectProblem(await api.as(await api.token('reader', { global: 'read' })).get('/admin/users'), 403);
  });

  it('signs in with the password: a token for hours, with the user’s roles, that credits commits to them', async () => {
    const res = await signIn('ana', PASSWORD);
    expect(res.status, res.text).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = json<{ token: string; expiresAt: string; user: { name: string; displayName: string; email: string } }>(res);
    expect(body.user).toEqual({ name: 'ana', displayName: 'Ana Editor', email: 'ana@example.org' });
    const hours = (Date.parse(body.expiresAt) - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(11);
    expect(hours).toBeLessThanOrEqual(12);
    const ana = api.as(body.token);
    const who = await ana.get('/sessions/current');
    expect(json<Record<string, unknown>>(who)).toMatchObject({ name: 'Ana Editor', user: 'ana', email: 'ana@example.org', grants: { repos: { book: 'write' } } });
    const written = await writeFile(ana, 'book', 'a.md', 'second\n');
    const commit = json<{ author: { name: string; email: string } }>(await ana.get(`/repos/book/commits/${written.commit}`));
    expect(commit.author).toMatchObject({ name: 'Ana Editor', email: 'ana@example.org' });
    // Only the roles the user has: no other repository, no admin.
    expectProblem(await ana.put('/repos/other').set('Content-Type', 'application/json').send('{}'), 404);
    expectProblem(await ana.get('/admin/tokens'), 403);
    expect(logged.join('')).not.toContain(PASSWORD);
    expect(logged.join('')).not.toContain(body.token);
  });

  it('signing out ends the token at once; a long-lived token cannot sign out (409)', async () => {
    const { token } = json<{ token: string }>(await signIn('ana', PASSWORD));
    expect((await api.as(token).delete('/sessions/current')).status).toBe(204);
    expectProblem(await api.as(token).get('/sessions/current'), 401);
    expectProblem(await api.as(token).get('/repos/book'), 401);
    expectProblem(await admin.delete('/sessions/current'), 409);
    expectProblem(await api.client.get('/sessions/current'), 401);
  });

  it('changing or deleting the user ends their sign-ins; the new password works, the old does not', async () => {
    const { token } = json<{ token: string }>(await signIn('ana', PASSWORD));
    expect((await putUser('ana', { displayName: 'Ana Editor', email: 'ana@example.org', password: `${PASSWORD}!`, repos: { book: 'read' } })).status).toBe(200);
    expectProblem(await api.as(token).get('/repos/book'), 401);
    expectProblem(await signIn('ana', PASSWORD), 401);
    const again = json<{ token: string }>(await signIn('ana', `${PASSWORD}!`));
    expectProblem(await writeAs(again.token), 403);
    expect((await admin.delete('/admin/users/ana')).status).toBe(204);
    expectProblem(await api.as(again.token).get('/repos/book'), 401);
    expectProblem(await admin.get('/admin/users/ana'), 404);
  });

  it('a wrong password or unknown name is the same 401; ten failures for a name make it wait (429)', async () => {
    expect((await putUser('cy', { displayName: 'Cy', email: 'cy@example.org', password: PASSWORD, global: 'read' })).status).toBe(201);
    const unknown = await signIn('nobody', PASSWORD);
    const wrong = await signIn('cy', 'not the password');
    expectProblem(unknown, 401);
    expectProblem(wrong, 401);
    expect(json<{ detail: string }>(unknown).detail).toBe(json<{ detail: string }>(wrong).detail);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    for (let i = 0; i < 9; i++) expectProblem(await signIn('cy', `wrong ${i}`), 401);
    const limited = await signIn('cy', PASSWORD);
    expectProblem(limited, 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(await api.client.post('/sessions').set('Content-Type', 'application/json').send('{"user":"cy"}'), 400);
    expectProblem(await api.client.post('/sessions').set('Content-Type', 'application/json').send(JSON.stringify({ user: 'cy', password: 'x'.repeat(10_000) })), 400);
  });

  async function writeAs(token: string) {
    return api.as(token).put('/repos/book/contents/b.md?message=x').set('Content-Type', 'application/octet-stream').send('b');
  }
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
