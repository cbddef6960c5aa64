import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchHead, createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { digestChanges, storageDigest } from './helpers/storage-digest.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

interface MergeJson {
  outcome: 'merged' | 'fast-forward';
  previous: string;
  commit: { id: string; parents: string[]; message: string };
}

interface ConflictJson {
  status: number;
  type: string;
  cause: string;
  conflicts: { path: string; kind: string }[];
}

describe.each(STORAGE_FACTORIES)('merges on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;

  const branch = async (repo: string, name: string, from: string) => {
    const res = await api.client.put(`/repos/${repo}/branches/${name}`).set('Content-Type', 'application/json').send({ from });
    expect(res.status, res.text).toBe(201);
  };
  const merge = (repo: string, body: Record<string, unknown>) => api.client.post(`/repos/${repo}/merges`).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'm');
    await writeFile(api.client, 'm', 'shared.md', 'line 1\nline 2\nline 3\n');
    await writeFile(api.client, 'm', 'image.bin', Buffer.from([0, 1, 2, 3, 0, 0, 0, 1]));
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('head ahead of base: a fast-forward, 201 with Location; the base branch now points at head', async () => {
    await branch('m', 'ff', 'main');
    const head = (await writeFile(api.client, 'm', 'ff.md', 'ff', { branch: 'ff' })).commit;
    const previous = await branchHead(api.client, 'm', 'main');
    const res = await merge('m', { base: 'main', head: 'ff' });
    expect(res.status, res.text).toBe(201);
    const body = json<MergeJson>(res);
    expect(body).toMatchObject({ outcome: 'fast-forward', previous, commit: { id: head } });
    expect(res.headers.location).toBe(`/repos/m/commits/${head}`);
    expect(await branchHead(api.client, 'm', 'main')).toBe(head);
  });

  it('head already contained in base: 204, nothing moves', async () => {
    const before = await branchHead(api.client, 'm', 'main');
    const res = await merge('m', { base: 'main', head: 'ff' });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await branchHead(api.client, 'm', 'main')).toBe(before);
  });

  it('diverged without overlap: a merge commit with both parents (201), both changes present', async () => {
    await branch('m', 'side', 'main');
    const sideHead = (await writeFile(api.client, 'm', 'side.md', 'side', { branch: 'side' })).commit;
    const mainHead = (await writeFile(api.client, 'm', 'main-only.md', 'main')).commit;
    const res = await merge('m', { base: 'main', head: 'side', message: 'Merge side' });
    expect(res.status, res.text).toBe(201);
    const body = json<MergeJson>(res);
    expect(body.outcome).toBe('merged');
    expect(body.commit.parents).toEqual([mainHead, sideHead]);
    expect(body.commit.message.trim()).toBe('Merge side');
    expect(await branchHead(api.client, 'm', 'main')).toBe(body.commit.id);
    expect((await api.client.get('/repos/m/contents/side.md')).text).toBe('side');
    expect((await api.client.get('/repos/m/contents/main-only.md')).text).toBe('main');
  });

  it('non-overlapping edits of one text file merge line by line', async () => {
    await branch('m', 'lines', 'main');
    await writeFile(api.client, 'm', 'shared.md', 'line ONE\nline 2\nline 3\n', { branch: 'lines' });
    await writeFile(api.client, 'm', 'shared.md', 'line 1\nline 2\nline THREE\n');
    const res = await merge('m', { base: 'main', head: 'lines' });
    expect(res.status, res.text).toBe(201);
    expect((await api.client.get('/repos/m/contents/shared.md')).text).toBe('line ONE\nline 2\nline THREE\n');
  });

  it('conflicts: 409 listing every conflicting path (text and binary); no ref moved, nothing written', async () => {
    await branch('m', 'clash', 'main');
    await api.client.post('/repos/m/commits').set('Content-Type', 'application/json').send({
      branch: 'clash',
      message: 'theirs',
      changes: [
        { path: 'shared.md', content: 'line ONE (theirs)\nline 2\nline THREE\n' },
        { path: 'image.bin', content: Buffer.from([9, 9, 9, 0, 0]).toString('base64'), encoding: 'base64' },
      ],
    });
    await api.client.post('/repos/m/commits').set('Content-Type', 'application/json').send({
      branch: 'main',
      message: 'ours',
      changes: [
        { path: 'shared.md', content: 'line ONE (ours)\nline 2\nline THREE\n' },
        { path: 'image.bin', content: Buffer.from([7, 7, 0, 0]).toString('base64'), encoding: 'base64' },
      ],
    });
    const mainBefore = await branchHead(api.client, 'm', 'main');
    const clashBefore = await branchHead(api.client, 'm', 'clash');
    const before = await storageDigest(api.storage);
    const res = await merge('m', { base: 'main', head: 'clash' });
    expectProblem(res, 409);
    const problem = json<ConflictJson>(res);
    expect(problem.cause).toBe('content');
    expect(problem.conflicts.map((c) => c.path).sort()).toEqual(['image.bin', 'shared.md']);
    expect(problem.conflicts.find((c) => c.path === 'image.bin')?.kind).toBe('binary');
    expect(await branchHead(api.client, 'm', 'main')).toBe(mainBefore);
    expect(await branchHead(api.client, 'm', 'clash')).toBe(clashBefore);
    expect(digestChanges(before, await storageDigest(api.storage))).toEqual([]);
  });

  it('an unknown base or head, or repository, is 404', async () => {
    expectProblem(await merge('m', { base: 'nope', head: 'side' }), 404);
    expectProblem(await merge('m', { base: 'main', head: 'nope' }), 404);
    expectProblem(await api.client.post('/repos/nope/merges').set('Content-Type', 'application/json').send({ base: 'main', head: 'side' }), 404);
  });

  it('a base that moved since the caller looked (expected) is 412, nothing moves', async () => {
    await branch('m', 'late', 'main');
    await writeFile(api.client, 'm', 'late.md', 'late', { branch: 'late' });
    const before = await branchHead(api.client, 'm', 'main');
    expectProblem(await merge('m', { base: 'main', head: 'late', expected: 'a'.repeat(40) }), 412);
    expect(await branchHead(api.client, 'm', 'main')).toBe(before);
  });

  it('a bad body is 400; a body that is not JSON 415; GET is 405', async () => {
    expectProblem(await merge('m', { base: 'main' }), 400);
    expectProblem(await merge('m', { base: 'main', head: 'late', squash: true }), 400);
    expectProblem(await api.client.post('/repos/m/merges').set('Content-Type', 'application/json').send('{"base":'), 400);
    const before = await branchHead(api.client, 'm', 'main');
    expectProblem(await api.client.post('/repos/m/merges').set('Content-Type', 'text/plain').send(JSON.stringify({ base: 'main', head: 'late' })), 415);
    expect(await branchHead(api.client, 'm', 'main')).toBe(before);
    const get = await api.client.get('/repos/m/merges');
    expectProblem(get, 405);
    expect(get.headers.allow).toMatch(/POST/);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
