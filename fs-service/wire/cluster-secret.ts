import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Every connection to a shard or the supervisor presents the shared cluster secret. */
export function authorizationHeader(secret: string): string {
  return `Bearer ${secret}`;
}

/**
 * Constant-time comparison; both sides are hashed first so the comparison does not leak the
 * secret's length either.
 */
export function secretMatches(request: IncomingMessage, secret: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = createHash('sha256').update(header.slice(7)).digest();
  const expected = createHash('sha256').update(secret).digest();
  return timingSafeEqual(given, expected);
}

export function assertUsableSecret(secret: string | undefined): string {
  if (secret === undefined || secret.length < 8) throw new Error('a cluster secret of at least 8 characters is required (--secret or FS_CLUSTER_SECRET)');
  return secret;
}
