/**
 * Once its pack is in, a push that takes long to check and apply sends an empty band-1 packet
 * every few seconds (git's receive.keepAlive), so a proxy's read timeout does not cut it; git
 * skips them and prints its usual result. Here the ref compare-and-swap is made slow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Storage } from '../../../fs-service/index.js';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { wrapStore } from '../domain/helpers/wrapped-storage.js';
import { GitSandbox, killSpawned } from './helpers/git-client.js';
import { gitPost, pkts } from './helpers/http.js';
import { commitFiles } from './helpers/local-repo.js';
import { startServer, type TestServer } from './helpers/server.js';
import { initRepo } from './helpers/server-repo.js';

const SLOW_MS = 700;

describe('a push slow to apply', () => {
  let server: TestServer;
  const sb = new GitSandbox();
  const inner = new MemoryStorage();
  const storage: Storage = {
    repo: (name) => {
      const store = inner.repo(name);
      return wrapStore(store, { compareAndSwap: async (ops) => (await new Promise((r) => setTimeout(r, SLOW_MS)), store.compareAndSwap(ops)) });
    },
    listRepos: () => inner.listRepos(),
    readiness: () => inner.readiness(),
    close: () => inner.close(),
  };

  beforeAll(async () => {
    await initRepo(inner.repo('book'));
    server = await startServer(storage, { keepAliveMs: 100 });
  });
  afterAll(async () => {
    killSpawned();
    await server?.close();
    sb.cleanup();
  });

  it('sends keep-alive packets before its report, and git prints the result as usual', async () => {
    const work = sb.path('work');
    await sb.ok(['init', '-q', '-b', 'main', work]);
    const head = await commitFiles(sb, work, { 'a.md': 'alive\n' }, 'first');
    const r = await sb.git(['push', `${server.url}/book.git`, 'main'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('* [new branch]      main -> main');

    // The same push on the wire (raw pkt-lines), to see the packets git skipped.
    await commitFiles(sb, work, { 'b.md': 'more\n' }, 'second');
    const next = (await sb.ok(['rev-parse', 'HEAD'], { cwd: work })).trim();
    const pack = (await sb.git(['pack-objects', '--revs', '-q', '--stdout'], { cwd: work, input: `${next}\n^${head}\n` })).stdoutBytes;
    const body = Buffer.concat([Buffer.from(`${pkts(`${head} ${next} refs/heads/main\0report-status side-band-64k\n`)}0000`, 'latin1'), pack]);
    const raw = (await gitPost(server.url, 'book', 'git-receive-pack', body)).body.toString('latin1');
    const report = raw.indexOf('unpack ok');
    expect(report).toBeGreaterThan(0);
    const alive = raw.slice(0, report).split('0005\x01').length - 1;
    // Several periods passed while the swap waited; a push without side-band gets none.
    expect(alive).toBeGreaterThanOrEqual(3);
    expect(raw).toContain('ok refs/heads/main');
  });
});
