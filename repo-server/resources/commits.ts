import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Halt, halt } from '../../webmachine/index.js';
import type { CommitDetails } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { IMMUTABLE } from '../http/caching.js';
import { failureHalt } from '../http/domain-failures.js';

const personSchema = z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict();

export const commitInputSchema = z
  .object({
    branch: z.string().min(1).max(255),
    message: z.string().min(1).max(100_000),
    parent: z.string().regex(/^[0-9a-f]{40}$/).optional(),
    author: personSchema.optional(),
    changes: z
      .array(
        z
          .object({
            path: z.string().min(1).max(4096),
            content: z.string().optional(),
            encoding: z.enum(['utf8', 'base64']).optional(),
            delete: z.literal(true).optional(),
          })
          .strict()
          .refine((c) => (c.delete === true) !== (c.content !== undefined), { message: 'give either content or delete: true' }),
      )
      .min(1)
      .max(10_000),
  })
  .strict();

export function commitJson(repo: string, c: CommitDetails): Record<string, unknown> {
  return {
    id: c.id,
    tree: c.tree,
    parents: c.parents,
    author: c.author,
    committer: c.committer,
    message: c.message,
    links: { self: `/repos/${repo}/commits/${c.id}`, tree: `/repos/${repo}/contents?ref=${c.id}` },
  };
}

/** Content sent in JSON as UTF-8 text or base64; undefined when the base64 is not valid. */
export function decode(content: string, encoding: 'utf8' | 'base64' | undefined): Buffer | undefined {
  if (encoding !== 'base64') return Buffer.from(content, 'utf8');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content) || content.length % 4 !== 0) return undefined;
  return Buffer.from(content, 'base64');
}

/** GET /repos/{repo}/commits (history, Link-paginated) and POST (one atomic commit of many changes). */
export class CommitsResource extends ApiResource {
  private page: { head: string; commits: CommitDetails[]; next: string | null } | undefined;

  private get repo(): string {
    return this.request.params.repo ?? '';
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'POST', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    if (this.request.method === 'POST') {
      const repo = await this.api.service.getRepository(this.repo);
      return repo.ok ? true : failureHalt(repo);
    }
    const q = this.request.query;
    const limitText = q.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (limitText !== null && !/^\d+$/.test(limitText)) return halt(400, { detail: 'limit must be a whole number' });
    const found = await this.api.service.history(this.repo, {
      ref: q.get('ref') ?? undefined,
      path: q.get('path') ?? undefined,
      limit,
      cursor: q.get('cursor') ?? undefined,
    });
    if (!found.ok) return failureHalt(found);
    this.page = found;
    if (found.next !== null) {
      const next = new URLSearchParams(q);
      next.set('cursor', found.next);
      this.response.setHeader('Link', `</repos/${this.repo}/commits?${next.toString()}>; rel="next"`);
    }
    return true;
  }

  override generateEtag(): string | undefined {
    if (this.page === undefined) return undefined;
    return createHash('sha1').update(`${this.page.head}\n${this.request.url.search}`).digest('hex');
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  override async processPost(): Promise<boolean | Halt> {
    const body = await this.readJson(commitInputSchema);
    if (body instanceof Halt) return body;
    const changes = [];
    for (const change of body.changes) {
      if (change.delete === true) {
        changes.push({ path: change.path, delete: true as const });
        continue;
      }
      const content = decode(change.content ?? '', change.encoding);
      if (content === undefined) return halt(400, { detail: `content of ${change.path} is not valid base64` });
      changes.push({ path: change.path, content });
    }
    const result = await this.api.service.commitChanges(this.repo, {
      branch: body.branch,
      message: body.message,
      parent: body.parent,
      author: body.author,
      changes,
      ...this.writer,
    });
    if (!result.ok) {
      // The architecture promises 409 when `parent` is no longer the head.
      if (result.reason === 'stale') return halt(409, { detail: 'parent is no longer the head of the branch; rebase and retry.', current: result.current });
      return failureHalt(result);
    }
    this.response.setHeader('Location', `/repos/${this.repo}/commits/${result.commit.id}`);
    this.response.setHeader('Content-Type', 'application/json');
    this.response.body = jsonBody({ ...commitJson(this.repo, result.commit), branch: result.branch, files: result.files });
    return true;
  }

  protected override toJson(): string {
    return jsonBody({ commits: this.page!.commits.map((c) => commitJson(this.repo, c)), next: this.page!.next });
  }
}

/** GET /repos/{repo}/commits/{id}: a commit never changes, so it is cacheable for a year. */
export class CommitResource extends ApiResource {
  private commit: CommitDetails | undefined;

  override async resourceExists(): Promise<boolean | Halt> {
    const found = await this.api.service.getCommit(this.request.params.repo ?? '', this.request.params.id ?? '');
    if (found.ok) {
      this.commit = found.commit;
      return true;
    }
    return found.reason === 'not-found' && found.what === 'commit' ? false : failureHalt(found);
  }

  override generateEtag(): string | undefined {
    return this.commit?.id;
  }

  override lastModified(): Date | undefined {
    return this.commit === undefined ? undefined : new Date(this.commit.committer.timestamp * 1000);
  }

  override cacheControl(): string {
    // An abbreviated id may become ambiguous later; only the full id is forever.
    return this.request.params.id === this.commit?.id ? IMMUTABLE : 'no-cache';
  }

  protected override toJson(): string {
    return jsonBody(commitJson(this.request.params.repo ?? '', this.commit!));
  }
}
