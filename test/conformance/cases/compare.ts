import type { CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import { equal, header, json, varyHas } from '../expect.js';
import { branchHead, commitFiles, createBranch } from '../fixtures.js';
import { P } from '../paths.js';

/** GET /repos/{repo}/compare/{base}...{head}: counts, merge base, changed files, or a diff. */

const HEAD = 'conf-compare';

/** main...conf-compare where conf-compare is one commit ahead, changing one file. */
function diverged(ctx: Context): Promise<{ base: string; head: string }> {
  return ctx.memo('compare-branches', async () => {
    const base = await branchHead(ctx, 'main');
    await createBranch(ctx, HEAD, 'main');
    const head = await commitFiles(ctx, HEAD, { 'compare/changed.txt': 'changed on the head branch\n' });
    return { base, head };
  });
}

/** GitHub spells them ahead_by/behind_by; camelCase is this API's style. Either will do. */
function count(body: Record<string, unknown> | undefined, name: 'ahead' | 'behind'): unknown {
  return body?.[`${name}By`] ?? body?.[`${name}_by`] ?? body?.[name];
}

export const compareCases: CaseSpec[] = [
  {
    id: 'compare/json',
    title: 'main...branch: ahead 1, behind 0, the merge base and the changed file',
    expect: 200,
    requires: ['compare'],
    path: P.get200,
    async run(t) {
      const { base } = await diverged(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/compare/main...${HEAD}`) });
      const body = json(t, ex);
      equal(t, 'ahead', 1, count(body, 'ahead'));
      equal(t, 'behind', 0, count(body, 'behind'));
      equal(t, 'merge base', base, body?.mergeBase ?? body?.merge_base);
      t.check('names the changed file', JSON.stringify(body?.files ?? '').includes('compare/changed.txt'), 'compare/changed.txt', JSON.stringify(body?.files ?? null).slice(0, 120));
      varyHas(t, ex, 'Accept');
    },
  },
  {
    id: 'compare/diff',
    title: 'Accept: text/x-diff: the unified diff',
    expect: 200,
    requires: ['compare'],
    path: P.get200,
    async run(t) {
      await diverged(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/compare/main...${HEAD}`), headers: { Accept: 'text/x-diff' } });
      header(t, ex, 'content-type', /^text\/x-diff/);
      const text = ex.body.toString('utf8');
      t.check('a unified diff of the file', text.includes('compare/changed.txt') && text.includes('+changed on the head branch'), '--- / +++ / @@ hunks', text.slice(0, 120));
    },
  },
  {
    id: 'compare/not-acceptable',
    title: 'Accept: image/png: 406',
    expect: 406,
    requires: ['compare'],
    path: ['c4', 406],
    async run(t) {
      await diverged(t.ctx);
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/compare/main...${HEAD}`), headers: { Accept: 'image/png' } });
    },
  },
  {
    id: 'compare/unknown-ref',
    title: 'main...a branch that does not exist: 404',
    expect: 404,
    requires: ['compare'],
    path: ['g7', 404],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/compare/main...conf-no-such-branch') });
    },
  },
  {
    id: 'compare/malformed',
    title: 'Two dots instead of three: 400 (malformed_request, B9)',
    expect: 400,
    requires: ['compare'],
    path: ['b9b', 400],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/compare/main..${HEAD}`) });
    },
  },
];
