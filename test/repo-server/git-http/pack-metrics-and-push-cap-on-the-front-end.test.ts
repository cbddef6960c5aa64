/**
 * The git router as production wires it (startServer: config, Metrics, createApp): pack bytes
 * and objects in and out on /metrics after a real push, clone and fetch, and MAX_PUSH_OBJECTS
 * reaching the router.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RepoStore } from '../../../fs-service/index.js';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { loadConfig } from '../../../repo-server/config.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { type RunningServer, startServer } from '../../../repo-server/server.js';
import { GitSandbox, killSpawned } from './helpers/git-client.js';
import { commitFiles } from './helpers/local-repo.js';
import { initRepo, serverRef } from './helpers/server-repo.js';

async function frontEnd(env: NodeJS.ProcessEnv = {}): Promise<{ running: RunningServer; store: RepoStore }> {
  const storage = new MemoryStorage();
  const store = storage.repo('book');
  await initRepo(store);
  const config = { ...loadConfig([], env), host: '127.0.0.1', port: 0, dataDir: '(test storage)', logLevel: 'silent', auth: false };
  return { running: await startServer(config, storage, createLogger('silent')), store };
}

/** Sample values of one metric by its `direction` label, from the Prometheus text. */
async function byDirection(url: string, name: string): Promise<{ in: number; out: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (direction: string): number => {
    const m = new RegExp(`^${name}\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(text);
    if (m === null) throw new Error(`${name}{direction="${direction}"} missing from /metrics`);
    return Number(m[1]);
  };
  return { in: value('in'), out: value('out') };
}

async function storedPackBytes(store: RepoStore): Promise<number> {
  let total = 0;
  for (const name of await store.fs.promises.readdir('/objects/pack')) {
    if (name.endsWith('.pack')) total += (await store.fs.promises.stat(`/objects/pack/${name}`)).size;
  }
  return total;
}

describe('git pack metrics on /metrics', () => {
  let running: RunningServer;
  let store: RepoStore;
  let sb: GitSandbox;
  let url: string;

  beforeAll(async () => {
    ({ running, store } = await frontEnd());
    url = `${running.url}/book.git`;
    sb = new GitSandbox();
  });

  afterAll(async () => {
    killSpawned();
    await running?.close(100);
    sb?.cleanup();
  });

  it('exposes both directions at 0 before any git traffic', async () => {
    expect(await byDirection(running.url, 'git_pack_bytes_total')).toEqual({ in: 0, out: 0 });
    expect(await byDirection(running.url, 'git_pack_objects_total')).toEqual({ in: 0, out: 0 });
  });

  it('counts a push (in), a clone (out, whole-repository path) and a fetch (out, enumerated path)', async () => {
    await sb.ok(['init', '-q', '-b', 'main', sb.path('work')]);
    for (let i = 0; i < 3; i++) await commitFiles(sb, sb.path('work'), { 'a.txt': `${'line\n'.repeat(100)}${i}\n`, [`f${i}.txt`]: `${i}\n` }, `c${i}`);
    await sb.ok(['push', '-q', url, 'main'], { cwd: sb.path('work') });
    // The first push into an empty repository is not thin: the stored pack is the pushed pack.
    const pushed = await storedPackBytes(store);
    expect(pushed).toBeGreaterThan(0);
    const afterPush = await byDirection(running.url, 'git_pack_bytes_total');
    expect(afterPush.in).toBeGreaterThanOrEqual(pushed);
    expect(afterPush.out).toBe(0);
    // 3 commits, 3 trees, 6 blobs (a.txt three times, f0..f2)
    expect((await byDirection(running.url, 'git_pack_objects_total')).in).toBe(12);

    await sb.ok(['-c', 'protocol.version=2', 'clone', '-q', url, 'clone']);
    const afterClone = await byDirection(running.url, 'git_pack_bytes_total');
    // The whole-repository path copies the one stored pack: header, body and trailer, no framing.
    expect(afterClone.out).toBe(pushed);
    expect((await byDirection(running.url, 'git_pack_objects_total')).out).toBe(12);

    await commitFiles(sb, sb.path('work'), { 'new.txt': 'new\n' }, 'c3');
    await sb.ok(['push', '-q', url, 'main'], { cwd: sb.path('work') });
    const afterSecondPush = await byDirection(running.url, 'git_pack_bytes_total');
    expect(afterSecondPush.in).toBeGreaterThan(afterClone.in);
    await sb.ok(['-c', 'protocol.version=0', 'fetch', '-q'], { cwd: sb.path('clone') });
    const afterFetch = await byDirection(running.url, 'git_pack_bytes_total');
    expect(afterFetch.out).toBeGreaterThan(afterClone.out);
    // commit, tree, blob
    expect((await byDirection(running.url, 'git_pack_objects_total')).out).toBe(15);
  });

  it('shows what the git cache holds, by kind, within its budget', async () => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    const bytes = [...text.matchAll(/^git_cache_bytes\{kind="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(bytes.map(([k]) => k)).toEqual(expect.arrayContaining(['pack', 'index', 'object', 'commit', 'tree', 'graph']));
    const total = bytes.reduce((n, [, b]) => n + b, 0);
    // The clone and fetch above read the pack and its index through the cache.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(512 * 1024 * 1024);
    expect(text).toMatch(/^git_cache_entries\{kind="index"\} [1-9]\d*$/m);
  });
});

describe('MAX_PUSH_OBJECTS', () => {
  let running: RunningServer;
  let store: RepoStore;
  let sb: GitSandbox;

  beforeAll(async () => {
    ({ running, store } = await frontEnd({ MAX_PUSH_OBJECTS: '4' }));
    sb = new GitSandbox();
  });

  afterAll(async () => {
    killSpawned();
    await running?.close(100);
    sb?.cleanup();
  });

  it('is read from the environment (default 2,000,000; not a number is an error)', () => {
    expect(loadConfig([], {}).maxPushObjects).toBe(2_000_000);
    expect(loadConfig([], { MAX_PUSH_OBJECTS: '10' }).maxPushObjects).toBe(10);
    expect(() => loadConfig([], { MAX_PUSH_OBJECTS: 'many' })).toThrow(/MAX_PUSH_OBJECTS/);
  });

  it('reaches the git router: a push over it is refused, one under it lands', async () => {
    await sb.ok(['init', '-q', '-b', 'main', sb.path('work')]);
    await commitFiles(sb, sb.path('work'), { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'd.txt': 'd\n' }, 'six objects');
    const refused = await sb.git(['push', `${running.url}/book.git`, 'main'], { cwd: sb.path('work') });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('remote unpack failed: pack of 6 objects exceeds the limit of 4 objects per push');
    expect(await serverRef(store, 'refs/heads/main')).toBeNull();
    await sb.ok(['rm', '-q', 'b.txt', 'c.txt', 'd.txt'], { cwd: sb.path('work') });
    await sb.ok(['commit', '-q', '--amend', '-m', 'three objects'], { cwd: sb.path('work') });
    await sb.ok(['push', '-q', `${running.url}/book.git`, 'main'], { cwd: sb.path('work') });
    expect(await serverRef(store, 'refs/heads/main')).toBe((await sb.ok(['rev-parse', 'HEAD'], { cwd: sb.path('work') })).trim());
  });
});
