/**
 * A push's pack through the shard client over three real shard processes: 64 MiB written in
 * 4 MiB parts, two in flight, then renamed to its name; ref swaps go on meanwhile; every copy
 * holds the same bytes. A copy that was down while a big file arrived catches up by ranges, and
 * the primary never answers a catching-up copy with more than 4 MiB of a file at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type ClusterStorage, type RepoStore } from '../../fs-service/index.js';
import { MAX_RANGE_BYTES } from '../../fs-service/engine/path-safety.js';
import { FETCH_FILE_BYTES } from '../../fs-service/shard/catch-up-source.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { ClusterHarness } from './cluster-harness.js';
import { copyDigest, repoDir } from './copy-digest.js';

const REPO = 'big-push';
const PART = 4 * 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'fs-big-push-'));
const cluster = new ClusterHarness(root);
let client: ClusterStorage;

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  client = await cluster.connect({ retryWindowMs: 20_000 });
}, 60_000);
afterAll(async () => {
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

const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');
const incoming = () => `/objects/pack/incoming-${randomBytes(16).toString('hex')}.pack`;

/** As the front end streams a pack: parts of 4 MiB, `inFlight` at once, the header's count rewritten last. */
async function pushInParts(repo: RepoStore, whole: Buffer, inFlight: number): Promise<string> {
  const path = incoming();
  let next = 0;
  const worker = async () => {
    for (let offset = next; offset < whole.length; offset = next) {
      next += PART;
      await repo.writePart(path, offset, whole.subarray(offset, offset + PART));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  await repo.writePart(path, 8, whole.subarray(8, 12));
  return path;
}

/** The supervisor trusts the shard's current process and it has nothing left to copy. */
async function rejoined(id: string): Promise<boolean> {
  const status = (await cluster.adminRequest('GET', '/status')).body as { epoch: number; shards: Record<string, { alive: boolean; bootId: string; epoch: number; catchingUp: boolean }> };
  const map = (await cluster.adminRequest('GET', '/map')).body as { shards: Record<string, { bootId: string }> };
  const shard = status.shards[id]!;
  return shard.alive && shard.epoch === status.epoch && shard.catchingUp === false && map.shards[id]!.bootId === shard.bootId;
}

function copiesEqual(): boolean {
  const digests = [...cluster.shards.values()].map((m) => JSON.stringify(copyDigest(m.dataDir, REPO)));
  return digests.every((d) => d === digests[0]);
}

describe('a pack pushed in parts to a replicated cluster', () => {
  let firstPack = '';

  it('is byte-identical on every copy after 64 MiB in 4 MiB parts (two in flight) and a rename, and ref swaps are not held up by the parts', async () => {
    const repo = client.repo(REPO);
    await repo.fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
    const whole = randomBytes(64 * 1024 * 1024);
    whole.write('PACK', 0);

    let partsDone = false;
    const parts = pushInParts(repo, whole, 2).finally(() => (partsDone = true));
    let swapsDuringParts = 0;
    const swapMs: number[] = [];
    for (let i = 0; !partsDone && i < 10_000; i++) {
      const started = Date.now();
      const expected = i === 0 ? null : Buffer.from(String(i - 1));
      expect(await repo.compareAndSwap([{ path: '/refs/heads/main', expected, next: Buffer.from(String(i)) }])).toBe(true);
      swapMs.push(Date.now() - started);
      if (!partsDone) swapsDuringParts++;
    }
    const path = await parts;
    // Each part was acknowledged once a majority had it: read straight from the shards' folders
    // now, without waiting, at least two of the three copies hold every byte.
    const holders = [...cluster.shards.values()].filter((m) => {
      try {
        return readFileSync(join(repoDir(m.dataDir, REPO), path)).equals(whole);
      } catch {
        return false;
      }
    });
    expect(holders.length).toBeGreaterThanOrEqual(2);
    expect(swapsDuringParts).toBeGreaterThan(2);
    swapMs.sort((a, b) => a - b);
    console.info(`64 MiB in parts: ${swapsDuringParts} ref swaps completed meanwhile, median ${swapMs[swapMs.length >> 1]} ms, slowest ${swapMs[swapMs.length - 1]} ms`);

    firstPack = `/objects/pack/pack-${sha1(whole)}.pack`;
    await repo.rename(path, firstPack);
    // Replayed (a front end retrying after an unknown outcome): the published pack stays.
    await expect(repo.rename(path, firstPack)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await repo.fs.promises.stat(firstPack)).size).toBe(whole.length);
    expect((await repo.readRange(firstPack, whole.length - 10, 100)).equals(whole.subarray(whole.length - 10))).toBe(true);

    // Acknowledged once a majority had each part; the third copy follows in stream order.
    await waitFor('the three copies to compare equal', copiesEqual);
    for (const member of cluster.shards.values()) {
      const digest = copyDigest(member.dataDir, REPO);
      expect(digest[firstPack], member.id).toBe(sha1(whole));
      expect(Object.keys(digest).filter((p) => p.includes('incoming-')), member.id).toEqual([]);
    }
  }, 120_000);

  it('shows its rename to another front end that cached the pack folder listing (the rename moves the repository generation)', async () => {
    const reader = await cluster.connect();
    try {
      const repo = reader.repo('listing');
      const writer = client.repo('listing');
      const whole = randomBytes(PART + 100);
      const path = await pushInParts(writer, whole, 2);
      const incomingName = path.slice('/objects/pack/'.length);
      expect(await repo.fs.promises.readdir('/objects/pack')).toEqual([incomingName]);
      // Cached: asked again while nothing changed, the listing costs no round trip.
      const trips = reader.roundTrips.total;
      expect(await repo.fs.promises.readdir('/objects/pack')).toEqual([incomingName]);
      expect(reader.roundTrips.total).toBe(trips);

      const pack = `/objects/pack/pack-${sha1(whole)}.pack`;
      await writer.rename(path, pack);
      // As every isomorphic-git command starts: stat of the gitdir, whose answer carries the generation.
      await repo.fs.promises.stat('/');
      expect(await repo.fs.promises.readdir('/objects/pack')).toEqual([pack.slice('/objects/pack/'.length)]);
      expect((await repo.readRange(pack, 0, 2 * PART)).equals(whole)).toBe(true);
    } finally {
      await reader.close();
    }
  }, 60_000);

  it('reaches a copy that was down while it was pushed by a ranged copy, never more than 4 MiB per answer', async () => {
    const repo = client.repo(REPO);
    const vb = vbucketOf(REPO);
    const [primary, , copy] = client.map.vbuckets[vb]!.copies as [string, string, string];
    await cluster.kill(copy);

    const whole = randomBytes(2 * PART + 12345);
    const pack = `/objects/pack/pack-${sha1(whole)}.pack`;
    await repo.rename(await pushInParts(repo, whole, 2), pack);
    await repo.fs.promises.writeFile('/refs/heads/main', 'after the second pack');
    expect(copyDigest(cluster.shards.get(copy)!.dataDir, REPO)[pack]).toBeUndefined();

    await cluster.restart(copy);
    await waitFor(`${copy} to rejoin`, () => rejoined(copy));
    await waitFor('the three copies to compare equal', copiesEqual);
    expect(readFileSync(join(repoDir(cluster.shards.get(copy)!.dataDir, REPO), pack)).equals(whole)).toBe(true);
    // Said in the copy's log, which reaches its file through a pipe: waited for, not read once.
    const copiedByRanges = () =>
      cluster
        .log(copy)
        .split('\n')
        .filter((line) => line.includes('copied a big file by ranges'))
        .map((line) => JSON.parse(line) as { path: string; bytes: number; ranges: number })
        .some((entry) => entry.path === `${REPO}${pack}` && entry.bytes === whole.length && entry.ranges === Math.ceil(whole.length / FETCH_FILE_BYTES));
    await waitFor(`${copy} to log that it copied the pack by ranges`, copiedByRanges, 10_000);

    // The primary's side, asked as the copy asks it, over a connection that refuses any message
    // over 4 MiB and a little: the big files are named "over", then served range by range.
    const map = client.map;
    const member = cluster.shards.get(map.vbuckets[vb]!.copies[0]!)!;
    expect(member.id).toBe(primary);
    const connection = new ShardConnection(`127.0.0.1:${member.port}`, cluster.secret, { requestTimeoutMs: 30_000, maxPayload: FETCH_FILE_BYTES + 64 * 1024 });
    try {
      const term = map.vbuckets[vb]!.term;
      const named = [`${REPO}${firstPack}`, `${REPO}${pack}`, `${REPO}/HEAD`];
      const reply = await connection.request({ op: 'fetch', vb, term, paths: named, limit: FETCH_FILE_BYTES });
      expect(reply.header.over).toEqual([0, 1]);
      expect(reply.parts.map((p) => p?.toString() ?? null)).toEqual([null, null, 'ref: refs/heads/main\n']);
      const hash = createHash('sha1');
      for (let offset = 0; ; offset += FETCH_FILE_BYTES) {
        const range = await connection.request({ op: 'fetchRange', vb, term, path: `${REPO}${pack}`, offset, length: FETCH_FILE_BYTES });
        hash.update(range.parts[0]!);
        if (range.parts[0]!.length < FETCH_FILE_BYTES) break;
      }
      expect(hash.digest('hex')).toBe(sha1(whole));
      await expect(connection.request({ op: 'fetch', vb, term: term + 1, paths: named })).rejects.toMatchObject({ code: 'ESTALE' });
      // Malformed asks are refused, not answered with a bigger message.
      const refused: [string, Record<string, unknown>][] = [
        ['fetch limit over the range bound', { op: 'fetch', paths: named, limit: MAX_RANGE_BYTES + 1 }],
        ['negative fetch limit', { op: 'fetch', paths: named, limit: -1 }],
        ['fetch of too many paths', { op: 'fetch', paths: Array.from({ length: 257 }, () => named[2]) }],
        ['fetch with a path that escapes', { op: 'fetch', paths: [`${REPO}/../../etc/passwd`] }],
        ['range over the range bound', { op: 'fetchRange', path: `${REPO}${pack}`, offset: 0, length: MAX_RANGE_BYTES + 1 }],
        ['negative range offset', { op: 'fetchRange', path: `${REPO}${pack}`, offset: -1, length: 10 }],
        ['range without a path', { op: 'fetchRange', offset: 0, length: 10 }],
      ];
      for (const [label, ask] of refused) {
        const code = await connection.request({ vb, term, ...ask }).then(
          () => 'answered',
          (err: { code?: string }) => err.code,
        );
        expect(`${label}: ${code}`).toBe(`${label}: EINVAL`);
      }
    } finally {
      connection.close();
    }

    // A copy of an older version asks without a limit and reads a missing file as deleted: it
    // gets the big file whole, as before, never an "over" it would not understand.
    const older = new ShardConnection(`127.0.0.1:${member.port}`, cluster.secret, { requestTimeoutMs: 30_000 });
    try {
      const reply = await older.request({ op: 'fetch', vb, term: map.vbuckets[vb]!.term, paths: [`${REPO}${pack}`] });
      expect(reply.header.over).toEqual([]);
      expect(reply.parts[0]?.equals(whole)).toBe(true);
    } finally {
      older.close();
    }
  }, 120_000);
});
