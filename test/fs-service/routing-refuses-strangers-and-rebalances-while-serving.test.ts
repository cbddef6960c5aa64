import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type ClusterMap, type ClusterStorage } from '../../fs-service/index.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { Refusal } from '../../fs-service/wire/wire-errors.js';
import { vbucketDirName } from '../../fs-service/control/vbucket-map.js';
import { ClusterHarness } from './cluster-harness.js';
import { copyDigest, selfNamed } from './copy-digest.js';

const root = mkdtempSync(join(tmpdir(), 'fs-routing-'));
const cluster = new ClusterHarness(root);
const clients: ClusterStorage[] = [];
const connections: ShardConnection[] = [];

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3', 's4']);
  await cluster.startSupervisor({ replicas: 3 });
}, 120_000);
afterAll(async () => {
  for (const c of connections) c.close();
  for (const client of clients) await client.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

async function connect(): Promise<ClusterStorage> {
  const client = await cluster.connect({ retryWindowMs: 15_000 });
  clients.push(client);
  return client;
}

function raw(map: ClusterMap, shard: string): ShardConnection {
  const connection = new ShardConnection(`127.0.0.1:${cluster.shards.get(shard)!.port}`, cluster.secret);
  connections.push(connection);
  return connection;
}

async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Refusal) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('routing by vbucket and epoch', () => {
  it('a shard refuses a vbucket it does not hold, and old or future epochs, with what the client needs to retry', async () => {
    const client = await connect();
    const map = client.map;
    const vb = vbucketOf('routed');
    const entry = map.vbuckets[vb]!;
    expect(entry.copies).toHaveLength(3);
    const stranger = Object.keys(map.shards).find((id) => !entry.copies.includes(id))!;
    const request = { op: 'readFile', vb, repo: 'routed', path: '/HEAD' };

    const notOwner = await refusal(raw(map, stranger).request({ ...request, epoch: map.epoch }));
    expect(notOwner.reason).toBe('not-owner');
    expect(notOwner.map?.epoch).toBe(map.epoch);

    const holder = raw(map, entry.copies[0]!);
    const old = await refusal(holder.request({ ...request, epoch: map.epoch - 1 }));
    expect(old.reason).toBe('epoch-old');
    expect(old.map?.vbuckets[vb]).toEqual(entry);
    expect((await refusal(holder.request({ ...request, epoch: map.epoch + 5 }))).reason).toBe('epoch-new');

    const write = { op: 'mutate', vb, repo: 'routed', epoch: map.epoch, mutation: { op: 'writeFile', path: '/HEAD' } };
    expect((await refusal(raw(map, entry.copies[1]!).request(write, [Buffer.from('x')]))).reason).toBe('not-owner');
    // Through the client all of this is invisible.
    await client.repo('routed').fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
    expect(await client.repo('routed').fs.promises.readFile('/HEAD', 'utf8')).toBe('ref: refs/heads/main\n');
  });

  it('moves the primary copy and then a replica of a vbucket to other shards while a writer keeps writing', async () => {
    const stale = await connect(); // keeps its map from before the moves
    const writer = await connect();
    const repo = writer.repo('moving');
    const vb = vbucketOf('moving');
    const before = writer.map.vbuckets[vb]!;
    const from = before.copies[0]!;
    const to = Object.keys(writer.map.shards).find((id) => !before.copies.includes(id))!;

    const acked = new Map<string, Buffer>();
    let counter = 0;
    let writing = true;
    const failures: string[] = [];
    const loop = (async () => {
      for (let i = 0; writing; i++) {
        const object = selfNamed(i, 2048);
        try {
          await repo.fs.promises.writeFile(object.path, object.data);
          acked.set(object.path, object.data);
          if (await repo.compareAndSwap([{ path: '/refs/heads/n', expected: counter === 0 ? null : Buffer.from(String(counter)), next: Buffer.from(String(counter + 1)) }])) counter++;
        } catch (err) {
          failures.push(String(err));
          const [current] = await repo.readMany(['/refs/heads/n']);
          counter = current === null ? 0 : Number(current.toString());
        }
      }
    })();
    await waitFor('some writes', () => acked.size >= 20);

    const movedPrimary = await cluster.adminRequest('POST', '/move', { vb, from, to });
    expect(JSON.stringify(movedPrimary)).toContain('"status":200');
    const afterFirst = (movedPrimary.body as { vbucket: ClusterMap['vbuckets'][number] }).vbucket;
    expect(afterFirst.copies[0]).toBe(to);
    expect(afterFirst.copies).not.toContain(from);

    const replica = afterFirst.copies[1]!;
    const movedReplica = await cluster.adminRequest('POST', '/move', { vb, from: replica, to: from });
    expect(movedReplica.status).toBe(200);
    const afterSecond = (movedReplica.body as { vbucket: ClusterMap['vbuckets'][number] }).vbucket;
    expect(afterSecond.copies).toEqual([to, from, afterFirst.copies[2]]);

    const target = acked.size + 20;
    await waitFor('writes after the moves', () => acked.size >= target);
    writing = false;
    await loop;
    expect(failures).toEqual([]);

    // Every acknowledged write is readable, also by a client whose map predates both moves.
    for (const [path, data] of acked) expect((await stale.repo('moving').fs.promises.readFile(path)) as Buffer).toEqual(data);
    expect(Number(await stale.repo('moving').fs.promises.readFile('/refs/heads/n', 'utf8'))).toBe(counter);

    // The new holders have identical copies; the shard that gave its copy away dropped it.
    const holders = afterSecond.copies.map((id) => cluster.shards.get(id)!.dataDir);
    await waitFor('the new copies to compare equal', () => {
      const digests = holders.map((dir) => JSON.stringify(copyDigest(dir, 'moving')));
      return digests.every((d) => d === digests[0]);
    });
    await waitFor('the old copy to be dropped', () => !existsSync(join(cluster.shards.get(replica)!.dataDir, vbucketDirName(vb))));
  }, 120_000);
});
