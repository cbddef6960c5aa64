import { promisify } from 'node:util';
import { pipeline, Readable } from 'node:stream';
import { constants as zlibConstants, createInflate, inflate as inflateCb, inflateSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { isNotFound, type RepoStore, type Storage } from '../../../fs-service/index.js';
import {
  OBJ_OFS_DELTA,
  OBJ_REF_DELTA,
  parseCommit,
  parseCommitDetails,
  parseTagDetails,
  parseTree,
  typeFromCode,
  type CommitDetails,
  type CommitInfo,
  type GitObject,
  type ObjectType,
  type Oid,
  type TagDetails,
  type TreeEntry,
} from '../object.js';
import { applyDelta, deltaResultSize } from '../pack/delta.js';
import { readEntryHeader, type EntryHeader } from '../pack/format.js';
import { PackIndex } from '../pack/index-file.js';
import { cost, type GitCache } from './cache.js';

const inflateAsync = promisify(inflateCb) as (data: Buffer, options?: { maxOutputLength?: number }) => Promise<Buffer>;

export interface StoredPack {
  /** File name without extension: "pack-<checksum>". */
  name: string;
  index: PackIndex;
  /** Bytes of the .pack file (the last 20 are its checksum). */
  size: number;
}

/** A stored entry of a pack, read for reuse: its header bytes and compressed body as stored. */
export interface PackedEntry {
  pack: StoredPack;
  offset: number;
  end: number;
  header: EntryHeader;
  /** The entry's header bytes (type, size, delta base). */
  head: Buffer;
  /** The compressed data. */
  body: Buffer;
}

export class ObjectFormatError extends Error {
  override readonly name = 'ObjectFormatError';
}

/** Packs are read in blocks of this size, each kept in the cache on its own. */
export const PACK_BLOCK = 1024 * 1024;
/** An entry header is at most this long (type and size, then a 20-byte base id or an offset). */
const ENTRY_HEADER_MAX = 64;
/** Inflated objects up to this size are kept (trees, commits, delta bases, small files). */
const MAX_CACHED_OBJECT = 1024 * 1024;
/** Larger inputs are inflated off the event loop (Node's zlib thread pool). */
const INFLATE_ASYNC_FROM = 64 * 1024;

/**
 * The one reader of a repository's objects, for REST and git alike: loose files and stored packs
 * through the storage contract, everything parsed kept in the shared GitCache. Packs are read in
 * 1 MiB blocks (RepoStore.readRange), so a pack is never held whole and memory stays within the
 * cache's budget whatever the repository's size. Long-lived (one per repository, see
 * ObjectStores): the list of packs is kept and listed again when an object is not found in it,
 * since a push may have published a pack since.
 */
export class ObjectStore {
  private packList: Promise<StoredPack[]> | null = null;
  private readonly blockFetches = new Map<string, Promise<Buffer>>();

  constructor(
    readonly store: RepoStore,
    readonly cache: GitCache,
  ) {}

  get repo(): string {
    return this.store.name;
  }

  packs(): Promise<StoredPack[]> {
    if (this.packList === null) {
      const listing = this.listPacks();
      this.packList = listing;
      // A failed listing is not kept: the next caller lists again.
      listing.catch(() => {
        if (this.packList === listing) this.packList = null;
      });
    }
    return this.packList;
  }

  /** Forget the pack list (after this process published a pack). */
  invalidate(): void {
    this.packList = null;
  }

  private async listPacks(): Promise<StoredPack[]> {
    let names: string[];
    try {
      names = await this.store.fs.promises.readdir('/objects/pack');
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    // The .idx is what makes a pack visible: receive-pack writes it last.
    const idxNames = names.filter((n) => /^pack-[0-9a-f]{40}\.idx$/.test(n)).sort();
    return Promise.all(idxNames.map((file) => this.openPack(file.slice(0, -4))));
  }

  private async openPack(name: string): Promise<StoredPack> {
    const known = this.cache.get<StoredPack>('index', this.repo, name);
    if (known !== undefined) return known;
    const [raw, stat] = await Promise.all([
      this.store.fs.promises.readFile(`/objects/pack/${name}.idx`),
      this.store.fs.promises.stat(`/objects/pack/${name}.pack`),
    ]);
    const parsed = PackIndex.parse(Buffer.from(raw as Buffer));
    if (!parsed.ok) throw new ObjectFormatError(`${name}.idx: ${parsed.error}`);
    const pack: StoredPack = { name, index: parsed.value, size: stat.size };
    this.cache.set('index', this.repo, name, pack, parsed.value.byteLength + cost.small);
    return pack;
  }

  /** One block of a pack, from the cache or storage (concurrent misses share one read). */
  private block(pack: StoredPack, n: number): Promise<Buffer> {
    const id = `${pack.name}:${n}`;
    const hit = this.cache.get<Buffer>('pack', this.repo, id);
    if (hit !== undefined) return Promise.resolve(hit);
    let fetching = this.blockFetches.get(id);
    if (fetching === undefined) {
      fetching = this.store.readRange(`/objects/pack/${pack.name}.pack`, n * PACK_BLOCK, PACK_BLOCK).then(
        (bytes) => {
          this.blockFetches.delete(id);
          this.cache.set('pack', this.repo, id, bytes, bytes.length);
          return bytes;
        },
        (err: unknown) => {
          this.blockFetches.delete(id);
          throw err;
        },
      );
      this.blockFetches.set(id, fetching);
    }
    return fetching;
  }

  /** Bytes [start, end) of a stored pack, assembled from its cached blocks. */
  async packBytes(pack: StoredPack, start: number, end: number): Promise<Buffer> {
    const stop = Math.min(end, pack.size);
    if (stop <= start) return Buffer.alloc(0);
    const first = Math.floor(start / PACK_BLOCK);
    const last = Math.floor((stop - 1) / PACK_BLOCK);
    const blocks = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.block(pack, first + i)));
    if (blocks.length === 1) return (blocks[0] as Buffer).subarray(start - first * PACK_BLOCK, stop - first * PACK_BLOCK);
    return Buffer.concat(blocks).subarray(start - first * PACK_BLOCK, stop - first * PACK_BLOCK);
  }

  /**
   * Bytes [start, end) of a stored pack in parts of at most `step`, straight from storage and not
   * kept (a clone that copies a whole pack must not push everything else out of the cache).
   */
  async *streamPack(pack: StoredPack, start: number, end: number, step = PACK_BLOCK): AsyncGenerator<Buffer> {
    for (let at = start; at < end; at += step) yield await this.store.readRange(`/objects/pack/${pack.name}.pack`, at, Math.min(step, end - at));
  }

  private async findPacked(oid: string): Promise<{ pack: StoredPack; offset: number } | null> {
    for (const pack of await this.packs()) {
      const offset = pack.index.offsetOf(oid);
      if (offset !== null) return { pack, offset };
    }
    return null;
  }

  /** The stored entry of a packed object, for reusing its compressed bytes verbatim. */
  async packedEntry(oid: string): Promise<PackedEntry | null> {
    const found = await this.findPacked(oid);
    if (found === null) return null;
    return this.entryAt(found.pack, found.offset);
  }

  /** The header of the entry at `offset`, and where the entry ends. */
  private async headerAt(pack: StoredPack, offset: number): Promise<{ header: EntryHeader; end: number; head: Buffer }> {
    const end = pack.index.entryEnd(offset, pack.size);
    const window = await this.packBytes(pack, offset, Math.min(end, offset + ENTRY_HEADER_MAX));
    const header = readEntryHeader(window, 0, window.length, offset);
    if (header === null || end < 0 || header.dataStart > end) throw new ObjectFormatError(`${pack.name}: bad entry at ${offset}`);
    return { header, end, head: window.subarray(0, header.dataStart - offset) };
  }

  async entryAt(pack: StoredPack, offset: number): Promise<PackedEntry> {
    const { header, end, head } = await this.headerAt(pack, offset);
    return { pack, offset, end, header, head, body: await this.packBytes(pack, header.dataStart, end) };
  }

  private async readLoose(oid: string): Promise<GitObject | null> {
    let raw: Buffer;
    try {
      raw = Buffer.from((await this.store.fs.promises.readFile(`/objects/${oid.slice(0, 2)}/${oid.slice(2)}`)) as Buffer);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const inflated = await inflateBytes(raw);
    const nul = inflated.indexOf(0);
    const m = /^(commit|tree|blob|tag) (\d+)$/.exec(inflated.toString('latin1', 0, Math.max(0, nul)));
    if (nul < 0 || m === null || Number(m[2]) !== inflated.length - nul - 1) {
      throw new ObjectFormatError(`loose object ${oid} is corrupt`);
    }
    return { type: m[1] as ObjectType, data: inflated.subarray(nul + 1) };
  }

  private async readPacked(pack: StoredPack, offset: number, oid: string | null): Promise<GitObject> {
    if (oid !== null) {
      const hit = this.cache.get<GitObject>('object', this.repo, oid);
      if (hit !== undefined) return hit;
    }
    const entry = await this.entryAt(pack, offset);
    const { header } = entry;
    const inflated = await inflateBytes(entry.body, header.size);
    let obj: GitObject;
    if (header.typeCode === OBJ_OFS_DELTA || header.typeCode === OBJ_REF_DELTA) {
      let base: GitObject | null;
      if (header.typeCode === OBJ_OFS_DELTA) {
        const baseOffset = header.baseOffset as number;
        base = await this.readPacked(pack, baseOffset, pack.index.oidAtOffset(baseOffset));
      } else {
        base = await this.read(header.baseOid as string);
      }
      if (base === null) throw new ObjectFormatError(`${pack.name}: delta base missing at ${offset}`);
      const applied = applyDelta(base.data, inflated);
      if (!applied.ok) throw new ObjectFormatError(`${pack.name}: ${applied.error} at ${offset}`);
      obj = { type: base.type, data: applied.value };
    } else {
      const type = typeFromCode(header.typeCode);
      if (type === null) throw new ObjectFormatError(`${pack.name}: bad type at ${offset}`);
      obj = { type, data: inflated };
    }
    if (oid !== null) this.keep(oid, obj);
    return obj;
  }

  private keep(oid: string, obj: GitObject): void {
    if (obj.data.length <= MAX_CACHED_OBJECT) this.cache.set('object', this.repo, oid, obj, cost.object(obj.data));
  }

  /**
   * Runs `lookup`; when it finds nothing, lists the packs again once (a push may have published
   * one since they were listed) and, if that found packs the lookup did not search, runs it again.
   * The list is taken before the lookup: a concurrent reader may relist meanwhile, and comparing
   * with its newer list would find "nothing new" for packs this lookup never saw (a pushed commit
   * read by two requests at once answered 404).
   */
  private async withRelist<T>(lookup: () => Promise<T | null>): Promise<T | null> {
    const searched = await this.packs();
    const found = await lookup();
    if (found !== null) return found;
    this.invalidate();
    const after = await this.packs();
    return after.length === searched.length && after.every((p, i) => p.name === searched[i]?.name) ? null : lookup();
  }

  /** The object if the cache holds it, without waiting (a warm read answers without a promise). */
  cached(oid: string): GitObject | undefined {
    return this.cache.get<GitObject>('object', this.repo, oid);
  }

  async read(oid: string): Promise<GitObject | null> {
    const hit = this.cache.get<GitObject>('object', this.repo, oid);
    if (hit !== undefined) return hit;
    return this.withRelist(async () => {
      const packed = await this.findPacked(oid);
      if (packed !== null) return this.readPacked(packed.pack, packed.offset, oid);
      const loose = await this.readLoose(oid);
      if (loose !== null) this.keep(oid, loose);
      return loose;
    });
  }

  /**
   * Bytes start..end (inclusive) of an object's content as a stream, in bounded memory: a packed
   * whole object (how git stores large files) is inflated as its compressed bytes are read in
   * parts, and nothing outside the range is kept; a delta or a loose object (at most the largest
   * object a write may store) is read whole and sliced.
   */
  openStream(oid: string, start: number, end: number): Readable {
    return Readable.from(this.streamParts(oid, start, end));
  }

  private async *streamParts(oid: string, start: number, end: number): AsyncGenerator<Buffer> {
    const packed = this.cached(oid) === undefined ? await this.findPacked(oid) : null;
    const head = packed === null ? null : await this.headerAt(packed.pack, packed.offset);
    if (packed === null || head === null || head.header.typeCode === OBJ_OFS_DELTA || head.header.typeCode === OBJ_REF_DELTA) {
      const obj = await this.read(oid);
      if (obj === null) throw new ObjectFormatError(`object ${oid} is missing from ${this.repo}`);
      yield obj.data.subarray(start, end + 1);
      return;
    }
    const source = Readable.from(this.streamPack(packed.pack, head.header.dataStart, head.end));
    const inflater = createInflate();
    pipeline(source, inflater, () => undefined);
    let at = 0;
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        const from = Math.max(0, start - at);
        const to = Math.min(chunk.length, end + 1 - at);
        if (to > from) yield chunk.subarray(from, to);
        at += chunk.length;
        if (at > end) break;
      }
    } finally {
      source.destroy();
      inflater.destroy();
    }
  }

  /** The type without inflating when the object is packed: delta chains are followed by header. */
  async typeOf(oid: string): Promise<ObjectType | null> {
    const hit = this.cache.get<GitObject>('object', this.repo, oid);
    if (hit !== undefined) return hit.type;
    const packed = await this.findPacked(oid);
    if (packed === null) return (await this.read(oid))?.type ?? null;
    let pack = packed.pack;
    let offset = packed.offset;
    for (let depth = 0; depth < 10_000; depth++) {
      const { header } = await this.headerAt(pack, offset);
      if (header.typeCode === OBJ_OFS_DELTA) offset = header.baseOffset as number;
      else if (header.typeCode === OBJ_REF_DELTA) {
        const base = await this.findPacked(header.baseOid as string);
        if (base === null) return (await this.read(header.baseOid as string))?.type ?? null;
        ({ pack, offset } = base);
      } else return typeFromCode(header.typeCode);
    }
    return null;
  }

  async has(oid: string): Promise<boolean> {
    if (this.cache.has('object', this.repo, oid)) return true;
    if ((await this.findPacked(oid)) !== null) return true;
    return (await this.read(oid)) !== null;
  }

  /**
   * An object's size without inflating it where the store allows: a packed whole object's entry
   * header says it, a delta's own header says what it makes; a loose object is inflated.
   */
  async sizeOf(oid: string): Promise<number | null> {
    const known = this.cache.get<number>('size', this.repo, oid) ?? this.cache.get<GitObject>('object', this.repo, oid)?.data.length;
    if (known !== undefined) return known;
    const packed = await this.findPacked(oid);
    let size: number | null;
    if (packed === null) {
      size = (await this.read(oid))?.data.length ?? null;
    } else {
      const { header, end } = await this.headerAt(packed.pack, packed.offset);
      if (header.typeCode !== OBJ_OFS_DELTA && header.typeCode !== OBJ_REF_DELTA) size = header.size;
      else {
        // The delta's header (two varints) is in the first bytes of its inflated data.
        const start = await this.packBytes(packed.pack, header.dataStart, Math.min(end, header.dataStart + 64));
        size = deltaTargetSize(start) ?? (await this.read(oid))?.data.length ?? null;
      }
    }
    if (size !== null) this.cache.set('size', this.repo, oid, size, cost.small);
    return size;
  }

  async commit(oid: string): Promise<CommitInfo | null> {
    const hit = this.cache.get<CommitInfo>('commit', this.repo, oid);
    if (hit !== undefined) return hit;
    const obj = await this.read(oid);
    if (obj === null || obj.type !== 'commit') return null;
    const info = parseCommit(obj.data);
    if (info !== null) this.cache.set('commit', this.repo, oid, info, cost.commit(info.parents.length));
    return info;
  }

  /** A commit as readers show it (frozen: shared through the cache). */
  async commitDetails(oid: string): Promise<CommitDetails | null> {
    const hit = this.cache.get<CommitDetails>('details', this.repo, oid);
    if (hit !== undefined) return hit;
    const obj = await this.read(oid);
    if (obj === null || obj.type !== 'commit') return null;
    const details = parseCommitDetails(oid, obj.data);
    if (details === null) throw new ObjectFormatError(`commit ${oid} is malformed`);
    Object.freeze(details.parents);
    this.cache.set('details', this.repo, oid, Object.freeze(details), cost.details(details.message, details.parents.length));
    return details;
  }

  async tagDetails(oid: string): Promise<TagDetails | null> {
    const hit = this.cache.get<TagDetails>('tag', this.repo, oid);
    if (hit !== undefined) return hit;
    const obj = await this.read(oid);
    if (obj === null || obj.type !== 'tag') return null;
    const tag = parseTagDetails(obj.data);
    if (tag === null) throw new ObjectFormatError(`tag ${oid} is malformed`);
    this.cache.set('tag', this.repo, oid, Object.freeze(tag), cost.details(tag.message, 0));
    return tag;
  }

  /** A tree's entries by name (frozen: shared through the cache). */
  async tree(oid: string): Promise<readonly TreeEntry[] | null> {
    const hit = this.cache.get<readonly TreeEntry[]>('tree', this.repo, oid);
    if (hit !== undefined) return hit;
    const obj = await this.read(oid);
    if (obj === null || obj.type !== 'tree') return null;
    const entries = parseTree(obj.data);
    if (entries === null) throw new ObjectFormatError(`tree ${oid} is malformed`);
    Object.freeze(entries);
    this.cache.set('tree', this.repo, oid, entries, cost.tree(entries));
    return entries;
  }

  /** Keeps what a writer already parsed (a tree or commit it just wrote), so the next read is free. */
  remember(kind: 'tree', oid: string, value: readonly TreeEntry[]): void;
  remember(kind: 'details', oid: string, value: CommitDetails): void;
  remember(kind: 'tree' | 'details', oid: string, value: readonly TreeEntry[] | CommitDetails): void {
    if (kind === 'tree') {
      const entries = Object.freeze([...(value as readonly TreeEntry[])]);
      this.cache.set('tree', this.repo, oid, entries, cost.tree(entries));
    } else {
      const details = value as CommitDetails;
      this.cache.set('details', this.repo, oid, Object.freeze({ ...details, parents: Object.freeze([...details.parents]) as Oid[] }), cost.details(details.message, details.parents.length));
    }
  }

  /**
   * The one object an abbreviated id (4 to 39 hex digits) names: null when none does,
   * 'ambiguous' when several do. Pack indexes are searched in place; loose objects by listing
   * the one fan-out folder the prefix names.
   */
  async expandPrefix(prefix: string): Promise<Oid | 'ambiguous' | null> {
    const found = new Set<string>();
    const search = async (): Promise<void> => {
      for (const pack of await this.packs()) for (const oid of pack.index.idsWithPrefix(prefix, 2)) found.add(oid);
      if (found.size < 2) {
        let names: string[] = [];
        try {
          names = await this.store.fs.promises.readdir(`/objects/${prefix.slice(0, 2)}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        for (const n of names) if (`${prefix.slice(0, 2)}${n}`.startsWith(prefix) && /^[0-9a-f]{38}$/.test(n)) found.add(`${prefix.slice(0, 2)}${n}`);
      }
    };
    await this.withRelist(async () => {
      await search();
      return found.size > 0 ? true : null;
    });
    if (found.size > 1) return 'ambiguous';
    return found.size === 1 ? ([...found][0] as string) : null;
  }

  /** Ids of every loose object (objects/xx/...), for the full-clone path. */
  async looseObjectIds(): Promise<string[]> {
    let dirs: string[];
    try {
      dirs = await this.store.fs.promises.readdir('/objects');
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const out: string[] = [];
    const fanout = dirs.filter((d) => /^[0-9a-f]{2}$/.test(d));
    const lists = await Promise.all(
      fanout.map(async (d) => {
        try {
          return { d, names: await this.store.fs.promises.readdir(`/objects/${d}`) };
        } catch (e) {
          if (isNotFound(e)) return { d, names: [] };
          throw e;
        }
      }),
    );
    for (const { d, names } of lists) for (const n of names) if (/^[0-9a-f]{38}$/.test(n)) out.push(d + n);
    return out.sort();
  }
}

/** Inflates on the event loop when small, in Node's thread pool when large; at most `size` + 1 bytes. */
async function inflateBytes(data: Buffer, size?: number): Promise<Buffer> {
  // A known size is one output buffer of that size, not zlib's 16 KiB default per call.
  const options = size === undefined ? {} : { chunkSize: Math.max(64, Math.min(size + 1, 1024 * 1024)), maxOutputLength: Math.max(1, size + 1) };
  return data.length < INFLATE_ASYNC_FROM ? inflateSync(data, options) : inflateAsync(data, options);
}

/** The target size in a delta's header, from the start of its compressed data; null if unreadable. */
function deltaTargetSize(compressedStart: Buffer): number | null {
  try {
    return deltaResultSize(inflateSync(compressedStart, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
  } catch {
    return null;
  }
}

/**
 * The object store of every repository a front end serves, one per repository, all on one
 * GitCache. Bounded in count (an LRU); a dropped store costs only its pack list.
 */
export class ObjectStores {
  private readonly stores: LRUCache<string, ObjectStore>;

  constructor(
    private readonly storage: Storage,
    readonly cache: GitCache,
    max = 1024,
  ) {
    this.stores = new LRUCache<string, ObjectStore>({ max });
  }

  get(name: string): ObjectStore {
    let store = this.stores.get(name);
    if (store === undefined) {
      store = new ObjectStore(this.storage.repo(name), this.cache);
      this.stores.set(name, store);
    }
    return store;
  }

  /** After a repository was deleted or created again: nothing of the old one may be served. */
  forget(name: string): void {
    this.stores.delete(name);
    this.cache.forget(name);
  }
}
