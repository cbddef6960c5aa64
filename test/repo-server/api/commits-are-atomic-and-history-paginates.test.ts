import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTargets } from './helpers/pages.js';
import { branchHead, createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

interface CommitJson {
  id: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; timestamp: number };
  message: string;
  links: { self: string };
}

interface PostedCommit extends CommitJson {
  branch: string;
  files: { path: string; blob: string | null }[];
}

describe.each(STORAGE_FACTORIES)('commits on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let base: string;

  const post = (body: unknown) => api.client.post('/repos/k/commits').set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'k');
    await writeFile(api.client, 'k', 'old.md', 'to be deleted');
    base = (await writeFile(api.client, 'k', 'keep.md', 'kept')).commit;
    await createRepo(api.client, 'typed');
    await writeFile(api.client, 'typed', 'a.md', 'a');
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('POST makes one atomic commit of several changes (utf8, base64, delete): 201 + Location', async () => {
    const res = await post({
      branch: 'main',
      message: 'Several at once',
      parent: base,
      author: { name: 'Ada', email: 'ada@example.test' },
      changes: [
        { path: 'text/a.md', content: 'héllo' },
        { path: 'bin/b.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
        { path: 'old.md', delete: true },
      ],
    });
    expect(res.status, res.text).toBe(201);
    const commit = json<PostedCommit>(res);
    expect(res.headers.location).toBe(`/repos/k/commits/${commit.id}`);
    expect(commit.parents).toEqual([base]);
    expect(commit.author).toMatchObject({ name: 'Ada', email: 'ada@example.test' });
    expect(commit.branch).toBe('main');
    expect(commit.files.map((f) => f.path).sort()).toEqual(['bin/b.bin', 'old.md', 'text/a.md']);
    expect(await branchHead(api.client, 'k', 'main')).toBe(commit.id);
    expect((await api.client.get('/repos/k/contents/text/a.md')).text).toBe('héllo');
    const bin = await api.client.get('/repos/k/contents/bin/b.bin').buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect([...(bin.body as Buffer)]).toEqual([0, 1, 2, 255]);
    expectProblem(await api.client.get('/repos/k/contents/old.md'), 404);
  });

  it('a parent that is no longer the head is 409 and nothing is written', async () => {
    const head = await branchHead(api.client, 'k', 'main');
    const res = await post({ branch: 'main', message: 'late', parent: base, changes: [{ path: 'late.md', content: 'x' }] });
    expectProblem(res, 409);
    expect(await branchHead(api.client, 'k', 'main')).toBe(head);
    expectProblem(await api.client.get('/repos/k/contents/late.md'), 404);
  });

  it('one bad change fails the whole commit: nothing is written', async () => {
    const head = await branchHead(api.client, 'k', 'main');
    const res = await post({ branch: 'main', message: 'half', changes: [{ path: 'fine.md', content: 'x' }, { path: 'missing.md', delete: true }] });
    expectProblem(res, 404);
    expect(await branchHead(api.client, 'k', 'main')).toBe(head);
    expectProblem(await api.client.get('/repos/k/contents/fine.md'), 404);
  });

  it.each([
    ['malformed JSON', '{"branch": "main",'],
    ['changes is not an array', { branch: 'main', message: 'm', changes: 'all of them' }],
    ['content is a number', { branch: 'main', message: 'm', changes: [{ path: 'a', content: 42 }] }],
    ['no changes', { branch: 'main', message: 'm', changes: [] }],
    ['neither content nor delete', { branch: 'main', message: 'm', changes: [{ path: 'a' }] }],
    ['invalid base64', { branch: 'main', message: 'm', changes: [{ path: 'a', content: '***', encoding: 'base64' }] }],
    ['a traversal path', { branch: 'main', message: 'm', changes: [{ path: '../escape', content: 'x' }] }],
    ['a .git path', { branch: 'main', message: 'm', changes: [{ path: '.git/config', content: 'x' }] }],
    ['an unknown field', { branch: 'main', message: 'm', changes: [{ path: 'a', content: 'x' }], sign: true }],
    ['a parent that is not a commit id', { branch: 'main', message: 'm', parent: 'HEAD~1', changes: [{ path: 'a', content: 'x' }] }],
    ['an invalid branch name', { branch: 'a..b', message: 'm', changes: [{ path: 'a', content: 'x' }] }],
    ['the same path twice', { branch: 'main', message: 'm', changes: [{ path: 'a', content: 'x' }, { path: 'a', content: 'y' }] }],
  ])('a bad request is 400 and writes nothing: %s', async (_label, body) => {
    const head = await branchHead(api.client, 'k', 'main');
    const res = await api.client.post('/repos/k/commits').set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
    expectProblem(res, 400);
    expect(await branchHead(api.client, 'k', 'main')).toBe(head);
  });

  it.each(['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'])('a body declared as %s is 415, even when it parses as JSON, and writes nothing', async (type) => {
    // A repository of its own, so that a wrongly accepted commit cannot disturb the history tests.
    const head = await branchHead(api.client, 'typed', 'main');
    const body = JSON.stringify({ branch: 'main', message: 'm', changes: [{ path: 'typed.md', content: 'x' }] });
    expectProblem(await api.client.post('/repos/typed/commits').set('Content-Type', type).send(body), 415);
    expect(await branchHead(api.client, 'typed', 'main')).toBe(head);
  });

  it('an unknown repository is 404; an unknown branch of a non-empty repository 404', async () => {
    expectProblem(await api.client.post('/repos/nope/commits').set('Content-Type', 'application/json').send({ branch: 'main', message: 'm', changes: [{ path: 'a', content: 'x' }] }), 404);
    expectProblem(await post({ branch: 'nowhere', message: 'm', changes: [{ path: 'a', content: 'x' }] }), 404);
  });

  it('history is newest first, paged by per_page, continued through Link rel="next" until the root', async () => {
    for (let i = 0; i < 5; i++) await writeFile(api.client, 'k', 'counter.txt', String(i));
    const all = json<{ commits: CommitJson[] }>(await api.client.get('/repos/k/commits?per_page=100')).commits;
    expect(all.length).toBe(8);
    expect(all[0]?.id).toBe(await branchHead(api.client, 'k', 'main'));
    for (let i = 0; i + 1 < all.length; i++) expect(all[i]?.parents).toContain(all[i + 1]?.id);
    const seen: string[] = [];
    let next: string | undefined = '/repos/k/commits?per_page=3';
    let pages = 0;
    while (next !== undefined) {
      const page = await api.client.get(next);
      expect(page.status).toBe(200);
      seen.push(...json<{ commits: CommitJson[] }>(page).commits.map((c) => c.id));
      const links = linkTargets(page.headers.link as string | undefined);
      expect(links.first).toBe(`${api.url}/repos/k/commits?per_page=3`);
      next = links.next === undefined ? undefined : links.next.slice(api.url.length);
      if (next !== undefined) expect(next).toMatch(/^\/repos\/k\/commits\?per_page=3&cursor=[A-Za-z0-9_-]+$/);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((c) => c.id));
  });

  it('history filtered by path lists only the commits that changed it; ?ref= starts elsewhere', async () => {
    const changed = json<{ commits: CommitJson[] }>(await api.client.get('/repos/k/commits?path=counter.txt')).commits;
    expect(changed.length).toBe(5);
    const fromBase = json<{ commits: CommitJson[] }>(await api.client.get(`/repos/k/commits?ref=${base}`)).commits;
    expect(fromBase.map((c) => c.id)).toEqual([base, expect.any(String)]);
  });

  it('history answers 304 to its own ETag while the branch is unchanged', async () => {
    const res = await api.client.get('/repos/k/commits?per_page=2');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect((await api.client.get('/repos/k/commits?per_page=2').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
    await writeFile(api.client, 'k', 'counter.txt', 'moved on');
    expect((await api.client.get('/repos/k/commits?per_page=2').set('If-None-Match', res.headers.etag as string)).status).toBe(200);
  });

  it('bad history parameters are 400; an unknown ref or repository 404', async () => {
    expectProblem(await api.client.get('/repos/k/commits?per_page=0'), 400);
    expectProblem(await api.client.get('/repos/k/commits?per_page=abc'), 400);
    expectProblem(await api.client.get('/repos/k/commits?per_page=101'), 400);
    expectProblem(await api.client.get('/repos/k/commits?cursor=nonsense'), 400);
    expectProblem(await api.client.get('/repos/k/commits?path=../x'), 400);
    expectProblem(await api.client.get('/repos/k/commits?ref=no-such-branch'), 404);
    expectProblem(await api.client.get('/repos/nope/commits'), 404);
  });

  it('GET one commit: immutable for a year, ETag = id, Last-Modified, 304', async () => {
    const res = await api.client.get(`/repos/k/commits/${base}`);
    expect(res.status).toBe(200);
    expect(json<CommitJson>(res).id).toBe(base);
    expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(res.headers.etag).toBe(`"${base}"`);
    expect(res.headers['last-modified']).toBeDefined();
    expect((await api.client.get(`/repos/k/commits/${base}`).set('If-None-Match', `"${base}"`)).status).toBe(304);
    const since = await api.client.get(`/repos/k/commits/${base}`).set('If-Modified-Since', res.headers['last-modified'] as string);
    expect(since.status).toBe(304);
  });

  it('an abbreviated id finds the commit but is not cached forever', async () => {
    const res = await api.client.get(`/repos/k/commits/${base.slice(0, 10)}`);
    expect(res.status).toBe(200);
    expect(json<CommitJson>(res).id).toBe(base);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('an unknown commit is 404; something that is not a commit id is 400', async () => {
    expectProblem(await api.client.get(`/repos/k/commits/${'a'.repeat(40)}`), 404);
    expectProblem(await api.client.get('/repos/k/commits/not-an-id'), 400);
    const tree = json<CommitJson>(await api.client.get(`/repos/k/commits/${base}`)).tree;
    expectProblem(await api.client.get(`/repos/k/commits/${tree}`), 404);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
