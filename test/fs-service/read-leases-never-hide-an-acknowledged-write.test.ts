import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type ClusterStorage } from '../../fs-service/index.js';
import { LEASE_MS } from '../../fs-service/shard/read-leases.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import type { Frame } from '../../fs-service/wire/wire-codec.js';
import { ClusterHarness } from './cluster-harness.js';

const root = mkdtempSync(join(tmpdir(), 'fs-leases-'));
const cluster = new ClusterHarness(root);
const clients: ClusterStorage[] = [];
const REPO = 'leased';
const META = '/repository.json';
const MAIN = '/refs/heads/main';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let writer: ClusterStorage;
let reader: ClusterStorage;
let version = 0;

async function connect(): Promise<ClusterStorage> {
  const client = await cluster.connect();
  clients.push(client);
  return client;
}

/** Moves main one version on through `via`, with a compare-and-swap that must win. */
async function advance(via: ClusterStorage): Promise<string> {
  const next = `v${version + 1}\n`;
  expect(await via.repo(REPO).compareAndSwap([{ path: MAIN, expected: Buffer.from(`v${version}\n`), next: Buffer.from(next) }])).toBe(true);
  version++;
  return next;
}

async function readMain(via: ClusterStorage): Promise<string | undefined> {
  const [meta, main] = await via.repo(REPO).readMany([META, MAIN]);
  expect(meta?.toString()).toBe('{}');
  return main?.toString();
}

async function trips(via: ClusterStorage, run: () => Promise<unknown>): Promise<number> {
  via.resetRoundTrips();
  await run();
  return via.roundTrips.total;
}

/**
 * Round trips of `run`, right after a read that took a lease at `leasedAt`: none while the lease
 * lasts. A box stalled past the lease's end may renew it once (not a stale answer).
 */
async function tripsUnderLease(via: ClusterStorage, leasedAt: number, run: () => Promise<unknown>): Promise<void> {
  const n = await trips(via, run);
  if (performance.now() - leasedAt < LEASE_MS - 150) expect(n).toBe(0);
  else expect(n).toBeLessThanOrEqual(1);
}

/** A raw connection to the repository's primary, for a holder that never answers. */
function primaryOf(storage: ClusterStorage): { url: string; vb: number; epoch: number } {
  const map = storage.map;
  const vb = vbucketOf(REPO);
  return { url: storage.addressOf(map.vbuckets[vb]!.copies[0]!)!, vb, epoch: map.epoch };
}

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  writer = await connect();
  reader = await connect();
  const repo = writer.repo(REPO);
  expect(await repo.createExclusive(META, '{}')).toBe(true);
  expect(await repo.createExclusive(MAIN, 'v0\n')).toBe(true);
}, 120_000);
afterAll(async () => {
  for (const client of clients) await client.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('read leases', () => {
  it('answer warm reads of refs and metadata from memory until the lease runs out', async () => {
    const leasedAt = performance.now();
    expect(await trips(reader, () => readMain(reader))).toBe(1);
    await tripsUnderLease(reader, leasedAt, () => Promise.all(Array.from({ length: 20 }, () => readMain(reader))));
    await sleep(LEASE_MS + 50);
    expect(await trips(reader, () => readMain(reader))).toBe(1);
  });

  it('never hide a write acknowledged through another client, even with reads on their way', async () => {
    await readMain(reader);
    reader.resetRoundTrips();
    for (let i = 0; i < 60; i++) {
      // Reads racing the write may see either version; none may outlive the acknowledgement.
      const racing = Promise.all(Array.from({ length: 4 }, () => readMain(reader)));
      const written = await advance(writer);
      expect(await readMain(reader)).toBe(written);
      for (const seen of await racing) expect([`v${version - 1}\n`, written]).toContain(seen);
      for (let k = 0; k < 5; k++) expect(await readMain(reader)).toBe(written);
    }
    // Each write costs the reader about one read of the shard; the 600 other reads came from memory.
    expect(reader.roundTrips.total).toBeLessThan(60 * 6);
  });

  it("show a client its own write at once (it is revoked before the write's answer)", async () => {
    await readMain(writer);
    for (let i = 0; i < 20; i++) {
      const written = await advance(writer);
      expect(await readMain(writer)).toBe(written);
    }
  });

  it('let a holder that never answers delay a write by at most one lease', async () => {
    const { url, vb, epoch } = primaryOf(writer);
    const silent = new ShardConnection(url, cluster.secret);
    const meddler = new ShardConnection(url, cluster.secret);
    const pushed: Frame[] = [];
    silent.onPush((frame) => {
      pushed.push(frame);
      // Another connection answering for the silent holder must not end the wait.
      void meddler.request({ op: 'leaseAck', pid: frame.header.pid });
    });
    try {
      const asked = performance.now();
      const granted = await silent.request({ op: 'readMany', repo: REPO, vb, epoch, paths: [MAIN], lease: true });
      expect(granted.header.lease).toBe(LEASE_MS);
      const started = performance.now();
      const written = await advance(writer);
      // Not acknowledged before the lease (counted by the primary from after `asked`) ran out...
      expect(performance.now() - asked).toBeGreaterThan(LEASE_MS - 50);
      // ...and not much later either.
      expect(performance.now() - started).toBeLessThan(LEASE_MS + 5_000);
      expect(pushed.map((f) => f.header)).toEqual([expect.objectContaining({ push: 'revoke', repo: REPO })]);
      expect(await readMain(reader)).toBe(written);
      // Operators can see it: the primary counts the revocation that ran out.
      const metrics = await (await fetch(`http://${url}/metrics`, { headers: { authorization: `Bearer ${cluster.secret}` } })).text();
      expect(metrics).toMatch(/fs_service_lease_revocations_total\{outcome="expired"\} [1-9]/);
      expect(metrics).toMatch(/fs_service_lease_revocations_total\{outcome="acknowledged"\} [1-9]/);
    } finally {
      silent.close();
      meddler.close();
    }
  });

  it('are granted only when asked for with `lease: true`, and ignore nonsense acknowledgements', async () => {
    const { url, vb, epoch } = primaryOf(writer);
    const raw = new ShardConnection(url, cluster.secret);
    const pushed: Frame[] = [];
    raw.onPush((frame) => void pushed.push(frame));
    try {
      for (const lease of ['yes', 1, null, {}]) {
        const answer = await raw.request({ op: 'readMany', repo: REPO, vb, epoch, paths: [MAIN], lease });
        expect(answer.header.lease).toBeUndefined();
      }
      for (const pid of ['1', -1, null, 1e300, { pid: 1 }]) expect((await raw.request({ op: 'leaseAck', pid })).header.ok).toBe(true);
      // None was granted: the next write revokes nothing on this connection.
      await advance(writer);
      expect(pushed).toEqual([]);
    } finally {
      raw.close();
    }
  });

  it('are dropped with the connection when the primary dies; the new primary’s writes are seen', async () => {
    const leasedAt = performance.now();
    expect(await readMain(reader)).toBe(`v${version}\n`);
    await tripsUnderLease(reader, leasedAt, () => readMain(reader));
    const vb = vbucketOf(REPO);
    const primary = writer.map.vbuckets[vb]!.copies[0]!;
    await cluster.kill(primary);
    await sleep(200); // the reader notices the closed connection
    // Inside the lease's second, yet asked of a shard (a copy) rather than answered from memory.
    expect(await trips(reader, () => readMain(reader))).toBeGreaterThan(0);
    // Once a copy has taken over, its writes are seen through the reader at once.
    const deadline = Date.now() + 30_000;
    while (writer.map.vbuckets[vb]!.copies[0] === primary) {
      if (Date.now() > deadline) throw new Error('no failover within 30 s');
      await sleep(100);
      await writer.refreshMap();
    }
    const written = await advance(writer);
    expect(await readMain(reader)).toBe(written);
    expect(await readMain(reader)).toBe(written);
  }, 60_000);
});
