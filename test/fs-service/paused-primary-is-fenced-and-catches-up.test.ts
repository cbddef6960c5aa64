/**
 * SIGSTOP of a primary shard for longer than its etcd lease: the lease expires, a new primary is
 * elected, and writes go on through it. After SIGCONT the old primary acknowledges nothing: a
 * write a client sent it while it was paused, and one sent after it woke on the connection it
 * held, are both refused. It comes back as a new incarnation and its copy catches up from the
 * new primary until every copy is identical. Real etcd, shards and two supervisors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type ClusterStorage } from '../../fs-service/index.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { ClusterHarness } from './cluster-harness.js';
import { copyDigest } from './copy-digest.js';

const REPO = 'paused';
const root = mkdtempSync(join(tmpdir(), 'fs-paused-primary-'));
const cluster = new ClusterHarness(root);
let client: ClusterStorage;
let held: ShardConnection | null = null;

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  await cluster.startSupervisor();
  client = await cluster.connect({ retryWindowMs: 20_000 });
});
afterAll(async () => {
  held?.close();
  await client?.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'acknowledged',
    (err: { code?: string; reason?: string; message?: string }) => `${err.code} ${err.reason ?? ''} ${err.message}`,
  );

describe('a primary paused longer than its etcd lease', () => {
  it('is replaced, acknowledges nothing after it wakes, and its copy catches up', async () => {
    const repo = client.repo(REPO);
    await repo.fs.promises.writeFile('/refs/heads/main', 'before the pause');
    const vb = vbucketOf(REPO);
    const before = client.map;
    const paused = before.vbuckets[vb]!.copies[0]!;
    const member = cluster.shards.get(paused)!;
    held = new ShardConnection(`127.0.0.1:${member.port}`, cluster.secret, { requestTimeoutMs: 60_000 });
    await held.request({ op: 'ping' });
    const write = (text: string) => held!.request({ op: 'mutate', vb, repo: REPO, epoch: before.epoch, mutation: { op: 'writeFile', path: '/refs/heads/main' } }, [Buffer.from(text)]);

    process.kill(member.child.pid!, 'SIGSTOP');
    const stoppedAt = Date.now();
    // Sent to the paused process: it reads it only after SIGCONT.
    const sentWhilePaused = outcome(write('written by the paused primary'));
    // A new primary is elected once the lease (2 s) expired in etcd, and takes writes.
    await waitFor('a new primary', async () => {
      await client.refreshMap();
      return client.map.vbuckets[vb]!.copies[0] !== paused;
    });
    await repo.fs.promises.writeFile('/refs/heads/main', 'through the new primary');
    const replacedMs = Date.now() - stoppedAt;
    process.kill(member.child.pid!, 'SIGCONT');

    expect(await sentWhilePaused).toMatch(/^ESTALE fenced/);
    expect(await outcome(write('written after the wake-up'))).toMatch(/^ESTALE (fenced|epoch-old|not-ready)/);
    expect(await repo.fs.promises.readFile('/refs/heads/main', 'utf8')).toBe('through the new primary');
    console.info(`${paused} paused: new primary ${client.map.vbuckets[vb]!.copies[0]} acknowledged a write ${replacedMs} ms after SIGSTOP`);

    // It registered again as a new incarnation, was adopted, and caught up from the new primary.
    await waitFor('the woken shard to be adopted', () => cluster.log(paused).includes('registering again as a new incarnation'));
    await waitFor(
      'the woken shard to be adopted and caught up',
      async () => {
        const status = (await cluster.adminRequest('GET', '/status')).body as { shards: Record<string, { bootId: string; live: boolean; catchingUp: boolean }> };
        const map = (await cluster.adminRequest('GET', '/map')).body as { shards: Record<string, { bootId: string }> };
        const s = status.shards[paused]!;
        return s.live && s.catchingUp === false && map.shards[paused]!.bootId === s.bootId;
      },
      30_000,
    );
    await repo.fs.promises.writeFile('/refs/heads/main', 'after the catch-up');
    await waitFor('every copy to be identical', () => {
      const digests = [...cluster.shards.values()].map((m) => JSON.stringify(copyDigest(m.dataDir, REPO)));
      return digests.every((d) => d === digests[0]);
    });
    expect(copyDigest(member.dataDir, REPO)['/refs/heads/main']).toBeDefined();
  }, 120_000);
});
