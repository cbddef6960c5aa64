import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Halt, halt } from '../../webmachine/index.js';
import type { CommitDetails } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { oidSchema, personSchema, requestSchemas, responseSchemas } from '../http/api-schemas.js';
import { IMMUTABLE } from '../http/caching.js';
import { failureHalt } from '../http/domain-failures.js';
import { encodeCursor, type PageLinks } from '../http/pagination.js';

/** History pages continue where the walk stopped: the only cursor it issues. */
const WALK = ['at'] as const;

/** Who a commit, merge or tag is by, as a client gives it (the time is the service's). */
export const personInputSchema = z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict();

export const commitInputSchema = z
  .object({
    branch: z.string().min(1).max(255),
    message: z.string().min(1).max(100_000),
    parent: z.string().regex(/^[0-9a-f]{40}$/).optional(),
    author: personInputSchema.optional(),
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
  .strict()
  .register(requestSchemas, { id: 'CommitInput' });

export const commitSchema = z
  .object({
    id: oidSchema,
    tree: oidSchema,
    parents: z.array(oidSchema),
    author: personSchema,
    committer: personSchema,
    message: z.string(),
    links: z.object({ self: z.string(), tree: z.string() }),
  })
  .register(responseSchemas, { id: 'Commit' });

export const commitPageSchema = z
  .object({
    commits: z.array(commitSchema),
    next: z.string().nullable().describe('The cursor of the next page (as in the Link header), null on the last'),
  })
  .register(responseSchemas, { id: 'CommitPage' });

export const createdCommitSchema = commitSchema
  .extend({
    branch: z.string(),
    files: z.array(z.object({ path: z.string(), action: z.enum(['created', 'replaced', 'deleted']), blob: oidSchema.nullable() })),
  })
  .register(responseSchemas, { id: 'CreatedCommit' });

export function commitJson(repo: string, c: CommitDetails): z.output<typeof commitSchema> {
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

/**
 * GET /repos/{repo}/commits (history, paginated by an opaque cursor that carries where the walk
 * stopped) and POST (one atomic commit of many changes).
 */
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
    const page = this.pageQuery(WALK);
    if (page instanceof Halt) return page;
    const q = this.request.query;
    const found = await this.api.service.history(this.repo, {
      ref: q.get('ref') ?? undefined,
      path: q.get('path') ?? undefined,
      limit: page.perPage,
      cursor: page.cursor !== null && 'at' in page.cursor ? page.cursor.at : undefined,
    });
    if (!found.ok) return failureHalt(found);
    const links: PageLinks = { first: null, ...(found.next === null ? {} : { next: { at: found.next } }) };
    this.page = { ...found, commits: this.answerPage(page, { items: found.commits, links }) };
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
    const created: z.output<typeof createdCommitSchema> = { ...commitJson(this.repo, result.commit), branch: result.branch, files: result.files };
    this.response.body = jsonBody(created);
    return true;
  }

  protected override toJson(): string {
    const { commits, next } = this.page!;
    const body: z.output<typeof commitPageSchema> = { commits: commits.map((c) => commitJson(this.repo, c)), next: next === null ? null : encodeCursor({ at: next }) };
    return jsonBody(body);
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
