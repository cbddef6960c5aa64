/**
 * kill -9 of the leading supervisor during REST writes through nginx (one front end), then kill -9 of the primary
 * shard of the written repository while the standby is taking over: the leader's death alone
 * changes no map (no failover), writes resume within 10 s of the shard kill, nothing acknowledged
 * is lost, and once the shard is started again every copy converges to the same bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, getPath, mustPut, putFile, type Api } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';
import { describe as list, faultUnderLoad, loop, ok, sleep, type Outcome } from './helpers/load.js';

const REPO = 'leader-kill';
const RESUME_WITHIN_MS = 10_000;

describe('kill -9 of the leading supervisor, then of a primary shard while the standby takes over', () => {
  let cluster: TestCluster;
  let api: Api;

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 1, name: 'leader-kill' });
    api = { base: cluster.url, auth: cluster.auth };
    await createRepo(api, REPO);
    await mustPut(api, REPO, 'docs/start.md', 'start\n');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('costs no failover by itself, writes resume within 10 s of the shard kill, nothing acknowledged is lost, copies converge', async () => {
    const leader = await cluster.leaderRole();
    const { role: victim, vb, map: before } = await cluster.primaryOf(REPO);
    const writes: { path: string; content: string; res: Outcome }[] = [];
    const reads: Outcome[] = [];
    let shardKilledAt = 0;
    let epochAfterLeaderKill = 0;
    await faultUnderLoad({
      traffic: (stop) => {
        const limits = (iterations: number) => ({ iterations, until: Date.now() + 60_000, stop });
        return Promise.all([
          loop(3, limits(400), async (worker, i) => {
            const path = `w/${worker}-${i}.txt`;
            const content = `${worker} ${i} ${Math.random()}\n`;
            writes.push({ path, content, res: await putFile(api, REPO, path, content) });
          }),
          loop(2, limits(2_000), async () => {
            reads.push(await getPath(api, REPO, 'docs/start.md'));
            await sleep(25);
          }),
        ]);
      },
      warm: () => writes.filter((w) => ok(w.res)).length >= 5,
      warmWithinMs: 30_000,
      fault: async () => {
        await cluster.kill9(leader);
        // The standby needs the old leader's election lease (2 s) to run out: the shard dies meanwhile.
        await sleep(500);
        epochAfterLeaderKill = (await cluster.map()).epoch;
        await cluster.kill9(victim);
        shardKilledAt = Date.now();
      },
      afterMs: 12_000,
    });

    expect(epochAfterLeaderKill, 'the leader supervisor dying must not change the map').toBe(before.epoch);
    const after = writes.filter((w) => w.res.start >= shardKilledAt && ok(w.res));
    expect(after.length).toBeGreaterThan(0);
    const resumedMs = Math.min(...after.map((w) => w.res.end)) - shardKilledAt;
    const map = await cluster.map();
    const status = await cluster.supervisorStatus();
    console.info(
      `leader ${leader} then primary ${victim} of vbucket ${vb} killed: new leader ${status.leader?.name}, new primary ${map.vbuckets[vb]!.copies[0]}, epoch ${before.epoch} -> ${map.epoch}; ` +
        `first write sent after the shard kill acknowledged after ${resumedMs} ms; ${writes.length} writes, ${writes.filter((w) => !ok(w.res)).length} failed`,
    );
    expect(resumedMs).toBeLessThanOrEqual(RESUME_WITHIN_MS);
    expect(status.leader?.name).not.toBe(leader);
    expect(map.vbuckets[vb]!.copies[0]).not.toBe(victim.replace('shard-', ''));
    expect(reads.filter((r) => !ok(r)), list(reads.filter((r) => !ok(r)))).toEqual([]);
    const odd = writes.filter((w) => !(ok(w.res) || w.res.status === 0 || w.res.status >= 500));
    expect(odd.map((w) => w.res), list(odd.map((w) => w.res))).toEqual([]);

    const lost: string[] = [];
    for (const w of writes.filter((x) => ok(x.res))) {
      const read = await getPath(api, REPO, w.path);
      if (read.status !== 200 || read.text !== w.content) lost.push(`${w.path}: ${read.status}`);
    }
    expect(lost).toEqual([]);

    await cluster.restartShard(victim);
    const back = await cluster.rejoined(victim);
    expect(back.ok, back.detail).toBe(true);
    await mustPut(api, REPO, 'after-restart.txt', 'all copies\n');
    const converged = await cluster.copiesConverge(REPO);
    expect(converged.ok, converged.detail).toBe(true);
  }, 180_000);
});
