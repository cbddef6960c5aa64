/**
 * One layer of a repository's commit graph, an immutable file named by its own hash: for each
 * commit it adds, the tree, the parents, the committer time, the generation number and the
 * changed-path filter, so a walk needs no commit object. Layers stack: a commit's parents are in
 * its own layer or in one below, named by their position in the whole graph (the layers below
 * hold positions 0 to base-1, this one base to base+count-1, in id order).
 *
 * Format, all integers big-endian:
 *   "RCG1", count u32, base u32
 *   ids: count x 20 bytes, sorted
 *   records: count x 40 bytes: tree (20), parent1 u32, parent2 u32, time f64, generation u32
 *     (a parent is a position, NONE when absent; parent2 with the EXTRA bit indexes the extra
 *     list, for a commit with three parents or more)
 *   filter offsets: (count + 1) x u32 into the filter bytes; NO_FILTER: too many paths to filter
 *   extra count u32, extra: u32 each (per octopus commit: n, then its parents after the first)
 *   filter bytes
 */
import type { Oid } from '../object.js';
import { findId } from '../sorted-ids.js';

const MAGIC = 'RCG1';
export const NONE = 0xffffffff;
const EXTRA = 0x80000000;
const NO_FILTER = 0xffffffff;
const RECORD = 40;

/** A commit as a layer is built from: parents by position in the whole graph. */
export interface GraphCommit {
  oid: Oid;
  tree: Oid;
  parents: number[];
  time: number;
  generation: number;
  filter: Buffer | null;
}

export function encodeLayer(base: number, commits: readonly GraphCommit[]): Buffer {
  const sorted = [...commits].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const count = sorted.length;
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(base, 8);
  const ids = Buffer.alloc(count * 20);
  const records = Buffer.alloc(count * RECORD);
  const offsets = Buffer.alloc((count + 1) * 4);
  const extra: number[] = [];
  const filters: Buffer[] = [];
  let filterBytes = 0;
  sorted.forEach((c, i) => {
    ids.write(c.oid, i * 20, 'hex');
    const at = i * RECORD;
    records.write(c.tree, at, 'hex');
    records.writeUInt32BE(c.parents[0] ?? NONE, at + 20);
    if (c.parents.length > 2) {
      records.writeUInt32BE(EXTRA | extra.length, at + 24);
      extra.push(c.parents.length - 1, ...c.parents.slice(1));
    } else {
      records.writeUInt32BE(c.parents[1] ?? NONE, at + 24);
    }
    records.writeDoubleBE(c.time, at + 28);
    records.writeUInt32BE(c.generation, at + 36);
    offsets.writeUInt32BE(c.filter === null ? NO_FILTER : filterBytes, i * 4);
    if (c.filter !== null) {
      filters.push(c.filter);
      filterBytes += c.filter.length;
    }
  });
  offsets.writeUInt32BE(filterBytes, count * 4);
  const extraBuf = Buffer.alloc(4 + extra.length * 4);
  extraBuf.writeUInt32BE(extra.length, 0);
  extra.forEach((v, i) => extraBuf.writeUInt32BE(v, 4 + i * 4));
  return Buffer.concat([head, ids, records, offsets, extraBuf, ...filters]);
}

/** A layer read in place: lookups are binary searches and reads in its bytes. */
export class Layer {
  readonly count: number;
  readonly base: number;
  private readonly idsAt = 12;
  private readonly recordsAt: number;
  private readonly offsetsAt: number;
  private readonly extra: Uint32Array;
  private readonly filtersAt: number;

  private constructor(private readonly buf: Buffer) {
    this.count = buf.readUInt32BE(4);
    this.base = buf.readUInt32BE(8);
    this.recordsAt = this.idsAt + this.count * 20;
    this.offsetsAt = this.recordsAt + this.count * RECORD;
    const extraAt = this.offsetsAt + (this.count + 1) * 4;
    const extraCount = buf.readUInt32BE(extraAt);
    this.extra = new Uint32Array(extraCount);
    for (let i = 0; i < extraCount; i++) this.extra[i] = buf.readUInt32BE(extraAt + 4 + i * 4);
    this.filtersAt = extraAt + 4 + extraCount * 4;
  }

  /** Null when the bytes are not a layer (then the graph is rebuilt). */
  static parse(buf: Buffer): Layer | null {
    if (buf.length < 16 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
    const count = buf.readUInt32BE(4);
    if (buf.length < 12 + count * (20 + RECORD) + (count + 1) * 4 + 4) return null;
    const layer = new Layer(buf);
    return buf.length >= layer.filtersAt + buf.readUInt32BE(layer.offsetsAt + count * 4) ? layer : null;
  }

  get byteLength(): number {
    return this.buf.length;
  }

  /** The position in this layer (0-based) of an id, or -1. */
  find(oid: Oid): number {
    return findId(this.buf, this.idsAt, 0, this.count, Buffer.from(oid, 'hex'));
  }

  oid(i: number): Oid {
    return this.buf.toString('hex', this.idsAt + i * 20, this.idsAt + i * 20 + 20);
  }

  tree(i: number): Oid {
    const at = this.recordsAt + i * RECORD;
    return this.buf.toString('hex', at, at + 20);
  }

  parents(i: number): number[] {
    const at = this.recordsAt + i * RECORD;
    const first = this.buf.readUInt32BE(at + 20);
    if (first === NONE) return [];
    const second = this.buf.readUInt32BE(at + 24);
    if (second === NONE) return [first];
    if ((second & EXTRA) === 0) return [first, second];
    const from = second & ~EXTRA;
    const n = this.extra[from] as number;
    return [first, ...this.extra.subarray(from + 1, from + 1 + n)];
  }

  time(i: number): number {
    return this.buf.readDoubleBE(this.recordsAt + i * RECORD + 28);
  }

  generation(i: number): number {
    return this.buf.readUInt32BE(this.recordsAt + i * RECORD + 36);
  }

  /** The changed-path filter, or null: every query answers maybe. */
  filter(i: number): Buffer | null {
    const start = this.buf.readUInt32BE(this.offsetsAt + i * 4);
    if (start === NO_FILTER) return null;
    let end = NO_FILTER;
    for (let j = i + 1; j <= this.count && end === NO_FILTER; j++) end = this.buf.readUInt32BE(this.offsetsAt + j * 4);
    return this.buf.subarray(this.filtersAt + start, this.filtersAt + end);
  }
}
