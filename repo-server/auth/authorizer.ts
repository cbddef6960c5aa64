import type { SettingsStore } from '../settings/repo-settings.js';
import { atLeast, type Role, roleOn } from './roles.js';
import type { Principal, TokenStore } from './token-store.js';
import type { UserStore } from './user-store.js';
import type { EventTickets } from './event-tickets.js';

/** What a request needs: a role, on a repository or (no repo) on the service as a whole. */
export interface Access {
  repo?: string;
  role: Role;
}

export type Decision =
  | { kind: 'allowed'; principal: Principal | null }
  /** No (valid) credentials: 401 with a challenge. */
  | { kind: 'unauthenticated' }
  /** Credentials that may read the repository but not do this: 403. */
  | { kind: 'forbidden'; principal: Principal }
  /** Credentials that may not even see the repository: answered as if it did not exist (404). */
  | { kind: 'hidden'; principal: Principal };

export const REALM = 'content-repo';
export const BEARER_CHALLENGE = `Bearer realm="${REALM}"`;
export const BASIC_CHALLENGE = `Basic realm="${REALM}", charset="UTF-8"`;

/** The token in an Authorization header: Bearer for the API, Basic (password = token) for git. */
export function presentedToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (scheme === undefined || value === undefined) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * The one place that decides who may do what, for REST, git and events alike. With
 * `enabled: false` (tests of other parts, or an operator's explicit choice) everything is allowed.
 */
export class Authorizer {
  constructor(
    readonly tokens: TokenStore,
    private readonly settings: SettingsStore,
    readonly enabled = true,
    /** People who sign in with a password (POST /sessions); absent where only tokens are used. */
    readonly users?: UserStore,
    /** Tickets for the /events WebSocket (POST /events/tickets); absent: none are issued. */
    readonly tickets?: EventTickets,
  ) {}

  async principal(authorization: string | undefined): Promise<Principal | null> {
    const token = presentedToken(authorization);
    return token === undefined ? null : this.tokens.verify(token);
  }

  async decide(authorization: string | undefined, access: Access): Promise<Decision> {
    const principal = await this.principal(authorization);
    if (!this.enabled) return { kind: 'allowed', principal };
    // A header that was sent but is not a valid token is refused even where anonymous would pass.
    if (authorization !== undefined && principal === null) return { kind: 'unauthenticated' };
    const held = principal === null ? undefined : roleOn(principal.grants, access.repo);
    if (atLeast(held, access.role)) return { kind: 'allowed', principal };
    const anonymousRead = access.repo !== undefined && (await this.settings.read(access.repo)).anonymousRead;
    if (access.role === 'read' && anonymousRead) return { kind: 'allowed', principal };
    if (principal === null) return { kind: 'unauthenticated' };
    if (access.repo !== undefined && !atLeast(held, 'read') && !anonymousRead) return { kind: 'hidden', principal };
    return { kind: 'forbidden', principal };
  }

  /** Whether a principal may see a repository in listings and event streams. */
  async mayRead(principal: Principal | null, repo: string): Promise<boolean> {
    if (!this.enabled) return true;
    if (atLeast(principal === null ? undefined : roleOn(principal.grants, repo), 'read')) return true;
    return (await this.settings.read(repo)).anonymousRead;
  }
}
