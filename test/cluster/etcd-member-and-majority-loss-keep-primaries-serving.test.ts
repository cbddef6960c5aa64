/**
 * A cluster over a 3-member etcd, REST through nginx. kill -9 of one etcd member changes nothing
 * for clients. With two members down (no quorum) reads and writes on existing primaries go on for
 * longer than any lease, a primary shard killed then is not replaced (nobody can change the map),
 * and once etcd is back it is, and writes to its repositories resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf } from '../../fs-service/index.js';
import { createRepo, getPath, putFile, type Api } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';
import { describe as list, eventually, ok, sleep, type Outcome } from './helpers/load.js';

const A = 'etcd-loss-a';

describe('etcd member and majority loss (3 etcd members, 3 shards, 3 copies, nginx)', () => {
  let cluster: TestCluster;
  let api: Api;
  let B = '';

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 1, etcdMembers: 3, name: 'etcd-loss' });
    api = { base: cluster.url, auth: cluster.auth };
    const map = await cluster.map();
    const primary = (repo: string) => map.vbuckets[vbucketOf(repo)]!.copies[0];
    // B is led by another shard than A, so it keeps a live primary when A's is killed.
    B = Array.from({ length: 50 }, (_, i) => `etcd-loss-b${i}`).find((name) => primary(name) !== primary(A))!;
    await createRepo(api, A);
    await createRepo(api, B);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** `count` writes then reads of each repository, one after the other. */
  async function roundTrip(repos: string[], tag: string, count: number): Promise<Outcome[]> {
    const failed: Outcome[] = [];
    for (let i = 0; i < count; i++) {
      for (const repo of repos) {
        const content = `${tag} ${i}\n`;
        const put = await putFile(api, repo, `${tag}/${i}.txt`, content);
        if (!ok(put)) failed.push(put);
        const read = await getPath(api, repo, `${tag}/${i}.txt`);
        if (!ok(read) || read.text !== content) failed.push(read);
      }
    }
    return failed;
  }

  it('one member down changes nothing; two down keep existing primaries serving and freeze the map until etcd is back', async () => {
    const epoch = (await cluster.map()).epoch;
    await cluster.kill9('etcd-e1');
    const oneDown = await roundTrip([A, B], 'one-down', 5);
    expect(oneDown, list(oneDown)).toEqual([]);
    expect((await cluster.map()).epoch).toBe(epoch);

    await cluster.kill9('etcd-e2');
    const lostAt = Date.now();
    // Longer than two lease TTLs (2 s): primaries kept acting because etcd provably has no quorum.
    const noQuorum: Outcome[] = [];
    while (Date.now() - lostAt < 6_000) noQuorum.push(...(await roundTrip([A, B], `no-quorum-${Date.now()}`, 1)));
    expect(noQuorum, list(noQuorum)).toEqual([]);

    const { role: victim, vb } = await cluster.primaryOf(A);
    await cluster.kill9(victim);
    await sleep(5_000);
    // Nobody can expire its lease or write a map: it is not replaced, B (other primary) still writes.
    expect((await cluster.map()).vbuckets[vb]!.copies[0]).toBe(victim.replace('shard-', ''));
    const stillB = await roundTrip([B], 'b-while-a-is-down', 2);
    expect(stillB, list(stillB)).toEqual([]);

    const backAt = Date.now();
    await Promise.all([cluster.restartRecorded('etcd-e1'), cluster.restartRecorded('etcd-e2')]);
    const replaced = await eventually(async () => (await cluster.map().catch(() => null))?.vbuckets[vb]!.copies[0] !== victim.replace('shard-', ''), 60_000, 250);
    expect(replaced, `${victim} was not replaced after etcd came back`).toBe(true);
    const resumed = await eventually(async () => ok(await putFile(api, A, 'after-etcd.txt', 'back\n')), 30_000, 250);
    expect(resumed).toBe(true);
    console.info(`etcd majority back: ${victim} replaced and A written again ${Date.now() - backAt} ms later; map epoch ${epoch} -> ${(await cluster.map()).epoch}`);
    const after = await roundTrip([A, B], 'after', 3);
    expect(after, list(after)).toEqual([]);
  }, 240_000);
});
