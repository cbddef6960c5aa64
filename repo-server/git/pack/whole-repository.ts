import { OBJ_OFS_DELTA, OBJ_REF_DELTA, objectLinks } from '../object.js';
import type { ObjectStore, StoredPack } from '../store/object-store.js';
import { encodeOfsDistance, encodeTypeAndSize } from './format.js';
import type { PackStats } from './objects.js';
import { PackWriter, type PackSink } from './writer.js';

interface Placed {
  pack: StoredPack;
  /** Output offset of the pack's first entry when its body was copied whole, else null. */
  start: number | null;
  /** Output offsets of the entries written one by one. */
  positions: Map<string, number>;
}

/**
 * The full-clone path: every object the refs reach (`reachable`) in one pack, built from the
 * stored packs' bytes instead of re-packing (git's deltas are kept, nothing is inflated). A stored
 * pack whose objects are all reachable and none already sent goes out as one verbatim copy of its
 * body: OFS_DELTA distances stay valid because they are relative within that body. Any other pack
 * (one that repeats objects of an earlier one, or holds objects no ref reaches: a deleted branch,
 * a refused update's leftovers) is copied entry by entry, skipping what is not sent and rewriting
 * OFS_DELTA distances to where each base really went; a delta whose base is not sent goes out
 * whole. Loose objects (REST commits) follow, deflated one by one.
 *
 * The listings are not one snapshot: a REST write running meanwhile may have its commit listed
 * but not its tree, or a commit whose parent sits in a pack published after the packs were
 * listed. git's clone checks every object's links (index-pack --check-self-contained-and-connected)
 * and would die on such a pack, so only loose objects whose links are all sent go out. Returns
 * null, having sent nothing, when a wanted object is not among them (the caller walks instead).
 */
export async function writeWholeRepository(
  odb: ObjectStore,
  channel: PackSink,
  ofsDelta: boolean,
  wants: readonly string[],
  reachable: ReadonlySet<string>,
): Promise<PackStats | null> {
  const packs = await odb.packs();
  const seen = new Set<string>();
  const verbatim: boolean[] = [];
  for (const pack of packs) {
    let whole = true;
    for (let i = 0; i < pack.index.count; i++) {
      const oid = pack.index.oidAt(i);
      if (seen.has(oid) || !reachable.has(oid)) whole = false;
      else seen.add(oid);
    }
    verbatim.push(whole && ofsDelta);
  }
  const loose = (await closedLooseObjects(odb, seen)).filter((oid) => reachable.has(oid));
  const looseSet = new Set(loose);
  if (!wants.every((oid) => seen.has(oid) || looseSet.has(oid))) return null;
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
    if (verbatim[i] === true) {
      const start = writer.position;
      // Streamed in parts and not kept: a clone never holds a whole pack, nor evicts the cache for it.
      for await (const part of odb.streamPack(pack, 12, pack.size - 20)) {
        if (channel.closed) return stats;
        await writer.raw(part, 0);
      }
      writer.countEntries(pack.index.count);
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
      if (!reachable.has(oid) || emitted.has(oid) || positionOf(oid) !== undefined) continue;
      emitted.add(oid);
      const { header, head: storedHead, body } = await odb.entryAt(pack, offset);
      const at = writer.position;
      if (header.typeCode === OBJ_OFS_DELTA || header.typeCode === OBJ_REF_DELTA) {
        const baseOid = header.typeCode === OBJ_REF_DELTA ? (header.baseOid as string) : pack.index.oidAtOffset(header.baseOffset as number);
        const basePos = baseOid === null ? undefined : positionOf(baseOid);
        if (baseOid === null || basePos === undefined) {
          // The base is not in this pack's output (no ref reaches it): the object goes out whole.
          const obj = await odb.read(oid);
          if (obj === null) throw new Error(`${pack.name}: ${oid} cannot be read`);
          await writer.fullObject(obj);
        } else {
          const head = ofsDelta
            ? Buffer.concat([encodeTypeAndSize(OBJ_OFS_DELTA, header.size), encodeOfsDistance(at - basePos)])
            : Buffer.concat([encodeTypeAndSize(OBJ_REF_DELTA, header.size), Buffer.from(baseOid, 'hex')]);
          await writer.entry(head, body);
          stats.deltas++;
          stats.reused++;
        }
      } else {
        await writer.entry(storedHead, body);
        stats.reused++;
      }
      mine.positions.set(oid, at);
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

/**
 * The loose objects not in `packed` whose links all resolve to a packed object or another kept
 * loose object: a dangling link drops the object and, in turn, everything that links to it.
 */
async function closedLooseObjects(odb: ObjectStore, packed: ReadonlySet<string>): Promise<string[]> {
  const listed = (await odb.looseObjectIds()).filter((oid) => !packed.has(oid));
  const present = new Set(listed);
  const dependents = new Map<string, string[]>();
  const dropped: string[] = [];
  for (const oid of listed) {
    const obj = await odb.read(oid);
    if (obj === null) throw new Error(`loose object ${oid} vanished while packing`);
    const links = objectLinks(obj);
    if (links === null) throw new Error(`loose ${obj.type} ${oid} is malformed`);
    for (const link of links) {
      if (packed.has(link)) continue;
      if (!present.has(link)) dropped.push(oid);
      else {
        const list = dependents.get(link);
        if (list === undefined) dependents.set(link, [oid]);
        else list.push(oid);
      }
    }
  }
  while (dropped.length > 0) {
    const oid = dropped.pop() as string;
    if (!present.delete(oid)) continue;
    dropped.push(...(dependents.get(oid) ?? []));
  }
  return listed.filter((oid) => present.has(oid));
}
