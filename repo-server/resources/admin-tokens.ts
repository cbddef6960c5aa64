import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Halt, halt } from '../../webmachine/index.js';
import type { Access } from '../auth/authorizer.js';
import { ROLES } from '../auth/roles.js';
import type { PublicToken } from '../auth/token-store.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { grantsSchema, requestSchemas, responseSchemas, timestampSchema } from '../http/api-schemas.js';
import { pageOf } from '../http/pagination.js';

const role = z.enum(ROLES);
export const tokenInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    global: role.optional(),
    repos: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/), role).optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'TokenInput' });

export const tokenSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{16}$/),
    name: z.string(),
    grants: grantsSchema,
    createdAt: timestampSchema,
    revokedAt: timestampSchema.optional(),
    expiresAt: timestampSchema.optional().describe('A sign-in\'s token stops working then'),
    user: z.string().optional().describe('A sign-in\'s token: who signed in'),
    email: z.string().optional(),
  })
  .register(responseSchemas, { id: 'Token' });
export const tokenListSchema = z.object({ tokens: z.array(tokenSchema) }).register(responseSchemas, { id: 'TokenList' });
export const createdTokenSchema = tokenSchema
  .extend({ token: z.string().regex(/^crt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/).describe('The secret: shown this once, never again') })
  .register(responseSchemas, { id: 'CreatedToken' });

const ADMIN: Access = { role: 'admin' };

/** /admin/tokens: a page of the tokens, oldest first (GET) and create (POST; the secret is in the 201 body, once). */
export class TokensResource extends ApiResource {
  private tokens: PublicToken[] = [];

  protected override requiredAccess(): Access | null {
    return this.request.method === 'OPTIONS' ? null : ADMIN;
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'POST', 'OPTIONS'];
  }

  /** Without access control there are no tokens to manage: 503. */
  override serviceAvailable(): boolean {
    return this.api.auth !== undefined;
  }

  override async resourceExists(): Promise<boolean | Halt> {
    if (this.request.method === 'POST') return true;
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    // In the order they were made (the id breaks ties), as the list was before it had pages.
    this.tokens = this.answerPage(q, pageOf(await this.api.auth!.tokens.list(), (t) => `${t.createdAt} ${t.id}`, q));
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.tokens)).update(this.pageLinks).digest('hex');
  }

  override cacheControl(): string {
    return 'no-store';
  }

  override async processPost(): Promise<boolean | Halt> {
    const body = await this.readJson(tokenInputSchema);
    if (body instanceof Halt) return body;
    if (body.global === undefined && body.repos === undefined) return halt(400, { detail: 'Give a global role and/or roles per repository.' });
    const created = await this.api.auth!.tokens.create(body.name, { global: body.global, repos: body.repos });
    this.api.logger.info({ tokenId: created.record.id, name: body.name, by: this.actor }, 'token created');
    this.response.setHeader('Location', `/admin/tokens/${created.record.id}`);
    this.response.setHeader('Content-Type', 'application/json');
    this.response.setHeader('Cache-Control', 'no-store');
    const answer: z.output<typeof createdTokenSchema> = { ...created.record, token: created.token };
    this.response.body = jsonBody(answer);
    return true;
  }

  protected override toJson(): string {
    const body: z.output<typeof tokenListSchema> = { tokens: this.tokens };
    return jsonBody(body);
  }
}

/** /admin/tokens/{id}: read (no secret) and revoke (DELETE). */
export class TokenResource extends ApiResource {
  private token: PublicToken | null = null;

  protected override requiredAccess(): Access | null {
    return this.request.method === 'OPTIONS' ? null : ADMIN;
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'DELETE', 'OPTIONS'];
  }

  /** Without access control there are no tokens to manage: 503. */
  override serviceAvailable(): boolean {
    return this.api.auth !== undefined;
  }

  override async resourceExists(): Promise<boolean> {
    this.token = await this.api.auth!.tokens.get(this.request.params.id ?? '');
    return this.token !== null;
  }

  override generateEtag(): string | undefined {
    return this.token === null ? undefined : createHash('sha1').update(JSON.stringify(this.token)).digest('hex');
  }

  override cacheControl(): string {
    return 'no-store';
  }

  override async deleteResource(): Promise<boolean> {
    const revoked = await this.api.auth!.tokens.revoke(this.token!.id);
    if (revoked) this.api.logger.info({ tokenId: this.token!.id, by: this.actor }, 'token revoked');
    return revoked;
  }

  protected override toJson(): string {
    const body: z.output<typeof tokenSchema> = this.token!;
    return jsonBody(body);
  }
}
