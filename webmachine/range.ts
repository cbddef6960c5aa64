import { parseETagList, strongMatch } from './etag.js';
import { parseHttpDate } from './http-date.js';

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * One `bytes=` range of RFC 9110 14.1.2 against a body of `size` bytes: the range, 'unsatisfiable'
 * (416), or undefined when the header should be ignored (other units, several ranges, bad syntax).
 * Several ranges would need multipart/byteranges; sending the whole body instead is allowed.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!m) return undefined;
  const [, first, last] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** If-Range (RFC 9110 13.1.5): a strong ETag match, or an exact Last-Modified date. */
export function ifRangeHolds(header: string, etag: string | undefined, lastModified: Date | undefined): boolean {
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tags = parseETagList(value);
    if (tags === undefined || tags === '*' || tags.length !== 1 || etag === undefined) return false;
    return strongMatch(tags[0]!, { weak: false, opaque: etag });
  }
  const date = parseHttpDate(value);
  return date !== undefined && lastModified !== undefined && Math.floor(lastModified.getTime() / 1000) === date;
}
