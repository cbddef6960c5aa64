import { type EntityTag, isValidOpaqueTag } from './etag.js';
import { Halt, type Outcome } from './halt.js';
import type { EngineOptions } from './options.js';
import type { Request } from './request.js';
import type { ContentTypesProvided, Resource } from './resource.js';
import type { Response } from './response.js';

/** Thrown inside the flow when a callback answered Halt; caught by the runner. */
export class HaltSignal {
  constructor(readonly halt: Halt) {}
}

/**
 * What one request carries through the graph: the resource, the request and response, the
 * trace of visited nodes, and per-request memos of callbacks the diagram consults several times
 * (content_types_provided at C3/C4/G7/O18, generate_etag at G11/K13/O18/304, last_modified at
 * H12/L17/O18), so they are evaluated once and stay stable within the request.
 */
export class FlowState {
  readonly trace: string[] = [];
  /** RFC profile's deferred H7: If-Match on a missing resource fails only where a 2xx was coming. */
  deferredIfMatchFailure = false;
  /** RFC 9110 9.3.4: a PUT that created the resource answers 201. */
  createdByPut = false;
  private providedMemo: Promise<ContentTypesProvided> | undefined;
  private etagMemo: Promise<string | undefined> | undefined;
  private lastModifiedMemo: Promise<Date | undefined> | undefined;

  constructor(
    readonly resource: Resource,
    readonly req: Request,
    readonly res: Response,
    readonly opts: EngineOptions,
  ) {}

  get rfc(): boolean {
    return this.opts.profile === 'rfc';
  }

  get method(): string {
    return this.req.method;
  }

  get isGetOrHead(): boolean {
    return this.req.method === 'GET' || this.req.method === 'HEAD';
  }

  /** Unwraps a callback's answer, turning a Halt into the signal that ends the flow. */
  async ask<T>(value: Outcome<T>): Promise<T> {
    const answer = await value;
    if (answer instanceof Halt) throw new HaltSignal(answer);
    return answer;
  }

  provided(): Promise<ContentTypesProvided> {
    this.providedMemo ??= this.ask(this.resource.contentTypesProvided());
    return this.providedMemo;
  }

  etag(): Promise<string | undefined> {
    this.etagMemo ??= this.ask(this.resource.generateEtag()).then((tag) => {
      // RFC 9110 has no escaping inside entity-tags; a quote would produce a broken header.
      if (tag !== undefined && !isValidOpaqueTag(tag)) throw new Error(`generate_etag returned an invalid entity-tag: ${JSON.stringify(tag)}`);
      return tag;
    });
    return this.etagMemo;
  }

  /**
   * The tags the current representation answers to: the identity tag, and (rfc) the tag of the
   * content-coded variant, which must differ because a strong tag promises identical bytes.
   */
  async currentTags(): Promise<EntityTag[]> {
    const tag = await this.etag();
    if (tag === undefined) return [];
    const tags = [{ weak: false, opaque: tag }];
    const variant = this.variantTag(tag);
    if (variant !== tag) tags.push({ weak: false, opaque: variant });
    return tags;
  }

  /** The tag emitted for the chosen content-coding. */
  variantTag(tag: string): string {
    const encoding = this.resource.chosen.encoding;
    return this.rfc && encoding !== 'identity' ? `${tag}-${encoding}` : tag;
  }

  /** Last-Modified, clamped to now (it must not be later than Date, RFC 9110 8.8.2.1). */
  lastModified(): Promise<Date | undefined> {
    this.lastModifiedMemo ??= this.ask(this.resource.lastModified()).then((date) => {
      if (date === undefined) return undefined;
      const now = Date.now();
      return date.getTime() > now ? new Date(now) : date;
    });
    return this.lastModifiedMemo;
  }
}
