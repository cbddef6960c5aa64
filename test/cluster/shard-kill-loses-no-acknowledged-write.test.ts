/**
 * kill -9 of the shard that is primary of the test repository's vbucket, during mixed REST and
 * git traffic through nginx: reads go on, writes resume within 10 s, no acknowledged write is
 * lost, and once the shard is started again (same id, port, data, secret) every copy of the
 * repository converges to the same bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBranch, createRepo, getPath, mustPut, putFile, type Api } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';
import { authConfig, freshClone, GitSandbox, gitUrl, missingFromHistory, newPushLog, pushLoop } from './helpers/git.js';
import { describe as list, faultUnderLoad, loop, ok, sleep, type Outcome } from './helpers/load.js';

const REPO = 'shard-kill';
/** The bound for writes to work again after the primary died. */
const RESUME_WITHIN_MS = 10_000;
const REST_BRANCH = 'rest';

describe('kill -9 of the primary shard of a repository (3 shards, 3 copies, 2 front ends, nginx)', () => {
  let cluster: TestCluster;
  let api: Api;
  let git: GitSandbox;

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 2, name: 'shard-kill' });
    api = { base: cluster.url, auth: cluster.auth };
    git = new GitSandbox();
    await createRepo(api, REPO);
    for (let i = 0; i < 5; i++) await mustPut(api, REPO, `docs/f${i}.md`, `file ${i}\n`);
    await createBranch(api, REPO, REST_BRANCH);
  });

  afterAll(async () => {
    await cluster?.stop();
    git?.cleanup();
  });

  it('reads continue, writes resume within 10 s, nothing acknowledged is lost, and the copies converge after the restart', async () => {
    const { role: victim, vb, map: before } = await cluster.primaryOf(REPO);
    const url = gitUrl(cluster.url, REPO);
    const reads: Outcome[] = [];
    const gitReads: { at: number; code: number; stderr: string }[] = [];
    const writes: { path: string; content: string; res: Outcome }[] = [];
    const pushes = newPushLog();
    // After the kill: long enough to see writes come back and keep going; bounded anyway.
    const killedAt = await faultUnderLoad({
      traffic: (stop) => {
        const limits = (iterations: number) => ({ iterations, until: Date.now() + 60_000, stop });
        return Promise.all([
          loop(4, limits(5_000), async (worker, i) => {
            reads.push(await getPath(api, REPO, (worker + i) % 3 === 0 ? 'docs' : `docs/f${(worker + i) % 5}.md`));
            await sleep(20);
          }),
          // REST writes go to their own branch of the same repository (same vbucket, same primary):
          // on main they would keep every push stale (a correct rejection, but no push traffic);
          // writes-through-every-front-end-share-one-history covers both on one branch.
          loop(3, limits(500), async (worker, i) => {
            const path = `rest/w${worker}-${i}.txt`;
            const content = `rest ${worker} ${i} ${Math.random()}\n`;
            writes.push({ path, content, res: await putFile(api, REPO, path, content, REST_BRANCH) });
          }),
          loop(1, limits(500), async () => {
            const r = await git.run([...authConfig(cluster.token), 'ls-remote', url, 'refs/heads/main']);
            gitReads.push({ at: Date.now(), code: r.code, stderr: r.stderr });
          }),
          pushLoop(git, url, cluster.token, 'pusher', limits(200), pushes, 20),
        ]);
      },
      // Some of everything before the kill, so the victim is known to be in the write path.
      warm: () => writes.filter((w) => ok(w.res)).length >= 3 && pushes.acknowledged.length >= 1 && reads.length >= 20,
      warmWithinMs: 30_000,
      fault: () => cluster.kill9(victim),
      afterMs: 12_000,
    });

    // Reads went on: REST GETs and git ref advertisements alike.
    const failedReads = reads.filter((o) => !ok(o));
    expect(failedReads, list(failedReads)).toEqual([]);
    expect(reads.filter((o) => o.start > killedAt).length).toBeGreaterThan(20);
    expect(gitReads.filter((r) => r.code !== 0)).toEqual([]);

    // Writes resumed: the first REST write sent after the kill that succeeded, within the bound.
    const after = writes.filter((w) => w.res.start >= killedAt && ok(w.res));
    expect(after.length).toBeGreaterThan(0);
    const resumedMs = Math.min(...after.map((w) => w.res.end)) - killedAt;
    const pushResumedMs = Math.min(...pushes.acknowledged.filter((p) => p.at > killedAt).map((p) => p.at)) - killedAt;
    const map = await cluster.map();
    console.info(
      `primary ${victim} of vbucket ${vb} killed: map epoch ${before.epoch} -> ${map.epoch}, new primary ${map.vbuckets[vb]!.copies[0]}; ` +
        `first REST write sent after the kill acknowledged after ${resumedMs} ms, first push after ${pushResumedMs} ms; ` +
        `${writes.length} REST writes (${writes.filter((w) => !ok(w.res)).length} errors), ${pushes.acknowledged.length} pushes acknowledged, ` +
        `${pushes.failed.length} failed, ${pushes.rejected} rejected as stale`,
    );
    expect(resumedMs).toBeLessThanOrEqual(RESUME_WITHIN_MS);
    expect(map.vbuckets[vb]!.copies[0]).not.toBe(victim.replace('shard-', ''));
    // Every answer is a success or an error; nothing in between.
    const odd = writes.filter((w) => !(ok(w.res) || w.res.status === 0 || w.res.status >= 500));
    expect(odd.map((w) => w.res), list(odd.map((w) => w.res))).toEqual([]);

    // Nothing acknowledged is lost: REST writes read back through nginx, pushes in a fresh clone.
    const lost: string[] = [];
    for (const w of writes.filter((x) => ok(x.res))) {
      const read = await getPath(api, REPO, w.path, REST_BRANCH);
      if (read.status !== 200 || read.text !== w.content) lost.push(`${w.path}: ${read.status}`);
    }
    lost.push(...missingFromHistory(await freshClone(git, url, cluster.token, 'check-after-kill'), pushes.acknowledged));
    const restHistory = await freshClone(git, url, cluster.token, 'check-rest-branch', REST_BRANCH);
    for (const w of writes.filter((x) => ok(x.res))) if (restHistory.read(w.path) !== w.content) lost.push(`${w.path} not in a clone of ${REST_BRANCH}`);
    expect(lost).toEqual([]);

    // Start the shard again as the launcher did; it catches up before it serves.
    const restartedAt = Date.now();
    await cluster.restartShard(victim);
    const back = await cluster.rejoined(victim);
    expect(back.ok, back.detail).toBe(true);
    const rejoinedMs = Date.now() - restartedAt;
    // One more write replicated to all three copies, then a quiet moment, then compare bytes.
    await mustPut(api, REPO, 'after-restart.txt', 'all copies\n');
    const converged = await cluster.copiesConverge(REPO);
    console.info(`restarted ${victim}: in sync after ${rejoinedMs} ms, copies equal after ${Date.now() - restartedAt} ms (${converged.copies[0]?.entries.size} entries each)`);
    expect(converged.ok, converged.detail).toBe(true);
  }, 180_000);
});
