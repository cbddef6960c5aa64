import { FLUSH, MAX_PKT_LEN, pktLine } from './pkt-line.js';
import type { ResponseSink } from './response-sink.js';

/** Band 1 carries pack data (or a push report), band 2 progress text, band 3 a fatal error. */
export type Band = 1 | 2 | 3;

/** side-band-64k frames up to 65520 bytes; plain side-band up to 1000 (gitprotocol-capabilities). */
export const SIDE_BAND_64K_MAX = MAX_PKT_LEN;
export const SIDE_BAND_MAX = 1000;

/** One band-tagged pkt-line. */
export function sideBandPkt(band: Band, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return pktLine(Buffer.concat([Buffer.from([band]), payload]));
}

/**
 * Where a response's pack data and progress go. With side-band the data is multiplexed into
 * band 1 and coalesced into full frames (a pack writer emits many small entries; one pkt-line
 * per entry would add 5 bytes and a syscall each); without side-band the pack goes out raw
 * and progress is dropped, as git's upload-pack does.
 */
export class PackChannel {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private readonly maxData: number;

  constructor(
    private readonly sink: ResponseSink,
    private readonly mode: { sideBand: boolean; frameMax: number; progress: boolean },
  ) {
    this.maxData = mode.frameMax - 5;
  }

  get closed(): boolean {
    return this.sink.closed;
  }

  /** Pack bytes handed to an open response so far; framing and progress are not counted. */
  get packBytesWritten(): number {
    return this.written;
  }

  async data(chunk: Buffer): Promise<void> {
    if (!this.mode.sideBand) {
      if (!this.sink.closed) this.written += chunk.length;
      await this.sink.write(chunk);
      return;
    }
    let rest = chunk;
    while (rest.length > 0) {
      const room = this.maxData - this.pendingBytes;
      const take = rest.subarray(0, room);
      this.pending.push(take);
      this.pendingBytes += take.length;
      rest = rest.subarray(take.length);
      if (this.pendingBytes === this.maxData) await this.flushData();
    }
  }

  async flushData(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const payload = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.sink.closed) this.written += payload.length;
    await this.sink.write(sideBandPkt(1, payload));
  }

  /** Progress text (band 2), e.g. "Enumerating objects: 12, done.\n"; dropped with no-progress. */
  async progress(text: string): Promise<void> {
    if (!this.mode.sideBand || !this.mode.progress) return;
    await this.flushData();
    await this.sink.write(sideBandPkt(2, text));
  }

  /** A fatal error the client prints as "remote: fatal: ..."-style output and aborts on. */
  async fatal(message: string): Promise<void> {
    if (!this.mode.sideBand) return;
    await this.flushData();
    await this.sink.write(sideBandPkt(3, `${message}\n`));
  }

  /** Ends the multiplexed stream with a flush-pkt (side-band) or nothing (raw pack). */
  async finish(): Promise<void> {
    if (!this.mode.sideBand) return;
    await this.flushData();
    await this.sink.write(FLUSH);
  }
}
