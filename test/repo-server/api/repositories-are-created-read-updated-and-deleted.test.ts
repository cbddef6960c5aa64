import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, expectProblem, json } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

interface RepoJson {
  name: string;
  description: string;
  defaultBranch: string;
  links: Record<string, string>;
}

describe.each(STORAGE_FACTORIES)('repositories on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('PUT creates a repository: 201, Location, the new representation', async () => {
    const res = await api.client.put('/repos/books').set('Content-Type', 'application/json').send({ description: 'Books', defaultBranch: 'trunk' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/repos/books');
    const body = json<RepoJson>(res);
    expect(body).toMatchObject({ name: 'books', description: 'Books', defaultBranch: 'trunk' });
    expect(body.links.git).toBe('/books.git');
  });

  it('PUT on an existing repository updates it: 204, and GET shows the change', async () => {
    const res = await api.client.put('/repos/books').set('Content-Type', 'application/json').send({ description: 'Library' });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const read = await api.client.get('/repos/books');
    expect(json<RepoJson>(read)).toMatchObject({ description: 'Library', defaultBranch: 'trunk' });
  });

  it('PUT with If-None-Match: * creates only: 412 when it exists, nothing changed', async () => {
    const res = await api.client.put('/repos/books').set('If-None-Match', '*').set('Content-Type', 'application/json').send({ description: 'overwritten?' });
    expectProblem(res, 412);
    expect(json<RepoJson>(await api.client.get('/repos/books')).description).toBe('Library');
    const fresh = await api.client.put('/repos/fresh').set('If-None-Match', '*').set('Content-Type', 'application/json').send({});
    expect(fresh.status).toBe(201);
    expect(json<RepoJson>(fresh).defaultBranch).toBe('main');
  });

  it('GET reads a repository with a validator, and answers 304 to a matching If-None-Match', async () => {
    const res = await api.client.get('/repos/books');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['last-modified']).toBeDefined();
    const again = await api.client.get('/repos/books').set('If-None-Match', res.headers.etag as string);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('GET /repos lists every repository sorted by name, with a validator', async () => {
    await createRepo(api.client, 'atlas');
    const res = await api.client.get('/repos');
    expect(res.status).toBe(200);
    const names = json<{ repositories: RepoJson[] }>(res).repositories.map((r) => r.name);
    expect(names).toEqual(['atlas', 'books', 'fresh']);
    const again = await api.client.get('/repos').set('If-None-Match', res.headers.etag as string);
    expect(again.status).toBe(304);
  });

  it('a gzip representation has its own validator, and 304 works with it', async () => {
    const res = await api.client.get('/repos/books').set('Accept-Encoding', 'gzip');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    const identity = await api.client.get('/repos/books');
    expect(res.headers.etag).not.toBe(identity.headers.etag);
    const again = await api.client.get('/repos/books').set('Accept-Encoding', 'gzip').set('If-None-Match', res.headers.etag as string);
    expect(again.status).toBe(304);
  });

  it('GET of an unknown repository is 404 problem+json', async () => {
    expectProblem(await api.client.get('/repos/nothing-here'), 404);
  });

  it.each([
    ['a name ending in .git', 'books.git'],
    ['a space', 'two%20words'],
    ['a character outside the set', 'semi%3Bcolon'],
    ['a name over 100 characters', 'x'.repeat(101)],
    ['"."', '%2E'],
  ])('invalid names are 400 problem+json: %s', async (_label, name) => {
    expectProblem(await api.client.put(`/repos/${name}`).set('Content-Type', 'application/json').send({}), 400);
    expectProblem(await api.client.get(`/repos/${name}`), 400);
    expect(json<{ repositories: RepoJson[] }>(await api.client.get('/repos')).repositories.map((r) => r.name)).toEqual(['atlas', 'books', 'fresh']);
  });

  it('PUT with a body of the wrong shape is 400, with the wrong Content-Type 415, malformed JSON 400', async () => {
    expectProblem(await api.client.put('/repos/shape').set('Content-Type', 'application/json').send({ description: 42 }), 400);
    expectProblem(await api.client.put('/repos/shape').set('Content-Type', 'application/json').send({ unknown: true }), 400);
    expectProblem(await api.client.put('/repos/shape').set('Content-Type', 'application/json').send({ defaultBranch: 'bad..name' }), 400);
    expectProblem(await api.client.put('/repos/shape').set('Content-Type', 'text/plain').send('{}'), 415);
    expectProblem(await api.client.put('/repos/shape').set('Content-Type', 'application/json').send('{"description": '), 400);
    expectProblem(await api.client.get('/repos/shape'), 404);
  });

  it('DELETE answers 204; afterwards the repository is 410 Gone and no longer listed', async () => {
    await createRepo(api.client, 'doomed');
    const res = await api.client.delete('/repos/doomed');
    expect(res.status).toBe(204);
    expectProblem(await api.client.get('/repos/doomed'), 410);
    expectProblem(await api.client.get('/repos/doomed/branches'), 410);
    expectProblem(await api.client.delete('/repos/doomed'), 410);
    const names = json<{ repositories: RepoJson[] }>(await api.client.get('/repos')).repositories.map((r) => r.name);
    expect(names).not.toContain('doomed');
  });

  it('a deleted name can be created again (201)', async () => {
    const res = await api.client.put('/repos/doomed').set('Content-Type', 'application/json').send({});
    expect(res.status).toBe(201);
    expect((await api.client.get('/repos/doomed')).status).toBe(200);
  });

  it('DELETE of an unknown repository is 404', async () => {
    expectProblem(await api.client.delete('/repos/never-was'), 404);
  });

  it('a method the resource does not allow is 405 with Allow', async () => {
    const res = await api.client.post('/repos/books').set('Content-Type', 'application/json').send({});
    expectProblem(res, 405);
    expect(String(res.headers.allow).split(/,\s*/).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT']);
    const list = await api.client.delete('/repos');
    expectProblem(list, 405);
    expect(list.headers.allow).toMatch(/GET/);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
