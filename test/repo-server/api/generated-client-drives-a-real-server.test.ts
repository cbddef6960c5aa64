/**
 * The OpenAPI document is usable as it stands: a client generated from it (openapi-typescript's
 * types, openapi-fetch's calls; both from /openapi.json, nothing written by hand) creates a
 * repository, writes, branches, merges and reads the history of a real front end, and the
 * compiler holds every call and every field read to the document (npm test type-checks this
 * file). The generated types are checked to be what the current document generates.
 */
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import type { RunningServer } from '../../../repo-server/server.js';
import type { paths } from './client/api-types.js';
import { generateTypes, TYPES_FILE } from './client/generate.js';
import { startFrontEnd } from './helpers/front-end.js';

describe('a client generated from /openapi.json', () => {
  let server: RunningServer;
  let api: ReturnType<typeof createClient<paths>>;

  beforeAll(async () => {
    server = await startFrontEnd(new MemoryStorage(), { auth: true });
    const { token } = await server.auth!.tokens.create('author', { global: 'admin' });
    api = createClient<paths>({ baseUrl: server.url, headers: { Authorization: `Bearer ${token}` } });
  });
  afterAll(() => server.close(1_000, 0));

  it('has types that are what the current document generates', async () => {
    expect(readFileSync(TYPES_FILE, 'utf8')).toBe(await generateTypes());
  });

  it('creates a repository, writes, branches, merges and reads the history', async () => {
    const repo = { repo: 'handbook' };
    const created = await api.PUT('/repos/{repo}', { params: { path: repo }, body: { description: 'The staff handbook' } });
    expect(created.response.status).toBe(201);
    expect(created.data?.defaultBranch).toBe('main');

    // A file's bytes are the body itself, not JSON.
    const written = await api.PUT('/repos/{repo}/contents/{path}', {
      params: { path: { ...repo, path: 'intro.md' }, query: { message: 'Introduction' } },
      body: '# Welcome\n',
      bodySerializer: (body: string) => body,
      headers: { 'Content-Type': 'text/markdown' },
    });
    expect(written.response.status).toBe(201);
    expect(written.data?.id).toMatch(/^[0-9a-f]{40}$/);

    const branch = await api.PUT('/repos/{repo}/branches/{branch}', { params: { path: { ...repo, branch: 'draft' } }, body: { from: 'main' } });
    expect(branch.response.status).toBe(201);
    expect(branch.response.headers.get('etag')).toBe(`"${branch.data?.commit}"`);

    for (const [i, name] of ['policies.md', 'leave.md', 'travel.md'].entries()) {
      const commit = await api.POST('/repos/{repo}/commits', {
        params: { path: repo },
        body: { branch: 'draft', message: `Chapter ${i + 2}`, author: { name: 'Ada', email: 'ada@example.test' }, changes: [{ path: name, content: `# ${name}\n` }] },
      });
      expect(commit.response.status).toBe(201);
      expect(commit.data?.files[0]?.action).toBe('created');
    }

    const merged = await api.POST('/repos/{repo}/merges', { params: { path: repo }, body: { base: 'main', head: 'draft' } });
    expect(merged.response.status).toBe(201);
    expect(merged.data?.outcome).toBe('fast-forward');

    // History, two at a time, each page continuing where the last one stopped.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.GET('/repos/{repo}/commits', { params: { path: repo, query: { ref: 'main', per_page: 2, ...(cursor === undefined ? {} : { cursor }) } } });
      expect(page.response.status).toBe(200);
      seen.push(...(page.data?.commits ?? []).map((c) => `${c.author.name}: ${c.message.trim()}`));
      cursor = page.data?.next ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(['Ada: Chapter 4', 'Ada: Chapter 3', 'Ada: Chapter 2', 'author: Introduction']);

    const listing = await api.GET('/repos/{repo}/contents', { params: { path: repo } });
    expect(listing.data?.entries.map((e) => e.name).sort()).toEqual(['intro.md', 'leave.md', 'policies.md', 'travel.md']);
  });

  it('reads errors as typed problems', async () => {
    const missing = await api.GET('/repos/{repo}', { params: { path: { repo: 'nowhere' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.type).toBe('/problems/not-found');
    const bad = await api.PUT('/repos/{repo}/branches/{branch}', { params: { path: { repo: 'handbook', branch: 'x' } }, body: { from: 'no-such-ref' } });
    expect(bad.error?.status).toBe(404);
  });
});
