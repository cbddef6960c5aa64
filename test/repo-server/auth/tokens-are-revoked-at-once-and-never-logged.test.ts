/**
 * Revocation holds at once on every front end and through every door (REST, git, events), and
 * no token (nor the Basic credential that carries one) ever reaches the structured log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { TokenStore } from '../../../repo-server/auth/token-store.js';
import { CLOSE_ACCESS_ENDED } from '../../../repo-server/events/websocket.js';
import type { RunningServer } from '../../../repo-server/server.js';
import { eventTicket, openEvents } from '../api/helpers/event-socket.js';
import { createRepo, json, writeFile } from '../api/helpers/fixtures.js';
import { capturedLogger, startFrontEnd } from '../api/helpers/front-end.js';
import { apiClient, basic } from '../api/helpers/harness.js';
import { GitSandbox, gitUrl } from '../api/helpers/git.js';
import { undocumentedObservations } from '../api/helpers/observed.js';

describe('token revocation and logs, two front ends on one storage', () => {
  const storage = new MemoryStorage();
  const logA = capturedLogger();
  const logB = capturedLogger();
  let a: RunningServer;
  let b: RunningServer;
  let sb: GitSandbox;
  let adminToken: string;
  /** Every secret this suite hands out; none may appear in either log. */
  const secrets: string[] = [];

  beforeAll(async () => {
    a = await startFrontEnd(storage, { auth: true, logger: logA.logger });
    b = await startFrontEnd(storage, { auth: true, logger: logB.logger });
    sb = new GitSandbox();
    adminToken = (await new TokenStore(storage).create('root', { global: 'admin' })).token;
    secrets.push(adminToken);
    const admin = apiClient(a.url, { Authorization: `Bearer ${adminToken}` });
    await createRepo(admin, 'r');
    await writeFile(admin, 'r', 'a.md', 'a');
  });
  afterAll(async () => {
    await a.close(100);
    await b.close(100);
    await storage.close();
    sb.cleanup();
  });

  it('a token revoked through one front end fails at once on the other, for REST, git and events', async () => {
    const adminA = apiClient(a.url, { Authorization: `Bearer ${adminToken}` });
    const created = await adminA.post('/admin/tokens').set('Content-Type', 'application/json').send({ name: 'temp', repos: { r: 'write' } });
    expect(created.status).toBe(201);
    const { id, token } = json<{ id: string; token: string }>(created);
    secrets.push(token);
    const onB = apiClient(b.url, { Authorization: `Bearer ${token}` });
    // Used first, so that any cache of the verification is warm when the revocation happens.
    expect((await onB.get('/repos/r/contents/a.md')).status).toBe(200);
    expect((await fetch(`${b.url}/r.git/info/refs?service=git-upload-pack`, { headers: { Authorization: basic(token) } })).status).toBe(200);
    const before = await openEvents(b.url, { repo: 'r' }, { Authorization: `Bearer ${token}` });
    expect(before.opened).toBe(true);
    if (before.opened) await before.socket.close();

    expect((await adminA.delete(`/admin/tokens/${id}`)).status).toBe(204);

    const rest = await onB.get('/repos/r/contents/a.md');
    expect(rest.status).toBe(401);
    expect(rest.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await onB.put('/repos/r/contents/b.md').send('x')).status).toBe(401);
    const git = await fetch(`${b.url}/r.git/info/refs?service=git-upload-pack`, { headers: { Authorization: basic(token) } });
    expect(git.status).toBe(401);
    expect(git.headers.get('www-authenticate')).toMatch(/^Basic/);
    const clone = await sb.run(['clone', gitUrl(b.url, 'r', token), sb.path('revoked')]);
    expect(clone.code).not.toBe(0);
    expect((await openEvents(b.url, { repo: 'r' }, { Authorization: `Bearer ${token}` })).opened).toBe(false);
    // A ticket cannot be had for it, and one had before the revocation opens nothing.
    expect((await fetch(`${b.url}/events/tickets`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it("a revoked token's open event sockets are closed within a second on every front end, with a code and a reason", async () => {
    const { token, record } = await new TokenStore(storage).create('listener', { repos: { r: 'read' } });
    secrets.push(token);
    const onA = await openEvents(a.url, { repo: 'r', ticket: await eventTicket(b.url, token) });
    const onB = await openEvents(b.url, { repo: 'r' }, { Authorization: `Bearer ${token}` });
    const unrelated = await openEvents(b.url, { repo: 'r' }, { Authorization: `Bearer ${adminToken}` });
    if (!onA.opened || !onB.opened || !unrelated.opened) throw new Error('subscriptions refused');
    const admin = apiClient(a.url, { Authorization: `Bearer ${adminToken}` });
    expect((await admin.delete(`/admin/tokens/${record.id}`)).status).toBe(204);
    const revoked = Date.now();
    expect(await onA.socket.closed(1_000 - (Date.now() - revoked))).toBe(CLOSE_ACCESS_ENDED);
    expect(await onB.socket.closed(Math.max(1, 1_000 - (Date.now() - revoked)))).toBe(CLOSE_ACCESS_ENDED);
    expect(onB.socket.closeReason).toMatch(/access ended: token revoked/);
    // A socket whose token still holds is left alone and keeps receiving events.
    await writeFile(admin, 'r', 'after-revoke.md', 'x');
    expect((await unrelated.socket.refUpdates(1)).length).toBe(1);
    await unrelated.socket.close();
  });

  it('a token revoked through the TokenStore directly fails at once too', async () => {
    const store = new TokenStore(storage);
    const { token, record } = await store.create('direct', { global: 'read' });
    secrets.push(token);
    expect((await apiClient(a.url, { Authorization: `Bearer ${token}` }).get('/repos/r')).status).toBe(200);
    expect(await store.revoke(record.id)).toBe(true);
    expect((await apiClient(a.url, { Authorization: `Bearer ${token}` }).get('/repos/r')).status).toBe(401);
    expect((await apiClient(b.url, { Authorization: `Bearer ${token}` }).get('/repos/r')).status).toBe(401);
  });

  it('tokens never appear in the structured logs of either front end', async () => {
    const { token } = await new TokenStore(storage).create('logged?', { repos: { r: 'write' } });
    secrets.push(token);
    const c = apiClient(b.url, { Authorization: `Bearer ${token}` });
    // Successful and failing requests, query-string tokens, git with Basic, an event subscription.
    await c.get('/repos/r/contents/a.md');
    await c.put('/repos/r/contents/logged.md').send('x');
    await c.get('/repos/nope/contents/a.md');
    await c.get(`/repos/r/contents/a.md?access_token=${token}`);
    await apiClient(b.url, { Authorization: `Bearer ${token}x` }).get('/repos/r');
    await apiClient(b.url, { Authorization: basic(token) }).get('/repos/r');
    await sb.ok(['clone', '-q', gitUrl(b.url, 'r', token), sb.path('logged')]);
    const sub = await openEvents(b.url, { repo: 'r', ticket: await eventTicket(a.url, token) });
    if (sub.opened) await sub.socket.close();
    await new Promise((r) => setTimeout(r, 50)); // pino writes asynchronously to its stream
    const text = logA.text() + logB.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).toMatch(/"msg":"request"/);
    for (const secret of secrets) {
      // The secret itself may contain "_" (base64url), so it is cut off after the fixed-length id.
      const random = /^crt_[0-9a-f]{16}_(.+)$/.exec(secret)?.[1];
      expect(random?.length).toBe(43);
      expect(text.includes(secret), 'a whole token in the log').toBe(false);
      expect(text.includes(random!), "a token's secret part in the log").toBe(false);
      expect(text.includes(Buffer.from(`x:${secret}`).toString('base64')), 'a Basic credential in the log').toBe(false);
    }
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
