/** Content addressed by an object id never changes (RFC 8246 immutable, a year of freshness). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export function isCommitId(ref: string | undefined | null): boolean {
  return ref !== undefined && ref !== null && /^[0-9a-f]{40}$/.test(ref);
}

/** A name that may hold "/" (branches, tags, file paths) as URL path segments, each percent-encoded. */
export function urlPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}
