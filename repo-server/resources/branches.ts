import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt, halt } from '../../webmachine/index.js';
import type { Branch } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { oidSchema, requestSchemas, responseSchemas } from '../http/api-schemas.js';
import { urlPath } from '../http/caching.js';
import { pageOf } from '../http/pagination.js';
import { failureHalt } from '../http/domain-failures.js';
import { problemType } from '../http/problem-types.js';

export const branchInputSchema = z
  .object({
    from: z.string().min(1).max(255).optional(),
    commit: z.string().min(1).max(255).optional(),
    force: z.boolean().optional(),
  })
  .strict()
  .register(requestSchemas, { id: 'BranchInput' });

export const branchSchema = z
  .object({ name: z.string(), commit: oidSchema, links: z.object({ self: z.string(), commit: z.string() }) })
  .register(responseSchemas, { id: 'Branch' });
export const branchListSchema = z.object({ branches: z.array(branchSchema) }).register(responseSchemas, { id: 'BranchList' });

function branchJson(repo: string, b: Branch): z.output<typeof branchSchema> {
  return { name: b.name, commit: b.commit, links: { self: `/repos/${repo}/branches/${urlPath(b.name)}`, commit: `/repos/${repo}/commits/${b.commit}` } };
}

/** GET /repos/{repo}/branches: a page of the branches, by name. */
export class BranchesResource extends ApiResource {
  private branches: Branch[] = [];

  override async resourceExists(): Promise<boolean | Halt> {
    const q = this.pageQuery();
    if (q instanceof Halt) return q;
    const listed = await this.api.service.listBranches(this.request.params.repo ?? '');
    if (!listed.ok) return failureHalt(listed);
    this.branches = this.answerPage(q, pageOf(listed.branches, (b) => b.name, q));
    return true;
  }

  override generateEtag(): string {
    return createHash('sha1').update(JSON.stringify(this.branches)).update(this.pageLinks).digest('hex');
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  protected override toJson(): string {
    const repo = this.request.params.repo ?? '';
    const body: z.output<typeof branchListSchema> = { branches: this.branches.map((b) => branchJson(repo, b)) };
    return jsonBody(body);
  }
}

/**
 * /repos/{repo}/branches/{branch}: ETag is the commit id, so If-Match "<old id>" on a move is a
 * compare-and-swap; moves and deletes without a precondition get 428.
 */
export class BranchResource extends ApiResource {
  private branch: Branch | undefined;

  private get repo(): string {
    return this.request.params.repo ?? '';
  }

  private get name(): string {
    return this.request.params.branch ?? '';
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const found = await this.api.service.getBranch(this.repo, this.name);
    if (found.ok) {
      this.branch = found.branch;
      return true;
    }
    if (found.reason === 'not-found' && found.what === 'branch') return false;
    return failureHalt(found);
  }

  override generateEtag(): string | undefined {
    return this.branch?.commit;
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  override preconditionRequired(): boolean {
    return true;
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.acceptPut()]];
  }

  private async acceptPut(): Promise<boolean | Halt> {
    const body = await this.readJson(branchInputSchema);
    if (body instanceof Halt) return body;
    const actor = this.actor;
    if (this.branch === undefined) {
      const from = body.from ?? body.commit;
      if (from === undefined) return halt(400, { detail: 'Creating a branch needs {"from": "<branch, tag or commit>"}.' });
      const created = await this.api.service.createBranch(this.repo, this.name, { from, actor });
      if (!created.ok) return failureHalt(created);
      this.branch = created.branch;
      this.response.setHeader('Location', `/repos/${this.repo}/branches/${urlPath(this.name)}`);
    } else {
      if (body.commit === undefined) return halt(400, { detail: 'Moving a branch needs {"commit": "<id>"}.' });
      // On a protected branch with requireFastForward, REST moves obey the rule git pushes obey.
      const { isProtected, requireFastForward } = await this.protection();
      const fastForwardOnly = requireFastForward && isProtected;
      const force = (body.force ?? false) && !fastForwardOnly;
      const moved = await this.api.service.moveBranch(this.repo, this.name, {
        commit: body.commit,
        expected: this.branch.commit,
        force,
        actor,
      });
      if (!moved.ok) return failureHalt(moved);
      this.branch = moved.branch;
    }
    this.response.setHeader('ETag', `"${this.branch.commit}"`);
    this.response.setHeader('Content-Type', 'application/json');
    this.response.body = jsonBody(branchJson(this.repo, this.branch));
    return true;
  }

  private async protection(): Promise<{ isProtected: boolean; requireFastForward: boolean }> {
    const settings = await this.api.settings.read(this.repo);
    return { isProtected: this.api.settings.isProtected(settings, this.name), requireFastForward: settings.requireFastForward };
  }

  override async deleteResource(): Promise<boolean | Halt> {
    if ((await this.protection()).isProtected) {
      return halt(409, { type: problemType('protected-branch'), title: 'Protected branch', detail: `${this.name} is protected: it cannot be deleted.` });
    }
    const deleted = await this.api.service.deleteBranch(this.repo, this.name, { expected: this.branch?.commit, actor: this.actor });
    return deleted.ok ? true : failureHalt(deleted);
  }

  protected override toJson(): string {
    return jsonBody(branchJson(this.repo, this.branch!));
  }
}
