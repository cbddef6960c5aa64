/**
 * Content negotiation (reference section 5) on top of negotiator, checked against RFC 9110 12.5;
 * Vary; charset conversion; gzip/deflate/br response coding and the variant ETag of coded bodies.
 */
import { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseCharset, chooseCharsetV3, chooseEncoding, chooseLanguage, chooseMediaType, essence } from '../../webmachine/negotiation.js';
import { type Callbacks, EngineHarness } from './support.js';

describe('Accept (C4)', () => {
  it.each([
    ['q=0 means not acceptable, and the more specific range wins', 'text/*, text/html;q=0', ['text/html', 'text/plain'], 'text/plain'],
    ['a higher q wins over server order', 'text/html;q=0.5, application/json', ['text/html', 'application/json'], 'application/json'],
    ['*/* with a low q still matches what is not listed', '*/*;q=0.1, application/json', ['text/html', 'application/json'], 'application/json'],
    ['equal q: the client order decides', 'application/json;q=0.5, text/html;q=0.5', ['text/html', 'application/json'], 'application/json'],
    ['a bare * is */*', '*', ['application/json'], 'application/json'],
    ['type/* takes the first offer of that type', 'text/*', ['application/json', 'text/csv', 'text/plain'], 'text/csv'],
    ['names compare case-insensitively', 'TEXT/HTML', ['text/html'], 'text/html'],
    ['requested parameters must be offered', 'text/html;level=1', ['text/html', 'text/html;level=1'], 'text/html;level=1'],
    ['an offer with more parameters still matches a plain range', 'text/html', ['text/html;level=1'], 'text/html;level=1'],
  ])('%s', (_name, accept, offered, chosen) => {
    expect(chooseMediaType(accept, offered)).toBe(chosen);
  });

  it.each([
    ['every acceptable type refused', 'application/json;q=0, text/*;q=0', ['text/html', 'application/json']],
    ['different parameters', 'text/html;level=2', ['text/html;level=1']],
    ['requested parameters the offer lacks', 'text/html;level=1', ['text/html']],
    ['an unparsable header', 'garbage', ['text/html']],
    ['an empty header', '', ['text/html']],
  ])('nothing for %s (406)', (_name, accept, offered) => {
    expect(chooseMediaType(accept, offered)).toBeUndefined();
  });
});

describe('Accept-Language (D5, rfc)', () => {
  it('matches by prefix in either direction, honours q=0 and *', () => {
    expect(chooseLanguage('en', ['en-US', 'de'])).toBe('en-US');
    expect(chooseLanguage('en-US', ['en', 'de'])).toBe('en');
    expect(chooseLanguage('*', ['fr'])).toBe('fr');
    expect(chooseLanguage('de;q=0, *', ['de', 'fr'])).toBe('fr');
    expect(chooseLanguage('it', ['de', 'fr'])).toBeUndefined();
  });
});

describe('Accept-Charset (E6)', () => {
  it('rfc: no implicit default', () => {
    expect(chooseCharset('utf-8;q=0, *', ['utf-8', 'iso-8859-1'])).toBe('iso-8859-1');
    expect(chooseCharset('utf-16', ['utf-8', 'iso-8859-1'])).toBeUndefined();
  });
  it('v3: ISO-8859-1 is acceptable unless excluded by q=0 (itself or *)', () => {
    expect(chooseCharsetV3('utf-16', ['utf-8', 'ISO-8859-1'])).toBe('ISO-8859-1');
    expect(chooseCharsetV3('utf-16, iso-8859-1;q=0', ['utf-8', 'iso-8859-1'])).toBeUndefined();
    expect(chooseCharsetV3('utf-16, *;q=0.0', ['iso-8859-1'])).toBeUndefined();
    expect(chooseCharsetV3('utf-16', ['utf-8'])).toBeUndefined();
    expect(chooseCharsetV3('utf-8', ['utf-8', 'iso-8859-1'])).toBe('utf-8');
  });
});

describe('Accept-Encoding (F7): the identity rule of RFC 9110 12.5.3', () => {
  it.each([
    ['an empty header means identity only', '', ['identity', 'gzip'], 'identity'],
    ['an empty header and no identity offered', '', ['gzip'], undefined],
    ['an unknown coding falls back to identity', 'br', ['identity', 'gzip'], 'identity'],
    ['*;q=0 excludes identity', '*;q=0', ['identity', 'gzip'], undefined],
    ['*;q=0 with gzip named', '*;q=0, gzip', ['identity', 'gzip'], 'gzip'],
    ['identity;q=0 excludes identity', 'identity;q=0', ['identity', 'gzip'], undefined],
    ['identity;q=0 with gzip named', 'identity;q=0, gzip', ['identity', 'gzip'], 'gzip'],
    ['the highest q wins', 'gzip;q=0.5, br', ['identity', 'gzip', 'br'], 'br'],
    ['* takes the first offer', '*', ['gzip', 'identity'], 'gzip'],
    ['names compare case-insensitively', 'GZIP', ['identity', 'gzip'], 'gzip'],
    ['a refused coding is not chosen', 'gzip;q=0', ['gzip'], undefined],
  ])('%s', (_name, header, offered, chosen) => {
    expect(chooseEncoding(header, offered)).toBe(chosen);
  });
});

describe('essence (accept helper)', () => {
  it('drops parameters and lower-cases', () => {
    expect(essence('Text/Plain; charset=utf-8')).toBe('text/plain');
    expect(essence('')).toBe('');
  });
});

describe('negotiation through the engine', () => {
  const harness = new EngineHarness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  const body = 'negotiated content, repeated. '.repeat(50);
  const coded: Callbacks = {
    generateEtag: 'v1',
    encodingsProvided: ['identity', 'gzip', 'deflate', 'br'],
    contentTypesProvided: [['text/plain', () => body]],
  };

  it('builds Vary from every dimension offered more than once, then variances, merged without duplicates', async () => {
    const x = await harness.exchange({
      contentTypesProvided: [['text/plain', () => 'x'], ['text/html', () => 'y']],
      languagesProvided: ['en', 'de'],
      charsetsProvided: [['utf-8', (b) => b], ['iso-8859-1', (b) => b]],
      encodingsProvided: ['identity', 'gzip'],
      variances: ['Authorization', 'accept'],
      serviceAvailable: (r) => {
        r.response.setHeader('Vary', 'Origin');
        return true;
      },
    });
    expect(x.headers.vary).toBe('Origin, Accept, Accept-Language, Accept-Charset, Accept-Encoding, Authorization');
  });

  it('sends no Vary when nothing was negotiated, and none on errors before G7', async () => {
    expect((await harness.exchange({})).headers.vary).toBeUndefined();
    const refused = await harness.exchange({ contentTypesProvided: [['text/plain', () => 'x'], ['text/html', () => 'y']] }, { headers: { accept: 'image/png' } });
    expect([refused.status, refused.headers.vary]).toEqual([406, undefined]);
  });

  it('answers with the chosen type and charset, converting the body', async () => {
    const toLatin1 = (b: Buffer): Buffer => Buffer.from(b.toString('utf8'), 'latin1');
    const x = await harness.exchange(
      { contentTypesProvided: [['text/plain', () => 'café']], charsetsProvided: [['utf-8', (b) => b], ['iso-8859-1', toLatin1]] },
      { headers: { 'accept-charset': 'iso-8859-1, utf-8;q=0.5' } },
    );
    expect(x.headers['content-type']).toBe('text/plain; charset=iso-8859-1');
    expect([...x.body]).toEqual([0x63, 0x61, 0x66, 0xe9]);
    expect(x.headers['content-length']).toBe('4');
  });

  it('passes streamed bodies through the charset step unchanged', async () => {
    const x = await harness.exchange(
      { contentTypesProvided: [['text/plain', () => Readable.from([Buffer.from('café')])]], charsetsProvided: [['iso-8859-1', () => Buffer.from('converted')]] },
      { headers: { 'accept-charset': 'iso-8859-1' } },
    );
    expect(x.text).toBe('café');
  });

  it.each([
    ['gzip', gunzipSync],
    ['deflate', inflateSync],
    ['br', brotliDecompressSync],
  ] as const)('encodes %s through zlib; decompressed it is the body; the strong ETag names the coding', async (coding, decode) => {
    const x = await harness.exchange(coded, { headers: { 'accept-encoding': coding } });
    expect(x.status).toBe(200);
    expect(x.headers['content-encoding']).toBe(coding);
    // A body in memory is encoded whole: its exact coded length goes out with the headers.
    expect(x.headers['content-length']).toBe(String(x.body.length));
    expect(x.headers.etag).toBe(`"v1-${coding}"`);
    expect(x.body.length).toBeLessThan(body.length);
    expect(decode(x.body).toString('utf8')).toBe(body);
  });

  it('encodes streamed bodies too', async () => {
    const x = await harness.exchange({ ...coded, contentTypesProvided: [['text/plain', () => Readable.from([Buffer.from(body)])]] }, { headers: { 'accept-encoding': 'gzip' } });
    expect(x.headers['content-length']).toBeUndefined();
    expect(gunzipSync(x.body).toString('utf8')).toBe(body);
  });

  it('keeps the identity ETag for identity, and matches both tags in conditionals', async () => {
    const identity = await harness.exchange(coded, { headers: { 'accept-encoding': 'identity' } });
    expect([identity.headers.etag, identity.text]).toEqual(['"v1"', body]);
    const revalidated = await harness.exchange(coded, { headers: { 'accept-encoding': 'gzip', 'if-none-match': '"v1-gzip"' } });
    expect([revalidated.status, revalidated.headers.etag]).toEqual([304, '"v1-gzip"']);
    const ifMatch = await harness.exchange(coded, { headers: { 'accept-encoding': 'gzip', 'if-match': '"v1"' } });
    expect(ifMatch.status).toBe(200);
  });

  it('v3 profile: the coded body reuses the identity ETag (Basho behaviour)', async () => {
    const x = await harness.exchange(coded, { headers: { 'accept-encoding': 'gzip' } }, { profile: 'v3' });
    expect(x.headers.etag).toBe('"v1"');
  });

  it('HEAD of a coded body: same headers as GET, no body', async () => {
    const get = await harness.exchange(coded, { headers: { 'accept-encoding': 'br' } });
    const head = await harness.exchange(coded, { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    expect(head.body.length).toBe(0);
    for (const h of ['content-type', 'content-encoding', 'etag', 'vary', 'content-length']) expect(head.headers[h], h).toEqual(get.headers[h]);
  });

  it('error answers are never coded and carry no Content-Language', async () => {
    const x = await harness.exchange(
      { ...coded, languagesProvided: ['en'], resourceExists: false },
      { headers: { 'accept-encoding': 'gzip' } },
    );
    expect(x.status).toBe(404);
    expect(x.headers['content-encoding']).toBeUndefined();
    expect(x.headers['content-language']).toBeUndefined();
    expect(JSON.parse(x.text)).toMatchObject({ status: 404 });
  });

  it('a 300 is a representation: charset and coding apply as for 200', async () => {
    const x = await harness.exchange({ ...coded, multipleChoices: true }, { headers: { 'accept-encoding': 'gzip' } });
    expect([x.status, x.headers['content-encoding'], x.headers.etag]).toEqual([300, 'gzip', '"v1-gzip"']);
    expect(gunzipSync(x.body).toString('utf8')).toBe(body);
  });
});
