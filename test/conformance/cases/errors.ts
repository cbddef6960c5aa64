import { createHash } from 'node:crypto';
import type { CaseSpec } from '../case.js';
import { allowIs, equal } from '../expect.js';
import { JSON_TYPE } from '../fixtures.js';
import { existing, P } from '../paths.js';

/** Error classes of the B column and of request bodies, each with its problem+json answer. */

const NO_PRE = ['g8', 'h10', 'i12', 'l13'] as const;
const OCTETS = { 'Content-Type': 'application/octet-stream' };

export const errorCases: CaseSpec[] = [
  {
    id: 'errors/unknown-method',
    title: 'A method the server does not implement (PROPFIND): 501',
    expect: 501,
    path: ['b12', 501],
    async run(t) {
      await t.exchange({ method: 'PROPFIND', target: t.ctx.repoPath() });
    },
  },
  {
    id: 'errors/uri-too-long',
    title: 'A request-target longer than the limit: 414',
    expect: 414,
    path: ['b11', 414],
    async run(t) {
      const long = 'a'.repeat(t.ctx.options.maxUriBytes + 512);
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${long}`) });
    },
  },
  {
    id: 'errors/patch-not-allowed',
    title: 'PATCH (known, RFC 5789) on contents, which do not take it: 405 with Allow',
    expect: 405,
    path: ['b10', 405],
    async run(t) {
      const ex = await t.exchange({ method: 'PATCH', target: t.ctx.repoPath('/contents/errors/x.txt'), headers: OCTETS, body: 'x' });
      allowIs(t, ex, ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
    },
  },
  {
    id: 'errors/malformed-json',
    title: 'A body that is not JSON: 400 problem, nothing changed',
    expect: 400,
    path: existing(NO_PRE, ['m16', 'n16', 'o16', 'o14', 400]),
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: JSON_TYPE, body: '{"description": ' });
    },
  },
  {
    id: 'errors/schema',
    title: 'JSON of the wrong shape (unknown member): 400 problem',
    expect: 400,
    path: existing(NO_PRE, ['m16', 'n16', 'o16', 'o14', 400]),
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: JSON_TYPE, body: JSON.stringify({ colour: 'blue' }) });
    },
  },
  {
    id: 'errors/wrong-content-type',
    title: 'PUT of a repository with Content-Type text/plain: 415 from the accept helper',
    expect: 415,
    path: existing(NO_PRE, ['m16', 'n16', 'o16', 'o14', 415]),
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(), headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    },
  },
  {
    id: 'errors/too-large-announced',
    title: 'Content-Length over the limit: 413 before the body is sent, and no 100 Continue',
    expect: 413,
    path: ['b4', 413],
    async run(t) {
      const ex = await t.exchange({
        method: 'PUT',
        target: t.ctx.repoPath('/contents/errors/announced.bin'),
        headers: { ...OCTETS, Expect: '100-continue' },
        announceLength: t.ctx.options.maxBodyBytes + 1,
        timeoutMs: 10_000,
      });
      t.check('no 100 Continue', !ex.continued, 'the body is refused unread', ex.continued ? '100 Continue sent' : 'none');
    },
  },
  {
    id: 'errors/too-large-chunked',
    title: 'A chunked body that grows over the limit: 413 when read, and nothing written',
    expect: 413,
    path: ['g7', 'h7', 'i7', 'i4', 'p3', 413],
    async run(t) {
      const target = t.ctx.repoPath('/contents/errors/chunked.bin');
      await t.exchange({ method: 'PUT', target, headers: OCTETS, chunkedBytes: t.ctx.options.maxBodyBytes + 256 * 1024, timeoutMs: 60_000 });
      const after = await t.ctx.send({ method: 'GET', target });
      equal(t, 'file not created', 404, after.status);
    },
  },
  {
    id: 'errors/content-md5-mismatch',
    title: 'Content-MD5 that does not match the body: 400 at B9a',
    expect: 400,
    path: ['b9', 'b9a', 400],
    async run(t) {
      const target = t.ctx.repoPath('/contents/errors/md5.txt');
      await t.exchange({ method: 'PUT', target, headers: { ...OCTETS, 'Content-MD5': 'AAAAAAAAAAAAAAAAAAAAAA==' }, body: 'checked' });
      const after = await t.ctx.send({ method: 'GET', target });
      equal(t, 'file not created', 404, after.status);
    },
  },
  {
    id: 'errors/content-md5-valid',
    title: 'Content-MD5 that matches passes B9a: 201',
    expect: 201,
    path: P.putCreate201,
    async run(t) {
      const md5 = createHash('md5').update('checked').digest('base64');
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/contents/errors/md5.txt'), headers: { ...OCTETS, 'Content-MD5': md5 }, body: 'checked' });
    },
  },
  {
    id: 'errors/partial-put',
    title: 'PUT with Content-Range (partial PUT is not supported): 400 (RFC 9110 14.5)',
    expect: 400,
    path: ['b6', 400],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/contents/errors/partial.txt'), headers: { ...OCTETS, 'Content-Range': 'bytes 0-0/10' }, body: 'x' });
    },
  },
  {
    id: 'errors/invalid-path',
    title: 'A path with a ".." segment: 400 problem (found when the path is loaded, at C3)',
    expect: 400,
    path: ['c3', 400],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/contents/a/%2e%2e/b.txt') });
    },
  },
  {
    id: 'errors/git-segment',
    title: 'A path with a ".git" segment cannot be written: 400 problem',
    expect: 400,
    path: ['c3', 400],
    async run(t) {
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/contents/.git/config'), headers: OCTETS, body: 'x' });
    },
  },
  {
    id: 'errors/unknown-route',
    title: 'A URL no resource serves: 404 as problem+json like every other error',
    expect: 404,
    async run(t) {
      await t.exchange({ method: 'GET', target: `/${t.ctx.repo}-no-such-route/x` });
    },
  },
];
