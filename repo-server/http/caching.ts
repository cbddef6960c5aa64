/**
 * Content addressed by an object id never changes (RFC 8246 immutable, a year of freshness).
 * `private`: the browser keeps it, a shared cache (a proxy, a CDN, nginx) does not. Most of it is
 * answered to a token holder, and "public" would let a shared cache serve an unpublished book to
 * anyone who knows the URL, or keep serving it after the repository is made private or deleted.
 */
export const IMMUTABLE = 'private, max-age=31536000, immutable';

export function isCommitId(ref: string | undefined | null): boolean {
  return ref !== undefined && ref !== null && /^[0-9a-f]{40}$/.test(ref);
}

/** A name that may hold "/" (branches, tags, file paths) as URL path segments, each percent-encoded. */
export function urlPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}
