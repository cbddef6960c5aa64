/** Entity-tags (RFC 9110 8.8.3): list parsing tag by tag, the two comparison functions, emission. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EntityTag, formatETag, parseETagList, strongMatch, weakMatch } from '../../webmachine/index.js';
import { EngineHarness } from './support.js';

const strong = (opaque: string): EntityTag => ({ weak: false, opaque });
const weak = (opaque: string): EntityTag => ({ weak: true, opaque });

describe('parseETagList', () => {
  it.each([
    ['a single tag', '"a"', [strong('a')]],
    ['a list with weak tags', 'W/"a", "b"', [weak('a'), strong('b')]],
    ['commas inside a tag', '"a,b", "c"', [strong('a,b'), strong('c')]],
    ['an empty opaque part', '""', [strong('')]],
    ['empty list elements and odd whitespace', ' ,"a" ,\t, "b",', [strong('a'), strong('b')]],
    ['backslashes (no escaping in RFC 9110)', '"a\\b"', [strong('a\\b')]],
    ['obs-text', '"caf\xe9"', [strong('caf\xe9')]],
  ])('parses %s', (_name, header, tags) => {
    expect(parseETagList(header)).toEqual(tags);
  });

  it('recognises the wildcard, trimmed', () => {
    expect(parseETagList('*')).toBe('*');
    expect(parseETagList(' * ')).toBe('*');
  });

  it.each([
    ['an unquoted tag', 'a'],
    ['tags without a comma between them', '"a" "b"'],
    ['tags glued together', '"a""b"'],
    ['an unterminated tag', '"a'],
    ['W/ without a quoted tag', 'W/a'],
    ['a lower-case w/', 'w/"a"'],
    ['a wildcard inside a list', '"a", *'],
    ['a control character', '"a\x7fb"'],
    ['a space inside the tag', '"a b"'],
    ['an empty header', ''],
    ['only separators', ' , ,'],
  ])('answers undefined (matches nothing) for %s', (_name, header) => {
    expect(parseETagList(header)).toBeUndefined();
  });
});

describe('comparison (RFC 9110 8.8.3.2 table)', () => {
  it.each([
    [weak('1'), weak('1'), false, true],
    [weak('1'), weak('2'), false, false],
    [weak('1'), strong('1'), false, true],
    [strong('1'), strong('1'), true, true],
    [strong('1'), strong('2'), false, false],
  ])('%o vs %o: strong %s, weak %s', (a, b, s, w) => {
    expect(strongMatch(a, b)).toBe(s);
    expect(strongMatch(b, a)).toBe(s);
    expect(weakMatch(a, b)).toBe(w);
    expect(weakMatch(b, a)).toBe(w);
  });
});

describe('formatETag', () => {
  it('quotes, with W/ for weak tags', () => {
    expect(formatETag(strong('x'))).toBe('"x"');
    expect(formatETag(weak('x'))).toBe('W/"x"');
  });
});

describe('generate_etag values', () => {
  const harness = new EngineHarness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('are emitted quoted', async () => {
    const x = await harness.exchange({ generateEtag: 'abc' });
    expect(x.headers.etag).toBe('"abc"');
  });

  it('containing a double quote are a resource bug: 500, never a broken header', async () => {
    const x = await harness.exchange({ generateEtag: 'a"b' });
    expect(x.status).toBe(500);
    expect(x.headers.etag).toBeUndefined();
  });

  it('are asked once per request even when several nodes need them', async () => {
    const x = await harness.exchange({ generateEtag: 'abc' }, { headers: { 'if-match': '"abc"', 'if-none-match': '"zzz"' } });
    expect(x.status).toBe(200);
    expect(x.resource.called.filter((c) => c === 'generateEtag')).toEqual(['generateEtag']);
  });
});
