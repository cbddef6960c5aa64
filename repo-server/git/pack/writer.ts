import { createHash, type Hash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { codeFromType, type GitObject } from '../object.js';
import { encodeTypeAndSize, packHeader } from './format.js';

/** Where a pack goes: its bytes, progress lines, and whether the reader went away. */
export interface PackSink {
  readonly closed: boolean;
  data(chunk: Buffer): Promise<void>;
  progress(text: string): Promise<void>;
}

/**
 * Writes a pack as a stream: header with the object count, entries, then the SHA-1 trailer,
 * hashed as the bytes go out so the pack never has to exist whole in memory. Each full object
 * is deflated on its own with Node's zlib (isomorphic-git's CompressionStream path is ~10x
 * slower, docs/architecture.md); reused entries are copied as stored.
 */
export class PackWriter {
  private readonly hash: Hash = createHash('sha1');
  private pos = 0;
  private written = 0;

  constructor(
    private readonly channel: PackSink,
    private readonly expected: number,
  ) {}

  /** Offset the next entry will start at (OFS_DELTA distances are computed from it). */
  get position(): number {
    return this.pos;
  }

  get entriesWritten(): number {
    return this.written;
  }

  private async emit(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.pos += chunk.length;
    await this.channel.data(chunk);
  }

  async begin(): Promise<void> {
    await this.emit(packHeader(this.expected));
  }

  /** One entry from its raw parts (header bytes, then compressed body). */
  async entry(header: Buffer, body: Buffer, entries = 1): Promise<void> {
    await this.emit(header);
    await this.emit(body);
    this.written += entries;
  }

  /** A run of stored entries copied verbatim (a whole pack's body on the clone path, in parts). */
  async raw(bytes: Buffer, entries: number): Promise<void> {
    const step = 1 << 20;
    for (let at = 0; at < bytes.length; at += step) await this.emit(bytes.subarray(at, Math.min(bytes.length, at + step)));
    this.written += entries;
  }

  /** Counts entries whose bytes went out through raw() in parts. */
  countEntries(entries: number): void {
    this.written += entries;
  }

  async fullObject(obj: GitObject, level = 6): Promise<void> {
    await this.entry(encodeTypeAndSize(codeFromType(obj.type), obj.data.length), deflateSync(obj.data, { level }));
  }

  /** Writes the trailer; the count written must match the header or the pack is invalid. */
  async finish(): Promise<string> {
    if (this.written !== this.expected) throw new Error(`pack writer: wrote ${this.written} entries, header says ${this.expected}`);
    const digest = this.hash.digest();
    this.pos += digest.length;
    await this.channel.data(digest);
    return digest.toString('hex');
  }
}
