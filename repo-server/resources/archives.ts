import type { Readable } from 'node:stream';
import { type ContentTypesProvided, Halt, halt } from '../../webmachine/index.js';
import type { ArchiveFormat } from '../domain/index.js';
import { ApiResource } from '../http/api-resource.js';
import { IMMUTABLE, isCommitId } from '../http/caching.js';
import { failureHalt } from '../http/domain-failures.js';

const FORMATS: Record<ArchiveFormat, string> = { 'tar.gz': 'application/gzip', zip: 'application/zip' };

/**
 * GET /repos/{repo}/archive/{ref}.tar.gz|.zip: the tree of a commit, streamed. The bytes depend
 * only on the commit, so the ETag is the commit id plus the format, and an archive addressed by
 * commit id is cacheable for a year.
 */
export class ArchiveResource extends ApiResource {
  private commit: string | undefined;

  private spec(): { ref: string; format: ArchiveFormat } | undefined {
    const raw = this.request.params.spec ?? '';
    for (const format of Object.keys(FORMATS) as ArchiveFormat[]) {
      if (raw.endsWith(`.${format}`) && raw.length > format.length + 1) return { ref: raw.slice(0, -(format.length + 1)), format };
    }
    return undefined;
  }

  override malformedRequest(): boolean | Halt {
    return this.spec() === undefined ? halt(404, { detail: 'Archives are /archive/{ref}.tar.gz or /archive/{ref}.zip.' }) : false;
  }

  override contentTypesProvided(): ContentTypesProvided {
    const spec = this.spec();
    return spec === undefined ? [['application/octet-stream', () => '']] : [[FORMATS[spec.format], () => this.stream()]];
  }

  // Archives are compressed already; a second content-coding would only cost CPU.
  override encodingsProvided(): readonly string[] {
    return ['identity'];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const resolved = await this.api.service.resolveRef(this.request.params.repo ?? '', this.spec()!.ref);
    if (resolved.ok) {
      this.commit = resolved.commit;
      return true;
    }
    return resolved.reason === 'not-found' && resolved.what !== 'repository' ? false : failureHalt(resolved);
  }

  override generateEtag(): string | undefined {
    return this.commit === undefined ? undefined : `${this.commit}.${this.spec()!.format}`;
  }

  override cacheControl(): string {
    return isCommitId(this.spec()!.ref) ? IMMUTABLE : 'no-cache';
  }

  private async stream(): Promise<Readable | Halt> {
    const repo = this.request.params.repo ?? '';
    const made = await this.api.service.archive(repo, { ref: this.commit!, format: this.spec()!.format });
    if (!made.ok) return failureHalt(made);
    this.response.setHeader('Content-Disposition', `attachment; filename="${made.filename}"`);
    return made.stream;
  }
}
