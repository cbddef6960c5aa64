import type { CaseRun, CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import type { NodeId } from '../diagram.js';
import { NO_CACHE, equal, header, varyHas } from '../expect.js';
import { fileEtag, lastModified, putFile } from '../fixtures.js';
import type { Exchange } from '../http-client.js';
import { existing, P, TAIL } from '../paths.js';

/**
 * Conditional requests on a file (strong ETag = blob id, Last-Modified = commit time): each
 * header alone, valid and invalid, on GET and on PUT/DELETE, and the order of evaluation of
 * RFC 9110 13.2.2 (If-Match, then If-Unmodified-Since, then If-None-Match, then If-Modified-Since).
 */

const READ = 'preconditions/read.txt';
const OCTETS = { 'Content-Type': 'application/octet-stream' };
const DAY = 86_400_000;

interface Shared {
  etag: string;
  modified: Date;
  modifiedHeader: string;
}

/**
 * The read-only file most cases look at, never written after it is made. Its Last-Modified is read
 * again right before each request: a deployment may date a file by its branch's last commit
 * (conservative, RFC 9110 8.8.2), which moves whenever another case commits.
 */
async function shared(ctx: Context): Promise<Shared> {
  const { etag } = await ctx.memo('preconditions-read', () => putFile(ctx, READ, 'read, never written again'));
  const lm = await lastModified(ctx, ctx.repoPath(`/contents/${READ}`));
  return { etag, modified: lm.date, modifiedHeader: lm.header };
}

/** A file of the case's own, for requests that may change it. */
async function own(ctx: Context, name: string): Promise<{ target: string; etag: string }> {
  const { etag } = await putFile(ctx, `preconditions/${name}`, 'version 1');
  return { target: ctx.repoPath(`/contents/preconditions/${name}`), etag };
}

async function get(t: CaseRun, headers: (s: Shared) => Record<string, string>, method = 'GET'): Promise<Exchange> {
  const s = await shared(t.ctx);
  return t.exchange({ method, target: t.ctx.repoPath(`/contents/${READ}`), headers: headers(s) });
}

/** RFC 9110 15.4.5: a 304 carries what a 200 would in ETag, Cache-Control, Vary and Date. */
function notModified(t: CaseRun, ex: Exchange, etag: string): void {
  header(t, ex, 'etag', etag);
  header(t, ex, 'cache-control', NO_CACHE);
  varyHas(t, ex, 'Accept', 'Accept-Encoding');
}

async function unchanged(t: CaseRun, target: string, etag: string): Promise<void> {
  const after = await t.ctx.send({ method: 'GET', target });
  equal(t, 'file unchanged (ETag)', etag, after.headers.etag);
}

const imf = (d: Date): string => d.toUTCString();
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');
const clock = (d: Date): string => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
/** The obsolete RFC 850 form every recipient must still accept (RFC 9110 5.6.7). */
const rfc850 = (d: Date): string => `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${two(d.getUTCFullYear() % 100)} ${clock(d)} GMT`;
/** ANSI C asctime(), the other obsolete form. */
const asctime = (d: Date): string =>
  `${DAYS[d.getUTCDay()]!.slice(0, 3)} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)} ${d.getUTCFullYear()}`;

const IF_MATCH_OK: NodeId[] = ['g8', 'g9', 'g11', 'h10', 'i12', 'l13'];
const IF_MATCH_FAILS: NodeId[] = ['g8', 'g9', 'g11'];
const IMS: NodeId[] = ['g8', 'h10', 'i12', 'l13', 'l14', 'l15', 'l17'];
const INM_LISTED: NodeId[] = ['g8', 'h10', 'i12', 'i13', 'k13', 'j18'];
const INM_STAR: NodeId[] = ['g8', 'h10', 'i12', 'i13', 'j18'];
const IUMS_FAILS: NodeId[] = ['g8', 'h10', 'h11', 'h12'];

export const preconditionCases: CaseSpec[] = [
  // If-Match (G8-G11): strong comparison in the rfc profile.
  {
    id: 'preconditions/if-match-get',
    title: 'GET with If-Match of the current ETag: 200',
    expect: 200,
    path: existing(IF_MATCH_OK, TAIL.get200),
    async run(t) {
      await get(t, (s) => ({ 'If-Match': s.etag }));
    },
  },
  {
    id: 'preconditions/if-match-star',
    title: 'If-Match: * on an existing file: 200',
    expect: 200,
    path: existing(['g8', 'g9', 'h10', 'i12', 'l13'], TAIL.get200),
    async run(t) {
      await get(t, () => ({ 'If-Match': '*' }));
    },
  },
  {
    id: 'preconditions/if-match-list',
    title: 'PUT with If-Match listing the current ETag among others: 200',
    expect: 200,
    path: existing(IF_MATCH_OK, TAIL.put200),
    async run(t) {
      const f = await own(t.ctx, 'if-match-list.txt');
      await t.exchange({ method: 'PUT', target: f.target, headers: { ...OCTETS, 'If-Match': `"0000", ${f.etag}, "ffff"` }, body: 'version 2' });
    },
  },
  {
    id: 'preconditions/if-match-mismatch',
    title: 'PUT with If-Match of another ETag: 412, nothing written',
    expect: 412,
    path: existing(IF_MATCH_FAILS, [412]),
    async run(t) {
      const f = await own(t.ctx, 'if-match-mismatch.txt');
      await t.exchange({ method: 'PUT', target: f.target, headers: { ...OCTETS, 'If-Match': '"0000000000000000000000000000000000000000"' }, body: 'lost update' });
      await unchanged(t, f.target, f.etag);
    },
  },
  {
    id: 'preconditions/if-match-weak',
    title: 'PUT with If-Match W/"<current>": 412, If-Match compares strongly (RFC 9110 13.1.1)',
    expect: 412,
    path: existing(IF_MATCH_FAILS, [412]),
    async run(t) {
      const f = await own(t.ctx, 'if-match-weak.txt');
      await t.exchange({ method: 'PUT', target: f.target, headers: { ...OCTETS, 'If-Match': `W/${f.etag}` }, body: 'version 2' });
      await unchanged(t, f.target, f.etag);
    },
  },
  {
    id: 'preconditions/delete-if-match-mismatch',
    title: 'DELETE with a stale If-Match: 412, the file stays',
    expect: 412,
    path: existing(IF_MATCH_FAILS, [412]),
    async run(t) {
      const f = await own(t.ctx, 'delete-stale.txt');
      await t.exchange({ method: 'DELETE', target: f.target, headers: { 'If-Match': '"0000000000000000000000000000000000000000"' } });
      await unchanged(t, f.target, f.etag);
    },
  },
  {
    id: 'preconditions/if-match-missing-put',
    title: 'PUT with If-Match: * where nothing exists: 412, nothing created',
    expect: 412,
    path: ['g7', 'h7', 'i7', 'i4', 'p3', 412],
    async run(t) {
      await shared(t.ctx);
      const target = t.ctx.repoPath('/contents/preconditions/if-match-missing.txt');
      await t.exchange({ method: 'PUT', target, headers: { ...OCTETS, 'If-Match': '*' }, body: 'x' });
      equal(t, 'not created', 404, (await t.ctx.send({ method: 'GET', target })).status);
    },
  },
  {
    id: 'preconditions/if-match-missing-get',
    title: 'GET with If-Match of a missing file: 404 wins over 412 (RFC 9110 13.2.1)',
    expect: 404,
    path: P.missing404,
    async run(t) {
      await shared(t.ctx);
      await t.exchange({ method: 'GET', target: t.ctx.repoPath('/contents/preconditions/nothing.txt'), headers: { 'If-Match': '"abc"' } });
    },
  },
  // If-None-Match (I12-K13, J18): weak comparison; 304 for GET/HEAD, 412 otherwise.
  {
    id: 'preconditions/if-none-match-star-get',
    title: 'GET with If-None-Match: * on an existing file: 304 with ETag, Cache-Control, Vary',
    expect: 304,
    path: existing(INM_STAR, [304]),
    async run(t) {
      const ex = await get(t, () => ({ 'If-None-Match': '*' }));
      notModified(t, ex, (await shared(t.ctx)).etag);
    },
  },
  {
    id: 'preconditions/if-none-match-star-put-existing',
    title: 'PUT with If-None-Match: * over an existing file: 412, nothing written',
    expect: 412,
    path: existing(INM_STAR, [412]),
    async run(t) {
      const f = await own(t.ctx, 'create-only.txt');
      await t.exchange({ method: 'PUT', target: f.target, headers: { ...OCTETS, 'If-None-Match': '*' }, body: 'overwrite' });
      await unchanged(t, f.target, f.etag);
    },
  },
  {
    id: 'preconditions/if-none-match-star-put-missing',
    title: 'PUT with If-None-Match: * where nothing exists: 201',
    expect: 201,
    path: P.putCreate201,
    async run(t) {
      await shared(t.ctx);
      await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/contents/preconditions/created-once.txt'), headers: { ...OCTETS, 'If-None-Match': '*' }, body: 'new' });
    },
  },
  {
    id: 'preconditions/if-none-match-list',
    title: 'GET with If-None-Match listing the current ETag: 304',
    expect: 304,
    path: existing(INM_LISTED, [304]),
    async run(t) {
      const ex = await get(t, (s) => ({ 'If-None-Match': `"other", ${s.etag}` }));
      notModified(t, ex, (await shared(t.ctx)).etag);
    },
  },
  {
    id: 'preconditions/if-none-match-weak',
    title: 'GET with If-None-Match W/"<current>": 304, If-None-Match compares weakly (RFC 9110 13.1.2)',
    expect: 304,
    path: existing(INM_LISTED, [304]),
    async run(t) {
      await get(t, (s) => ({ 'If-None-Match': `W/${s.etag}` }));
    },
  },
  {
    id: 'preconditions/if-none-match-head',
    title: 'HEAD with If-None-Match of the current ETag: 304',
    expect: 304,
    path: existing(INM_LISTED, [304]),
    async run(t) {
      await get(t, (s) => ({ 'If-None-Match': s.etag }), 'HEAD');
    },
  },
  {
    id: 'preconditions/if-none-match-put',
    title: 'PUT with If-None-Match of the current ETag: 412',
    expect: 412,
    path: existing(INM_LISTED, [412]),
    async run(t) {
      const f = await own(t.ctx, 'inm-put.txt');
      await t.exchange({ method: 'PUT', target: f.target, headers: { ...OCTETS, 'If-None-Match': f.etag }, body: 'version 2' });
      await unchanged(t, f.target, f.etag);
    },
  },
  {
    id: 'preconditions/if-none-match-other',
    title: 'GET with If-None-Match of another ETag: 200',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'i13', 'k13', 'l13'], TAIL.get200),
    async run(t) {
      await get(t, () => ({ 'If-None-Match': '"other"' }));
    },
  },
  // If-Modified-Since (L13-L17): GET/HEAD only, valid dates only, never in the future.
  {
    id: 'preconditions/ims-not-modified',
    title: 'If-Modified-Since equal to Last-Modified: 304',
    expect: 304,
    path: existing(IMS, [304]),
    async run(t) {
      const ex = await get(t, (s) => ({ 'If-Modified-Since': s.modifiedHeader }));
      notModified(t, ex, (await shared(t.ctx)).etag);
    },
  },
  {
    id: 'preconditions/ims-modified',
    title: 'If-Modified-Since a day before Last-Modified: 200',
    expect: 200,
    path: existing(IMS, TAIL.get200),
    async run(t) {
      await get(t, (s) => ({ 'If-Modified-Since': imf(new Date(s.modified.getTime() - DAY)) }));
    },
  },
  {
    id: 'preconditions/ims-rfc850',
    title: 'If-Modified-Since in the obsolete RFC 850 form is understood: 304',
    expect: 304,
    path: existing(IMS, [304]),
    async run(t) {
      await get(t, (s) => ({ 'If-Modified-Since': rfc850(s.modified) }));
    },
  },
  {
    id: 'preconditions/ims-asctime',
    title: 'If-Modified-Since in asctime form is understood: 304',
    expect: 304,
    path: existing(IMS, [304]),
    async run(t) {
      await get(t, (s) => ({ 'If-Modified-Since': asctime(s.modified) }));
    },
  },
  {
    id: 'preconditions/ims-invalid',
    title: 'An If-Modified-Since that is no date is ignored: 200',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'l13', 'l14'], TAIL.get200),
    async run(t) {
      await get(t, () => ({ 'If-Modified-Since': 'yesterday' }));
    },
  },
  {
    id: 'preconditions/ims-iso8601',
    title: 'An ISO 8601 If-Modified-Since is not an HTTP-date and is ignored: 200, not 304',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'l13', 'l14'], TAIL.get200),
    async run(t) {
      await get(t, (s) => ({ 'If-Modified-Since': s.modified.toISOString() }));
    },
  },
  {
    id: 'preconditions/ims-future',
    title: 'An If-Modified-Since in the future is ignored: 200',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'l13', 'l14', 'l15'], TAIL.get200),
    async run(t) {
      await get(t, () => ({ 'If-Modified-Since': imf(new Date(Date.now() + 2 * DAY)) }));
    },
  },
  {
    id: 'preconditions/ims-ignored-with-inm',
    title: 'If-Modified-Since is ignored when If-None-Match is present (RFC 9110 13.1.3): 200',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'i13', 'k13', 'l13'], TAIL.get200),
    async run(t) {
      await get(t, (s) => ({ 'If-None-Match': '"other"', 'If-Modified-Since': s.modifiedHeader }));
    },
  },
  {
    id: 'preconditions/ims-ignored-on-put',
    title: 'If-Modified-Since is ignored on PUT (RFC 9110 13.1.3): 200, not 304',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'l13'], TAIL.put200),
    async run(t) {
      const f = await own(t.ctx, 'ims-put.txt');
      const lm = await lastModified(t.ctx, f.target);
      await t.exchange({ method: 'PUT', target: f.target, headers: { ...OCTETS, 'If-Modified-Since': lm.header }, body: 'version 2' });
    },
  },
  // If-Unmodified-Since (H10-H12): only without If-Match.
  {
    id: 'preconditions/iums-fails',
    title: 'If-Unmodified-Since a day before Last-Modified: 412',
    expect: 412,
    path: existing(IUMS_FAILS, [412]),
    async run(t) {
      await get(t, (s) => ({ 'If-Unmodified-Since': imf(new Date(s.modified.getTime() - DAY)) }));
    },
  },
  {
    id: 'preconditions/iums-equal',
    title: 'If-Unmodified-Since equal to Last-Modified passes: 200',
    expect: 200,
    path: existing(['g8', 'h10', 'h11', 'h12', 'i12', 'l13'], TAIL.get200),
    async run(t) {
      await get(t, (s) => ({ 'If-Unmodified-Since': s.modifiedHeader }));
    },
  },
  {
    id: 'preconditions/iums-invalid',
    title: 'An If-Unmodified-Since that is no date is ignored: 200',
    expect: 200,
    path: existing(['g8', 'h10', 'h11', 'i12', 'l13'], TAIL.get200),
    async run(t) {
      await get(t, () => ({ 'If-Unmodified-Since': 'not a date' }));
    },
  },
  {
    id: 'preconditions/iums-ignored-with-if-match',
    title: 'If-Unmodified-Since is ignored when If-Match is present (RFC 9110 13.1.4): 200',
    expect: 200,
    path: existing(IF_MATCH_OK, TAIL.get200),
    async run(t) {
      await get(t, (s) => ({ 'If-Match': s.etag, 'If-Unmodified-Since': imf(new Date(s.modified.getTime() - DAY)) }));
    },
  },
  // The order of RFC 9110 13.2.2.
  {
    id: 'preconditions/order-if-match-first',
    title: 'A failing If-Match beats a matching If-None-Match: 412, not 304',
    expect: 412,
    path: existing(IF_MATCH_FAILS, [412]),
    async run(t) {
      await get(t, (s) => ({ 'If-Match': '"other"', 'If-None-Match': s.etag }));
    },
  },
  {
    id: 'preconditions/order-iums-before-inm',
    title: 'A failing If-Unmodified-Since beats a matching If-None-Match: 412, not 304',
    expect: 412,
    path: existing(IUMS_FAILS, [412]),
    async run(t) {
      await get(t, (s) => ({ 'If-Unmodified-Since': imf(new Date(s.modified.getTime() - DAY)), 'If-None-Match': s.etag }));
    },
  },
  {
    id: 'preconditions/order-if-match-then-inm',
    title: 'If-Match passes, then If-None-Match matches: 304',
    expect: 304,
    path: existing(['g8', 'g9', 'g11', 'h10', 'i12', 'i13', 'k13', 'j18'], [304]),
    async run(t) {
      await get(t, (s) => ({ 'If-Match': s.etag, 'If-None-Match': s.etag }));
    },
  },
  {
    id: 'preconditions/etag-after-write',
    title: 'A write changes the ETag: If-None-Match of the old one gets 200 afterwards',
    expect: 200,
    path: existing(['g8', 'h10', 'i12', 'i13', 'k13', 'l13'], TAIL.get200),
    async run(t) {
      const f = await own(t.ctx, 'changes.txt');
      await putFile(t.ctx, 'preconditions/changes.txt', 'version 2');
      const ex = await t.exchange({ method: 'GET', target: f.target, headers: { 'If-None-Match': f.etag } });
      equal(t, 'new ETag', await fileEtag(t.ctx, 'preconditions/changes.txt'), ex.headers.etag);
    },
  },
];
