import { randomBytes } from 'node:crypto';
import type { RepoStore, Storage } from '../../fs-service/index.js';
import { type Grants, sanitizeGrants } from './roles.js';
import { hashSecret, secretMatches } from './secret-hash.js';
import { SYSTEM_STORE } from './token-store.js';

/**
 * People who sign in with a user name and a password. They live beside the tokens in the system
 * store, the password only as a salted scrypt hash. Signing in (POST /sessions) checks the password
 * and answers a short-lived token that carries the user's roles and identity, so commits made
 * with it are credited to the person, with their address.
 */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 200;

export interface UserRecord {
  name: string;
  displayName: string;
  email: string;
  grants: Grants;
  salt: string;
  hash: string;
  createdAt: string;
  updatedAt: string;
}

export type PublicUser = Omit<UserRecord, 'salt' | 'hash'>;

export interface UserInput {
  displayName: string;
  email: string;
  grants: Grants;
  /** Required to create; optional on update (the old one stays). */
  password?: string;
}

function recordPath(name: string): string {
  return `/users/${name.toLowerCase()}.json`;
}

function publicView(r: UserRecord): PublicUser {
  const { salt: _salt, hash: _hash, ...rest } = r;
  return rest;
}

/** Checked when the user name is unknown, so that an unknown name costs as much as a wrong password. */
const DECOY = hashSecret(randomBytes(24).toString('base64'));

export class UserStore {
  private readonly store: RepoStore;

  constructor(storage: Storage) {
    this.store = storage.repo(SYSTEM_STORE);
  }

  private async read(name: string): Promise<{ record: UserRecord; raw: Buffer } | null> {
    if (!USER_NAME.test(name)) return null;
    const [raw] = await this.store.readMany([recordPath(name)]);
    if (raw === null || raw === undefined) return null;
    return { record: JSON.parse(raw.toString('utf8')) as UserRecord, raw };
  }

  async get(name: string): Promise<PublicUser | null> {
    const found = await this.read(name);
    return found === null ? null : publicView(found.record);
  }

  async list(): Promise<PublicUser[]> {
    let names: string[];
    try {
      names = await this.store.fs.promises.readdir('/users');
    } catch {
      return [];
    }
    const records = await this.store.readMany(names.filter((n) => n.endsWith('.json')).map((n) => `/users/${n}`));
    return records
      .filter((r): r is Buffer => r !== null && r !== undefined)
      .map((r) => publicView(JSON.parse(r.toString('utf8')) as UserRecord))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Creates or replaces a user (compare-and-swap on the record, so two admins' writes cannot
   * interleave). `created` false: it existed. null: a new user without a password, or a race lost.
   */
  async put(name: string, input: UserInput, now = new Date()): Promise<{ user: PublicUser; created: boolean } | 'password-required' | 'busy'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.read(name);
      if (found === null && input.password === undefined) return 'password-required';
      const secret = input.password === undefined ? { salt: found!.record.salt, hash: found!.record.hash } : await hashSecret(input.password);
      const record: UserRecord = {
        name: found?.record.name ?? name,
        displayName: input.displayName,
        email: input.email,
        grants: input.grants,
        ...secret,
        createdAt: found?.record.createdAt ?? now.toISOString(),
        updatedAt: now.toISOString(),
      };
      const bytes = Buffer.from(JSON.stringify(record));
      const written =
        found === null ? await this.store.createExclusive(recordPath(name), bytes) : await this.store.compareAndSwap([{ path: recordPath(name), expected: found.raw, next: bytes }]);
      if (written) return { user: publicView(record), created: found === null };
    }
    return 'busy';
  }

  async delete(name: string): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.read(name);
      if (found === null) return false;
      if (await this.store.compareAndSwap([{ path: recordPath(name), expected: found.raw, next: null }])) return true;
    }
    return false;
  }

  /** The user whose password this is, or null; as slow for an unknown name as for a wrong password. */
  async verify(name: string, password: string): Promise<PublicUser | null> {
    const found = await this.read(name);
    const matches = await secretMatches(password, found?.record ?? (await DECOY));
    if (found === null || !matches) return null;
    return publicView({ ...found.record, grants: sanitizeGrants(found.record.grants) });
  }
}
