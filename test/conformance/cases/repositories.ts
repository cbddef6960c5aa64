import type { CaseSpec } from '../case.js';
import { ETAG, NO_CACHE, allowIs, equal, header, json, location, varyHas } from '../expect.js';
import { JSON_TYPE } from '../fixtures.js';
import { P } from '../paths.js';

/** /repos and /repos/{repo}: the scratch repository's life, from creation to 410. */

const ALLOWED = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];

export const repositoryCases: CaseSpec[] = [
  {
    // The first case: every other one works inside the repository it creates.
    id: 'repositories/put-create',
    title: 'PUT of a new repository creates it: 201 with Location and the JSON representation',
    expect: 201,
    path: P.putCreate201,
    async run(t) {
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: JSON_TYPE, body: JSON.stringify({ description: 'conformance scratch' }) });
      location(t, ex, t.ctx.repoPath());
      equal(t, 'body.name', t.ctx.repo, json(t, ex)?.name);
    },
  },
  {
    id: 'repositories/get',
    title: 'GET of a repository: JSON with ETag, Last-Modified, Cache-Control: no-cache, Vary',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(), headers: { Accept: 'application/json' } });
      header(t, ex, 'content-type', /^application\/json/);
      header(t, ex, 'etag', ETAG);
      header(t, ex, 'last-modified', (v) => v !== '');
      header(t, ex, 'cache-control', NO_CACHE);
      // JSON is offered gzip- and br-coded too, so the answer depends on Accept-Encoding.
      varyHas(t, ex, 'Accept-Encoding');
      equal(t, 'body.description', 'conformance scratch', json(t, ex)?.description);
    },
  },
  {
    id: 'repositories/head',
    title: 'HEAD answers the GET headers without content',
    expect: 200,
    path: P.get200,
    async run(t) {
      const get = await t.ctx.send({ method: 'GET', target: t.ctx.repoPath() });
      const ex = await t.exchange({ method: 'HEAD', target: t.ctx.repoPath() });
      equal(t, 'ETag as GET', get.headers.etag, ex.headers.etag);
      t.check('no content', ex.body.length === 0, '0 bytes', `${ex.body.length} bytes`);
    },
  },
  {
    id: 'repositories/put-update',
    title: 'PUT of an existing repository updates it: 204',
    expect: 204,
    path: P.putUpdate204,
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: JSON_TYPE, body: JSON.stringify({ description: 'conformance scratch' }) });
    },
  },
  {
    id: 'repositories/put-create-only',
    title: 'PUT with If-None-Match: * on an existing repository: 412, nothing changed',
    expect: 412,
    path: ['g7', 'g7a', 'g8', 'h10', 'i12', 'i13', 'j18', 412],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: { ...JSON_TYPE, 'If-None-Match': '*' }, body: JSON.stringify({ description: 'overwritten' }) });
      const after = await t.ctx.send({ method: 'GET', target: t.ctx.repoPath() });
      equal(t, 'description unchanged', 'conformance scratch', (JSON.parse(after.body.toString('utf8')) as { description?: string }).description);
    },
  },
  {
    id: 'repositories/list',
    title: 'GET /repos lists the scratch repository, with an ETag and Cache-Control: no-cache',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: '/repos' });
      header(t, ex, 'etag', ETAG);
      header(t, ex, 'cache-control', NO_CACHE);
      const listed = (json(t, ex)?.repositories as { name?: string }[] | undefined) ?? [];
      t.check('lists the scratch repository', listed.some((r) => r.name === t.ctx.repo), t.ctx.repo, listed.map((r) => r.name).join(', ').slice(0, 120));
    },
  },
  {
    id: 'repositories/missing',
    title: 'GET of a repository that never existed: 404 problem',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await t.exchange({ method: 'GET', target: `/repos/${t.ctx.repo}-missing` });
    },
  },
  {
    id: 'repositories/invalid-name',
    title: 'A repository name ending in .git is invalid: 400 problem',
    expect: 400,
    path: ['g7', 400],
    async run(t) {
      await t.exchange({ method: 'GET', target: `/repos/${t.ctx.repo}.git` });
    },
  },
  {
    id: 'repositories/options',
    title: 'OPTIONS answers 200 with Allow and an empty body (RFC 9110 9.3.7)',
    expect: 200,
    path: ['b3', 200],
    async run(t) {
      const ex = await t.exchange({ method: 'OPTIONS', target: t.ctx.repoPath() });
      allowIs(t, ex, ALLOWED);
      header(t, ex, 'content-length', '0');
    },
  },
  {
    id: 'repositories/method-not-allowed',
    title: 'POST to a repository: 405 with Allow',
    expect: 405,
    path: ['b10', 405],
    async run(t) {
      const ex = await t.exchange({ method: 'POST', target: t.ctx.repoPath(), headers: JSON_TYPE, body: '{}' });
      allowIs(t, ex, ALLOWED);
    },
  },
  {
    id: 'repositories/list-method-not-allowed',
    title: 'DELETE /repos: 405 with Allow naming only the read methods',
    expect: 405,
    path: ['b10', 405],
    async run(t) {
      const ex = await t.exchange({ method: 'DELETE', target: '/repos' });
      const allow = (ex.headers.allow ?? '').toUpperCase();
      t.check('Allow', allow.includes('GET') && !allow.includes('DELETE'), 'GET, HEAD (no DELETE)', ex.headers.allow ?? '(absent)');
    },
  },
];

/** Run last, always: deletes the scratch repository and checks that it is gone, not missing. */
export const repositoryCleanupCases: CaseSpec[] = [
  {
    id: 'repositories/delete',
    title: 'DELETE of the scratch repository: 204',
    expect: 204,
    path: P.delete204,
    async run(t) {
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath() });
    },
  },
  {
    id: 'repositories/gone',
    title: 'GET after DELETE: 410 Gone (previously_existed), not 404',
    expect: 410,
    path: P.gone410,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath() });
      varyHas(t, ex, 'Accept-Encoding');
    },
  },
  {
    id: 'repositories/gone-delete',
    title: 'DELETE again: 410',
    expect: 410,
    path: P.gone410,
    async run(t) {
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath() });
    },
  },
  {
    id: 'repositories/gone-branches',
    title: 'A sub-resource of a deleted repository: 410',
    expect: 410,
    path: ['g7', 410],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/branches') });
    },
  },
  {
    id: 'repositories/gone-put-if-match',
    title: 'PUT with If-Match: * to a deleted repository does not recreate it: 412 (RFC 9110 13.1.1)',
    expect: 412,
    path: ['g7', 'h7', 'i7', 'i4', 'p3', 412],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: { ...JSON_TYPE, 'If-Match': '*' }, body: '{}' });
      const after = await t.ctx.send({ method: 'GET', target: t.ctx.repoPath() });
      equal(t, 'still gone', 410, after.status);
    },
  },
];
