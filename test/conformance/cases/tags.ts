import type { CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import { IMMUTABLE, header, json, location } from '../expect.js';
import { JSON_TYPE, branchHead, commitFiles } from '../fixtures.js';
import { existing, P, TAIL } from '../paths.js';

/** /repos/{repo}/tags: published versions; publishing is idempotent, a tag never moves. */

const NO_PRE = ['g8', 'h10', 'i12', 'l13'] as const;
const TAG = 'v1.0-conformance';

function publish(ref: string): string {
  return JSON.stringify({ ref, message: 'published by the conformance client' });
}

/** The commit the tag names (main's head when the first tag case runs). */
function tagged(ctx: Context): Promise<string> {
  return ctx.memo('tags-commit', () => branchHead(ctx, 'main'));
}

export const tagCases: CaseSpec[] = [
  {
    id: 'tags/create',
    title: 'PUT {ref, message} publishes an annotated tag: 201 with Location and ETag',
    expect: 201,
    path: P.putCreate201,
    async run(t) {
      const commit = await tagged(t.ctx);
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/tags/${TAG}`), headers: JSON_TYPE, body: publish(commit) });
      location(t, ex, t.ctx.repoPath(`/tags/${TAG}`));
      header(t, ex, 'etag', (v) => v.startsWith('"'));
    },
  },
  {
    id: 'tags/repeat',
    title: 'The same PUT again: 200, nothing changes',
    expect: 200,
    path: existing(NO_PRE, TAIL.put200),
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/tags/${TAG}`), headers: JSON_TYPE, body: publish(await tagged(t.ctx)) });
    },
  },
  {
    id: 'tags/never-moves',
    title: 'PUT of the tag to another commit: 409',
    expect: 409,
    path: existing(NO_PRE, ['m16', 'n16', 'o16', 'o14', 409]),
    async run(t) {
      await tagged(t.ctx);
      const other = await commitFiles(t.ctx, 'main', { 'tags/after.txt': 'after the tag' });
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/tags/${TAG}`), headers: JSON_TYPE, body: publish(other) });
    },
  },
  {
    id: 'tags/get',
    title: 'GET of a tag: names its commit, Cache-Control immutable',
    expect: 200,
    path: P.get200,
    async run(t) {
      const commit = await tagged(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/tags/${TAG}`) });
      header(t, ex, 'cache-control', IMMUTABLE, 'Cache-Control immutable');
      const named = json(t, ex)?.commit;
      t.check('body.commit', named === commit, commit, String(named));
    },
  },
  {
    id: 'tags/list',
    title: 'GET /tags lists the tag',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/tags') });
      const names = ((json(t, ex)?.tags as { name?: string }[] | undefined) ?? []).map((x) => x.name);
      t.check('lists the tag', names.includes(TAG), TAG, names.join(', '));
    },
  },
  {
    id: 'tags/missing',
    title: 'GET of an unknown tag: 404',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/tags/v0-never') });
    },
  },
];
