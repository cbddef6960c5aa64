import type { Readable } from 'node:stream';

/**
 * A body of known length read as a stream (a large file): the engine sends Content-Length and
 * answers a byte range by opening only the part asked for, so the body is never held whole.
 * `open(start, end)` streams bytes start..end inclusive.
 */
export class SizedBody {
  constructor(
    readonly size: number,
    readonly open: (start: number, end: number) => Readable,
  ) {}
}

/** A response body as producers hand it over: bytes, text, a stream (sized or not), or nothing. */
export type Body = string | Uint8Array | Readable | SizedBody;

/** The response under construction; written to the socket only once the flow has ended. */
export class Response {
  status = 200;
  body: Body | undefined;
  /** Set by process_post / an accept handler to ask N11 for a 303 See Other. */
  redirect = false;
  private readonly fields = new Map<string, string>();

  setHeader(name: string, value: string): void {
    this.fields.set(name.toLowerCase(), value);
  }

  getHeader(name: string): string | undefined {
    return this.fields.get(name.toLowerCase());
  }

  hasHeader(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.fields.delete(name.toLowerCase());
  }

  headerEntries(): [string, string][] {
    return [...this.fields.entries()];
  }

  /** The fields without copying them (the response writer's loop). */
  fieldEntries(): IterableIterator<[string, string]> {
    return this.fields.entries();
  }

  /** Copies every field onto Node's response (lower-case names, as stored). */
  copyTo(out: { setHeader(name: string, value: string): unknown }): void {
    this.fields.forEach((value, name) => out.setHeader(name, value));
  }
}
