import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { CaseRun, CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import { equal, header, headerAbsent, json, varyHas } from '../expect.js';
import { type FileVersion, putFile } from '../fixtures.js';
import type { Exchange } from '../http-client.js';
import { P } from '../paths.js';

/**
 * Content negotiation (C3-F7) on a Markdown file, which is offered as text/markdown (its bytes),
 * application/json and a vendor JSON type (its metadata), each identity-, gzip- or br-coded.
 */

const PAGE = 'negotiation/page.md';
const TEXT = '# Negotiation\n\nThe same page, three media types, three codings.\n';

function page(ctx: Context): Promise<FileVersion> {
  return ctx.memo('negotiation-page', () => putFile(ctx, PAGE, TEXT));
}

/** GET of the page with these request headers, as the exchange under test. */
async function getPage(t: CaseRun, headers: Record<string, string>): Promise<Exchange> {
  await page(t.ctx);
  return t.exchange({ method: 'GET', target: t.ctx.repoPath(`/contents/${PAGE}`), headers });
}

function mediaType(ex: Exchange): string {
  return (ex.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function chosen(t: CaseRun, ex: Exchange, type: string): boolean {
  return t.check('Content-Type', mediaType(ex) === type, type, ex.headers['content-type'] ?? '(absent)');
}

/** The body decoded as text, or why it could not be (so the check shows the reason). */
function decode(ex: Exchange, decoder: (b: Buffer) => Buffer): string {
  try {
    return decoder(ex.body).toString('utf8');
  } catch (err) {
    return `(cannot decode: ${(err as Error).message})`;
  }
}

export const negotiationCases: CaseSpec[] = [
  {
    id: 'negotiation/no-accept',
    title: 'No Accept: the first type offered (the file\'s own, text/markdown); Vary lists Accept and Accept-Encoding',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await getPage(t, {});
      chosen(t, ex, 'text/markdown');
      equal(t, 'body', TEXT, ex.body.toString('utf8'));
      varyHas(t, ex, 'Accept', 'Accept-Encoding');
    },
  },
  {
    id: 'negotiation/accept-json',
    title: 'Accept: application/json on a file gives its metadata, with an ETag of its own',
    expect: 200,
    path: P.get200,
    async run(t) {
      const raw = await page(t.ctx);
      const ex = await getPage(t, { Accept: 'application/json' });
      chosen(t, ex, 'application/json');
      equal(t, 'body.path', PAGE, json(t, ex)?.path);
      // Two representations must not share a strong validator (RFC 9110 8.8.3).
      t.check('ETag differs from the bytes\' ETag', ex.headers.etag !== undefined && ex.headers.etag !== raw.etag, `not ${raw.etag}`, ex.headers.etag ?? '(absent)');
      varyHas(t, ex, 'Accept');
    },
  },
  {
    id: 'negotiation/quality',
    title: 'The higher q wins: text/markdown;q=0.4, application/json -> application/json',
    expect: 200,
    path: P.get200,
    async run(t) {
      chosen(t, await getPage(t, { Accept: 'text/markdown;q=0.4, application/json' }), 'application/json');
    },
  },
  {
    id: 'negotiation/q0-excludes',
    title: 'q=0 excludes a type that */* would allow: */*, text/markdown;q=0 -> application/json',
    expect: 200,
    path: P.get200,
    async run(t) {
      chosen(t, await getPage(t, { Accept: '*/*, text/markdown;q=0' }), 'application/json');
    },
  },
  {
    id: 'negotiation/specificity',
    title: 'The most specific range decides (RFC 9110 12.5.1): text/*, text/markdown;q=0, application/json;q=0.1 -> application/json',
    expect: 200,
    path: P.get200,
    async run(t) {
      chosen(t, await getPage(t, { Accept: 'text/*, text/markdown;q=0, application/json;q=0.1' }), 'application/json');
    },
  },
  {
    id: 'negotiation/wildcard-subtype',
    title: 'application/* picks the first application type offered',
    expect: 200,
    path: P.get200,
    async run(t) {
      chosen(t, await getPage(t, { Accept: 'application/*' }), 'application/json');
    },
  },
  {
    id: 'negotiation/not-acceptable',
    title: 'Nothing acceptable (image/png): 406 problem',
    expect: 406,
    path: ['c4', 406],
    async run(t) {
      await getPage(t, { Accept: 'image/png' });
    },
  },
  {
    id: 'negotiation/all-q0',
    title: '*/*;q=0 refuses every type: 406',
    expect: 406,
    path: ['c4', 406],
    async run(t) {
      await getPage(t, { Accept: '*/*;q=0' });
    },
  },
  {
    id: 'negotiation/json-only-resource',
    title: 'A JSON-only resource asked for text/html: 406',
    expect: 406,
    path: ['c4', 406],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(), headers: { Accept: 'text/html' } });
    },
  },
  {
    id: 'negotiation/gzip',
    title: 'Accept-Encoding: gzip: gzip-coded bytes, another strong ETag, Vary: Accept-Encoding',
    expect: 200,
    path: P.get200,
    async run(t) {
      const raw = await page(t.ctx);
      const ex = await getPage(t, { 'Accept-Encoding': 'gzip' });
      header(t, ex, 'content-encoding', 'gzip');
      equal(t, 'gunzipped body', TEXT, decode(ex, gunzipSync));
      // A coded variant is a different representation (RFC 9110 8.4: a coded representation is its own variant).
      t.check('ETag differs from identity', ex.headers.etag !== raw.etag, `not ${raw.etag}`, ex.headers.etag ?? '(absent)');
      varyHas(t, ex, 'Accept-Encoding');
    },
  },
  {
    id: 'negotiation/br',
    title: 'Accept-Encoding: br: brotli-coded bytes',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await getPage(t, { 'Accept-Encoding': 'br' });
      header(t, ex, 'content-encoding', 'br');
      equal(t, 'decoded body', TEXT, decode(ex, brotliDecompressSync));
    },
  },
  {
    id: 'negotiation/codings-refused',
    title: 'gzip;q=0, br;q=0 leaves identity acceptable: no Content-Encoding',
    expect: 200,
    path: P.get200,
    async run(t) {
      const ex = await getPage(t, { 'Accept-Encoding': 'gzip;q=0, br;q=0' });
      headerAbsent(t, ex, 'content-encoding');
      equal(t, 'body', TEXT, ex.body.toString('utf8'));
    },
  },
  {
    id: 'negotiation/identity-refused-gzip-ok',
    title: 'identity;q=0, gzip: gzip',
    expect: 200,
    path: P.get200,
    async run(t) {
      header(t, await getPage(t, { 'Accept-Encoding': 'identity;q=0, gzip' }), 'content-encoding', 'gzip');
    },
  },
  {
    id: 'negotiation/no-coding-acceptable',
    title: '*;q=0 refuses every coding, identity included: 406 (RFC 9110 12.5.3)',
    expect: 406,
    path: ['f7', 406],
    async run(t) {
      await getPage(t, { 'Accept-Encoding': '*;q=0' });
    },
  },
  {
    id: 'negotiation/unknown-coding',
    title: 'Only an unsupported coding asked (compress): identity is still acceptable',
    expect: 200,
    path: P.get200,
    async run(t) {
      headerAbsent(t, await getPage(t, { 'Accept-Encoding': 'compress' }), 'content-encoding');
    },
  },
  {
    id: 'negotiation/accept-language-ignored',
    title: 'An unsatisfiable Accept-Language is ignored, not 406 (RFC 9110 12.5.4)',
    expect: 200,
    path: P.get200,
    async run(t) {
      chosen(t, await getPage(t, { 'Accept-Language': 'tlh' }), 'text/markdown');
    },
  },
  {
    id: 'negotiation/accept-charset',
    title: 'Accept-Charset on /problems (a text resource with a charset): utf-8 is chosen and labelled',
    expect: 200,
    path: ['e5', 'e6', 'f6', 'g7', 'g7a', 'g8', 'h10', 'i12', 'l13', 'm16', 'n16', 'o16', 'o18', 'o18b', 200],
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: '/problems', headers: { 'Accept-Charset': 'utf-8' } });
      header(t, ex, 'content-type', /charset=utf-8/i);
    },
  },
  {
    id: 'negotiation/charset-not-acceptable',
    title: 'Accept-Charset naming only a charset not offered: 406 at E6',
    expect: 406,
    path: ['e5', 'e6', 406],
    async run(t) {
      await t.exchange({ method: 'GET', target: '/problems', headers: { 'Accept-Charset': 'iso-8859-1' } });
    },
  },
];
