/**
 * Conditional requests through the Express adapter: every combination of If-Match,
 * If-Unmodified-Since, If-None-Match and If-Modified-Since (absent, condition true, condition false)
 * for GET, HEAD, PUT and DELETE, checked against an oracle written from RFC 9110 section 13.2.2
 * (rfc profile) and from Basho's v3 order (v3 profile). Then the details: second granularity,
 * future and invalid dates, `*`, weak tags, missing resources, 304 headers.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Profile, Resource, resource, type ContentTypesAccepted, type ContentTypesProvided, type ResourceInit } from '../../webmachine/index.js';
import { closing, listening } from './support.js';

const TAG = 'rev-7';
const MODIFIED = new Date('2024-03-01T12:00:00.900Z'); // sub-second on purpose
const SAME = 'Fri, 01 Mar 2024 12:00:00 GMT';
const BEFORE = 'Fri, 01 Mar 2024 11:59:59 GMT';

/** A document with validators; `exists` is false for paths under /missing. */
class Doc extends Resource {
  constructor(init: ResourceInit) {
    super(init);
  }
  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'];
  }
  override resourceExists(): boolean {
    return !this.request.path.startsWith('/missing');
  }
  override contentTypesProvided(): ContentTypesProvided {
    return [['text/plain', () => 'the document']];
  }
  override contentTypesAccepted(): ContentTypesAccepted {
    return [['text/plain', () => true]];
  }
  override generateEtag(): string | undefined {
    return this.request.query.has('no-etag') ? undefined : TAG;
  }
  override lastModified(): Date | undefined {
    return this.request.query.has('no-date') ? undefined : MODIFIED;
  }
  override expires(): Date {
    return new Date('2030-01-01T00:00:00Z');
  }
  override cacheControl(): string {
    return 'no-cache';
  }
  override variances(): string[] {
    return ['Authorization'];
  }
  override deleteResource(): boolean {
    return true;
  }
}

const servers: Record<Profile, Server> = {} as Record<Profile, Server>;
beforeAll(async () => {
  for (const profile of ['rfc', 'v3'] as const) {
    const app = express();
    app.all('/{*rest}', resource((init) => new Doc(init), { profile }));
    servers[profile] = createServer(app);
    await listening(servers[profile]);
  }
});
afterAll(async () => {
  for (const s of Object.values(servers)) await closing(s);
});

type State = 'absent' | 'true' | 'false';
const STATES: State[] = ['absent', 'true', 'false'];
/** Header values that make each condition true or false for the document above. */
const VALUES = {
  'if-match': { true: `"${TAG}"`, false: '"stale"' },
  'if-unmodified-since': { true: SAME, false: BEFORE },
  'if-none-match': { true: '"stale"', false: `"${TAG}"` },
  'if-modified-since': { true: BEFORE, false: SAME },
} as const;
type Field = keyof typeof VALUES;
type Combo = Record<Field, State>;

const NORMAL: Record<string, number> = { GET: 200, HEAD: 200, PUT: 204, DELETE: 204 };

/** RFC 9110 13.2.2, steps 1-5. */
function rfcOracle(method: string, c: Combo): number {
  const safe = method === 'GET' || method === 'HEAD';
  if (c['if-match'] !== 'absent') {
    if (c['if-match'] === 'false') return 412;
  } else if (c['if-unmodified-since'] === 'false') return 412;
  if (c['if-none-match'] !== 'absent') {
    if (c['if-none-match'] === 'false') return safe ? 304 : 412;
  } else if (safe && c['if-modified-since'] === 'false') return 304;
  return NORMAL[method]!;
}

/** Basho's order: every header evaluated in turn, If-Modified-Since for every method. */
function v3Oracle(method: string, c: Combo): number {
  const safe = method === 'GET' || method === 'HEAD';
  if (c['if-match'] === 'false' || c['if-unmodified-since'] === 'false') return 412;
  if (c['if-none-match'] === 'false') return safe ? 304 : 412;
  if (c['if-modified-since'] === 'false') return 304;
  return NORMAL[method]!;
}

const combos: Combo[] = [];
for (const a of STATES) for (const b of STATES) for (const c of STATES) for (const d of STATES) combos.push({ 'if-match': a, 'if-unmodified-since': b, 'if-none-match': c, 'if-modified-since': d });

function headersOf(c: Combo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of Object.keys(VALUES) as Field[]) {
    const state = c[field];
    if (state !== 'absent') out[field] = VALUES[field][state];
  }
  return out;
}

function describeCombo(c: Combo): string {
  const parts = (Object.keys(c) as Field[]).filter((f) => c[f] !== 'absent').map((f) => `${f}:${c[f]}`);
  return parts.length === 0 ? 'unconditional' : parts.join(' ');
}

async function send(profile: Profile, method: string, url: string, headers: Record<string, string>) {
  let req = request(servers[profile])[method.toLowerCase() as 'get'](url);
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  if (method === 'PUT') req = req.set('Content-Type', 'text/plain').send('new text');
  return req;
}

describe.each(['rfc', 'v3'] as const)('every combination of the four conditional headers (%s profile)', (profile) => {
  const oracle = profile === 'rfc' ? rfcOracle : v3Oracle;
  describe.each(['GET', 'HEAD', 'PUT', 'DELETE'])('%s', (method) => {
    it(`matches the ${profile === 'rfc' ? 'RFC 9110 13.2.2' : 'Basho v3'} evaluation for all 81 combinations`, async () => {
      const mismatches: string[] = [];
      for (const combo of combos) {
        const res = await send(profile, method, '/doc', headersOf(combo));
        const expected = oracle(method, combo);
        if (res.status !== expected) mismatches.push(`${describeCombo(combo)}: got ${res.status}, expected ${expected}`);
        if (res.status === 304 && (res.headers.etag !== `"${TAG}"` || (res.text ?? '') !== '')) mismatches.push(`${describeCombo(combo)}: bad 304`);
        if (res.status === 412 && res.headers['content-type'] !== 'application/problem+json') mismatches.push(`${describeCombo(combo)}: 412 without problem`);
      }
      expect(mismatches).toEqual([]);
    });
  });
});

describe('conditional requests in detail (rfc profile)', () => {
  const get = (url: string, headers: Record<string, string> = {}) => send('rfc', 'GET', url, headers);

  it('a 200 carries ETag, Last-Modified (whole seconds), Expires, Cache-Control and Vary', async () => {
    const res = await get('/doc');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ etag: `"${TAG}"`, 'last-modified': SAME, expires: 'Tue, 01 Jan 2030 00:00:00 GMT', 'cache-control': 'no-cache', vary: 'Authorization' });
  });

  it('a 304 carries ETag, Expires, Cache-Control, Vary and Date, but no Content-Type, Content-Length or Last-Modified', async () => {
    const res = await get('/doc', { 'if-none-match': `"${TAG}"` });
    expect(res.status).toBe(304);
    expect(res.headers).toMatchObject({ etag: `"${TAG}"`, expires: 'Tue, 01 Jan 2030 00:00:00 GMT', 'cache-control': 'no-cache', vary: 'Authorization' });
    expect(res.headers.date).toBeDefined();
    for (const absent of ['content-type', 'content-length', 'last-modified', 'content-language']) expect(res.headers[absent]).toBeUndefined();
  });

  it('a 304 without ETag carries Last-Modified instead', async () => {
    const res = await get('/doc?no-etag', { 'if-modified-since': SAME });
    expect(res.status).toBe(304);
    expect(res.headers['last-modified']).toBe(SAME);
    expect(res.headers.etag).toBeUndefined();
  });

  it('v3 304s carry ETag and Expires but not Cache-Control', async () => {
    const res = await send('v3', 'GET', '/doc', { 'if-none-match': `"${TAG}"` });
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe(`"${TAG}"`);
    expect(res.headers.expires).toBeDefined();
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('compares dates with one-second granularity (a sub-second Last-Modified still gets 304)', async () => {
    expect((await get('/doc', { 'if-modified-since': SAME })).status).toBe(304);
    expect((await send('rfc', 'PUT', '/doc', { 'if-unmodified-since': SAME })).status).toBe(204);
  });

  it('ignores a future If-Modified-Since and invalid dates of every kind', async () => {
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    for (const value of [future, '2024-03-01T12:00:00Z', '1709294400', 'Fri, 01 Mar 2024 12:00:00 UTC', 'Thu, 01 Mar 2024 12:00:00 GMT', 'garbage', '']) {
      expect((await get('/doc', { 'if-modified-since': value })).status, value).toBe(200);
      expect((await send('rfc', 'PUT', '/doc', { 'if-unmodified-since': value })).status, value).toBe(204);
    }
  });

  it('accepts all three HTTP-date formats', async () => {
    for (const value of [SAME, 'Friday, 01-Mar-24 12:00:00 GMT', 'Fri Mar  1 12:00:00 2024']) {
      expect((await get('/doc', { 'if-modified-since': value })).status, value).toBe(304);
    }
  });

  it('If-Match * passes on an existing resource, fails where a missing one would be created', async () => {
    expect((await send('rfc', 'PUT', '/doc', { 'if-match': '*' })).status).toBe(204);
    expect((await send('rfc', 'PUT', '/missing/doc', { 'if-match': '*' })).status).toBe(412);
    expect((await send('rfc', 'PUT', '/missing/doc', {})).status).toBe(201);
  });

  it('If-Match on a missing resource lets 404 win for GET and DELETE (RFC 9110 13.2.1); v3 answers 412', async () => {
    for (const method of ['GET', 'DELETE']) {
      expect((await send('rfc', method, '/missing/doc', { 'if-match': `"${TAG}"` })).status).toBe(404);
      expect((await send('v3', method, '/missing/doc', { 'if-match': `"${TAG}"` })).status).toBe(412);
    }
  });

  it('If-None-Match * is the create-only guard: PUT to a missing resource creates, to an existing one 412', async () => {
    expect((await send('rfc', 'PUT', '/missing/doc', { 'if-none-match': '*' })).status).toBe(201);
    expect((await send('rfc', 'PUT', '/doc', { 'if-none-match': '*' })).status).toBe(412);
    expect((await get('/doc', { 'if-none-match': '*' })).status).toBe(304);
  });

  it('parses tag lists tag by tag: commas inside tags, weak tags, whitespace, malformed lists', async () => {
    expect((await get('/doc', { 'if-none-match': `"a,b", W/"${TAG}"` })).status).toBe(304);
    expect((await get('/doc', { 'if-none-match': `  "x" ,,"${TAG}"  ` })).status).toBe(304);
    expect((await get('/doc', { 'if-none-match': TAG })).status).toBe(200); // unquoted: malformed, matches nothing
    expect((await send('rfc', 'PUT', '/doc', { 'if-match': `"x", W/"${TAG}"` })).status).toBe(412); // weak never matches If-Match
    expect((await send('rfc', 'PUT', '/doc', { 'if-match': `"x", "${TAG}"` })).status).toBe(204);
    expect((await send('rfc', 'PUT', '/doc', { 'if-match': `"${TAG}` })).status).toBe(412); // unterminated
  });

  it('without an ETag: If-Match fails, If-None-Match never matches', async () => {
    expect((await send('rfc', 'PUT', '/doc?no-etag', { 'if-match': `"${TAG}"` })).status).toBe(412);
    expect((await get('/doc?no-etag', { 'if-none-match': `"${TAG}"` })).status).toBe(200);
  });

  it('without Last-Modified: If-Unmodified-Since passes, If-Modified-Since never gives 304', async () => {
    expect((await send('rfc', 'PUT', '/doc?no-date', { 'if-unmodified-since': BEFORE })).status).toBe(204);
    expect((await get('/doc?no-date', { 'if-modified-since': SAME })).status).toBe(200);
  });

  it('POST: If-None-Match match is a 412, If-Modified-Since is ignored', async () => {
    const post = (headers: Record<string, string>) => request(servers.rfc).post('/doc').set(headers).set('Content-Type', 'text/plain').send('x');
    // POST is allowed but process_post is the default (false): a 500 means the preconditions passed.
    expect((await post({ 'if-none-match': `"${TAG}"` })).status).toBe(412);
    expect((await post({ 'if-modified-since': SAME })).status).toBe(500);
  });
});
