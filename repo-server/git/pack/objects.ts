import { OBJ_OFS_DELTA, OBJ_REF_DELTA } from '../object.js';
import type { ObjectStore, PackedEntry, StoredPack } from '../store/object-store.js';
import { encodeOfsDistance, encodeTypeAndSize } from './format.js';
import { PackWriter, type PackSink } from './writer.js';

export interface PackOptions {
  ofsDelta: boolean;
  /** Objects the client has that deltas may point at (thin-pack requested), or null. */
  thinBases: Set<string> | null;
}

export interface PackStats {
  count: number;
  deltas: number;
  reused: number;
}

interface Located {
  oid: string;
  packOrder: number;
  offset: number;
  pack: StoredPack | null;
}

/**
 * Streams a pack of exactly `oids`, reusing stored entries the way git's pack-objects does:
 * a stored whole object is copied compressed as is; a stored delta is copied when its base
 * was already sent in this pack (rewritten as OFS_DELTA to the new position) or, for a
 * thin-pack request, when the client already has the base; anything else is inflated,
 * resolved and deflated again. Objects go out in stored order, so OFS bases come first.
 */
export async function writePack(odb: ObjectStore, oids: string[], channel: PackSink, opts: PackOptions): Promise<PackStats> {
  const packs = await odb.packs();
  const packOrder = new Map(packs.map((p, i) => [p.name, i]));
  const located: Located[] = [];
  for (const oid of oids) {
    let found: Located | null = null;
    for (const pack of packs) {
      const offset = pack.index.offsetOf(oid);
      if (offset !== null) {
        found = { oid, pack, offset, packOrder: packOrder.get(pack.name) ?? 0 };
        break;
      }
    }
    located.push(found ?? { oid, pack: null, offset: 0, packOrder: Number.MAX_SAFE_INTEGER });
  }
  located.sort((a, b) => a.packOrder - b.packOrder || a.offset - b.offset);

  const writer = new PackWriter(channel, located.length);
  await writer.begin();
  const sentAt = new Map<string, number>();
  const stats: PackStats = { count: located.length, deltas: 0, reused: 0 };
  let lastReport = Date.now();
  for (const item of located) {
    if (channel.closed) break;
    const at = writer.position;
    const reused = item.pack === null ? false : await reuseEntry(await odb.entryAt(item.pack, item.offset), writer, sentAt, opts);
    if (reused === false) {
      const obj = await odb.read(item.oid);
      if (obj === null) throw new Error(`object ${item.oid} vanished while packing`);
      await writer.fullObject(obj);
    } else {
      stats.reused++;
      if (reused === 'delta') stats.deltas++;
    }
    sentAt.set(item.oid, at);
    if (Date.now() - lastReport > 1000) {
      lastReport = Date.now();
      const n = writer.entriesWritten;
      await channel.progress(`Writing objects: ${Math.floor((n * 100) / located.length)}% (${n}/${located.length})\r`);
    }
  }
  if (!channel.closed) await writer.finish();
  return stats;
}

async function reuseEntry(
  entry: PackedEntry,
  writer: PackWriter,
  sentAt: Map<string, number>,
  opts: PackOptions,
): Promise<false | 'whole' | 'delta'> {
  const { header, head: storedHead, body } = entry;
  if (header.typeCode !== OBJ_OFS_DELTA && header.typeCode !== OBJ_REF_DELTA) {
    await writer.entry(storedHead, body);
    return 'whole';
  }
  const baseOid =
    header.typeCode === OBJ_OFS_DELTA ? entry.pack.index.oidAtOffset(header.baseOffset as number) : (header.baseOid as string);
  if (baseOid === null) return false;
  const basePos = sentAt.get(baseOid);
  if (basePos !== undefined && opts.ofsDelta) {
    const head = Buffer.concat([encodeTypeAndSize(OBJ_OFS_DELTA, header.size), encodeOfsDistance(writer.position - basePos)]);
    await writer.entry(head, body);
    return 'delta';
  }
  if (basePos !== undefined || (opts.thinBases !== null && opts.thinBases.has(baseOid))) {
    const head = Buffer.concat([encodeTypeAndSize(OBJ_REF_DELTA, header.size), Buffer.from(baseOid, 'hex')]);
    await writer.entry(head, body);
    return 'delta';
  }
  return false;
}
