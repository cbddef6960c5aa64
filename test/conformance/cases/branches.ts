import type { CaseSpec } from '../case.js';
import { NO_CACHE, equal, header, json, location } from '../expect.js';
import { JSON_TYPE, branchHead, commitFiles, createBranch, putFile } from '../fixtures.js';
import { existing, P, TAIL } from '../paths.js';

/**
 * /repos/{repo}/branches: the ETag of a branch is its commit id, so If-Match "<id>" makes a move
 * or a delete a compare-and-swap; unconditional moves and deletes get 428 (RFC 6585).
 */

const IF_MATCH = ['g8', 'g9', 'g11', 'h10', 'i12', 'l13'] as const;
const q = (id: string): string => `"${id}"`;
const body = (value: unknown): string => JSON.stringify(value);

export const branchCases: CaseSpec[] = [
  {
    id: 'branches/list',
    title: 'GET /branches lists main with its commit, ETag and Cache-Control: no-cache',
    expect: 200,
    path: P.get200,
    async run(t) {
      await putFile(t.ctx, 'branches/seed.txt', 'seed');
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/branches') });
      header(t, ex, 'cache-control', NO_CACHE);
      const names = ((json(t, ex)?.branches as { name?: string }[] | undefined) ?? []).map((b) => b.name);
      t.check('lists main', names.includes('main'), 'main', names.join(', '));
    },
  },
  {
    id: 'branches/get',
    title: 'GET of a branch: {name, commit}, ETag = the commit id',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/branches/main') });
      const commit = String(json(t, ex)?.commit);
      header(t, ex, 'etag', q(commit));
    },
  },
  {
    id: 'branches/get-304',
    title: 'GET of a branch with If-None-Match of its commit: 304',
    expect: 304,
    path: ['g7', 'g7a', 'g8', 'h10', 'i12', 'i13', 'k13', 'j18', 304],
    async run(t) {
      const head = await branchHead(t.ctx, 'main');
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/branches/main'), headers: { 'If-None-Match': q(head) } });
      header(t, ex, 'etag', q(head));
    },
  },
  {
    id: 'branches/create',
    title: 'PUT {from: "main"} creates a branch (a slash in its name): 201, Location, ETag',
    expect: 201,
    path: P.putCreate201,
    async run(t) {
      const head = await branchHead(t.ctx, 'main');
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/feature'), headers: JSON_TYPE, body: body({ from: 'main' }) });
      location(t, ex, t.ctx.repoPath('/branches/conf/feature'));
      header(t, ex, 'etag', q(head));
    },
  },
  {
    id: 'branches/create-only',
    title: 'PUT with If-None-Match: * of a branch that exists: 412 (the request is conditional, so no 428)',
    expect: 412,
    path: ['g7', 'g7a', 'g8', 'h10', 'i12', 'i13', 'j18', 412],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/main'), headers: { ...JSON_TYPE, 'If-None-Match': '*' }, body: body({ from: 'main' }) });
    },
  },
  {
    id: 'branches/create-without-from',
    title: 'PUT of a new branch without {from}: 400',
    expect: 400,
    path: ['g7', 'h7', 'i7', 'i4', 'p3', 400],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/no-from'), headers: JSON_TYPE, body: '{}' });
    },
  },
  {
    id: 'branches/create-wrong-type',
    title: 'PUT of a new branch with Content-Type text/plain: 415 from the accept helper at P3',
    expect: 415,
    path: ['g7', 'h7', 'i7', 'i4', 'p3', 415],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/plain'), headers: { 'Content-Type': 'text/plain' }, body: body({ from: 'main' }) });
    },
  },
  {
    id: 'branches/invalid-name',
    title: 'A branch name git refuses (a..b): 400',
    expect: 400,
    path: ['g7', 400],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/a..b'), headers: JSON_TYPE, body: body({ from: 'main' }) });
    },
  },
  {
    id: 'branches/move-unconditional',
    title: 'PUT {commit} without If-Match: 428 Precondition Required',
    expect: 428,
    path: ['g7', 'g7a', 428],
    async run(t) {
      const head = await branchHead(t.ctx, 'main');
      await createBranch(t.ctx, 'conf/unguarded', 'main');
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/unguarded'), headers: JSON_TYPE, body: body({ commit: head }) });
    },
  },
  {
    id: 'branches/move-stale',
    title: 'PUT {commit} with If-Match of an old commit: 412, the branch stays',
    expect: 412,
    path: ['g7', 'g7a', 'g8', 'g9', 'g11', 412],
    async run(t) {
      const old = await branchHead(t.ctx, 'main');
      await createBranch(t.ctx, 'conf/stale', 'main');
      const next = await commitFiles(t.ctx, 'conf/stale', { 'branches/stale.txt': 'moved on' });
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/stale'), headers: { ...JSON_TYPE, 'If-Match': q(old) }, body: body({ commit: old }) });
      equal(t, 'branch unchanged', next, await branchHead(t.ctx, 'conf/stale'));
    },
  },
  {
    id: 'branches/move-fast-forward',
    title: 'PUT {commit} with If-Match of the current commit, fast-forward: 200, ETag = new commit',
    expect: 200,
    path: existing(IF_MATCH, TAIL.put200),
    async run(t) {
      const start = await createBranch(t.ctx, 'conf/ff', 'main');
      await createBranch(t.ctx, 'conf/ff-ahead', 'main');
      const ahead = await commitFiles(t.ctx, 'conf/ff-ahead', { 'branches/ff.txt': 'ahead' });
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/ff'), headers: { ...JSON_TYPE, 'If-Match': q(start) }, body: body({ commit: ahead }) });
      header(t, ex, 'etag', q(ahead));
      equal(t, 'branch moved', ahead, await branchHead(t.ctx, 'conf/ff'));
    },
  },
  {
    id: 'branches/move-not-fast-forward',
    title: 'PUT {commit} that is not a fast-forward: 409, the branch stays',
    expect: 409,
    path: existing(IF_MATCH, ['m16', 'n16', 'o16', 'o14', 409]),
    async run(t) {
      const base = await createBranch(t.ctx, 'conf/side', 'main');
      const side = await commitFiles(t.ctx, 'conf/side', { 'branches/side.txt': 'side' });
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/side'), headers: { ...JSON_TYPE, 'If-Match': q(side) }, body: body({ commit: base }) });
      equal(t, 'branch unchanged', side, await branchHead(t.ctx, 'conf/side'));
    },
  },
  {
    id: 'branches/move-force',
    title: 'The same move with {force: true}: 200',
    expect: 200,
    path: existing(IF_MATCH, TAIL.put200),
    async run(t) {
      const base = await createBranch(t.ctx, 'conf/forced', 'main');
      const side = await commitFiles(t.ctx, 'conf/forced', { 'branches/forced.txt': 'forced' });
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/branches/conf/forced'), headers: { ...JSON_TYPE, 'If-Match': q(side) }, body: body({ commit: base, force: true }) });
      equal(t, 'branch moved back', base, await branchHead(t.ctx, 'conf/forced'));
    },
  },
  {
    id: 'branches/delete-unconditional',
    title: 'DELETE of a branch without If-Match: 428',
    expect: 428,
    path: ['g7', 'g7a', 428],
    async run(t) {
      await createBranch(t.ctx, 'conf/keep', 'main');
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath('/branches/conf/keep') });
    },
  },
  {
    id: 'branches/delete-stale',
    title: 'DELETE with If-Match of another commit: 412',
    expect: 412,
    path: ['g7', 'g7a', 'g8', 'g9', 'g11', 412],
    async run(t) {
      await createBranch(t.ctx, 'conf/keep-too', 'main');
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath('/branches/conf/keep-too'), headers: { 'If-Match': q('0'.repeat(40)) } });
    },
  },
  {
    id: 'branches/delete',
    title: 'DELETE with If-Match of its commit: 204, then GET is 404',
    expect: 204,
    path: existing(IF_MATCH, TAIL.delete204),
    async run(t) {
      const head = await createBranch(t.ctx, 'conf/short-lived', 'main');
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath('/branches/conf/short-lived'), headers: { 'If-Match': q(head) } });
      equal(t, 'GET afterwards', 404, (await t.ctx.send({ method: 'GET', target: t.ctx.repoPath('/branches/conf/short-lived') })).status);
    },
  },
  {
    id: 'branches/delete-default',
    title: 'DELETE of the default branch: 409',
    expect: 409,
    path: existing(IF_MATCH, ['m16', 'm20', 409]),
    async run(t) {
      const head = await branchHead(t.ctx, 'main');
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath('/branches/main'), headers: { 'If-Match': q(head) } });
    },
  },
  {
    id: 'branches/missing',
    title: 'GET of a branch that does not exist: 404',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/branches/conf/never') });
    },
  },
];
