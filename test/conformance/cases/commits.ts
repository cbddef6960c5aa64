import type { CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import { IMMUTABLE, NO_CACHE, equal, header, json, location } from '../expect.js';
import { JSON_TYPE, branchHead, commitFiles } from '../fixtures.js';
import { existing, P } from '../paths.js';

/** /repos/{repo}/commits: atomic multi-file commits, history with Link paging, immutable commits. */

const NO_PRE = ['g8', 'h10', 'i12', 'l13'] as const;

function commitBody(branch: string, files: Record<string, string>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ branch, message: 'conformance commit', changes: Object.entries(files).map(([path, content]) => ({ path, content })), ...extra });
}

/** A commit the read cases look at. */
function aCommit(ctx: Context): Promise<string> {
  return ctx.memo('commits-one', () => commitFiles(ctx, 'main', { 'commits/a.txt': 'a', 'commits/b.txt': 'b' }));
}

export const commitCases: CaseSpec[] = [
  {
    id: 'commits/post',
    title: 'POST of several changes: one commit, 201 with Location of the commit',
    expect: 201,
    path: P.post201,
    async run(t) {
      const ex = await t.exchange({ method: 'POST', target: t.ctx.repoPath('/commits'), headers: JSON_TYPE, body: commitBody('main', { 'commits/one.txt': '1', 'commits/two.txt': '2' }) });
      const id = String(json(t, ex)?.id);
      location(t, ex, t.ctx.repoPath(`/commits/${id}`));
      equal(t, 'branch head is the new commit', id, await branchHead(t.ctx, 'main'));
    },
  },
  {
    id: 'commits/get',
    title: 'GET of a commit: ETag = its id, Cache-Control immutable, Last-Modified',
    expect: 200,
    path: P.get200,
    async run(t) {
      const id = await aCommit(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/commits/${id}`) });
      header(t, ex, 'etag', `"${id}"`);
      header(t, ex, 'cache-control', IMMUTABLE, 'Cache-Control immutable');
      header(t, ex, 'last-modified', (v) => v !== '');
    },
  },
  {
    id: 'commits/get-304',
    title: 'GET of a commit with If-None-Match: 304 that keeps Cache-Control immutable',
    expect: 304,
    path: ['g7', 'g7a', 'g8', 'h10', 'i12', 'i13', 'k13', 'j18', 304],
    async run(t) {
      const id = await aCommit(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/commits/${id}`), headers: { 'If-None-Match': `"${id}"` } });
      header(t, ex, 'cache-control', IMMUTABLE, 'Cache-Control immutable');
    },
  },
  {
    id: 'commits/missing',
    title: 'GET of an unknown commit: 404',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/commits/${'0'.repeat(40)}`) });
    },
  },
  {
    id: 'commits/stale-parent',
    title: 'POST with a parent that is no longer the head: 409, nothing committed',
    expect: 409,
    path: existing(NO_PRE, ['m16', 'n16', 'n11', 409]),
    async run(t) {
      const parent = await aCommit(t.ctx);
      await commitFiles(t.ctx, 'main', { 'commits/moved-on.txt': 'x' });
      const head = await branchHead(t.ctx, 'main');
      await t.exchange({ method: 'POST', target: t.ctx.repoPath('/commits'), headers: JSON_TYPE, body: commitBody('main', { 'commits/late.txt': 'late' }, { parent }) });
      equal(t, 'branch unchanged', head, await branchHead(t.ctx, 'main'));
    },
  },
  {
    id: 'commits/malformed',
    title: 'POST of a body that is not JSON: 400',
    expect: 400,
    path: existing(NO_PRE, ['m16', 'n16', 'n11', 400]),
    async run(t) {
      await t.exchange({ method: 'POST', target: t.ctx.repoPath('/commits'), headers: JSON_TYPE, body: '{"branch":' });
    },
  },
  {
    id: 'commits/wrong-content-type',
    title: 'POST with Content-Type text/plain: 415 (the body is JSON only), nothing committed',
    expect: 415,
    async run(t) {
      const head = await branchHead(t.ctx, 'main');
      await t.exchange({ method: 'POST', target: t.ctx.repoPath('/commits'), headers: { 'Content-Type': 'text/plain' }, body: commitBody('main', { 'commits/plain.txt': 'p' }) });
      equal(t, 'branch unchanged', head, await branchHead(t.ctx, 'main'));
    },
  },
  {
    id: 'commits/history',
    title: 'GET /commits?per_page=1: newest first, Link rel="next", ETag, Cache-Control: no-cache',
    expect: 200,
    path: P.get200,
    async run(t) {
      await aCommit(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/commits?per_page=1') });
      header(t, ex, 'link', /rel="?next"?/);
      header(t, ex, 'cache-control', NO_CACHE);
      const commits = (json(t, ex)?.commits as { id?: string }[] | undefined) ?? [];
      equal(t, 'first is the head', await branchHead(t.ctx, 'main'), commits[0]?.id);
      equal(t, 'page size', 1, commits.length);
    },
  },
  {
    id: 'commits/history-bad-per-page',
    title: 'GET /commits?per_page=many: 400',
    expect: 400,
    path: ['g7', 400],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/commits?per_page=many') });
    },
  },
];
