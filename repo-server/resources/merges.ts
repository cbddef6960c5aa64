import { z } from 'zod';
import { Halt, halt } from '../../webmachine/index.js';
import type { Resolution } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { oidSchema, requestSchemas, responseSchemas } from '../http/api-schemas.js';
import { failureHalt } from '../http/domain-failures.js';
import { commitJson, commitSchema, decode, personInputSchema as personSchema } from './commits.js';
import { threeDotSpec } from './compare.js';

export const mergedSchema = z
  .object({
    outcome: z.enum(['merged', 'fast-forward']),
    previous: oidSchema.describe('The base branch\'s head before'),
    commit: commitSchema,
  })
  .register(responseSchemas, { id: 'Merged' });

const sideSchema = z.object({ id: oidSchema, mode: z.string(), type: z.enum(['blob', 'tree', 'commit']) }).nullable();
const regionSchema = z.union([
  z.object({ kind: z.literal('resolved'), lines: z.array(z.string()) }),
  z.object({ kind: z.literal('conflict'), base: z.array(z.string()), ours: z.array(z.string()), theirs: z.array(z.string()) }),
]);

export const mergePreviewSchema = z
  .object({
    base: oidSchema,
    head: oidSchema,
    baseRef: z.string(),
    headRef: z.string(),
    mergeBases: z.array(oidSchema),
    status: z.enum(['up-to-date', 'fast-forward', 'clean', 'conflicts']),
    cause: z.enum(['content', 'multiple-merge-bases', 'unrelated-histories', 'unresolved']).optional(),
    detail: z.string().optional(),
    conflicts: z.array(
      z.object({
        path: z.string(),
        kind: z.enum(['content', 'add-add', 'binary', 'modify-delete', 'file-folder', 'mode', 'symlink', 'submodule']),
        base: sideSchema,
        ours: sideSchema,
        theirs: sideSchema,
        regions: z.array(regionSchema).nullable(),
      }),
    ),
  })
  .register(responseSchemas, { id: 'MergePreview' });

export const mergeInputSchema = z
  .object({
    base: z.string().min(1).max(255),
    head: z.string().min(1).max(255),
    message: z.string().min(1).max(100_000).optional(),
    author: personSchema.optional(),
    noFastForward: z.boolean().optional(),
    expected: z.string().regex(/^[0-9a-f]{40}$/).optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'MergeInput' });

/**
 * POST /repos/{repo}/merges: merges head into the base branch on the server. 201 with the merge
 * commit (or the fast-forward result), 204 when head is already in base, 409 listing every
 * conflicting path with no ref moved and nothing left behind.
 */
export class MergesResource extends ApiResource {
  override allowedMethods(): string[] {
    return ['POST', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const repo = await this.api.service.getRepository(this.request.params.repo ?? '');
    return repo.ok ? true : failureHalt(repo);
  }

  override async processPost(): Promise<boolean | Halt> {
    const body = await this.readJson(mergeInputSchema);
    if (body instanceof Halt) return body;
    const repo = this.request.params.repo ?? '';
    const merged = await this.api.service.merge(repo, { ...body, ...this.writer });
    if (!merged.ok) return failureHalt(merged);
    if (merged.outcome === 'up-to-date') return true;
    this.response.setHeader('Location', `/repos/${repo}/commits/${merged.commit.id}`);
    this.response.setHeader('Content-Type', 'application/json');
    const answer: z.output<typeof mergedSchema> = { outcome: merged.outcome, previous: merged.previous, commit: commitJson(repo, merged.commit) };
    this.response.body = jsonBody(answer);
    return true;
  }
}

export const resolvedMergeSchema = z
  .object({
    message: z.string().min(1).max(100_000).optional(),
    author: personSchema.optional(),
    resolutions: z
      .array(
        z
          .object({
            path: z.string().min(1).max(4096),
            take: z.enum(['ours', 'theirs']).optional(),
            // Well-formed Unicode, as every JSON text (JsonResource.readJson refuses a lone surrogate).
            content: z.string().optional(),
            encoding: z.enum(['utf8', 'base64']).optional(),
            delete: z.literal(true).optional(),
          })
          .strict()
          .refine((r) => [r.take, r.content, r.delete].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of take, content or delete: true' }),
      )
      .max(10_000),
  })
  .strict()
  .register(requestSchemas, { id: 'MergeResolution' });

/**
 * /repos/{repo}/merges/{base}...{head}: one merge of head into the base branch. GET answers what
 * it would do now, with every conflicting path as it is on the common base, ours and theirs and a
 * text file's three-way regions; its ETag names both commits. POST commits it with the author's
 * resolutions (one per conflicting path) as a merge commit whose parents are those two commits,
 * and only with If-Match naming them (428 without, 412 when either moved).
 */
export class MergeResource extends ApiResource {
  private heads: { base: string; head: string } | undefined;

  private spec(): { base: string; head: string } | undefined {
    return threeDotSpec(this.request.params.spec ?? '');
  }

  private get repo(): string {
    return this.request.params.repo ?? '';
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'POST', 'OPTIONS'];
  }

  override malformedRequest(): boolean | Halt {
    return this.spec() === undefined ? halt(400, { detail: 'Name the merge as /merges/{base}...{head} (three dots): the branch to merge into, then the branch, tag or commit to merge.' }) : false;
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const { base, head } = this.spec()!;
    const found = await this.api.service.mergeHeads(this.repo, base, head);
    if (!found.ok) return failureHalt(found);
    this.heads = { base: found.base, head: found.head };
    return true;
  }

  override generateEtag(): string | undefined {
    return this.heads === undefined ? undefined : `merge-${this.heads.base}-${this.heads.head}`;
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  override preconditionRequired(): boolean {
    return true;
  }

  protected override async toJson(): Promise<string | Halt> {
    const preview = await this.api.service.previewMerge(this.repo, this.heads!.base, this.heads!.head);
    if (!preview.ok) return failureHalt(preview);
    const { ok: _ok, ...rest } = preview;
    const { base, head } = this.spec()!;
    const body: z.output<typeof mergePreviewSchema> = { ...rest, baseRef: base, headRef: head };
    return jsonBody(body);
  }

  override async processPost(): Promise<boolean | Halt> {
    const body = await this.readJson(resolvedMergeSchema);
    if (body instanceof Halt) return body;
    const resolutions = new Map<string, Resolution>();
    for (const r of body.resolutions) {
      if (resolutions.has(r.path)) return halt(400, { detail: `${r.path} is resolved twice` });
      if (r.take !== undefined) resolutions.set(r.path, { take: r.take });
      else if (r.delete === true) resolutions.set(r.path, { delete: true });
      else {
        const content = decode(r.content ?? '', r.encoding);
        if (content === undefined) return halt(400, { detail: `content of ${r.path} is not valid base64` });
        resolutions.set(r.path, { content });
      }
    }
    const { base, head } = this.spec()!;
    const merged = await this.api.service.merge(this.repo, {
      base,
      // Exactly the two commits the author resolved against: If-Match has vouched for both.
      head: this.heads!.head,
      expected: this.heads!.base,
      message: body.message ?? `Merge ${head} into ${base}`,
      author: body.author,
      noFastForward: false,
      resolutions,
      ...this.writer,
    });
    if (!merged.ok) return failureHalt(merged);
    if (merged.outcome === 'up-to-date') return true;
    this.response.setHeader('Location', `/repos/${this.repo}/commits/${merged.commit.id}`);
    this.response.setHeader('Content-Type', 'application/json');
    const answer: z.output<typeof mergedSchema> = { outcome: merged.outcome, previous: merged.previous, commit: commitJson(this.repo, merged.commit) };
    this.response.body = jsonBody(answer);
    return true;
  }
}
