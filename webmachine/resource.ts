import type { Outcome } from './halt.js';
import { halt } from './halt.js';
import type { EngineOptions } from './options.js';
import type { Request } from './request.js';
import type { Body, Response } from './response.js';

/** Produces the body for one provided media type (O18). */
export type Producer = () => Outcome<Body | undefined>;
/** Consumes the request body for one accepted media type (accept helper); false means 400. */
export type Acceptor = () => Outcome<boolean>;
/** Re-encodes a text body into a charset (E6 winner). */
export type CharsetConverter = (body: Buffer) => Buffer;

export type ContentTypesProvided = ReadonlyArray<readonly [mediaType: string, producer: Producer]>;
export type ContentTypesAccepted = ReadonlyArray<readonly [mediaType: string, acceptor: Acceptor]>;
export type CharsetsProvided = ReadonlyArray<readonly [charset: string, converter: CharsetConverter]> | null;

// Defaults shared by every instance (read-only lists, so no per-request allocation).
const KNOWN_V3: readonly string[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'OPTIONS']);
const KNOWN_RFC: readonly string[] = Object.freeze([...KNOWN_V3, 'PATCH']);
const GET_HEAD: readonly string[] = Object.freeze(['GET', 'HEAD']);
const IDENTITY: readonly string[] = Object.freeze(['identity']);
const NONE: readonly string[] = Object.freeze([]);
const HELLO: ContentTypesProvided = Object.freeze([Object.freeze(['text/html', () => '<html><body>Hello, world!</body></html>'] as const)]);

/** The outcome of negotiation, readable by producers (`this.chosen.mediaType`...). */
export interface Chosen {
  mediaType?: string;
  charset?: string;
  encoding: string;
  language?: string;
}

export interface ResourceInit {
  request: Request;
  response: Response;
  options: EngineOptions;
}

/**
 * Every callback of the webmachine v3 flow with webmachine's defaults (webmachine-v3.md section
 * 2), plus the RFC 9110 additions (cacheControl, preconditionRequired, acceptRanges). A new
 * instance serves each request, so callbacks may keep what they loaded for later callbacks.
 * Any callback may answer `halt(status)` instead of its value.
 */
export class Resource {
  readonly request: Request;
  readonly response: Response;
  readonly engine: EngineOptions;
  readonly chosen: Chosen = { encoding: 'identity' };

  constructor(init: ResourceInit) {
    this.request = init.request;
    this.response = init.response;
    this.engine = init.options;
  }

  // B column
  serviceAvailable(): Outcome<boolean> {
    return true;
  }

  knownMethods(): Outcome<readonly string[]> {
    return this.engine.profile === 'rfc' ? KNOWN_RFC : KNOWN_V3;
  }

  uriTooLong(): Outcome<boolean> {
    return Buffer.byteLength(this.request.rawUrl) > this.engine.maxUriBytes;
  }

  allowedMethods(): Outcome<readonly string[]> {
    return GET_HEAD;
  }

  /** true: valid; false: 400; undefined: let the engine compare Content-MD5 with the body. */
  validateContentChecksum(): Outcome<boolean | undefined> {
    return undefined;
  }

  malformedRequest(): Outcome<boolean> {
    return false;
  }

  /** true, or the challenge for WWW-Authenticate. */
  isAuthorized(): Outcome<true | string | false> {
    return true;
  }

  forbidden(): Outcome<boolean> {
    return false;
  }

  /** RFC profile: a PUT with Content-Range (partial PUT, unsupported) is a 400 (RFC 9110 14.5). */
  validContentHeaders(): Outcome<boolean> {
    if (this.engine.profile === 'rfc' && this.request.method === 'PUT' && this.request.header('content-range') !== undefined) {
      return halt(400, { detail: 'Partial PUT (Content-Range) is not supported.' });
    }
    return true;
  }

  knownContentType(): Outcome<boolean> {
    return true;
  }

  /** An announced length over the engine's limit is refused before any byte is read (chunked bodies: see Request.bodyStream). */
  validEntityLength(): Outcome<boolean> {
    const length = this.request.contentLength;
    return length === undefined || length <= this.engine.maxBodyBytes;
  }

  /** Extra headers for the OPTIONS answer. */
  options(): Outcome<Record<string, string>> {
    return {};
  }

  // Negotiation (C-F)
  contentTypesProvided(): Outcome<ContentTypesProvided> {
    return HELLO;
  }

  /** Empty: language negotiation off. */
  languagesProvided(): Outcome<readonly string[]> {
    return NONE;
  }

  /** v3 profile's D5. */
  languageAvailable(): Outcome<boolean> {
    return true;
  }

  /** RFC 9110 12.5.4 lets a server ignore an unsatisfiable Accept-Language; true: 406 instead. */
  strictLanguage(): Outcome<boolean> {
    return false;
  }

  /** null: charset negotiation off. */
  charsetsProvided(): Outcome<CharsetsProvided> {
    return null;
  }

  /** Content-codings offered; the engine encodes gzip, deflate and br itself. */
  encodingsProvided(): Outcome<readonly string[]> {
    return IDENTITY;
  }

  variances(): Outcome<readonly string[]> {
    return NONE;
  }

  // Existence and preconditions (G-L)
  resourceExists(): Outcome<boolean> {
    return true;
  }

  /** The opaque part of a strong ETag (no quotes); undefined: none. */
  generateEtag(): Outcome<string | undefined> {
    return undefined;
  }

  lastModified(): Outcome<Date | undefined> {
    return undefined;
  }

  expires(): Outcome<Date | undefined> {
    return undefined;
  }

  /** Cache-Control for 2xx and 304 answers (RFC 9111); undefined: none sent. */
  cacheControl(): Outcome<string | undefined> {
    return undefined;
  }

  /** RFC 6585: unsafe methods on an existing resource without If-Match/IUS get 428. */
  preconditionRequired(): Outcome<boolean> {
    return false;
  }

  /** RFC 9110 section 14: serve single byte ranges of GET bodies of known length. */
  acceptRanges(): Outcome<boolean> {
    return false;
  }

  movedPermanently(): Outcome<string | false> {
    return false;
  }

  movedTemporarily(): Outcome<string | false> {
    return false;
  }

  previouslyExisted(): Outcome<boolean> {
    return false;
  }

  allowMissingPost(): Outcome<boolean> {
    return false;
  }

  // Methods (M-P)
  deleteResource(): Outcome<boolean> {
    return false;
  }

  deleteCompleted(): Outcome<boolean> {
    return true;
  }

  postIsCreate(): Outcome<boolean> {
    return false;
  }

  createPath(): Outcome<string | undefined> {
    return undefined;
  }

  /** scheme://host[:port] for Location; undefined: taken from the request. */
  baseUri(): Outcome<string | undefined> {
    return undefined;
  }

  processPost(): Outcome<boolean> {
    return false;
  }

  contentTypesAccepted(): Outcome<ContentTypesAccepted> {
    return [];
  }

  isConflict(): Outcome<boolean> {
    return false;
  }

  multipleChoices(): Outcome<boolean> {
    return false;
  }

  /** Called once for every response, errors and halts included, before it is written. */
  finishRequest(): Outcome<void> {
    return undefined;
  }
}

export type ResourceFactory = (init: ResourceInit) => Resource;
