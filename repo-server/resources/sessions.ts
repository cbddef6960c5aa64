import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { Halt, halt } from '../../webmachine/index.js';
import { BEARER_CHALLENGE, type Access } from '../auth/authorizer.js';
import type { Principal } from '../auth/token-store.js';
import { MAX_PASSWORD } from '../auth/user-store.js';
import type { ApiContext } from '../http/api-context.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { grantsSchema, requestSchemas, responseSchemas, timestampSchema } from '../http/api-schemas.js';

/** How long a sign-in's token works: a working day; signing in again is cheap. */
export const SIGN_IN_HOURS = 12;
/** Wrong passwords for one user name, per front end, before it must wait. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export const signInSchema = z
  .object({ user: z.string().min(1).max(64), password: z.string().min(1).max(MAX_PASSWORD) })
  .strict()
  .register(requestSchemas, { id: 'SignIn' });

export const signedInSchema = z
  .object({
    token: z.string().describe('Bearer token (and git password) for the next 12 hours'),
    expiresAt: timestampSchema,
    user: z.object({ name: z.string(), displayName: z.string(), email: z.string() }),
  })
  .register(responseSchemas, { id: 'SignedIn' });

export const sessionSchema = z
  .object({
    name: z.string().describe('The token\'s name; for a sign-in, the user\'s display name'),
    grants: grantsSchema,
    user: z.string().optional(),
    email: z.string().optional(),
    expiresAt: timestampSchema.optional(),
  })
  .register(responseSchemas, { id: 'Session' });

/** Failed sign-ins by user name, per front end: guessing a password is slow on purpose. */
const failures = new WeakMap<ApiContext, LRUCache<string, { count: number; since: number }>>();

function failuresOf(api: ApiContext): LRUCache<string, { count: number; since: number }> {
  let cache = failures.get(api);
  if (cache === undefined) failures.set(api, (cache = new LRUCache({ max: 10_000, ttl: FAILURE_WINDOW_MS })));
  return cache;
}

/**
 * POST /sessions: signing in with a user name and password. The answer is a token that works for
 * SIGN_IN_HOURS and carries the user's roles and identity (commits made with it credit the user,
 * with their address). A wrong name or password is one 401 (no hint which); after MAX_FAILURES
 * for one name within the window, 429 with Retry-After. The password is never logged or stored.
 */
export class SessionsResource extends ApiResource {
  protected override requiredAccess(): Access | null {
    return null;
  }

  override allowedMethods(): string[] {
    return ['POST', 'OPTIONS'];
  }

  override serviceAvailable(): boolean {
    return this.api.auth?.users !== undefined;
  }

  override async processPost(): Promise<boolean | Halt> {
    const body = await this.readJson(signInSchema);
    if (body instanceof Halt) return body;
    const key = body.user.toLowerCase();
    const failed = failuresOf(this.api);
    const seen = failed.get(key);
    if (seen !== undefined && seen.count >= MAX_FAILURES) {
      const wait = Math.max(1, Math.ceil((seen.since + FAILURE_WINDOW_MS - Date.now()) / 1000));
      return halt(429, { detail: `Too many failed sign-ins for this user name; try again in ${wait} s.` }, { 'Retry-After': String(wait) });
    }
    const auth = this.api.auth!;
    const user = await auth.users!.verify(body.user, body.password);
    if (user === null) {
      failed.set(key, { count: (seen?.count ?? 0) + 1, since: seen?.since ?? Date.now() });
      this.api.logger.info({ user: body.user }, 'sign-in refused');
      return halt(401, { detail: 'The user name or password is not right.' }, { 'WWW-Authenticate': BEARER_CHALLENGE });
    }
    failed.delete(key);
    const expiresAt = new Date(Date.now() + SIGN_IN_HOURS * 3600 * 1000);
    const created = await auth.tokens.create(user.displayName, user.grants, new Date(), { user: user.name, email: user.email, expiresAt });
    this.api.logger.info({ user: user.name, tokenId: created.record.id }, 'signed in');
    this.response.setHeader('Location', '/sessions/current');
    this.response.setHeader('Content-Type', 'application/json');
    this.response.setHeader('Cache-Control', 'no-store');
    const signedIn: z.output<typeof signedInSchema> = { token: created.token, expiresAt: expiresAt.toISOString(), user: { name: user.name, displayName: user.displayName, email: user.email } };
    this.response.body = jsonBody(signedIn);
    return true;
  }
}

/**
 * /sessions/current: who the presented token is (GET), and signing out (DELETE ends a sign-in's
 * token at once, on every front end). A long-lived token is not a sign-in: an admin revokes it
 * through /admin/tokens, so DELETE answers 409 for one.
 */
export class CurrentSessionResource extends ApiResource {
  private who: Principal | null = null;

  protected override requiredAccess(): Access | null {
    return null;
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'DELETE', 'OPTIONS'];
  }

  override serviceAvailable(): boolean {
    return this.api.auth !== undefined;
  }

  override async isAuthorized(): Promise<true | string> {
    if (this.request.method === 'OPTIONS') return true;
    this.who = await this.api.auth!.principal(this.request.header('authorization'));
    return this.who === null ? BEARER_CHALLENGE : true;
  }

  override cacheControl(): string {
    return 'no-store';
  }

  override async deleteResource(): Promise<boolean | Halt> {
    if (this.who!.user === undefined) {
      return halt(409, { detail: 'This is a long-lived token, not a sign-in; an admin revokes it with DELETE /admin/tokens/{id}.' });
    }
    const revoked = await this.api.auth!.tokens.revoke(this.who!.tokenId);
    if (revoked) this.api.logger.info({ user: this.who!.user, tokenId: this.who!.tokenId }, 'signed out');
    return revoked;
  }

  protected override toJson(): string {
    const { tokenId: _id, ...who } = this.who!;
    const body: z.output<typeof sessionSchema> = who;
    return jsonBody(body);
  }
}
