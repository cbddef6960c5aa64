/**
 * The decision flow, table-driven from the v3 diagram (docs/webmachine.md, node table). Every row
 * sets the callbacks of one resource, sends one request and asserts the status AND the exact
 * decision trace. The diagram itself is data here (DIAGRAM); every trace must be a path through it,
 * and the last tests check that the rows together take every edge of every node and reach every
 * terminal status.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisions, halt, type Profile } from '../../webmachine/index.js';
import { type Callbacks, EngineHarness, type Exchange, problemOf, type Send } from './support.js';

type Next = string | number;

/**
 * Node -> every way out of it: the next node, or a terminal status. Beyond the 2009 drawing:
 * sub-nodes b9a/b9b/g7a/m20b/o18b, the rfc profile's answers (400 at B6 for a partial PUT, 308 at
 * I4, 412 deferred from H7 to P3/N5/M7, 400 for a refused body), resource errors that are 500 by
 * design (B8 without a challenge, C3 without types, F6/F7 coding without encoder, M20, N11), and
 * the byte-range step after O18b.
 */
const DIAGRAM: Record<string, Next[]> = {
  b13: ['b12', 503],
  b12: ['b11', 501],
  b11: [414, 'b10'],
  b10: ['b9', 405],
  b9: ['b9a', 'b9b'],
  b9a: ['b9b', 400],
  b9b: [400, 'b8'],
  b8: ['b7', 401, 500],
  b7: [403, 'b6'],
  b6: ['b5', 501, 400],
  b5: ['b4', 415],
  b4: ['b3', 413],
  b3: [200, 'c3'],
  c3: ['c4', 'd4', 500],
  c4: ['d4', 406],
  d4: ['d5', 'e5'],
  d5: ['e5', 406],
  e5: ['e6', 'f6', 406],
  e6: ['f6', 406],
  f6: ['f7', 'g7', 406, 500],
  f7: ['g7', 406],
  g7: ['g7a', 'g8', 'h7'],
  g7a: [428, 'g8'],
  g8: ['g9', 'h10'],
  g9: ['h10', 'g11'],
  g11: ['h10', 412],
  h10: ['h11', 'i12'],
  h11: ['h12', 'i12'],
  h12: [412, 'i12'],
  i12: ['i13', 'l13'],
  i13: ['j18', 'k13'],
  k13: ['j18', 'l13'],
  j18: [304, 412],
  l13: ['l14', 'm16'],
  l14: ['l15', 'm16'],
  l15: ['m16', 'l17'],
  l17: ['m16', 304],
  m16: ['m20', 'n16'],
  m20: ['m20b', 500],
  m20b: ['o20', 202],
  n16: ['n11', 'o16'],
  n11: [303, 'p11', 415, 500],
  o16: ['o14', 'o18'],
  o14: [409, 'p11', 415, 400],
  o18: ['o18b', 500],
  o18b: [300, 200, 'range'],
  o20: ['o18', 204],
  p11: [201, 'o20'],
  h7: [412, 'i7'],
  i7: ['i4', 'k7'],
  i4: [301, 308, 'p3'],
  p3: [409, 'p11', 412, 415],
  k7: ['k5', 'l7'],
  k5: [301, 'l5'],
  l5: [307, 'm5'],
  m5: ['n5', 410],
  n5: ['n11', 410, 412],
  l7: ['m7', 404],
  m7: ['n11', 404, 412],
  range: [206, 416],
};

/** Every terminal status of the diagram plus the RFC additions the issue lists. */
const TERMINALS = [200, 201, 202, 204, 300, 301, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 414, 415, 416, 428, 500, 501, 503];

// Trace fragments.
const B = ['b13', 'b12', 'b11', 'b10', 'b9', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3'];
const B_MD5 = ['b13', 'b12', 'b11', 'b10', 'b9', 'b9a', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3'];
const CF = ['c3', 'd4', 'e5', 'f6'];
const EXISTS = ['g7', 'g7a', 'g8'];
const EXISTS_V3 = ['g7', 'g8'];
const NO_CONDITIONS = ['h10', 'i12', 'l13', 'm16'];
const GET = ['n16', 'o16', 'o18', 'o18b'];
const PUT = ['n16', 'o16', 'o14', 'p11', 'o20'];
const MISSING = ['g7', 'h7', 'i7'];
const path = (...parts: (string | string[])[]): string[] => parts.flat();

const OK_GET = path(B, CF, EXISTS, NO_CONDITIONS, GET);
const OK_GET_V3 = path(B, CF, EXISTS_V3, NO_CONDITIONS, GET);

const ETAG = 'v1';
const MODIFIED = new Date('2024-03-01T12:00:00.000Z');
const BEFORE = 'Thu, 29 Feb 2024 12:00:00 GMT';
const SAME = 'Fri, 01 Mar 2024 12:00:00 GMT';
const FUTURE = new Date(Date.now() + 86_400_000).toUTCString();
const md5 = (s: string): string => createHash('md5').update(s).digest('base64');

const text: Callbacks['contentTypesAccepted'] = [['text/plain', () => true]];
const putCbs: Callbacks = { allowedMethods: ['GET', 'HEAD', 'PUT'], contentTypesAccepted: text };
const postCbs: Callbacks = { allowedMethods: ['GET', 'HEAD', 'POST'], contentTypesAccepted: text };
const validators: Callbacks = { generateEtag: ETAG, lastModified: MODIFIED };
const putText: Send = { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' };
const postText: Send = { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' };

interface Row {
  name: string;
  profile?: Profile;
  cb: Callbacks;
  send?: Send;
  status: number;
  trace: string[];
  /** The flow ended by a halt or a thrown error at a node where DIAGRAM has no such edge. */
  offDiagram?: boolean;
  check?: (x: Exchange) => void;
}

const rows: Row[] = [
  // Column B
  { name: 'B13 F: service unavailable', cb: { serviceAvailable: false }, status: 503, trace: ['b13'] },
  { name: 'B12 F: unknown method', cb: {}, send: { method: 'MOVE' }, status: 501, trace: ['b13', 'b12'] },
  { name: 'B12 F (v3): PATCH is not a known method', profile: 'v3', cb: {}, send: { method: 'PATCH' }, status: 501, trace: ['b13', 'b12'] },
  { name: 'B11 T: URI too long', cb: { uriTooLong: true }, status: 414, trace: ['b13', 'b12', 'b11'] },
  {
    name: 'B10 F: method not allowed, Allow lists the methods',
    cb: { allowedMethods: ['GET', 'HEAD', 'PUT'] },
    send: { method: 'DELETE' },
    status: 405,
    trace: ['b13', 'b12', 'b11', 'b10'],
    check: (x) => expect(x.headers.allow).toBe('GET, HEAD, PUT'),
  },
  {
    name: 'B9 T, B9a T: Content-MD5 matches the body',
    cb: putCbs,
    send: { ...putText, headers: { 'content-type': 'text/plain', 'content-md5': md5('x') } },
    status: 204,
    trace: path(B_MD5, CF, EXISTS, NO_CONDITIONS, PUT),
  },
  {
    name: 'B9a F: Content-MD5 does not match',
    cb: putCbs,
    send: { ...putText, headers: { 'content-type': 'text/plain', 'content-md5': md5('y') } },
    status: 400,
    trace: ['b13', 'b12', 'b11', 'b10', 'b9', 'b9a'],
    check: (x) => expect(problemOf(x).detail).toMatch(/Content-MD5/),
  },
  {
    name: 'B9a T: validate_content_checksum true skips the engine check',
    cb: { ...putCbs, validateContentChecksum: true },
    send: { ...putText, headers: { 'content-type': 'text/plain', 'content-md5': 'garbage' } },
    status: 204,
    trace: path(B_MD5, CF, EXISTS, NO_CONDITIONS, PUT),
  },
  {
    name: 'B9a F: validate_content_checksum false',
    cb: { ...putCbs, validateContentChecksum: false },
    send: { ...putText, headers: { 'content-type': 'text/plain', 'content-md5': md5('x') } },
    status: 400,
    trace: ['b13', 'b12', 'b11', 'b10', 'b9', 'b9a'],
  },
  { name: 'B9b T: malformed request', cb: { malformedRequest: true }, status: 400, trace: B.slice(0, 6) },
  {
    name: 'B8 F: not authorized, the challenge goes into WWW-Authenticate',
    cb: { isAuthorized: 'Bearer realm="repo"' },
    status: 401,
    trace: B.slice(0, 7),
    check: (x) => expect(x.headers['www-authenticate']).toBe('Bearer realm="repo"'),
  },
  {
    name: 'B8 F without a challenge (rfc): a misconfigured resource, 500',
    cb: { isAuthorized: false },
    status: 500,
    trace: B.slice(0, 7),
    check: (x) => expect(x.headers['www-authenticate']).toBeUndefined(),
  },
  { name: 'B8 F with an empty challenge (rfc): 500', cb: { isAuthorized: ' ' }, status: 500, trace: B.slice(0, 7) },
  {
    name: 'B8 F without a challenge (v3): 401 without WWW-Authenticate',
    profile: 'v3',
    cb: { isAuthorized: false },
    status: 401,
    trace: B.slice(0, 7),
    check: (x) => expect(x.headers['www-authenticate']).toBeUndefined(),
  },
  { name: 'B7 T: forbidden', cb: { forbidden: true }, status: 403, trace: B.slice(0, 8) },
  { name: 'B6 F: unsupported Content-* header', cb: { validContentHeaders: false }, status: 501, trace: B.slice(0, 9) },
  {
    name: 'B6 (rfc default): a partial PUT (Content-Range) is a 400',
    cb: putCbs,
    send: { ...putText, headers: { 'content-type': 'text/plain', 'content-range': 'bytes 0-0/10' } },
    status: 400,
    trace: B.slice(0, 9),
    check: (x) => expect(problemOf(x).detail).toMatch(/Partial PUT/),
  },
  {
    name: 'B6 (v3 default): Content-Range on PUT passes',
    profile: 'v3',
    cb: putCbs,
    send: { ...putText, headers: { 'content-type': 'text/plain', 'content-range': 'bytes 0-0/10' } },
    status: 204,
    trace: path(B, CF, EXISTS_V3, ['h10', 'i12', 'l13', 'm16'], PUT),
  },
  { name: 'B5 F: unknown Content-Type', cb: { knownContentType: false }, status: 415, trace: B.slice(0, 10) },
  { name: 'B4 F: entity too large', cb: { validEntityLength: false }, status: 413, trace: B.slice(0, 11) },
  {
    name: 'B3 T (rfc): OPTIONS answers 200 with Allow and Content-Length 0',
    cb: { allowedMethods: ['GET', 'HEAD', 'OPTIONS'], options: { 'Access-Control-Max-Age': '60' } },
    send: { method: 'OPTIONS' },
    status: 200,
    trace: B,
    check: (x) => {
      expect(x.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(x.headers['access-control-max-age']).toBe('60');
      expect(x.headers['content-length']).toBe('0');
      expect(x.body.length).toBe(0);
    },
  },
  {
    name: 'B3 T (rfc): an Allow from options() is kept',
    cb: { allowedMethods: ['GET', 'HEAD', 'OPTIONS'], options: { Allow: 'GET' } },
    send: { method: 'OPTIONS' },
    status: 200,
    trace: B,
    check: (x) => expect(x.headers.allow).toBe('GET'),
  },
  {
    name: 'B3 T (v3): OPTIONS carries only the options() headers',
    profile: 'v3',
    cb: { allowedMethods: ['GET', 'HEAD', 'OPTIONS'], options: { 'X-Extra': '1' } },
    send: { method: 'OPTIONS' },
    status: 200,
    trace: B,
    check: (x) => {
      expect(x.headers.allow).toBeUndefined();
      expect(x.headers['x-extra']).toBe('1');
    },
  },

  // Columns C-F: negotiation
  { name: 'B3 F, C3 F, D4 F, E5 F, F6 F: a plain GET', cb: {}, status: 200, trace: OK_GET, check: (x) => expect(x.headers['content-type']).toBe('text/html') },
  {
    name: 'C3 T, C4 T: Accept matches',
    cb: { contentTypesProvided: [['text/html', () => '<p/>'], ['application/json', () => '{}']] },
    send: { headers: { accept: 'application/json' } },
    status: 200,
    trace: path(B, ['c3', 'c4', 'd4', 'e5', 'f6'], EXISTS, NO_CONDITIONS, GET),
    check: (x) => {
      expect(x.text).toBe('{}');
      expect(x.headers.vary).toBe('Accept');
    },
  },
  {
    name: 'C4 F: nothing acceptable',
    cb: {},
    send: { headers: { accept: 'image/png' } },
    status: 406,
    trace: path(B, ['c3', 'c4']),
    check: (x) => expect(problemOf(x).available).toEqual(['text/html']),
  },
  { name: 'C3 with no content types provided: 500', cb: { contentTypesProvided: [] }, status: 500, trace: path(B, ['c3']) },
  {
    name: 'D4 F (rfc): no Accept-Language, the first language is used',
    cb: { languagesProvided: ['en', 'de'] },
    status: 200,
    trace: OK_GET,
    check: (x) => {
      expect(x.headers['content-language']).toBe('en');
      expect(x.headers.vary).toBe('Accept-Language');
    },
  },
  {
    name: 'D4 T, D5 T (rfc): Accept-Language chooses',
    cb: { languagesProvided: ['en', 'de'] },
    send: { headers: { 'accept-language': 'de-AT, de;q=0.9, en;q=0.1' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'd5', 'e5', 'f6'], EXISTS, NO_CONDITIONS, GET),
    check: (x) => {
      expect(x.headers['content-language']).toBe('de');
      expect(x.resource.chosen.language).toBe('de');
    },
  },
  {
    name: 'D5 (rfc): an unsatisfiable Accept-Language is ignored by default',
    cb: { languagesProvided: ['en', 'de'] },
    send: { headers: { 'accept-language': 'fr' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'd5', 'e5', 'f6'], EXISTS, NO_CONDITIONS, GET),
    check: (x) => expect(x.headers['content-language']).toBe('en'),
  },
  {
    name: 'D5 F (rfc): strict_language turns it into a 406',
    cb: { languagesProvided: ['en', 'de'], strictLanguage: true },
    send: { headers: { 'accept-language': 'fr' } },
    status: 406,
    trace: path(B, ['c3', 'd4', 'd5']),
    check: (x) => expect(x.headers['content-language']).toBeUndefined(),
  },
  {
    name: 'D5 (rfc): no languages provided, negotiation off',
    cb: {},
    send: { headers: { 'accept-language': 'fr' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'd5', 'e5', 'f6'], EXISTS, NO_CONDITIONS, GET),
    check: (x) => expect(x.headers['content-language']).toBeUndefined(),
  },
  {
    name: 'D5 F (v3): language_available false',
    profile: 'v3',
    cb: { languageAvailable: false },
    send: { headers: { 'accept-language': 'fr' } },
    status: 406,
    trace: path(B, ['c3', 'd4', 'd5']),
  },
  {
    name: 'D5 T (v3): language_available; languages are not negotiated nor in Vary',
    profile: 'v3',
    cb: { languagesProvided: ['en', 'de'] },
    send: { headers: { 'accept-language': 'de' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'd5', 'e5', 'f6'], EXISTS_V3, NO_CONDITIONS, GET),
    check: (x) => {
      expect(x.headers['content-language']).toBeUndefined();
      expect(x.headers.vary).toBeUndefined();
    },
  },
  {
    name: 'E5 F: no Accept-Charset, the first charset is used',
    cb: { charsetsProvided: [['utf-8', (b) => b], ['iso-8859-1', (b) => b]] },
    status: 200,
    trace: OK_GET,
    check: (x) => {
      expect(x.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(x.headers.vary).toBe('Accept-Charset');
    },
  },
  { name: 'E5 F with an empty charset list: 406', cb: { charsetsProvided: [] }, status: 406, trace: path(B, ['c3', 'd4', 'e5']) },
  {
    name: 'E5 T, E6 T: Accept-Charset chooses',
    cb: { charsetsProvided: [['utf-8', (b) => b], ['iso-8859-1', (b) => b]] },
    send: { headers: { 'accept-charset': 'iso-8859-1' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'e5', 'e6', 'f6'], EXISTS, NO_CONDITIONS, GET),
    check: (x) => expect(x.headers['content-type']).toBe('text/html; charset=iso-8859-1'),
  },
  {
    name: 'E6 F (rfc): no acceptable charset, no implicit ISO-8859-1',
    cb: { charsetsProvided: [['utf-8', (b) => b], ['iso-8859-1', (b) => b]] },
    send: { headers: { 'accept-charset': 'utf-16' } },
    status: 406,
    trace: path(B, ['c3', 'd4', 'e5', 'e6']),
  },
  {
    name: 'E6 T (v3): ISO-8859-1 is the implicit default',
    profile: 'v3',
    cb: { charsetsProvided: [['utf-8', (b) => b], ['iso-8859-1', (b) => b]] },
    send: { headers: { 'accept-charset': 'utf-16' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'e5', 'e6', 'f6'], EXISTS_V3, NO_CONDITIONS, GET),
    check: (x) => expect(x.headers['content-type']).toBe('text/html; charset=iso-8859-1'),
  },
  {
    name: 'E5: Accept-Charset is ignored when charset negotiation is off',
    cb: {},
    send: { headers: { 'accept-charset': 'utf-16' } },
    status: 200,
    trace: OK_GET,
  },
  { name: 'F6 F with no codings offered: 406', cb: { encodingsProvided: [] }, status: 406, trace: path(B, CF) },
  {
    name: 'F6 F: no Accept-Encoding and identity not offered, the first coding is used',
    cb: { encodingsProvided: ['gzip'] },
    status: 200,
    trace: OK_GET,
    check: (x) => expect(x.headers['content-encoding']).toBe('gzip'),
  },
  {
    name: 'F6 T, F7 T: Accept-Encoding chooses gzip',
    cb: { encodingsProvided: ['identity', 'gzip'] },
    send: { headers: { 'accept-encoding': 'gzip' } },
    status: 200,
    trace: path(B, ['c3', 'd4', 'e5', 'f6', 'f7'], EXISTS, NO_CONDITIONS, GET),
    check: (x) => {
      expect(x.headers['content-encoding']).toBe('gzip');
      expect(x.headers.vary).toBe('Accept-Encoding');
    },
  },
  {
    name: 'F7 F: identity;q=0 and nothing else offered',
    cb: {},
    send: { headers: { 'accept-encoding': 'identity;q=0' } },
    status: 406,
    trace: path(B, ['c3', 'd4', 'e5', 'f6', 'f7']),
  },
  { name: 'F6: a coding the engine cannot encode is a 500', cb: { encodingsProvided: ['compress'] }, status: 500, trace: path(B, CF) },

  // Existing resource: preconditions
  {
    name: 'G7 T, G7a: PUT without If-Match where preconditions are required: 428',
    cb: { ...putCbs, preconditionRequired: true },
    send: putText,
    status: 428,
    trace: path(B, CF, ['g7', 'g7a']),
    check: (x) => expect(problemOf(x).status).toBe(428),
  },
  {
    name: 'G7a: GET is never asked for a precondition',
    cb: { preconditionRequired: true },
    status: 200,
    trace: OK_GET,
  },
  {
    name: 'G7a passes, G8 T, G9 T: If-Match * on an existing resource',
    cb: { ...putCbs, preconditionRequired: true },
    send: { ...putText, headers: { 'content-type': 'text/plain', 'if-match': '*' } },
    status: 204,
    trace: path(B, CF, EXISTS, ['g9', 'h10', 'i12', 'l13', 'm16'], PUT),
  },
  {
    name: 'G9 F, G11 T: If-Match lists the current tag',
    cb: validators,
    send: { headers: { 'if-match': `"x", "${ETAG}"` } },
    status: 200,
    trace: path(B, CF, EXISTS, ['g9', 'g11', 'h10', 'i12', 'l13', 'm16'], GET),
    check: (x) => {
      expect(x.headers.etag).toBe(`"${ETAG}"`);
      expect(x.headers['last-modified']).toBe(SAME);
    },
  },
  {
    name: 'G11 F: If-Match does not list the current tag',
    cb: validators,
    send: { headers: { 'if-match': '"other"' } },
    status: 412,
    trace: path(B, CF, EXISTS, ['g9', 'g11']),
  },
  {
    name: 'G11 F (rfc): a weak tag never matches If-Match (strong comparison)',
    cb: validators,
    send: { headers: { 'if-match': `W/"${ETAG}"` } },
    status: 412,
    trace: path(B, CF, EXISTS, ['g9', 'g11']),
  },
  {
    name: 'G11 T (v3): the comparison is effectively weak',
    profile: 'v3',
    cb: validators,
    send: { headers: { 'if-match': `W/"${ETAG}"` } },
    status: 200,
    trace: path(B, CF, EXISTS_V3, ['g9', 'g11', 'h10', 'i12', 'l13', 'm16'], GET),
  },
  {
    name: 'G11 F: a resource without ETag fails every If-Match list',
    cb: {},
    send: { headers: { 'if-match': '"x"' } },
    status: 412,
    trace: path(B, CF, EXISTS, ['g9', 'g11']),
  },
  {
    name: 'H10 T, H11 T, H12 F: not modified since If-Unmodified-Since',
    cb: validators,
    send: { headers: { 'if-unmodified-since': SAME } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'h11', 'h12', 'i12', 'l13', 'm16'], GET),
  },
  {
    name: 'H12 T: modified after If-Unmodified-Since',
    cb: validators,
    send: { headers: { 'if-unmodified-since': BEFORE } },
    status: 412,
    trace: path(B, CF, EXISTS, ['h10', 'h11', 'h12']),
  },
  {
    name: 'H11 F: an invalid If-Unmodified-Since is ignored',
    cb: validators,
    send: { headers: { 'if-unmodified-since': '2024-02-29' } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'h11', 'i12', 'l13', 'm16'], GET),
  },
  {
    name: 'H12 F: no last_modified, If-Unmodified-Since cannot fail',
    cb: {},
    send: { headers: { 'if-unmodified-since': BEFORE } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'h11', 'h12', 'i12', 'l13', 'm16'], GET),
  },
  {
    name: 'H10 (rfc): If-Unmodified-Since is ignored after If-Match',
    cb: validators,
    send: { headers: { 'if-match': `"${ETAG}"`, 'if-unmodified-since': BEFORE } },
    status: 200,
    trace: path(B, CF, EXISTS, ['g9', 'g11', 'h10', 'i12', 'l13', 'm16'], GET),
  },
  {
    name: 'H10 (v3): If-Unmodified-Since is evaluated after If-Match',
    profile: 'v3',
    cb: validators,
    send: { headers: { 'if-match': `"${ETAG}"`, 'if-unmodified-since': BEFORE } },
    status: 412,
    trace: path(B, CF, EXISTS_V3, ['g9', 'g11', 'h10', 'h11', 'h12']),
  },
  {
    name: 'I12 T, I13 T, J18 T: If-None-Match * on GET is 304',
    cb: { ...validators, expires: new Date('2030-01-01T00:00:00Z'), cacheControl: 'max-age=60' },
    send: { headers: { 'if-none-match': '*' } },
    status: 304,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'i13', 'j18']),
    check: (x) => {
      expect(x.headers.etag).toBe(`"${ETAG}"`);
      expect(x.headers.expires).toBe('Tue, 01 Jan 2030 00:00:00 GMT');
      expect(x.headers['cache-control']).toBe('max-age=60');
      expect(x.headers['last-modified']).toBeUndefined();
      expect(x.headers['content-type']).toBeUndefined();
      expect(x.body.length).toBe(0);
    },
  },
  {
    name: 'J18 F: If-None-Match * on PUT is 412 (create-only guard)',
    cb: putCbs,
    send: { ...putText, headers: { 'content-type': 'text/plain', 'if-none-match': '*' } },
    status: 412,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'i13', 'j18']),
  },
  {
    name: 'I13 F, K13 T: If-None-Match lists the tag (weak comparison)',
    cb: validators,
    send: { headers: { 'if-none-match': `"a", W/"${ETAG}"` } },
    status: 304,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'i13', 'k13', 'j18']),
  },
  {
    name: 'K13 F (rfc): no match, and If-Modified-Since is then ignored',
    cb: validators,
    send: { headers: { 'if-none-match': '"other"', 'if-modified-since': SAME } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'i13', 'k13', 'l13', 'm16'], GET),
  },
  {
    name: 'K13 F (v3): If-Modified-Since after a failed If-None-Match can still give 304',
    profile: 'v3',
    cb: validators,
    send: { headers: { 'if-none-match': '"other"', 'if-modified-since': SAME } },
    status: 304,
    trace: path(B, CF, EXISTS_V3, ['h10', 'i12', 'i13', 'k13', 'l13', 'l14', 'l15', 'l17']),
    check: (x) => {
      expect(x.headers.etag).toBe(`"${ETAG}"`);
      expect(x.headers['last-modified']).toBeUndefined();
    },
  },
  {
    name: 'L13 T, L14 T, L15 F, L17 F: not modified since If-Modified-Since',
    cb: { lastModified: MODIFIED },
    send: { headers: { 'if-modified-since': SAME } },
    status: 304,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'l13', 'l14', 'l15', 'l17']),
    check: (x) => expect(x.headers['last-modified']).toBe(SAME),
  },
  {
    name: 'L17 T: modified since If-Modified-Since',
    cb: validators,
    send: { headers: { 'if-modified-since': BEFORE } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'l13', 'l14', 'l15', 'l17', 'm16'], GET),
  },
  {
    name: 'L14 F: an invalid If-Modified-Since is ignored',
    cb: validators,
    send: { headers: { 'if-modified-since': 'yesterday' } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'l13', 'l14', 'm16'], GET),
  },
  {
    name: 'L15 T: a future If-Modified-Since is ignored',
    cb: validators,
    send: { headers: { 'if-modified-since': FUTURE } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'l13', 'l14', 'l15', 'm16'], GET),
  },
  {
    name: 'L17 T: no last_modified never gives 304',
    cb: {},
    send: { headers: { 'if-modified-since': SAME } },
    status: 200,
    trace: path(B, CF, EXISTS, ['h10', 'i12', 'l13', 'l14', 'l15', 'l17', 'm16'], GET),
  },
  {
    name: 'L13 (rfc): If-Modified-Since is ignored for PUT',
    cb: { ...putCbs, ...validators },
    send: { ...putText, headers: { 'content-type': 'text/plain', 'if-modified-since': SAME } },
    status: 204,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, PUT),
  },
  {
    name: 'L17 F (v3): If-Modified-Since turns a PUT into a 304',
    profile: 'v3',
    cb: { ...putCbs, ...validators },
    send: { ...putText, headers: { 'content-type': 'text/plain', 'if-modified-since': SAME } },
    status: 304,
    trace: path(B, CF, EXISTS_V3, ['h10', 'i12', 'l13', 'l14', 'l15', 'l17']),
  },

  // Existing resource: methods
  {
    name: 'M16 T, M20 T, M20b T, O20 F: DELETE enacted',
    cb: { allowedMethods: ['DELETE'], deleteResource: true },
    send: { method: 'DELETE' },
    status: 204,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['m20', 'm20b', 'o20']),
  },
  {
    name: 'M20 F: delete_resource false is a 500',
    cb: { allowedMethods: ['DELETE'] },
    send: { method: 'DELETE' },
    status: 500,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['m20']),
  },
  {
    name: 'M20b F: delete accepted, not completed',
    cb: { allowedMethods: ['DELETE'], deleteResource: true, deleteCompleted: false },
    send: { method: 'DELETE' },
    status: 202,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['m20', 'm20b']),
  },
  {
    name: 'O20 T: a DELETE that answers with a body',
    cb: {
      allowedMethods: ['DELETE'],
      deleteResource: (r) => {
        r.response.body = 'gone';
        return true;
      },
    },
    send: { method: 'DELETE' },
    status: 200,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['m20', 'm20b', 'o20', 'o18', 'o18b']),
    check: (x) => expect(x.text).toBe('gone'),
  },
  {
    name: 'N16 T, N11 (process_post), P11 F, O20 F: POST processed',
    cb: { ...postCbs, processPost: true },
    send: postText,
    status: 204,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11', 'p11', 'o20']),
  },
  {
    name: 'N11: process_post false is a 500',
    cb: { ...postCbs, processPost: false },
    send: postText,
    status: 500,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11']),
  },
  {
    name: 'N11 T: process_post asks for a redirect: 303',
    cb: {
      ...postCbs,
      processPost: (r) => {
        r.response.redirect = true;
        r.response.setHeader('Location', '/elsewhere');
        return true;
      },
    },
    send: postText,
    status: 303,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11']),
    check: (x) => expect(x.headers.location).toBe('/elsewhere'),
  },
  {
    name: 'N11: a redirect without Location is a 500',
    cb: {
      ...postCbs,
      processPost: (r) => {
        r.response.redirect = true;
        return true;
      },
    },
    send: postText,
    status: 500,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11']),
  },
  {
    name: 'N11 (post_is_create), P11 T: 201 with Location built from create_path',
    cb: { ...postCbs, postIsCreate: true, createPath: 'item-1' },
    send: { ...postText, path: '/things/' },
    status: 201,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11', 'p11']),
    check: (x) => expect(x.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/things\/item-1$/),
  },
  {
    name: 'N11: base_uri and an absolute create_path',
    cb: { ...postCbs, postIsCreate: true, createPath: '/other/2', baseUri: 'https://repo.example/' },
    send: { ...postText, path: '/things' },
    status: 201,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11', 'p11']),
    check: (x) => expect(x.headers.location).toBe('https://repo.example/other/2'),
  },
  {
    name: 'N11: a Location set by a callback is kept',
    cb: {
      ...postCbs,
      postIsCreate: true,
      createPath: 'x',
      contentTypesAccepted: (r) => [
        [
          'text/plain',
          () => {
            r.response.setHeader('Location', '/mine');
            return true;
          },
        ],
      ],
      forbidden: (r) => {
        r.response.setHeader('Location', '/early');
        return false;
      },
    },
    send: postText,
    status: 201,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11', 'p11']),
    check: (x) => expect(x.headers.location).toBe('/mine'),
  },
  {
    name: 'N11: post_is_create without create_path is a 500',
    cb: { ...postCbs, postIsCreate: true },
    send: postText,
    status: 500,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11']),
  },
  {
    name: 'N11: post_is_create with an unaccepted Content-Type is a 415',
    cb: { ...postCbs, postIsCreate: true, createPath: 'x' },
    send: { ...postText, headers: { 'content-type': 'application/json' } },
    status: 415,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'n11']),
    check: (x) => expect(problemOf(x).accepted).toEqual(['text/plain']),
  },
  {
    name: 'O16 T, O14 F, P11 F, O20 F: PUT on an existing resource',
    cb: putCbs,
    send: putText,
    status: 204,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, PUT),
  },
  {
    name: 'O16 T (rfc): PATCH is routed like PUT',
    cb: { allowedMethods: ['PATCH'], contentTypesAccepted: [['application/merge-patch+json', () => true]] },
    send: { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' },
    status: 204,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, PUT),
  },
  {
    name: 'O16 F (v3 with PATCH made known): PATCH goes to O18',
    profile: 'v3',
    cb: { knownMethods: ['GET', 'HEAD', 'PATCH'], allowedMethods: ['PATCH'] },
    send: { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' },
    status: 200,
    trace: path(B, CF, EXISTS_V3, NO_CONDITIONS, GET),
  },
  {
    name: 'O14 T: conflict',
    cb: { ...putCbs, isConflict: true },
    send: putText,
    status: 409,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'o16', 'o14']),
  },
  {
    name: 'O14: unaccepted Content-Type is a 415; a PATCH gets Accept-Patch',
    cb: { allowedMethods: ['PATCH'], contentTypesAccepted: [['application/merge-patch+json', () => true]] },
    send: { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' },
    status: 415,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'o16', 'o14']),
    check: (x) => expect(x.headers['accept-patch']).toBe('application/merge-patch+json'),
  },
  {
    name: 'O14 (rfc): an acceptor answering false is a 400',
    cb: { ...putCbs, contentTypesAccepted: [['text/plain', () => false]] },
    send: putText,
    status: 400,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'o16', 'o14']),
  },
  {
    name: 'O14 (v3): an acceptor answering false counts as success',
    profile: 'v3',
    cb: { ...putCbs, contentTypesAccepted: [['text/plain', () => false]] },
    send: putText,
    status: 204,
    trace: path(B, CF, EXISTS_V3, NO_CONDITIONS, PUT),
  },
  {
    name: 'P11 T: a PUT whose acceptor sets Location answers 201',
    cb: {
      ...putCbs,
      contentTypesAccepted: (r) => [
        [
          'text/plain',
          () => {
            r.response.setHeader('Location', '/moved-here');
            return true;
          },
        ],
      ],
    },
    send: putText,
    status: 201,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'o16', 'o14', 'p11']),
  },
  {
    name: 'O20 T: a PUT whose acceptor writes a body answers 200',
    cb: {
      ...putCbs,
      contentTypesAccepted: (r) => [
        [
          'text/plain',
          () => {
            r.response.body = 'stored';
            return true;
          },
        ],
      ],
    },
    send: putText,
    status: 200,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, PUT, ['o18', 'o18b']),
    check: (x) => expect(x.text).toBe('stored'),
  },
  { name: 'O18b T: multiple choices', cb: { multipleChoices: true }, status: 300, trace: OK_GET },
  {
    name: 'O18: a producer for a type that was not provided is a 500',
    cb: {
      contentTypesProvided: (r) => {
        r.chosen.mediaType = 'text/plain';
        return [['text/html', () => 'x']];
      },
      resourceExists: (r) => {
        r.chosen.mediaType = 'image/png';
        return true;
      },
    },
    status: 500,
    trace: path(B, CF, EXISTS, NO_CONDITIONS, ['n16', 'o16', 'o18']),
  },

  // Missing resource
  {
    name: 'G7 F, H7 F, I7 F, K7 F, L7 F: 404',
    cb: { resourceExists: false },
    status: 404,
    trace: path(B, CF, MISSING, ['k7', 'l7']),
    check: (x) => expect(problemOf(x).status).toBe(404),
  },
  {
    name: 'H7 T (v3): If-Match on a missing resource is 412 at once',
    profile: 'v3',
    cb: { resourceExists: false },
    send: { headers: { 'if-match': '"x"' } },
    status: 412,
    trace: path(B, CF, ['g7', 'h7']),
  },
  {
    name: 'H7 (rfc): If-Match on a missing resource lets the 404 win',
    cb: { resourceExists: false },
    send: { headers: { 'if-match': '*' } },
    status: 404,
    trace: path(B, CF, MISSING, ['k7', 'l7']),
  },
  {
    name: 'I7 T, I4 T (rfc): a PUT to a moved resource gets 308',
    cb: { ...putCbs, resourceExists: false, movedPermanently: '/new-home' },
    send: putText,
    status: 308,
    trace: path(B, CF, MISSING, ['i4']),
    check: (x) => expect(x.headers.location).toBe('/new-home'),
  },
  {
    name: 'I4 T (v3): 301',
    profile: 'v3',
    cb: { ...putCbs, resourceExists: false, movedPermanently: '/new-home' },
    send: putText,
    status: 301,
    trace: path(B, CF, MISSING, ['i4']),
    check: (x) => expect(x.headers.location).toBe('/new-home'),
  },
  {
    name: 'I4 F, P3 F, P11 T (rfc): a PUT that creates answers 201',
    cb: { ...putCbs, resourceExists: false },
    send: putText,
    status: 201,
    trace: path(B, CF, MISSING, ['i4', 'p3', 'p11']),
    check: (x) => expect(x.headers.location).toBeUndefined(),
  },
  {
    name: 'P11 F (v3): a PUT that creates without Location answers 204',
    profile: 'v3',
    cb: { ...putCbs, resourceExists: false },
    send: putText,
    status: 204,
    trace: path(B, CF, MISSING, ['i4', 'p3', 'p11', 'o20']),
  },
  {
    name: 'P3 T: conflict on create',
    cb: { ...putCbs, resourceExists: false, isConflict: true },
    send: putText,
    status: 409,
    trace: path(B, CF, MISSING, ['i4', 'p3']),
  },
  {
    name: 'P3 (rfc): the If-Match deferred from H7 fails where a 2xx was coming',
    cb: { ...putCbs, resourceExists: false },
    send: { ...putText, headers: { 'content-type': 'text/plain', 'if-match': '"x"' } },
    status: 412,
    trace: path(B, CF, MISSING, ['i4', 'p3']),
  },
  {
    name: 'P3: unaccepted Content-Type on create is a 415',
    cb: { ...putCbs, resourceExists: false },
    send: { ...putText, headers: { 'content-type': 'image/png' } },
    status: 415,
    trace: path(B, CF, MISSING, ['i4', 'p3']),
  },
  {
    name: 'K7 T, K5 T: moved permanently',
    cb: { resourceExists: false, previouslyExisted: true, movedPermanently: 'https://elsewhere.example/x' },
    status: 301,
    trace: path(B, CF, MISSING, ['k7', 'k5']),
    check: (x) => expect(x.headers.location).toBe('https://elsewhere.example/x'),
  },
  {
    name: 'K5 F, L5 T: moved temporarily',
    cb: { resourceExists: false, previouslyExisted: true, movedTemporarily: '/for-now' },
    status: 307,
    trace: path(B, CF, MISSING, ['k7', 'k5', 'l5']),
    check: (x) => expect(x.headers.location).toBe('/for-now'),
  },
  {
    name: 'L5 F, M5 F: gone',
    cb: { resourceExists: false, previouslyExisted: true },
    status: 410,
    trace: path(B, CF, MISSING, ['k7', 'k5', 'l5', 'm5']),
  },
  {
    name: 'M5 T, N5 F: POST to a gone resource',
    cb: { ...postCbs, resourceExists: false, previouslyExisted: true },
    send: postText,
    status: 410,
    trace: path(B, CF, MISSING, ['k7', 'k5', 'l5', 'm5', 'n5']),
  },
  {
    name: 'N5 T: POST to a gone resource allowed',
    cb: { ...postCbs, resourceExists: false, previouslyExisted: true, allowMissingPost: true, processPost: true },
    send: postText,
    status: 204,
    trace: path(B, CF, MISSING, ['k7', 'k5', 'l5', 'm5', 'n5', 'n11', 'p11', 'o20']),
  },
  {
    name: 'N5 (rfc): deferred If-Match fails',
    cb: { ...postCbs, resourceExists: false, previouslyExisted: true, allowMissingPost: true, processPost: true },
    send: { ...postText, headers: { 'content-type': 'text/plain', 'if-match': '*' } },
    status: 412,
    trace: path(B, CF, MISSING, ['k7', 'k5', 'l5', 'm5', 'n5']),
  },
  {
    name: 'L7 T, M7 F: POST to a missing resource',
    cb: { ...postCbs, resourceExists: false },
    send: postText,
    status: 404,
    trace: path(B, CF, MISSING, ['k7', 'l7', 'm7']),
  },
  {
    name: 'M7 T: POST to a missing resource allowed, creating',
    cb: { ...postCbs, resourceExists: false, allowMissingPost: true, postIsCreate: true, createPath: 'c' },
    send: postText,
    status: 201,
    trace: path(B, CF, MISSING, ['k7', 'l7', 'm7', 'n11', 'p11']),
  },
  {
    name: 'M7 (rfc): deferred If-Match fails',
    cb: { ...postCbs, resourceExists: false, allowMissingPost: true, postIsCreate: true, createPath: 'c' },
    send: { ...postText, headers: { 'content-type': 'text/plain', 'if-match': '"x"' } },
    status: 412,
    trace: path(B, CF, MISSING, ['k7', 'l7', 'm7']),
  },

  // After O18b: byte ranges
  {
    name: 'Range: 206 with Content-Range',
    cb: { acceptRanges: true, contentTypesProvided: [['text/plain', () => '0123456789']] },
    send: { headers: { range: 'bytes=2-4' } },
    status: 206,
    trace: path(OK_GET, ['range']),
    check: (x) => {
      expect(x.text).toBe('234');
      expect(x.headers['content-range']).toBe('bytes 2-4/10');
      expect(x.headers['accept-ranges']).toBe('bytes');
    },
  },
  {
    name: 'Range: 416 when unsatisfiable',
    cb: { acceptRanges: true, contentTypesProvided: [['text/plain', () => '0123456789']] },
    send: { headers: { range: 'bytes=20-' } },
    status: 416,
    trace: path(OK_GET, ['range']),
    check: (x) => {
      expect(x.headers['content-range']).toBe('bytes */10');
      expect(problemOf(x).status).toBe(416);
    },
  },

  // Halts
  {
    name: 'a halt from any callback ends the flow with its status, problem and headers',
    cb: { forbidden: halt(429, { detail: 'slow down' }, { 'Retry-After': '3' }) },
    status: 429,
    trace: B.slice(0, 8),
    offDiagram: true,
    check: (x) => {
      expect(x.headers['retry-after']).toBe('3');
      expect(problemOf(x)).toMatchObject({ status: 429, title: 'Too Many Requests', detail: 'slow down' });
    },
  },
  {
    name: 'an async halt deep in the flow (generate_etag)',
    cb: { generateEtag: Promise.resolve(halt(451)) },
    send: { headers: { 'if-match': '"x"' } },
    status: 451,
    trace: path(B, CF, EXISTS, ['g9', 'g11']),
    offDiagram: true,
  },
  {
    name: 'a callback that throws is a 500 at that node',
    cb: {
      resourceExists: () => {
        throw new Error('database down');
      },
    },
    status: 500,
    trace: path(B, CF, ['g7']),
    offDiagram: true,
  },
];

const harness = new EngineHarness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

const seen: { row: Row; trace: string[]; status: number }[] = [];

describe.each(rows)('$name', (row) => {
  it(`answers ${row.status} through ${row.trace.length} nodes`, async () => {
    const x = await harness.exchange(row.cb, row.send, { profile: row.profile ?? 'rfc', trace: true });
    seen.push({ row, trace: x.trace, status: x.status });
    expect({ status: x.status, trace: x.trace }).toEqual({ status: row.status, trace: row.trace });
    expect(x.result.status).toBe(row.status);
    // The header carries the same trace; every answer carries Date; errors are problem+json.
    expect(x.headers['x-decision-trace']).toBe(row.trace.join(','));
    expect(x.headers.date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    if (x.status >= 400) expect(problemOf(x).status).toBe(x.status);
    expect(x.finishCalls).toBe(1);
    for (let i = 1; i < x.trace.length; i++) expect(DIAGRAM[x.trace[i - 1]!], `edge ${x.trace[i - 1]} -> ${x.trace[i]}`).toContain(x.trace[i]);
    if (!row.offDiagram) expect(DIAGRAM[x.trace.at(-1)!], `edge ${x.trace.at(-1)} -> ${x.status}`).toContain(x.status);
    row.check?.(x);
  });
});

describe('the same table with every callback answering a promise', () => {
  it.each(rows)('$name', async (row) => {
    const x = await harness.exchange(row.cb, row.send, { profile: row.profile ?? 'rfc' }, { async: true });
    expect({ status: x.status, trace: x.trace }).toEqual({ status: row.status, trace: row.trace });
    expect(x.finishCalls).toBe(1);
    row.check?.(x);
  });
});

describe('the table as a whole', () => {
  it('takes every edge of every node of the diagram', () => {
    const taken = new Set<string>();
    for (const { trace, status } of seen) {
      for (let i = 1; i < trace.length; i++) taken.add(`${trace[i - 1]} -> ${trace[i]}`);
      taken.add(`${trace.at(-1)} -> ${status}`);
    }
    const missing = Object.entries(DIAGRAM).flatMap(([node, outs]) => outs.map((o) => `${node} -> ${o}`).filter((edge) => !taken.has(edge)));
    expect(missing).toEqual([]);
  });

  it('describes every node the engine has, and nothing else', () => {
    expect(Object.keys(DIAGRAM).filter((n) => n !== 'range').sort()).toEqual(Object.keys(decisions).sort());
  });

  it('reaches every terminal status', () => {
    const reached = new Set(seen.map((s) => s.status));
    expect(TERMINALS.filter((s) => !reached.has(s))).toEqual([]);
    expect(reached.has(429)).toBe(true);
  });
});
