/**
 * One ancestry for every door: histories whose commit dates lie (an old book imported with its
 * dates, a commit dated decades ahead) get the same, exact answers from REST compare, REST branch
 * moves, REST merges and a fast-forward push to a protected branch; the answers are also git's
 * own (`rev-list --left-right --count`, `merge-base`). A walk ordered by commit date that gives up
 * a day below the ancestor would refuse the push.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { json } from '../api/helpers/fixtures.js';
import { startApi, type ApiHarness } from '../api/helpers/harness.js';
import { undocumentedObservations } from '../api/helpers/observed.js';
import { GitSandbox } from '../git-http/helpers/git-client.js';

/** Commits with these committer dates, in this order (seconds since 1970). */
const YEAR = 365 * 24 * 3600;
const NOW = 1_700_000_000;

describe('ancestry with skewed commit dates, REST and git alike', () => {
  const storage = new MemoryStorage();
  let api: ApiHarness;
  let sb: GitSandbox;
  const work = (): string => sb.path('work');
  let url: string;
  const ids: Record<string, string> = {};

  /** An empty commit dated `at` (author and committer). */
  const commitAt = async (name: string, at: number): Promise<string> => {
    const env = { GIT_AUTHOR_DATE: `${at} +0000`, GIT_COMMITTER_DATE: `${at} +0000` };
    await sb.ok(['commit', '-q', '--allow-empty', '-m', name], { cwd: work(), env });
    const id = (await sb.ok(['rev-parse', 'HEAD'], { cwd: work() })).trim();
    ids[name] = id;
    return id;
  };

  beforeAll(async () => {
    api = await startApi({ storage });
    expect((await api.client.put('/repos/old-book').set('Content-Type', 'application/json').send({})).status).toBe(201);
    sb = new GitSandbox();
    url = `${api.url}/old-book.git`;
    await sb.ok(['init', '-q', '-b', 'main', work()]);
    // main: an imported history, one commit a year back to front, then a commit from the future.
    await commitAt('root', NOW - 30 * YEAR);
    await commitAt('m1', NOW - 10 * YEAR);
    await commitAt('m2', NOW - 29 * YEAR);
    await sb.ok(['push', '-q', url, 'main'], { cwd: work() });
    // topic: from m2, dated long before the commits it builds on.
    await sb.ok(['checkout', '-q', '-b', 'topic'], { cwd: work() });
    await commitAt('t1', NOW - 40 * YEAR);
    await commitAt('t2', NOW - 45 * YEAR);
    await sb.ok(['push', '-q', url, 'topic'], { cwd: work() });
    // side: also from m2, one commit dated decades ahead.
    await sb.ok(['checkout', '-q', '-b', 'side', ids.m2 as string], { cwd: work() });
    await commitAt('s1', NOW + 30 * YEAR);
    await sb.ok(['push', '-q', url, 'side'], { cwd: work() });
    await sb.ok(['checkout', '-q', 'main'], { cwd: work() });
    // main is protected: moves must be fast-forwards, for REST and git.
    const settings = await api.client.put('/repos/old-book/settings').set('Content-Type', 'application/json').send({ protectedBranches: ['main'], requireFastForward: true });
    expect(settings.status, settings.text).toBe(200);
  });

  afterAll(async () => {
    await api.close();
    sb.cleanup();
  });

  it('compare answers what git answers: ahead, behind and the merge base', async () => {
    for (const [base, head] of [
      ['main', 'topic'],
      ['topic', 'side'],
      ['side', 'main'],
    ]) {
      const res = await api.client.get(`/repos/old-book/compare/${base}...${head}`).set('Accept', 'application/json');
      expect(res.status, res.text).toBe(200);
      const body = json<{ aheadBy: number; behindBy: number; mergeBase: string }>(res);
      const counts = (await sb.ok(['rev-list', '--left-right', '--count', `${base}...${head}`], { cwd: work() })).trim().split(/\s+/).map(Number);
      const mergeBase = (await sb.ok(['merge-base', base, head], { cwd: work() })).trim();
      expect({ behind: body.behindBy, ahead: body.aheadBy, base: body.mergeBase }, `${base}...${head}`).toEqual({ behind: counts[0], ahead: counts[1], base: mergeBase });
    }
    expect(json<{ mergeBase: string }>(await api.client.get('/repos/old-book/compare/topic...side').set('Accept', 'application/json')).mergeBase).toBe(ids.m2);
  });

  it('a REST move of a branch to a descendant dated 40 years earlier is a fast-forward, without force', async () => {
    const created = await api.client.put('/repos/old-book/branches/review').set('Content-Type', 'application/json').send({ from: ids.m2 });
    expect(created.status).toBe(201);
    const moved = await api.client
      .put('/repos/old-book/branches/review')
      .set('Content-Type', 'application/json')
      .set('If-Match', `"${ids.m2}"`)
      .send({ commit: ids.t2 });
    expect(moved.status, moved.text).toBe(200);
    const back = await api.client
      .put('/repos/old-book/branches/review')
      .set('Content-Type', 'application/json')
      .set('If-Match', `"${ids.t2}"`)
      .send({ commit: ids.s1 });
    expect(back.status).toBe(409);
    expect(json<{ type: string }>(back).type).toMatch(/not-fast-forward$/);
  });

  it('a merge of topic into a branch at its ancestor fast-forwards; the other way it is up to date', async () => {
    await api.client.put('/repos/old-book/branches/merge-target').set('Content-Type', 'application/json').send({ from: ids.m2 });
    const ff = await api.client.post('/repos/old-book/merges').set('Content-Type', 'application/json').send({ base: 'merge-target', head: 'topic' });
    expect(ff.status, ff.text).toBe(201);
    expect(json<{ outcome: string; commit: { id: string } }>(ff)).toMatchObject({ outcome: 'fast-forward', commit: { id: ids.t2 } });
    const upToDate = await api.client.post('/repos/old-book/merges').set('Content-Type', 'application/json').send({ base: 'topic', head: ids.m1 });
    expect(upToDate.status).toBe(204);
  });

  it('a fast-forward push of commits dated decades before the protected tip is accepted; a rewind is refused', async () => {
    // main (m2, dated 29 years back) -> t2 (45 years back): a fast-forward.
    const pushed = await sb.git(['push', url, 'topic:main'], { cwd: work() });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(json<{ commit: string }>(await api.client.get('/repos/old-book/branches/main')).commit).toBe(ids.t2);
    // main (t2) -> s1 (30 years ahead, not a descendant of t2): refused however its date reads.
    const rewind = await sb.git(['push', '--force', url, 'side:main'], { cwd: work() });
    expect(rewind.code).not.toBe(0);
    expect(rewind.stderr).toContain('non-fast-forward update of a protected branch is refused');
    // REST says the same of that move.
    const rest = await api.client
      .put('/repos/old-book/branches/main')
      .set('Content-Type', 'application/json')
      .set('If-Match', `"${ids.t2}"`)
      .send({ commit: ids.s1, force: true });
    expect(rest.status).toBe(409);
  });

  it('every response these tests saw is documented in /openapi.json', () => {
    expect(undocumentedObservations()).toEqual([]);
  });
});
