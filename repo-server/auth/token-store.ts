import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RepoStore, Storage } from '../../fs-service/index.js';
import { type Grants, sanitizeGrants } from './roles.js';
import { hashSecret, secretMatches } from './secret-hash.js';

/**
 * Tokens live in a system store whose name ends in ".git", which no repository may have, so no
 * API or git path can reach it. A token is "crt_<id>_<secret>": the id finds the record, the
 * secret is checked against its scrypt hash. Records are read on every use (revocation is
 * immediate on every front end); only the slow scrypt comparison is remembered, keyed by the
 * exact record it was checked against.
 */
export const SYSTEM_STORE = 'system.git';
const TOKEN = /^crt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenRecord {
  id: string;
  name: string;
  grants: Grants;
  salt: string;
  hash: string;
  createdAt: string;
  revokedAt?: string;
  /** A sign-in's token: it stops working at this time. */
  expiresAt?: string;
  /** A sign-in's token: the user who signed in, and their address for the commits they make. */
  user?: string;
  email?: string;
}

export interface Principal {
  tokenId: string;
  /** The token's name; for a signed-in user, their display name. */
  name: string;
  grants: Grants;
  user?: string;
  email?: string;
  expiresAt?: string;
}

/** What makes a token a user's sign-in rather than an operator's long-lived token. */
export interface SignIn {
  user: string;
  email: string;
  expiresAt: Date;
}

export type PublicToken = Omit<TokenRecord, 'salt' | 'hash'>;

function recordPath(id: string): string {
  return `/tokens/${id}.json`;
}

function publicView(r: TokenRecord): PublicToken {
  const { salt: _salt, hash: _hash, ...rest } = r;
  return rest;
}

function principalOf(record: TokenRecord): Principal {
  const principal: Principal = { tokenId: record.id, name: record.name, grants: sanitizeGrants(record.grants) };
  if (record.user !== undefined) principal.user = record.user;
  if (record.email !== undefined) principal.email = record.email;
  if (record.expiresAt !== undefined) principal.expiresAt = record.expiresAt;
  return principal;
}

export class TokenStore {
  private readonly store: RepoStore;
  private readonly verified = new LRUCache<string, true>({ max: 10_000 });

  constructor(
    storage: Storage,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.store = storage.repo(SYSTEM_STORE);
  }

  async create(name: string, grants: Grants, now = new Date(), signIn?: SignIn): Promise<{ token: string; record: PublicToken }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = { id, name, grants, ...(await hashSecret(secret)), createdAt: now.toISOString() };
    if (signIn !== undefined) Object.assign(record, { user: signIn.user, email: signIn.email, expiresAt: signIn.expiresAt.toISOString() });
    if (!(await this.store.createExclusive(recordPath(id), JSON.stringify(record)))) throw new Error('token id collision');
    return { token: `crt_${id}_${secret}`, record: publicView(record) };
  }

  private async read(id: string): Promise<{ record: TokenRecord; raw: Buffer } | null> {
    const [raw] = await this.store.readMany([recordPath(id)]);
    if (raw === null || raw === undefined) return null;
    return { record: JSON.parse(raw.toString('utf8')) as TokenRecord, raw };
  }

  /** The principal of a presented token, or null when it is unknown, malformed or revoked. */
  async verify(token: string): Promise<Principal | null> {
    const m = TOKEN.exec(token);
    if (!m) return null;
    const [, id, secret] = m as unknown as [string, string, string];
    const record = await this.live(id);
    if (record === null) return null;
    const memo = `${record.hash}:${secret}`;
    if (!this.verified.has(memo)) {
      if (!(await secretMatches(secret, record))) return null;
      this.verified.set(memo, true);
    }
    return principalOf(record);
  }

  /**
   * The principal of a token known by its id alone, for a credential that already proved it
   * (a WebSocket ticket the token asked for): null once the token is revoked or expired.
   */
  async principalById(id: string): Promise<Principal | null> {
    if (!/^[0-9a-f]{16}$/.test(id)) return null;
    const record = await this.live(id);
    return record === null ? null : principalOf(record);
  }

  /** The record of a token that works now: not revoked, not expired. */
  private async live(id: string): Promise<TokenRecord | null> {
    const found = await this.read(id);
    if (found === null || found.record.revokedAt !== undefined) return null;
    if (found.record.expiresAt !== undefined && !(Date.parse(found.record.expiresAt) > this.now().getTime())) return null;
    return found.record;
  }

  async list(): Promise<PublicToken[]> {
    let names: string[];
    try {
      names = await this.store.fs.promises.readdir('/tokens');
    } catch {
      return [];
    }
    const ids = names.filter((n) => /^[0-9a-f]{16}\.json$/.test(n)).map((n) => n.slice(0, 16));
    const records = await this.store.readMany(ids.map(recordPath));
    return records
      .filter((r): r is Buffer => r !== null && r !== undefined)
      .map((r) => publicView(JSON.parse(r.toString('utf8')) as TokenRecord))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<PublicToken | null> {
    if (!/^[0-9a-f]{16}$/.test(id)) return null;
    const found = await this.read(id);
    return found === null ? null : publicView(found.record);
  }

  /** Marks a token revoked (compare-and-swap on its record, so a concurrent revoke is harmless). */
  async revoke(id: string, now = new Date()): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) return false;
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.read(id);
      if (found === null) return false;
      if (found.record.revokedAt !== undefined) return true;
      const next = Buffer.from(JSON.stringify({ ...found.record, revokedAt: now.toISOString() }));
      if (await this.store.compareAndSwap([{ path: recordPath(id), expected: found.raw, next }])) return true;
    }
    return false;
  }

  /** Ends every sign-in of a user (their password, roles or account changed); answers how many. */
  async revokeSignIns(user: string, now = new Date()): Promise<number> {
    const mine = (await this.list()).filter((t) => t.user?.toLowerCase() === user.toLowerCase() && t.revokedAt === undefined);
    const revoked = await Promise.all(mine.map((t) => this.revoke(t.id, now)));
    return revoked.filter(Boolean).length;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.list()).length === 0;
  }
}
