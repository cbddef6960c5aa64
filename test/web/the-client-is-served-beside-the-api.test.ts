/**
 * The router that serves the client: the page at "/", its files under /ui/ with the right types
 * and revalidation, a strict Content-Security-Policy, nothing outside its own folder, and the API
 * untouched beside it. Also the rules the client's source keeps: every module it imports is
 * served, and no untrusted string can become markup.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import express from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../fs-service/testing.js';
import { createApp } from '../../repo-server/app.js';
import { EventBus } from '../../repo-server/events/event-bus.js';
import { createLogger } from '../../repo-server/observability/logger.js';
import { LIBRARIES } from '../../repo-server/web/assets.js';
import { contentSecurityPolicy, webClientRouter } from '../../repo-server/web/index.js';
import { loadUi, type FilesModule, type RouterModule, UI_DIR } from './helpers/ui-modules.js';

function app(): express.Express {
  const outer = express();
  outer.use(webClientRouter());
  outer.use(createApp({ storage: new MemoryStorage(), events: new EventBus(), logger: createLogger('silent'), engine: {} }));
  return outer;
}

function sources(dir = UI_DIR): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : [full];
  });
}

describe('the web client router', () => {
  const server = app();

  it('serves the page at / with a policy that allows only this origin and no inline script', async () => {
    const res = await request(server).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const policy = res.headers['content-security-policy'] as string;
    expect(policy).toBe(contentSecurityPolicy(Buffer.from(res.text)));
    // The only inline script allowed is the import map, by the hash of its exact text.
    const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(res.text)![1]!;
    expect(policy).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(map).digest('base64')}';`);
    expect(policy).not.toContain('unsafe-inline\'; script');
    expect(policy).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toContain('<script type="module" src="/ui/app.js"></script>');
  });

  it('serves the files under /ui/ with their types, and answers 304 to a current ETag', async () => {
    const js = await request(server).get('/ui/views/editor.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await request(server).get('/ui/styles.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await request(server).get('/ui/icon.svg')).headers['content-type']).toBe('image/svg+xml');
    const again = await request(server).get('/ui/views/editor.js').set('If-None-Match', js.headers.etag as string);
    expect(again.status).toBe(304);
    const head = await request(server).head('/ui/app.js');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(readFileSync(join(UI_DIR, 'app.js')).length);
  });

  it.each(['/ui/nope.js', '/ui/../index.ts', '/ui/%2e%2e/index.ts', '/ui/..%2findex.ts', '/ui/views/', '/ui/'])('answers 404 to %s and reads nothing outside its folder', async (path) => {
    const res = await request(server).get(path);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('webClientRouter');
  });

  it('leaves every other path to the API', async () => {
    expect((await request(server).get('/healthz')).status).toBe(200);
    const repos = await request(server).get('/repos');
    expect(repos.status).toBe(200);
    expect(repos.headers['content-type']).toMatch(/^application\/json/);
    expect((await request(server).post('/')).status).toBe(404);
  });
});

describe('the client source', () => {
  const files = sources().filter((f) => f.endsWith('.js'));

  it('imports only modules the router serves: its own by relative path, libraries through the import map', async () => {
    const served = app();
    const page = (await request(served).get('/')).text;
    const imports = (JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(page)![1]!) as { imports: Record<string, string> }).imports;
    for (const [name, target] of Object.entries(imports)) {
      const res = await request(served).get(target);
      expect(res.status, `${name} -> ${target}`).toBe(200);
      expect(res.headers['content-type'], target).toBe('text/javascript; charset=utf-8');
    }
    // The table the router serves libraries from and the page's map name the same packages.
    expect(LIBRARIES.map((l) => l.name).sort()).toEqual(Object.keys(imports).filter((k) => !k.startsWith('#')).sort());
    for (const file of files) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import [^'"]*['"]([^'"]+)['"];?$/gm)) {
        if (!/^\.\.?\//.test(spec!)) {
          expect(Object.keys(imports), `${relative(UI_DIR, file)} imports ${spec}`).toContain(spec);
          continue;
        }
        const target = relative(UI_DIR, join(file, '..', spec!)).split('\\').join('/');
        expect((await request(served).get(`/ui/${target}`)).status, `${relative(UI_DIR, file)} imports ${spec}`).toBe(200);
      }
    }
    // The shared module is served byte for byte as the server runs it.
    expect((await request(served).get(imports['#text-diff']!)).text).toBe(readFileSync(join(UI_DIR, '..', '..', 'domain', 'text-diff.js'), 'utf8'));
  });

  it('serves nothing of the libraries but their modules', async () => {
    const served = app();
    for (const path of ['/ui/lib/markdown-it/package.json', '/ui/lib/markdown-it/README.md', '/ui/lib/diff/libesm/index.d.ts', '/ui/lib/left-pad/index.js', '/ui/shared/../assets.ts']) {
      expect((await request(served).get(path)).status, path).toBe(404);
    }
  });

  it('never turns strings into markup or code', () => {
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      expect(code, relative(UI_DIR, file)).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment/);
    }
  });
});

describe('client routes', () => {
  let router: RouterModule;
  let files: FilesModule;
  beforeAll(async () => {
    router = await loadUi<RouterModule>('router.js');
    files = await loadUi<FilesModule>('files.js');
  });

  it('round-trip repository, view, branch names with "/" and paths with spaces', () => {
    const link = router.href('file', 'my.book', { ref: 'drafts/ch 3', path: 'chapters/one two.md', empty: undefined });
    expect(link).toBe('#/repo/my.book/file?ref=drafts%2Fch+3&path=chapters%2Fone+two.md');
    expect(router.parse(link)).toEqual({ name: 'file', repo: 'my.book', params: { ref: 'drafts/ch 3', path: 'chapters/one two.md' } });
    expect(router.parse('#/')).toEqual({ name: 'repos', params: {} });
    expect(router.parse('')).toEqual({ name: 'repos', params: {} });
    expect(router.parse('#/repo/book')).toEqual({ name: 'tree', repo: 'book', params: {} });
    expect(router.parse('#main')).toBeNull();
    expect(router.parse('#/repo/book/nothing')).toEqual({ name: 'not-found', params: {} });
  });

  it('resolve relative links inside the repository, and not outside it', () => {
    expect(files.resolvePath('chapters/intro.md', 'two.md')).toBe('chapters/two.md');
    expect(files.resolvePath('chapters/intro.md', '../img/a%20b.png#x')).toBe('img/a b.png');
    expect(files.resolvePath('README.md', '/chapters/./x.md')).toBe('chapters/x.md');
    expect(files.resolvePath('README.md', '../outside.md')).toBeNull();
    expect(['notes.md', 'page.HTML', 'a/logo.svg', 'data.json', 'book.epub'].map(files.kindOf)).toEqual(['markdown', 'html', 'image', 'text', 'other']);
  });
});
