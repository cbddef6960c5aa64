import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCluster, vbucketOf, type ClusterStorage, type RepoStore } from '../../fs-service/index.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import type { ClusterMap } from '../../fs-service/control/vbucket-map.js';
import { ClusterHarness } from './cluster-harness.js';
import { copyDigest, repoDir } from './copy-digest.js';
import { errorCode, expectRefusedEverywhere, expectRepoNamesRefused, HOSTILE_PATHS, snapshot } from './hostile-input.js';

const root = mkdtempSync(join(tmpdir(), 'fs-hostile-cluster-'));
const outside = join(root, 'outside');
const cluster = new ClusterHarness(join(root, 'cluster'));
let storage: ClusterStorage;
let repo: RepoStore;
let map: ClusterMap;
const raw: ShardConnection[] = [];

/** Everything every shard stores, plus a folder outside them all. */
function world(): Record<string, Record<string, string>> {
  return Object.fromEntries([...[...cluster.shards.values()].map((m) => [m.id, snapshot(m.dataDir)]), ['outside', snapshot(outside)]]);
}

function primaryConnection(secret = cluster.secret): ShardConnection {
  const entry = map.vbuckets[vbucketOf('victim')]!;
  const connection = new ShardConnection(`127.0.0.1:${cluster.shards.get(entry.copies[0]!)!.port}`, secret, { requestTimeoutMs: 5_000 });
  raw.push(connection);
  return connection;
}

beforeAll(async () => {
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret'), 'do not read');
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  storage = await cluster.connect();
  map = storage.map;
  repo = storage.repo('victim');
  await repo.fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
  await repo.fs.promises.writeFile('/refs/heads/main', 'a'.repeat(40) + '\n');
  await untilEveryCopyAgrees();
}, 120_000);

/**
 * A write is acknowledged once a majority holds it; the last copy catches up a moment later.
 * The "nothing changed" snapshots below must not mistake that catch-up for a hostile write.
 */
async function untilEveryCopyAgrees(): Promise<void> {
  const copies = map.vbuckets[vbucketOf('victim')]!.copies;
  for (let attempt = 0; attempt < 100; attempt++) {
    const digests = copies.map((id) => JSON.stringify(copyDigest(cluster.shards.get(id)!.dataDir, 'victim')));
    if (digests.every((d) => d === digests[0]) && digests[0]!.includes('/refs/heads/main')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the copies of "victim" did not converge within 5 s');
}
afterAll(async () => {
  for (const connection of raw) connection.close();
  await storage.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('hostile input against shard processes', () => {
  it('the client refuses hostile paths and repository names before sending anything', async () => {
    const before = world();
    storage.resetRoundTrips();
    for (const [, path, code] of HOSTILE_PATHS) await expectRefusedEverywhere(repo, path, code);
    expectRepoNamesRefused(storage);
    expect(storage.roundTrips.total).toBe(0);
    expect(world()).toEqual(before);
  });

  it('a shard refuses the same paths sent raw, bypassing the client, and changes nothing', async () => {
    const connection = primaryConnection();
    const base = { vb: vbucketOf('victim'), epoch: map.epoch, repo: 'victim' };
    const before = world();
    for (const [label, path] of HOSTILE_PATHS) {
      const requests: { op: string; path?: unknown; mutation?: { op: string } & Record<string, unknown> }[] = [
        { op: 'readFile', path },
        { op: 'stat', path },
        { op: 'readdir', path },
        { op: 'mutate', mutation: { op: 'writeFile', path } },
        { op: 'mutate', mutation: { op: 'mkdir', path, recursive: true } },
        { op: 'mutate', mutation: { op: 'rm', path, recursive: true, force: true } },
        { op: 'mutate', mutation: { op: 'cas', paths: [path] } },
      ];
      for (const request of requests) {
        const kind = request.mutation?.op ?? '';
        const parts = kind === '' ? [] : kind === 'cas' ? [null, Buffer.from('x')] : [Buffer.from('owned')];
        const code = await errorCode(connection.request({ ...base, ...request }, parts));
        expect(`${label} ${request.op}/${kind}: ${code}`).toMatch(/: EINVAL$/);
      }
    }
    expect(world()).toEqual(before);
  });

  it('a shard refuses malformed requests: wrong types, hostile repository names, a repository in the wrong vbucket, unknown operations', async () => {
    const connection = primaryConnection();
    const base = { vb: vbucketOf('victim'), epoch: map.epoch, repo: 'victim' };
    const before = world();
    const malformed: [string, Record<string, unknown>, (Buffer | null)[]][] = [
      ['path is a number', { ...base, op: 'readFile', path: 7 }, []],
      ['mode is a string', { ...base, op: 'mutate', mutation: { op: 'writeFile', path: '/x', mode: 'rwx' } }, [Buffer.from('x')]],
      ['no file data', { ...base, op: 'mutate', mutation: { op: 'writeFile', path: '/x' } }, []],
      ['swap values missing', { ...base, op: 'mutate', mutation: { op: 'cas', paths: ['/x', '/y'] } }, [null]],
      ['unknown mutation', { ...base, op: 'mutate', mutation: { op: 'chmod', path: '/x' } }, []],
      ['traversing repository name', { ...base, op: 'readFile', repo: '../victim', path: '/HEAD' }, []],
      ['repository in another vbucket', { ...base, op: 'readFile', vb: (vbucketOf('victim') + 1) % 256, path: '/HEAD' }, []],
      ['vbucket out of range', { ...base, op: 'readFile', vb: 9999, path: '/HEAD' }, []],
      ['unknown operation', { ...base, op: 'format', path: '/' }, []],
    ];
    for (const [label, header, parts] of malformed) expect(`${label}: ${await errorCode(connection.request(header, parts))}`).toBe(`${label}: EINVAL`);
    expect(world()).toEqual(before);
  });

  it('a symlink planted in a shard data directory cannot lead outside the repository', async () => {
    for (const member of cluster.shards.values()) symlinkSync(outside, join(repoDir(member.dataDir, 'victim'), 'planted'));
    const before = world();
    expect(await errorCode(repo.fs.promises.readFile('/planted/secret'))).toBe('EACCES');
    expect(await errorCode(repo.fs.promises.writeFile('/planted/new', 'x'))).toBe('EACCES');
    expect(await errorCode(repo.fs.promises.readdir('/planted'))).toBe('EACCES');
    expect(await errorCode(repo.fs.promises.symlink('../../../outside', '/escape'))).toBe('EACCES');
    expect(world()).toEqual(before);
  });

  it('a wrong cluster secret is refused with a clear error and changes nothing', async () => {
    const before = world();
    const attempt = connectCluster({ etcd: cluster.etcd, secret: 'not-the-secret', retryWindowMs: 2_000 });
    await expect(attempt).rejects.toMatchObject({ code: 'EACCES', message: expect.stringMatching(/cluster secret does not match/) });
    const intruder = primaryConnection('not-the-secret');
    const write = intruder.request({ op: 'mutate', vb: vbucketOf('victim'), epoch: map.epoch, repo: 'victim', mutation: { op: 'writeFile', path: '/HEAD' } }, [Buffer.from('owned')]);
    await expect(write).rejects.toMatchObject({ code: 'EACCES' });
    const admin = await fetch(`http://127.0.0.1:${cluster.supervisor!.port}/map`, { headers: { authorization: 'Bearer not-the-secret' } });
    expect(admin.status).toBe(401);
    expect(world()).toEqual(before);
    // Refused connections torn down mid-handshake must not take a shard down.
    for (const member of cluster.shards.values()) expect((await fetch(`http://127.0.0.1:${member.port}/healthz`)).status).toBe(200);
    expect(await repo.fs.promises.readFile('/HEAD', 'utf8')).toBe('ref: refs/heads/main\n');
  });
});
