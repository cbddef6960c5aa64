import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt, halt } from '../../webmachine/index.js';
import type { Access } from '../auth/authorizer.js';
import { ROLES } from '../auth/roles.js';
import { MAX_PASSWORD, MIN_PASSWORD, type PublicUser, USER_NAME } from '../auth/user-store.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { grantsSchema, requestSchemas, responseSchemas, timestampSchema } from '../http/api-schemas.js';
import { pageOf } from '../http/pagination.js';

const role = z.enum(ROLES);
// A name or address that would break a commit's "Name <email>" line is refused here, not mangled later.
const signatureSafe = /^[^<>\n\r\0]+$/;

export const userInputSchema = z
  .object({
    displayName: z.string().min(1).max(200).regex(signatureSafe),
    email: z.string().min(3).max(200).regex(/^[^\s<>@]+@[^\s<>@]+$/),
    password: z.string().min(MIN_PASSWORD).max(MAX_PASSWORD).optional(),
    global: role.optional(),
    repos: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/), role).optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'UserInput' });

export const userSchema = z
  .object({ name: z.string(), displayName: z.string(), email: z.string(), grants: grantsSchema, createdAt: timestampSchema, updatedAt: timestampSchema })
  .register(responseSchemas, { id: 'User' });
export const userListSchema = z.object({ users: z.array(userSchema) }).register(responseSchemas, { id: 'UserList' });

const ADMIN: Access = { role: 'admin' };

/** /admin/users: a page of the people who may sign in with a password, by name (global admin). */
export class UsersResource extends ApiResource {
  private users: PublicUser[] = [];

  protected override requiredAccess(): Access | null {
    return this.request.method === 'OPTIONS' ? null : ADMIN;
  }

  override serviceAvailable(): boolean {
    return this.api.auth?.users !== undefined;
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    this.users = this.answerPage(q, pageOf(await this.api.auth!.users!.list(), (u) => u.name, q));
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.users)).update(this.pageLinks).digest('hex');
  }

  override cacheControl(): string {
    return 'no-store';
  }

  protected override toJson(): string {
    const body: z.output<typeof userListSchema> = { users: this.users };
    return jsonBody(body);
  }
}

/**
 * /admin/users/{name}: read, create or replace (PUT; a password is needed to create, and kept
 * when an update leaves it out), delete. Any change ends the user's sign-ins at once, so new roles
 * or a new password hold from the next request.
 */
export class UserResource extends ApiResource {
  private user: PublicUser | null = null;

  private get name(): string {
    return this.request.params.name ?? '';
  }

  protected override requiredAccess(): Access | null {
    return this.request.method === 'OPTIONS' ? null : ADMIN;
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
  }

  override serviceAvailable(): boolean {
    return this.api.auth?.users !== undefined;
  }

  override malformedRequest(): boolean | Halt {
    return USER_NAME.test(this.name) ? false : halt(400, { detail: 'User names are 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.' });
  }

  override async resourceExists(): Promise<boolean> {
    this.user = await this.api.auth!.users!.get(this.name);
    return this.user !== null;
  }

  override generateEtag(): string | undefined {
    return this.user === null ? undefined : createHash('sha1').update(JSON.stringify(this.user)).digest('hex');
  }

  override cacheControl(): string {
    return 'no-store';
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.acceptPut()]];
  }

  private async acceptPut(): Promise<boolean | Halt> {
    const body = await this.readJson(userInputSchema);
    if (body instanceof Halt) return body;
    if (body.global === undefined && body.repos === undefined) return halt(400, { detail: 'Give a global role and/or roles per repository.' });
    const auth = this.api.auth!;
    const put = await auth.users!.put(this.name, { displayName: body.displayName, email: body.email, grants: { global: body.global, repos: body.repos }, password: body.password });
    if (put === 'password-required') return halt(400, { detail: `A new user needs a password of ${MIN_PASSWORD} to ${MAX_PASSWORD} characters.` });
    if (put === 'busy') return halt(503, { detail: 'The user changed under concurrent writes; nothing was written. Retry.' }, { 'Retry-After': '1' });
    if (!put.created) await auth.tokens.revokeSignIns(this.name);
    this.api.logger.info({ user: this.name, created: put.created, by: this.actor }, 'user saved');
    this.user = put.user;
    if (put.created) this.response.setHeader('Location', `/admin/users/${put.user.name}`);
    this.response.setHeader('Content-Type', 'application/json');
    const answer: z.output<typeof userSchema> = put.user;
    this.response.body = jsonBody(answer);
    return true;
  }

  override async deleteResource(): Promise<boolean> {
    const deleted = await this.api.auth!.users!.delete(this.name);
    if (deleted) {
      await this.api.auth!.tokens.revokeSignIns(this.name);
      this.api.logger.info({ user: this.name, by: this.actor }, 'user deleted');
    }
    return deleted;
  }

  protected override toJson(): string {
    const body: z.output<typeof userSchema> = this.user!;
    return jsonBody(body);
  }
}
