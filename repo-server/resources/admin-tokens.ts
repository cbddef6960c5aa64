import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Halt, halt } from '../../webmachine/index.js';
import type { Access } from '../auth/authorizer.js';
import { ROLES } from '../auth/roles.js';
import type { PublicToken } from '../auth/token-store.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';

const role = z.enum(ROLES);
export const tokenInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    global: role.optional(),
    repos: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/), role).optional(),
  })
  .strict();

const ADMIN: Access = { role: 'admin' };

/** /admin/tokens: list (GET) and create (POST; the secret is in the 201 body, once). */
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

  override async resourceExists(): Promise<boolean> {
    if (this.request.method !== 'POST') this.tokens = await this.api.auth!.tokens.list();
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.tokens)).digest('hex');
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
    this.response.body = jsonBody({ ...created.record, token: created.token });
    return true;
  }

  protected override toJson(): string {
    return jsonBody({ tokens: this.tokens });
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
    return jsonBody(this.token);
  }
}
