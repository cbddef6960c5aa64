import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, deflate as deflateCallback } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { RepoStore } from '../../../fs-service/index.js';
import { checkObject, type TypedLink } from '../object-checks.js';
import { codeFromType, OBJ_OFS_DELTA, OBJ_REF_DELTA, parseCommit, typeFromCode, type CommitInfo, type GitObject, type ObjectType } from '../object.js';
import { err, ok, type Result } from '../result.js';
import { PartFile } from '../store/part-file.js';
import { ByteReader } from '../stream/byte-reader.js';
import { deflateBound, inflateFromReader, inflatePrefix } from '../stream/inflate.js';
import { Pacer } from '../stream/pacer.js';
import { applyDelta, deltaResultSize } from './delta.js';
import { encodeTypeAndSize, readEntryHeader, readPackHeader } from './format.js';
import { writePackIndex, type IndexEntry } from './index-file.js';

const deflate = promisify(deflateCallback);

export interface ReceivedObject {
  type: ObjectType;
  /** What the object points to, with the type each must have (commit: tree + parents, tree: entries, tag: target). */
  links: TypedLink[];
}

/** What a push may become, not only what it weighs: checked while inflating, before anything is held. */
export interface PackLimits {
  /** Largest object, inflated (after resolving its delta). */
  maxObjectBytes: number;
  /** Most bytes all the pack's objects may inflate to together. */
  maxInflatedBytes: number;
  /** Most objects the pack header may declare. */
  maxObjects: number;
}

export const NO_PACK_LIMITS: PackLimits = { maxObjectBytes: 2 ** 32, maxInflatedBytes: Number.MAX_SAFE_INTEGER, maxObjects: 2 ** 32 };

/** Objects up to this size are inflated on the event loop (cheaper than a thread-pool hop); larger ones stream. */
const SYNC_INFLATE_BYTES = 256 * 1024;
/** Resolved objects kept to serve as delta bases. */
const BASE_CACHE_BYTES = 24 * 1024 * 1024;
/** Delta data kept from the first pass for deltas whose base was not at hand; beyond it they are read again. */
const KEPT_DELTA_BYTES = 16 * 1024 * 1024;
/** Hashing and rereading large objects and files go in slices of this size. */
const SLICE_BYTES = 1024 * 1024;

/** A pushed pack written to storage under a temporary name, every object verified, not yet visible. */
export interface StagedPack {
  checksum: string;
  objects: Map<string, ReceivedObject>;
  commits: Map<string, CommitInfo>;
  /** How many REF_DELTA bases were appended from the repository (a thin pack completed). */
  appendedBases: number;
  /** The stored pack's length. */
  bytes: number;
  /** Makes the pack visible: .pack first, then the .idx readers look for. */
  publish(): Promise<void>;
  /** Removes the temporary files. */
  discard(): Promise<void>;
}

export interface IngestOptions {
  store: RepoStore;
  /** A thin pack's bases, read from the repository. */
  lookup: (oid: string) => Promise<GitObject | null>;
  limits: PackLimits;
}

interface Entry {
  offset: number;
  dataStart: number;
  end: number;
  typeCode: number;
  /** Declared inflated size of the entry's data (a delta's own size for deltas). */
  size: number;
  baseIndex: number;
  baseOid: string | null;
  oid: string | null;
  type: ObjectType | null;
  crc: number;
}

class PackProblem extends Error {}

const fail = (message: string): never => {
  throw new PackProblem(message);
};

export const INCOMING_PREFIX = '/objects/pack/incoming-';

/** An incoming file nobody wrote to for this long belongs to a process that died mid-push. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** Repositories swept lately (by name): a busy repository's pushes list its pack folder once an hour, not each time. */
const swept = new LRUCache<string, true>({ max: 10_000, ttl: ABANDONED_AFTER_MS });

function sweepNow(store: RepoStore): void {
  if (swept.has(store.name)) return;
  swept.set(store.name, true);
  void sweepAbandoned(store, Date.now()).catch(() => undefined);
}

/**
 * Removes what a front end that died mid-push left behind (a live push writes its part files
 * every few seconds; nginx gives up on a silent client after two minutes). Run in the background
 * at the first push of the repository in an hour (on this front end): one listing of the pack folder.
 */
export async function sweepAbandoned(store: RepoStore, now: number): Promise<string[]> {
  const removed: string[] = [];
  const names = await store.fs.promises.readdir('/objects/pack').catch(() => [] as string[]);
  for (const n of names) {
    const path = `/objects/pack/${n}`;
    if (!path.startsWith(INCOMING_PREFIX)) continue;
    const st = await store.fs.promises.stat(path).catch(() => null);
    if (st === null || !(st.mtimeMs > 0) || now - st.mtimeMs < ABANDONED_AFTER_MS) continue;
    await store.fs.promises.unlink(path).then(() => removed.push(path), () => undefined);
  }
  return removed;
}

/**
 * Reads a pushed pack from `reader` as it arrives and checks it strictly, as
 * `git index-pack --strict --fix-thin` does: header and version, every entry inflates to its
 * declared size, exactly the declared number of entries and nothing after them, the SHA-1
 * trailer, every delta resolves, every object but a blob passes checkObject (git's fsck), and no
 * object nor the whole pack inflates beyond the limits (refused from entry headers before
 * inflating, and while inflating). The bytes go to storage in parts as they arrive
 * (/objects/pack/incoming-*), so memory holds neither the pack nor its objects: only the largest
 * object being resolved, a bounded cache of delta bases and a record per object. Small objects
 * are inflated on the event loop in slices, large ones stream through zlib on the thread pool.
 * REF_DELTA bases missing from the pack (git pushes thin packs) are read from the repository and
 * appended, so the stored pack stays readable by any git. On any failure the temporary files are
 * removed before the error is returned; the caller drains what the client still sends.
 */
export async function ingestPack(reader: ByteReader, o: IngestOptions): Promise<Result<StagedPack>> {
  sweepNow(o.store);
  const name = randomBytes(16).toString('hex');
  const packFile = new PartFile(o.store, `${INCOMING_PREFIX}${name}.pack`);
  const idxFile = new PartFile(o.store, `${INCOMING_PREFIX}${name}.idx`);
  const discard = async (): Promise<void> => {
    await Promise.all([packFile.discard(), idxFile.discard()]);
  };
  try {
    const staged = await new Ingest(reader, o, packFile).run();
    await idxFile.seek(0);
    idxFile.append(writePackIndex(staged.index, Buffer.from(staged.checksum, 'hex')));
    await idxFile.flush();
    return ok({
      checksum: staged.checksum,
      objects: staged.objects,
      commits: staged.commits,
      appendedBases: staged.appendedBases,
      bytes: staged.bytes,
      discard,
      publish: async () => {
        const base = `/objects/pack/pack-${staged.checksum}`;
        try {
          await o.store.rename(packFile.path, `${base}.pack`);
          await o.store.rename(idxFile.path, `${base}.idx`);
        } catch (e) {
          await discard();
          throw e;
        }
      },
    });
  } catch (e) {
    reader.tee = null;
    await discard().catch(() => undefined);
    if (e instanceof PackProblem) return err(e.message);
    throw e;
  }
}

class Ingest {
  private readonly entries: Entry[] = [];
  private readonly byOffset = new Map<number, number>();
  /** Resolved objects by id, for REF_DELTA bases inside the pack. */
  private readonly inPack = new Map<string, number>();
  private readonly objects = new Map<string, ReceivedObject>();
  private readonly commits = new Map<string, CommitInfo>();
  /** Resolved contents by entry index, and thin-pack bases by "x:<id>". */
  private readonly content = new LRUCache<number | string, GitObject>({
    maxSize: BASE_CACHE_BYTES,
    maxEntrySize: BASE_CACHE_BYTES / 2,
    sizeCalculation: (v) => Math.max(1, v.data.length),
  });
  private readonly keptDeltas = new Map<number, Buffer>();
  private keptDeltaBytes = 0;
  /** Thin-pack bases found in the repository. */
  private readonly external = new Set<string>();
  private inflatedTotal = 0;
  private readonly pacer = new Pacer();
  private packHash: Hash | null = createHash('sha1');
  private entryCrc = 0;
  private start = 0;

  constructor(
    private readonly reader: ByteReader,
    private readonly o: IngestOptions,
    private readonly file: PartFile,
  ) {}

  async run(): Promise<{ checksum: string; objects: Map<string, ReceivedObject>; commits: Map<string, CommitInfo>; appendedBases: number; index: IndexEntry[]; bytes: number }> {
    this.start = this.reader.position;
    this.reader.tee = (bytes) => {
      this.packHash?.update(bytes);
      this.entryCrc = crc32(bytes, this.entryCrc);
      this.file.append(bytes);
    };
    await this.reader.fill(12);
    const head = readPackHeader(this.reader.peek(12)) ?? fail('not a pack (bad signature or version)');
    if (head.count > this.o.limits.maxObjects) fail(`pack of ${head.count} objects exceeds the limit of ${this.o.limits.maxObjects} objects per push`);
    this.reader.consume(12);

    for (let i = 0; i < head.count; i++) {
      await this.pacer.turn();
      await this.file.backpressure();
      await this.readEntry(i, head.count);
    }
    const limit = this.at();
    const digest = (this.packHash as Hash).digest();
    this.packHash = null;
    const trailer = (await this.reader.read(20)) ?? fail('pack is truncated: the SHA-1 trailer is missing');
    if (!trailer.equals(digest)) fail('pack checksum mismatch (corrupt or truncated pack)');
    if (!(await this.reader.atEnd())) fail(`pack is corrupt: unexpected bytes after ${head.count} objects and the trailer`);
    this.reader.tee = null;
    await this.file.flush();

    await this.resolveDeferred();
    const index = this.entries.map((e) => ({ oid: e.oid as string, offset: e.offset, crc: e.crc }));
    const appended = await this.completeThin(limit, head.count, index);
    const checksum = appended > 0 ? await this.rehash() : digest;
    return { checksum: checksum.toString('hex'), objects: this.objects, commits: this.commits, appendedBases: appended, index, bytes: this.file.size };
  }

  /** Offset in the pack of the reader's next byte. */
  private at(): number {
    return this.reader.position - this.start;
  }

  private tooBig(size: number): string {
    return `an object of ${size} bytes exceeds the limit of ${this.o.limits.maxObjectBytes} bytes per object`;
  }

  private countInflated(size: number): void {
    this.inflatedTotal += size;
    if (this.inflatedTotal > this.o.limits.maxInflatedBytes) fail(`the pack inflates to more than the limit of ${this.o.limits.maxInflatedBytes} bytes per push`);
  }

  private async readEntry(i: number, count: number): Promise<void> {
    const offset = this.at();
    this.entryCrc = 0;
    await this.reader.fill(32);
    const window = this.reader.peek(32);
    const h = readEntryHeader(window, 0, window.length, offset) ?? fail(`pack is truncated or corrupt: header declares ${count} objects, entry ${i + 1} is unreadable`);
    this.reader.consume(h.dataStart - offset);
    const isDelta = h.typeCode === OBJ_OFS_DELTA || h.typeCode === OBJ_REF_DELTA;
    // A delta's own data is at most a little larger than the object it makes.
    if (h.size > (isDelta ? 2 * this.o.limits.maxObjectBytes + 1024 : this.o.limits.maxObjectBytes)) fail(this.tooBig(h.size));
    this.countInflated(h.size);
    const baseIndex = h.baseOffset === undefined ? -1 : (this.byOffset.get(h.baseOffset) ?? fail(`pack is corrupt: entry ${i + 1} is a delta against offset ${h.baseOffset}, where no entry starts`));
    const entry: Entry = {
      offset,
      dataStart: h.dataStart,
      end: 0,
      typeCode: h.typeCode,
      size: h.size,
      baseIndex,
      baseOid: h.baseOid ?? null,
      oid: null,
      type: typeFromCode(h.typeCode),
      crc: 0,
    };
    this.byOffset.set(offset, i);
    this.entries.push(entry);

    if (entry.type === 'blob' && entry.size > SYNC_INFLATE_BYTES) {
      // A large blob is hashed as it inflates and never held: nothing else needs its bytes now.
      const hash = createHash('sha1').update(`blob ${entry.size}\0`);
      const r = await inflateFromReader(this.reader, entry.size, (chunk) => hash.update(chunk));
      this.pacer.rested();
      if (!r.ok) inflateFailure(r.reason, i, count, entry.size);
      entry.end = this.at();
      entry.crc = this.entryCrc;
      entry.oid = hash.digest('hex');
      this.recordResolved(i, null);
      return;
    }
    const data = await this.inflateHere(entry.size, i, count);
    entry.end = this.at();
    entry.crc = this.entryCrc;
    if (entry.type !== null) {
      entry.oid = await objectIdInSlices(entry.type, data, this.pacer);
      this.recordResolved(i, data);
      return;
    }
    const base = this.baseAtHand(entry);
    if (base !== null) {
      await this.resolveDelta(i, base, data);
    } else if (this.keptDeltaBytes + data.length <= KEPT_DELTA_BYTES) {
      this.keptDeltas.set(i, data);
      this.keptDeltaBytes += data.length;
    }
  }

  /** Inflates the entry at the reader's position, whole: at once when small and all here, else streamed. */
  private async inflateHere(size: number, i: number, count: number): Promise<Buffer> {
    if (size <= SYNC_INFLATE_BYTES) {
      const bound = deflateBound(size);
      await this.reader.fill(bound);
      const got = inflatePrefix(this.reader.peek(bound), size);
      if (typeof got === 'object') {
        this.reader.consume(got.used);
        return got.data;
      }
      if (got !== 'short') inflateFailure(got, i, count, size);
      // Longer than deflate ever makes it, or cut short: the streaming path tells which.
    }
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    const r = await inflateFromReader(this.reader, size, (chunk) => {
      chunk.copy(out, filled);
      filled += chunk.length;
    });
    this.pacer.rested();
    if (!r.ok) inflateFailure(r.reason, i, count, size);
    return out;
  }

  /** An entry's id and type are known: check the object (blobs need no check) and keep it as a possible base. */
  private recordResolved(i: number, data: Buffer | null): void {
    const e = this.entries[i] as Entry;
    const oid = e.oid as string;
    const type = e.type as ObjectType;
    if (!this.inPack.has(oid)) this.inPack.set(oid, i);
    if (data !== null) this.content.set(i, { type, data });
    if (this.objects.has(oid)) return;
    if (type === 'blob' || data === null) {
      this.objects.set(oid, { type, links: [] });
      return;
    }
    const checked = checkObject(type, data);
    if (!checked.ok) fail(`${type} ${oid} fails the object checks: ${checked.problem}`);
    this.objects.set(oid, { type, links: (checked as { links: TypedLink[] }).links });
    if (type === 'commit') {
      const info = parseCommit(data);
      if (info !== null) this.commits.set(oid, info);
    }
  }

  /** A delta's base if it is resolved and cached now (the common case: git writes bases first). */
  private baseAtHand(e: Entry): GitObject | null {
    if (e.baseOid === null) return (this.entries[e.baseIndex] as Entry).type === null ? null : (this.content.get(e.baseIndex) ?? null);
    const at = this.inPack.get(e.baseOid);
    if (at !== undefined) return this.content.get(at) ?? null;
    return this.content.get(`x:${e.baseOid}`) ?? null;
  }

  private async resolveDelta(i: number, base: GitObject, delta: Buffer): Promise<void> {
    const e = this.entries[i] as Entry;
    const size = deltaResultSize(delta);
    if (size > this.o.limits.maxObjectBytes) fail(this.tooBig(size));
    this.countInflated(size);
    const applied = applyDelta(base.data, delta, this.o.limits.maxObjectBytes);
    if (!applied.ok) fail(`pack is corrupt: entry ${i + 1}: ${applied.error}`);
    const data = (applied as { value: Buffer }).value;
    // Recomputing this object later follows the very base it was made from.
    if (e.baseOid !== null) e.baseIndex = this.inPack.get(e.baseOid) ?? -1;
    e.type = base.type;
    e.oid = await objectIdInSlices(base.type, data, this.pacer);
    this.recordResolved(i, data);
  }

  /**
   * Deltas whose base was not at hand in the first pass, in rounds: those whose base is in the
   * pack (read back from storage when no longer cached), then bases from the repository.
   */
  private async resolveDeferred(): Promise<void> {
    let pending = this.entries.flatMap((e, i) => (e.type === null ? [i] : []));
    for (let round = 0; pending.length > 0; round++) {
      let progress = 0;
      for (const i of pending) {
        await this.pacer.turn();
        const e = this.entries[i] as Entry;
        const base = await this.baseOf(e);
        if (base === null) continue;
        await this.resolveDelta(i, base, await this.deltaData(i));
        this.keptDeltas.delete(i);
        progress++;
      }
      pending = pending.filter((i) => (this.entries[i] as Entry).type === null);
      if (pending.length === 0) break;
      if (progress > 0 && round < 10_000) continue;
      const wanted = new Set(pending.flatMap((i) => {
        const oid = (this.entries[i] as Entry).baseOid;
        return oid !== null && !this.inPack.has(oid) && !this.external.has(oid) ? [oid] : [];
      }));
      if (wanted.size === 0) fail(`pack is corrupt: ${pending.length} deltas cannot be resolved`);
      let missing = 0;
      let first = '';
      for (const oid of wanted) {
        const found = await this.o.lookup(oid);
        if (found === null) {
          if (missing++ === 0) first = oid;
          continue;
        }
        this.external.add(oid);
        this.content.set(`x:${oid}`, found);
      }
      if (missing > 0) fail(`pack has ${missing} delta bases that are neither in the pack nor in the repository (first: ${first})`);
    }
    this.keptDeltas.clear();
  }

  /** A deferred delta's base, if it can be had now. */
  private async baseOf(e: Entry): Promise<GitObject | null> {
    if (e.baseOid === null) return (this.entries[e.baseIndex] as Entry).type === null ? null : this.contentOf(e.baseIndex);
    const at = this.inPack.get(e.baseOid);
    if (at !== undefined) return this.contentOf(at);
    return this.external.has(e.baseOid) ? this.externalContent(e.baseOid) : null;
  }

  private async externalContent(oid: string): Promise<GitObject> {
    const hit = this.content.get(`x:${oid}`);
    if (hit !== undefined) return hit;
    const found = (await this.o.lookup(oid)) ?? fail(`delta base ${oid} vanished from the repository`);
    this.content.set(`x:${oid}`, found);
    return found;
  }

  /**
   * A resolved entry's content: from the cache, or recomputed down its delta chain from the
   * nearest cached (or whole) object, reading entries back from storage. A loop, not recursion:
   * chains may be long.
   */
  private async contentOf(i: number): Promise<GitObject> {
    const chain: number[] = [];
    let at = i;
    let base: GitObject;
    for (;;) {
      const hit = this.content.get(at);
      if (hit !== undefined) {
        base = hit;
        break;
      }
      const e = this.entries[at] as Entry;
      if (e.typeCode !== OBJ_OFS_DELTA && e.typeCode !== OBJ_REF_DELTA) {
        base = { type: e.type as ObjectType, data: await this.reread(e) };
        break;
      }
      chain.push(at);
      if (e.baseIndex >= 0) {
        at = e.baseIndex;
        continue;
      }
      base = await this.externalContent(e.baseOid as string);
      break;
    }
    for (const k of chain.reverse()) {
      const applied = applyDelta(base.data, await this.deltaData(k), this.o.limits.maxObjectBytes);
      if (!applied.ok) fail(`pack is corrupt: entry ${k + 1}: ${applied.error}`);
      base = { type: base.type, data: (applied as { value: Buffer }).value };
      this.content.set(k, base);
      await this.pacer.turn();
    }
    if (chain.length === 0) this.content.set(i, base);
    return base;
  }

  private async deltaData(i: number): Promise<Buffer> {
    return this.keptDeltas.get(i) ?? this.reread(this.entries[i] as Entry);
  }

  /** An entry's data read back from the stored part of the pack and inflated. */
  private async reread(e: Entry): Promise<Buffer> {
    const source = readRanges(this.o.store, this.file.path, e.dataStart, e.end);
    const reader = new ByteReader(source);
    const out = Buffer.allocUnsafe(e.size);
    let filled = 0;
    const r = await inflateFromReader(reader, e.size, (chunk) => {
      chunk.copy(out, filled);
      filled += chunk.length;
    });
    this.pacer.rested();
    if (!r.ok) fail(`pack changed while it was indexed (${r.reason})`);
    return out;
  }

  /** Appends the thin pack's bases (sorted by id) after its last entry; returns how many. */
  private async completeThin(limit: number, count: number, index: IndexEntry[]): Promise<number> {
    const used = [...this.external].filter((oid) => !this.objects.has(oid)).sort();
    if (used.length === 0) return 0;
    await this.file.seek(limit);
    let at = limit;
    for (const oid of used) {
      const obj = await this.externalContent(oid);
      const entry = Buffer.concat([encodeTypeAndSize(codeFromType(obj.type), obj.data.length), await deflate(obj.data)]);
      index.push({ oid, offset: at, crc: crc32(entry) });
      this.file.append(entry);
      await this.file.backpressure();
      at += entry.length;
    }
    const countField = Buffer.alloc(4);
    countField.writeUInt32BE(count + used.length);
    await this.file.writeAt(8, countField);
    return used.length;
  }

  /** The SHA-1 of the completed pack, read back in slices, appended as its trailer. */
  private async rehash(): Promise<Buffer> {
    const size = this.file.size;
    const hash = createHash('sha1');
    for await (const part of readRanges(this.o.store, this.file.path, 0, size)) {
      hash.update(part);
      await this.pacer.turn();
    }
    const digest = hash.digest();
    await this.file.seek(size);
    this.file.append(digest);
    await this.file.flush();
    return digest;
  }
}

function inflateFailure(reason: 'truncated' | 'corrupt' | 'too-large', i: number, count: number, size: number): never {
  if (reason === 'too-large') fail(`pack is corrupt: entry ${i + 1} inflates to more than the ${size} bytes its header declares`);
  if (reason === 'truncated') fail(`pack is truncated: header declares ${count} objects, entry ${i + 1} ends early`);
  return fail(`pack is truncated or corrupt: header declares ${count} objects, entry ${i + 1} does not inflate`);
}

/** Bytes [from, to) of a stored file, in slices. */
async function* readRanges(store: RepoStore, path: string, from: number, to: number): AsyncGenerator<Buffer> {
  for (let at = from; at < to; ) {
    const part = await store.readRange(path, at, Math.min(SLICE_BYTES, to - at));
    if (part.length === 0) fail(`${path} is shorter than expected`);
    yield part;
    at += part.length;
  }
}

/** An object's id, hashed in slices when large so other requests are served in between. */
async function objectIdInSlices(type: ObjectType, data: Buffer, pacer: Pacer): Promise<string> {
  const hash = createHash('sha1').update(`${type} ${data.length}\0`);
  for (let at = 0; at < data.length; at += SLICE_BYTES) {
    hash.update(data.subarray(at, at + SLICE_BYTES));
    if (data.length > SLICE_BYTES) await pacer.turn();
  }
  return hash.digest('hex');
}
