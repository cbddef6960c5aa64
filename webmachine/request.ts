import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { Halt } from './halt.js';
import { lingerAfterResponse } from './linger.js';

/**
 * Requests whose `100 Continue` is still owed: the server's checkContinue listener (see
 * listenForContinue) marks them, and the 100 is sent only when a callback starts reading the body.
 * Without the listener Node has already answered 100 itself, so the engine must not send a second.
 */
const continueOwed = new WeakSet<IncomingMessage>();

export function owesContinue(incoming: IncomingMessage): void {
  continueOwed.add(incoming);
}

/**
 * The request-target as a URL. The origin comes from Host when it is a valid authority (else
 * localhost); an origin-form target is appended as it is, so `//a/b` stays the path `//a/b`
 * instead of being read as a network-path reference to host `a`.
 */
function parseTarget(target: string, host: string | undefined): URL {
  let origin = 'http://localhost';
  if (host !== undefined) {
    try {
      origin = new URL(`http://${host}`).origin;
    } catch {
      // An invalid Host does not make the request unanswerable; Location falls back to localhost.
    }
  }
  try {
    return new URL(target.startsWith('/') ? origin + target : target);
  } catch {
    return new URL(`${origin}/`); // asterisk-form (OPTIONS *) and other non-URL targets
  }
}

/**
 * The request as resources see it. The body is streamed from the socket on demand: nothing is
 * read (and no `100 Continue` is sent) until a callback asks for it, so a request refused in the
 * B column never transfers its body.
 */
export class Request {
  readonly method: string;
  private urlMemo: URL | undefined;
  private queryMemo: URLSearchParams | undefined;
  private idMemo: string | undefined;
  private bodyPromise: Promise<Buffer> | undefined;
  private streamTaken = false;
  private ended = false;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly outgoing: ServerResponse,
    readonly params: Readonly<Record<string, string>>,
    /** Largest body the engine will read; a longer one ends the request with 413. */
    readonly maxBodyBytes: number,
  ) {
    this.method = incoming.method!.toUpperCase(); // always set on a server's IncomingMessage
  }

  /** The client's X-Request-Id, else a generated UUID: names the request in logs and 500 problems. */
  get id(): string {
    this.idMemo ??= this.header('x-request-id') ?? randomUUID();
    return this.idMemo;
  }

  /** The request-target resolved against Host (parsed on first use). */
  get url(): URL {
    this.urlMemo ??= parseTarget(this.rawUrl, this.header('host'));
    return this.urlMemo;
  }

  get headers(): IncomingHttpHeaders {
    return this.incoming.headers;
  }

  /** A header's value, repeated fields joined with ", " as RFC 9110 allows for list headers. */
  header(name: string): string | undefined {
    const value = this.incoming.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /**
   * Raw request-target as received (for 414 checks, Location and logs). Express rewrites `url`
   * inside mounted routers; its `originalUrl` keeps the full target.
   */
  get rawUrl(): string {
    return (this.incoming as IncomingMessage & { originalUrl?: string }).originalUrl ?? this.incoming.url!;
  }

  get path(): string {
    return this.url.pathname;
  }

  /**
   * The query of an origin-form target is parsed on its own (the WHATWG URL parser costs more
   * than a warm read's whole decision flow); the same parameters as `url.searchParams`.
   */
  get query(): URLSearchParams {
    if (this.queryMemo === undefined) {
      const raw = this.rawUrl;
      const at = raw.indexOf('?');
      this.queryMemo = !raw.startsWith('/') ? this.url.searchParams : new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
    }
    return this.queryMemo;
  }

  get contentLength(): number | undefined {
    // Node's parser has already refused a malformed or conflicting Content-Length with 400.
    const raw = this.header('content-length');
    return raw === undefined ? undefined : Number(raw);
  }

  get hasBody(): boolean {
    return this.contentLength !== undefined ? this.contentLength > 0 : this.header('transfer-encoding') !== undefined;
  }

  /**
   * The body as a stream that fails with a 413 Halt as soon as more than maxBodyBytes arrived,
   * also for chunked bodies whose size nobody announced. The socket is paused at that point:
   * the rest is never buffered, and the response closes the connection.
   */
  bodyStream(): Readable {
    if (this.streamTaken) throw new Error('request body already consumed');
    // A body-parsing middleware in front of the engine would have drained the stream already.
    if (this.incoming.readableEnded) throw new Error('request body was already read before the engine (remove body-parsing middleware)');
    this.streamTaken = true;
    const incoming = this.incoming;
    if (continueOwed.has(incoming)) {
      continueOwed.delete(incoming);
      this.outgoing.writeContinue();
    }
    const limit = this.maxBodyBytes;
    const out = new PassThrough();
    let seen = 0;
    incoming.on('data', (chunk: Buffer) => {
      if (out.destroyed) return;
      seen += chunk.length;
      if (seen > limit) {
        incoming.pause();
        out.destroy(new BodyTooLarge(limit));
        return;
      }
      if (!out.write(chunk)) {
        incoming.pause();
        out.once('drain', () => incoming.resume());
      }
    });
    incoming.once('end', () => {
      this.ended = true;
      out.end();
    });
    incoming.once('error', (err) => out.destroy(err));
    incoming.once('aborted', () => out.destroy(new Error('request aborted')));
    return out;
  }

  /** The whole body, read once and memoised (callbacks may ask more than once). */
  body(): Promise<Buffer> {
    if (this.bodyPromise === undefined) {
      this.bodyPromise = (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of this.bodyStream()) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      })();
    }
    return this.bodyPromise;
  }

  /** After the answer, reads and drops what is left of the body, bounded (see lingerAfterResponse). */
  lingerAfterResponse(): void {
    lingerAfterResponse(this.incoming);
  }

  /** True once a callback started reading the body. */
  get bodyRead(): boolean {
    return this.streamTaken;
  }

  /**
   * True when body bytes may still be on the wire: announced, and not read to the end. The
   * response must then close the connection rather than let the rest be parsed as a request.
   */
  get bodyPending(): boolean {
    return this.hasBody && !this.ended;
  }
}

/** Raised inside body streams; the engine turns it into a 413 problem. */
export class BodyTooLarge extends Error {
  readonly halt: Halt;
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLarge';
    this.halt = new Halt(413, { detail: `The request body is larger than the limit of ${limit} bytes.` });
  }
}
