import { createHash } from 'node:crypto';
import { err, ok, type Result } from '../result.js';
import { findId, lowerBound } from '../sorted-ids.js';

const IDX_MAGIC = 0xff744f63;

/**
 * A pack's .idx (version 2) held as the file's own bytes: lookups binary-search the sorted
 * id table inside the Buffer, so an index of a million objects costs its file size, not a Map
 * of a million strings.
 */
export class PackIndex {
  readonly count: number;
  private readonly oidsAt = 1032;
  private readonly crcAt: number;
  private readonly offsetsAt: number;
  private readonly largeAt: number;
  private sortedOffsets: Float64Array | null = null;
  private sortedOrder: Uint32Array | null = null;

  private constructor(private readonly buf: Buffer) {
    this.count = buf.readUInt32BE(8 + 255 * 4);
    this.crcAt = this.oidsAt + this.count * 20;
    this.offsetsAt = this.crcAt + this.count * 4;
    this.largeAt = this.offsetsAt + this.count * 4;
  }

  static parse(buf: Buffer): Result<PackIndex> {
    if (buf.length < 1072 || buf.readUInt32BE(0) !== IDX_MAGIC || buf.readUInt32BE(4) !== 2) {
      return err('not a version 2 pack index');
    }
    const idx = new PackIndex(buf);
    if (buf.length < idx.largeAt + 40) return err('pack index truncated');
    return ok(idx);
  }

  /** The pack's trailing checksum as recorded in the index. */
  get packChecksum(): string {
    return this.buf.toString('hex', this.buf.length - 40, this.buf.length - 20);
  }

  oidAt(i: number): string {
    return this.buf.toString('hex', this.oidsAt + i * 20, this.oidsAt + i * 20 + 20);
  }

  offsetAt(i: number): number {
    const v = this.buf.readUInt32BE(this.offsetsAt + i * 4);
    if ((v & 0x80000000) === 0) return v;
    const at = this.largeAt + (v & 0x7fffffff) * 8;
    return this.buf.readUInt32BE(at) * 2 ** 32 + this.buf.readUInt32BE(at + 4);
  }

  /** Position of `oid` in the sorted table, or -1. */
  find(oid: string): number {
    const key = Buffer.from(oid, 'hex');
    if (key.length !== 20) return -1;
    const first = key[0] as number;
    const lo = first === 0 ? 0 : this.buf.readUInt32BE(8 + (first - 1) * 4);
    return findId(this.buf, this.oidsAt, lo, this.buf.readUInt32BE(8 + first * 4), key);
  }

  /**
   * Ids starting with `prefix` (even number of hex digits or not), at most `limit` of them: the
   * candidates an abbreviated id may mean. Binary search to the first, then a scan.
   */
  idsWithPrefix(prefix: string, limit: number): string[] {
    const low = prefix.padEnd(40, '0');
    const start = Buffer.from(low, 'hex');
    const first = start[0] as number;
    const from = first === 0 ? 0 : this.buf.readUInt32BE(8 + (first - 1) * 4);
    const lo = lowerBound(this.buf, this.oidsAt, from, this.buf.readUInt32BE(8 + first * 4), start);
    const out: string[] = [];
    for (let i = lo; i < this.count && out.length < limit; i++) {
      const oid = this.oidAt(i);
      if (!oid.startsWith(prefix)) break;
      out.push(oid);
    }
    return out;
  }

  /** Bytes held (the index file itself, read in place). */
  get byteLength(): number {
    return this.buf.length;
  }

  offsetOf(oid: string): number | null {
    const i = this.find(oid);
    return i < 0 ? null : this.offsetAt(i);
  }

  private ensureSorted(): { offsets: Float64Array; order: Uint32Array } {
    if (this.sortedOffsets === null || this.sortedOrder === null) {
      const order = new Uint32Array(this.count);
      for (let i = 0; i < this.count; i++) order[i] = i;
      const offs = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) offs[i] = this.offsetAt(i);
      order.sort((a, b) => (offs[a] as number) - (offs[b] as number));
      const sorted = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) sorted[i] = offs[order[i] as number] as number;
      this.sortedOffsets = sorted;
      this.sortedOrder = order;
    }
    return { offsets: this.sortedOffsets, order: this.sortedOrder };
  }

  /** Entries in pack order: [offset, table position] pairs, for walking a pack front to back. */
  entriesByOffset(): { offsets: Float64Array; order: Uint32Array } {
    return this.ensureSorted();
  }

  private rank(offset: number): number {
    const { offsets } = this.ensureSorted();
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = offsets[mid] as number;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Where the entry at `offset` ends (next entry or the trailer), or -1 when no entry starts there. */
  entryEnd(offset: number, packLength: number): number {
    const r = this.rank(offset);
    if (r < 0) return -1;
    const { offsets } = this.ensureSorted();
    return r + 1 < offsets.length ? (offsets[r + 1] as number) : packLength - 20;
  }

  /** The id of the entry starting at `offset` (resolves OFS_DELTA bases), or null. */
  oidAtOffset(offset: number): string | null {
    const r = this.rank(offset);
    if (r < 0) return null;
    return this.oidAt(this.ensureSorted().order[r] as number);
  }
}

export interface IndexEntry {
  oid: string;
  offset: number;
  crc: number;
}

/** Writes a version 2 .idx, byte-compatible with `git index-pack`'s. */
export function writePackIndex(entries: IndexEntry[], packChecksum: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + 1024 + n * 28 + large.length * 8 + 40);
  buf.writeUInt32BE(IDX_MAGIC, 0);
  buf.writeUInt32BE(2, 4);
  const fanout = new Uint32Array(256);
  for (const e of sorted) fanout[parseInt(e.oid.slice(0, 2), 16)] += 1;
  let acc = 0;
  for (let i = 0; i < 256; i++) {
    acc += fanout[i] as number;
    buf.writeUInt32BE(acc, 8 + i * 4);
  }
  let pos = 1032;
  for (const e of sorted) {
    buf.write(e.oid, pos, 'hex');
    pos += 20;
  }
  for (const e of sorted) {
    buf.writeUInt32BE(e.crc >>> 0, pos);
    pos += 4;
  }
  let nextLarge = 0;
  const largeOffsets: number[] = [];
  for (const e of sorted) {
    if (e.offset >= 0x80000000) {
      buf.writeUInt32BE((0x80000000 | nextLarge++) >>> 0, pos);
      largeOffsets.push(e.offset);
    } else {
      buf.writeUInt32BE(e.offset, pos);
    }
    pos += 4;
  }
  for (const off of largeOffsets) {
    buf.writeUInt32BE(Math.floor(off / 2 ** 32), pos);
    buf.writeUInt32BE(off % 2 ** 32, pos + 4);
    pos += 8;
  }
  packChecksum.copy(buf, pos);
  pos += 20;
  createHash('sha1').update(buf.subarray(0, pos)).digest().copy(buf, pos);
  return buf;
}
