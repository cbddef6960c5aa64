/**
 * Monotonic reads across copies: every answer carries the stream position of the vbucket it
 * reflects, and a read that names a position (what its client has already seen) is answered
 * only by a copy that holds at least that much. A replica behind waits a moment for its stream,
 * then refuses as not ready, so a client falling back to it during a failover is never shown an
 * older state than it already read (a ref from one copy, its objects missing on another).
 * Real etcd, three shard processes, a supervisor; raw frames to one copy at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type ClusterStorage } from '../../fs-service/index.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { ClusterHarness } from './cluster-harness.js';

const REPO = 'monotonic';
const root = mkdtempSync(join(tmpdir(), 'fs-monotonic-'));
const cluster = new ClusterHarness(root);
let client: ClusterStorage;
const connections: ShardConnection[] = [];

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  client = await cluster.connect();
});
afterAll(async () => {
  for (const c of connections) c.close();
  await client?.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

function connect(id: string): ShardConnection {
  const c = new ShardConnection(`127.0.0.1:${cluster.shards.get(id)!.port}`, cluster.secret, { requestTimeoutMs: 10_000 });
  connections.push(c);
  return c;
}

describe('reads name what their client has seen', () => {
  it('a copy answers with its position, a replica behind it waits for its stream or refuses, and a later term counts as past', async () => {
    const repo = client.repo(REPO);
    await repo.fs.promises.writeFile('/refs/heads/main', 'one');
    await repo.fs.promises.writeFile('/refs/heads/main', 'two');
    const vb = vbucketOf(REPO);
    const map = client.map;
    const [primaryId, replicaId] = map.vbuckets[vb]!.copies as [string, string];
    const primary = connect(primaryId);
    const replica = connect(replicaId);
    const read = (c: ShardConnection, after?: [number, number]) =>
      c.request({ op: 'readFile', vb, repo: REPO, epoch: map.epoch, path: '/refs/heads/main', ...(after === undefined ? {} : { after }) });

    // The primary's answer says how far the stream it reflects goes.
    const fromPrimary = await read(primary);
    const [term, seq] = fromPrimary.header.pos as [number, number];
    expect(term).toBe(map.vbuckets[vb]!.term);
    expect(seq).toBeGreaterThanOrEqual(2);
    expect(fromPrimary.parts[0]!.toString()).toBe('two');

    // Asked for that position, the replica holds it (or waits for it) and says so.
    const fromReplica = await read(replica, [term, seq]);
    expect(fromReplica.parts[0]!.toString()).toBe('two');
    const [rTerm, rSeq] = fromReplica.header.pos as [number, number];
    expect(rTerm === term && rSeq >= seq).toBe(true);

    // A position it will not reach soon: refused as not ready (changed nothing), after a bounded wait.
    const started = Date.now();
    await expect(read(replica, [term, seq + 1_000])).rejects.toMatchObject({ reason: 'not-ready', message: expect.stringMatching(/has not yet applied what the client has seen/) });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(5_000);
    // A term it does not follow yet is past anything it holds; an earlier term is behind it.
    await expect(read(replica, [term + 1, 0])).rejects.toMatchObject({ reason: 'not-ready' });
    expect((await read(replica, [term - 1, 1_000_000])).parts[0]!.toString()).toBe('two');
    // A primary of an older term than the client has seen must not answer either.
    await expect(read(primary, [term + 1, 0])).rejects.toMatchObject({ reason: 'not-ready', message: expect.stringMatching(/leads vbucket \d+ in term/) });

    // A write's answer carries the position too, past what the reads saw.
    const written = await primary.request({ op: 'mutate', vb, repo: REPO, epoch: map.epoch, mutation: { op: 'writeFile', path: '/refs/heads/main' } }, [Buffer.from('three')]);
    const [wTerm, wSeq] = written.header.pos as [number, number];
    expect(wTerm === term && wSeq > seq).toBe(true);
    expect((await read(replica, [wTerm, wSeq])).parts[0]!.toString()).toBe('three');
  }, 60_000);
});
