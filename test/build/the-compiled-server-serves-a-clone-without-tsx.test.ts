/**
 * The build is what runs in production: `node dist/repo-server/main.js` (what `npm start` and the
 * service units start), with no tsx anywhere on its PATH or its command line, serves the REST API,
 * the web client with the libraries the build copied, and a git clone. The bin entries exist and
 * are executable. The test command builds first (scripts/test.sh); run alone, this builds when
 * dist/ is stale.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWhenStale, type CompiledServer, ROOT, startCompiledServer, SYSTEM_PATH as PATH } from './helpers/compiled-server.js';

describe('the compiled server (dist/, node, no tsx)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compiled-server-'));
  let compiled: CompiledServer;
  let server: CompiledServer['child'];
  let url = '';
  let token = '';

  beforeAll(async () => {
    buildWhenStale();
    compiled = await startCompiledServer(process.execPath, dir);
    ({ child: server, url, token } = compiled);
  }, 240_000);

  afterAll(async () => {
    await compiled?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs without tsx: nothing of it on the command line, the PATH or in the process', () => {
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline.filter((a) => a.includes('tsx'))).toEqual([]);
    const maps = readFileSync(`/proc/${server.pid}/maps`, 'utf8');
    expect(maps).not.toContain('esbuild');
  });

  it('serves the API, the web client with its libraries, and a clone', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/repos/book`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBe(201);
    expect((await fetch(`${url}/repos/book/contents/ch1.md?message=Start`, { method: 'PUT', headers: auth, body: '# Chapter 1\n' })).status).toBe(201);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const library = await fetch(`${url}/ui/lib/markdown-it/dist/browser/markdown-it.esm.min.mjs`);
    expect([library.status, library.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    execFileSync('git', ['clone', '-q', `${url.replace('http://', `http://editor:${token}@`)}/book.git`, join(dir, 'clone')], { env: { PATH, HOME: dir }, timeout: 60_000 });
    expect(readFileSync(join(dir, 'clone', 'ch1.md'), 'utf8')).toBe('# Chapter 1\n');
  });

  it('every bin entry is built and executable', () => {
    const bins = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
    expect(Object.keys(bins).sort()).toEqual(['content-repo-admin', 'content-repo-cluster', 'content-repo-conformance', 'content-repo-fsck', 'content-repo-server', 'content-repo-shard', 'content-repo-supervisor', 'content-repo-tokens']);
    for (const file of Object.values(bins)) {
      accessSync(join(ROOT, file), constants.X_OK);
      expect(readFileSync(join(ROOT, file), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    }
    // Each answers --help from dist/ alone.
    const help = execFileSync(join(ROOT, bins['content-repo-shard']!), ['--help'], { env: { PATH }, encoding: 'utf8' });
    expect(help).toContain('--pid-file');
  });
});
