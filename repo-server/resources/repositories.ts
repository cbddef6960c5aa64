import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt } from '../../webmachine/index.js';
import type { RepoInfo } from '../domain/index.js';
import { type Access, BEARER_CHALLENGE } from '../auth/authorizer.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { requestSchemas, responseSchemas, timestampSchema } from '../http/api-schemas.js';
import { failureHalt } from '../http/domain-failures.js';
import { pageOfLoaded } from '../http/pagination.js';

export const repoInputSchema = z
  .object({
    description: z.string().max(1000).optional(),
    defaultBranch: z.string().min(1).max(255).optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'RepositoryInput' });

export const repositorySchema = z
  .object({
    name: z.string(),
    description: z.string(),
    defaultBranch: z.string(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    links: z.object({ self: z.string(), branches: z.string(), git: z.string() }),
  })
  .register(responseSchemas, { id: 'Repository' });

export const repositoryListSchema = z.object({ repositories: z.array(repositorySchema) }).register(responseSchemas, { id: 'RepositoryList' });

export function repoJson(info: RepoInfo): z.output<typeof repositorySchema> {
  return { ...info, links: { self: `/repos/${info.name}`, branches: `/repos/${info.name}/branches`, git: `/${info.name}.git` } };
}

/**
 * GET /repos: a page of the repositories the caller may read, sorted by name. Only the names are
 * listed whole (from storage); a page opens about per_page repositories, not all of them.
 */
export class RepositoriesResource extends ApiResource {
  private list: RepoInfo[] = [];

  /** Listing needs no particular role; what is listed depends on who asks. */
  protected override requiredAccess(): Access | null {
    return null;
  }

  override async isAuthorized(): Promise<true | string> {
    const header = this.request.header('authorization');
    if (this.api.auth === undefined || header === undefined) return true;
    this.principal = await this.api.auth.principal(header);
    return this.principal === null ? BEARER_CHALLENGE : true;
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    const auth = this.api.auth;
    const names = await this.api.service.repositoryNames();
    const page = await pageOfLoaded(
      names,
      async (name) => {
        if (auth !== undefined && !(await auth.mayRead(this.principal, name))) return null;
        const found = await this.api.service.getRepository(name);
        return found.ok ? found.repository : null;
      },
      q,
    );
    this.list = this.answerPage(q, page);
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.list)).update(this.pageLinks).digest('hex');
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  protected override toJson(): string {
    const body: z.output<typeof repositoryListSchema> = { repositories: this.list.map(repoJson) };
    return jsonBody(body);
  }
}

/** /repos/{repo}: read, create or update (PUT), delete; 410 after a delete. */
export class RepositoryResource extends ApiResource {
  private info: RepoInfo | undefined;
  private gone = false;

  private get name(): string {
    return this.request.params.repo ?? '';
  }

  /** Creating, changing or deleting a repository takes an admin (global or of that name). */
  protected override requiredAccess(): Access | null {
    if (this.request.method === 'OPTIONS') return null;
    return { repo: this.name, role: this.request.method === 'GET' || this.request.method === 'HEAD' ? 'read' : 'admin' };
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const found = await this.api.service.getRepository(this.name);
    if (found.ok) {
      this.info = found.repository;
      return true;
    }
    if (found.reason === 'not-found') {
      this.gone = found.gone === true;
      return false;
    }
    return failureHalt(found);
  }

  override previouslyExisted(): boolean {
    return this.gone;
  }

  override generateEtag(): string | undefined {
    return this.info === undefined ? undefined : createHash('sha1').update(JSON.stringify(this.info)).digest('hex');
  }

  override lastModified(): Date | undefined {
    return this.info === undefined ? undefined : new Date(this.info.updatedAt);
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.acceptPut()]];
  }

  private async acceptPut() {
    const body = await this.readJson(repoInputSchema);
    if (body instanceof Halt) return body;
    if (this.info === undefined) {
      const created = await this.api.service.createRepository(this.name, body);
      if (!created.ok) return failureHalt(created);
      this.info = created.repository;
      if (created.created) await this.announce('created');
      this.response.setHeader('Location', `/repos/${this.name}`);
      this.response.setHeader('Content-Type', 'application/json');
      this.response.body = jsonBody(repoJson(created.repository));
      return true;
    }
    const updated = await this.api.service.updateRepository(this.name, body);
    if (!updated.ok) return failureHalt(updated);
    this.info = updated.repository;
    return true;
  }

  override async deleteResource() {
    const deleted = await this.api.service.deleteRepository(this.name);
    if (!deleted.ok) return failureHalt(deleted);
    await this.announce('deleted');
    return true;
  }

  /** Service webhooks hear of it; the change itself is done, so a failure here is logged, not answered. */
  private async announce(action: 'created' | 'deleted'): Promise<void> {
    try {
      await this.api.webhooks?.repositoryEvent(action, this.name, this.actor);
    } catch (err) {
      this.api.logger.error({ err, repo: this.name, action }, 'repository event not recorded for webhooks');
    }
  }

  protected override toJson(): string {
    return jsonBody(repoJson(this.info!));
  }
}
