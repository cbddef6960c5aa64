/** The source gave more bytes than its reader may take (a push over its limit). */
export class TooManyBytes extends Error {
  constructor(readonly limit: number) {
    super(`more than the limit of ${limit} bytes`);
    this.name = 'TooManyBytes';
  }
}

/**
 * Sequential reads over a stream of chunks (a request body as it arrives), holding only what the
 * reader has asked for and not yet consumed. Pulling the next chunk is what applies backpressure:
 * nothing is read from the socket faster than it is parsed. Every consumed byte is handed to
 * `tee` (hashing, spilling to storage), in order, exactly once.
 */
export class ByteReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private received = 0;
  private consumed = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer>;
  tee: ((bytes: Buffer) => void) | null = null;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly maxBytes = Number.MAX_SAFE_INTEGER,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Bytes consumed so far: the stream offset of the next byte. */
  get position(): number {
    return this.consumed;
  }

  get available(): number {
    return this.buffered;
  }

  /** Pulls one more chunk; false at the end of the source. */
  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done === true) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.done = true;
      throw new TooManyBytes(this.maxBytes);
    }
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Waits until at least `n` bytes are buffered; false when the source ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n) if (!(await this.pull())) return false;
    return true;
  }

  /** True when nothing is buffered and the source has ended. */
  async atEnd(): Promise<boolean> {
    return this.buffered === 0 && !(await this.fill(1));
  }

  /** The first `n` buffered bytes (fewer if fewer are buffered), contiguous, not consumed. */
  peek(n: number): Buffer {
    const want = Math.min(n, this.buffered);
    let first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length < want) {
      // Joined once and kept joined, so repeated peeks do not copy again.
      let taken = 0;
      let count = 0;
      while (taken < want) taken += (this.chunks[count++] as Buffer).length;
      first = Buffer.concat(this.chunks.splice(0, count, Buffer.alloc(0)), taken);
      this.chunks[0] = first;
    }
    return first.subarray(0, want);
  }

  /** Whatever is buffered in the first chunk (pulling one when none is): at least one byte, or null at the end. */
  async someBytes(): Promise<Buffer | null> {
    if (this.buffered === 0 && !(await this.pull())) return null;
    return this.chunks[0] as Buffer;
  }

  /** Consumes `n` buffered bytes (they must be buffered) and returns them. */
  consume(n: number): Buffer {
    if (n > this.buffered) throw new RangeError(`consume(${n}) with ${this.buffered} bytes buffered`);
    const out = this.peek(n);
    const first = this.chunks[0] as Buffer;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    this.consumed += n;
    if (n > 0) this.tee?.(out);
    return out;
  }

  /** Reads and consumes exactly `n` bytes; null when the source ends first. */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) return null;
    return this.consume(n);
  }

  /** Consumes and drops the rest of the source (within the limit); returns how many bytes that was. */
  async drain(): Promise<number> {
    let dropped = 0;
    for (;;) {
      if (this.buffered > 0) {
        dropped += this.buffered;
        this.consume(this.buffered);
      }
      if (!(await this.pull())) return dropped;
    }
  }
}
