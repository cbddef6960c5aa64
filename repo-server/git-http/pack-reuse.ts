import { OBJ_OFS_DELTA, OBJ_REF_DELTA } from './git-object.js';
import type { ObjectDb, StoredPack } from './object-db.js';
import { encodeOfsDistance, encodeTypeAndSize, readEntryHeader } from './pack-format.js';
import type { PackStats } from './pack-objects.js';
import { PackWriter } from './pack-writer.js';
import type { PackChannel } from './side-band.js';

interface Placed {
  pack: StoredPack;
  /** Output offset of the pack's first entry when its body was copied whole, else null. */
  start: number | null;
  /** Output offsets of the entries written one by one. */
  positions: Map<string, number>;
}

/**
 * The full-clone path: every object of the repository in one pack, built from the stored
 * packs' bytes instead of re-packing (git's deltas are kept, nothing is inflated). A stored
 * pack none of whose objects were already sent goes out as one verbatim copy of its body:
 * OFS_DELTA distances stay valid because they are relative within that body. A pack that
 * repeats objects of an earlier one (two pushes of the same commits) is copied entry by entry,
 * skipping the repeats and rewriting OFS_DELTA distances to where each base really went.
 * Loose objects (REST commits) follow, deflated one by one. Unreachable objects in the packs
 * are sent too; clients keep them as unreferenced objects, as after any `git gc`-less push.
 */
export async function writeWholeRepository(odb: ObjectDb, channel: PackChannel, ofsDelta: boolean): Promise<PackStats> {
  const packs = await odb.packs();
  const seen = new Set<string>();
  const hasRepeats: boolean[] = [];
  for (const pack of packs) {
    let repeats = false;
    for (let i = 0; i < pack.index.count; i++) {
      const oid = pack.index.oidAt(i);
      if (seen.has(oid)) repeats = true;
      else seen.add(oid);
    }
    hasRepeats.push(repeats);
  }
  const loose = (await odb.looseObjectIds()).filter((oid) => !seen.has(oid));
  const total = seen.size + loose.length;
  await channel.progress(`Enumerating objects: ${total}, done.\n`);

  const writer = new PackWriter(channel, total);
  await writer.begin();
  const placed: Placed[] = [];
  const stats: PackStats = { count: total, deltas: 0, reused: 0 };
  const positionOf = (oid: string): number | undefined => {
    for (const p of placed) {
      if (p.start !== null) {
        const off = p.pack.index.offsetOf(oid);
        if (off !== null) return p.start + off - 12;
      } else {
        const pos = p.positions.get(oid);
        if (pos !== undefined) return pos;
      }
    }
    return undefined;
  };

  for (const [i, pack] of packs.entries()) {
    if (channel.closed) return stats;
    const data = await odb.packData(pack);
    if (!hasRepeats[i] && ofsDelta) {
      const start = writer.position;
      await writer.raw(data.subarray(12, data.length - 20), pack.index.count);
      placed.push({ pack, start, positions: new Map() });
      stats.reused += pack.index.count;
      continue;
    }
    const mine: Placed = { pack, start: null, positions: new Map() };
    placed.push(mine);
    const { offsets, order } = pack.index.entriesByOffset();
    const emitted = new Set<string>();
    for (let k = 0; k < offsets.length; k++) {
      const offset = offsets[k] as number;
      const oid = pack.index.oidAt(order[k] as number);
      if (emitted.has(oid) || positionOf(oid) !== undefined) continue;
      emitted.add(oid);
      const end = k + 1 < offsets.length ? (offsets[k + 1] as number) : data.length - 20;
      const header = readEntryHeader(data, offset, end);
      if (header === null) throw new Error(`${pack.name}: bad entry at ${offset}`);
      const body = data.subarray(header.dataStart, end);
      const at = writer.position;
      if (header.typeCode === OBJ_OFS_DELTA) {
        const baseOid = pack.index.oidAtOffset(header.baseOffset as number);
        const basePos = baseOid === null ? undefined : positionOf(baseOid);
        if (baseOid === null || basePos === undefined) throw new Error(`${pack.name}: OFS_DELTA base not sent before ${oid}`);
        const head = ofsDelta
          ? Buffer.concat([encodeTypeAndSize(OBJ_OFS_DELTA, header.size), encodeOfsDistance(at - basePos)])
          : Buffer.concat([encodeTypeAndSize(OBJ_REF_DELTA, header.size), Buffer.from(baseOid, 'hex')]);
        await writer.entry(head, body);
        stats.deltas++;
      } else {
        await writer.entry(data.subarray(offset, header.dataStart), body);
        if (header.typeCode === OBJ_REF_DELTA) stats.deltas++;
      }
      mine.positions.set(oid, at);
      stats.reused++;
    }
  }
  for (const oid of loose) {
    if (channel.closed) return stats;
    const obj = await odb.read(oid);
    if (obj === null) throw new Error(`loose object ${oid} vanished while packing`);
    await writer.fullObject(obj);
  }
  if (!channel.closed) await writer.finish();
  return stats;
}
