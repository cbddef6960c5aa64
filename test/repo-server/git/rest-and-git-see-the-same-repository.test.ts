/**
 * REST and git read one repository through one core, so they give the same answers: for refs kept
 * in packed-refs (as git writes them after `git pack-refs`, copied into storage), for a chain of
 * 20 annotated tags, and for a repository half deleted (its metadata gone, its git files still
 * there): neither door sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { PACKED_REFS_PATH } from '../../../repo-server/git/index.js';
import { json } from '../api/helpers/fixtures.js';
import { startApi, type ApiHarness } from '../api/helpers/harness.js';
import { undocumentedObservations } from '../api/helpers/observed.js';
import { GitSandbox } from '../git-http/helpers/git-client.js';
import { commitFiles, parseRefList } from '../git-http/helpers/local-repo.js';

describe('one repository, the same answers through REST and git', () => {
  const storage = new MemoryStorage();
  let api: ApiHarness;
  let sb: GitSandbox;
  const work = (): string => sb.path('work');
  const remote = (repo: string): string => `${api.url}/${repo}.git`;
  const lsRemote = async (repo: string): Promise<Map<string, string>> => parseRefList(await sb.ok(['ls-remote', remote(repo)]));

  beforeAll(async () => {
    api = await startApi({ storage });
    sb = new GitSandbox();
    for (const repo of ['packed', 'tags', 'halfgone']) {
      expect((await api.client.put(`/repos/${repo}`).set('Content-Type', 'application/json').send({})).status).toBe(201);
    }
    await sb.ok(['init', '-q', '-b', 'main', work()]);
    await commitFiles(sb, work(), { 'book.md': '# Book\n' }, 'one');
    await commitFiles(sb, work(), { 'ch1.md': '# One\n' }, 'two');
  });

  afterAll(async () => {
    await api.close();
    sb.cleanup();
  });

  it('refs kept in packed-refs: listed, read, resolved, cloned, moved and deleted alike', async () => {
    await sb.ok(['branch', 'drafts/ch1', 'HEAD~1'], { cwd: work() });
    await sb.ok(['tag', '-a', 'v1', '-m', 'first', 'HEAD~1'], { cwd: work() });
    await sb.ok(['push', '-q', remote('packed'), 'main', 'drafts/ch1', 'v1'], { cwd: work() });
    // What `git pack-refs --all` leaves: the refs in packed-refs (with peeled lines), no loose files.
    await sb.ok(['clone', '-q', '--bare', remote('packed'), 'packed.git']);
    await sb.ok(['pack-refs', '--all'], { cwd: sb.path('packed.git') });
    const { readFileSync } = await import('node:fs');
    const packedRefs = readFileSync(sb.path('packed.git', 'packed-refs'));
    expect(packedRefs.toString()).toContain('^');
    const store = storage.repo('packed');
    for (const ref of ['refs/heads/main', 'refs/heads/drafts/ch1', 'refs/tags/v1']) await store.fs.promises.unlink(`/${ref}`);
    await store.fs.promises.writeFile(PACKED_REFS_PATH, packedRefs);

    const viaGit = await lsRemote('packed');
    const { branches } = json<{ branches: { name: string; commit: string }[] }>(await api.client.get('/repos/packed/branches'));
    expect(Object.fromEntries(branches.map((b) => [b.name, b.commit]))).toEqual({ 'drafts/ch1': viaGit.get('refs/heads/drafts/ch1'), main: viaGit.get('refs/heads/main') });
    expect(json<{ commit: string }>(await api.client.get('/repos/packed/branches/drafts/ch1')).commit).toBe(viaGit.get('refs/heads/drafts/ch1'));
    const tag = json<{ name: string; commit: string }>(await api.client.get('/repos/packed/tags/v1'));
    expect(tag.commit).toBe(viaGit.get('refs/tags/v1^{}'));
    expect((await api.client.get('/repos/packed/contents/ch1.md?ref=main')).text).toBe('# One\n');
    expect((await api.client.get('/repos/packed/contents/book.md?ref=drafts/ch1')).status).toBe(200);
    expect((await api.client.get('/repos/packed/contents/ch1.md?ref=drafts/ch1')).status).toBe(404);
    await sb.ok(['clone', '-q', remote('packed'), 'packed-clone']);
    expect((await sb.ok(['rev-parse', 'origin/drafts/ch1'], { cwd: sb.path('packed-clone') })).trim()).toBe(viaGit.get('refs/heads/drafts/ch1'));

    // A packed branch moved over REST and deleted over git; a new branch beside it is refused where it would clash.
    const main = viaGit.get('refs/heads/main') as string;
    const moved = await api.client
      .put('/repos/packed/branches/drafts/ch1')
      .set('Content-Type', 'application/json')
      .set('If-Match', `"${viaGit.get('refs/heads/drafts/ch1')}"`)
      .send({ commit: main });
    expect(moved.status, moved.text).toBe(200);
    expect((await lsRemote('packed')).get('refs/heads/drafts/ch1')).toBe(main);
    expect((await api.client.put('/repos/packed/branches/drafts').set('Content-Type', 'application/json').send({ from: 'main' })).status).toBe(409);
    await sb.ok(['push', '-q', remote('packed'), ':refs/tags/v1'], { cwd: work() });
    expect((await api.client.get('/repos/packed/tags/v1')).status).toBe(404);
    expect((await lsRemote('packed')).has('refs/tags/v1')).toBe(false);
  });

  it('a chain of 20 annotated tags peels to its commit through both doors', async () => {
    const commit = (await sb.ok(['rev-parse', 'HEAD'], { cwd: work() })).trim();
    await sb.ok(['tag', '-a', 'chain-1', '-m', 'chain 1', commit], { cwd: work() });
    for (let i = 2; i <= 20; i++) await sb.ok(['tag', '-a', `chain-${i}`, '-m', `chain ${i}`, `chain-${i - 1}`], { cwd: work() });
    await sb.ok(['push', '-q', remote('tags'), 'main', '--tags'], { cwd: work() });
    const viaGit = await lsRemote('tags');
    expect(viaGit.get('refs/tags/chain-20^{}')).toBe(commit);
    const rest = json<{ commit: string }>(await api.client.get('/repos/tags/tags/chain-20'));
    expect(rest.commit).toBe(commit);
    expect((await api.client.get('/repos/tags/contents/book.md?ref=chain-20')).text).toBe('# Book\n');
    await sb.ok(['clone', '-q', '--mirror', remote('tags'), 'tags-mirror.git']);
    expect((await sb.ok(['rev-parse', 'chain-20^{commit}'], { cwd: sb.path('tags-mirror.git') })).trim()).toBe(commit);
  });

  it('a repository whose metadata is gone (deleted half way) exists for neither door', async () => {
    await sb.ok(['push', '-q', remote('halfgone'), 'main'], { cwd: work() });
    expect((await api.client.get('/repos/halfgone')).status).toBe(200);
    await storage.repo('halfgone').fs.promises.unlink('/repository.json');
    expect((await api.client.get('/repos/halfgone')).status).toBe(404);
    expect((await api.client.get('/repos/halfgone/contents/book.md')).status).toBe(404);
    const discovery = await fetch(`${remote('halfgone')}/info/refs?service=git-upload-pack`);
    expect(discovery.status).toBe(404);
    expect((await sb.git(['ls-remote', remote('halfgone')])).code).not.toBe(0);
  });

  it('every response these tests saw is documented in /openapi.json', () => {
    expect(undocumentedObservations()).toEqual([]);
  });
});
