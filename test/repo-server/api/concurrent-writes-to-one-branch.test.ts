import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchHead, createRepo, etagValue, json, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { CORE_STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

const WRITERS = 50;

interface CommitJson {
  id: string;
  parents: string[];
}

describe.each(CORE_STORAGE_FACTORIES)('concurrent writes on $name storage', (factory) => {
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

  it(`${WRITERS} parallel PUTs of different files on one branch all land, in one linear history`, async () => {
    await createRepo(api.client, 'many');
    const root = (await writeFile(api.client, 'many', 'README.md', 'start')).commit;
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => api.client.put(`/repos/many/contents/files/f${i}.txt?message=f${i}`).set('Content-Type', 'text/plain').send(`content ${i}`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(201));
    const commits = new Set(results.map((r) => json<{ commit: string }>(r).commit));
    expect(commits.size).toBe(WRITERS);

    // Linear: following first parents from the head visits every commit once, down to the root.
    const history = json<{ commits: CommitJson[] }>(await api.client.get('/repos/many/commits?per_page=100')).commits;
    expect(history.length).toBe(WRITERS + 1);
    expect(history[0]?.id).toBe(await branchHead(api.client, 'many', 'main'));
    for (let i = 0; i < WRITERS; i++) expect(history[i]?.parents).toEqual([history[i + 1]?.id]);
    expect(history[WRITERS]?.id).toBe(root);
    expect(new Set(history.slice(0, WRITERS).map((c) => c.id))).toEqual(commits);

    const listing = json<{ entries: { name: string }[] }>(await api.client.get('/repos/many/contents/files'));
    expect(listing.entries.map((e) => e.name).sort()).toEqual(Array.from({ length: WRITERS }, (_, i) => `f${i}.txt`).sort());
    const samples = await Promise.all([0, 17, WRITERS - 1].map((i) => api.client.get(`/repos/many/contents/files/f${i}.txt`)));
    expect(samples.map((s) => s.text)).toEqual([`content 0`, `content 17`, `content ${WRITERS - 1}`]);
  });

  it(`${WRITERS} parallel PUTs of one file with the same If-Match: exactly one wins, ${WRITERS - 1} get 412`, async () => {
    await createRepo(api.client, 'one');
    await writeFile(api.client, 'one', 'doc.md', 'original');
    const tag = etagValue(await api.client.get('/repos/one/contents/doc.md'));
    const before = await branchHead(api.client, 'one', 'main');
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => api.client.put('/repos/one/contents/doc.md').set('If-Match', `"${tag}"`).set('Content-Type', 'text/plain').send(`edit ${i}`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBe(1);
    expect(statuses.filter((s) => s === 412).length).toBe(WRITERS - 1);
    const winner = results.findIndex((r) => r.status === 200);
    expect((await api.client.get('/repos/one/contents/doc.md')).text).toBe(`edit ${winner}`);
    const history = json<{ commits: CommitJson[] }>(await api.client.get('/repos/one/commits')).commits;
    expect(history.length).toBe(2);
    expect(history[0]?.parents).toEqual([before]);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
