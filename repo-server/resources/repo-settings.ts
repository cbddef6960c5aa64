import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type ContentTypesAccepted, Halt } from '../../webmachine/index.js';
import type { Access } from '../auth/authorizer.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { failureHalt } from '../http/domain-failures.js';
import { requestSchemas, responseSchemas } from '../http/api-schemas.js';
import { type RepoSettings, repoSettingsSchema } from '../settings/repo-settings.js';

/** Settings as a PUT sends them (every field optional: its default) and as they are answered (all of them). */
export const settingsInputSchema = repoSettingsSchema.register(requestSchemas, { id: 'SettingsInput' });
export const settingsSchema = z
  .object({ anonymousRead: z.boolean(), protectedBranches: z.array(z.string()), requireFastForward: z.boolean() })
  .register(responseSchemas, { id: 'Settings' });

/** /repos/{repo}/settings: anonymous read and protected branches; repository admins only. */
export class RepoSettingsResource extends ApiResource {
  private settings: RepoSettings | undefined;

  protected override requiredAccess(): Access | null {
    return this.request.method === 'OPTIONS' ? null : { repo: this.request.params.repo, role: 'admin' };
  }

  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'OPTIONS'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const repo = this.request.params.repo ?? '';
    const found = await this.api.service.getRepository(repo);
    if (!found.ok) return failureHalt(found);
    this.settings = await this.api.settings.read(repo);
    return true;
  }

  override generateEtag(): string | undefined {
    return createHash('sha1').update(JSON.stringify(this.settings)).digest('hex');
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.acceptPut()]];
  }

  private async acceptPut(): Promise<boolean | Halt> {
    const body = await this.readJson(repoSettingsSchema);
    if (body instanceof Halt) return body;
    await this.api.settings.write(this.request.params.repo ?? '', body);
    this.settings = body;
    this.response.setHeader('Content-Type', 'application/json');
    const answer: z.output<typeof settingsSchema> = body;
    this.response.body = jsonBody(answer);
    return true;
  }

  protected override toJson(): string {
    const body: z.output<typeof settingsSchema> = this.settings!;
    return jsonBody(body);
  }
}
