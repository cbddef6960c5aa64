/**
 * Webhooks against a real receiving HTTP server on loopback, through front ends as production
 * starts them: every event type arrives signed; a receiver that fails three times gets the
 * delivery on the fourth attempt, and a redelivery on request; a front end restarted (storage
 * closed and opened again) mid-retry still delivers; two front ends over one storage never send a
 * delivery twice; a receiver that hangs does not slow writes; URLs aimed inside are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../../fs-service/index.js';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { defaultWebhookConfig, loadConfig, type ServerConfig } from '../../../repo-server/config.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { type RunningServer, startServer } from '../../../repo-server/server.js';
import { parseAllowList } from '../../../repo-server/webhooks/index.js';
import { post } from '../../../repo-server/webhooks/post.js';
import { createRepo, expectProblem, json, writeFile } from '../api/helpers/fixtures.js';
import { startFrontEnd } from '../api/helpers/front-end.js';
import { GitSandbox, gitUrl } from '../api/helpers/git.js';
import { type ApiClient, apiClient } from '../api/helpers/harness.js';
import { undocumentedObservations } from '../api/helpers/observed.js';
import { Receiver, signatureValid } from './helpers/receiver.js';

const SECRET = 'a-shared-secret-of-the-receiver';
const ALL_REPOSITORY_EVENTS = ['push', 'branch.created', 'branch.deleted', 'tag.created', 'tag.deleted', 'merge'];
/** Loopback allowed (the receiver is there); quick retries so the suite stays short. */
const QUICK = { ...defaultWebhookConfig, allow: parseAllowList('127.0.0.1'), timeoutMs: 1_500, retryMs: 150, intervalMs: 100 };

async function adminOf(server: RunningServer): Promise<ApiClient> {
  const { token } = await server.auth!.tokens.create('root', { global: 'admin' });
  return apiClient(server.url, { Authorization: `Bearer ${token}` });
}

async function hook(client: ApiClient, base: string, url: string, events: string[]): Promise<string> {
  const res = await client.post(base).set('Content-Type', 'application/json').send({ url, events, secret: SECRET });
  expect(res.status, res.text).toBe(201);
  expect(res.text).not.toContain(SECRET);
  return json<{ id: string }>(res).id;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('webhooks', () => {
  let rx: Receiver;
  let server: RunningServer;
  let admin: ApiClient;
  let token: string;

  beforeAll(async () => {
    rx = await Receiver.start();
    server = await startFrontEnd(new MemoryStorage(), { auth: true, config: { webhooks: QUICK } });
    token = (await server.auth!.tokens.create('root', { global: 'admin' })).token;
    admin = apiClient(server.url, { Authorization: `Bearer ${token}` });
  });
  afterAll(async () => {
    await server.close(1_000, 0);
    await rx.close();
  });

  it('delivers every event type, from REST and from git, each signed with the hook\'s secret', async () => {
    await hook(admin, '/admin/hooks', rx.on('/service', 200), ['repository.created', 'repository.deleted']);
    await createRepo(admin, 'book');
    await hook(admin, '/repos/book/hooks', rx.on('/book', 200), ALL_REPOSITORY_EVENTS);
    await writeFile(admin, 'book', 'ch1.md', '# One');
    expect((await admin.put('/repos/book/branches/draft').set('Content-Type', 'application/json').send({ from: 'main' })).status).toBe(201);
    await writeFile(admin, 'book', 'ch2.md', '# Two', { branch: 'draft' });
    expect((await admin.post('/repos/book/merges').set('Content-Type', 'application/json').send({ base: 'main', head: 'draft' })).status).toBe(201);
    expect((await admin.put('/repos/book/tags/v1').set('Content-Type', 'application/json').send({ ref: 'main', message: 'First edition' })).status).toBe(201);
    const git = new GitSandbox();
    try {
      await git.ok(['clone', '-q', gitUrl(server.url, 'book', token), 'book']);
      await git.ok(['-C', git.path('book'), 'commit', '-q', '--allow-empty', '-m', 'From git']);
      await git.ok(['-C', git.path('book'), 'push', '-q', 'origin', 'main', ':refs/tags/v1']);
    } finally {
      git.cleanup();
    }
    const draft = json<{ commit: string }>(await admin.get('/repos/book/branches/draft')).commit;
    expect((await admin.delete('/repos/book/branches/draft').set('If-Match', `"${draft}"`)).status).toBe(204);

    const expected = { push: 8, 'branch.created': 2, merge: 1, 'tag.created': 1, 'tag.deleted': 1, 'branch.deleted': 1 };
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    await rx.until((r) => r.filter((x) => x.path === '/book').length >= total);
    // The repository's deliveries are all made before it is deleted (they are deleted with it).
    expect((await admin.delete('/repos/book')).status).toBe(204);
    await rx.until((r) => r.filter((x) => x.path === '/service').length >= 2);
    await sleep(300);

    const book = rx.at('/book');
    const counts: Record<string, number> = {};
    for (const r of book) counts[String(r.json.event)] = (counts[String(r.json.event)] ?? 0) + 1;
    expect(counts).toEqual(expected);
    expect(rx.at('/service').map((r) => r.json.event)).toEqual(['repository.created', 'repository.deleted']);
    for (const r of [...book, ...rx.at('/service')]) {
      expect(signatureValid(SECRET, r.body, r.headers['x-hub-signature-256']), r.body).toBe(true);
      // A receiver holding the wrong secret can tell: the signature does not check out.
      expect(signatureValid('not-the-secret', r.body, r.headers['x-hub-signature-256'])).toBe(false);
      expect(r.headers['x-content-repo-event']).toBe(r.json.event);
      expect(r.headers['x-content-repo-delivery']).toBe(r.json.delivery);
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(new Set(book.map((r) => r.json.delivery)).size).toBe(book.length);
    const viaGit = book.filter((r) => r.json.via === 'git').map((r) => `${String(r.json.event)} ${String(r.json.ref)}`);
    expect(viaGit.sort()).toEqual(['push refs/heads/main', 'push refs/tags/v1', 'tag.deleted refs/tags/v1']);
    const merge = book.find((r) => r.json.event === 'merge')!.json;
    expect(merge).toMatchObject({ repository: { name: 'book' }, ref: 'refs/heads/main', branch: 'main', created: false, deleted: false, via: 'rest' });
    expect(rx.at('/service')[0]!.json).toMatchObject({ event: 'repository.created', repository: { name: 'book' }, actor: 'root' });
  });

  it('a receiver that fails three times gets the delivery on the fourth attempt; the log shows each attempt and redelivers on request', async () => {
    await createRepo(admin, 'flaky');
    const id = await hook(admin, '/repos/flaky/hooks', rx.on('/flaky', [500, 502, 503, 200]), ['push']);
    await writeFile(admin, 'flaky', 'a.md', 'a');
    await rx.until((r) => r.filter((x) => x.path === '/flaky').length >= 4);
    const sent = rx.at('/flaky');
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    let log: { deliveries: { id: string; state: string; attemptCount: number; lastAttempt: { status: number } }[] } = { deliveries: [] };
    for (let i = 0; i < 50 && log.deliveries[0]?.state !== 'delivered'; i++) {
      await sleep(50);
      log = json(await admin.get(`/repos/flaky/hooks/${id}/deliveries`));
    }
    expect(log.deliveries).toHaveLength(1);
    expect(log.deliveries[0]).toMatchObject({ state: 'delivered', attemptCount: 4, lastAttempt: { status: 200 } });
    const delivery = log.deliveries[0]!.id;
    const detail = json<{ payload: string; attempts: { status: number; durationMs: number }[] }>(await admin.get(`/repos/flaky/hooks/${id}/deliveries/${delivery}`));
    expect(detail.attempts.map((a) => a.status)).toEqual([500, 502, 503, 200]);
    expect(detail.payload).toBe(sent[0]!.body);

    const again = await admin.post(`/repos/flaky/hooks/${id}/deliveries/${delivery}/attempts`);
    expect(again.status, again.text).toBe(202);
    await rx.until((r) => r.filter((x) => x.path === '/flaky').length >= 5);
    expect(rx.at('/flaky')[4]!.headers['x-content-repo-delivery']).toBe(delivery);
    expectProblem(await admin.post(`/repos/flaky/hooks/${id}/deliveries/000000000999-${id}-push/attempts`), 404);
  });

  it('a receiver that hangs does not slow writes down', async () => {
    await createRepo(admin, 'quiet');
    await createRepo(admin, 'stuck');
    await hook(admin, '/repos/stuck/hooks', rx.on('/hang', 'hang'), ALL_REPOSITORY_EVENTS);
    const timeWrites = async (repo: string): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < 15; i++) {
        const started = performance.now();
        await writeFile(admin, repo, `f${i}.md`, String(i));
        ms.push(performance.now() - started);
      }
      return ms.sort((a, b) => a - b);
    };
    const quiet = await timeWrites('quiet');
    const stuck = await timeWrites('stuck');
    await rx.until((r) => r.some((x) => x.path === '/hang'));
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
    // A generous bound: a write that waited for the receiver would take its 1.5 s timeout.
    expect(median(stuck)).toBeLessThan(median(quiet) * 3 + 50);
    expect(stuck[stuck.length - 1]!).toBeLessThan(QUICK.timeoutMs);
  });

  it('refuses URLs that are not http(s) or point inside (loopback, private, link-local, metadata), unless the operator allows them', async () => {
    const strict = await startFrontEnd(new MemoryStorage(), { auth: true });
    try {
      const client = await adminOf(strict);
      await createRepo(client, 'r');
      for (const url of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'ftp://example.com/', 'file:///etc/passwd', 'http://user:pw@93.184.216.34/']) {
        const res = await client.post('/repos/r/hooks').set('Content-Type', 'application/json').send({ url, events: ['push'], secret: SECRET });
        expectProblem(res, 400);
        expect(json<{ type: string }>(res).type, url).toBe('/problems/unsafe-webhook-url');
      }
      // A public address is accepted (inactive, so nothing is ever sent there).
      const ok = await client.post('/repos/r/hooks').set('Content-Type', 'application/json').send({ url: 'http://93.184.216.34/hook', events: ['push'], secret: SECRET, active: false });
      expect(ok.status, ok.text).toBe(201);
      expect((await client.delete(new URL(ok.headers.location as string, strict.url).pathname)).status).toBe(204);
      expectProblem(await client.post('/repos/r/hooks').set('Content-Type', 'application/json').send({ url: 'http://93.184.216.34/hook', events: ['repository.created'], secret: SECRET }), 400);
    } finally {
      await strict.close(1_000, 0);
    }
    // Allowing 127.0.0.1 allows exactly it: ::1 stays refused.
    expectProblem(await admin.post('/admin/hooks').set('Content-Type', 'application/json').send({ url: 'http://[::1]:9/', events: ['repository.created'], secret: SECRET }), 400);
    // At delivery time too: a name that resolves inside is refused when the socket connects.
    const refused = await post(`http://localhost:${new URL(rx.url).port}/`, '{}', {}, 1_000, []);
    expect(refused).toMatchObject({ status: null, error: expect.stringMatching(/internal address/) });
    expect(rx.at('/').length).toBe(0);
  });

  it('a front end restarted mid-retry (its storage closed and opened again) still delivers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-restart-'));
    const config: ServerConfig = { ...loadConfig([], {}), host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'silent', auth: true, webhooks: { ...QUICK, retryMs: 600 } };
    try {
      let running = await startServer(config, await openEmbeddedStorage(dir), createLogger('silent'));
      const client = await adminOf(running);
      await createRepo(client, 'durable');
      await hook(client, '/repos/durable/hooks', rx.on('/restart', [500, 200]), ['push']);
      await writeFile(client, 'durable', 'a.md', 'a');
      await rx.until((r) => r.some((x) => x.path === '/restart'));
      await running.close(1_000, 0);
      running = await startServer(config, await openEmbeddedStorage(dir), createLogger('silent'));
      await rx.until((r) => r.filter((x) => x.path === '/restart').length >= 2);
      const [first, second] = rx.at('/restart');
      expect(second!.headers['x-content-repo-delivery']).toBe(first!.headers['x-content-repo-delivery']);
      expect(second!.body).toBe(first!.body);
      await sleep(500);
      expect(rx.at('/restart').length).toBe(2);
      await running.close(1_000, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two front ends over one storage send each delivery once', async () => {
    const storage = new MemoryStorage();
    const a = await startFrontEnd(storage, { auth: false, config: { webhooks: QUICK } });
    const b = await startFrontEnd(storage, { auth: false, config: { webhooks: QUICK } });
    try {
      const viaA = apiClient(a.url);
      const viaB = apiClient(b.url);
      await createRepo(viaA, 'shared');
      await hook(viaB, '/repos/shared/hooks', rx.on('/twice', 200), ['push']);
      for (let i = 0; i < 20; i++) await writeFile(i % 2 === 0 ? viaA : viaB, 'shared', `f${i}.md`, String(i));
      await rx.until((r) => r.filter((x) => x.path === '/twice').length >= 20);
      await sleep(600);
      const ids = rx.at('/twice').map((r) => r.headers['x-content-repo-delivery']);
      expect(ids.length).toBe(20);
      expect(new Set(ids).size).toBe(20);
    } finally {
      await a.close(1_000, 0);
      await b.close(1_000, 0);
    }
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
