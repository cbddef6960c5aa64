import { createHash } from 'node:crypto';
import { type ContentTypesAccepted, Halt } from '../../webmachine/index.js';
import type { Access } from '../auth/authorizer.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { failureHalt } from '../http/domain-failures.js';
import { type RepoSettings, repoSettingsSchema } from '../settings/repo-settings.js';

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
    this.response.body = jsonBody(body);
    return true;
  }

  protected override toJson(): string {
    return jsonBody(this.settings);
  }
}
