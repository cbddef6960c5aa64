import { createHash } from 'node:crypto';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { applyDelta } from './delta.js';
import {
  OBJ_OFS_DELTA,
  OBJ_REF_DELTA,
  codeFromType,
  objectId,
  objectLinks,
  parseCommit,
  typeFromCode,
  type CommitInfo,
  type GitObject,
  type ObjectType,
} from './git-object.js';
import { encodeTypeAndSize, readEntryHeader, readPackHeader, type EntryHeader } from './pack-format.js';
import { writePackIndex, type IndexEntry } from './pack-index.js';
import { err, ok, type Result } from './result.js';

interface Entry {
  offset: number;
  end: number;
  header: EntryHeader;
  oid: string | null;
  type: ObjectType | null;
}

export interface ReceivedObject {
  type: ObjectType;
  /** What the object points to (commit: tree + parents, tree: entries, tag: target). */
  links: string[];
}

/** A pushed pack that passed every check, ready to publish. */
export interface VerifiedPack {
  /** The bytes to store: the received pack, or the completed one if it was thin. */
  pack: Buffer;
  idx: Buffer;
  checksum: string;
  objects: Map<string, ReceivedObject>;
  commits: Map<string, CommitInfo>;
  /** How many REF_DELTA bases were appended from the repository (thin pack completed). */
  appendedBases: number;
}

export type ExternalLookup = (oids: string[]) => Promise<Map<string, GitObject>>;

/**
 * Indexes a pushed pack strictly, doing what `git index-pack --strict --fix-thin` checks:
 * header and version, every entry inflates to its declared size, exactly the declared number
 * of entries and nothing after them, the SHA-1 trailer, every delta resolves. isomorphic-git's
 * indexPack skips entries it cannot resolve and never checks the trailer, so a truncated push
 * would be indexed partially without a word (see the notes, 2.4); here it is an error value.
 * REF_DELTA bases missing from the pack (git pushes thin packs) are read from the repository
 * and appended as whole objects, so the stored pack stays readable by any git.
 */
export async function verifyPack(data: Buffer, lookup: ExternalLookup): Promise<Result<VerifiedPack>> {
  const head = readPackHeader(data);
  if (head === null) return err('not a pack (bad signature or version)');
  if (data.length < 32) return err('pack is truncated');
  const limit = data.length - 20;
  const entries: Entry[] = [];
  const byOffset = new Map<number, number>();
  const content = new LRUCache<number, Buffer>({
    maxSize: 128 * 1024 * 1024,
    maxEntrySize: 64 * 1024 * 1024,
    sizeCalculation: (b) => Math.max(1, b.length),
  });
  let pos = 12;
  for (let i = 0; i < head.count; i++) {
    const header = readEntryHeader(data, pos, limit);
    if (header === null) return err(`pack is truncated or corrupt: header declares ${head.count} objects, entry ${i + 1} is unreadable`);
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      inflated = inflateSync(data.subarray(header.dataStart, limit), { info: true }) as unknown as typeof inflated;
    } catch {
      return err(`pack is truncated or corrupt: header declares ${head.count} objects, entry ${i + 1} does not inflate`);
    }
    if (inflated.buffer.length !== header.size) return err(`pack is corrupt: entry ${i + 1} inflates to ${inflated.buffer.length} bytes, header says ${header.size}`);
    const end = header.dataStart + inflated.engine.bytesWritten;
    const type = typeFromCode(header.typeCode);
    const entry: Entry = { offset: pos, end, header, oid: null, type };
    if (type !== null) {
      entry.oid = objectId(type, inflated.buffer);
      content.set(i, inflated.buffer);
    } else if (header.baseOffset !== undefined && !byOffset.has(header.baseOffset)) {
      return err(`pack is corrupt: entry ${i + 1} is a delta against offset ${header.baseOffset}, where no entry starts`);
    }
    byOffset.set(pos, i);
    entries.push(entry);
    pos = end;
  }
  if (pos !== limit) return err(`pack is corrupt: ${limit - pos} unexpected bytes after ${head.count} objects`);
  const trailer = createHash('sha1').update(data.subarray(0, limit)).digest();
  if (!trailer.equals(data.subarray(limit))) return err('pack checksum mismatch (corrupt or truncated pack)');

  const inPack = new Map<string, number>();
  for (const [i, e] of entries.entries()) if (e.oid !== null && !inPack.has(e.oid)) inPack.set(e.oid, i);
  const external = new Map<string, GitObject>();

  const rawBody = (e: Entry): Buffer => inflateSync(data.subarray(e.header.dataStart, e.end));
  const baseOf = (e: Entry): GitObject | null => {
    if (e.header.typeCode === OBJ_OFS_DELTA) return contentOf(byOffset.get(e.header.baseOffset as number) as number);
    const oid = e.header.baseOid as string;
    const at = inPack.get(oid);
    return at !== undefined ? contentOf(at) : (external.get(oid) ?? null);
  };
  // Resolved content of entry i; base chains are recomputed when the cache dropped them.
  function contentOf(i: number): GitObject | null {
    const e = entries[i] as Entry;
    if (e.type === null) return null;
    const hit = content.get(i);
    if (hit !== undefined) return { type: e.type, data: hit };
    if (e.header.typeCode !== OBJ_OFS_DELTA && e.header.typeCode !== OBJ_REF_DELTA) {
      const body = rawBody(e);
      content.set(i, body);
      return { type: e.type, data: body };
    }
    const base = baseOf(e);
    if (base === null) return null;
    const applied = applyDelta(base.data, rawBody(e));
    if (!applied.ok) return null;
    content.set(i, applied.value);
    return { type: e.type, data: applied.value };
  }

  const resolvePass = (): Result<number> => {
    let progress = 0;
    for (const [i, e] of entries.entries()) {
      if (e.type !== null) continue;
      const base = baseOf(e);
      if (base === null) continue;
      const applied = applyDelta(base.data, rawBody(e));
      if (!applied.ok) return err(`pack is corrupt: entry ${i + 1}: ${applied.error}`);
      e.type = base.type;
      e.oid = objectId(base.type, applied.value);
      content.set(i, applied.value);
      if (!inPack.has(e.oid)) inPack.set(e.oid, i);
      progress++;
    }
    return ok(progress);
  };

  for (let round = 0; ; round++) {
    const r = resolvePass();
    if (!r.ok) return r;
    const unresolved = entries.filter((e) => e.type === null);
    if (unresolved.length === 0) break;
    if (r.value > 0 && round < 10_000) continue;
    const wanted = [
      ...new Set(
        unresolved
          .filter((e) => e.header.typeCode === OBJ_REF_DELTA && !inPack.has(e.header.baseOid as string) && !external.has(e.header.baseOid as string))
          .map((e) => e.header.baseOid as string),
      ),
    ];
    if (wanted.length === 0) return err(`pack is corrupt: ${unresolved.length} deltas cannot be resolved`);
    const found = await lookup(wanted);
    const missing = wanted.filter((o) => !found.has(o));
    if (missing.length > 0) return err(`pack has ${missing.length} delta bases that are neither in the pack nor in the repository (first: ${missing[0]})`);
    for (const [oid, obj] of found) external.set(oid, obj);
  }

  // Every entry resolved: the indexed count is the declared count by construction.
  const objects = new Map<string, ReceivedObject>();
  const commits = new Map<string, CommitInfo>();
  const index: IndexEntry[] = [];
  for (const [i, e] of entries.entries()) {
    const oid = e.oid as string;
    index.push({ oid, offset: e.offset, crc: crc32(data.subarray(e.offset, e.end)) });
    if (objects.has(oid)) continue;
    const obj = e.type === 'blob' ? null : contentOf(i);
    const links = obj === null ? [] : objectLinks(obj);
    if (links === null) return err(`pack contains a malformed ${e.type} ${oid}`);
    objects.set(oid, { type: e.type as ObjectType, links });
    if (obj !== null && obj.type === 'commit') {
      const info = parseCommit(obj.data);
      if (info !== null) commits.set(oid, info);
    }
  }
  if (index.length !== head.count) return err(`indexed ${index.length} objects, header declares ${head.count}`);

  let pack = data;
  if (external.size > 0) {
    const used = [...external.keys()].filter((oid) => !objects.has(oid)).sort();
    const parts: Buffer[] = [Buffer.from(data.subarray(0, limit))];
    let at = limit;
    for (const oid of used) {
      const obj = external.get(oid) as GitObject;
      const entry = Buffer.concat([encodeTypeAndSize(codeFromType(obj.type), obj.data.length), deflateSync(obj.data)]);
      index.push({ oid, offset: at, crc: crc32(entry) });
      parts.push(entry);
      at += entry.length;
    }
    const body = Buffer.concat(parts);
    body.writeUInt32BE(head.count + used.length, 8);
    pack = Buffer.concat([body, createHash('sha1').update(body).digest()]);
  }
  const checksum = pack.subarray(pack.length - 20);
  return ok({
    pack,
    idx: writePackIndex(index, checksum),
    checksum: checksum.toString('hex'),
    objects,
    commits,
    appendedBases: pack === data ? 0 : index.length - head.count,
  });
}
