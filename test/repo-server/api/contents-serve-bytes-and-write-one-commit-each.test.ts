import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, branchHead, createRepo, etagValue, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { CORE_STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

/** git's blob id: sha1("blob <size>\0" + bytes), to check ETags against the object itself. */
function blobId(bytes: Buffer | string): string {
  const data = Buffer.from(bytes);
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

interface FileMeta {
  path: string;
  type: string;
  id: string;
  size: number;
  commit: string;
  lastCommit: { id: string; message: string } | null;
}

interface FolderJson {
  path: string;
  type: 'folder';
  id: string;
  commit: string;
  entries: { name: string; path: string; type: string; id: string; size?: number }[];
}

interface CommitJson {
  id: string;
  tree: string;
  parents: string[];
  message: string;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x00, 0x80]);

describe.each(CORE_STORAGE_FACTORIES)('contents on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let firstCommit: string;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'c');
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('reading an empty repository is 404 (no branch yet)', async () => {
    expectProblem(await api.client.get('/repos/c/contents/a.md'), 404);
    expectProblem(await api.client.get('/repos/c/contents'), 404);
  });

  it('the first write of an empty repository creates the default branch with a root commit (201)', async () => {
    const res = await api.client.put('/repos/c/contents/chapters/one.md?message=First%20chapter').set('Content-Type', 'text/markdown').send('# One\n');
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe(`"${blobId('# One\n')}"`);
    const body = json<{ path: string; id: string; commit: string; links: { commit: string } }>(res);
    expect(body).toMatchObject({ path: 'chapters/one.md', id: blobId('# One\n') });
    expect(body.links.commit).toBe(`/repos/c/commits/${body.commit}`);
    firstCommit = body.commit;
    expect(await branchHead(api.client, 'c', 'main')).toBe(firstCommit);
    const commit = json<CommitJson>(await api.client.get(`/repos/c/commits/${firstCommit}`));
    expect(commit.parents).toEqual([]);
    expect(commit.message.trim()).toBe('First chapter');
  });

  it('GET of a file: its raw bytes, Content-Type from the name, ETag = blob id, Last-Modified, ranges', async () => {
    const res = await api.client.get('/repos/c/contents/chapters/one.md');
    expect(res.status).toBe(200);
    expect(res.text).toBe('# One\n');
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    expect(res.headers.etag).toBe(`"${blobId('# One\n')}"`);
    expect(res.headers['last-modified']).toBeDefined();
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.vary).toMatch(/Accept/);
  });

  it('binary files round-trip byte for byte with their media type; unknown extensions are octet-stream', async () => {
    expect((await writeFile(api.client, 'c', 'media/logo.png', PNG)).status).toBe(201);
    const png = await binary(api.client.get('/repos/c/contents/media/logo.png'));
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(png.body as Buffer, PNG)).toBe(0);
    await writeFile(api.client, 'c', 'media/blob.zzqx', PNG);
    const unknown = await binary(api.client.get('/repos/c/contents/media/blob.zzqx'));
    expect(unknown.headers['content-type']).toBe('application/octet-stream');
    expect(unknown.headers.etag).toBe(`"${blobId(PNG)}"`);
  });

  it('HEAD of a file: headers only', async () => {
    const res = await api.client.head('/repos/c/contents/chapters/one.md');
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(`"${blobId('# One\n')}"`);
    expect(res.text ?? '').toBe('');
  });

  it('Range: a satisfiable range is 206 with Content-Range; one past the end 416', async () => {
    const part = await api.client.get('/repos/c/contents/chapters/one.md').set('Range', 'bytes=2-4');
    expect(part.status).toBe(206);
    expect(part.text).toBe('One');
    expect(part.headers['content-range']).toBe('bytes 2-4/6');
    const suffix = await api.client.get('/repos/c/contents/chapters/one.md').set('Range', 'bytes=-2');
    expect(suffix.status).toBe(206);
    expect(suffix.text).toBe('e\n');
    const beyond = await api.client.get('/repos/c/contents/chapters/one.md').set('Range', 'bytes=100-200');
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */6');
  });

  it('If-None-Match with the blob id is 304; If-Range with a stale tag sends the whole file', async () => {
    const tag = `"${blobId('# One\n')}"`;
    const res = await api.client.get('/repos/c/contents/chapters/one.md').set('If-None-Match', tag);
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe(tag);
    const whole = await api.client.get('/repos/c/contents/chapters/one.md').set('Range', 'bytes=0-1').set('If-Range', `"${'0'.repeat(40)}"`);
    expect(whole.status).toBe(200);
    expect(whole.text).toBe('# One\n');
  });

  it('Accept: application/json gives the metadata (path, blob id, size, last commit) under its own ETag', async () => {
    const res = await api.client.get('/repos/c/contents/chapters/one.md').set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const meta = json<FileMeta>(res);
    // `commit` is the commit the read resolved to (the head); `lastCommit` the one that last changed the file.
    expect(meta).toMatchObject({ path: 'chapters/one.md', type: 'file', id: blobId('# One\n'), size: 6, commit: await branchHead(api.client, 'c', 'main') });
    expect(meta.lastCommit?.id).toBe(firstCommit);
    expect(res.headers.etag).not.toBe(`"${blobId('# One\n')}"`);
    expect((await api.client.get('/repos/c/contents/chapters/one.md').set('Accept', 'application/json').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
  });

  it('a JSON file is its own bytes for application/json; the metadata type still gives metadata', async () => {
    await writeFile(api.client, 'c', 'book.json', '{"title":"B"}');
    const raw = await api.client.get('/repos/c/contents/book.json').set('Accept', 'application/json');
    expect(raw.text).toBe('{"title":"B"}');
    expect(raw.headers.etag).toBe(`"${blobId('{"title":"B"}')}"`);
    const meta = await api.client.get('/repos/c/contents/book.json').set('Accept', 'application/vnd.content-repo.file+json');
    expect(meta.status).toBe(200);
    expect(JSON.parse(meta.text)).toMatchObject({ path: 'book.json', id: blobId('{"title":"B"}') });
  });

  it('an Accept nothing matches is 406', async () => {
    expectProblem(await api.client.get('/repos/c/contents/chapters/one.md').set('Accept', 'image/gif'), 406);
  });

  it('a folder is a JSON listing (name, type, id, size) with ETag = tree id; the root too', async () => {
    const res = await api.client.get('/repos/c/contents/chapters');
    expect(res.status).toBe(200);
    const folder = json<FolderJson>(res);
    expect(folder.type).toBe('folder');
    expect(res.headers.etag).toBe(`"${folder.id}"`);
    expect(folder.entries).toEqual([expect.objectContaining({ name: 'one.md', path: 'chapters/one.md', type: 'file', id: blobId('# One\n'), size: 6 })]);
    expect(res.headers['accept-ranges']).toBeUndefined();
    const root = await api.client.get('/repos/c/contents');
    const rootJson = json<FolderJson>(root);
    expect(rootJson.entries.map((e) => e.name).sort()).toEqual(['book.json', 'chapters', 'media']);
    const commit = json<CommitJson>(await api.client.get(`/repos/c/commits/${rootJson.commit}`));
    expect(rootJson.id).toBe(commit.tree);
    expect(root.headers.etag).toBe(`"${commit.tree}"`);
    expect((await api.client.get('/repos/c/contents/').set('If-None-Match', `"${commit.tree}"`)).status).toBe(304);
  });

  it('?ref= reads a branch, a tag or a commit; a commit id makes the answer immutable', async () => {
    const replaced = await writeFile(api.client, 'c', 'chapters/one.md', '# One, revised\n');
    expect(replaced.status).toBe(200);
    const tag = await api.client.put('/repos/c/tags/v1').set('Content-Type', 'application/json').send({ ref: firstCommit, message: 'first' });
    expect(tag.status).toBe(201);
    const byCommit = await api.client.get(`/repos/c/contents/chapters/one.md?ref=${firstCommit}`);
    expect(byCommit.text).toBe('# One\n');
    expect(byCommit.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    const byTag = await api.client.get('/repos/c/contents/chapters/one.md?ref=v1');
    expect(byTag.text).toBe('# One\n');
    expect(byTag.headers['cache-control']).toBe('no-cache');
    const byBranch = await api.client.get('/repos/c/contents/chapters/one.md?ref=main');
    expect(byBranch.text).toBe('# One, revised\n');
    expectProblem(await api.client.get('/repos/c/contents/chapters/one.md?ref=no-such-ref'), 404);
    expectProblem(await api.client.get(`/repos/c/contents/chapters/one.md?ref=${'e'.repeat(40)}`), 404);
  });

  it('PUT of a new file is 201, of an existing one 200; the ETag is the new blob id and the body names the commit', async () => {
    const created = await api.client.put('/repos/c/contents/notes.txt?message=add%20notes').set('Content-Type', 'text/plain').send('n1');
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe(`"${blobId('n1')}"`);
    const replaced = await api.client.put('/repos/c/contents/notes.txt').set('Content-Type', 'text/plain').send('n2');
    expect(replaced.status).toBe(200);
    expect(replaced.headers.etag).toBe(`"${blobId('n2')}"`);
    const commit = json<{ commit: string }>(replaced).commit;
    expect(await branchHead(api.client, 'c', 'main')).toBe(commit);
    const history = json<{ commits: CommitJson[] }>(await api.client.get('/repos/c/commits?per_page=2'));
    expect(history.commits[0]?.id).toBe(commit);
    expect(history.commits[1]?.message.trim()).toBe('add notes');
  });

  it('PUT with If-Match of the current blob id writes; a stale one is 412 and writes nothing', async () => {
    const current = etagValue(await api.client.get('/repos/c/contents/notes.txt'));
    const head = await branchHead(api.client, 'c', 'main');
    const stale = await api.client.put('/repos/c/contents/notes.txt').set('If-Match', `"${blobId('n1')}"`).send('lost update');
    expectProblem(stale, 412);
    expect(await branchHead(api.client, 'c', 'main')).toBe(head);
    expect((await api.client.get('/repos/c/contents/notes.txt')).text).toBe('n2');
    const ok = await api.client.put('/repos/c/contents/notes.txt').set('If-Match', `"${current}"`).send('n3');
    expect(ok.status).toBe(200);
    expect((await api.client.get('/repos/c/contents/notes.txt')).text).toBe('n3');
  });

  it('PUT with If-None-Match: * creates only: 412 when the file exists, 201 when it does not', async () => {
    const head = await branchHead(api.client, 'c', 'main');
    expectProblem(await api.client.put('/repos/c/contents/notes.txt').set('If-None-Match', '*').send('clobber'), 412);
    expect(await branchHead(api.client, 'c', 'main')).toBe(head);
    const res = await api.client.put('/repos/c/contents/brand-new.txt').set('If-None-Match', '*').send('new');
    expect(res.status).toBe(201);
  });

  it('If-Match on a file that does not exist is 412', async () => {
    expectProblem(await api.client.put('/repos/c/contents/absent.txt').set('If-Match', `"${blobId('x')}"`).send('x'), 412);
    expectProblem(await api.client.get('/repos/c/contents/absent.txt'), 404);
  });

  it('PUT ?branch= writes to that branch only; a missing branch of a non-empty repository is 404', async () => {
    const created = await api.client.put('/repos/c/branches/draft').set('Content-Type', 'application/json').send({ from: 'main' });
    expect(created.status).toBe(201);
    const mainHead = await branchHead(api.client, 'c', 'main');
    const w = await writeFile(api.client, 'c', 'draft-only.md', 'd', { branch: 'draft' });
    expect(w.status).toBe(201);
    expect(await branchHead(api.client, 'c', 'main')).toBe(mainHead);
    expect((await api.client.get('/repos/c/contents/draft-only.md?ref=draft')).text).toBe('d');
    expectProblem(await api.client.get('/repos/c/contents/draft-only.md'), 404);
    expectProblem(await api.client.put('/repos/c/contents/x.md?branch=nowhere').send('x'), 404);
  });

  it('writing to a folder, or below a file, is 409', async () => {
    expectProblem(await api.client.put('/repos/c/contents/chapters').send('x'), 409);
    expectProblem(await api.client.put('/repos/c/contents/notes.txt/inner.md').send('x'), 409);
    expectProblem(await api.client.delete('/repos/c/contents/chapters'), 409);
  });

  it('DELETE removes a file in one commit (204); afterwards 404, and a second DELETE is 404', async () => {
    const head = await branchHead(api.client, 'c', 'main');
    const res = await api.client.delete('/repos/c/contents/brand-new.txt?message=remove');
    expect(res.status).toBe(204);
    const after = await branchHead(api.client, 'c', 'main');
    expect(after).not.toBe(head);
    expect(json<CommitJson>(await api.client.get(`/repos/c/commits/${after}`)).parents).toEqual([head]);
    expectProblem(await api.client.get('/repos/c/contents/brand-new.txt'), 404);
    expectProblem(await api.client.delete('/repos/c/contents/brand-new.txt'), 404);
  });

  it('DELETE with a stale If-Match is 412 and removes nothing', async () => {
    expectProblem(await api.client.delete('/repos/c/contents/notes.txt').set('If-Match', `"${blobId('n1')}"`), 412);
    expect((await api.client.get('/repos/c/contents/notes.txt')).status).toBe(200);
  });

  it('unknown repository or path is 404', async () => {
    expectProblem(await api.client.get('/repos/nope/contents/a.md'), 404);
    expectProblem(await api.client.put('/repos/nope/contents/a.md').send('x'), 404);
    expectProblem(await api.client.get('/repos/c/contents/no/such/file.md'), 404);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
