/**
 * Every list of the API pages by one rule (http/pagination.ts): per_page and a cursor from the
 * Link header, whose URLs are absolute. With 250 items in each list, following `next` from the
 * first page sees every item exactly once, in order; following `prev` from `last` sees them all
 * again; /repos pages only what the caller may read. Seeded through the domain and the stores
 * (no HTTP per item) so the test stays quick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { SYSTEM_STORE } from '../../../repo-server/auth/token-store.js';
import { createRepoService, type RepoService } from '../../../repo-server/domain/index.js';
import { EventBus } from '../../../repo-server/events/event-bus.js';
import { createRepo, expectProblem, writeFile } from './helpers/fixtures.js';
import { type ApiClient, type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { follow, linkTargets } from './helpers/pages.js';

const N = 250;
const names = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

describe('every list pages 250 items by one rule', () => {
  let api: ApiHarness;
  let admin: ApiClient;
  let service: RepoService;

  beforeAll(async () => {
    const storage = new MemoryStorage();
    api = await startApi({ storage, auth: true });
    admin = api.as(await api.token('root', { global: 'admin' }));
    service = createRepoService({ storage, events: new EventBus() });
    for (const name of names('r')) expect((await service.createRepository(name)).ok).toBe(true);
    // A deleted repository leaves a tombstone that storage still lists: pages skip it.
    expect((await service.createRepository('r100-gone')).ok).toBe(true);
    expect((await service.deleteRepository('r100-gone')).ok).toBe(true);
    await createRepo(admin, 'book');
    let head = (await writeFile(admin, 'book', 'ch.md', 'v0')).commit;
    for (const name of names('b')) expect((await service.createBranch('book', name, { from: head })).ok).toBe(true);
    for (const name of names('v')) expect((await service.createTag('book', name, { ref: head, message: name })).ok).toBe(true);
    for (let i = 1; i < N; i++) {
      const made = await service.commitChanges('book', { branch: 'main', message: `c${i}`, changes: [{ path: 'ch.md', content: Buffer.from(`v${i}`) }] });
      if (!made.ok) throw new Error(made.reason);
      head = made.commit.id;
    }
    // Token and user records as their stores write them (hashing 500 secrets would only cost time).
    const system = storage.repo(SYSTEM_STORE);
    for (const [i, name] of names('t').entries()) {
      const id = i.toString(16).padStart(16, '0');
      const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      await system.createExclusive(`/tokens/${id}.json`, JSON.stringify({ id, name, grants: { global: 'read' }, salt: 'x', hash: 'x', createdAt }));
    }
    for (const name of names('u')) {
      const at = new Date().toISOString();
      await system.createExclusive(`/users/${name}.json`, JSON.stringify({ name, displayName: name, email: `${name}@example.test`, grants: { global: 'read' }, salt: 'x', hash: 'x', createdAt: at, updatedAt: at }));
    }
  });
  afterAll(() => api.close());

  const LISTS: [string, string, (item: Record<string, unknown>) => unknown, unknown[]][] = [
    ['/repos', 'repositories', (r) => r.name, [...names('r'), 'book'].sort()],
    ['/repos/book/branches', 'branches', (b) => b.name, [...names('b'), 'main'].sort()],
    ['/repos/book/tags', 'tags', (t) => t.name, names('v')],
    ['/admin/users', 'users', (u) => u.name, names('u')],
  ];

  for (const [path, key, id, expected] of LISTS) {
    it(`${path}: next from the first page, and prev from the last, see every item once, in order`, async () => {
      const forward = await follow<Record<string, unknown>>(admin, api.url, `${path}?per_page=7`, key);
      expect(forward.items.map(id)).toEqual(expected);
      expect(forward.pages).toBe(Math.ceil(expected.length / 7));
      const first = await admin.get(`${path}?per_page=7`);
      const links = linkTargets(first.headers.link as string);
      expect(links.first).toBe(`${api.url}${path}?per_page=7`);
      expect(links.prev).toBeUndefined();
      expect(links.last).toMatch(new RegExp(`^${api.url}${path}\\?per_page=7&cursor=`));
      const backward = await follow<Record<string, unknown>>(admin, api.url, links.last!.slice(api.url.length), key, 'prev');
      expect(backward.items.map(id).reverse()).toEqual(expected);
      expect(forward.items.length).toBe(new Set(forward.items.map(id)).size);
    });
  }

  it('/admin/tokens: oldest first, every token once (the admin\'s own among them)', async () => {
    const { items } = await follow<{ name: string }>(admin, api.url, '/admin/tokens?per_page=9', 'tokens');
    expect(items.map((t) => t.name).filter((n) => n.startsWith('t'))).toEqual(names('t'));
    expect(items.length).toBe(N + 1);
    expect(new Set(items.map((t) => JSON.stringify(t))).size).toBe(items.length);
  });

  it('/repos/{repo}/commits: next pages walk the whole history once, newest first, and give no prev or last', async () => {
    const { items, pages } = await follow<{ id: string; parents: string[] }>(admin, api.url, '/repos/book/commits?per_page=11', 'commits');
    expect(items.length).toBe(N);
    expect(pages).toBe(Math.ceil(N / 11));
    for (let i = 0; i + 1 < items.length; i++) expect(items[i]!.parents).toEqual([items[i + 1]!.id]);
    const links = linkTargets((await admin.get('/repos/book/commits?per_page=11')).headers.link as string);
    expect(Object.keys(links).sort()).toEqual(['first', 'next']);
  });

  it('/repos lists only what the caller may read, a page at a time', async () => {
    const grants = Object.fromEntries(names('r').filter((_, i) => i % 3 === 0).map((n) => [n, 'read' as const]));
    const reader = api.as(await api.token('some', { repos: grants }));
    const { items } = await follow<{ name: string }>(reader, api.url, '/repos?per_page=10', 'repositories');
    expect(items.map((r) => r.name)).toEqual(Object.keys(grants).sort());
  });

  it('the default page is 30; per_page and cursor are checked', async () => {
    expect(((await admin.get('/repos/book/branches')).body as { branches: unknown[] }).branches.length).toBe(30);
    expectProblem(await admin.get('/repos?per_page=0'), 400);
    expectProblem(await admin.get('/repos?per_page=101'), 400);
    expectProblem(await admin.get('/repos/book/tags?per_page=ten'), 400);
    expectProblem(await admin.get('/repos/book/branches?cursor=not-a-cursor!'), 400);
    // A history cursor is not a list cursor, nor the reverse.
    const next = linkTargets((await admin.get('/repos/book/commits?per_page=1')).headers.link as string).next!;
    const historyCursor = new URL(next).searchParams.get('cursor')!;
    expectProblem(await admin.get(`/repos/book/branches?cursor=${historyCursor}`), 400);
    const listCursor = new URL(linkTargets((await admin.get('/repos/book/branches?per_page=1')).headers.link as string).next!).searchParams.get('cursor')!;
    expectProblem(await admin.get(`/repos/book/commits?cursor=${listCursor}`), 400);
  });

  it('Link URLs follow the scheme and host the client used (X-Forwarded-Proto from nginx)', async () => {
    const res = await admin.get('/repos/book/branches?per_page=5').set('X-Forwarded-Proto', 'https').set('Host', 'books.example.test');
    expect(linkTargets(res.headers.link as string).next).toMatch(/^https:\/\/books\.example\.test\/repos\/book\/branches\?per_page=5&cursor=/);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
