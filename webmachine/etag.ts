/** Entity-tags (RFC 9110 section 8.8.3) and the two comparison functions of section 8.8.3.2. */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

const OPAQUE = /^[\x21\x23-\x7e\x80-\xff]*$/;

export function isValidOpaqueTag(opaque: string): boolean {
  return OPAQUE.test(opaque);
}

export function formatETag(tag: EntityTag): string {
  return `${tag.weak ? 'W/' : ''}"${tag.opaque}"`;
}

/**
 * Parses an If-Match / If-None-Match list by scanning tag by tag (a comma may legally sit inside a
 * tag, so splitting on commas is wrong). Answers '*' for the wildcard, or undefined when the
 * header is malformed, in which case the caller treats it as matching nothing.
 */
export function parseETagList(header: string): EntityTag[] | '*' | undefined {
  const v = header.trim();
  if (v === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  const skipSeparators = (): void => {
    while (i < v.length && (v[i] === ' ' || v[i] === '\t' || v[i] === ',')) i++;
  };
  skipSeparators();
  while (i < v.length) {
    let weak = false;
    if (v.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (v[i] !== '"') return undefined;
    const end = v.indexOf('"', i + 1);
    if (end < 0) return undefined;
    const opaque = v.slice(i + 1, end);
    if (!isValidOpaqueTag(opaque)) return undefined;
    tags.push({ weak, opaque });
    i = end + 1;
    // #entity-tag: OWS, then a comma before the next element (whitespace alone is not a separator).
    while (v[i] === ' ' || v[i] === '\t') i++;
    if (i < v.length && v[i] !== ',') return undefined;
    skipSeparators();
  }
  return tags.length > 0 ? tags : undefined;
}

export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
