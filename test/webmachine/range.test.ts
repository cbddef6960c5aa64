/** Range and If-Range (RFC 9110 section 14 and 13.1.5) for GET bodies of known length. */
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ifRangeHolds, parseRange } from '../../webmachine/range.js';
import { SizedBody } from '../../webmachine/index.js';
import { type Callbacks, EngineHarness } from './support.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-4', { start: 0, end: 4 }],
    ['bytes=5-', { start: 5, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-20', { start: 0, end: 9 }],
    ['bytes=8-100', { start: 8, end: 9 }],
    ['bytes=9-9', { start: 9, end: 9 }],
    [' bytes= 1 - 2 ', { start: 1, end: 2 }],
  ])('%s of 10 bytes', (header, range) => {
    expect(parseRange(header, 10)).toEqual(range);
  });

  it.each(['bytes=10-', 'bytes=10-20', 'bytes=-0'])('%s of 10 bytes is unsatisfiable', (header) => {
    expect(parseRange(header, 10)).toBe('unsatisfiable');
  });

  it('nothing of an empty body is satisfiable', () => {
    expect(parseRange('bytes=-5', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it.each(['bytes=5-2', 'bytes=-', 'items=0-1', 'bytes=0-1,3-4', 'bytes=a-b', ''])('ignores %j', (header) => {
    expect(parseRange(header, 10)).toBeUndefined();
  });
});

describe('ifRangeHolds', () => {
  const modified = new Date('2024-03-01T12:00:00.500Z');
  it('holds for the current strong tag only', () => {
    expect(ifRangeHolds('"v1"', 'v1', undefined)).toBe(true);
    expect(ifRangeHolds('"v2"', 'v1', undefined)).toBe(false);
    expect(ifRangeHolds('W/"v1"', 'v1', undefined)).toBe(false);
    expect(ifRangeHolds('"v1"', undefined, modified)).toBe(false);
    expect(ifRangeHolds('"v1", "v2"', 'v1', undefined)).toBe(false);
    expect(ifRangeHolds('"v1', 'v1', undefined)).toBe(false);
  });
  it('holds for an exactly equal date (to the second)', () => {
    expect(ifRangeHolds('Fri, 01 Mar 2024 12:00:00 GMT', 'v1', modified)).toBe(true);
    expect(ifRangeHolds('Fri, 01 Mar 2024 11:00:00 GMT', 'v1', modified)).toBe(false);
    expect(ifRangeHolds('Fri, 01 Mar 2024 12:00:00 GMT', 'v1', undefined)).toBe(false);
    expect(ifRangeHolds('*', 'v1', modified)).toBe(false);
  });
});

describe('byte ranges through the engine', () => {
  const harness = new EngineHarness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  const ranged: Callbacks = {
    acceptRanges: true,
    generateEtag: 'v1',
    lastModified: new Date('2024-03-01T12:00:00Z'),
    encodingsProvided: ['identity', 'gzip'],
    contentTypesProvided: [['text/plain', () => 'abcdefghij']],
  };

  it('serves the range when If-Range holds (tag or date), the whole body when not', async () => {
    for (const [ifRange, status, text] of [
      ['"v1"', 206, 'cd'],
      ['Fri, 01 Mar 2024 12:00:00 GMT', 206, 'cd'],
      ['"v0"', 200, 'abcdefghij'],
      ['W/"v1"', 200, 'abcdefghij'],
    ] as const) {
      const x = await harness.exchange(ranged, { headers: { range: 'bytes=2-3', 'if-range': ifRange } });
      expect([x.status, x.text], ifRange).toEqual([status, text]);
      expect(x.headers['content-length']).toBe(String(text.length));
    }
  });

  it('ignores Range on HEAD, on coded bodies, on streams and when the resource does not offer ranges', async () => {
    const head = await harness.exchange(ranged, { method: 'HEAD', headers: { range: 'bytes=2-3' } });
    expect([head.status, head.headers['content-length'], head.headers['accept-ranges']]).toEqual([200, '10', 'bytes']);
    const gzip = await harness.exchange(ranged, { headers: { range: 'bytes=2-3', 'accept-encoding': 'gzip' } });
    expect([gzip.status, gzip.headers['content-encoding']]).toEqual([200, 'gzip']);
    const stream = await harness.exchange({ ...ranged, contentTypesProvided: [['text/plain', () => Readable.from([Buffer.from('abcdefghij')])]] }, { headers: { range: 'bytes=2-3' } });
    expect([stream.status, stream.text, stream.headers['accept-ranges']]).toEqual([200, 'abcdefghij', undefined]);
    const plain = await harness.exchange({ contentTypesProvided: [['text/plain', () => 'abcdefghij']] }, { headers: { range: 'bytes=2-3' } });
    expect([plain.status, plain.text, plain.headers['accept-ranges']]).toEqual([200, 'abcdefghij', undefined]);
  });

  it('sends the whole body for several ranges (no multipart/byteranges)', async () => {
    const x = await harness.exchange(ranged, { headers: { range: 'bytes=0-1,4-5' } });
    expect([x.status, x.text, x.trace.at(-1)]).toEqual([200, 'abcdefghij', 'o18b']);
  });
});

describe('sized streamed bodies (SizedBody): ranges without holding the body', () => {
  const harness = new EngineHarness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  const TEXT = 'abcdefghij';
  const opened: [number, number][] = [];
  const sized = (): SizedBody =>
    new SizedBody(TEXT.length, (start, end) => {
      opened.push([start, end]);
      return Readable.from([Buffer.from(TEXT.slice(start, end + 1))]);
    });
  const ranged: Callbacks = {
    acceptRanges: true,
    generateEtag: 'v1',
    encodingsProvided: ['identity', 'gzip'],
    contentTypesProvided: [['application/octet-stream', () => sized()]],
  };

  it('sends the whole body with its length, and only the range asked for, opening only that part', async () => {
    opened.length = 0;
    const whole = await harness.exchange(ranged);
    expect([whole.status, whole.text, whole.headers['content-length'], whole.headers['accept-ranges']]).toEqual([200, TEXT, '10', 'bytes']);
    const part = await harness.exchange(ranged, { headers: { range: 'bytes=2-4' } });
    expect([part.status, part.text, part.headers['content-length'], part.headers['content-range']]).toEqual([206, 'cde', '3', 'bytes 2-4/10']);
    expect(opened).toEqual([
      [0, 9],
      [2, 4],
    ]);
  });

  it('answers 416 for an unsatisfiable range and the whole body when If-Range fails', async () => {
    const none = await harness.exchange(ranged, { headers: { range: 'bytes=20-' } });
    expect([none.status, none.headers['content-range']]).toEqual([416, 'bytes */10']);
    const stale = await harness.exchange(ranged, { headers: { range: 'bytes=2-4', 'if-range': '"v0"' } });
    expect([stale.status, stale.text]).toEqual([200, TEXT]);
    const fresh = await harness.exchange(ranged, { headers: { range: 'bytes=2-4', 'if-range': '"v1"' } });
    expect([fresh.status, fresh.text]).toEqual([206, 'cde']);
  });

  it('opens nothing for HEAD, codes the whole stream when asked, and ignores ranges the resource does not offer', async () => {
    opened.length = 0;
    const head = await harness.exchange(ranged, { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.text]).toEqual([200, '10', '']);
    expect(opened).toEqual([]);
    const gzip = await harness.exchange(ranged, { headers: { range: 'bytes=2-4', 'accept-encoding': 'gzip' } });
    expect([gzip.status, gzip.headers['content-encoding'], gzip.headers['content-length']]).toEqual([200, 'gzip', undefined]);
    expect(gunzipSync(gzip.body).toString()).toBe(TEXT);
    const plain = await harness.exchange({ contentTypesProvided: [['application/octet-stream', () => sized()]] }, { headers: { range: 'bytes=2-4' } });
    expect([plain.status, plain.text, plain.headers['accept-ranges']]).toEqual([200, TEXT, undefined]);
  });
});
