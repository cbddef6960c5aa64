import { z } from 'zod';
import { Halt } from '../../webmachine/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { failureHalt } from '../http/domain-failures.js';
import { commitJson } from './commits.js';

const personSchema = z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict();

export const mergeInputSchema = z
  .object({
    base: z.string().min(1).max(255),
    head: z.string().min(1).max(255),
    message: z.string().min(1).max(100_000).optional(),
    author: personSchema.optional(),
    noFastForward: z.boolean().optional(),
    expected: z.string().regex(/^[0-9a-f]{40}$/).optional(),
  })
  .strict();

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
    const merged = await this.api.service.merge(repo, { ...body, actor: this.actor });
    if (!merged.ok) return failureHalt(merged);
    if (merged.outcome === 'up-to-date') return true;
    this.response.setHeader('Location', `/repos/${repo}/commits/${merged.commit.id}`);
    this.response.setHeader('Content-Type', 'application/json');
    this.response.body = jsonBody({ outcome: merged.outcome, previous: merged.previous, commit: commitJson(repo, merged.commit) });
    return true;
  }
}
