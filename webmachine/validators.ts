import type { FlowState } from './flow-state.js';
import { formatHttpDate } from './http-date.js';
import { all, andThen, type Maybe } from './maybe.js';

/**
 * Validators and caching headers (O18 and the 304 answers). A 200 carries ETag, Expires,
 * Cache-Control and Last-Modified. A 304 (RFC 9110 15.4.5) carries ETag, Expires and
 * Cache-Control, and Last-Modified only when there is no ETag; Basho's v3 sends ETag and Expires.
 */
export function setValidators(f: FlowState, forNotModified: boolean): Maybe<void> {
  const answers = all(f.etag(), f.ask(f.resource.expires()), f.rfc ? f.ask(f.resource.cacheControl()) : undefined);
  return andThen(answers, ([tag, expires, cacheControl]) => {
    if (tag !== undefined) f.res.setHeader('ETag', `"${f.variantTag(tag)}"`);
    if (expires !== undefined) f.res.setHeader('Expires', formatHttpDate(expires));
    if (cacheControl !== undefined) f.res.setHeader('Cache-Control', cacheControl);
    const withLastModified = f.rfc ? !forNotModified || tag === undefined : !forNotModified;
    if (withLastModified) return setLastModified(f);
  });
}

function setLastModified(f: FlowState): Maybe<void> {
  return andThen(f.lastModified(), (modified) => {
    if (modified !== undefined) f.res.setHeader('Last-Modified', formatHttpDate(modified));
  });
}
