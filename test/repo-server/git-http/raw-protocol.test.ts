import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoStore, Storage } from '../../../fs-service/index.js';
import { GitSandbox, tearDown } from './helpers/git-client.js';
import { gitGet, gitPost, pkts } from './helpers/http.js';
import { commitFiles } from './helpers/local-repo.js';
import { openGitWorld } from './helpers/git-world.js';
import type { TestServer } from './helpers/server.js';
import { initRepo, serverRef } from './helpers/server-repo.js';
import { STORAGES } from './helpers/storages.js';

const ZERO = '0'.repeat(40);

describe.each(STORAGES)('raw smart-HTTP requests over $name storage', (factory) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let server: TestServer;
  let store: RepoStore;
  let sb: GitSandbox;
  let base: string;
  let main: string;
  let next: string;
  const work = (): string => sb.path('work');

  const packFiles = async (): Promise<string[]> =>
    (await store.fs.promises.readdir('/objects/pack').catch(() => [] as string[])).filter((n) => n.endsWith('.pack') || n.endsWith('.idx')).sort();
  /** A pack of `revs` made by the real git (pack-objects --revs). */
  const makePack = async (revs: string, extra: string[] = []): Promise<Buffer> => {
    const r = await sb.git(['pack-objects', '--revs', '-q', '--stdout', ...extra], { cwd: work(), input: `${revs}\n` });
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdoutBytes;
  };
  const pushBody = (commands: string[], caps: string, pack: Buffer): Buffer =>
    Buffer.concat([Buffer.from(pkts(`${commands[0]}\0${caps}\n`, ...commands.slice(1).map((c) => `${c}\n`), '0000'), 'latin1'), pack]);

  beforeAll(async () => {
    ({ storage, dispose, server, sb, store } = await openGitWorld(factory, 'raw', { maxRequestBytes: 64 * 1024, maxPushBytes: 4 * 1024 * 1024 }));
    base = server.url;
    await initRepo(storage.repo('empty'));
    await sb.ok(['init', '-q', '-b', 'main', work()]);
    for (let i = 0; i < 3; i++) await commitFiles(sb, work(), { 'a.txt': `${'text\n'.repeat(200)}${i}\n`, [`f${i}.txt`]: `${i}\n` }, `c${i}`);
    await sb.ok(['push', '-q', `${base}/raw.git`, 'main'], { cwd: work() });
    main = (await serverRef(store, 'refs/heads/main')) as string;
    next = await commitFiles(sb, work(), { 'a.txt': `${'text\n'.repeat(200)}changed\n` }, 'next');
  });

  afterAll(() => tearDown({ server, sb, dispose }));

  it('refuses the dumb protocol with 403 and unknown repositories with 404', async () => {
    for (const path of ['/raw.git/info/refs', '/raw.git/HEAD', '/raw.git/objects/info/packs', `/raw.git/objects/${main.slice(0, 2)}/${main.slice(2)}`]) {
      const r = await gitGet(base, path);
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toContain('text/plain');
    }
    expect((await gitGet(base, '/nope.git/info/refs?service=git-upload-pack')).status).toBe(404);
    expect((await gitGet(base, '/bad.git.git/info/refs?service=git-upload-pack')).status).toBe(404);
    expect((await gitPost(base, 'nope', 'git-upload-pack', '0000')).status).toBe(404);
    expect((await gitGet(base, '/raw.git/info/refs?service=git-archive')).status).toBe(403);
    expect((await gitGet(base, '/raw.git/git-upload-pack')).status).toBe(405);
    const wrongType = await fetch(`${base}/raw.git/git-upload-pack`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '0000' });
    expect(wrongType.status).toBe(415);
  });

  it('advertises v0 refs: service line, HEAD first with symref, no caching', async () => {
    const r = await gitGet(base, '/raw.git/info/refs?service=git-upload-pack');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    expect(r.headers.get('cache-control')).toContain('no-cache');
    const text = r.body.toString('latin1');
    expect(text.startsWith('001e# service=git-upload-pack\n0000')).toBe(true);
    expect(text).toContain(`${main} HEAD\0`);
    expect(text).toContain('symref=HEAD:refs/heads/main');
    expect(text).toContain('multi_ack_detailed');
    expect(text.endsWith('0000')).toBe(true);
    const push = (await gitGet(base, '/raw.git/info/refs?service=git-receive-pack')).body.toString('latin1');
    expect(push).toContain(`${main} refs/heads/main\0`);
    expect(push).toContain('report-status');
    expect(push).toContain('atomic');
    expect(push).not.toContain('no-thin');
  });

  it('advertises capabilities^{} for an empty repository', async () => {
    for (const service of ['git-upload-pack', 'git-receive-pack']) {
      const text = (await gitGet(base, `/empty.git/info/refs?service=${service}`)).body.toString('latin1');
      expect(text).toContain(`${ZERO} capabilities^{}\0`);
    }
  });

  it('speaks v2: capability advertisement and a gzip-encoded ls-refs', async () => {
    const adv = await gitGet(base, '/raw.git/info/refs?service=git-upload-pack', { 'Git-Protocol': 'version=2' });
    const text = adv.body.toString('latin1');
    expect(text.startsWith('000eversion 2\n')).toBe(true);
    expect(text).toContain('ls-refs=unborn');
    expect(text).toContain('fetch=shallow');
    const body = pkts('command=ls-refs\n', 'object-format=sha1\n', '0001', 'symrefs\n', 'peel\n', 'ref-prefix HEAD\n', 'ref-prefix refs/heads/\n', '0000');
    const r = await gitPost(base, 'raw', 'git-upload-pack', body, { gzip: true, headers: { 'Git-Protocol': 'version=2' } });
    expect(r.status).toBe(200);
    expect(r.body.toString('latin1')).toContain(`${main} HEAD symref-target:refs/heads/main\n`);
    expect(r.body.toString('latin1')).toContain(`${main} refs/heads/main\n`);
  });

  it('caps the decompressed request size', async () => {
    const huge = pkts('command=ls-refs\n', '0001', ...Array.from({ length: 4000 }, (_, i) => `ref-prefix refs/heads/${'x'.repeat(40)}${i}\n`), '0000');
    const r = await gitPost(base, 'raw', 'git-upload-pack', huge, { gzip: true, headers: { 'Git-Protocol': 'version=2' } });
    expect(r.status).toBe(413);
  });

  it('answers the 0000 probe with an empty 200', async () => {
    for (const service of ['git-upload-pack', 'git-receive-pack'] as const) {
      const r = await gitPost(base, 'raw', service, '0000');
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(0);
    }
  });

  it('rejects malformed pkt-lines with 400 and keeps serving', async () => {
    const bad = ['zzzz', '0032want', `0009want ${main}`, pkts('want nothing-like-an-id\n', '0000'), pkts('command=frobnicate\n', '0000')];
    for (const body of bad) {
      const v2 = body.includes('command=');
      const r = await gitPost(base, 'raw', 'git-upload-pack', body, v2 ? { headers: { 'Git-Protocol': 'version=2' } } : {});
      expect(r.status).toBe(400);
    }
    const bad2 = await gitPost(base, 'raw', 'git-receive-pack', 'ffff');
    expect(bad2.status).toBe(400);
    const r = await gitPost(base, 'raw', 'git-upload-pack', pkts('command=ls-refs\n', '0000'), { headers: { 'Git-Protocol': 'version=2' } });
    expect(r.status).toBe(200);
    expect(r.body.toString('latin1')).toContain('refs/heads/main');
  });

  it('answers a want of an unknown object with ERR', async () => {
    const r = await gitPost(base, 'raw', 'git-upload-pack', pkts(`want ${'1'.repeat(40)} side-band-64k\n`, '0000', 'done\n'));
    expect(r.status).toBe(200);
    expect(r.body.toString('latin1')).toContain('ERR upload-pack: not our ref');
  });

  it('refuses a truncated pack and a corrupt pack: nothing changes', async () => {
    const pack = await makePack(`${next}\n^${main}`);
    const before = await packFiles();
    const truncated = pack.subarray(0, Math.floor(pack.length / 2));
    const corrupt = Buffer.from(pack);
    corrupt[Math.floor(pack.length / 2)] ^= 0xff;
    for (const [bytes, expected] of [
      [truncated, 'truncated'],
      [corrupt, /corrupt|checksum/],
    ] as const) {
      const r = await gitPost(base, 'raw', 'git-receive-pack', pushBody([`${main} ${next} refs/heads/main`], 'report-status', bytes));
      expect(r.status).toBe(200);
      const text = r.body.toString('latin1');
      expect(text).toMatch(typeof expected === 'string' ? new RegExp(`unpack [^\n]*${expected}`) : expected);
      expect(text).toContain('ng refs/heads/main unpacker error');
      expect(await serverRef(store, 'refs/heads/main')).toBe(main);
      expect(await packFiles()).toEqual(before);
    }
  });

  it('refuses a pack that misses objects the new tip needs with an unpack error (as git with receive.fsckObjects), publishing nothing', async () => {
    const before = await packFiles();
    // The commit alone, without its new tree and blob.
    const out = sb.path('lonely');
    const hash = (await sb.ok(['pack-objects', '-q', out], { cwd: work(), input: `${next}\n` })).trim();
    const pack = readFileSync(`${out}-${hash}.pack`);
    const r = await gitPost(base, 'raw', 'git-receive-pack', pushBody([`${main} ${next} refs/heads/main`], 'report-status', pack));
    expect(r.body.toString('latin1')).toMatch(/unpack missingObject: commit [0-9a-f]{40} links to [0-9a-f]{40} \(tree\), which is neither sent nor stored/);
    expect(r.body.toString('latin1')).toContain('ng refs/heads/main unpacker error');
    expect(await serverRef(store, 'refs/heads/main')).toBe(main);
    expect(await packFiles()).toEqual(before);
  });

  it('an atomic push with a stale old id lands nothing; without atomic the good ref lands', async () => {
    const pack = await makePack(`${next}\n^${main}`);
    const stale = `${'2'.repeat(40)}`;
    const atomic = await gitPost(
      base,
      'raw',
      'git-receive-pack',
      pushBody([`${ZERO} ${next} refs/heads/fresh`, `${stale} ${next} refs/heads/main`], 'report-status atomic', pack),
    );
    const text = atomic.body.toString('latin1');
    expect(text).toContain('ng refs/heads/main stale info');
    expect(text).toContain('ng refs/heads/fresh atomic push failure');
    expect(await serverRef(store, 'refs/heads/fresh')).toBeNull();
    expect(await serverRef(store, 'refs/heads/main')).toBe(main);
    const plain = await gitPost(
      base,
      'raw',
      'git-receive-pack',
      pushBody([`${ZERO} ${next} refs/heads/fresh`, `${stale} ${next} refs/heads/main`], 'report-status side-band-64k', pack),
    );
    const t2 = plain.body.toString('latin1');
    expect(t2).toContain('ok refs/heads/fresh');
    expect(t2).toContain('ng refs/heads/main stale info');
    expect(await serverRef(store, 'refs/heads/fresh')).toBe(next);
    expect(await serverRef(store, 'refs/heads/main')).toBe(main);
  });

  it('completes a thin pack so that canonical git can read the stored pack', async () => {
    const thin = await makePack(`${next}\n^${main}`, ['--thin']);
    const r = await gitPost(base, 'raw', 'git-receive-pack', pushBody([`${ZERO} ${next} refs/heads/thin`], 'report-status side-band-64k', thin));
    expect(r.body.toString('latin1')).toContain('ok refs/heads/thin');
    // Progress on band 2 says the thin pack was completed from the repository's objects.
    expect(r.body.toString('latin1')).toMatch(/Completed thin pack with [1-9]/);
    const names = (await packFiles()).filter((n) => n.endsWith('.pack'));
    const check = sb.path('verify.git');
    await sb.ok(['init', '-q', '--bare', check]);
    for (const name of names) {
      const bytes = (await store.fs.promises.readFile(`/objects/pack/${name}`)) as Buffer;
      const file = sb.path(name);
      writeFileSync(file, bytes);
      // Without --fix-thin: fails on any delta whose base is outside the pack.
      await sb.ok(['index-pack', file], { cwd: check });
      const idx = (await store.fs.promises.readFile(`/objects/pack/${name.replace(/\.pack$/, '.idx')}`)) as Buffer;
      expect(Buffer.compare(idx, readFileSync(file.replace(/\.pack$/, '.idx')))).toBe(0);
    }
  });

  it('refuses a push body over maxPackBytes with 413', async () => {
    const r = await gitPost(base, 'raw', 'git-receive-pack', pushBody([`${main} ${next} refs/heads/big`], 'report-status', Buffer.alloc(5 * 1024 * 1024)));
    expect(r.status).toBe(413);
    expect(await serverRef(store, 'refs/heads/big')).toBeNull();
  });
});
