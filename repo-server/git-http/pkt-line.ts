import { type ByteReader, err, ok, type Result } from '../git/index.js';

/**
 * pkt-line framing (gitprotocol-common): 4 hex digits of length including themselves, then the
 * payload. "0000" flush ends a list, "0001" delim separates v2 sections, "0002" response-end.
 */
export const FLUSH = Buffer.from('0000');
export const DELIM = Buffer.from('0001');
export const RESPONSE_END = Buffer.from('0002');

/** The largest pkt-line git accepts: 65520 bytes including the 4-byte length. */
export const MAX_PKT_LEN = 65520;
export const MAX_PKT_PAYLOAD = MAX_PKT_LEN - 4;

export type Pkt =
  | { kind: 'data'; data: Buffer }
  | { kind: 'flush' }
  | { kind: 'delim' }
  | { kind: 'response-end' };

/** Frames one payload. Text lines get their "\n" from the caller, as git writes them. */
export function pktLine(payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (data.length > MAX_PKT_PAYLOAD) throw new RangeError(`pkt-line payload of ${data.length} bytes exceeds ${MAX_PKT_PAYLOAD}`);
  const head = Buffer.from((data.length + 4).toString(16).padStart(4, '0'), 'ascii');
  return Buffer.concat([head, data]);
}

/** A payload as text without its trailing LF (git strips exactly one). */
export function pktText(data: Buffer): string {
  const end = data.length > 0 && data[data.length - 1] === 0x0a ? data.length - 1 : data.length;
  return data.toString('utf8', 0, end);
}

function parseLength(buf: Buffer, at: number): number {
  let n = 0;
  for (let i = at; i < at + 4; i++) {
    const c = buf[i] as number;
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) v = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) v = c - 0x37;
    else return -1;
    n = n * 16 + v;
  }
  return n;
}

/** The next pkt-line of a body that is still arriving (the command list before a pushed pack). */
export async function readPkt(reader: ByteReader): Promise<Result<Pkt>> {
  if (!(await reader.fill(4))) return err(reader.available === 0 ? 'unexpected end of request' : 'truncated pkt-line length');
  const len = parseLength(reader.peek(4), 0);
  if (len < 0) return err(`bad pkt-line length ${JSON.stringify(reader.peek(4).toString('latin1'))}`);
  if (len <= 2) {
    reader.consume(4);
    return ok(len === 0 ? { kind: 'flush' } : len === 1 ? { kind: 'delim' } : { kind: 'response-end' });
  }
  if (len < 4) return err(`bad pkt-line length ${len}`);
  if (!(await reader.fill(len))) return err('truncated pkt-line');
  return ok({ kind: 'data', data: Buffer.from(reader.consume(len).subarray(4)) });
}

/**
 * Sequential reader over a complete request body. Request bodies of upload-pack are small and
 * arrive whole (bounded by the body reader's cap), so a reader
 * over one Buffer is simpler than a stream and never has to wait mid-line.
 */
export class PktReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The bytes after the last pkt-line read (the pack of a push). */
  rest(): Buffer {
    return this.buf.subarray(this.pos);
  }

  /** Next pkt, or an error for a malformed/truncated one. Reading past the end is an error. */
  next(): Result<Pkt> {
    if (this.pos + 4 > this.buf.length) return err(this.pos >= this.buf.length ? 'unexpected end of request' : 'truncated pkt-line length');
    const len = parseLength(this.buf, this.pos);
    if (len < 0) return err(`bad pkt-line length ${JSON.stringify(this.buf.toString('latin1', this.pos, this.pos + 4))}`);
    if (len === 0 || len === 1 || len === 2) {
      this.pos += 4;
      return ok(len === 0 ? { kind: 'flush' } : len === 1 ? { kind: 'delim' } : { kind: 'response-end' });
    }
    if (len < 4) return err(`bad pkt-line length ${len}`);
    if (this.pos + len > this.buf.length) return err('truncated pkt-line');
    const data = this.buf.subarray(this.pos + 4, this.pos + len);
    this.pos += len;
    return ok({ kind: 'data', data });
  }

  /** Data lines as text up to the next flush or delim; the terminator is returned too. */
  readSection(): Result<{ lines: string[]; end: 'flush' | 'delim' }> {
    const lines: string[] = [];
    for (;;) {
      const pkt = this.next();
      if (!pkt.ok) return pkt;
      const p = pkt.value;
      if (p.kind === 'data') lines.push(pktText(p.data));
      else if (p.kind === 'flush' || p.kind === 'delim') return ok({ lines, end: p.kind });
      else return err('unexpected response-end packet in a request');
    }
  }
}
