import type { CaseSpec } from '../case.js';
import { equal, json, location } from '../expect.js';
import { JSON_TYPE, branchHead, commitFiles, createBranch } from '../fixtures.js';
import { existing, P } from '../paths.js';

/** POST /repos/{repo}/merges: 201 merged, 204 nothing to do, 409 conflicts with no ref moved. */

const NO_PRE = ['g8', 'h10', 'i12', 'l13'] as const;
const merge = (base: string, head: string): string => JSON.stringify({ base, head, message: 'conformance merge' });

export const mergeCases: CaseSpec[] = [
  {
    id: 'merges/merged',
    title: 'Merging a branch with new work: 201, Location of the result, base moved',
    expect: 201,
    requires: ['merges'],
    path: P.post201,
    async run(t) {
      await createBranch(t.ctx, 'conf-merge-base', 'main');
      await createBranch(t.ctx, 'conf-merge-head', 'main');
      await commitFiles(t.ctx, 'conf-merge-base', { 'merges/base.txt': 'base side' });
      await commitFiles(t.ctx, 'conf-merge-head', { 'merges/head.txt': 'head side' });
      const ex = await t.exchange({ method: 'POST', target: t.ctx.repoPath('/merges'), headers: JSON_TYPE, body: merge('conf-merge-base', 'conf-merge-head') });
      const commit = json(t, ex)?.commit as { id?: string } | undefined;
      location(t, ex, t.ctx.repoPath(`/commits/${commit?.id}`));
      equal(t, 'base is the merge', commit?.id, await branchHead(t.ctx, 'conf-merge-base'));
    },
  },
  {
    id: 'merges/up-to-date',
    title: 'Merging a branch already contained in base: 204, nothing moves',
    expect: 204,
    requires: ['merges'],
    path: existing(NO_PRE, ['m16', 'n16', 'n11', 'p11', 'o20', 204]),
    async run(t) {
      await createBranch(t.ctx, 'conf-merge-same', 'main');
      const head = await branchHead(t.ctx, 'main');
      await t.exchange({ method: 'POST', target: t.ctx.repoPath('/merges'), headers: JSON_TYPE, body: merge('main', 'conf-merge-same') });
      equal(t, 'main unchanged', head, await branchHead(t.ctx, 'main'));
    },
  },
  {
    id: 'merges/conflict',
    title: 'Both sides changed one file: 409 naming the path, no ref moved',
    expect: 409,
    requires: ['merges'],
    path: existing(NO_PRE, ['m16', 'n16', 'n11', 409]),
    async run(t) {
      await createBranch(t.ctx, 'conf-conflict-a', 'main');
      await createBranch(t.ctx, 'conf-conflict-b', 'main');
      const a = await commitFiles(t.ctx, 'conf-conflict-a', { 'merges/clash.txt': 'line from a\n' });
      await commitFiles(t.ctx, 'conf-conflict-b', { 'merges/clash.txt': 'line from b\n' });
      const ex = await t.exchange({ method: 'POST', target: t.ctx.repoPath('/merges'), headers: JSON_TYPE, body: merge('conf-conflict-a', 'conf-conflict-b') });
      t.check('names the conflicting path', ex.body.toString('utf8').includes('merges/clash.txt'), 'merges/clash.txt', ex.body.toString('utf8').slice(0, 160));
      equal(t, 'base unchanged', a, await branchHead(t.ctx, 'conf-conflict-a'));
    },
  },
  {
    id: 'merges/unknown-head',
    title: 'An unknown head: 404',
    expect: 404,
    requires: ['merges'],
    path: existing(NO_PRE, ['m16', 'n16', 'n11', 404]),
    async run(t) {
      await t.exchange({ method: 'POST', target: t.ctx.repoPath('/merges'), headers: JSON_TYPE, body: merge('main', 'conf-no-such-branch') });
    },
  },
];
