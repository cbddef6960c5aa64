import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStorage } from '../../fs-service/index.js';
import { ClusterHarness } from './cluster-harness.js';
import { buildPack, gitObject } from './pack-builder.js';

const root = mkdtempSync(join(tmpdir(), 'fs-cache-'));
const cluster = new ClusterHarness(root);
const clients: ClusterStorage[] = [];
const gitdir = '/';
const author = { name: 'Cache', email: 'cache@example.org', timestamp: 1_700_000_000, timezoneOffset: 0 };
let writer: ClusterStorage;
let head = '';

async function connect(): Promise<ClusterStorage> {
  const client = await cluster.connect();
  clients.push(client);
  return client;
}

/** 100 commits, each changing d1/s2/f.txt, on refs/heads/main. */
async function seed(storage: ClusterStorage, repo: string): Promise<string> {
  const fs = storage.repo(repo).fs;
  await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
  let parent: string | null = null;
  for (let i = 0; i < 100; i++) parent = await commitFile(storage, repo, `version ${i}\n`, parent);
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: parent!, force: true });
  return parent!;
}

async function commitFile(storage: ClusterStorage, repo: string, text: string, parent: string | null): Promise<string> {
  const fs = storage.repo(repo).fs;
  const blob = await git.writeBlob({ fs, gitdir, blob: Buffer.from(text) });
  const s2 = await git.writeTree({ fs, gitdir, tree: [{ mode: '100644', path: 'f.txt', oid: blob, type: 'blob' }] });
  const d1 = await git.writeTree({ fs, gitdir, tree: [{ mode: '040000', path: 's2', oid: s2, type: 'tree' }] });
  const top = await git.writeTree({ fs, gitdir, tree: [{ mode: '040000', path: 'd1', oid: d1, type: 'tree' }] });
  return git.writeCommit({ fs, gitdir, commit: { tree: top, parent: parent === null ? [] : [parent], author, committer: author, message: text } });
}

async function roundTrips(storage: ClusterStorage, run: () => Promise<unknown>): Promise<number> {
  storage.resetRoundTrips();
  await run();
  return storage.roundTrips.total;
}

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  writer = await connect();
  head = await seed(writer, 'cached');
}, 120_000);
afterAll(async () => {
  for (const client of clients) await client.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('the cluster client cache', () => {
  it('answers isomorphic-git readFile() probe locally with a rejected promise', async () => {
    const reader = await connect();
    const readFile = reader.repo('cached').fs.promises.readFile as (path?: string) => Promise<unknown>;
    const trips = await roundTrips(reader, () => expect(readFile()).rejects.toMatchObject({ code: 'EINVAL' }));
    expect(trips).toBe(0);
  });

  it('fetches an immutable object once for concurrent readers and then serves it from memory', async () => {
    const reader = await connect();
    const path = `/objects/${head.slice(0, 2)}/${head.slice(2)}`;
    const fs = reader.repo('cached').fs.promises;
    expect(await roundTrips(reader, () => Promise.all(Array.from({ length: 10 }, () => fs.readFile(path))))).toBe(1);
    expect(await roundTrips(reader, () => fs.readFile(path))).toBe(0);
    expect(await roundTrips(reader, () => fs.stat(path))).toBe(0);
    expect(reader.cacheStats.entries).toBe(1);
  });

  it('never serves refs, HEAD, config or packed-refs from cache', async () => {
    const reader = await connect();
    const fs = reader.repo('cached').fs.promises;
    for (const path of ['/refs/heads/topic', '/HEAD', '/config', '/packed-refs']) {
      const before = (await fs.readFile(path, 'utf8').catch(() => null)) as string | null;
      await writer.repo('cached').fs.promises.writeFile(path, `${before ?? ''}changed\n`);
      expect(await fs.readFile(path, 'utf8')).toBe(`${before ?? ''}changed\n`);
    }
    await writer.repo('cached').fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
  });

  it('rechecks a remembered absence and the pack listing against the repository generation', async () => {
    const reader = await connect();
    const repo = reader.repo('cached');
    const blob = gitObject('blob', Buffer.from('arrives later\n'));
    const loose = `/objects/${blob.oid.slice(0, 2)}/${blob.oid.slice(2)}`;
    await expect(repo.fs.promises.readFile(loose)).rejects.toMatchObject({ code: 'ENOENT' });
    // Remembered: asking again costs nothing while nothing changed.
    expect(await roundTrips(reader, () => repo.fs.promises.readFile(loose).catch(() => null))).toBe(0);
    expect(await repo.fs.promises.readdir('/objects/pack')).toEqual([]);

    // Another front end adds the object loose and a second object in a new pack.
    await git.writeBlob({ fs: writer.repo('cached').fs, gitdir, blob: Buffer.from('arrives later\n') });
    const packed = gitObject('blob', Buffer.from('arrives in a pack\n'));
    const { pack, filename } = buildPack([packed]);
    await writer.repo('cached').fs.promises.writeFile(`/objects/pack/${filename}`, pack);
    await git.indexPack({ fs: writer.repo('cached').fs, dir: '/', gitdir, filepath: `objects/pack/${filename}` });

    // Every isomorphic-git command starts with stat(gitdir), whose answer carries the new generation.
    const found = await git.readBlob({ fs: repo.fs, gitdir, oid: blob.oid });
    expect(Buffer.from(found.blob).toString()).toBe('arrives later\n');
    const fromPack = await git.readBlob({ fs: repo.fs, gitdir, cache: {}, oid: packed.oid });
    expect(Buffer.from(fromPack.blob).toString()).toBe('arrives in a pack\n');
  });

  it('makes few round trips per operation (warm cache)', async () => {
    const reader = await connect();
    const fs = reader.repo('cached').fs;
    const cache = {};
    const readDeep = async () => git.readBlob({ fs, gitdir, cache, oid: await git.resolveRef({ fs, gitdir, ref: 'refs/heads/main' }), filepath: 'd1/s2/f.txt' });
    await readDeep();
    expect(await roundTrips(reader, readDeep)).toBeLessThanOrEqual(4);
    await git.log({ fs, gitdir, cache, ref: 'refs/heads/main', depth: 100 });
    expect(await roundTrips(reader, () => git.log({ fs, gitdir, cache, ref: 'refs/heads/main', depth: 100 }))).toBeLessThanOrEqual(4);
    const commitTrips = await roundTrips(reader, async () => {
      const parent = await git.resolveRef({ fs, gitdir, ref: 'refs/heads/main' });
      const next = await commitFile(reader, 'cached', 'one more\n', parent);
      expect(await reader.repo('cached').compareAndSwap([{ path: '/refs/heads/main', expected: Buffer.from(`${parent}\n`), next: Buffer.from(`${next}\n`) }])).toBe(true);
    });
    expect(commitTrips).toBeLessThanOrEqual(20);
    expect(reader.cacheStats.hitRatio).toBeGreaterThan(0.3);
  });

  it('exports metrics: operations, latency, cache hit ratio, round trips, bytes; shards require the secret for theirs', async () => {
    const text = await writer.metrics.registry.metrics();
    for (const name of ['fs_service_operations_total', 'fs_service_operation_duration_seconds_bucket', 'fs_service_cache_hit_ratio', 'fs_service_round_trips_total', 'fs_service_bytes_total']) expect(text).toContain(name);
    let scraped = '';
    for (const shard of cluster.shards.values()) {
      expect((await fetch(`http://127.0.0.1:${shard.port}/metrics`)).status).toBe(401);
      const response = await fetch(`http://127.0.0.1:${shard.port}/metrics`, { headers: { authorization: `Bearer ${cluster.secret}` } });
      expect(response.status).toBe(200);
      scraped += await response.text();
    }
    expect(scraped).toMatch(/fs_service_operations_total\{op="mutate",role="shard",outcome="ok"\} \d+/);
    expect(scraped).toMatch(/fs_service_operations_total\{op="replicate",role="replica",outcome="ok"\} \d+/);
  });
});
