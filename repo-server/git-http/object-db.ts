import { inflateSync } from 'node:zlib';
import type { RepoStore } from '../../fs-service/index.js';
import { applyDelta } from './delta.js';
import {
  OBJ_OFS_DELTA,
  OBJ_REF_DELTA,
  parseCommit,
  parseTree,
  typeFromCode,
  type CommitInfo,
  type GitObject,
  type ObjectType,
  type TreeEntry,
} from './git-object.js';
import type { ObjectCaches } from './object-cache.js';
import { readEntryHeader, type EntryHeader } from './pack-format.js';
import { PackIndex } from './pack-index.js';

export interface StoredPack {
  /** File name without extension: "pack-<checksum>". */
  name: string;
  index: PackIndex;
}

/** Where an object lives inside a stored pack, with its parsed entry header. */
export interface PackedEntry {
  pack: StoredPack;
  data: Buffer;
  offset: number;
  end: number;
  header: EntryHeader;
}

export class ObjectFormatError extends Error {
  override readonly name = 'ObjectFormatError';
}

function isNotFound(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Reads a repository's objects from its packs and loose files through the storage contract.
 * One instance per request: it lists objects/pack once (isomorphic-git re-lists it on every
 * lookup, #2084) and keeps the packs it touched, while immutable data goes to the shared caches.
 * A miss re-lists the packs once, because a push may publish a pack after this request started.
 */
export class ObjectDb {
  private packList: Promise<StoredPack[]> | null = null;
  private refreshed = false;
  private readonly heldPacks = new Map<string, Buffer>();

  constructor(
    private readonly store: RepoStore,
    private readonly caches: ObjectCaches,
  ) {}

  private key(name: string): string {
    return `${this.store.name}\0${name}`;
  }

  packs(): Promise<StoredPack[]> {
    if (this.packList === null) this.packList = this.listPacks();
    return this.packList;
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
    const packs: StoredPack[] = [];
    for (const file of idxNames) {
      const name = file.slice(0, -4);
      let index = this.caches.packIndex.get(this.key(name));
      if (index === undefined) {
        const raw = await this.store.fs.promises.readFile(`/objects/pack/${file}`);
        const parsed = PackIndex.parse(Buffer.from(raw as Buffer));
        if (!parsed.ok) throw new ObjectFormatError(`${file}: ${parsed.error}`);
        index = parsed.value;
        this.caches.packIndex.set(this.key(name), index);
      }
      packs.push({ name, index });
    }
    return packs;
  }

  /** Forget the pack list (after this process published a pack). */
  invalidate(): void {
    this.packList = null;
  }

  async packData(pack: StoredPack): Promise<Buffer> {
    const held = this.heldPacks.get(pack.name);
    if (held !== undefined) return held;
    let data = this.caches.packData.get(this.key(pack.name));
    if (data === undefined) {
      const raw = await this.store.fs.promises.readFile(`/objects/pack/${pack.name}.pack`);
      data = Buffer.from(raw as Buffer);
      this.caches.packData.set(this.key(pack.name), data);
    }
    this.heldPacks.set(pack.name, data);
    return data;
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

  async entryAt(pack: StoredPack, offset: number): Promise<PackedEntry> {
    const data = await this.packData(pack);
    const header = readEntryHeader(data, offset, data.length - 20);
    const end = pack.index.entryEnd(offset, data.length);
    if (header === null || end < 0) throw new ObjectFormatError(`${pack.name}: bad entry at ${offset}`);
    return { pack, data, offset, end, header };
  }

  private async readLoose(oid: string): Promise<GitObject | null> {
    let raw: Buffer;
    try {
      raw = Buffer.from((await this.store.fs.promises.readFile(`/objects/${oid.slice(0, 2)}/${oid.slice(2)}`)) as Buffer);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const inflated = inflateSync(raw);
    const nul = inflated.indexOf(0);
    const m = /^(commit|tree|blob|tag) (\d+)$/.exec(inflated.toString('latin1', 0, Math.max(0, nul)));
    if (nul < 0 || m === null || Number(m[2]) !== inflated.length - nul - 1) {
      throw new ObjectFormatError(`loose object ${oid} is corrupt`);
    }
    return { type: m[1] as ObjectType, data: inflated.subarray(nul + 1) };
  }

  private async readPacked(pack: StoredPack, offset: number, oid: string | null): Promise<GitObject> {
    if (oid !== null) {
      const hit = this.caches.objects.get(oid);
      if (hit !== undefined) return hit;
    }
    const entry = await this.entryAt(pack, offset);
    const { header, data } = entry;
    const inflated = inflateSync(data.subarray(header.dataStart, entry.end));
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
    if (oid !== null) this.caches.objects.set(oid, obj);
    return obj;
  }

  async read(oid: string): Promise<GitObject | null> {
    const hit = this.caches.objects.get(oid);
    if (hit !== undefined) return hit;
    const packed = await this.findPacked(oid);
    if (packed !== null) return this.readPacked(packed.pack, packed.offset, oid);
    const loose = await this.readLoose(oid);
    if (loose !== null) {
      this.caches.objects.set(oid, loose);
      return loose;
    }
    if (!this.refreshed) {
      this.refreshed = true;
      this.packList = null;
      const again = await this.findPacked(oid);
      if (again !== null) return this.readPacked(again.pack, again.offset, oid);
    }
    return null;
  }

  /** The type without inflating when the object is packed: delta chains are followed by header. */
  async typeOf(oid: string): Promise<ObjectType | null> {
    const hit = this.caches.objects.get(oid);
    if (hit !== undefined) return hit.type;
    const packed = await this.findPacked(oid);
    if (packed === null) return (await this.read(oid))?.type ?? null;
    let entry = await this.entryAt(packed.pack, packed.offset);
    for (let depth = 0; depth < 10_000; depth++) {
      const { header } = entry;
      if (header.typeCode === OBJ_OFS_DELTA) entry = await this.entryAt(entry.pack, header.baseOffset as number);
      else if (header.typeCode === OBJ_REF_DELTA) return this.typeOf(header.baseOid as string);
      else return typeFromCode(header.typeCode);
    }
    return null;
  }

  async has(oid: string): Promise<boolean> {
    if (this.caches.objects.has(oid)) return true;
    if ((await this.findPacked(oid)) !== null) return true;
    return (await this.read(oid)) !== null;
  }

  async commit(oid: string): Promise<CommitInfo | null> {
    const hit = this.caches.commits.get(oid);
    if (hit !== undefined) return hit;
    const obj = await this.read(oid);
    if (obj === null || obj.type !== 'commit') return null;
    const info = parseCommit(obj.data);
    if (info !== null) this.caches.commits.set(oid, info);
    return info;
  }

  async tree(oid: string): Promise<TreeEntry[] | null> {
    const obj = await this.read(oid);
    if (obj === null || obj.type !== 'tree') return null;
    return parseTree(obj.data);
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
