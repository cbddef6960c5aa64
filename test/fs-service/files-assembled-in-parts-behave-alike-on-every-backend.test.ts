import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage, vbucketOf, type ClusterStorage, type RepoStore, type Storage } from '../../fs-service/index.js';
import { MemoryStorage } from '../../fs-service/testing.js';
import { MAX_ASSEMBLED_BYTES, MAX_RANGE_BYTES } from '../../fs-service/engine/path-safety.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { ClusterHarness } from './cluster-harness.js';
import { errorCode, snapshot } from './hostile-input.js';

const root = mkdtempSync(join(tmpdir(), 'fs-parts-'));
const cluster = new ClusterHarness(join(root, 'cluster'));
const opened: Storage[] = [];
let clusterUp: Promise<unknown>;
beforeAll(() => {
  clusterUp = cluster.startShards(['s1', 's2', 's3']).then(() => cluster.startSupervisor());
  clusterUp.catch(() => undefined);
});
afterAll(async () => {
  for (const storage of opened) await storage.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

const INCOMING = `/objects/pack/incoming-${'5'.repeat(32)}.pack`;
const SECOND = `/objects/pack/incoming-${'6'.repeat(32)}.pack`;

function content(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
}

function packPath(data: Buffer): string {
  return `/objects/pack/pack-${createHash('sha1').update(data).digest('hex')}.pack`;
}

/** Every file and folder of a repository as its own store shows it (the same call on every backend). */
async function tree(repo: RepoStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await repo.fs.promises.readdir(dir);
    } catch {
      return;
    }
    for (const name of [...names].sort()) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if ((await repo.fs.promises.lstat(path)).isDirectory()) {
        out[path] = 'dir';
        await walk(path);
      } else out[path] = createHash('sha1').update((await repo.fs.promises.readFile(path)) as Buffer).digest('hex');
    }
  };
  await walk('/');
  return out;
}

/** A push's use of the contract: parts at increasing offsets, a header rewrite, a publication. */
async function assembleAndPublish(repo: RepoStore): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  await repo.fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
  const whole = content(300_000, 1);
  for (let offset = 0; offset < whole.length; offset += 64 * 1024) await repo.writePart(INCOMING, offset, whole.subarray(offset, offset + 64 * 1024));
  const count = Buffer.from([0, 0, 1, 44]);
  await repo.writePart(INCOMING, 8, count);
  count.copy(whole, 8);
  seen.assembled = ((await repo.fs.promises.readFile(INCOMING)) as Buffer).equals(whole);
  seen.size = (await repo.fs.promises.stat(INCOMING)).size;
  seen.listedWhileIncoming = await repo.fs.promises.readdir('/objects/pack');

  // A part past the end leaves zeros before it; a part inside keeps the bytes around it.
  await repo.writePart('/gap', 10, Buffer.from('z'));
  await repo.writePart('/gap', 2, Buffer.from('ab'));
  seen.gap = ((await repo.fs.promises.readFile('/gap')) as Buffer).toString('hex');
  await repo.writePart('/empty', 0, new Uint8Array(0));
  seen.empty = ((await repo.fs.promises.readFile('/empty')) as Buffer).length;

  const pack = packPath(whole);
  await repo.rename(INCOMING, pack);
  seen.listedAfterRename = await repo.fs.promises.readdir('/objects/pack');
  seen.published = ((await repo.fs.promises.readFile(pack)) as Buffer).equals(whole);
  seen.sourceAfterRename = await errorCode(repo.fs.promises.stat(INCOMING));

  // The same pack pushed again: the published one stays, the second incoming file goes.
  await repo.writePart(SECOND, 0, Buffer.from('another copy of the same pack'));
  await repo.rename(SECOND, pack);
  seen.listedAfterSecondRename = await repo.fs.promises.readdir('/objects/pack');
  seen.publishedKept = ((await repo.fs.promises.readFile(pack)) as Buffer).equals(whole);

  // A mutable target is replaced, its folders created.
  await repo.fs.promises.mkdir('/info', { recursive: true });
  await repo.fs.promises.writeFile('/info/target', 'old');
  await repo.writePart('/staged', 0, Buffer.from('new'));
  await repo.rename('/staged', '/info/target');
  await repo.writePart('/staged-deep', 0, Buffer.from('deep'));
  await repo.rename('/staged-deep', '/new/folder/file');
  seen.replaced = await repo.fs.promises.readFile('/info/target', 'utf8');
  seen.deep = await repo.fs.promises.readFile('/new/folder/file', 'utf8');
  seen.tree = await tree(repo);
  return seen;
}

/**
 * Each refused before anything changed, with the same code on every backend; `stateful` ones need
 * the repository's files to judge (a folder in the way, a missing source), the others need nothing.
 */
function hostileCalls(repo: RepoStore): [label: string, code: string, stateful: boolean, call: () => Promise<unknown>][] {
  const bytes = Buffer.from('x');
  const pack = `/objects/pack/pack-${'a'.repeat(40)}.pack`;
  return [
    ['part of a pack', 'EINVAL', false, () => repo.writePart(pack, 0, bytes)],
    ['part of a pack index', 'EINVAL', false, () => repo.writePart(pack.replace(/pack$/, 'idx'), 0, bytes)],
    ['part of a pack spelled with "//"', 'EINVAL', false, () => repo.writePart(pack.replace('/pack/', '//pack/'), 0, bytes)],
    ['part of a loose object', 'EINVAL', false, () => repo.writePart(`/objects/ab/${'c'.repeat(38)}`, 0, bytes)],
    ['negative offset', 'EINVAL', false, () => repo.writePart(INCOMING, -1, bytes)],
    ['fractional offset', 'EINVAL', false, () => repo.writePart(INCOMING, 1.5, bytes)],
    ['NaN offset', 'EINVAL', false, () => repo.writePart(INCOMING, Number.NaN, bytes)],
    ['offset as a string', 'EINVAL', false, () => repo.writePart(INCOMING, '8' as unknown as number, bytes)],
    ['offset past 2^53', 'EINVAL', false, () => repo.writePart(INCOMING, 2 ** 53, bytes)],
    ['file past the assembled limit', 'EINVAL', false, () => repo.writePart(INCOMING, MAX_ASSEMBLED_BYTES, bytes)],
    ['part over MAX_RANGE_BYTES', 'EINVAL', false, () => repo.writePart(INCOMING, 0, Buffer.alloc(MAX_RANGE_BYTES + 1))],
    ['part that is text', 'EINVAL', false, () => repo.writePart(INCOMING, 0, 'text' as unknown as Uint8Array)],
    ['part with a parent segment', 'EINVAL', false, () => repo.writePart('/objects/../../outside', 0, bytes)],
    ['part with an encoded parent', 'EINVAL', false, () => repo.writePart('/%2e%2e/outside', 0, bytes)],
    ['part of the root', 'EISDIR', false, () => repo.writePart('/', 0, bytes)],
    ['part onto a folder', 'EISDIR', true, () => repo.writePart('/objects/pack', 0, bytes)],
    ['part below a file', 'ENOTDIR', true, () => repo.writePart('/HEAD/x', 0, bytes)],
    ['rename of a missing file', 'ENOENT', true, () => repo.rename(INCOMING, `/objects/pack/pack-${'b'.repeat(40)}.pack`)],
    ['rename of a folder', 'ENOENT', true, () => repo.rename('/objects/pack', '/elsewhere')],
    ['rename onto a folder', 'EISDIR', true, () => repo.rename('/HEAD', '/objects/pack')],
    ['rename below a file', 'ENOTDIR', true, () => repo.rename('/info/target', '/HEAD/x')],
    ['rename out of the repository', 'EINVAL', false, () => repo.rename('/HEAD', '/../outside')],
    ['rename from outside the repository', 'EINVAL', false, () => repo.rename('/../outside', '/HEAD')],
    ['rename of a pack', 'EINVAL', false, () => repo.rename(`/objects/pack/pack-${'c'.repeat(40)}.idx`, '/x')],
    ['rename onto itself', 'EINVAL', false, () => repo.rename('/HEAD', '//HEAD')],
    ['rename to the root', 'EISDIR', false, () => repo.rename('/HEAD', '/')],
  ];
}

async function refusals(repo: RepoStore): Promise<string[]> {
  const codes: string[] = [];
  for (const [label, , , call] of hostileCalls(repo)) codes.push(`${label}: ${await errorCode(call())}`);
  return codes;
}

const expectedRefusals = (repo: RepoStore) => hostileCalls(repo).map(([label, code]) => `${label}: ${code}`);
const results = new Map<string, Record<string, unknown>>();

describe('writePart and rename on every backend', () => {
  it('assemble a file in parts and publish it on memfs (MemoryStorage)', async () => {
    const repo = new MemoryStorage().repo('parts');
    const seen = await assembleAndPublish(repo);
    expect(seen).toMatchObject({
      assembled: true,
      size: 300_000,
      listedWhileIncoming: [INCOMING.slice('/objects/pack/'.length)],
      gap: '00006162000000000000' + '7a',
      empty: 0,
      published: true,
      sourceAfterRename: 'ENOENT',
      publishedKept: true,
      replaced: 'new',
      deep: 'deep',
    });
    expect(seen.listedAfterRename).toEqual([expect.stringMatching(/^pack-[0-9a-f]{40}\.pack$/)]);
    expect(seen.listedAfterSecondRename).toEqual(seen.listedAfterRename);
    results.set('memfs', seen);
    const before = await tree(repo);
    expect(await refusals(repo)).toEqual(expectedRefusals(repo));
    expect(await tree(repo)).toEqual(before);
  });

  it('behave the same on the embedded disk engine, and refuse the same input before touching the disk', async () => {
    const storage = await openEmbeddedStorage(join(root, 'embedded'));
    opened.push(storage);
    const repo = storage.repo('parts');
    expect(await assembleAndPublish(repo)).toEqual(results.get('memfs'));
    const before = snapshot(join(root, 'embedded'));
    expect(await refusals(repo)).toEqual(expectedRefusals(repo));
    expect(snapshot(join(root, 'embedded'))).toEqual(before);
  });

  it('behave the same through the client over three replicated shard processes; the client refuses without a round trip, the shard refuses raw frames', async () => {
    await clusterUp;
    const storage: ClusterStorage = await cluster.connect();
    opened.push(storage);
    const repo = storage.repo('parts');
    expect(await assembleAndPublish(repo)).toEqual(results.get('memfs'));
    const world = () => [...cluster.shards.values()].map((m) => snapshot(m.dataDir));
    const before = world();
    const trips = storage.roundTrips.total;
    expect(await refusals(repo)).toEqual(expectedRefusals(repo));
    expect(storage.roundTrips.total - trips).toBe(hostileCalls(repo).filter(([, , stateful]) => stateful).length);

    // The shard checks again: a client that skips the checks changes nothing either.
    const map = storage.map;
    const vb = vbucketOf('parts');
    const connection = new ShardConnection(`127.0.0.1:${cluster.shards.get(map.vbuckets[vb]!.copies[0]!)!.port}`, cluster.secret, { requestTimeoutMs: 5_000 });
    try {
      const base = { op: 'mutate', vb, epoch: map.epoch, repo: 'parts' };
      const raw: [string, Record<string, unknown>, (Buffer | null)[], string][] = [
        ['part of a pack', { op: 'part', path: `/objects/pack/pack-${'a'.repeat(40)}.pack`, offset: 0 }, [Buffer.from('x')], 'EINVAL'],
        ['part of a pack spelled with "//"', { op: 'part', path: `/objects//pack/pack-${'a'.repeat(40)}.pack`, offset: 0 }, [Buffer.from('x')], 'EINVAL'],
        ['negative offset', { op: 'part', path: INCOMING, offset: -1 }, [Buffer.from('x')], 'EINVAL'],
        ['offset past the assembled limit', { op: 'part', path: INCOMING, offset: MAX_ASSEMBLED_BYTES }, [Buffer.from('x')], 'EINVAL'],
        ['fractional offset', { op: 'part', path: INCOMING, offset: 0.5 }, [Buffer.from('x')], 'EINVAL'],
        ['no offset', { op: 'part', path: INCOMING }, [Buffer.from('x')], 'EINVAL'],
        ['no bytes', { op: 'part', path: INCOMING, offset: 0 }, [], 'EINVAL'],
        ['part escaping', { op: 'part', path: '/../../outside', offset: 0 }, [Buffer.from('x')], 'EINVAL'],
        ['part onto a folder', { op: 'part', path: '/objects', offset: 0 }, [Buffer.from('x')], 'EISDIR'],
        ['rename of a missing file', { op: 'rename', from: INCOMING, to: '/y' }, [], 'ENOENT'],
        ['rename onto a folder', { op: 'rename', from: '/HEAD', to: '/objects' }, [], 'EISDIR'],
        ['rename escaping', { op: 'rename', from: '/HEAD', to: '/../outside' }, [], 'EINVAL'],
        ['rename without a target', { op: 'rename', from: '/HEAD' }, [], 'EINVAL'],
      ];
      for (const [label, mutation, parts, code] of raw) expect(`${label}: ${await errorCode(connection.request({ ...base, mutation }, parts))}`).toBe(`${label}: ${code}`);
    } finally {
      connection.close();
    }
    expect(world()).toEqual(before);
  });
});
