import { type ContentTypesProvided, Halt, halt } from '../../webmachine/index.js';
import type { CompareResult } from '../domain/index.js';
import { z } from 'zod';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { oidSchema, responseSchemas } from '../http/api-schemas.js';
import { IMMUTABLE, isCommitId } from '../http/caching.js';
import { failureHalt } from '../http/domain-failures.js';

type Comparison = Extract<CompareResult, { ok: true }>;

const modeSchema = z.enum(['100644', '100755', '120000', '160000', '040000']).nullable();

export const comparisonSchema = z
  .object({
    base: oidSchema,
    head: oidSchema,
    mergeBase: oidSchema.nullable(),
    mergeBases: z.array(oidSchema),
    aheadBy: z.number().int().min(0),
    behindBy: z.number().int().min(0),
    status: z.enum(['identical', 'ahead', 'behind', 'diverged']),
    files: z.array(z.object({ path: z.string(), status: z.enum(['added', 'modified', 'deleted']), oldBlob: oidSchema.nullable(), newBlob: oidSchema.nullable(), oldMode: modeSchema, newMode: modeSchema })),
  })
  .register(responseSchemas, { id: 'Comparison' });

/** "{base}...{head}" as its two names; undefined when either is missing. */
export function threeDotSpec(raw: string): { base: string; head: string } | undefined {
  const at = raw.indexOf('...');
  if (at <= 0 || at + 3 >= raw.length) return undefined;
  return { base: raw.slice(0, at), head: raw.slice(at + 3) };
}

/**
 * GET /repos/{repo}/compare/{base}...{head}: ahead/behind, merge base and changed files as JSON,
 * or `Accept: text/x-diff` for the unified diff (git diff base...head).
 */
export class CompareResource extends ApiResource {
  private comparison: Comparison | undefined;

  private spec(): { base: string; head: string } | undefined {
    return threeDotSpec(this.request.params.spec ?? '');
  }

  override malformedRequest(): boolean | Halt {
    return this.spec() === undefined ? halt(400, { detail: 'Compare as /compare/{base}...{head} (three dots).' }) : false;
  }

  override contentTypesProvided(): ContentTypesProvided {
    return [
      ['application/json', () => this.toJson()],
      ['text/x-diff', () => this.diff()],
    ];
  }

  override async resourceExists(): Promise<boolean | Halt> {
    const { base, head } = this.spec()!;
    const found = await this.api.service.compare(this.request.params.repo ?? '', base, head);
    if (!found.ok) return failureHalt(found);
    this.comparison = found;
    return true;
  }

  override generateEtag(): string | undefined {
    if (this.comparison === undefined) return undefined;
    const kind = this.chosen.mediaType === 'text/x-diff' ? 'diff' : 'json';
    return `${kind}-${this.comparison.base}-${this.comparison.head}`;
  }

  override cacheControl(): string {
    const { base, head } = this.spec()!;
    return isCommitId(base) && isCommitId(head) ? IMMUTABLE : 'no-cache';
  }

  private async diff(): Promise<Buffer | Halt> {
    const c = this.comparison!;
    const found = await this.api.service.compareDiff(this.request.params.repo ?? '', c.base, c.head);
    return found.ok ? found.diff : failureHalt(found);
  }

  protected override toJson(): string {
    const { ok: _ok, ...c } = this.comparison!;
    const body: z.output<typeof comparisonSchema> = c;
    return jsonBody(body);
  }
}
