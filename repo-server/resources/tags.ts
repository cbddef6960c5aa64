import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt, halt } from '../../webmachine/index.js';
import type { TagInfo } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { IMMUTABLE, urlPath } from '../http/caching.js';
import { failureHalt } from '../http/domain-failures.js';

export const tagInputSchema = z
  .object({
    ref: z.string().min(1).max(255),
    message: z.string().min(1).max(100_000),
    tagger: z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict().optional(),
  })
  .strict();

function tagJson(repo: string, t: TagInfo): Record<string, unknown> {
  return { ...t, links: { self: `/repos/${repo}/tags/${urlPath(t.name)}`, ...(t.commit ? { commit: `/repos/${repo}/commits/${t.commit}` } : {}) } };
}

/** GET /repos/{repo}/tags: the published versions. */
export class TagsResource extends ApiResource {
  private tags: TagInfo[] = [];

  override async resourceExists(): Promise<boolean | Halt> {
    const listed = await this.api.service.listTags(this.request.params.repo ?? '');
    if (!listed.ok) return failureHalt(listed);
    this.tags = listed.tags;
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.tags.map((t) => [t.name, t.oid]))).digest('hex');
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  protected override toJson(): string {
    const repo = this.request.params.repo ?? '';
    return jsonBody({ tags: this.tags.map((t) => tagJson(repo, t)) });
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
