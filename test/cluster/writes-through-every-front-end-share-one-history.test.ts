/**
 * Front ends are stateless: concurrent git pushes (real git, several clones) and REST writes,
 * sent through nginx and straight to each front end, all to one branch, end in one linear
 * history holding everything that was acknowledged; and a WebSocket subscriber on one front end
 * hears about updates made through the other.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvents } from '../repo-server/api/helpers/event-socket.js';
import { branchHead, commitOf, createRepo, getPath, mustPut, putFile, type Api } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';
import { authConfig, freshClone, GitSandbox, gitUrl, missingFromHistory, newPushLog, pushLoop } from './helpers/git.js';
import { describe as list, exchange, loop, ok, sleep, type Outcome } from './helpers/load.js';

const REPO = 'shared';

describe('writes through every front end (3 shards, 3 copies, 2 front ends, nginx)', () => {
  let cluster: TestCluster;
  let git: GitSandbox;
  /** nginx, then each front end directly. */
  let entries: { name: string; api: Api }[];

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 2, name: 'shared' });
    git = new GitSandbox();
    entries = [
      { name: 'nginx', api: { base: cluster.url, auth: cluster.auth } },
      ...cluster.frontendRoles().map((role) => ({ name: role, api: { base: cluster.frontendUrl(role), auth: cluster.auth } })),
    ];
    await createRepo(entries[0]!.api, REPO);
    await mustPut(entries[0]!.api, REPO, 'README.md', 'shared history\n');
  });

  afterAll(async () => {
    await cluster?.stop();
    git?.cleanup();
  });

  it('concurrent pushes and REST writes to one branch make one linear history with every acknowledged change', async () => {
    const pushes = newPushLog();
    const writes: { via: string; path: string; content: string; res: Outcome }[] = [];
    const start = await branchHead(entries[0]!.api, REPO);
    const until = Date.now() + 60_000;
    await Promise.all([
      // One clone per entry: pushes through nginx and straight to each front end.
      ...entries.map((e, n) => pushLoop(git, gitUrl(e.api.base, REPO), cluster.token, `clone${n}-${e.name}`, { iterations: 6, until }, pushes, 30)),
      // REST writers on every entry; paced so pushes (fetch, rebase, push) are not always stale.
      loop(entries.length, { iterations: 12, until }, async (w, i) => {
        const e = entries[w]!;
        const path = `rest/${e.name}/${i}.txt`;
        const content = `${e.name} ${Math.random()}\n`;
        writes.push({ via: e.name, path, content, res: await putFile(e.api, REPO, path, content) });
        await sleep(300);
      }),
    ]);

    // No fault here: every REST write succeeds, and git only ever reports a stale head.
    const failed = writes.filter((w) => !ok(w.res)).map((w) => w.res);
    expect(failed, list(failed)).toEqual([]);
    expect(pushes.failed).toEqual([]);
    for (const e of entries) expect(pushes.acknowledged.filter((p) => p.clone.endsWith(e.name)).length, `pushes through ${e.name}`).toBeGreaterThan(0);

    const history = await freshClone(git, gitUrl(cluster.url, REPO), cluster.token, 'check');
    // Linear: no merge commits, and walking first parents from the head reaches every commit.
    expect(history.commits.filter((c) => c.parents.length > 1)).toEqual([]);
    for (let i = 0; i + 1 < history.commits.length; i++) expect(history.commits[i]!.parents).toEqual([history.commits[i + 1]!.sha]);
    // Nothing acknowledged is missing: pushed heads and files, REST commits and files.
    const missing = missingFromHistory(history, pushes.acknowledged);
    const known = new Set(history.commits.map((c) => c.sha));
    for (const w of writes) {
      if (!known.has(commitOf(w.res))) missing.push(`REST commit ${commitOf(w.res)} (${w.path} via ${w.via}) is not in the history`);
      if (history.read(w.path) !== w.content) missing.push(`${w.path} (via ${w.via}) is missing or different`);
    }
    expect(missing).toEqual([]);
    // And nothing else on top of the start: one commit per REST write and one per pushed file
    // (a rejected push left nothing behind, and no write was applied twice).
    const pushedFiles = new Set(pushes.acknowledged.flatMap((p) => [...p.files.keys()]));
    expect(history.commits.findIndex((c) => c.sha === start)).toBe(writes.length + pushedFiles.size);
    console.info(
      `one branch, ${entries.length} entries: ${writes.length} REST writes, ${pushes.acknowledged.length} pushes acknowledged ` +
        `(${pushedFiles.size} files), ${pushes.rejected} pushes rejected as stale and retried; history of ${history.commits.length} linear commits`,
    );
  }, 150_000);

  it('unpaced unconditional PUTs from many writers on every entry to one branch all succeed', async () => {
    const writes: { via: string; res: Outcome }[] = [];
    await loop(entries.length * 6, { iterations: 6, until: Date.now() + 60_000 }, async (w, i) => {
      const e = entries[w % entries.length]!;
      writes.push({ via: e.name, res: await putFile(e.api, REPO, `burst/w${w}-${i}.txt`, `burst ${w} ${i}\n`) });
    });
    // No precondition, no fault: nothing but success is right. (A 412 "Stale" here is the domain
    // giving up after 25 lost swaps of the branch, see repo-server/domain/commit-changes.ts.)
    const failed = writes.filter((x) => !ok(x.res));
    console.info(`burst: ${writes.length} PUTs, ${failed.length} failed: ${[...new Set(failed.map((x) => `${x.via} ${x.res.status}`))].join(', ')}`);
    expect(failed.map((x) => x.res), list(failed.map((x) => x.res))).toEqual([]);
  }, 90_000);

  it('git clone --mirror through nginx is a complete backup: fsck clean, every branch at its API head', async () => {
    const mirror = git.path('backup.git');
    await git.ok([...authConfig(cluster.token), 'clone', '-q', '--mirror', gitUrl(cluster.url, REPO), mirror]);
    const fsck = await git.run(['fsck', '--full', '--strict'], mirror);
    expect(fsck.code, fsck.stderr).toBe(0);
    const res = await exchange('GET', `${cluster.url}/repos/${REPO}/branches`, { headers: cluster.auth });
    const branches = (JSON.parse(res.text) as { branches: { name: string; commit: string }[] }).branches;
    const refs = (await git.ok(['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads'], mirror)).trim().split('\n').sort();
    expect(refs).toEqual(branches.map((b) => `${b.name} ${b.commit}`).sort());
  });

  it('a write through one front end is read at once through the other, though both keep warm reads in memory', async () => {
    const [one, other] = cluster.frontendRoles().map((role) => ({ base: cluster.frontendUrl(role), auth: cluster.auth }));
    const read = async (api: Api, path: string, ref?: string): Promise<string> => {
      const res = await getPath(api, REPO, path, ref);
      expect(res.status, res.text).toBe(200);
      return res.text;
    };
    const names = async (api: Api): Promise<string[]> => (JSON.parse(await read(api, 'lease')) as { entries: { name: string }[] }).entries.map((e) => e.name);
    await mustPut(one!, REPO, 'lease/page.md', 'version 0\n');
    const expected = ['page.md'];
    for (let i = 1; i <= 40; i++) {
      // Both front ends read the page and its folder (and so keep warm answers and hold a lease
      // on the repository) before each write.
      for (const api of [one!, other!]) {
        await read(api, 'lease/page.md');
        expect(await names(api)).toEqual(expected);
      }
      const [writer, reader] = i % 2 === 0 ? [one!, other!] : [other!, one!];
      await mustPut(writer, REPO, 'lease/page.md', `version ${i}\n`);
      expect(await read(reader, 'lease/page.md')).toBe(`version ${i}\n`);
      expect(await read(reader, 'lease/page.md')).toBe(`version ${i}\n`);
      if (i % 4 === 0) {
        await mustPut(writer, REPO, `lease/extra-${String(i).padStart(2, '0')}.md`, 'more\n');
        expected.splice(-1, 0, `extra-${String(i).padStart(2, '0')}.md`);
        expect(await names(reader)).toEqual(expected);
      }
    }
    // A push through one front end, read by branch through the other.
    for (const api of [one!, other!]) await read(api, 'lease/page.md');
    const dir = git.path('lease-clone');
    await git.ok([...authConfig(cluster.token), 'clone', '-q', gitUrl(one!.base, REPO), dir]);
    writeFileSync(join(dir, 'lease', 'page.md'), 'pushed\n');
    await git.ok(['commit', '-q', '-am', 'pushed through one front end'], dir);
    await git.ok([...authConfig(cluster.token), 'push', '-q', 'origin', 'HEAD:main'], dir);
    expect(await read(other!, 'lease/page.md')).toBe('pushed\n');
    expect(await read(other!, 'lease/page.md', 'main')).toBe('pushed\n');
  });

  it('a WebSocket subscriber on one front end hears about updates made through the other', async () => {
    const [one, other] = cluster.frontendRoles();
    const opened = await openEvents(cluster.frontendUrl(one!), { repo: REPO }, cluster.auth);
    if (!opened.opened) throw new Error(`subscription refused: ${opened.status} ${opened.body}`);
    const socket = opened.socket;
    try {
      const otherApi = { base: cluster.frontendUrl(other!), auth: cluster.auth };
      const rest = await mustPut(otherApi, REPO, 'events/rest.txt', 'via REST on the other front end\n');
      // A push through the other front end is an update too.
      const dir = git.path('events-clone');
      await git.ok([...authConfig(cluster.token), 'clone', '-q', gitUrl(otherApi.base, REPO), dir]);
      await git.ok(['commit', '-q', '--allow-empty', '-m', 'pushed through the other front end'], dir);
      await git.ok([...authConfig(cluster.token), 'push', '-q', 'origin', 'HEAD:main'], dir);
      const pushed = (await git.ok(['rev-parse', 'HEAD'], dir)).trim();

      const updates = await socket.refUpdates(2, 15_000);
      expect(updates.map((u) => [u.ref, u.new, u.via])).toEqual([
        ['refs/heads/main', rest.commit, 'rest'],
        ['refs/heads/main', pushed, 'git'],
      ]);
    } finally {
      await socket.close();
    }
  });
});
