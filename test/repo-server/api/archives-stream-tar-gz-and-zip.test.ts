/** GET /repos/{repo}/archive/{ref}.tar.gz and .zip: streamed, valid, stable for a commit id. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTarGz, readZip, withoutCommonFolder } from './helpers/archives.js';
import { binary, createRepo, expectProblem, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

const FILES: Record<string, Buffer> = {
  'README.md': Buffer.from('# Book\n'),
  'chapters/one.md': Buffer.from('One\n'),
  'chapters/two.md': Buffer.from('Two, with ünïcode\n'),
  'media/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255, 1, 2, 3]),
};

function asText(files: Map<string, Buffer>): Record<string, string> {
  return Object.fromEntries([...files].map(([name, bytes]) => [name, bytes.toString('base64')]).sort());
}

describe.each(STORAGE_FACTORIES)('archives on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let commit: string;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage });
    await createRepo(api.client, 'arc');
    for (const [path, bytes] of Object.entries(FILES)) commit = (await writeFile(api.client, 'arc', path, bytes)).commit;
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('.tar.gz of a branch: 200, gzip media type, a valid tar with every file byte for byte', async () => {
    const res = await binary(api.client.get('/repos/arc/archive/main.tar.gz'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/(gzip|x-gzip|x-tar\+gzip|x-gtar)/);
    const files = withoutCommonFolder(await readTarGz(res.body as Buffer));
    expect(asText(files)).toEqual(asText(new Map(Object.entries(FILES))));
  });

  it('.zip of a branch: 200, application/zip, a valid zip (CRCs checked) with every file', async () => {
    const res = await binary(api.client.get('/repos/arc/archive/main.zip'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/zip/);
    const files = withoutCommonFolder(readZip(res.body as Buffer));
    expect(asText(files)).toEqual(asText(new Map(Object.entries(FILES))));
  });

  it('archives are streamed (no buffering into a Content-Length) and suggest a file name', async () => {
    const res = await binary(api.client.get('/repos/arc/archive/main.tar.gz'));
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-disposition']).toMatch(/attachment;.*filename=.*\.tar\.gz/);
  });

  it('an archive of a commit id is byte-identical every time and cacheable for a year', async () => {
    const first = await binary(api.client.get(`/repos/arc/archive/${commit}.tar.gz`));
    await new Promise((r) => setTimeout(r, 1100)); // a timestamp taken from the clock would now differ
    const second = await binary(api.client.get(`/repos/arc/archive/${commit}.tar.gz`));
    expect(first.status).toBe(200);
    expect(Buffer.compare(first.body as Buffer, second.body as Buffer)).toBe(0);
    expect(first.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect((await api.client.get(`/repos/arc/archive/${commit}.tar.gz`).set('If-None-Match', first.headers.etag as string)).status).toBe(304);
    const zipA = await binary(api.client.get(`/repos/arc/archive/${commit}.zip`));
    const zipB = await binary(api.client.get(`/repos/arc/archive/${commit}.zip`));
    expect(Buffer.compare(zipA.body as Buffer, zipB.body as Buffer)).toBe(0);
  });

  it('an unknown ref or repository is 404; an unknown format is 404', async () => {
    expectProblem(await api.client.get('/repos/arc/archive/no-such-ref.tar.gz'), 404);
    expectProblem(await api.client.get('/repos/nope/archive/main.zip'), 404);
    expectProblem(await api.client.get('/repos/arc/archive/main.rar'), 404);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
