/**
 * The strict HTTP-date parser (RFC 9110 section 5.6.7): three formats, everything else ignored,
 * two-digit years, one-second resolution.
 */
import { describe, expect, it } from 'vitest';
import { formatHttpDate, parseHttpDate } from '../../webmachine/index.js';
import { toSeconds } from '../../webmachine/http-date.js';

const RFC_EXAMPLE = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
const at = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

describe('parseHttpDate', () => {
  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['obsolete RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['asctime, space-padded day', 'Sun Nov  6 08:49:37 1994'],
    ['asctime, two-digit day', 'Sun Nov 06 08:49:37 1994'],
    ['surrounding whitespace', '  Sun, 06 Nov 1994 08:49:37 GMT\t'],
  ])('accepts the %s form', (_name, value) => {
    expect(parseHttpDate(value)).toBe(RFC_EXAMPLE);
  });

  it.each([
    ['a bare year (Date.parse accepts it)', '2024'],
    ['a bare number', '1'],
    ['ISO 8601', '1994-11-06T08:49:37Z'],
    ['a one-digit day in IMF-fixdate', 'Sun, 6 Nov 1994 08:49:37 GMT'],
    ['another zone name', 'Sun, 06 Nov 1994 08:49:37 UTC'],
    ['a numeric offset', 'Sun, 06 Nov 1994 08:49:37 +0000'],
    ['lower-case names', 'sun, 06 nov 1994 08:49:37 GMT'],
    ['a weekday that contradicts the date', 'Mon, 06 Nov 1994 08:49:37 GMT'],
    ['an RFC 850 weekday abbreviated', 'Sun, 06-Nov-94 08:49:37 GMT'],
    ['a day that does not exist', 'Thu, 31 Feb 1994 08:49:37 GMT'],
    ['hour 24', 'Sun, 06 Nov 1994 24:00:00 GMT'],
    ['minute 60', 'Sun, 06 Nov 1994 08:60:00 GMT'],
    ['second 61', 'Sun, 06 Nov 1994 08:49:61 GMT'],
    ['two dates', 'Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT'],
    ['a JavaScript toString()', 'Sun Nov 06 1994 08:49:37 GMT+0000 (Coordinated Universal Time)'],
    ['an empty string', ''],
    ['garbage', 'yesterday'],
  ])('ignores %s', (_name, value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });

  it('answers undefined for an absent header', () => {
    expect(parseHttpDate(undefined)).toBeUndefined();
  });

  it('accepts a leap second, as the last second of the minute', () => {
    expect(parseHttpDate('Sat, 31 Dec 2016 23:59:60 GMT')).toBe(at('2016-12-31T23:59:59Z'));
  });

  it('answers whole seconds', () => {
    expect(Number.isInteger(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'))).toBe(true);
  });

  describe('two-digit RFC 850 years', () => {
    const in2026 = at('2026-06-01T00:00:00Z');
    const in2099 = at('2099-06-01T00:00:00Z');
    it('are this century unless that is more than 50 years ahead', () => {
      expect(parseHttpDate('Saturday, 01-Jan-00 00:00:00 GMT', in2026)).toBe(at('2000-01-01T00:00:00Z'));
      expect(parseHttpDate('Wednesday, 01-Jan-76 00:00:00 GMT', in2026)).toBe(at('2076-01-01T00:00:00Z'));
      expect(parseHttpDate('Saturday, 01-Jan-77 00:00:00 GMT', in2026)).toBe(at('1977-01-01T00:00:00Z'));
      expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', in2026)).toBe(RFC_EXAMPLE);
    });
    it('roll into the next century when that is the nearer, not-too-future year', () => {
      expect(parseHttpDate('Thursday, 01-Jan-05 00:00:00 GMT', in2099)).toBe(at('2105-01-01T00:00:00Z'));
      expect(parseHttpDate('Thursday, 01-Jan-60 00:00:00 GMT', in2099)).toBe(at('2060-01-01T00:00:00Z'));
    });
    it('use the current clock by default', () => {
      expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(RFC_EXAMPLE);
    });
  });
});

describe('formatHttpDate and toSeconds', () => {
  it('formats IMF-fixdate, the only form a sender may generate', () => {
    expect(formatHttpDate(new Date(RFC_EXAMPLE * 1000 + 999))).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(parseHttpDate(formatHttpDate(new Date()))).toBe(Math.floor(Date.now() / 1000));
  });

  it('truncates to whole seconds for comparisons', () => {
    expect(toSeconds(new Date('1994-11-06T08:49:37.999Z'))).toBe(RFC_EXAMPLE);
    expect(toSeconds(new Date('1994-11-06T08:49:37.000Z'))).toBe(RFC_EXAMPLE);
  });
});
