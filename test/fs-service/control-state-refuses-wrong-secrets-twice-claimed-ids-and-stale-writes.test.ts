/**
 * The control state in etcd refuses what would corrupt it, each with a clear error: a wrong
 * cluster secret (client, shard and supervisor alike), a shard id claimed by a second live
 * process, a map write based on a stale revision or by a writer that does not lead, and an update
 * replicated under an older term. Real etcd, shards and supervisor processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCluster, vbucketOf, type ClusterStorage } from '../../fs-service/index.js';
import { Control } from '../../fs-service/control/etcd-control.js';
import { MapStore, StaleMapError } from '../../fs-service/control/map-store.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { Refusal } from '../../fs-service/wire/wire-errors.js';
import { ClusterHarness } from './cluster-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'fs-control-refusals-'));
const cluster = new ClusterHarness(root);
let client: ClusterStorage;
let control: Control;
const connections: ShardConnection[] = [];

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  client = await cluster.connect();
  control = await Control.open({ etcd: cluster.etcd });
});
afterAll(async () => {
  for (const c of connections) c.close();
  await client?.close();
  control?.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

/** Runs an entry point to its end (it must refuse to start), bounded. */
function run(entry: string, ...args: string[]): { status: number | null; stderr: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], { encoding: 'utf8', timeout: 40_000, env: { ...process.env, FS_CLUSTER_SECRET: '' } });
  return { status: child.status, stderr: child.stderr };
}

const etcdFlags = () => cluster.etcd.flatMap((e) => ['--etcd', e]);

describe('the control state refuses', () => {
  it('a wrong cluster secret: a client, a shard and a supervisor each stop at start with a message that says so', async () => {
    const attempt = connectCluster({ etcd: cluster.etcd, secret: 'not-the-cluster-secret', retryWindowMs: 2_000 });
    await expect(attempt).rejects.toMatchObject({ code: 'EACCES', message: expect.stringMatching(/cluster secret does not match the one cluster .* was created with/) });
    const shard = run('fs-service/shard/shard-main.ts', '--id', 's9', '--data', join(root, 's9'), '--secret', 'not-the-cluster-secret', ...etcdFlags());
    expect(shard.status).toBe(1);
    expect(shard.stderr).toContain('cluster secret does not match');
    const supervisor = run('fs-service/control/supervisor-main.ts', '--secret', 'not-the-cluster-secret', ...etcdFlags());
    expect(supervisor.status).toBe(1);
    expect(supervisor.stderr).toContain('cluster secret does not match');
    // Nothing of theirs reached the registry.
    expect((await control.ns.getAll().prefix('shards/').keys()).map((k) => control.relative(k)).sort()).toEqual(['shards/s1', 'shards/s2', 'shards/s3']);
  });

  it('a shard id claimed by a second live process: it waits for the holder to go, then refuses, and the holder keeps serving', async () => {
    const before = (await control.ns.get('shards/s1').string())!;
    const twice = run('fs-service/shard/shard-main.ts', '--id', 's1', '--data', join(root, 's1-again'), '--secret', cluster.secret, '--claim-wait', '1500', ...etcdFlags());
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(new RegExp(`shard id s1 is already registered by a live process at 127\\.0\\.0\\.1:${cluster.shards.get('s1')!.port}`));
    expect(await control.ns.get('shards/s1').string()).toBe(before);
    await client.repo('claimed').fs.promises.writeFile('/HEAD', 'still served');
    expect(await client.repo('claimed').fs.promises.readFile('/HEAD', 'utf8')).toBe('still served');
  });

  it('a map write based on a stale revision, or by a writer that does not lead the supervisors, and leaves the map as it was', async () => {
    const store = new MapStore(control);
    const current = (await store.read())!;
    const stale = store.write(current.map, current.revision - 1);
    await expect(stale).rejects.toBeInstanceOf(StaleMapError);
    await expect(stale).rejects.toThrow(`map write refused: it was based on map revision ${current.revision - 1}, but the map is at revision ${current.revision}`);
    // The right revision, but guarded by an election key that is not the leader's.
    await expect(store.write(current.map, current.revision, { key: 'election/supervisor/not-a-leader', createRevision: 1 })).rejects.toBeInstanceOf(StaleMapError);
    expect((await store.read())!.revision).toBe(current.revision);
  });

  it('an update replicated under an older term, and a client write stamped with an older epoch', async () => {
    await client.repo('fenced').fs.promises.writeFile('/HEAD', 'v1');
    const vb = vbucketOf('fenced');
    const map = client.map;
    const entry = map.vbuckets[vb]!;
    const replica = new ShardConnection(client.addressOf(entry.copies[1]!)!, cluster.secret, { requestTimeoutMs: 5_000 });
    connections.push(replica);
    const update = { op: 'replicate', from: entry.copies[0], vb, term: entry.term - 1, epoch: map.epoch, seq: 0, repo: 'fenced', effects: [] };
    const refused = await replica.request(update).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(Refusal);
    expect((refused as Refusal).reason).toBe('stale-term');
    const primary = new ShardConnection(client.addressOf(entry.copies[0]!)!, cluster.secret, { requestTimeoutMs: 5_000 });
    connections.push(primary);
    const write = { op: 'mutate', vb, repo: 'fenced', epoch: map.epoch - 1, mutation: { op: 'writeFile', path: '/HEAD' } };
    const old = await primary.request(write, [Buffer.from('old epoch')]).then(
      () => null,
      (err: unknown) => err,
    );
    expect((old as Refusal).reason).toBe('epoch-old');
    expect(await client.repo('fenced').fs.promises.readFile('/HEAD', 'utf8')).toBe('v1');
  });
});
