/**
 * A write the storage refuses for now (a read-only vbucket, a failover under way) is answered as
 * what it is: REST gets 503 with Retry-After and a problem body naming the cause, git gets its
 * push rejected with a reason it prints, and the front end logs it at warn without a stack. Reads
 * go on. (The real thing, with shard processes killed, is in test/cluster/.)
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailable, type RepoStore, type Storage } from '../../../fs-service/index.js';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { loadConfig } from '../../../repo-server/config.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { type RunningServer, startServer } from '../../../repo-server/server.js';
import { GitSandbox, killSpawned } from '../git-http/helpers/git-client.js';
import { commitFiles } from '../git-http/helpers/local-repo.js';

const WRITES = new Set(['writeFile', 'mkdir', 'rmdir', 'unlink', 'rm', 'symlink']);

/** Memory storage whose writes are refused as read-only while `refusing` is set. */
class RefusingStorage implements Storage {
  refusing = false;
  private readonly inner = new MemoryStorage();

  private refusal(): StorageUnavailable {
    return new StorageUnavailable('read-only', 'only 1 of 3 copies of vbucket 7 are in sync, 2 needed', 5);
  }

  repo(name: string): RepoStore {
    const store = this.inner.repo(name);
    const guard = <F extends (...args: never[]) => Promise<unknown>>(write: F): F =>
      ((...args: never[]) => (this.refusing ? Promise.reject(this.refusal()) : write(...args))) as F;
    const promises = new Proxy(store.fs.promises, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' && WRITES.has(String(key)) ? guard((value as (...a: never[]) => Promise<unknown>).bind(target)) : value;
      },
    });
    return Object.assign(Object.create(store) as RepoStore, {
      fs: { promises },
      compareAndSwap: guard(store.compareAndSwap.bind(store)),
      createExclusive: guard(store.createExclusive.bind(store)),
    });
  }

  listRepos(): Promise<string[]> {
    return this.inner.listRepos();
  }

  readiness(): ReturnType<Storage['readiness']> {
    return this.inner.readiness();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('storage refusing writes for now', () => {
  const storage = new RefusingStorage();
  const log = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let running: RunningServer;
  let sb: GitSandbox;

  beforeAll(async () => {
    log.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const config = { ...loadConfig([], {}), host: '127.0.0.1', port: 0, dataDir: '(test storage)', auth: false, rateLimits: undefined };
    running = await startServer(config, storage, createLogger('info', log));
    const created = await fetch(`${running.url}/repos/book`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(created.status).toBe(201);
    expect((await fetch(`${running.url}/repos/book/contents/a.md?message=a`, { method: 'PUT', body: 'a\n' })).status).toBe(201);
    sb = new GitSandbox();
  });

  afterAll(async () => {
    killSpawned();
    await running?.close(100);
    sb?.cleanup();
  });

  it('a REST write is 503 with Retry-After and a problem naming the cause, logged at warn without a stack; reads go on', async () => {
    storage.refusing = true;
    lines.length = 0;
    const res = await fetch(`${running.url}/repos/book/contents/b.md?message=b`, { method: 'PUT', body: 'b\n' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: '/problems/unavailable', status: 503, cause: 'read-only', retryAfter: 5 });
    expect(String(body.detail)).toMatch(/^read-only: only 1 of 3 copies of vbucket 7 are in sync, 2 needed; retry in 5 s$/);
    expect((await fetch(`${running.url}/repos/book/contents/a.md`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
    const warned = lines.filter((l) => l.level === 40 && l.status === 503);
    expect(warned).toHaveLength(1);
    expect(JSON.stringify(warned[0])).not.toContain('stack');
  });

  it('a git push is rejected with the reason and when to retry, which git prints', async () => {
    storage.refusing = false;
    const url = `${running.url}/book.git`;
    await sb.ok(['clone', '-q', url, sb.path('work')]);
    await commitFiles(sb, sb.path('work'), { 'c.md': 'c\n' }, 'c');
    storage.refusing = true;
    lines.length = 0;
    const pushed = await sb.git(['push', url, 'main'], { cwd: sb.path('work') });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain('storage unavailable, read-only: only 1 of 3 copies of vbucket 7 are in sync, 2 needed; retry in 5 s');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
    storage.refusing = false;
    await sb.ok(['push', '-q', url, 'main'], { cwd: sb.path('work') });
  });
});
