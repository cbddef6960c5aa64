/**
 * A conflicted merge finished by a person through the API: GET /repos/{r}/merges/{base}...{head}
 * describes every conflict (base, ours, theirs and a text file's three-way regions) under an ETag
 * naming both commits; POST with If-Match commits the author's resolutions as a merge commit with
 * both parents. Without If-Match 428, after either side moved 412, a missing resolution 409, a
 * stray or malformed one 400: and none of those leaves anything behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchHead, createRepo, expectProblem, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { digestChanges, storageDigest } from './helpers/storage-digest.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

type Region = { kind: 'resolved'; lines: string[] } | { kind: 'conflict'; base: string[]; ours: string[]; theirs: string[] };

interface PreviewJson {
  base: string;
  head: string;
  baseRef: string;
  headRef: string;
  status: string;
  cause?: string;
  conflicts: { path: string; kind: string; ours: { id: string } | null; theirs: { id: string } | null; regions: Region[] | null }[];
}

interface MergeJson {
  outcome: string;
  commit: { id: string; parents: string[]; message: string; author: { name: string } };
}

describe.each(STORAGE_FACTORIES)('resolved merges on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let mainHead: string;
  let sideHead: string;

  const post = (spec: string, body: unknown, etag?: string) => {
    const req = api.client.post(`/repos/r/merges/${spec}`).set('Content-Type', 'application/json');
    if (etag !== undefined) req.set('If-Match', etag);
    return req.send(JSON.stringify(body));
  };

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'r');
    await writeFile(api.client, 'r', 'chapter.md', 'Title\n\nThe whole team writes this.\n\nEnd.\n');
    await writeFile(api.client, 'r', 'gone.md', 'soon changed on one side, deleted on the other\n');
    await writeFile(api.client, 'r', 'logo.bin', Buffer.from([0, 1, 2, 3]));
    const branch = await api.client.put('/repos/r/branches/drafts/side').set('Content-Type', 'application/json').send({ from: 'main' });
    expect(branch.status).toBe(201);
    await writeFile(api.client, 'r', 'chapter.md', 'Title\n\nThe whole team, together, writes this.\n\nEnd.\n', { branch: 'drafts/side' });
    await writeFile(api.client, 'r', 'logo.bin', Buffer.from([0, 9, 9, 9]), { branch: 'drafts/side' });
    sideHead = (await writeFile(api.client, 'r', 'gone.md', 'changed on the side\n', { branch: 'drafts/side' })).commit;
    await writeFile(api.client, 'r', 'chapter.md', 'Title\n\nThe entire team writes this.\n\nEnd.\n');
    await writeFile(api.client, 'r', 'logo.bin', Buffer.from([0, 7, 7, 7]));
    const del = await api.client.delete('/repos/r/contents/gone.md?message=Drop');
    expect(del.status).toBe(204);
    mainHead = await branchHead(api.client, 'r', 'main');
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('GET describes every conflict, with the text file’s regions, under an ETag naming both commits', async () => {
    const res = await api.client.get('/repos/r/merges/main...drafts/side');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.etag).toBe(`"merge-${mainHead}-${sideHead}"`);
    const body = json<PreviewJson>(res);
    expect(body).toMatchObject({ base: mainHead, head: sideHead, baseRef: 'main', headRef: 'drafts/side', status: 'conflicts', cause: 'content' });
    expect(body.conflicts.map((c) => [c.path, c.kind])).toEqual([
      ['chapter.md', 'content'],
      ['gone.md', 'modify-delete'],
      ['logo.bin', 'binary'],
    ]);
    const chapter = body.conflicts[0]!;
    expect(chapter.regions).toEqual([
      { kind: 'resolved', lines: ['Title\n', '\n'] },
      { kind: 'conflict', base: ['The whole team writes this.\n'], ours: ['The entire team writes this.\n'], theirs: ['The whole team, together, writes this.\n'] },
      { kind: 'resolved', lines: ['\n', 'End.\n'] },
    ]);
    expect(body.conflicts[1]).toMatchObject({ ours: null, regions: null });
    expect(body.conflicts[2]!.regions).toBeNull();
    expect((await api.client.get('/repos/r/merges/main...drafts/side').set('If-None-Match', res.headers.etag as string)).status).toBe(304);
  });

  it('POST without If-Match is 428, with a stale one 412; nothing is written', async () => {
    const before = await storageDigest(api.storage);
    const body = { resolutions: [{ path: 'chapter.md', take: 'ours' }] };
    expectProblem(await post('main...drafts/side', body), 428);
    expectProblem(await post('main...drafts/side', body, `"merge-${'a'.repeat(40)}-${sideHead}"`), 412);
    expect(digestChanges(before, await storageDigest(api.storage))).toEqual([]);
  });

  it('a missing resolution is 409 listing what is unresolved; a stray, doubled or malformed one 400; nothing is written', async () => {
    const etag = `"merge-${mainHead}-${sideHead}"`;
    const before = await storageDigest(api.storage);
    const missing = await post('main...drafts/side', { resolutions: [{ path: 'chapter.md', take: 'ours' }] }, etag);
    expectProblem(missing, 409);
    expect(json<{ cause: string; conflicts: { path: string }[] }>(missing)).toMatchObject({ cause: 'unresolved', conflicts: [{ path: 'gone.md' }, { path: 'logo.bin' }] });
    const all = [
      { path: 'chapter.md', take: 'ours' },
      { path: 'gone.md', delete: true },
      { path: 'logo.bin', take: 'theirs' },
    ];
    for (const bad of [
      [...all, { path: 'README.md', take: 'ours' }],
      [...all, { path: 'chapter.md', delete: true }],
      [{ path: 'chapter.md', take: 'ours', delete: true }, ...all.slice(1)],
      [{ path: 'chapter.md', content: 'a\ud800b' }, ...all.slice(1)],
      [{ path: 'chapter.md', content: '!!', encoding: 'base64' }, ...all.slice(1)],
      [{ path: '../chapter.md', take: 'ours' }, ...all.slice(1)],
      [{ path: 'chapter.md', take: 'mine' }, ...all.slice(1)],
    ]) {
      expectProblem(await post('main...drafts/side', { resolutions: bad }, etag), 400);
    }
    expectProblem(await post('main', { resolutions: all }, etag), 400);
    expect(digestChanges(before, await storageDigest(api.storage))).toEqual([]);
    expect(await branchHead(api.client, 'r', 'main')).toBe(mainHead);
  });

  it('with every conflict resolved: a merge commit with both parents whose tree is what the author chose', async () => {
    const resolved = 'Title\n\nThe entire team, together, writes this.\n\nEnd.\n';
    const res = await post(
      'main...drafts/side',
      {
        message: 'Merge the side edits',
        author: { name: 'Ana Editor', email: 'ana@example.org' },
        resolutions: [
          { path: 'chapter.md', content: resolved },
          { path: 'gone.md', take: 'theirs' },
          { path: 'logo.bin', take: 'ours' },
        ],
      },
      `"merge-${mainHead}-${sideHead}"`,
    );
    expect(res.status, res.text).toBe(201);
    const body = json<MergeJson>(res);
    expect(body.outcome).toBe('merged');
    expect(body.commit.parents).toEqual([mainHead, sideHead]);
    expect(body.commit.author.name).toBe('Ana Editor');
    expect(res.headers.location).toBe(`/repos/r/commits/${body.commit.id}`);
    expect(await branchHead(api.client, 'r', 'main')).toBe(body.commit.id);
    expect((await api.client.get('/repos/r/contents/chapter.md')).text).toBe(resolved);
    expect((await api.client.get('/repos/r/contents/gone.md')).text).toBe('changed on the side\n');
    const logo = await api.client.get('/repos/r/contents/logo.bin').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect([...(logo.body as Buffer)]).toEqual([0, 7, 7, 7]);
    // Now head is in base: the same merge is up to date.
    const again = await api.client.get('/repos/r/merges/main...drafts/side');
    expect(json<PreviewJson>(again)).toMatchObject({ status: 'up-to-date', conflicts: [] });
  });

  it('an unknown branch, ref or repository is 404; a spec without three dots 400', async () => {
    expectProblem(await api.client.get('/repos/r/merges/nope...drafts/side'), 404);
    expectProblem(await api.client.get('/repos/r/merges/main...nope'), 404);
    expectProblem(await api.client.get('/repos/none/merges/main...x'), 404);
    expectProblem(await api.client.get('/repos/r/merges/main..drafts/side'), 400);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
