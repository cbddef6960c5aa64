/**
 * The build runs unchanged on every supported Node.js release, not only on the one running the
 * suite: each newer release (helpers/supported-nodes.ts, fetched from the npm registry into
 * ~/.cache/content-repo when missing, never skipped) starts dist/repo-server/main.js with embedded
 * storage, serves a REST write and read, a real `git clone` and `git push` over smart HTTP, and
 * stops cleanly on SIGTERM. Deprecations throw (--throw-deprecation, --pending-deprecation), so an
 * API a newer release only warns about fails here before a later one removes it. The README names
 * every line proven here.
 */
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSandbox, gitUrl } from '../repo-server/api/helpers/git.js';
import { buildWhenStale, type CompiledServer, ROOT, startCompiledServer } from './helpers/compiled-server.js';
import { NEWER_NODES, obtainNode } from './helpers/supported-nodes.js';

const STRICT = ['--throw-deprecation', '--pending-deprecation', '--trace-warnings'];

describe.each(NEWER_NODES)('the compiled server on Node $version ($status)', ({ version }) => {
  const dir = mkdtempSync(join(tmpdir(), `node-${version}-server-`));
  const git = new GitSandbox();
  let node = '';
  let server: CompiledServer;

  beforeAll(async () => {
    buildWhenStale();
    // A first run downloads about 55 MB per release.
    node = obtainNode(version);
    server = await startCompiledServer(node, dir, STRICT);
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    git.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`is that release's binary that serves`, () => {
    expect(readlinkSync(`/proc/${server.child.pid}/exe`)).toBe(realpathSync(node));
  });

  it('serves a REST write and read, a git clone and a git push, and the push through REST', async () => {
    const auth = { authorization: `Bearer ${server.token}` };
    const { url } = server;
    expect((await fetch(`${url}/repos/book`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBe(201);
    expect((await fetch(`${url}/repos/book/contents/ch1.md?message=Start`, { method: 'PUT', headers: auth, body: '# Chapter 1\n' })).status).toBe(201);
    const read = await fetch(`${url}/repos/book/contents/ch1.md`, { headers: auth });
    expect([read.status, await read.text()]).toEqual([200, '# Chapter 1\n']);

    const clone = git.path('clone');
    await git.ok(['clone', '-q', gitUrl(url, 'book', server.token), clone]);
    expect(readFileSync(join(clone, 'ch1.md'), 'utf8')).toBe('# Chapter 1\n');
    writeFileSync(join(clone, 'ch2.md'), `# Chapter 2, pushed to Node ${version}\n`);
    await git.ok(['add', 'ch2.md'], clone);
    await git.ok(['commit', '-q', '-m', 'Chapter 2'], clone);
    await git.ok(['push', '-q', 'origin', 'HEAD:main'], clone);
    const pushed = await fetch(`${url}/repos/book/contents/ch2.md`, { headers: auth });
    expect([pushed.status, await pushed.text()]).toEqual([200, `# Chapter 2, pushed to Node ${version}\n`]);
  });

  it('stops cleanly on SIGTERM, having warned of nothing', async () => {
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('shutting down');
    expect(server.output()).not.toMatch(/Warning|DEP0\d+|"level":(?:50|60)/);
  });
});

it('the README names every line proven here among the supported ones', () => {
  const supported = /^Supported Node\.js: (.*)$/m.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[1] ?? '';
  // "20.19+, 22.12+, 24 and 26 (...": the major of each item of the list.
  const lines = [...supported.matchAll(/(?:^|, | and )(\d+)/g)].map((m) => m[1]);
  expect(lines).toContain('20');
  for (const { version } of NEWER_NODES) expect(lines).toContain(version.split('.')[0]);
});
