/**
 * The commit graph changes no answer: path history, merge bases, ancestry and ahead/behind counts
 * read from it equal what git itself answers by walking the objects, on a generated history with
 * merges (a criss-cross too), renames, deletes and commit dates out of order. It is rebuilt, with
 * the same answers, after being deleted; and commits whose ref moved without the graph being told
 * (a crash in between) are found by the next read and stored once there are enough of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { CHAIN_PATH } from '../../../repo-server/git/index.js';
import { json } from '../api/helpers/fixtures.js';
import { startApi, type ApiHarness } from '../api/helpers/harness.js';
import { GitSandbox } from '../git-http/helpers/git-client.js';
import { commitOnServer } from '../git-http/helpers/server-repo.js';

describe('answers from the commit graph equal a full walk (git itself)', () => {
  const storage = new MemoryStorage();
  let api: ApiHarness;
  let sb: GitSandbox;
  const work = (): string => sb.path('work');
  const git = (args: string[]): Promise<string> => sb.ok(args, { cwd: work() });
  let clock = 1_700_000_000;
  /** Commits with dates that go back and forth, as imported histories and bad clocks make them. */
  const commit = async (files: Record<string, string>, message: string): Promise<string> => {
    clock += 3_600;
    // Every third commit claims a date over a year before its parent's.
    const at = clock - (message.length % 3 === 0 ? 86_400 * 400 : 0);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work(), path)), { recursive: true });
      writeFileSync(join(work(), path), content);
    }
    await git(['add', '-A']);
    const env = { GIT_AUTHOR_DATE: `${at} +0000`, GIT_COMMITTER_DATE: `${at} +0000` };
    await sb.ok(['commit', '-q', '--allow-empty', '-m', message], { cwd: work(), env });
    return (await git(['rev-parse', 'HEAD'])).trim();
  };
  const paths = ['book/ch1.md', 'book/ch2.md', 'book', 'renamed/ch3.md', 'book/ch3.md', 'gone.md', 'never.md', 'notes.md'];

  beforeAll(async () => {
    api = await startApi({ storage });
    expect((await api.client.put('/repos/g').set('Content-Type', 'application/json').send({})).status).toBe(201);
    sb = new GitSandbox();
    await sb.ok(['init', '-q', '-b', 'main', work()]);
    await commit({ 'book/ch1.md': '1\n', 'book/ch2.md': '2\n', 'book/ch3.md': '3\n', 'gone.md': 'x\n' }, 'start');
    for (let i = 0; i < 45; i++) await commit({ [`notes.md`]: `${i}\n`, ...(i % 7 === 0 ? { 'book/ch1.md': `1.${i}\n` } : {}) }, `n${i}`);
    await git(['checkout', '-q', '-b', 'side']);
    for (let i = 0; i < 8; i++) await commit({ 'book/ch2.md': `side ${i}\n` }, `side ${i}`);
    mkdirSync(join(work(), 'renamed'), { recursive: true });
    await git(['mv', 'book/ch3.md', 'renamed/ch3.md']);
    await commit({}, 'rename');
    await git(['checkout', '-q', 'main']);
    await git(['rm', '-q', 'gone.md']);
    await commit({}, 'delete gone');
    for (let i = 0; i < 6; i++) await commit({ 'book/ch1.md': `main ${i}\n` }, `main ${i}`);
    await git(['merge', '-q', '--no-edit', 'side']);
    // A criss-cross: two branches that merge each other.
    await git(['checkout', '-q', '-b', 'x']);
    await commit({ 'x.md': 'x\n' }, 'x1');
    await git(['checkout', '-q', 'main']);
    await commit({ 'y.md': 'y\n' }, 'y1');
    await git(['checkout', '-q', '-b', 'y']);
    await git(['merge', '-q', '--no-edit', 'x']);
    await git(['checkout', '-q', 'x']);
    await git(['merge', '-q', '--no-edit', 'main']);
    await commit({ 'x.md': 'x2\n' }, 'x2');
    await git(['checkout', '-q', 'y']);
    await commit({ 'y.md': 'y2\n' }, 'y2');
    await git(['checkout', '-q', 'main']);
    await sb.ok(['push', '-q', `${api.url}/g.git`, 'main', 'side', 'x', 'y'], { cwd: work() });
  });

  afterAll(async () => {
    await api.close();
    sb.cleanup();
  });

  const history = async (ref: string, path: string): Promise<string[]> => {
    const ids: string[] = [];
    let next: string | null = `/repos/g/commits?ref=${ref}&per_page=7${path === '' ? '' : `&path=${path}`}`;
    while (next !== null) {
      const res = await api.client.get(next);
      expect(res.status, res.text).toBe(200);
      ids.push(...json<{ commits: { id: string }[] }>(res).commits.map((c) => c.id));
      const m = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''));
      next = m === null ? null : (m[1] as string).replace(/^https?:\/\/[^/]+/, '');
    }
    return ids;
  };

  const expectGitAnswers = async (): Promise<void> => {
    for (const ref of ['main', 'side', 'x', 'y']) {
      for (const path of ['', ...paths]) {
        const expected = (await git(['log', '--format=%H', ref, ...(path === '' ? [] : ['--', path])])).trim();
        expect(await history(ref, path), `${ref} -- ${path}`).toEqual(expected === '' ? [] : expected.split('\n'));
      }
    }
    for (const [a, b] of [
      ['main', 'side'],
      ['x', 'y'],
      ['side', 'y'],
      ['main', 'x'],
    ] as const) {
      const res = await api.client.get(`/repos/g/compare/${a}...${b}`).set('Accept', 'application/json');
      expect(res.status).toBe(200);
      const body = json<{ aheadBy: number; behindBy: number; mergeBase: string | null }>(res);
      const [behind, ahead] = (await git(['rev-list', '--left-right', '--count', `${a}...${b}`])).trim().split(/\s+/).map(Number);
      expect({ ahead: body.aheadBy, behind: body.behindBy }, `${a}...${b}`).toEqual({ ahead, behind });
      const bases = (await git(['merge-base', '--all', a, b])).trim().split('\n');
      expect(bases, `${a}...${b}`).toContain(body.mergeBase);
    }
  };

  it('gives git\'s answers for path history (every page), compare and merge bases', async () => {
    expect(await storage.repo('g').readMany([CHAIN_PATH])).not.toEqual([null]);
    await expectGitAnswers();
  });

  it('is rebuilt with the same answers after being deleted', async () => {
    await storage.repo('g').fs.promises.rm('/commit-graph', { recursive: true });
    await expectGitAnswers();
    // A history read on this many commits stores the graph again.
    expect(await storage.repo('g').readMany([CHAIN_PATH])).not.toEqual([null]);
  });

  it('finds commits whose ref moved without the graph being told, and stores them once there are enough', async () => {
    const before = (await storage.repo('g').readMany([CHAIN_PATH]))[0];
    // Server-side commits through the ref store alone: as if the process died after each ref update.
    let tip = '';
    for (let i = 0; i < 70; i++) tip = await commitOnServer(storage.repo('g'), 'main', { 'late.md': `${i}\n` }, `late ${i}`);
    const page = json<{ commits: { id: string }[] }>(await api.client.get('/repos/g/commits?path=late.md&per_page=100'));
    expect(page.commits.length).toBe(70);
    expect(page.commits[0]?.id).toBe(tip);
    expect((await storage.repo('g').readMany([CHAIN_PATH]))[0]).not.toEqual(before);
    await sb.ok(['pull', '-q', '--ff-only', `${api.url}/g.git`, 'main'], { cwd: work() });
    await expectGitAnswers();
  });
});
