import type { FlowState } from './flow-state.js';
import { formatHttpDate } from './http-date.js';

/**
 * Validators and caching headers (O18 and the 304 answers). A 200 carries ETag, Expires,
 * Cache-Control and Last-Modified. A 304 (RFC 9110 15.4.5) carries ETag, Expires and
 * Cache-Control, and Last-Modified only when there is no ETag; Basho's v3 sends ETag and Expires.
 */
export async function setValidators(f: FlowState, forNotModified: boolean): Promise<void> {
  const tag = await f.etag();
  if (tag !== undefined) f.res.setHeader('ETag', `"${f.variantTag(tag)}"`);
  const expires = await f.ask(f.resource.expires());
  if (expires !== undefined) f.res.setHeader('Expires', formatHttpDate(expires));
  if (!f.rfc) {
    if (!forNotModified) await setLastModified(f);
    return;
  }
  const cacheControl = await f.ask(f.resource.cacheControl());
  if (cacheControl !== undefined) f.res.setHeader('Cache-Control', cacheControl);
  if (!forNotModified || tag === undefined) await setLastModified(f);
}

async function setLastModified(f: FlowState): Promise<void> {
  const modified = await f.lastModified();
  if (modified !== undefined) f.res.setHeader('Last-Modified', formatHttpDate(modified));
}
