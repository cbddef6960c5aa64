import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt, halt } from '../../webmachine/index.js';
import type { TagInfo } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { oidSchema, personSchema, requestSchemas, responseSchemas } from '../http/api-schemas.js';
import { IMMUTABLE, urlPath } from '../http/caching.js';
import { pageOf, type Page } from '../http/pagination.js';
import { failureHalt } from '../http/domain-failures.js';

export const tagInputSchema = z
  .object({
    ref: z.string().min(1).max(255),
    message: z.string().min(1).max(100_000),
    tagger: z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict().optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'TagInput' });

export const tagSchema = z
  .object({
    name: z.string(),
    oid: oidSchema.describe('The ref\'s value: the tag object of an annotated tag, else the tagged object'),
    annotated: z.boolean(),
    commit: oidSchema.nullable().describe('The commit the tag finally names (null for a tree or blob)'),
    target: oidSchema.optional(),
    targetType: z.enum(['commit', 'tree', 'blob', 'tag']).optional(),
    tagger: personSchema.optional(),
    message: z.string().optional(),
    links: z.object({ self: z.string(), commit: z.string().optional() }),
  })
  .register(responseSchemas, { id: 'Tag' });
export const tagListSchema = z.object({ tags: z.array(tagSchema) }).register(responseSchemas, { id: 'TagList' });

function tagJson(repo: string, t: TagInfo): z.output<typeof tagSchema> {
  return { ...t, links: { self: `/repos/${repo}/tags/${urlPath(t.name)}`, ...(t.commit ? { commit: `/repos/${repo}/commits/${t.commit}` } : {}) } };
}

/** GET /repos/{repo}/tags: a page of the published versions, by name. */
export class TagsResource extends ApiResource {
  private tags: TagInfo[] = [];

  override async resourceExists(): Promise<boolean | Halt> {
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    // The page is chosen from the names; only its tags are read and described.
    let page: Page<{ name: string; oid: string }> | undefined;
    const listed = await this.api.service.listTags(this.request.params.repo ?? '', (all) => {
      page = pageOf(all, (t) => t.name, q);
      return page.items;
    });
    if (!listed.ok) return failureHalt(listed);
    this.tags = this.answerPage(q, { items: listed.tags, links: (page as Page<unknown>).links });
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.tags.map((t) => [t.name, t.oid]))).update(this.pageLinks).digest('hex');
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  protected override toJson(): string {
    const repo = this.request.params.repo ?? '';
    const body: z.output<typeof tagListSchema> = { tags: this.tags.map((t) => tagJson(repo, t)) };
    return jsonBody(body);
  }
}

/**
 * /repos/{repo}/tags/{tag}: PUT {ref, message} publishes an annotated tag (201); repeating it
 * for the same commit is harmless (200); a tag never moves, so another commit is a 409.
 */
export class TagResource extends ApiResource {
  private tag: TagInfo | undefined;

  private get repo(): string {
    return this.request.params.repo ?? '';
  }

  private get name(): string {
    return this.request.params.tag ?? '';
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const found = await this.api.service.getTag(this.repo, this.name);
    if (found.ok) {
      this.tag = found.tag;
      return true;
    }
    return found.reason === 'not-found' && found.what === 'tag' ? false : failureHalt(found);
  }

  override generateEtag(): string | undefined {
    return this.tag?.oid;
  }

  override cacheControl(): string {
    return this.tag === undefined ? 'no-cache' : IMMUTABLE;
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.acceptPut()]];
  }

  private async acceptPut(): Promise<boolean | Halt> {
    const body = await this.readJson(tagInputSchema);
    if (body instanceof Halt) return body;
    const created = await this.api.service.createTag(this.repo, this.name, { ref: body.ref, message: body.message, tagger: body.tagger, ...this.writer });
    if (!created.ok) {
      if (created.reason === 'conflict') return halt(409, { detail: `Tag ${this.name} already names ${created.current.commit ?? created.current.oid}; a tag never moves.`, current: created.current });
      return failureHalt(created);
    }
    this.tag = created.tag;
    if (created.created) this.response.setHeader('Location', `/repos/${this.repo}/tags/${urlPath(this.name)}`);
    this.response.setHeader('ETag', `"${created.tag.oid}"`);
    this.response.setHeader('Content-Type', 'application/json');
    this.response.body = jsonBody(tagJson(this.repo, created.tag));
    return true;
  }

  protected override toJson(): string {
    return jsonBody(tagJson(this.repo, this.tag!));
  }
}
