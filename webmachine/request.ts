import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { Halt } from './halt.js';

/**
 * The request as resources see it. The body is streamed from the socket on demand: nothing is
 * read (and no `100 Continue` is sent) until a callback asks for it, so a request refused in the
 * B column never transfers its body.
 */
export class Request {
  readonly method: string;
  readonly url: URL;
  private bodyPromise: Promise<Buffer> | undefined;
  private streamTaken = false;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly outgoing: ServerResponse,
    readonly params: Readonly<Record<string, string>>,
    /** Largest body the engine will read; a longer one ends the request with 413. */
    readonly maxBodyBytes: number,
  ) {
    this.method = (incoming.method ?? 'GET').toUpperCase();
    const host = incoming.headers.host ?? 'localhost';
    this.url = new URL(incoming.url ?? '/', `http://${host}`);
  }

  get headers(): IncomingHttpHeaders {
    return this.incoming.headers;
  }

  /** A header's value, repeated fields joined with ", " as RFC 9110 allows for list headers. */
  header(name: string): string | undefined {
    const value = this.incoming.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Raw request-target as received (for 414 checks and logs). */
  get rawUrl(): string {
    return this.incoming.url ?? '/';
  }

  get path(): string {
    return this.url.pathname;
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  get contentLength(): number | undefined {
    const raw = this.header('content-length');
    if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
    return Number(raw);
  }

  get hasBody(): boolean {
    return this.contentLength !== undefined ? this.contentLength > 0 : this.header('transfer-encoding') !== undefined;
  }

  private sendContinueIfExpected(): void {
    const expect = this.header('expect');
    if (expect !== undefined && expect.toLowerCase() === '100-continue' && !this.outgoing.headersSent) {
      this.outgoing.writeContinue();
    }
  }

  /**
   * The body as a stream that fails with a 413 Halt as soon as more than maxBodyBytes arrived,
   * also for chunked bodies whose size nobody announced.
   */
  bodyStream(): Readable {
    if (this.streamTaken) throw new Error('request body already consumed');
    this.streamTaken = true;
    this.sendContinueIfExpected();
    const limit = this.maxBodyBytes;
    const out = new PassThrough();
    let seen = 0;
    this.incoming.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) {
        this.incoming.pause();
        out.destroy(new BodyTooLarge(limit));
        return;
      }
      if (!out.write(chunk)) {
        this.incoming.pause();
        out.once('drain', () => this.incoming.resume());
      }
    });
    this.incoming.once('end', () => out.end());
    this.incoming.once('error', (err) => out.destroy(err));
    this.incoming.once('aborted', () => out.destroy(new Error('request aborted')));
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

  /** True once a callback started reading the body (the response must then not reuse the socket blindly). */
  get bodyRead(): boolean {
    return this.streamTaken;
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
