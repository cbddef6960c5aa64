import type { CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import { IMMUTABLE, NO_CACHE, STRONG_ETAG, equal, gitBlobId, header, headerAbsent, json } from '../expect.js';
import { type FileVersion, fileEtag, putFile } from '../fixtures.js';
import { existing, P, TAIL } from '../paths.js';

/** /repos/{repo}/contents/{path}: files as bytes, metadata, folders, ranges, writes and deletes. */

const DOC = 'docs/intro.md';
const TEXT = '# Introduction\n\nWritten by the conformance client.\n';
const OCTETS = { 'Content-Type': 'application/octet-stream' };
const IF_MATCH = ['g8', 'g9', 'g11', 'h10', 'i12', 'l13'] as const;
const NO_PRE = ['g8', 'h10', 'i12', 'l13'] as const;

/** The file the read cases look at, written by the first case (or here if it was filtered out). */
function doc(ctx: Context): Promise<FileVersion> {
  return ctx.memo('contents-doc', () => putFile(ctx, DOC, TEXT));
}

const q = (s: string): string => `"${s}"`;

export const contentCases: CaseSpec[] = [
  {
    id: 'contents/put-create',
    title: 'PUT of a new file: 201, one commit, ETag = the git blob id of the bytes',
    expect: 201,
    path: P.putCreate201,
    async run(t) {
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/contents/${DOC}?message=conformance`), headers: OCTETS, body: TEXT });
      header(t, ex, 'etag', q(gitBlobId(TEXT)));
      const commit = json(t, ex)?.commit;
      t.check('body.commit', typeof commit === 'string' && /^[0-9a-f]{40}$/.test(commit), 'a commit id', String(commit));
      if (ex.status === 201) await t.ctx.memo('contents-doc', async () => ({ etag: ex.headers.etag ?? '', commit: String(commit) }));
    },
  },
  {
    id: 'contents/get-raw',
    title: 'GET of a file: its bytes, type from the name, ETag, Last-Modified, no-cache, Accept-Ranges',
    expect: 200,
    path: P.get200,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${DOC}`) });
      equal(t, 'body', TEXT, ex.body.toString('utf8'));
      header(t, ex, 'content-type', /^text\/markdown/);
      header(t, ex, 'etag', q(gitBlobId(TEXT)));
      header(t, ex, 'last-modified', (v) => v !== '');
      header(t, ex, 'cache-control', NO_CACHE);
      header(t, ex, 'accept-ranges', 'bytes');
    },
  },
  {
    id: 'contents/head',
    title: 'HEAD of a file: GET\'s headers, Content-Length of the bytes, no content',
    expect: 200,
    path: P.get200,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'HEAD', target: t.ctx.repoPath(`/contents/${DOC}`) });
      header(t, ex, 'etag', q(gitBlobId(TEXT)));
      header(t, ex, 'content-length', String(Buffer.byteLength(TEXT)));
      t.check('no content', ex.body.length === 0, '0 bytes', `${ex.body.length} bytes`);
    },
  },
  {
    id: 'contents/get-metadata',
    title: 'Accept: application/json on a file: metadata naming the blob id and size',
    expect: 200,
    path: P.get200,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${DOC}`), headers: { Accept: 'application/json' } });
      const body = json(t, ex);
      equal(t, 'body.id', gitBlobId(TEXT), body?.id);
      equal(t, 'body.size', Buffer.byteLength(TEXT), body?.size);
    },
  },
  {
    id: 'contents/get-folder',
    title: 'GET of a folder: a JSON listing with an ETag (the tree id)',
    expect: 200,
    path: P.get200,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/contents/docs') });
      header(t, ex, 'content-type', /^application\/json/);
      header(t, ex, 'etag', STRONG_ETAG);
      const names = ((json(t, ex)?.entries as { name?: string }[] | undefined) ?? []).map((e) => e.name);
      t.check('lists intro.md', names.includes('intro.md'), 'intro.md', names.join(', '));
    },
  },
  {
    id: 'contents/get-root',
    title: 'GET /contents: the root folder listing',
    expect: 200,
    path: P.get200,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/contents') });
      const names = ((json(t, ex)?.entries as { name?: string }[] | undefined) ?? []).map((e) => e.name);
      t.check('lists docs', names.includes('docs'), 'docs', names.join(', '));
    },
  },
  {
    id: 'contents/get-by-commit',
    title: 'GET ?ref=<commit id>: content addressed by a commit is cacheable for long (immutable)',
    expect: 200,
    path: P.get200,
    async run(t) {
      const { commit } = await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${DOC}?ref=${commit}`) });
      header(t, ex, 'cache-control', IMMUTABLE, 'Cache-Control immutable');
      equal(t, 'body', TEXT, ex.body.toString('utf8'));
    },
  },
  {
    id: 'contents/range',
    title: 'Range: bytes=0-6: 206 with Content-Range and those bytes',
    expect: 206,
    path: [...P.get200.slice(0, -1), 'range', 206],
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${DOC}`), headers: { Range: 'bytes=0-6' } });
      header(t, ex, 'content-range', `bytes 0-6/${Buffer.byteLength(TEXT)}`);
      equal(t, 'body', TEXT.slice(0, 7), ex.body.toString('utf8'));
    },
  },
  {
    id: 'contents/range-unsatisfiable',
    title: 'Range beyond the end: 416 with Content-Range: bytes */length',
    expect: 416,
    path: [...P.get200.slice(0, -1), 'range', 416],
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${DOC}`), headers: { Range: 'bytes=100000-' } });
      header(t, ex, 'content-range', `bytes */${Buffer.byteLength(TEXT)}`);
    },
  },
  {
    id: 'contents/if-range-stale',
    title: 'Range with a stale If-Range: the whole file, 200 (RFC 9110 13.1.5)',
    expect: 200,
    path: P.get200,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${DOC}`), headers: { Range: 'bytes=0-6', 'If-Range': '"stale"' } });
      equal(t, 'body', TEXT, ex.body.toString('utf8'));
    },
  },
  {
    id: 'contents/put-replace',
    title: 'PUT with If-Match of the current blob: 200, ETag = the new blob id',
    expect: 200,
    path: existing(IF_MATCH, TAIL.put200),
    async run(t) {
      const path = 'contents/replace.txt';
      const first = await putFile(t.ctx, path, 'one');
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/contents/${path}`), headers: { ...OCTETS, 'If-Match': first.etag }, body: 'two' });
      header(t, ex, 'etag', q(gitBlobId('two')));
      equal(t, 'stored ETag', q(gitBlobId('two')), await fileEtag(t.ctx, path));
    },
  },
  {
    id: 'contents/put-replace-unconditional',
    title: 'PUT over a file without preconditions: 200 (contents do not require them)',
    expect: 200,
    path: existing(NO_PRE, TAIL.put200),
    async run(t) {
      const path = 'contents/overwrite.txt';
      await putFile(t.ctx, path, 'one');
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/contents/${path}`), headers: OCTETS, body: 'two' });
    },
  },
  {
    id: 'contents/put-folder',
    title: 'PUT over a folder: 409 conflict',
    expect: 409,
    path: existing(NO_PRE, ['m16', 'n16', 'o16', 'o14', 409]),
    async run(t) {
      await doc(t.ctx);
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/contents/docs'), headers: OCTETS, body: 'x' });
    },
  },
  {
    id: 'contents/put-under-file',
    title: 'PUT of a path below a file (the file would have to be a folder): 409',
    expect: 409,
    path: ['g7', 'h7', 'i7', 'i4', 'p3', 409],
    async run(t) {
      await doc(t.ctx);
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath(`/contents/${DOC}/child.txt`), headers: OCTETS, body: 'x' });
    },
  },
  {
    id: 'contents/delete',
    title: 'DELETE with If-Match: 204, and the file is gone (404)',
    expect: 204,
    path: existing(IF_MATCH, TAIL.delete204),
    async run(t) {
      const path = 'contents/delete-me.txt';
      const v = await putFile(t.ctx, path, 'bye');
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath(`/contents/${path}`), headers: { 'If-Match': v.etag } });
      const after = await t.ctx.send({ method: 'GET', target: t.ctx.repoPath(`/contents/${path}`) });
      equal(t, 'GET afterwards', 404, after.status);
    },
  },
  {
    id: 'contents/delete-missing',
    title: 'DELETE of a file that does not exist: 404',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await doc(t.ctx);
      await t.exchange({ method: 'DELETE', target: t.ctx.repoPath('/contents/contents/never-there.txt') });
    },
  },
  {
    id: 'contents/get-missing',
    title: 'GET of a file that does not exist: 404 problem, no validators',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await doc(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: t.ctx.repoPath('/contents/contents/never-there.txt') });
      headerAbsent(t, ex, 'etag');
    },
  },
  {
    id: 'contents/missing-repository',
    title: 'Contents of a repository that does not exist: 404 (found when the path is loaded, at C3)',
    expect: 404,
    path: ['c3', 404],
    async run(t) {
      await t.exchange({ method: 'GET', target: `/repos/${t.ctx.repo}-missing/contents/x.txt` });
    },
  },
];
