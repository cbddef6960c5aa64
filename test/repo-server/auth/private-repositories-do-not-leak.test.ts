/**
 * A private repository must not show through any door: REST listing and contents, the /events
 * WebSocket, and git smart HTTP with the real git client. Anonymous read is a per-repository
 * setting that opens reading (never writing) to everyone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import type { Grants } from '../../../repo-server/auth/roles.js';
import { TokenStore } from '../../../repo-server/auth/token-store.js';
import type { RunningServer } from '../../../repo-server/server.js';
import { eventTicket, openEvents } from '../api/helpers/event-socket.js';
import { createRepo, json, writeFile } from '../api/helpers/fixtures.js';
import { startFrontEnd } from '../api/helpers/front-end.js';
import { type ApiClient, apiClient, basic } from '../api/helpers/harness.js';
import { GitSandbox, gitUrl } from '../api/helpers/git.js';
import { undocumentedObservations } from '../api/helpers/observed.js';

describe('private repositories', () => {
  const storage = new MemoryStorage();
  let server: RunningServer;
  let sb: GitSandbox;
  let anonymous: ApiClient;
  let admin: ApiClient;
  let outsider: ApiClient;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    server = await startFrontEnd(storage, { auth: true });
    sb = new GitSandbox();
    const store = new TokenStore(storage);
    const grants: Record<string, Grants> = {
      admin: { global: 'admin' },
      outsider: { repos: { open: 'read' } },
      reader: { repos: { secret: 'read' } },
      writer: { repos: { secret: 'write' } },
    };
    for (const [name, granted] of Object.entries(grants)) {
      tokens[name] = (await store.create(name, granted)).token;
    }
    anonymous = apiClient(server.url);
    admin = apiClient(server.url, { Authorization: `Bearer ${tokens.admin}` });
    outsider = apiClient(server.url, { Authorization: `Bearer ${tokens.outsider}` });
    await createRepo(admin, 'secret');
    await createRepo(admin, 'open');
    await writeFile(admin, 'secret', 'plan.md', 'the secret plan');
    await writeFile(admin, 'open', 'readme.md', 'hello world');
    const settings = await admin.put('/repos/open/settings').set('Content-Type', 'application/json').send({ anonymousRead: true });
    expect(settings.status).toBe(200);
  });
  afterAll(async () => {
    await server.close(100);
    await storage.close();
    sb.cleanup();
  });

  describe('REST', () => {
    it('the listing shows each caller only what it may read', async () => {
      const names = async (c: ApiClient) => json<{ repositories: { name: string }[] }>(await c.get('/repos')).repositories.map((r) => r.name);
      expect(await names(anonymous)).toEqual(['open']);
      expect(await names(outsider)).toEqual(['open']);
      expect(await names(admin)).toEqual(['open', 'secret']);
      expect(await names(apiClient(server.url, { Authorization: `Bearer ${tokens.reader}` }))).toEqual(['open', 'secret']);
    });

    it('the listing refuses an invalid token (401) rather than falling back to anonymous', async () => {
      const res = await apiClient(server.url, { Authorization: 'Bearer crt_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).get('/repos');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('to a caller who may not see it, a private repository is exactly like one that does not exist', async () => {
      for (const path of ['', '/contents/plan.md', '/contents', '/branches', '/commits', '/tags', '/settings']) {
        const secret = await outsider.get(`/repos/secret${path}`);
        const missing = await outsider.get(`/repos/no-such-repo${path}`);
        expect(secret.status, path).toBe(404);
        expect(missing.status, path).toBe(404);
        expect(secret.text.replaceAll('secret', 'X')).toBe(missing.text.replaceAll('no-such-repo', 'X'));
        expect(secret.text).not.toContain('the secret plan');
      }
      const write = await outsider.put('/repos/secret/contents/plan.md').send('overwritten');
      expect(write.status).toBe(404);
      expect((await admin.get('/repos/secret/contents/plan.md')).text).toBe('the secret plan');
    });

    it('to an anonymous caller, existing and missing private repositories look the same (401)', async () => {
      const secret = await anonymous.get('/repos/secret/contents/plan.md');
      const missing = await anonymous.get('/repos/no-such-repo/contents/plan.md');
      expect(secret.status).toBe(401);
      expect(missing.status).toBe(401);
      expect(secret.headers['www-authenticate']).toBe('Bearer realm="content-repo"');
    });

    it('anonymous read lets everyone read, but not write', async () => {
      const read = await anonymous.get('/repos/open/contents/readme.md');
      expect(read.status).toBe(200);
      expect(read.text).toBe('hello world');
      const write = await anonymous.put('/repos/open/contents/readme.md').send('defaced');
      expect(write.status).toBe(401);
      expect(write.headers['www-authenticate']).toMatch(/^Bearer/);
      const outsiderWrite = await outsider.put('/repos/open/contents/readme.md').send('defaced');
      expect(outsiderWrite.status).toBe(403);
      expect((await anonymous.get('/repos/open/contents/readme.md')).text).toBe('hello world');
    });

    it('turning anonymous read off closes the repository at once', async () => {
      await createRepo(admin, 'briefly-open');
      await writeFile(admin, 'briefly-open', 'a.md', 'a');
      await admin.put('/repos/briefly-open/settings').set('Content-Type', 'application/json').send({ anonymousRead: true });
      expect((await anonymous.get('/repos/briefly-open/contents/a.md')).status).toBe(200);
      await admin.put('/repos/briefly-open/settings').set('Content-Type', 'application/json').send({ anonymousRead: false });
      expect((await anonymous.get('/repos/briefly-open/contents/a.md')).status).toBe(401);
    });
  });

  describe('events', () => {
    it('the WebSocket upgrade is refused to anonymous and outsider callers, as for a missing repository', async () => {
      const callers: Record<string, string>[] = [{}, { Authorization: `Bearer ${tokens.outsider}` }];
      for (const headers of callers) {
        const secret = await openEvents(server.url, { repo: 'secret' }, headers);
        const missing = await openEvents(server.url, { repo: 'no-such-repo' }, headers);
        expect(secret.opened).toBe(false);
        expect(missing.opened).toBe(false);
        if (!secret.opened && !missing.opened) {
          expect(secret.status).toBe(missing.status);
          expect(secret.status).toBe(404);
        }
      }
    });

    it('an invalid token is refused even on an anonymously readable repository', async () => {
      const res = await openEvents(server.url, { repo: 'open' }, { Authorization: 'Bearer crt_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      expect(res.opened).toBe(false);
    });

    it('a reader subscribes with a Bearer header or a one-time ?ticket=, never ?access_token=; anonymous may subscribe to an open repository', async () => {
      const viaHeader = await openEvents(server.url, { repo: 'secret' }, { Authorization: `Bearer ${tokens.reader}` });
      const viaQuery = await openEvents(server.url, { repo: 'secret', ticket: await eventTicket(server.url, tokens.reader!) });
      expect((await openEvents(server.url, { repo: 'secret', access_token: tokens.reader! })).opened).toBe(false);
      const open = await openEvents(server.url, { repo: 'open' });
      for (const outcome of [viaHeader, viaQuery, open]) {
        expect(outcome.opened).toBe(true);
        if (outcome.opened) await outcome.socket.close();
      }
    });
  });

  describe('git', () => {
    it('anonymous clone of a private repository fails without a prompt: 401 with a Basic challenge', async () => {
      const res = await fetch(`${server.url}/secret.git/info/refs?service=git-upload-pack`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="content-repo"/);
      const started = Date.now();
      const clone = await sb.run(['clone', gitUrl(server.url, 'secret'), sb.path('anon-secret')]);
      expect(clone.code).not.toBe(0);
      expect(clone.stderr).toMatch(/terminal prompts disabled|Authentication failed|could not read Username/i);
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    it('to git, a private repository looks exactly like a missing one (anonymous and outsider alike)', async () => {
      const callers: Record<string, string>[] = [{}, { Authorization: basic(tokens.outsider!) }];
      for (const headers of callers) {
        const secret = await fetch(`${server.url}/secret.git/info/refs?service=git-upload-pack`, { headers });
        const missing = await fetch(`${server.url}/no-such-repo.git/info/refs?service=git-upload-pack`, { headers });
        expect(`${JSON.stringify(headers)} -> ${secret.status}`).toBe(`${JSON.stringify(headers)} -> ${missing.status}`);
        expect(await secret.text()).not.toContain('secret plan');
      }
    });

    it('with http://x:<token>@host/repo.git a reader clones; a reader cannot push (403); a writer can', async () => {
      await sb.ok(['clone', '-q', gitUrl(server.url, 'secret', tokens.reader), sb.path('reader')]);
      expect(await sb.ok(['show', 'HEAD:plan.md'], sb.path('reader'))).toBe('the secret plan');
      writeFileSync(join(sb.path('reader'), 'from-git.md'), 'pushed');
      await sb.ok(['add', 'from-git.md'], sb.path('reader'));
      await sb.ok(['commit', '-q', '-m', 'from git'], sb.path('reader'));
      const refused = await sb.run(['push', 'origin', 'main'], sb.path('reader'));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/403|permission/i);
      expectStatus(await admin.get('/repos/secret/contents/from-git.md'), 404);
      await sb.ok(['remote', 'set-url', 'origin', gitUrl(server.url, 'secret', tokens.writer)], sb.path('reader'));
      await sb.ok(['push', '-q', 'origin', 'main'], sb.path('reader'));
      expect((await admin.get('/repos/secret/contents/from-git.md')).text).toBe('pushed');
    });

    it('anonymous read allows an anonymous clone of that repository, never a push', async () => {
      await sb.ok(['clone', '-q', gitUrl(server.url, 'open'), sb.path('open')]);
      writeFileSync(join(sb.path('open'), 'anon.md'), 'anon');
      await sb.ok(['add', 'anon.md'], sb.path('open'));
      await sb.ok(['commit', '-q', '-m', 'anon'], sb.path('open'));
      const push = await sb.run(['push', 'origin', 'main'], sb.path('open'));
      expect(push.code).not.toBe(0);
      expectStatus(await admin.get('/repos/open/contents/anon.md'), 404);
    });

    it('a wrong password is refused like no password', async () => {
      const clone = await sb.run(['clone', gitUrl(server.url, 'secret', 'crt_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), sb.path('wrong')]);
      expect(clone.code).not.toBe(0);
    });
  });
});

function expectStatus(res: { status: number }, status: number): void {
  expect(res.status).toBe(status);
}

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
