import { createHash } from 'node:crypto';
import type { CaseSpec } from '../case.js';
import { IMMUTABLE, equal, header } from '../expect.js';
import { branchHead } from '../fixtures.js';
import { P } from '../paths.js';

/** GET /repos/{repo}/archive/{ref}.tar.gz and .zip: streamed, stable for a commit id. */

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export const archiveCases: CaseSpec[] = [
  {
    id: 'archives/tar-gz',
    title: 'main.tar.gz: a gzip stream',
    expect: 200,
    requires: ['archives'],
    path: P.get200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/archive/main.tar.gz') });
      header(t, ex, 'content-type', /gzip|x-tar/);
      t.check('gzip magic', ex.body[0] === 0x1f && ex.body[1] === 0x8b, '1f 8b', ex.body.subarray(0, 2).toString('hex'));
    },
  },
  {
    id: 'archives/zip',
    title: 'main.zip: a zip file',
    expect: 200,
    requires: ['archives'],
    path: P.get200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/archive/main.zip') });
      header(t, ex, 'content-type', /zip/);
      t.check('zip magic', ex.body.subarray(0, 4).toString('latin1') === 'PK\x03\x04', 'PK 03 04', ex.body.subarray(0, 4).toString('hex'));
    },
  },
  {
    id: 'archives/by-commit',
    title: 'An archive of a commit id: identical bytes twice, Cache-Control immutable',
    expect: 200,
    requires: ['archives'],
    path: P.get200,
    async run(t) {
      const commit = await branchHead(t.ctx, 'main');
      const target = t.ctx.repoPath(`/archive/${commit}.tar.gz`);
      const first = await t.ctx.send({ method: 'GET', target });
      const ex = await t.exchange({ method: 'GET', target });
      header(t, ex, 'cache-control', IMMUTABLE, 'Cache-Control immutable');
      equal(t, 'same bytes', sha(first.body), sha(ex.body));
    },
  },
  {
    id: 'archives/unknown-ref',
    title: 'An archive of an unknown ref: 404',
    expect: 404,
    requires: ['archives'],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/archive/conf-no-such-branch.zip') });
    },
  },
];
