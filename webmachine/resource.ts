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
 * Every callback of the webmachine v3 flow with webmachine's defaults, each documented with its
 * node, its default and what its answer leads to, plus the RFC 9110 additions (cacheControl,
 * preconditionRequired, acceptRanges, strictLanguage). A new
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
  /** B13. Default true; false: 503 (halt with Retry-After to say when to come back). */
  serviceAvailable(): Outcome<boolean> {
    return true;
  }

  /**
   * B12. Default: the methods of the profile (v3: GET HEAD POST PUT DELETE TRACE CONNECT OPTIONS;
   * rfc adds PATCH); another method: 501.
   */
  knownMethods(): Outcome<readonly string[]> {
    return this.engine.profile === 'rfc' ? KNOWN_RFC : KNOWN_V3;
  }

  /** B11. Default: the request-target is longer than EngineOptions.maxUriBytes; true: 414. */
  uriTooLong(): Outcome<boolean> {
    return Buffer.byteLength(this.request.rawUrl) > this.engine.maxUriBytes;
  }

  /** B10. Default GET, HEAD; a method not listed: 405 with Allow. */
  allowedMethods(): Outcome<readonly string[]> {
    return GET_HEAD;
  }

  /** B9a. Default undefined: the engine compares Content-MD5 with the body; true: valid; false: 400. */
  validateContentChecksum(): Outcome<boolean | undefined> {
    return undefined;
  }

  /** B9b. Default false; true: 400. */
  malformedRequest(): Outcome<boolean> {
    return false;
  }

  /**
   * B8. Default true; a string: 401 with it as WWW-Authenticate (the rfc profile requires a
   * challenge); false: 401.
   */
  isAuthorized(): Outcome<true | string | false> {
    return true;
  }

  /** B7. Default false; true: 403. */
  forbidden(): Outcome<boolean> {
    return false;
  }

  /** B6. Default true (the rfc profile refuses a partial PUT with 400); false: 501. */
  validContentHeaders(): Outcome<boolean> {
    if (this.engine.profile === 'rfc' && this.request.method === 'PUT' && this.request.header('content-range') !== undefined) {
      return halt(400, { detail: 'Partial PUT (Content-Range) is not supported.' });
    }
    return true;
  }

  /** B5. Default true; false: 415. */
  knownContentType(): Outcome<boolean> {
    return true;
  }

  /**
   * B4. Default: an announced length within EngineOptions.maxBodyBytes (chunked bodies are cut off
   * while read, see Request.bodyStream); false: 413.
   */
  validEntityLength(): Outcome<boolean> {
    const length = this.request.contentLength;
    return length === undefined || length <= this.engine.maxBodyBytes;
  }

  /** B3, for OPTIONS only. Default none: extra headers for the 200 (the rfc profile adds Allow). */
  options(): Outcome<Record<string, string>> {
    return {};
  }

  // Negotiation (C-F)
  /**
   * C3/C4. Default text/html ("Hello, world"): the media types and their producers; none
   * acceptable: 406.
   */
  contentTypesProvided(): Outcome<ContentTypesProvided> {
    return HELLO;
  }

  /** D4/D5. Default empty: language negotiation off. */
  languagesProvided(): Outcome<readonly string[]> {
    return NONE;
  }

  /** D5 in the v3 profile. Default true; false: 406. */
  languageAvailable(): Outcome<boolean> {
    return true;
  }

  /**
   * D5 in the rfc profile. Default false (RFC 9110 12.5.4 lets a server ignore an unsatisfiable
   * Accept-Language); true: 406 instead.
   */
  strictLanguage(): Outcome<boolean> {
    return false;
  }

  /**
   * E5/E6. Default null: charset negotiation off; otherwise the charsets and converters, none
   * acceptable: 406.
   */
  charsetsProvided(): Outcome<CharsetsProvided> {
    return null;
  }

  /**
   * F6/F7. Default identity only; the engine encodes gzip, deflate and br itself; none acceptable:
   * 406.
   */
  encodingsProvided(): Outcome<readonly string[]> {
    return IDENTITY;
  }

  /** Default none: headers added to Vary beyond those negotiation already names. */
  variances(): Outcome<readonly string[]> {
    return NONE;
  }

  // Existence and preconditions (G-L)
  /** G7. Default true; false leads through H7, I7, K7, L7 to 404, 410, 301/307, 201 or 412. */
  resourceExists(): Outcome<boolean> {
    return true;
  }

  /**
   * G11/K13 and the ETag header. Default undefined: none; the opaque part of a strong ETag (no
   * quotes).
   */
  generateEtag(): Outcome<string | undefined> {
    return undefined;
  }

  /** H12/L17 and Last-Modified. Default undefined: none. */
  lastModified(): Outcome<Date | undefined> {
    return undefined;
  }

  /** The Expires header. Default undefined: none. */
  expires(): Outcome<Date | undefined> {
    return undefined;
  }

  /** Cache-Control of 2xx and 304 answers (RFC 9111). Default undefined: none sent. */
  cacheControl(): Outcome<string | undefined> {
    return undefined;
  }

  /**
   * G7a (RFC 6585). Default false; true: an unsafe method on an existing resource without If-Match
   * or If-Unmodified-Since gets 428.
   */
  preconditionRequired(): Outcome<boolean> {
    return false;
  }

  /**
   * RFC 9110 section 14. Default false; true: single byte ranges of GET bodies of known length
   * (206, 416).
   */
  acceptRanges(): Outcome<boolean> {
    return false;
  }

  /** I4/K5. Default false; a URI: 301 with Location. */
  movedPermanently(): Outcome<string | false> {
    return false;
  }

  /** L5. Default false; a URI: 307 with Location. */
  movedTemporarily(): Outcome<string | false> {
    return false;
  }

  /** K7. Default false; true (and not moved): 410. */
  previouslyExisted(): Outcome<boolean> {
    return false;
  }

  /** M7/N5. Default false; true: a POST to a missing resource is processed (else 404 or 410). */
  allowMissingPost(): Outcome<boolean> {
    return false;
  }

  // Methods (M-P)
  /** M20. Default false: 500; true: deleted (or accepted, see deleteCompleted). */
  deleteResource(): Outcome<boolean> {
    return false;
  }

  /** M20b. Default true: 204 (or 200 with a body); false: 202 (accepted, not yet done). */
  deleteCompleted(): Outcome<boolean> {
    return true;
  }

  /**
   * N11. Default false: processPost handles the POST; true: createPath names the new resource and
   * the body is accepted there (201).
   */
  postIsCreate(): Outcome<boolean> {
    return false;
  }

  /** N11 when postIsCreate. Default undefined (an error): the new resource's path, Location of the 201. */
  createPath(): Outcome<string | undefined> {
    return undefined;
  }

  /** Default undefined: scheme://host[:port] for Location, taken from the request. */
  baseUri(): Outcome<string | undefined> {
    return undefined;
  }

  /** N11 when not postIsCreate. Default false: an error (500); true: processed (with response.redirect set, 303). */
  processPost(): Outcome<boolean> {
    return false;
  }

  /** The acceptor for the PUT/POST body's media type. Default none: an unknown body type is 415. */
  contentTypesAccepted(): Outcome<ContentTypesAccepted> {
    return [];
  }

  /** O14/P3. Default false; true: 409. */
  isConflict(): Outcome<boolean> {
    return false;
  }

  /** O18. Default false; true: 300. */
  multipleChoices(): Outcome<boolean> {
    return false;
  }

  /** Called once for every response, errors and halts included, before it is written. Default: nothing. */
  finishRequest(): Outcome<void> {
    return undefined;
  }
}

export type ResourceFactory = (init: ResourceInit) => Resource;
