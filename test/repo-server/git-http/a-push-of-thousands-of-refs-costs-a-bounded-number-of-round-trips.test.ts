/**
 * Over real shard processes: a push that creates 2,000 refs (1,000 branches, 1,000 tags, some of
 * them annotated) costs a number of storage round trips that does not grow with the refs (they
 * land in packed-refs in one compare-and-swap, their events in a handful of files), and `git
 * ls-remote` then shows exactly what native git shows for the same refs; a page of tags or
 * branches reads packed-refs and its own page, not every ref; deleting them all in one push is
 * as cheap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStorage, RepoStore } from '../../../fs-service/index.js';
import { createRepoService } from '../../../repo-server/domain/index.js';
import { PACKED_REFS_PATH } from '../../../repo-server/git/index.js';
import { ClusterHarness } from '../../fs-service/cluster-harness.js';
import { RecordingEvents } from '../domain/helpers/service.js';
import { GitSandbox } from './helpers/git-client.js';
import { commitFiles } from './helpers/local-repo.js';
import { startServer, type TestServer } from './helpers/server.js';
import { initRepo } from './helpers/server-repo.js';

const REFS = 1000;
/**
 * Round trips a push of any number of new refs may take: the pack, the checks, one swap, the
 * graph (28 measured; before refs went to packed-refs, pruning the event log alone took 1,000).
 */
const PUSH_TRIPS = 40;
/** 9 measured: metadata, packed-refs, the loose refs' folders, the page's tag objects. */
const PAGE_TRIPS = 12;

const root = mkdtempSync(join(tmpdir(), 'many-refs-'));
const cluster = new ClusterHarness(join(root, 'cluster'));
let storage: ClusterStorage;
let server: TestServer;
let store: RepoStore;
let url: string;
const sb = new GitSandbox('many-refs-');

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  storage = await cluster.connect();
  server = await startServer(storage);
  store = storage.repo('many');
  await initRepo(store);
  url = `${server.url}/many.git`;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await storage?.close();
  await cluster.stopAll();
  sb.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('a push of thousands of refs', () => {
  it('lands in packed-refs in a bounded number of round trips, and ls-remote equals native git', async () => {
    const src = sb.path('src');
    await sb.ok(['init', '-q', '-b', 'main', src]);
    const commits: string[] = [];
    for (let i = 0; i < 5; i++) commits.push(await commitFiles(sb, src, { 'a.md': `${i}\n` }, `c${i}`));
    const script = Array.from({ length: REFS }, (_, i) => [`create refs/heads/b/${i} ${commits[i % 5]}`, ...(i % 10 === 0 ? [] : [`create refs/tags/t${i} ${commits[i % 5]}`])]).flat();
    await sb.ok(['update-ref', '--stdin'], { cwd: src, input: `${script.join('\n')}\n` });
    for (let i = 0; i < REFS; i += 10) await sb.ok(['tag', '-a', '-m', `tag ${i}`, `t${i}`, commits[i % 5] as string], { cwd: src });
    await sb.ok(['push', '-q', url, 'main'], { cwd: src });

    storage.resetRoundTrips();
    await sb.ok(['push', '-q', url, 'refs/heads/*:refs/heads/*', 'refs/tags/*:refs/tags/*'], { cwd: src, timeoutMs: 300_000 });
    const trips = storage.roundTrips;
    expect(trips.total, JSON.stringify(trips.byOp)).toBeLessThanOrEqual(PUSH_TRIPS);
    const [packed] = await store.readMany([PACKED_REFS_PATH]);
    expect(packed?.toString('utf8').split('\n').filter((l) => / refs\//.test(l))).toHaveLength(2 * REFS + 1);
    expect(await store.fs.promises.readdir('/refs/tags')).toEqual([]);
    expect(server.events).toHaveLength(2 * REFS + 1);

    // The same refs pushed to a bare repository by native git: ls-remote (with peeled tags) agrees.
    const native = sb.path('native.git');
    await sb.ok(['init', '-q', '--bare', '-b', 'main', native]);
    await sb.ok(['push', '-q', native, 'refs/heads/*:refs/heads/*', 'refs/tags/*:refs/tags/*'], { cwd: src });
    const ours = await sb.ok(['ls-remote', url]);
    expect(ours).toBe(await sb.ok(['ls-remote', native]));
    expect(ours).toContain('^{}');
    // A loose ref written afterwards wins over its packed value for git too.
    await commitFiles(sb, src, { 'a.md': 'later\n' }, 'later');
    await sb.ok(['push', '-q', url, 'main:b/7'], { cwd: src });
    await sb.ok(['push', '-q', native, 'main:b/7'], { cwd: src });
    expect(await sb.ok(['ls-remote', url])).toBe(await sb.ok(['ls-remote', native]));
    const clone = sb.path('clone');
    await sb.ok(['clone', '-q', '--mirror', url, clone]);
    expect(await sb.ok(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: clone })).toBe(await sb.ok(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: native }));
  }, 300_000);

  it('a page of tags or branches reads packed-refs and its page, whatever the number of refs', async () => {
    const service = createRepoService({ storage, events: new RecordingEvents() });
    storage.resetRoundTrips();
    const tags = await service.listTags('many', (all) => all.slice(0, 30));
    expect(tags.ok && tags.tags.length).toBe(30);
    expect(storage.roundTrips.total, JSON.stringify(storage.roundTrips.byOp)).toBeLessThanOrEqual(PAGE_TRIPS);
    storage.resetRoundTrips();
    const branches = await service.listBranches('many');
    expect(branches.ok && branches.branches.length).toBe(REFS + 1);
    expect(storage.roundTrips.total, JSON.stringify(storage.roundTrips.byOp)).toBeLessThanOrEqual(PAGE_TRIPS);
  });

  it('deleting every branch in one push is as cheap, and leaves the tags', async () => {
    const src = sb.path('src');
    storage.resetRoundTrips();
    const deletes = Array.from({ length: REFS }, (_, i) => `:refs/heads/b/${i}`);
    await sb.ok(['push', '-q', url, ...deletes], { cwd: src, timeoutMs: 300_000 });
    expect(storage.roundTrips.total, JSON.stringify(storage.roundTrips.byOp)).toBeLessThanOrEqual(PUSH_TRIPS);
    const remote = await sb.ok(['ls-remote', url]);
    expect(remote).not.toContain('refs/heads/b/');
    expect(remote.split('\n').filter((l) => l.includes('refs/tags/') && !l.endsWith('^{}'))).toHaveLength(REFS);
  }, 300_000);
});
