import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

interface Comparison {
  base: string;
  head: string;
  mergeBase: string | null;
  aheadBy: number;
  behindBy: number;
  status: string;
  files: { path: string; status: string; oldBlob: string | null; newBlob: string | null }[];
}

interface TagJson {
  name: string;
  oid: string;
  annotated: boolean;
  commit: string | null;
  message?: string;
}

describe.each(STORAGE_FACTORIES)('compare and tags on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let fork: string;
  let mainHead: string;
  let draftHead: string;
  let blobs: Record<string, string>;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'cmp');
    const keep = await writeFile(api.client, 'cmp', 'keep.md', 'same\n');
    const edit = await writeFile(api.client, 'cmp', 'edit.md', 'line 1\nline 2\n');
    const gone = await writeFile(api.client, 'cmp', 'gone.md', 'bye\n');
    fork = gone.commit;
    const branch = await api.client.put('/repos/cmp/branches/draft').set('Content-Type', 'application/json').send({ from: 'main' });
    expect(branch.status).toBe(201);
    const edited = await writeFile(api.client, 'cmp', 'edit.md', 'line 1\nline two\n', { branch: 'draft' });
    const added = await writeFile(api.client, 'cmp', 'new.md', 'fresh\n', { branch: 'draft' });
    const del = await api.client.delete('/repos/cmp/contents/gone.md?branch=draft');
    expect(del.status).toBe(204);
    draftHead = json<{ commit: string }>(await api.client.get('/repos/cmp/branches/draft')).commit;
    mainHead = (await writeFile(api.client, 'cmp', 'main-only.md', 'm\n')).commit;
    blobs = { keep: keep.blob, editOld: edit.blob, editNew: edited.blob, added: added.blob, gone: gone.blob };
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('compare base...head as JSON: ahead/behind, merge base, changed files with old and new blob ids', async () => {
    const res = await api.client.get('/repos/cmp/compare/main...draft');
    expect(res.status).toBe(200);
    const c = json<Comparison>(res);
    expect(c).toMatchObject({ base: mainHead, head: draftHead, mergeBase: fork, aheadBy: 3, behindBy: 1, status: 'diverged' });
    const files = Object.fromEntries(c.files.map((f) => [f.path, f]));
    expect(Object.keys(files).sort()).toEqual(['edit.md', 'gone.md', 'new.md']);
    expect(files['edit.md']).toMatchObject({ status: 'modified', oldBlob: blobs.editOld, newBlob: blobs.editNew });
    expect(files['new.md']).toMatchObject({ status: 'added', oldBlob: null, newBlob: blobs.added });
    expect(files['gone.md']).toMatchObject({ status: 'deleted', oldBlob: blobs.gone, newBlob: null });
    expect(res.headers['cache-control']).toBe('no-cache');
    expect((await api.client.get('/repos/cmp/compare/main...draft').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
  });

  it('Accept: text/x-diff gives the unified diff of the same comparison, under another ETag', async () => {
    const json = await api.client.get('/repos/cmp/compare/main...draft');
    const res = await api.client.get('/repos/cmp/compare/main...draft').set('Accept', 'text/x-diff');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/x-diff/);
    expect(res.headers.vary).toMatch(/Accept/);
    expect(res.headers.etag).not.toBe(json.headers.etag);
    expect(res.text).toContain('diff --git a/edit.md b/edit.md');
    expect(res.text).toContain('-line 2\n+line two\n');
    expect(res.text).toContain('+++ b/new.md');
    expect(res.text).toContain('--- a/gone.md');
    expect(res.text).not.toContain('main-only.md');
  });

  it('comparing two commit ids is immutable; identical sides have no files', async () => {
    const res = await api.client.get(`/repos/cmp/compare/${fork}...${draftHead}`);
    expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(json<Comparison>(res)).toMatchObject({ aheadBy: 3, behindBy: 0, status: 'ahead' });
    const same = json<Comparison>(await api.client.get('/repos/cmp/compare/main...main'));
    expect(same).toMatchObject({ status: 'identical', aheadBy: 0, behindBy: 0, files: [] });
  });

  it('a spec without three dots is 400; an unknown side or repository 404; an unavailable type 406', async () => {
    expectProblem(await api.client.get('/repos/cmp/compare/main..draft'), 400);
    expectProblem(await api.client.get('/repos/cmp/compare/...draft'), 400);
    expectProblem(await api.client.get('/repos/cmp/compare/main...'), 400);
    expectProblem(await api.client.get('/repos/cmp/compare/main...nope'), 404);
    expectProblem(await api.client.get('/repos/nope/compare/main...draft'), 404);
    expectProblem(await api.client.get('/repos/cmp/compare/main...draft').set('Accept', 'image/png'), 406);
  });

  it('PUT tags/{tag} publishes an annotated tag: 201, Location, ETag', async () => {
    const res = await api.client.put('/repos/cmp/tags/v1.0').set('Content-Type', 'application/json').send({ ref: 'main', message: 'First edition' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/repos/cmp/tags/v1.0');
    const tag = json<TagJson>(res);
    expect(tag).toMatchObject({ name: 'v1.0', annotated: true, commit: mainHead });
    expect(tag.message?.trim()).toBe('First edition');
    expect(res.headers.etag).toBe(`"${tag.oid}"`);
  });

  it('the same tag again for the same commit is 200; for another commit 409, and the tag stays', async () => {
    const again = await api.client.put('/repos/cmp/tags/v1.0').set('Content-Type', 'application/json').send({ ref: mainHead, message: 'First edition' });
    expect(again.status).toBe(200);
    const moved = await api.client.put('/repos/cmp/tags/v1.0').set('Content-Type', 'application/json').send({ ref: 'draft', message: 'Moved?' });
    expectProblem(moved, 409);
    expect(json<TagJson>(await api.client.get('/repos/cmp/tags/v1.0')).commit).toBe(mainHead);
  });

  it('GET a tag: immutable, ETag = tag object id, 304; the list has every tag; names may contain "/"', async () => {
    const nested = await api.client.put('/repos/cmp/tags/drafts/d1').set('Content-Type', 'application/json').send({ ref: 'draft', message: 'Draft one' });
    expect(nested.status).toBe(201);
    const res = await api.client.get('/repos/cmp/tags/v1.0');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect((await api.client.get('/repos/cmp/tags/v1.0').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
    const list = await api.client.get('/repos/cmp/tags');
    expect(list.status).toBe(200);
    expect(json<{ tags: TagJson[] }>(list).tags.map((t) => [t.name, t.commit]).sort()).toEqual([
      ['drafts/d1', draftHead],
      ['v1.0', mainHead],
    ]);
    expect((await api.client.get('/repos/cmp/tags').set('If-None-Match', list.headers.etag as string)).status).toBe(304);
  });

  it('a tag name outside ASCII is published (201) with a percent-encoded Location', async () => {
    const res = await api.client.put('/repos/cmp/tags/ausgabe-%C3%A9t%C3%A9').set('Content-Type', 'application/json').send({ ref: 'main', message: 'Été' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.location).toBe('/repos/cmp/tags/ausgabe-%C3%A9t%C3%A9');
    expect(json<TagJson>(await api.client.get('/repos/cmp/tags/ausgabe-%C3%A9t%C3%A9')).name).toBe('ausgabe-été');
  });

  it('tags: unknown tag, ref or repository 404; invalid name or body 400; wrong type 415', async () => {
    expectProblem(await api.client.get('/repos/cmp/tags/v9'), 404);
    expectProblem(await api.client.get('/repos/nope/tags'), 404);
    expectProblem(await api.client.put('/repos/cmp/tags/v2').set('Content-Type', 'application/json').send({ ref: 'no-such', message: 'm' }), 404);
    expectProblem(await api.client.put('/repos/cmp/tags/bad..tag').set('Content-Type', 'application/json').send({ ref: 'main', message: 'm' }), 400);
    expectProblem(await api.client.put('/repos/cmp/tags/v2').set('Content-Type', 'application/json').send({ ref: 'main' }), 400);
    expectProblem(await api.client.put('/repos/cmp/tags/v2').set('Content-Type', 'text/plain').send('main'), 415);
    expectProblem(await api.client.get('/repos/cmp/tags/v2'), 404);
  });

  it('a tag is created only when absent with If-None-Match: *', async () => {
    expectProblem(await api.client.put('/repos/cmp/tags/v1.0').set('If-None-Match', '*').set('Content-Type', 'application/json').send({ ref: mainHead, message: 'First edition' }), 412);
    const res = await api.client.put('/repos/cmp/tags/v3').set('If-None-Match', '*').set('Content-Type', 'application/json').send({ ref: mainHead, message: 'Third' });
    expect(res.status).toBe(201);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
