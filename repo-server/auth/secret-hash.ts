import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (secret: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** A secret as it is stored: a random salt and the scrypt hash, both base64. */
export interface HashedSecret {
  salt: string;
  hash: string;
}

/** The one way tokens' secrets and users' passwords are kept: salted scrypt, never the secret. */
export async function hashSecret(secret: string): Promise<HashedSecret> {
  const salt = randomBytes(16);
  return { salt: salt.toString('base64'), hash: (await scrypt(secret, salt, 32)).toString('base64') };
}

/** Whether `secret` is the one `stored` was made from (a constant-time comparison). */
export async function secretMatches(secret: string, stored: HashedSecret): Promise<boolean> {
  const computed = await scrypt(secret, Buffer.from(stored.salt, 'base64'), 32);
  const expected = Buffer.from(stored.hash, 'base64');
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
