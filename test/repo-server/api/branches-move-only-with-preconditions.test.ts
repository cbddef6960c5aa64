import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchHead, createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

interface BranchJson {
  name: string;
  commit: string;
  links: Record<string, string>;
}

describe.each(STORAGE_FACTORIES)('branches on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let first: string;
  let second: string;

  const putBranch = (name: string, body: Record<string, unknown>, ifMatch?: string) => {
    const req = api.client.put(`/repos/r/branches/${name}`).set('Content-Type', 'application/json');
    if (ifMatch !== undefined) req.set('If-Match', ifMatch);
    return req.send(body);
  };

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'r');
    first = (await writeFile(api.client, 'r', 'a.md', 'one')).commit;
    second = (await writeFile(api.client, 'r', 'a.md', 'two')).commit;
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('GET lists branches with their commits; 304 when unchanged', async () => {
    const res = await api.client.get('/repos/r/branches');
    expect(res.status).toBe(200);
    expect(json<{ branches: BranchJson[] }>(res).branches.map((b) => [b.name, b.commit])).toEqual([['main', second]]);
    expect((await api.client.get('/repos/r/branches').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
  });

  it('GET of one branch: {name, commit}, ETag is the commit id, 304 on a match', async () => {
    const res = await api.client.get('/repos/r/branches/main');
    expect(res.status).toBe(200);
    expect(json<BranchJson>(res)).toMatchObject({ name: 'main', commit: second });
    expect(res.headers.etag).toBe(`"${second}"`);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect((await api.client.get('/repos/r/branches/main').set('If-None-Match', `"${second}"`)).status).toBe(304);
  });

  it('unknown branch and unknown repository are 404', async () => {
    expectProblem(await api.client.get('/repos/r/branches/nope'), 404);
    expectProblem(await api.client.get('/repos/none/branches/main'), 404);
    expectProblem(await api.client.get('/repos/none/branches'), 404);
  });

  it('PUT {from} creates a branch (201 + Location) from a branch, a commit id or a tag; names may contain "/"', async () => {
    const fromBranch = await putBranch('drafts/ch1', { from: 'main' });
    expect(fromBranch.status).toBe(201);
    expect(fromBranch.headers.location).toBe('/repos/r/branches/drafts/ch1');
    expect(fromBranch.headers.etag).toBe(`"${second}"`);
    expect(json<BranchJson>(fromBranch)).toMatchObject({ name: 'drafts/ch1', commit: second });
    const fromCommit = await putBranch('old', { from: first });
    expect(fromCommit.status).toBe(201);
    expect(json<BranchJson>(fromCommit).commit).toBe(first);
    const tag = await api.client.put('/repos/r/tags/v1').set('Content-Type', 'application/json').send({ ref: first, message: 'v1' });
    expect(tag.status).toBe(201);
    const fromTag = await putBranch('from-tag', { from: 'v1' });
    expect(fromTag.status).toBe(201);
    expect(json<BranchJson>(fromTag).commit).toBe(first);
    expect(await branchHead(api.client, 'r', 'drafts/ch1')).toBe(second);
  });

  it('a branch name outside ASCII is created (201) with a percent-encoded Location, and read back', async () => {
    const res = await putBranch('entw%C3%BCrfe/kapitel-%C3%9F', { from: 'main' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.location).toBe('/repos/r/branches/entw%C3%BCrfe/kapitel-%C3%9F');
    expect(json<BranchJson>(res).name).toBe('entwürfe/kapitel-ß');
    const read = await api.client.get('/repos/r/branches/entw%C3%BCrfe/kapitel-%C3%9F');
    expect(read.status).toBe(200);
    expect(json<BranchJson>(read)).toMatchObject({ name: 'entwürfe/kapitel-ß', commit: second });
    // Beyond Latin-1 too: a raw header value could not even carry these characters.
    const cjk = await putBranch('%E7%AB%A0', { from: 'main' });
    expect(cjk.status, cjk.text).toBe(201);
    expect(cjk.headers.location).toBe('/repos/r/branches/%E7%AB%A0');
  });

  it('creating from something unknown is 404, without {from} 400, with an invalid name 400', async () => {
    expectProblem(await putBranch('ghost', { from: 'no-such-branch' }), 404);
    expectProblem(await putBranch('ghost', {}), 400);
    expectProblem(await putBranch('bad..name', { from: 'main' }), 400);
    expectProblem(await putBranch('ends.lock', { from: 'main' }), 400);
    expectProblem(await putBranch('ghost', { from: 'main', colour: 'red' }), 400);
    expectProblem(await api.client.get('/repos/r/branches/ghost'), 404);
  });

  it('creating a branch in an unknown repository is 404', async () => {
    expectProblem(await api.client.put('/repos/none/branches/x').set('Content-Type', 'application/json').send({ from: 'main' }), 404);
  });

  it('moving a branch without If-Match is 428 and moves nothing', async () => {
    expectProblem(await putBranch('old', { commit: second }), 428);
    expect(await branchHead(api.client, 'r', 'old')).toBe(first);
  });

  it('moving with a stale If-Match is 412 and moves nothing', async () => {
    expectProblem(await putBranch('old', { commit: second }, `"${second}"`), 412);
    expect(await branchHead(api.client, 'r', 'old')).toBe(first);
  });

  it('moving with the current commit in If-Match is a fast-forward: 200 and the new ETag', async () => {
    const res = await putBranch('old', { commit: second }, `"${first}"`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(`"${second}"`);
    expect(json<BranchJson>(res).commit).toBe(second);
    expect(await branchHead(api.client, 'r', 'old')).toBe(second);
  });

  it('a move that is not a fast-forward is 409 unless {force: true}', async () => {
    const refused = await putBranch('old', { commit: first }, `"${second}"`);
    expectProblem(refused, 409);
    expect(json<{ type: string }>(refused).type).toMatch(/not-fast-forward/);
    expect(await branchHead(api.client, 'r', 'old')).toBe(second);
    const forced = await putBranch('old', { commit: first, force: true }, `"${second}"`);
    expect(forced.status).toBe(200);
    expect(await branchHead(api.client, 'r', 'old')).toBe(first);
  });

  it('moving to a commit that does not exist is 404; moving without {commit} is 400', async () => {
    expectProblem(await putBranch('old', { commit: 'f'.repeat(40) }, `"${first}"`), 404);
    expectProblem(await putBranch('old', { force: true }, `"${first}"`), 400);
    expect(await branchHead(api.client, 'r', 'old')).toBe(first);
  });

  it('a move body that is not JSON is 415; malformed JSON is 400', async () => {
    expectProblem(await api.client.put('/repos/r/branches/old').set('If-Match', `"${first}"`).set('Content-Type', 'text/plain').send('x'), 415);
    expectProblem(await api.client.put('/repos/r/branches/old').set('If-Match', `"${first}"`).set('Content-Type', 'application/json').send('{"commit":'), 400);
  });

  it('DELETE needs If-Match (428), refuses a stale one (412), then deletes (204)', async () => {
    expectProblem(await api.client.delete('/repos/r/branches/from-tag'), 428);
    expectProblem(await api.client.delete('/repos/r/branches/from-tag').set('If-Match', `"${second}"`), 412);
    expect((await api.client.get('/repos/r/branches/from-tag')).status).toBe(200);
    const res = await api.client.delete('/repos/r/branches/from-tag').set('If-Match', `"${first}"`);
    expect(res.status).toBe(204);
    expectProblem(await api.client.get('/repos/r/branches/from-tag'), 404);
  });

  it('DELETE of the default branch is 409; of an unknown branch 404', async () => {
    const res = await api.client.delete('/repos/r/branches/main').set('If-Match', `"${second}"`);
    expectProblem(res, 409);
    expect(await branchHead(api.client, 'r', 'main')).toBe(second);
    expectProblem(await api.client.delete('/repos/r/branches/nope').set('If-Match', '*'), 404);
  });

  it('an existing branch cannot be created again with If-None-Match: * (412)', async () => {
    expectProblem(await putBranch('main', { from: 'old' }, undefined).set('If-None-Match', '*'), 412);
    expect(await branchHead(api.client, 'r', 'main')).toBe(second);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
