import { type Halt, halt, type ResourceInit } from '../../webmachine/index.js';
import { type Access, BEARER_CHALLENGE, type Decision } from '../auth/authorizer.js';
import type { Principal } from '../auth/token-store.js';
import type { ApiContext } from './api-context.js';
import { JsonResource } from './json-resource.js';
import { type CursorKind, KEYED, linkHeader, type Page, type PageQuery, readPageQuery } from './pagination.js';

export { jsonBody } from './json-resource.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Base of the repository API's resources: the domain service, and access control through the
 * engine's own nodes: B8 (is_authorized: 401 + Bearer challenge) and B7 (forbidden: 403, or 404
 * for a repository the caller may not see at all).
 */
export abstract class ApiResource extends JsonResource {
  private decisionMemo: Promise<Decision> | undefined;
  private pageQueryMemo: PageQuery | Halt | undefined;
  protected principal: Principal | null = null;
  /** The Link header of the page this list answers (its ETag covers it). */
  protected pageLinks = '';

  constructor(
    init: ResourceInit,
    protected readonly api: ApiContext,
  ) {
    super(init);
  }

  /** What this request needs; null: public. Default: read for safe methods, write otherwise. */
  protected requiredAccess(): Access | null {
    if (this.request.method === 'OPTIONS') return null;
    return { repo: this.request.params.repo, role: SAFE.has(this.request.method) ? 'read' : 'write' };
  }

  private decision(): Promise<Decision> | undefined {
    const access = this.requiredAccess();
    if (access === null || this.api.auth === undefined) return undefined;
    this.decisionMemo ??= this.api.auth.decide(this.request.header('authorization'), access).then((d) => {
      if (d.kind !== 'unauthenticated') this.principal = d.principal;
      return d;
    });
    return this.decisionMemo;
  }

  // Synchronous when there is nothing to decide: each promise on a warm read's path costs CPU.
  override isAuthorized(): true | Promise<true | string> {
    const decision = this.decision();
    return decision === undefined ? true : decision.then((d) => (d.kind === 'unauthenticated' ? BEARER_CHALLENGE : true));
  }

  override forbidden(): false | Promise<boolean | Halt> {
    const decision = this.decision();
    if (decision === undefined) return false;
    return decision.then((d) => (d.kind === 'hidden' ? halt(404, { detail: 'No such repository.' }) : d.kind === 'forbidden'));
  }

  /** A list's per_page and cursor (http/pagination.ts), or the 400 that says what is wrong with them. */
  protected pageQuery(kinds: readonly CursorKind[] = KEYED): PageQuery | Halt {
    return (this.pageQueryMemo ??= readPageQuery(this.request, kinds));
  }

  /** Answers a page: its Link header, and its items. */
  protected answerPage<T>(q: PageQuery, page: Page<T>): T[] {
    this.pageLinks = linkHeader(this.request, q, page.links);
    if (this.pageLinks !== '') this.response.setHeader('Link', this.pageLinks);
    return page.items;
  }

  /** Who is acting, for commits' defaults and ref events. */
  protected get actor(): string {
    return this.principal?.name ?? 'anonymous';
  }

  /** Who is acting and, for a signed-in user, their address: what a write credits. */
  protected get writer(): { actor: string; actorEmail?: string } {
    const email = this.principal?.email;
    return email === undefined ? { actor: this.actor } : { actor: this.actor, actorEmail: email };
  }
}
