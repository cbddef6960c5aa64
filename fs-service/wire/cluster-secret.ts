import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  if (secret === undefined || secret.length < 8) throw new Error('a cluster secret of at least 8 characters is required (--secret, FS_CLUSTER_SECRET or FS_CLUSTER_SECRET_FILE)');
  return secret;
}

/**
 * The cluster secret from the environment: FS_CLUSTER_SECRET, or the file FS_CLUSTER_SECRET_FILE
 * names (trimmed), which keeps it off command lines and out of the environment that `ps e` and
 * /proc/<pid>/environ show; systemd units point it at a credential (LoadCredential, `%d/...`).
 */
export function secretFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FS_CLUSTER_SECRET !== undefined && env.FS_CLUSTER_SECRET !== '') return env.FS_CLUSTER_SECRET;
  const file = env.FS_CLUSTER_SECRET_FILE;
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read the cluster secret from FS_CLUSTER_SECRET_FILE=${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
