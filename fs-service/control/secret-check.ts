import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Control } from './etcd-control.js';

const KEY = 'secret-check';

/** The cluster secret does not match the one the cluster was created with. */
export class WrongSecretError extends Error {
  constructor(prefix: string) {
    super(`the cluster secret does not match the one cluster ${prefix} was created with (etcd key ${prefix}${KEY}); give every process the same FS_CLUSTER_SECRET`);
    this.name = 'WrongSecretError';
  }
}

function derive(secret: string, salt: Buffer): Buffer {
  return scryptSync(secret, salt, 32);
}

/**
 * Every process checks its secret against a verifier (scrypt of the secret with a random salt)
 * that the first process of the cluster stores, so a wrong secret is refused at start with a
 * clear message instead of as 401s between processes later. The verifier is written only if
 * absent (a transaction), so two first processes cannot store two different ones.
 */
export async function checkClusterSecret(control: Control, secret: string): Promise<void> {
  const salt = randomBytes(16);
  const mine = JSON.stringify({ salt: salt.toString('hex'), scrypt: derive(secret, salt).toString('hex') });
  const result = await control.ns.if(KEY, 'Create', '==', 0).then(control.ns.put(KEY).value(mine)).else(control.ns.get(KEY)).commit();
  if (result.succeeded) return;
  const stored = result.responses[0]?.response_range?.kvs[0]?.value?.toString();
  const parsed = JSON.parse(stored ?? '{}') as { salt?: string; scrypt?: string };
  const expected = Buffer.from(parsed.scrypt ?? '', 'hex');
  const given = derive(secret, Buffer.from(parsed.salt ?? '', 'hex'));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new WrongSecretError(control.prefix);
}
