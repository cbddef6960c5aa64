import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt, halt } from '../../webmachine/index.js';
import type { Access } from '../auth/authorizer.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { requestSchemas, responseSchemas, timestampSchema } from '../http/api-schemas.js';
import { failureHalt } from '../http/domain-failures.js';
import { pageOf } from '../http/pagination.js';
import { PROBLEM_TYPES, problemType } from '../http/problem-types.js';
import { type DeliveryRecord, type HookRecord, REPOSITORY_EVENTS, type Scope, SERVICE_EVENTS, WEBHOOK_EVENTS } from '../webhooks/index.js';

export const hookInputSchema = z
  .object({
    url: z.string().min(1).max(2000).describe('http(s) URL the deliveries are POSTed to'),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).describe('Repository hooks: push, branch.*, tag.*, merge; service hooks (/admin/hooks): repository.*'),
    secret: z.string().min(8).max(256).optional().describe('HMAC-SHA256 key of X-Hub-Signature-256; required to create, kept when an update leaves it out; never answered'),
    active: z.boolean().optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'HookInput' });

export const hookSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{16}$/),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    active: z.boolean(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    links: z.object({ self: z.string(), deliveries: z.string() }),
  })
  .register(responseSchemas, { id: 'Hook' });
export const hookListSchema = z.object({ hooks: z.array(hookSchema) }).register(responseSchemas, { id: 'HookList' });

const attemptSchema = z.object({
  at: timestampSchema,
  durationMs: z.number().int().min(0),
  status: z.number().int().nullable().describe('The receiver\'s status; null when it did not answer'),
  error: z.string().optional(),
});

export const deliverySummarySchema = z
  .object({
    id: z.string(),
    hook: z.string(),
    event: z.enum(WEBHOOK_EVENTS),
    state: z.enum(['pending', 'delivered', 'failed']),
    createdAt: timestampSchema,
    attemptCount: z.number().int().min(0),
    lastAttempt: attemptSchema.nullable(),
    nextAttemptAt: timestampSchema.nullable(),
    links: z.object({ self: z.string(), attempts: z.string() }),
  })
  .register(responseSchemas, { id: 'DeliverySummary' });
export const deliveryListSchema = z.object({ deliveries: z.array(deliverySummarySchema) }).register(responseSchemas, { id: 'DeliveryList' });
export const deliverySchema = deliverySummarySchema
  .extend({ payload: z.string().describe('The JSON body every attempt sends, byte for byte'), attempts: z.array(attemptSchema) })
  .register(responseSchemas, { id: 'Delivery' });

/** The scope of a hook route: the repository in its path, or the service (/admin/hooks). */
abstract class HookScopeResource extends ApiResource {
  protected get scope(): Scope {
    return this.request.params.repo ?? null;
  }

  protected get base(): string {
    return this.scope === null ? '/admin/hooks' : `/repos/${this.scope}/hooks`;
  }

  /** Hooks of a repository take its admin; service hooks a global admin. */
  protected override requiredAccess(): Access | null {
    if (this.request.method === 'OPTIONS') return null;
    return this.scope === null ? { role: 'admin' } : { repo: this.scope, role: 'admin' };
  }

  override serviceAvailable(): boolean {
    return this.api.webhooks !== undefined;
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  protected get hooks() {
    return this.api.webhooks!;
  }

  /** The repository must exist (404, or 410 once deleted); the service always does. */
  protected async scopeExists(): Promise<true | Halt> {
    if (this.scope === null) return true;
    const found = await this.api.service.getRepository(this.scope);
    return found.ok ? true : failureHalt(found);
  }

  protected hookJson(h: HookRecord): z.output<typeof hookSchema> {
    return { id: h.id, url: h.url, events: h.events, active: h.active, createdAt: h.createdAt, updatedAt: h.updatedAt, links: { self: `${this.base}/${h.id}`, deliveries: `${this.base}/${h.id}/deliveries` } };
  }

  protected summaryJson(d: DeliveryRecord): z.output<typeof deliverySummarySchema> {
    const self = `${this.base}/${d.hook}/deliveries/${d.id}`;
    return { id: d.id, hook: d.hook, event: d.event, state: d.state, createdAt: d.createdAt, attemptCount: d.attempts.length, lastAttempt: d.attempts.at(-1) ?? null, nextAttemptAt: d.nextAttemptAt, links: { self, attempts: `${self}/attempts` } };
  }

  /** The body of a create or replace, checked: the events must be the scope's, the URL safe. */
  protected async readHook(): Promise<z.output<typeof hookInputSchema> | Halt> {
    const body = await this.readJson(hookInputSchema);
    if (body instanceof Halt) return body;
    const allowed: readonly string[] = this.scope === null ? SERVICE_EVENTS : REPOSITORY_EVENTS;
    const wrong = body.events.filter((e) => !allowed.includes(e));
    if (wrong.length > 0) return halt(400, { detail: `${this.scope === null ? 'Service' : 'Repository'} hooks hear of ${allowed.join(', ')}; not ${wrong.join(', ')}.` });
    return body;
  }

  protected changeFailed(reason: 'unsafe-url' | 'secret-required' | 'busy', detail?: string): Halt {
    if (reason === 'unsafe-url') return halt(400, { type: problemType('unsafe-webhook-url'), title: PROBLEM_TYPES['unsafe-webhook-url'].title, detail });
    if (reason === 'secret-required') return halt(400, { detail: 'A new hook needs a secret (8 to 256 characters): every delivery is signed with it.' });
    return halt(503, { type: problemType('busy'), title: 'Busy', detail: 'The hook changed under concurrent writes; nothing was written. Retry.' }, { 'Retry-After': '1' });
  }
}

/** /repos/{repo}/hooks and /admin/hooks: a page of the hooks by id (GET), register one (POST). */
export class HooksResource extends HookScopeResource {
  private list: HookRecord[] = [];

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'POST', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const exists = await this.scopeExists();
    if (exists !== true || this.request.method === 'POST') return exists;
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    this.list = this.answerPage(q, pageOf(await this.hooks.list(this.scope), (h) => h.id, q));
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.list.map((h) => this.hookJson(h)))).update(this.pageLinks).digest('hex');
  }

  override async processPost(): Promise<boolean | Halt> {
    const body = await this.readHook();
    if (body instanceof Halt) return body;
    const made = await this.hooks.put(this.scope, null, body);
    if (!made.ok) return this.changeFailed(made.reason, made.reason === 'unsafe-url' ? made.detail : undefined);
    this.api.logger.info({ scope: this.scope ?? '(service)', hook: made.hook.id, events: made.hook.events, by: this.actor }, 'webhook registered');
    this.response.setHeader('Location', `${this.base}/${made.hook.id}`);
    this.response.setHeader('Content-Type', 'application/json');
    this.response.body = jsonBody(this.hookJson(made.hook));
    return true;
  }

  protected override toJson(): string {
    const body: z.output<typeof hookListSchema> = { hooks: this.list.map((h) => this.hookJson(h)) };
    return jsonBody(body);
  }
}

/** /repos/{repo}/hooks/{id} and /admin/hooks/{id}: read, replace (PUT), remove. */
export class HookResource extends HookScopeResource {
  private hook: HookRecord | null = null;

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const exists = await this.scopeExists();
    if (exists !== true) return exists;
    this.hook = await this.hooks.get(this.scope, this.request.params.id ?? '');
    // Hooks are made by POST (the service names them): a PUT to an unknown id creates nothing.
    if (this.hook === null && this.request.method === 'PUT') return halt(404, { detail: 'No such hook; register hooks with POST.' });
    return this.hook !== null;
  }

  override generateEtag(): string | undefined {
    return this.hook === null ? undefined : createHash('sha1').update(JSON.stringify(this.hookJson(this.hook))).digest('hex');
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.acceptPut()]];
  }

  private async acceptPut(): Promise<boolean | Halt> {
    const body = await this.readHook();
    if (body instanceof Halt) return body;
    const changed = await this.hooks.put(this.scope, this.hook!.id, body);
    if (!changed.ok) return this.changeFailed(changed.reason, changed.reason === 'unsafe-url' ? changed.detail : undefined);
    this.hook = changed.hook;
    this.response.setHeader('Content-Type', 'application/json');
    this.response.body = jsonBody(this.hookJson(changed.hook));
    return true;
  }

  override async deleteResource(): Promise<boolean> {
    const deleted = await this.hooks.delete(this.scope, this.hook!.id);
    if (deleted) this.api.logger.info({ scope: this.scope ?? '(service)', hook: this.hook!.id, by: this.actor }, 'webhook removed');
    return deleted;
  }

  protected override toJson(): string {
    return jsonBody(this.hookJson(this.hook!));
  }
}

/** .../hooks/{id}/deliveries: a page of the hook's delivery log, newest first. */
export class DeliveriesResource extends HookScopeResource {
  private list: DeliveryRecord[] = [];

  override async resourceExists(): Promise<boolean | Halt> {
    const exists = await this.scopeExists();
    if (exists !== true) return exists;
    const hook = await this.hooks.get(this.scope, this.request.params.id ?? '');
    if (hook === null) return false;
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    // Ids sort oldest first; the key reverses them (newest first), the cursor stays opaque.
    const ids = await this.hooks.deliveryIds(this.scope, hook.id);
    const newestFirst = (id: string): string => `${String(999_999_999_999 - Number(id.slice(0, 12))).padStart(12, '0')}${id.slice(12)}`;
    const page = this.answerPage(q, pageOf(ids, newestFirst, q));
    this.list = await this.hooks.deliveries(this.scope, page);
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.list)).update(this.pageLinks).digest('hex');
  }

  protected override toJson(): string {
    const body: z.output<typeof deliveryListSchema> = { deliveries: this.list.map((d) => this.summaryJson(d)) };
    return jsonBody(body);
  }
}

/** .../deliveries/{delivery}: one delivery with its payload and every attempt. */
export class DeliveryResource extends HookScopeResource {
  private delivery: DeliveryRecord | null = null;

  override async resourceExists(): Promise<boolean | Halt> {
    const exists = await this.scopeExists();
    if (exists !== true) return exists;
    this.delivery = await this.hooks.delivery(this.scope, this.request.params.id ?? '', this.request.params.delivery ?? '');
    return this.delivery !== null;
  }

  override generateEtag(): string | undefined {
    return this.delivery === null ? undefined : createHash('sha1').update(JSON.stringify(this.delivery)).digest('hex');
  }

  protected override toJson(): string {
    const d = this.delivery!;
    const body: z.output<typeof deliverySchema> = { ...this.summaryJson(d), payload: d.payload, attempts: d.attempts };
    return jsonBody(body);
  }
}

/** POST .../deliveries/{delivery}/attempts: send it again (202: queued; the attempt is in the delivery's log). */
export class RedeliveryResource extends HookScopeResource {
  override allowedMethods(): string[] {
    return ['POST', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const exists = await this.scopeExists();
    if (exists !== true) return exists;
    return (await this.hooks.delivery(this.scope, this.request.params.id ?? '', this.request.params.delivery ?? '')) !== null;
  }

  override allowMissingPost(): boolean {
    return false;
  }

  override async processPost(): Promise<boolean | Halt> {
    const queued = await this.hooks.redeliver(this.scope, this.request.params.id ?? '', this.request.params.delivery ?? '');
    if (queued === null) return halt(404, { detail: 'No such delivery.' });
    if (queued === 'busy') return halt(409, { detail: 'The delivery is being sent right now; see its log, and ask again once it is done.' });
    this.api.logger.info({ scope: this.scope ?? '(service)', delivery: queued.id, by: this.actor }, 'webhook redelivery queued');
    const body: z.output<typeof deliverySchema> = { ...this.summaryJson(queued), payload: queued.payload, attempts: queued.attempts };
    this.response.setHeader('Content-Type', 'application/json');
    this.response.setHeader('Location', `${this.base}/${queued.hook}/deliveries/${queued.id}`);
    this.response.body = jsonBody(body);
    return halt(202);
  }
}
