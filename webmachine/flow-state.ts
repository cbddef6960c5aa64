import { type EntityTag, isValidOpaqueTag } from './etag.js';
import { Halt, type Outcome } from './halt.js';
import { andThen, type Maybe, Memo } from './maybe.js';
import type { EngineOptions } from './options.js';
import type { Request } from './request.js';
import type { CharsetsProvided, ContentTypesProvided, Resource } from './resource.js';
import type { Response } from './response.js';

/** Thrown inside the flow when a callback answered Halt; caught by the runner. */
export class HaltSignal {
  constructor(readonly halt: Halt) {}
}

function unwrap<T>(answer: T | Halt): T {
  if (answer instanceof Halt) throw new HaltSignal(answer);
  return answer;
}

/** RFC 9110 has no escaping inside entity-tags; a quote would produce a broken header. */
function checkTag(tag: string | undefined): string | undefined {
  if (tag !== undefined && !isValidOpaqueTag(tag)) throw new Error(`generate_etag returned an invalid entity-tag: ${JSON.stringify(tag)}`);
  return tag;
}

/** Last-Modified, clamped to now (it must not be later than Date, RFC 9110 8.8.2.1). */
function clampToNow(date: Date | undefined): Date | undefined {
  if (date === undefined) return undefined;
  const now = Date.now();
  return date.getTime() > now ? new Date(now) : date;
}

/**
 * What one request carries through the graph: the resource, the request and response, the
 * trace of visited nodes, and per-request memos of callbacks the diagram consults several times
 * (content_types_provided at C3/C4/G7/O18, the language, charset and coding lists at D-F/G7 and
 * body encoding, allowed_methods at B10/B3, generate_etag at G11/K13/O18/304, last_modified at
 * H12/L17/O18), so they are evaluated once and stay stable within the request.
 */
export class FlowState {
  readonly trace: string[] = [];
  readonly rfc: boolean;
  readonly method: string;
  readonly isGetOrHead: boolean;
  /** RFC profile's deferred H7: If-Match on a missing resource fails only where a 2xx was coming. */
  deferredIfMatchFailure = false;
  /** RFC 9110 9.3.4: a PUT that created the resource answers 201. */
  createdByPut = false;
  private readonly providedMemo = new Memo<ContentTypesProvided>();
  private readonly languagesMemo = new Memo<readonly string[]>();
  private readonly charsetsMemo = new Memo<CharsetsProvided>();
  private readonly encodingsMemo = new Memo<readonly string[]>();
  private readonly allowedMemo = new Memo<readonly string[]>();
  private readonly etagMemo = new Memo<string | undefined>();
  private readonly lastModifiedMemo = new Memo<Date | undefined>();

  constructor(
    readonly resource: Resource,
    readonly req: Request,
    readonly res: Response,
    readonly opts: EngineOptions,
  ) {
    this.rfc = opts.profile === 'rfc';
    this.method = req.method;
    this.isGetOrHead = this.method === 'GET' || this.method === 'HEAD';
  }

  /**
   * Unwraps a callback's answer, turning a Halt into the signal that ends the flow. Plain answers
   * stay synchronous; promises are awaited by the caller.
   */
  ask<T>(value: Outcome<T>): Maybe<T> {
    return value instanceof Promise ? value.then(unwrap) : unwrap(value);
  }

  provided(): Maybe<ContentTypesProvided> {
    return this.providedMemo.get(() => this.ask(this.resource.contentTypesProvided()));
  }

  languages(): Maybe<readonly string[]> {
    return this.languagesMemo.get(() => this.ask(this.resource.languagesProvided()));
  }

  charsets(): Maybe<CharsetsProvided> {
    return this.charsetsMemo.get(() => this.ask(this.resource.charsetsProvided()));
  }

  encodings(): Maybe<readonly string[]> {
    return this.encodingsMemo.get(() => this.ask(this.resource.encodingsProvided()));
  }

  allowedMethods(): Maybe<readonly string[]> {
    return this.allowedMemo.get(() => this.ask(this.resource.allowedMethods()));
  }

  etag(): Maybe<string | undefined> {
    return this.etagMemo.get(() => andThen(this.ask(this.resource.generateEtag()), checkTag));
  }

  lastModified(): Maybe<Date | undefined> {
    return this.lastModifiedMemo.get(() => andThen(this.ask(this.resource.lastModified()), clampToNow));
  }

  /**
   * The tags the current representation answers to: the identity tag, and (rfc) the tag of the
   * content-coded variant, which must differ because a strong tag promises identical bytes.
   */
  currentTags(): Maybe<EntityTag[]> {
    return andThen(this.etag(), (tag) => {
      if (tag === undefined) return [];
      const tags = [{ weak: false, opaque: tag }];
      const variant = this.variantTag(tag);
      if (variant !== tag) tags.push({ weak: false, opaque: variant });
      return tags;
    });
  }

  /** The tag emitted for the chosen content-coding. */
  variantTag(tag: string): string {
    const encoding = this.resource.chosen.encoding;
    return this.rfc && encoding !== 'identity' ? `${tag}-${encoding}` : tag;
  }
}
